"""httpx and httpx2: a provider works the same on a client (sync or async) or a transport of
either library, over a real loopback socket: answers, streams, and the failures the
transport turns into `ProviderError`s (a silent server, a stream cut off, a refused
connection), never the library's own exception."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from types import ModuleType
from typing import Any

import httpx
import httpx2
import pytest

from fantasy import Agent
from fantasy.errors import InvalidArgumentError, ProviderError
from fantasy.http.backend import library_of
from fantasy.providers import openai
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import call, closing_after
from tests.faults.server import FaultServer, Reply, Stall, Stream
from tests.faults.wire import chat_stream, chat_whole

LIBRARIES = pytest.mark.parametrize("library", [httpx, httpx2], ids=["httpx", "httpx2"])
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


def _model(server: FaultServer, library: ModuleType, mode: str, **kw: Any) -> Any:
    """A model on a client of ``library`` for the face ``mode`` uses."""
    timeout = kw.pop("timeout", 10.0)
    clients: dict[str, Any] = {}
    if mode == "sync":
        clients["http_client"] = library.Client(timeout=timeout)
    else:
        clients["async_http_client"] = library.AsyncClient(timeout=timeout)
    provider = openai.Provider(FAKE_KEY, base_url=server.url + "/v1", **clients, **kw)
    return provider.language_model("gpt-4o-mini")


def _generate(model: Any, mode: str) -> Any:
    if mode == "sync":
        try:
            return model.generate(call())
        finally:
            model.transport.close()
    return asyncio.run(closing_after(model, model.agenerate(call())))


def _stream(model: Any, mode: str) -> list[Any]:
    if mode == "sync":
        try:
            return list(model.stream(call()))
        finally:
            model.transport.close()

    async def collect() -> list[Any]:
        return [part async for part in model.astream(call())]

    return asyncio.run(closing_after(model, collect()))


@LIBRARIES
@MODES
def test_generate_and_stream_on_a_client_of_either_library(
    library: ModuleType, mode: str, server: FaultServer
) -> None:
    server.script(Reply(body=chat_whole("Hello there")))
    model = _model(server, library, mode)
    assert _generate(model, mode).text == "Hello there"
    server.script(Stream(chat_stream(["Hel", "lo ", "there"])))
    parts = _stream(_model(server, library, mode), mode)
    text = "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)
    assert text == "Hello there"
    assert parts[-1].type is StreamPartType.FINISH
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
        assert request.path == "/v1/chat/completions"


@LIBRARIES
@MODES
def test_an_agent_on_either_library(library: ModuleType, mode: str, server: FaultServer) -> None:
    server.script(Stream(chat_stream(["Hi ", "there"])))
    agent = Agent(_model(server, library, mode))
    if mode == "sync":
        result = agent.stream("Say hi").result
        agent.model.transport.close()  # type: ignore[attr-defined]
    else:
        result = asyncio.run(closing_after(agent.model, agent.astream("Say hi").collect()))
    assert result.text == "Hi there"


@LIBRARIES
@MODES
def test_a_silent_server_times_out_as_a_provider_error(
    library: ModuleType, mode: str, server: FaultServer
) -> None:
    server.script(Stall())
    model = _model(server, library, mode, timeout=0.2)
    with pytest.raises(ProviderError) as info:
        _generate(model, mode)
    assert info.value.is_retryable
    assert "timed out" in str(info.value)
    # The library's own exception is the cause, never what the caller sees.
    assert type(info.value.__cause__).__module__.partition(".")[0] == library.__name__


@LIBRARIES
@MODES
def test_a_stream_cut_off_is_an_error_part(
    library: ModuleType, mode: str, server: FaultServer
) -> None:
    server.script(Stream(chat_stream(["Hel", "lo"])[:2], ending="drop"))
    parts = _stream(_model(server, library, mode), mode)
    errors = [p.error for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1 and isinstance(errors[0], ProviderError)
    assert errors[0].is_retryable


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@LIBRARIES
@MODES
def test_a_refused_connection_is_a_retryable_provider_error(library: ModuleType, mode: str) -> None:
    port = _closed_port()
    client: dict[str, Any] = (
        {"http_client": library.Client()}
        if mode == "sync"
        else {"async_http_client": library.AsyncClient()}
    )
    provider = openai.Provider(FAKE_KEY, base_url=f"http://127.0.0.1:{port}/v1", **client)
    with pytest.raises(ProviderError) as info:
        _generate(provider.language_model("gpt-4o-mini"), mode)
    assert info.value.is_retryable
    assert info.value.title == "network error"
    assert FAKE_KEY not in str(info.value)


@LIBRARIES
@MODES
def test_a_transport_of_either_library_gets_clients_of_that_library(
    library: ModuleType, mode: str, server: FaultServer
) -> None:
    server.script(Reply(body=chat_whole("via transport")))
    transport = library.HTTPTransport() if mode == "sync" else library.AsyncHTTPTransport()
    # A Timeout of the other library is rebuilt for this one.
    other = httpx2 if library is httpx else httpx
    provider = openai.Provider(
        FAKE_KEY,
        base_url=server.url + "/v1",
        transport=transport,
        timeout=other.Timeout(5.0, connect=2.0),
    )
    model = provider.language_model("gpt-4o-mini")
    assert _generate(model, mode).text == "via transport"
    client = provider.transport._client if mode == "sync" else provider.transport._async_client
    assert library_of(client) is library
    assert client.timeout.connect == 2.0 and client.timeout.read == 5.0


def test_clients_of_the_wrong_face_or_kind_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="pass an AsyncClient as async_http_client"):
        openai.Provider(FAKE_KEY, http_client=httpx2.AsyncClient())
    with pytest.raises(InvalidArgumentError, match=r"httpx2\.AsyncClient"):
        openai.Provider(FAKE_KEY, async_http_client=httpx2.Client())
    with pytest.raises(InvalidArgumentError, match=r"httpx2\.Timeout"):
        openai.Provider(FAKE_KEY, timeout="5s")
    # Accepted: either library's clients and timeouts.
    openai.Provider(FAKE_KEY, http_client=httpx2.Client(), timeout=httpx2.Timeout(3.0))


def test_the_default_client_library_is_httpx_and_httpx2_is_never_imported_for_it(
    server: FaultServer,
) -> None:
    """What the README states: the clients a provider builds are httpx's, so a program
    that never names httpx2 never loads it (a subprocess, to see sys.modules fresh)."""
    server.script(Reply(body=chat_whole("plain")))
    code = (
        "import sys\n"
        "from fantasy.providers import openai\n"
        f"p = openai.Provider('k', base_url='{server.url}/v1')\n"
        "m = p.language_model('gpt-4o-mini')\n"
        "from fantasy.types import user_message\n"
        "from fantasy.model import Call\n"
        "print(m.generate(Call([user_message('hi')])).text)\n"
        "print(type(p.transport._client).__module__)\n"
        "print('httpx2' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["plain", "httpx", "False"]
