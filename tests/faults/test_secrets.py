"""An API key goes to the provider in its header and nowhere else: not into exception
messages or reprs, not into logs (every logger at DEBUG, httpx's included), not into a
recorded cassette. Tried for each auth style: bearer, x-api-key, api-key, x-goog-api-key.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from fantasy import Agent
from fantasy.errors import FantasyError, ProviderError
from fantasy.testing import RecordingTransport
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, answer, error_reply, generate, run_agent, stream_parts
from tests.faults.server import FaultServer, Stall, Stream
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)


def _no_key_in(*texts: str) -> None:
    for text in texts:
        assert FAKE_KEY not in text
        assert FAKE_KEY[-12:] not in text, "not even a tail of the key"


def _everything_about(err: BaseException) -> list[str]:
    out = [str(err), repr(err)]
    seen = 0
    while err is not None and seen < 10:
        out += [str(err), repr(err), repr(getattr(err, "args", ()))]
        if isinstance(err, ProviderError):
            out += [err.url, err.request_body.decode(errors="replace"), repr(err.response_headers)]
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
        seen += 1
    return out


@FAMILY
def test_the_key_travels_in_the_providers_auth_header(family: Family, server: FaultServer) -> None:
    server.script(answer(family, ["hi"], streaming=False))
    generate(family.make(server.url, FAKE_KEY), "sync")
    (request,) = server.requests
    assert FAKE_KEY in request.headers[family.auth_header]
    _no_key_in(request.path, request.body.decode())


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_no_key_in_errors_reprs_or_debug_logs(
    family: Family,
    mode: str,
    server: FaultServer,
    sleeps: RecordingSleep,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    model = family.make(server.url, FAKE_KEY, timeout=0.2)
    texts = [repr(model), repr(getattr(model, "transport", None))]
    server.script(
        error_reply(family, 401, "invalid credentials"),
        error_reply(family, 500, "internal"),
        error_reply(family, 500, "internal"),
        Stall(),
        Stream(family.truncated(["x"]), ending="drop", content_type=family.content_type),
    )
    failures: list[BaseException] = []
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    failures.append(info.value)
    agent = Agent(model, sleep=sleeps, max_retries=1)
    with pytest.raises(FantasyError) as retried:
        run_agent(agent, mode, False)
    failures.append(retried.value)
    with pytest.raises(ProviderError) as timed_out:
        generate(model, mode)
    failures.append(timed_out.value)
    parts = stream_parts(model, mode)
    failures += [p.error for p in parts if p.type is StreamPartType.ERROR and p.error]
    assert len(failures) == 4
    for err in failures:
        texts += _everything_about(err)
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    _no_key_in(*texts)


@FAMILY
def test_no_key_in_a_network_error(family: Family, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = family.make(f"http://127.0.0.1:{port}", FAKE_KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, "sync")
    assert info.value.is_retryable
    _no_key_in(*_everything_about(info.value), caplog.text)


@FAMILY
def test_a_recorded_cassette_holds_no_key(
    family: Family, server: FaultServer, tmp_path: Path
) -> None:
    # The server echoes the key back, as some providers do in their 401 messages.
    server.script(
        answer(family, ["hi"], streaming=True),
        error_reply(family, 401, f"Incorrect API key provided: {FAKE_KEY}"),
    )
    path = tmp_path / "session.yaml"
    recorder = RecordingTransport(path=path, secrets=[FAKE_KEY])
    model = family.make(server.url, FAKE_KEY, transport=recorder)
    parts = stream_parts(model, "sync")
    assert parts[-1].type is StreamPartType.FINISH
    with pytest.raises(ProviderError):
        generate(model, "sync")
    recorder.save()
    saved = path.read_text()
    assert server.url in saved, "the exchange was recorded"
    _no_key_in(saved)


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_a_key_the_provider_echoes_in_an_error_is_redacted(
    family: Family, mode: str, server: FaultServer
) -> None:
    echo = f"Incorrect API key provided: {FAKE_KEY}. Find your key at example.com"
    server.script(error_reply(family, 401, echo), error_reply(family, 401, echo))
    model = family.make(server.url, FAKE_KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    (part,) = stream_parts(model, mode)
    for err in (info.value, part.error):
        assert isinstance(err, ProviderError)
        assert "Incorrect API key provided: [REDACTED]" in str(err)
        assert err.status_code == 401 and not err.is_retryable
        _no_key_in(*_everything_about(err), err.response_body.decode())


def test_what_counts_as_a_secret_to_redact() -> None:
    from fantasy.http.transport import secret_tokens

    tokens = secret_tokens([f"Bearer {FAKE_KEY}", "short", "x-key-1234"])
    assert FAKE_KEY.encode() in tokens, "a bearer token is hidden without its scheme too"
    assert f"Bearer {FAKE_KEY}".encode() in tokens
    assert b"short" not in tokens, "too short to hide without mangling ordinary text"
    assert tokens == tuple(sorted(tokens, key=len, reverse=True)), "longest first"
