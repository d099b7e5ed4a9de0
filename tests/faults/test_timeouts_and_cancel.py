"""Never hang: a server that goes quiet is cut off by the provider's ``timeout=`` or by the
call's own ``timeout``; a caller that gives up (task cancelled, KeyboardInterrupt, stream
closed) closes the connection, and the server sees it go.

The timeouts here are a fraction of a second against a server that would wait ten; the
assertions are on what happened (an error, a closed socket), never on how long it took.
"""

from __future__ import annotations

import asyncio

import pytest

from fantasy import Agent
from fantasy.errors import ProviderError, RetryError
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import (
    MODES,
    call,
    closing_after,
    generate,
    run_agent,
    stream_parts,
)
from tests.faults.server import FaultServer, Stall, Stream
from tests.faults.wire import FAMILIES, OPENAI_CHAT, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)
SHORT = 0.4
"""Long enough for loopback to deliver the first chunks even on a busy machine."""
SILENT = 0.1
"""For a server that says nothing at all: there is no first chunk to wait for."""


def _timed_out(err: BaseException | None) -> ProviderError:
    assert isinstance(err, ProviderError), err
    assert err.is_retryable, "a timeout is worth another attempt"
    assert "timed out" in str(err) or "timeout" in str(err)
    return err


# --------------------------------------------------------------------------- provider timeout


@FAMILY
@MODE
def test_the_providers_timeout_cuts_off_a_silent_server(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stall())
    model = family.make(server.url, FAKE_KEY, timeout=SILENT)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    _timed_out(info.value)
    assert server.wait_client_closed(1)


@FAMILY
@MODE
def test_the_providers_timeout_cuts_off_a_stream_that_goes_quiet(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stream(family.truncated(["Hi"]), ending="hang", content_type=family.content_type))
    parts = stream_parts(family.make(server.url, FAKE_KEY, timeout=SHORT), mode)
    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "Hi"
    _timed_out(parts[-1].error)
    assert server.wait_client_closed(1)


# --------------------------------------------------------------------------- per-call timeout


@FAMILY
@MODE
def test_a_calls_timeout_overrides_the_providers(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stall(), Stall())
    model = family.make(server.url, FAKE_KEY)  # the default: ten minutes
    with pytest.raises(ProviderError) as info:
        generate(model, mode, call(timeout=SILENT))
    _timed_out(info.value)
    parts = stream_parts(model, mode, call(timeout=SILENT))
    _timed_out(parts[-1].error)
    # The call's deadline counts from the start, so on a busy machine it may pass
    # before a connection is even made: what matters is that none is left open.
    assert server.wait_connections_closed()


@MODE
def test_a_calls_timeout_bounds_a_stream_that_trickles_forever(
    mode: str, server: FaultServer
) -> None:
    # Each chunk comes well within the read timeout; only the call's deadline stops it.
    trickle = OPENAI_CHAT.truncated(["."] * 400)
    server.script(Stream(trickle, delay=0.02, ending="hang"))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    parts = stream_parts(model, mode, call(timeout=SHORT))
    error = _timed_out(parts[-1].error)
    assert "the call's timeout of 0.4s passed" in str(error)
    assert server.wait_client_closed(1)


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
@MODE
def test_the_agents_timeout_option_reaches_every_request(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Stall(), Stall())
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), sleep=sleeps, max_retries=1)
    with pytest.raises(RetryError) as info:
        run_agent(agent, mode, streaming, timeout=SILENT)
    # Both attempts timed out; the retry policy saw each as retryable.
    assert "timed out" in str(info.value)
    assert len(info.value.errors) == 2
    for error in info.value.errors:
        _timed_out(error)
    assert sleeps.delays == [5.0]
    assert len(server.requests) == 2
    assert server.wait_client_closed(2)


def test_a_call_without_timeout_leaves_the_provider_timeout_alone(server: FaultServer) -> None:
    server.script(Stream(OPENAI_CHAT.stream(["a", "b"]), delay=0.05))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY, timeout=5.0)
    parts = stream_parts(model, "sync", call(timeout=None))
    assert parts[-1].type is StreamPartType.FINISH


# --------------------------------------------------------------------------- cancellation


@FAMILY
def test_cancelling_the_task_closes_the_connection(family: Family, server: FaultServer) -> None:
    server.script(
        Stream(family.truncated(["Hel", "lo"]), ending="hang", content_type=family.content_type)
    )
    agent = Agent(family.make(server.url, FAKE_KEY))

    async def main() -> None:
        first = asyncio.Event()

        async def consume() -> None:
            async for part in agent.astream("Say hi"):
                if part.type is StreamPartType.TEXT_DELTA:
                    first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(closing_after(agent.model, main()))
    assert server.wait_client_closed(1), "the server never saw the connection close"
    assert len(server.requests) == 1, "cancellation is never retried"


def test_cancelling_a_model_generate_closes_the_connection(server: FaultServer) -> None:
    server.script(Stall())
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)

    async def main() -> None:
        task = asyncio.create_task(model.agenerate(call()))
        while not server.requests:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(closing_after(model, main()))
    assert server.wait_client_closed(1)


@FAMILY
def test_keyboard_interrupt_in_a_sync_callback_stops_the_request(
    family: Family, server: FaultServer
) -> None:
    server.script(
        Stream(family.truncated(["Hel", "lo"]), ending="hang", content_type=family.content_type)
    )
    agent = Agent(family.make(server.url, FAKE_KEY))

    def interrupt(_id: str, _delta: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _ = agent.stream("Say hi", on_text_delta=interrupt).result
    assert server.wait_client_closed(1)
    assert len(server.requests) == 1, "an interrupt is never retried"


def test_closing_a_sync_stream_early_closes_the_connection(server: FaultServer) -> None:
    server.script(Stream(OPENAI_CHAT.truncated(["a", "b"]), ending="hang"))
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY))
    with agent.stream("Say hi") as stream:
        for part in stream:
            if part.type is StreamPartType.TEXT_DELTA:
                break
    assert server.wait_client_closed(1)


def test_closing_an_async_stream_early_closes_the_connection(server: FaultServer) -> None:
    server.script(Stream(OPENAI_CHAT.truncated(["a", "b"]), ending="hang"))
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY))

    async def main() -> None:
        async with agent.astream("Say hi") as stream:
            async for part in stream:
                if part.type is StreamPartType.TEXT_DELTA:
                    break

    asyncio.run(closing_after(agent.model, main()))
    assert server.wait_client_closed(1)
