"""The run's ``invoke_agent`` span is the current span while the run's own code runs:
spans the user opens in ``prepare_step``, callbacks and stop conditions nest under it,
on every face, and the span is never current in the caller's code between parts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace

import fantasy
from fantasy.testing import FakeModel, stream_parts_for_response, text_response, tool_call_response
from fantasy.types import StreamPart
from tests.telemetry.conftest import Recorded

FACES = ["generate", "agenerate", "stream", "astream"]


@fantasy.tool
def weather(location: str) -> str:
    """The weather somewhere."""
    return f"sunny in {location}"


def script() -> list[Any]:
    return [tool_call_response("weather", {"location": "Paris"}), text_response("Sunny.")]


class Hooks:
    """The user's code of a run, each opening a span with the tracer of the application."""

    def __init__(self, otel: Recorded):
        self.tracer = otel.tracer_provider.get_tracer("the-app")

    def options(self, face: str) -> dict[str, Any]:
        options: dict[str, Any] = {
            "prepare_step": self.prepare_step,
            "stop_when": self.stop_when,
        }
        if face in ("stream", "astream"):
            options["on_step_start"] = self.on_step_start
            options["on_step_finish"] = self.on_step_finish
        return options

    def prepare_step(self, options: Any) -> None:
        with self.tracer.start_as_current_span("prepare_step"):
            return None

    def stop_when(self, steps: Sequence[fantasy.StepResult]) -> bool:
        with self.tracer.start_as_current_span("stop_when"):
            return False

    async def on_step_start(self, number: int) -> None:
        with self.tracer.start_as_current_span("on_step_start"):
            await asyncio.sleep(0)  # an async callback, also on the sync faces

    def on_step_finish(self, step: fantasy.StepResult) -> None:
        with self.tracer.start_as_current_span("on_step_finish"):
            pass


def run_face(agent: fantasy.Agent[Any], face: str, options: dict[str, Any]) -> Any:
    if face == "generate":
        return agent.generate("Weather?", **options)
    if face == "stream":
        return agent.stream("Weather?", **options).result
    if face == "agenerate":
        return asyncio.run(agent.agenerate("Weather?", **options))
    return asyncio.run(agent.astream("Weather?", **options).collect())


@pytest.mark.parametrize("face", FACES)
def test_spans_the_run_s_hooks_open_nest_under_invoke_agent(otel: Recorded, face: str) -> None:
    hooks = Hooks(otel)
    agent = fantasy.Agent(FakeModel(script()), tools=[weather], telemetry=otel.telemetry())
    assert run_face(agent, face, hooks.options(face)).text == "Sunny."

    (invoke,) = otel.named("invoke_agent")
    names = ["prepare_step", "stop_when"]
    if face in ("stream", "astream"):
        names += ["on_step_start", "on_step_finish"]
    for name in names:
        opened = [s for s in otel.spans if s.name == name]
        assert len(opened) == 2, name  # two steps
        for span in opened:
            assert span.parent is not None, name
            assert span.parent.span_id == invoke.context.span_id, name
            assert span.context.trace_id == invoke.context.trace_id
    # The caller's context is as it was before the run.
    assert not trace.get_current_span().get_span_context().is_valid


def test_between_parts_the_caller_s_own_span_is_current(otel: Recorded) -> None:
    tracer = otel.tracer_provider.get_tracer("the-app")
    agent = fantasy.Agent(FakeModel(script()), tools=[weather], telemetry=otel.telemetry())
    with tracer.start_as_current_span("handler") as handler:
        for _ in agent.stream("Weather?"):
            assert trace.get_current_span() is handler
            with tracer.start_as_current_span("consumer"):
                pass
    (invoke,) = otel.named("invoke_agent")
    assert invoke.parent is not None and invoke.parent.span_id == handler.get_span_context().span_id
    for span in otel.named("consumer"):
        assert span.parent is not None
        assert span.parent.span_id == handler.get_span_context().span_id


def test_an_async_stream_read_by_several_tasks_leaks_no_context(otel: Recorded) -> None:
    """Each part is read in a task of its own: attaching and detaching happen within one
    read, so no task is left with the run current and no detach fails."""
    agent = fantasy.Agent(FakeModel(script()), tools=[weather], telemetry=otel.telemetry())
    seen: list[bool] = []

    async def main() -> None:
        stream = agent.astream("Weather?", on_step_start=lambda n: seen.append(current_is_run()))
        parts = stream.__aiter__()

        async def read_one() -> bool:
            try:
                await parts.__anext__()
            except StopAsyncIteration:
                return False
            assert not trace.get_current_span().get_span_context().is_valid
            return True

        while await asyncio.create_task(read_one()):
            assert not trace.get_current_span().get_span_context().is_valid
        stream.result  # noqa: B018 - finished

    def current_is_run() -> bool:
        return str(getattr(trace.get_current_span(), "name", "")).startswith("invoke_agent")

    asyncio.run(main())
    assert seen == [True, True]
    assert len(otel.named("invoke_agent")) == 1


def test_a_stream_closed_early_leaves_no_context(otel: Recorded) -> None:
    agent = fantasy.Agent(
        FakeModel(script() + script()), tools=[weather], telemetry=otel.telemetry()
    )

    async def main() -> None:
        stream = agent.astream("Weather?")
        async for _ in stream:
            break
        await stream.aclose()
        assert not trace.get_current_span().get_span_context().is_valid

    asyncio.run(main())
    with agent.stream("Weather?") as stream:
        for _ in stream:
            break
    assert not trace.get_current_span().get_span_context().is_valid
    runs = otel.named("invoke_agent")
    assert len(runs) == 2
    assert all(span.end_time is not None for span in runs)


class SpanningModel(fantasy.BaseLanguageModel):
    """A model whose stream opens a span of its own for each part, as HTTP
    instrumentation would for its reads; it notes when its stream is closed."""

    provider_name = "fake"
    model_id = "spanning"

    def __init__(self, tracer: trace.Tracer):
        self.tracer = tracer
        self.closed = False

    async def astream(self, call: fantasy.Call) -> AsyncIterator[StreamPart]:  # type: ignore[override]
        try:
            for part in stream_parts_for_response(text_response("Sunny.")):
                with self.tracer.start_as_current_span("read chunk"):
                    pass
                yield part
        finally:
            self.closed = True


@pytest.mark.parametrize("face", ["stream", "astream"])
def test_spans_a_model_stream_opens_nest_under_its_chat_span(otel: Recorded, face: str) -> None:
    model = SpanningModel(otel.tracer_provider.get_tracer("http"))
    agent = fantasy.Agent(model, telemetry=otel.telemetry())
    assert run_face(agent, face, {}).text == "Sunny."
    (chat,) = otel.named("chat")
    reads = [s for s in otel.spans if s.name == "read chunk"]
    assert reads
    for span in reads:
        assert span.parent is not None and span.parent.span_id == chat.context.span_id


def test_a_run_stream_closed_early_closes_the_model_s_stream(otel: Recorded) -> None:
    """At once, not when the garbage collector (or the event loop's finalizer task) gets
    to it: the model's stream holds the HTTP response."""
    model = SpanningModel(otel.tracer_provider.get_tracer("http"))
    agent = fantasy.Agent(model, telemetry=otel.telemetry())

    async def main() -> None:
        stream = agent.astream("Weather?")
        async for _ in stream:
            break
        await stream.aclose()
        assert model.closed

    asyncio.run(main())
    (chat,) = otel.named("chat")
    assert chat.end_time is not None
