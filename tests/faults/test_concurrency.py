"""Two hundred agent streams at once over loopback, on one provider: every answer arrives
intact and in its own stream, and when the provider is closed no socket is left open.
Beyond httpx's default pool (100 connections), a provider's own pool still has every
stream in flight at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time

import httpx

from fantasy import Agent
from tests.faults.conftest import FAKE_KEY
from tests.faults.server import FaultServer, Request, Stream
from tests.faults.wire import OPENAI_CHAT

STREAMS = 200


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _texts(index: int) -> list[str]:
    return [f"answer {index}: ", "ração ", *[f"{index}-{k} " for k in range(20)], "fim"]


def _responder(request: Request) -> Stream:
    prompt = json.dumps(json.loads(request.body)["messages"])
    match = re.search(r"stream #(\d+)", prompt)
    assert match is not None
    chunks = OPENAI_CHAT.stream(_texts(int(match.group(1))))
    return Stream(chunks, hold_until=STREAMS)


def test_two_hundred_concurrent_agent_streams(server: FaultServer) -> None:
    server.responder = _responder
    before = _open_fds()

    async def main() -> list[str]:
        # Room for every stream on its own connection; the default pool (100) would
        # queue half of them, which is fine in use but would not prove 200 in flight.
        client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=STREAMS + 10), timeout=httpx.Timeout(30.0)
        )
        model = OPENAI_CHAT.make(server.url, FAKE_KEY, async_http_client=client)
        agent = Agent(model, max_retries=0)
        try:
            results = await asyncio.gather(
                *(agent.astream(f"stream #{i}").collect() for i in range(STREAMS))
            )
        finally:
            await client.aclose()
        return [r.text for r in results]

    texts = asyncio.run(main())
    assert texts == ["".join(_texts(i)) for i in range(STREAMS)], "every answer intact, in place"
    assert server.peak_open_streams == STREAMS, server.peak_open_streams
    assert len(server.requests) == STREAMS
    # The server's side of each socket closes once it reads the client's EOF: wait for it.
    deadline = time.monotonic() + 10
    while _open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _open_fds() <= before, "no file descriptor left open"


def test_two_hundred_concurrent_streams_on_the_default_pool(server: FaultServer) -> None:
    server.responder = lambda request: Stream(OPENAI_CHAT.stream(["a", "b", "c"]))
    before = _open_fds()
    provider_model = OPENAI_CHAT.make(server.url, FAKE_KEY)

    async def main() -> list[str]:
        agent = Agent(provider_model, max_retries=0)
        try:
            results = await asyncio.gather(
                *(agent.astream(f"stream #{i}").collect() for i in range(STREAMS))
            )
        finally:
            await provider_model.transport.aclose()  # type: ignore[attr-defined]
        return [r.text for r in results]

    assert asyncio.run(main()) == ["abc"] * STREAMS
    deadline = time.monotonic() + 10
    while _open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _open_fds() <= before


def test_streams_beyond_httpx_default_limit_are_all_in_flight_at_once(
    server: FaultServer,
) -> None:
    """httpx's default pool holds 100 connections: the 101st stream would wait for one of
    the first hundred to end (and each request would re-examine the whole queue). The
    provider's own pool opens one connection per stream: the server sees all of them
    streaming at once, and when the provider is closed every socket is closed."""
    streams = 150
    server.responder = lambda request: Stream(
        OPENAI_CHAT.stream(["x", "y", "z"]), hold_until=streams
    )
    before = _open_fds()
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)

    async def main() -> list[str]:
        agent = Agent(model, max_retries=0)
        try:
            results = await asyncio.gather(
                *(agent.astream(f"stream #{i}").collect() for i in range(streams))
            )
        finally:
            await model.transport.aclose()  # type: ignore[attr-defined]
        return [r.text for r in results]

    assert asyncio.run(main()) == ["xyz"] * streams
    assert server.peak_open_streams == streams, server.peak_open_streams
    assert len(server.requests) == streams, "each stream sent once, none queued and resent"
    deadline = time.monotonic() + 10
    while _open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _open_fds() <= before, "no file descriptor left open"
