"""The span tree of a run, on every face: ``invoke_agent`` over one ``chat`` span per
model request and one ``execute_tool`` span per tool run, with the GenAI attributes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import fantasy
from fantasy.errors import InvalidRequestError, ProviderError
from fantasy.testing import FakeModel, RecordingSleep, text_response, tool_call_response
from fantasy.types import FinishReason, Usage
from tests.telemetry.conftest import Recorded, children

FACES = ["generate", "agenerate", "stream", "astream"]


@fantasy.tool
def weather(location: str) -> str:
    """The weather somewhere."""
    return f"sunny in {location}"


@fantasy.tool
def broken(location: str) -> str:
    """A tool that fails."""
    raise ValueError("the weather service is down")


def run(agent: fantasy.Agent[Any], face: str, prompt: str = "Weather in Paris?") -> Any:
    if face == "generate":
        return agent.generate(prompt)
    if face == "stream":
        return agent.stream(prompt).result
    if face == "agenerate":
        return asyncio.run(agent.agenerate(prompt))
    return asyncio.run(agent.astream(prompt).collect())


def script() -> list[Any]:
    return [
        tool_call_response(
            "weather", {"location": "Paris"}, usage=Usage(input_tokens=10, output_tokens=4)
        ),
        text_response("It is sunny.", usage=Usage(input_tokens=20, output_tokens=6)),
    ]


@pytest.mark.parametrize("face", FACES)
def test_a_run_with_a_tool_is_one_tree(otel: Recorded, face: str) -> None:
    model = FakeModel(script())
    agent = fantasy.Agent(
        model,
        tools=[weather],
        name="forecaster",
        temperature=0.2,
        max_output_tokens=300,
        telemetry=otel.telemetry(),
    )
    result = run(agent, face)
    assert result.text == "It is sunny."

    spans = otel.spans
    assert [s.name for s in spans] == [
        "invoke_agent forecaster",
        "chat fake-model",
        "execute_tool weather",
        "chat fake-model",
    ]
    root = otel.root()
    assert [s.name for s in children(spans, root)] == [s.name for s in spans[1:]]
    assert len({s.context.trace_id for s in spans}) == 1
    streaming = face in ("stream", "astream")

    attrs = dict(root.attributes or {})
    assert root.kind is SpanKind.INTERNAL
    assert attrs["gen_ai.operation.name"] == "invoke_agent"
    assert attrs["gen_ai.agent.name"] == "forecaster"
    assert attrs["gen_ai.request.model"] == "fake-model"
    assert attrs["gen_ai.provider.name"] == "fake"
    assert len(str(attrs["fantasy.run.id"])) == 32
    assert attrs["fantasy.run.steps"] == 2
    assert attrs["gen_ai.usage.input_tokens"] == 30
    assert attrs["gen_ai.usage.output_tokens"] == 10
    assert attrs["gen_ai.request.stream"] is streaming
    assert root.status.status_code is StatusCode.UNSET

    first, second = otel.named("chat")
    chat = dict(first.attributes or {})
    assert first.kind is SpanKind.CLIENT
    assert chat["gen_ai.operation.name"] == "chat"
    assert chat["gen_ai.request.model"] == "fake-model"
    assert chat["gen_ai.request.temperature"] == 0.2
    assert chat["gen_ai.request.max_tokens"] == 300
    assert chat["gen_ai.request.stream"] is streaming
    assert chat["gen_ai.response.finish_reasons"] == (str(FinishReason.TOOL_CALLS),)
    assert chat["gen_ai.usage.input_tokens"] == 10
    assert chat["gen_ai.usage.output_tokens"] == 4
    assert chat["fantasy.request.attempt"] == 1
    assert "gen_ai.input.messages" not in chat  # content capture is off by default
    assert dict(second.attributes or {})["gen_ai.response.finish_reasons"] == ("stop",)
    if streaming:
        assert chat["gen_ai.response.time_to_first_chunk"] >= 0
        assert [e.name for e in first.events] == ["fantasy.first_chunk"]
    else:
        assert "gen_ai.response.time_to_first_chunk" not in chat

    (tool,) = otel.named("execute_tool")
    tool_attrs = dict(tool.attributes or {})
    assert tool_attrs == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "weather",
        "gen_ai.tool.call.id": result.steps[0].content.tool_calls[0].tool_call_id,
        "gen_ai.tool.type": "function",
    }
    assert tool.status.status_code is StatusCode.UNSET
    # Each span lies within its parent, and the tool ran between the two requests.
    assert root.start_time <= first.start_time and second.end_time <= root.end_time  # type: ignore[operator]
    assert first.end_time <= tool.start_time and tool.end_time <= second.start_time  # type: ignore[operator]


@pytest.mark.parametrize("face", FACES)
def test_a_failing_tool_is_an_error_span_and_the_run_goes_on(otel: Recorded, face: str) -> None:
    model = FakeModel(
        [tool_call_response("broken", {"location": "Paris"}), text_response("Sorry.")]
    )
    agent = fantasy.Agent(model, tools=[broken], telemetry=otel.telemetry())
    assert run(agent, face).text == "Sorry."
    (tool,) = otel.named("execute_tool")
    assert tool.status.status_code is StatusCode.ERROR
    assert "the weather service is down" in (tool.status.description or "")
    assert dict(tool.attributes or {})["error.type"] == "ToolError"
    assert otel.root().status.status_code is StatusCode.UNSET


@pytest.mark.parametrize("face", FACES)
def test_a_tool_that_stops_the_run_fails_its_span_and_the_run(otel: Recorded, face: str) -> None:
    @fantasy.tool
    def critical(location: str) -> str:
        """Stops everything."""
        raise fantasy.ToolCriticalError("disk on fire")

    model = FakeModel([tool_call_response("critical", {"location": "Paris"})])
    agent = fantasy.Agent(model, tools=[critical], telemetry=otel.telemetry())
    with pytest.raises(fantasy.ToolExecutionError):
        run(agent, face)
    (tool,) = otel.named("execute_tool")
    assert dict(tool.attributes or {})["error.type"] == "ToolExecutionError"
    root = otel.root()
    assert root.status.status_code is StatusCode.ERROR
    assert dict(root.attributes or {})["error.type"] == "ToolExecutionError"
    assert dict(root.attributes or {})["fantasy.run.steps"] == 0


@pytest.mark.parametrize("face", FACES)
def test_a_retried_request_is_one_chat_span_per_attempt(otel: Recorded, face: str) -> None:
    sleep = RecordingSleep()
    model = FakeModel([ProviderError("slow down", status_code=429), text_response("Hello")])
    agent = fantasy.Agent(model, sleep=sleep, telemetry=otel.telemetry())
    assert run(agent, face).text == "Hello"
    failed, answered = otel.named("chat")
    assert dict(failed.attributes or {})["fantasy.request.attempt"] == 1
    assert dict(failed.attributes or {})["error.type"] == "RateLimitError"
    assert failed.status.status_code is StatusCode.ERROR
    assert [e.name for e in failed.events][-1] == "exception"
    assert dict(answered.attributes or {})["fantasy.request.attempt"] == 2
    assert answered.status.status_code is StatusCode.UNSET
    assert otel.root().status.status_code is StatusCode.UNSET
    assert [s.parent.span_id for s in (failed, answered)] == [otel.root().context.span_id] * 2  # type: ignore[union-attr]


@pytest.mark.parametrize("face", FACES)
def test_a_failed_run_ends_its_span_with_the_error(otel: Recorded, face: str) -> None:
    model = FakeModel([InvalidRequestError("bad request: no such model")])
    agent = fantasy.Agent(model, telemetry=otel.telemetry())
    with pytest.raises(InvalidRequestError):
        run(agent, face)
    root = otel.root()
    assert root.status.status_code is StatusCode.ERROR
    assert "no such model" in (root.status.description or "")
    assert dict(root.attributes or {})["error.type"] == "InvalidRequestError"
    (chat,) = otel.named("chat")
    assert dict(chat.attributes or {})["error.type"] == "InvalidRequestError"
    assert chat.end_time <= root.end_time  # type: ignore[operator]


def test_a_stream_span_lasts_until_the_stream_ends(otel: Recorded) -> None:
    model = FakeModel([text_response(["Hel", "lo", " there"])])
    agent = fantasy.Agent(model, telemetry=otel.telemetry())
    stream = agent.stream("hi")
    parts = iter(stream)
    next(parts)
    assert otel.spans == []  # nothing finished while the stream is open
    for _ in parts:
        pass
    chat = otel.named("chat")[0]
    assert chat.end_time is not None and chat.start_time is not None
    assert otel.root().end_time >= chat.end_time  # type: ignore[operator]


def test_a_stream_closed_early_ends_its_spans(otel: Recorded) -> None:
    model = FakeModel([text_response(["Hel", "lo", " there"])])
    agent = fantasy.Agent(model, telemetry=otel.telemetry())
    with agent.stream("hi") as stream:
        next(iter(stream))
    names = [s.name for s in otel.spans]
    assert names == ["invoke_agent", "chat fake-model"]
    root = otel.root()
    assert [e.name for e in root.events] == ["fantasy.run.closed"]
    assert root.status.status_code is StatusCode.UNSET


def test_an_agent_without_a_name_is_invoke_agent(otel: Recorded) -> None:
    agent = fantasy.Agent(FakeModel([text_response("Hi")]), telemetry=otel.telemetry())
    agent.generate("hi")
    assert otel.root().name == "invoke_agent"
    assert "gen_ai.agent.name" not in dict(otel.root().attributes or {})


def test_a_wrong_telemetry_argument_is_refused() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="start_run"):
        fantasy.Agent(FakeModel([]), telemetry="yes")  # type: ignore[arg-type]
    with pytest.raises(fantasy.InvalidArgumentError, match="name must be a string"):
        fantasy.Agent(FakeModel([]), name=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("face", FACES)
def test_a_fallback_is_an_event_and_names_the_model_that_answered(
    otel: Recorded, face: str
) -> None:
    primary = FakeModel(
        [ProviderError("overloaded", status_code=503)], provider="openai", model="gpt-4o"
    )
    backup = FakeModel([text_response("Hi")], provider="anthropic", model="claude-sonnet-4")
    agent = fantasy.Agent(fantasy.FallbackModel(primary, backup), telemetry=otel.telemetry())
    assert run(agent, face).text == "Hi"
    (chat,) = otel.named("chat")
    attrs = dict(chat.attributes or {})
    assert chat.name == "chat gpt-4o"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["gen_ai.response.model"] == "claude-sonnet-4"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    events = [e for e in chat.events if e.name == "fantasy.fallback"]
    assert len(events) == 1
    event = dict(events[0].attributes or {})
    assert event["fantasy.fallback.failed.provider"] == "openai"
    assert event["fantasy.fallback.failed.model"] == "gpt-4o"
    assert "overloaded" in str(event["fantasy.fallback.error"])


def test_every_model_of_a_fallback_failing_is_one_event_each(otel: Recorded) -> None:
    primary = FakeModel([ProviderError("down", status_code=503)])
    backup = FakeModel([ProviderError("also down", status_code=503)], model="b")
    agent = fantasy.Agent(
        fantasy.FallbackModel(primary, backup), max_retries=0, telemetry=otel.telemetry()
    )
    with pytest.raises(fantasy.FallbackError):
        agent.generate("hi")
    (chat,) = otel.named("chat")
    assert dict(chat.attributes or {})["error.type"] == "FallbackError"
    failed = [dict(e.attributes or {}) for e in chat.events if e.name == "fantasy.fallback"]
    assert [e["fantasy.fallback.failed.model"] for e in failed] == ["fake-model", "b"]


@pytest.mark.parametrize("face", FACES)
def test_spans_a_tool_opens_nest_under_its_execute_tool_span(otel: Recorded, face: str) -> None:
    tracer = otel.tracer_provider.get_tracer("the-app")

    @fantasy.tool
    def traced(location: str) -> str:
        """A tool with spans of its own (run in a worker thread on the async face)."""
        with tracer.start_as_current_span("geocode"):
            return "sunny"

    @fantasy.tool
    async def traced_async(location: str) -> str:
        """The same, async."""
        with tracer.start_as_current_span("geocode async"):
            return "sunny"

    model = FakeModel(
        [
            tool_call_response(
                ("c1", "traced", {"location": "Paris"}),
                ("c2", "traced_async", {"location": "Rome"}),
            ),
            text_response("Sunny."),
        ]
    )
    agent = fantasy.Agent(model, tools=[traced, traced_async], telemetry=otel.telemetry())
    run(agent, face)
    tools = {s.name: s for s in otel.named("execute_tool")}
    for inner, outer in (("geocode", "traced"), ("geocode async", "traced_async")):
        (span,) = [s for s in otel.spans if s.name == inner]
        assert span.parent is not None
        assert span.parent.span_id == tools[f"execute_tool {outer}"].context.span_id


@pytest.mark.parametrize("face", FACES)
def test_a_run_inside_the_application_s_span_is_its_child(otel: Recorded, face: str) -> None:
    tracer = otel.tracer_provider.get_tracer("the-app")
    agent = fantasy.Agent(FakeModel([text_response("Hi")]), telemetry=otel.telemetry())
    if face in ("generate", "stream"):
        with tracer.start_as_current_span("handle request"):
            run(agent, face)
    else:

        async def handle() -> None:
            with tracer.start_as_current_span("handle request"):
                if face == "agenerate":
                    await agent.agenerate("hi")
                else:
                    await agent.astream("hi").collect()

        asyncio.run(handle())
    (request,) = [s for s in otel.spans if s.name == "handle request"]
    (invoke,) = otel.named("invoke_agent")
    assert invoke.parent is not None and invoke.parent.span_id == request.context.span_id
