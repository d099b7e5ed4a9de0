"""A RequestLimiter over real HTTP: a batch of agent streams far larger than the cap,
on both faces, never has more requests open at the server than the cap allows, and
every answer arrives whole."""

from __future__ import annotations

import asyncio
import json
import re
import threading

import httpx

from fantasy import Agent, RequestLimiter
from tests.faults.conftest import FAKE_KEY
from tests.faults.server import FaultServer, Request, Stream
from tests.faults.wire import OPENAI_CHAT

CAP = 8


def _responder(request: Request) -> Stream:
    prompt = json.dumps(json.loads(request.body)["messages"])
    match = re.search(r"run #(\d+)", prompt)
    assert match is not None
    index = int(match.group(1))
    return Stream(OPENAI_CHAT.stream([f"answer {index}: ", "ok"]), delay=0.001)


def test_three_hundred_async_runs_keep_to_the_cap(server: FaultServer) -> None:
    server.responder = _responder
    limiter = RequestLimiter(max_concurrent=CAP)

    async def main() -> list[str]:
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=400))
        model = OPENAI_CHAT.make(server.url, FAKE_KEY, async_http_client=client)
        agent = Agent(model, max_retries=0, limiter=limiter)
        try:
            results = await asyncio.gather(
                *(agent.astream(f"run #{i}").collect() for i in range(300))
            )
        finally:
            await client.aclose()
        return [r.text for r in results]

    texts = asyncio.run(main())
    assert texts == [f"answer {i}: ok" for i in range(300)]
    assert 1 <= server.peak_open_streams <= CAP
    assert len(server.requests) == 300


def test_threads_on_the_sync_face_keep_to_the_cap(server: FaultServer) -> None:
    server.responder = _responder
    limiter = RequestLimiter(max_concurrent=CAP)
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    agent = Agent(model, max_retries=0, limiter=limiter)
    texts: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        try:
            for i in range(start, start + 5):
                texts[i] = agent.stream(f"run #{i}").result.text
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(5 * k,)) for k in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert texts == {i: f"answer {i}: ok" for i in range(120)}
    assert 1 <= server.peak_open_streams <= CAP
    assert limiter.in_flight(model) == 0
