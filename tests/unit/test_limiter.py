"""RequestLimiter: requests in flight capped per model, shared by agents, threads and
event loops; retries take a new slot; streams hold theirs; per-minute limits wait
(through an injected clock and sleep: nothing here waits for real time)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

import fantasy
from fantasy import Agent, ProviderError, RequestLimiter, Usage
from fantasy._runtime import is_sync
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.testing import FakeModel, RecordingSleep, text_response, tool_call_response
from fantasy.testing.fake import stream_parts_for_response


class Gauge(BaseLanguageModel):
    """A model that answers after a pause, counting the requests it has in flight."""

    def __init__(self, provider: str = "openai", model: str = "gpt-4o", pause: float = 0.0):
        self.provider_name = provider
        self.model_id = model
        self.pause = pause
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    def _enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.peak = max(self.peak, self.in_flight)

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    async def _pause(self) -> None:
        if is_sync():
            time.sleep(self.pause)
        else:
            for _ in range(3):
                await asyncio.sleep(self.pause)

    async def agenerate(self, call: Call) -> Response:
        self._enter()
        try:
            await self._pause()
            return text_response("ok", usage=Usage(1, 1, 2))
        finally:
            self._leave()

    async def astream(self, call: Call) -> AsyncIterator[fantasy.StreamPart]:  # type: ignore[override]
        self._enter()
        try:
            for part in stream_parts_for_response(text_response("ok", usage=Usage(1, 1, 2))):
                await self._pause()
                yield part
        finally:
            self._leave()


@pytest.mark.parametrize("streaming", [False, True])
async def test_hundreds_of_async_runs_never_pass_the_cap(streaming: bool) -> None:
    gauge = Gauge()
    limiter = RequestLimiter(max_concurrent=10)
    agents = [Agent(gauge, limiter=limiter) for _ in range(3)]  # agents share the limiter

    async def one(i: int) -> str:
        agent = agents[i % 3]
        if streaming:
            return (await agent.astream("hi").collect()).text
        return (await agent.agenerate("hi")).text

    texts = await asyncio.gather(*(one(i) for i in range(1000)))
    assert texts == ["ok"] * 1000
    assert gauge.calls == 1000
    assert gauge.peak == 10  # reached, never passed
    assert limiter.peak(gauge) == 10
    assert limiter.in_flight(gauge) == 0


@pytest.mark.parametrize("streaming", [False, True])
def test_threads_on_the_sync_face_never_pass_the_cap(streaming: bool) -> None:
    gauge = Gauge(pause=0.001)
    limiter = RequestLimiter(max_concurrent=4)
    agent = Agent(gauge, limiter=limiter)
    texts: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                if streaming:
                    texts.append(agent.stream("hi").result.text)
                else:
                    texts.append(agent.generate("hi").text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert texts == ["ok"] * 200
    assert gauge.peak <= 4
    assert limiter.peak(gauge) <= 4
    assert limiter.in_flight(gauge) == 0


async def test_sync_threads_and_an_event_loop_share_one_limiter() -> None:
    gauge = Gauge(pause=0.001)
    limiter = RequestLimiter(max_concurrent=3)
    agent = Agent(gauge, limiter=limiter)

    def sync_worker() -> None:
        for _ in range(5):
            agent.generate("hi")

    threads = [threading.Thread(target=sync_worker) for _ in range(6)]
    for t in threads:
        t.start()
    await asyncio.gather(*(agent.agenerate("hi") for _ in range(60)))
    for t in threads:
        await asyncio.to_thread(t.join)
    assert gauge.calls == 90
    assert gauge.peak <= 3
    assert limiter.in_flight(gauge) == 0


async def test_each_model_has_its_own_budget_and_per_provider_shares_one() -> None:
    a, b = Gauge(model="gpt-4o"), Gauge(model="gpt-4o-mini")
    per_model = RequestLimiter(max_concurrent=2)
    await asyncio.gather(
        *(Agent(m, limiter=per_model).agenerate("hi") for m in (a, b) for _ in range(20))
    )
    assert per_model.peak(a) == 2 and per_model.peak(b) == 2

    per_provider = RequestLimiter(max_concurrent=2, per="provider")
    shared = SimpleNamespace(provider="openai", model="anything")
    await asyncio.gather(
        *(Agent(m, limiter=per_provider).agenerate("hi") for m in (a, b) for _ in range(20))
    )
    assert per_provider.peak(shared) == 2


@pytest.mark.parametrize("face", ["generate", "agenerate", "stream", "astream"])
def test_a_retry_takes_a_new_slot(face: str) -> None:
    model = FakeModel([ProviderError("busy", status_code=503), text_response("ok")])
    limiter = RequestLimiter(max_concurrent=1)
    agent = Agent(model, limiter=limiter, sleep=RecordingSleep())
    if face == "generate":
        text = agent.generate("hi").text
    elif face == "agenerate":
        text = asyncio.run(agent.agenerate("hi")).text
    elif face == "stream":
        text = agent.stream("hi").result.text
    else:
        text = asyncio.run(agent.astream("hi").collect()).text
    assert text == "ok"
    assert limiter.started(model) == 2  # the failed attempt gave its slot back
    assert limiter.in_flight(model) == 0


def test_a_multi_step_run_takes_one_slot_per_request() -> None:
    @fantasy.tool
    def add(a: int, b: int) -> str:
        """Add."""
        return str(a + b)

    model = FakeModel([tool_call_response("add", {"a": 1, "b": 2}), text_response("3")])
    limiter = RequestLimiter(max_concurrent=1)
    # The call's limiter replaces the agent's (none here).
    assert Agent(model, tools=[add]).generate("hi", limiter=limiter).text == "3"
    assert limiter.started(model) == 2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("face", ["generate", "agenerate", "stream"])
def test_per_minute_waits_for_the_window(face: str) -> None:
    clock = Clock()
    limiter = RequestLimiter(per_minute=3, clock=clock, sleep=clock.sleep)
    model = FakeModel([text_response("ok")] * 7)
    agent = Agent(model, limiter=limiter)
    for _ in range(7):
        if face == "generate":
            agent.generate("hi")
        elif face == "agenerate":
            asyncio.run(agent.agenerate("hi"))
        else:
            assert agent.stream("hi").result.text == "ok"
    # Three at t=0; the 4th waits until the 1st is 60 s old, the 5th and 6th go with
    # it (their predecessors left the window), the 7th waits another minute.
    assert clock.sleeps == [60.0, 60.0]
    assert limiter.started(model) == 7


async def test_per_minute_spreads_a_concurrent_batch() -> None:
    clock = Clock()
    limiter = RequestLimiter(max_concurrent=5, per_minute=10, clock=clock, sleep=clock.sleep)
    gauge = Gauge()
    await asyncio.gather(*(Agent(gauge, limiter=limiter).agenerate("hi") for _ in range(30)))
    assert gauge.calls == 30
    assert gauge.peak <= 5
    # 30 requests at 10 a minute: the last starts two minutes after the first.
    assert clock.now - 1000.0 == pytest.approx(120.0)


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    limiter = RequestLimiter(max_concurrent=1)
    await limiter.acquire("k")
    waiting = asyncio.ensure_future(limiter.acquire("k"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limiter.release("k")
    await asyncio.wait_for(limiter.acquire("k"), 5)  # free again: not leaked
    limiter.release("k")
    assert limiter.in_flight(SimpleNamespace(provider="k", model="")) == 0


async def test_a_closed_stream_releases_its_slot() -> None:
    gauge = Gauge()
    limiter = RequestLimiter(max_concurrent=1)
    stream = Agent(gauge, limiter=limiter).astream("hi")
    async for _ in stream:
        break
    assert limiter.in_flight(gauge) == 1
    await stream.aclose()
    assert limiter.in_flight(gauge) == 0


def test_a_limited_model_is_the_model_for_everything_else() -> None:
    from fantasy.providers import openaicompat

    inner = openaicompat.Provider(api_key="k", base_url="http://127.0.0.1:1/v1").language_model(
        "llama"
    )
    limiter = RequestLimiter(max_concurrent=2)
    limited = limiter.limit(inner)
    assert isinstance(limited, fantasy.LimitedModel)
    assert (limited.provider, limited.model) == (inner.provider, inner.model)
    assert limited.url == inner.url  # type: ignore[attr-defined]
    assert limiter.limit(limited) is limited  # not wrapped twice


async def test_members_of_a_composite_model_each_take_a_slot() -> None:
    """A fallback model (anything with a ``models`` list) is limited member by member,
    so the model that is actually asked waits for its own budget."""

    class FirstThatWorks(BaseLanguageModel):
        provider_name = "fallback"

        def __init__(self, *models: Any):
            self.models = list(models)

        async def agenerate(self, call: Call) -> Response:
            for m in self.models[:-1]:
                try:
                    return await m.agenerate(call)  # type: ignore[no-any-return]
                except ProviderError:
                    pass
            return await self.models[-1].agenerate(call)  # type: ignore[no-any-return]

    failing = FakeModel([ProviderError("down", status_code=503)] * 50, model="a")
    backup = Gauge(provider="anthropic", model="claude")
    limiter = RequestLimiter(max_concurrent=3)
    composite = FirstThatWorks(failing, backup)
    limited = limiter.limit(composite)
    assert limited is not composite and composite.models[0] is failing  # a copy
    await asyncio.gather(*(Agent(limited, max_retries=0).agenerate("hi") for _ in range(20)))
    assert limiter.started(failing) == 20 and limiter.started(backup) == 20
    assert backup.peak <= 3


def test_settings_are_checked() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="max_concurrent"):
        RequestLimiter(0)
    with pytest.raises(fantasy.InvalidArgumentError, match="give max_concurrent"):
        RequestLimiter()
    with pytest.raises(fantasy.InvalidArgumentError, match="per must be"):
        RequestLimiter(1, per="region")  # type: ignore[arg-type]
    with pytest.raises(fantasy.InvalidArgumentError, match="limiter must be a fantasy"):
        Agent(FakeModel([]), limiter=10)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- with FallbackModel


async def test_a_fallback_models_members_each_wait_for_their_own_budget() -> None:
    primary = FakeModel([ProviderError("overloaded", status_code=529)] * 40, model="primary")
    backup = Gauge(provider="anthropic", model="claude-sonnet-4")
    limiter = RequestLimiter(max_concurrent=3)
    agent = Agent(fantasy.FallbackModel(primary, backup), limiter=limiter, max_retries=0)
    results = await asyncio.gather(*(agent.agenerate("hi") for _ in range(40)))
    assert {r.text for r in results} == {"ok"}
    assert limiter.started(primary) == 40 and limiter.started(backup) == 40
    assert backup.peak <= 3 and limiter.peak(primary) <= 3
    assert limiter.in_flight(primary) == 0 and limiter.in_flight(backup) == 0
