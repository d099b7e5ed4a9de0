"""The streaming agent: parts, callbacks and their order, assembly, errors and retries.

Mirrors Fantasy's agent_stream_test.go through both streaming faces (``stream`` and
``astream``), with fantasy's deliberate differences: ``on_error`` fires for every
failure (prompt validation and prepare_step included), and an exception raised by any
callback fails the run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import pytest

import fantasy
from fantasy import (
    Agent,
    FinishReason,
    ProviderError,
    ReasoningContent,
    Role,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputText,
    Usage,
)
from fantasy.testing import (
    FakeModel,
    RecordingSleep,
    error_part,
    finish_part,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
    text_response,
)

if TYPE_CHECKING:
    from conftest import RunAgent

StreamFace = Literal["stream", "astream"]
TIMEOUT = 10.0

CALLBACK_FOR_PART: dict[StreamPartType, str] = {
    StreamPartType.WARNINGS: "on_warnings",
    StreamPartType.TEXT_START: "on_text_start",
    StreamPartType.TEXT_DELTA: "on_text_delta",
    StreamPartType.TEXT_END: "on_text_end",
    StreamPartType.REASONING_START: "on_reasoning_start",
    StreamPartType.REASONING_DELTA: "on_reasoning_delta",
    StreamPartType.REASONING_END: "on_reasoning_end",
    StreamPartType.TOOL_INPUT_START: "on_tool_input_start",
    StreamPartType.TOOL_INPUT_DELTA: "on_tool_input_delta",
    StreamPartType.TOOL_INPUT_END: "on_tool_input_end",
    StreamPartType.TOOL_CALL: "on_tool_call",
    StreamPartType.SOURCE: "on_source",
    StreamPartType.FILE: "on_file",
    StreamPartType.FINISH: "on_stream_finish",
}

ALL_CALLBACKS = (
    "on_agent_start",
    "on_agent_finish",
    "on_step_start",
    "on_step_finish",
    "on_finish",
    "on_error",
    "on_chunk",
    *CALLBACK_FOR_PART.values(),
    "on_tool_result",
)


# --------------------------------------------------------------------------- helpers


@pytest.fixture(params=("stream", "astream"))
def face(request: pytest.FixtureRequest) -> StreamFace:
    return request.param  # type: ignore[no-any-return]


def collect(
    agent: Agent, face: StreamFace, prompt: str = "go", **options: Any
) -> tuple[list[StreamPart], fantasy.AgentResult]:
    """Iterate the stream to the end through one face; return its parts and result."""
    if face == "stream":
        stream = agent.stream(prompt, **options)
        parts = list(stream)
        return parts, stream.result

    async def consume() -> tuple[list[StreamPart], fantasy.AgentResult]:
        astream = agent.astream(prompt, **options)
        parts = [part async for part in astream]
        return parts, astream.result

    return asyncio.run(consume())


class Events:
    """Records every callback as ``(name, args)``; thread-safe, sync or async callbacks."""

    def __init__(self) -> None:
        self.log: list[tuple[str, tuple[Any, ...]]] = []
        self._lock = threading.Lock()

    def _record(self, name: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self.log.append((name, args))

    def callbacks(self, *, use_async: bool = False) -> dict[str, Callable[..., Any]]:
        def make(name: str) -> Callable[..., Any]:
            if use_async:

                async def async_callback(*args: Any) -> None:
                    await asyncio.sleep(0)
                    self._record(name, args)

                return async_callback

            def callback(*args: Any) -> None:
                self._record(name, args)

            return callback

        return {name: make(name) for name in ALL_CALLBACKS}

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def args(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.log if n == name]


def expected_part_events(parts: list[StreamPart]) -> list[str]:
    """What Fantasy fires for a model's parts: on_chunk, then the type's own callback."""
    out: list[str] = []
    for part in parts:
        out.append("on_chunk")
        out.append(CALLBACK_FOR_PART[part.type])
    return out


def make_weather() -> tuple[fantasy.TypedTool, list[str]]:
    seen: list[str] = []

    @fantasy.tool
    def weather(location: str) -> str:
        """Get the weather."""
        seen.append(location)
        return f"sunny in {location}"

    return weather, seen


WEATHER_CALLS = (
    ("c1", "weather", '{"location": "Paris"}'),
    ("c2", "weather", '{"location": "Rome"}'),
)


# --------------------------------------------------------------------------- callback order


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-callbacks", "async-callbacks"])
def test_callbacks_fire_in_fantasys_order(face: StreamFace, use_async: bool) -> None:
    weather, _ = make_weather()
    step1 = stream_parts_for_tool_calls(*WEATHER_CALLS, text="Checking")
    step2 = stream_parts_for_text("Sunny in both.")
    model = FakeModel([step1, step2])
    events = Events()

    collect(Agent(model, tools=[weather]), face, **events.callbacks(use_async=use_async))

    assert events.names == [
        "on_agent_start",
        "on_step_start",
        *expected_part_events(step1),
        "on_tool_result",
        "on_tool_result",
        "on_step_finish",
        "on_step_start",
        *expected_part_events(step2),
        "on_step_finish",
        "on_finish",
        "on_agent_finish",
    ]
    assert events.args("on_step_start") == [(0,), (1,)]


def test_on_chunk_gets_each_model_part_before_its_own_callback(face: StreamFace) -> None:
    parts = stream_parts_for_text(["a", "b"])
    model = FakeModel([parts])
    events = Events()

    collect(Agent(model), face, **events.callbacks())

    chunks = [args[0] for args in events.args("on_chunk")]
    assert chunks == parts


def test_every_tool_call_is_reported_before_any_tool_result(face: StreamFace) -> None:
    weather, _ = make_weather()
    model = FakeModel([stream_parts_for_tool_calls(*WEATHER_CALLS), stream_parts_for_text("ok")])
    events = Events()

    collect(Agent(model, tools=[weather]), face, **events.callbacks())

    tool_events = [n for n in events.names if n in ("on_tool_call", "on_tool_result")]
    assert tool_events == ["on_tool_call", "on_tool_call", "on_tool_result", "on_tool_result"]


def test_all_part_callbacks_fire_and_tool_input_alone_makes_no_call(face: StreamFace) -> None:
    warning = fantasy.CallWarning(fantasy.CallWarningType.UNSUPPORTED_SETTING, setting="top_k")
    usage = Usage(4, 6, 10)
    parts = [
        StreamPart(StreamPartType.WARNINGS, warnings=[warning]),
        StreamPart(StreamPartType.REASONING_START, id="r"),
        StreamPart(StreamPartType.REASONING_DELTA, id="r", delta="think"),
        StreamPart(StreamPartType.REASONING_END, id="r"),
        StreamPart(StreamPartType.TEXT_START, id="t"),
        StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="Hello"),
        StreamPart(StreamPartType.TEXT_END, id="t"),
        StreamPart(StreamPartType.TOOL_INPUT_START, id="c1", tool_call_name="weather"),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id="c1", delta='{"location":'),
        StreamPart(StreamPartType.TOOL_INPUT_END, id="c1"),
        StreamPart(StreamPartType.SOURCE, id="s1", source_type=SourceType.URL, url="https://x.y"),
        StreamPart(StreamPartType.FILE, file=fantasy.FileContent(b"img", "image/png")),
        finish_part(usage, FinishReason.STOP, {"fake": {"id": "resp-1"}}),
    ]
    weather, seen = make_weather()
    model = FakeModel([parts])
    events = Events()

    _, result = collect(Agent(model, tools=[weather]), face, **events.callbacks())

    assert events.args("on_warnings") == [([warning],)]
    assert events.args("on_reasoning_start") == [("r", ReasoningContent(""))]
    assert events.args("on_reasoning_delta") == [("r", "think")]
    assert events.args("on_reasoning_end") == [("r", ReasoningContent("think"))]
    assert events.args("on_text_start") == [("t",)]
    assert events.args("on_text_delta") == [("t", "Hello")]
    assert events.args("on_text_end") == [("t",)]
    assert events.args("on_tool_input_start") == [("c1", "weather")]
    assert events.args("on_tool_input_delta") == [("c1", '{"location":')]
    assert events.args("on_tool_input_end") == [("c1",)]
    assert events.args("on_source") == [(SourceContent(SourceType.URL, "s1", url="https://x.y"),)]
    assert events.args("on_file") == [(fantasy.FileContent(b"img", "image/png"),)]
    assert events.args("on_stream_finish") == [
        (usage, FinishReason.STOP, {"fake": {"id": "resp-1"}})
    ]
    assert events.args("on_tool_call") == []
    assert events.args("on_tool_result") == []
    assert events.args("on_error") == []
    fired = set(events.names)
    assert fired == set(ALL_CALLBACKS) - {"on_tool_call", "on_tool_result", "on_error"}
    assert seen == []
    step = result.steps[0]
    assert step.warnings == [warning]
    assert step.provider_metadata == {"fake": {"id": "resp-1"}}
    assert step.content.tool_calls == []
    assert [c.type for c in step.content] == ["reasoning", "text", "source", "file"]


def test_streamed_tool_call_reports_input_deltas_verbatim_and_the_full_input(
    face: StreamFace,
) -> None:
    weather, seen = make_weather()
    step1 = [
        StreamPart(StreamPartType.TOOL_INPUT_START, id="c1", tool_call_name="weather"),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id="c1", delta='{"loca'),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id="c1", delta='tion": "Oslo"}'),
        StreamPart(StreamPartType.TOOL_INPUT_END, id="c1"),
        StreamPart(
            StreamPartType.TOOL_CALL,
            id="c1",
            tool_call_name="weather",
            tool_call_input='{"location": "Oslo"}',
        ),
        finish_part(finish_reason=FinishReason.TOOL_CALLS),
    ]
    model = FakeModel([step1, stream_parts_for_text("Sunny.")])
    events = Events()

    _, result = collect(Agent(model, tools=[weather]), face, **events.callbacks())

    assert events.args("on_tool_input_delta") == [("c1", '{"loca'), ("c1", 'tion": "Oslo"}')]
    assert events.args("on_tool_call") == [
        (ToolCallContent("c1", "weather", '{"location": "Oslo"}'),)
    ]
    ((tool_result,),) = events.args("on_tool_result")
    assert tool_result.result == ToolResultOutputText("sunny in Oslo")
    assert seen == ["Oslo"]
    assert len(result.steps) == 2
    assert result.text == "Sunny."


def test_on_tool_call_gets_the_validated_call(face: StreamFace) -> None:
    weather, _ = make_weather()
    model = FakeModel(
        [stream_parts_for_tool_calls(("c1", "weather", "{}")), stream_parts_for_text("ok")]
    )
    events = Events()

    collect(Agent(model, tools=[weather]), face, **events.callbacks())

    ((call,),) = events.args("on_tool_call")
    assert call.invalid
    assert call.validation_error == "missing required parameter: location"


def test_on_tool_result_fires_in_completion_order_but_results_keep_call_order(
    face: StreamFace,
) -> None:
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    fast_reported = threading.Event()

    @fantasy.tool(parallel=True)
    def slow() -> str:
        barrier.wait()  # both run at once...
        assert fast_reported.wait(TIMEOUT)  # ...and this one ends after fast was reported
        return "slow"

    @fantasy.tool(parallel=True)
    def fast() -> str:
        barrier.wait()
        return "fast"

    model = FakeModel(
        [
            stream_parts_for_tool_calls(("c1", "slow", "{}"), ("c2", "fast", "{}")),
            stream_parts_for_text("ok"),
        ]
    )
    events = Events()
    callbacks = events.callbacks()
    record_result = callbacks["on_tool_result"]

    def on_tool_result(result: ToolResultContent) -> None:
        record_result(result)
        if result.tool_call_id == "c2":
            fast_reported.set()

    callbacks["on_tool_result"] = on_tool_result

    parts, result = collect(Agent(model, tools=[slow, fast]), face, **callbacks)

    assert [args[0].tool_call_id for args in events.args("on_tool_result")] == ["c2", "c1"]
    assert [r.tool_call_id for r in result.steps[0].content.tool_results] == ["c1", "c2"]
    emitted = [p.id for p in parts if p.type is StreamPartType.TOOL_RESULT]
    assert emitted == ["c1", "c2"]


# --------------------------------------------------------------------------- assembly


def test_text_deltas_are_joined_and_usage_comes_from_finish(face: StreamFace) -> None:
    usage = Usage(3, 5, 8)
    model = FakeModel([stream_parts_for_text(["Hel", "lo, ", "world"], usage=usage)])

    _, result = collect(Agent(model), face)

    assert result.text == "Hello, world"
    assert result.total_usage == usage
    assert result.response.finish_reason is FinishReason.STOP


def test_reasoning_and_text_are_kept_apart(face: StreamFace) -> None:
    parts = stream_parts_for_text("The answer", reasoning=["First ", "I think"])
    model = FakeModel([parts])

    _, result = collect(Agent(model), face)

    content = result.response.content
    assert content.reasoning_text == "First I think"
    assert content.text == "The answer"
    assert [c.type for c in content] == ["reasoning", "text"]


def test_text_metadata_comes_from_the_end_part(face: StreamFace) -> None:
    parts = [
        StreamPart(StreamPartType.TEXT_START, id="t", provider_metadata={"p": "start"}),
        StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="hi", provider_metadata={"p": "d"}),
        StreamPart(StreamPartType.TEXT_END, id="t", provider_metadata={"p": "end"}),
        finish_part(),
    ]
    model = FakeModel([parts])

    _, result = collect(Agent(model), face)

    assert result.response.content == [TextContent("hi", {"p": "end"})]


def test_reasoning_is_seeded_by_its_start_and_later_metadata_replaces_earlier(
    face: StreamFace,
) -> None:
    parts = [
        StreamPart(
            StreamPartType.REASONING_START, id="r", delta="seed ", provider_metadata={"s": 1}
        ),
        StreamPart(
            StreamPartType.REASONING_DELTA, id="r", delta="more", provider_metadata={"s": 2}
        ),
        StreamPart(StreamPartType.REASONING_END, id="r"),
        StreamPart(StreamPartType.REASONING_START, id="q", provider_metadata={"s": 1}),
        StreamPart(StreamPartType.REASONING_DELTA, id="q", delta="x"),
        StreamPart(StreamPartType.REASONING_END, id="q", provider_metadata={"s": 3}),
        finish_part(),
    ]
    model = FakeModel([parts])
    events = Events()

    _, result = collect(Agent(model), face, **events.callbacks())

    assert result.response.content == [
        ReasoningContent("seed more", {"s": 2}),
        ReasoningContent("x", {"s": 3}),
    ]
    assert events.args("on_reasoning_start")[0] == ("r", ReasoningContent("seed ", {"s": 1}))
    assert events.args("on_reasoning_end") == [
        ("r", ReasoningContent("seed more", {"s": 2})),
        ("q", ReasoningContent("x", {"s": 3})),
    ]


def test_text_without_end_is_lost_and_deltas_without_start_are_not_kept(
    face: StreamFace,
) -> None:
    parts = [
        StreamPart(StreamPartType.TEXT_DELTA, id="orphan", delta="no start"),
        StreamPart(StreamPartType.TEXT_START, id="t"),
        StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="never ended"),
        finish_part(),
    ]
    model = FakeModel([parts])
    events = Events()

    _, result = collect(Agent(model), face, **events.callbacks())

    assert result.response.content == []
    assert events.args("on_text_delta") == [("orphan", "no start"), ("t", "never ended")]


def test_sources_are_collected_in_order(face: StreamFace) -> None:
    parts = [
        StreamPart(
            StreamPartType.SOURCE,
            id="s1",
            source_type=SourceType.URL,
            url="https://example.com",
            title="Example",
        ),
        StreamPart(StreamPartType.SOURCE, id="s2", source_type=SourceType.DOCUMENT, title="Doc"),
        *stream_parts_for_text("cited"),
    ]
    model = FakeModel([parts])
    events = Events()

    _, result = collect(Agent(model), face, **events.callbacks())

    sources = result.response.content.sources
    assert sources == [
        SourceContent(SourceType.URL, "s1", url="https://example.com", title="Example"),
        SourceContent(SourceType.DOCUMENT, "s2", title="Doc"),
    ]
    assert [args[0] for args in events.args("on_source")] == sources
    assert result.steps[0].messages[0].content == [fantasy.TextPart("cited")]


def test_step_content_is_in_stream_order_followed_by_tool_results(face: StreamFace) -> None:
    weather, seen = make_weather()
    parts = [
        StreamPart(StreamPartType.TEXT_START, id="t"),
        StreamPart(StreamPartType.REASONING_START, id="r"),
        StreamPart(StreamPartType.REASONING_DELTA, id="r", delta="hmm"),
        StreamPart(StreamPartType.REASONING_END, id="r"),
        StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="Hello"),
        StreamPart(
            StreamPartType.TOOL_CALL,
            id="c1",
            tool_call_name="weather",
            tool_call_input='{"location": "Nice"}',
        ),
        StreamPart(StreamPartType.TEXT_END, id="t"),
        StreamPart(StreamPartType.SOURCE, id="s", source_type=SourceType.URL, url="u"),
        finish_part(finish_reason=FinishReason.STOP),
    ]
    model = FakeModel([parts])

    _, result = collect(Agent(model, tools=[weather]), face)

    assert [c.type for c in result.steps[0].content] == [
        "reasoning",
        "tool-call",
        "text",
        "source",
        "tool-result",
    ]
    assert seen == ["Nice"]
    assert len(result.steps) == 1


def test_provider_executed_results_are_recorded_but_client_results_from_the_model_are_not(
    face: StreamFace,
) -> None:
    parts = [
        StreamPart(
            StreamPartType.TOOL_CALL,
            id="ws",
            tool_call_name="web_search",
            tool_call_input="{}",
            provider_executed=True,
        ),
        StreamPart(
            StreamPartType.TOOL_RESULT, id="ws", tool_call_name="web_search", provider_executed=True
        ),
        StreamPart(StreamPartType.TOOL_RESULT, id="other", tool_call_name="weather"),
        finish_part(finish_reason=FinishReason.TOOL_CALLS),
    ]
    model = FakeModel([parts])
    events = Events()

    _, result = collect(Agent(model), face, **events.callbacks())

    (recorded,) = result.steps[0].content.tool_results
    assert (recorded.tool_call_id, recorded.provider_executed) == ("ws", True)
    assert [args[0].tool_call_id for args in events.args("on_tool_result")] == ["ws"]
    assert len(result.steps) == 1  # a provider-executed call does not continue the loop


def test_a_stream_without_finish_part_ends_the_run_with_unknown_reason(face: StreamFace) -> None:
    weather, seen = make_weather()
    parts = stream_parts_for_tool_calls(("c1", "weather", '{"location": "Bern"}'))[:-1]
    model = FakeModel([parts])

    _, result = collect(Agent(model, tools=[weather]), face)

    assert seen == ["Bern"]
    assert len(result.steps) == 1
    assert result.steps[0].finish_reason is FinishReason.UNKNOWN


# --------------------------------------------------------------------------- parts and result


def test_iterating_yields_model_parts_and_tool_result_parts_then_the_result(
    face: StreamFace,
) -> None:
    weather, _ = make_weather()
    step1 = stream_parts_for_tool_calls(*WEATHER_CALLS)
    step2 = stream_parts_for_text("Both sunny.")
    model = FakeModel([step1, step2])

    parts, result = collect(Agent(model, tools=[weather]), face)

    tool_results = [p for p in parts if p.type is StreamPartType.TOOL_RESULT]
    assert parts == [*step1, *tool_results, *step2]
    assert [p.id for p in tool_results] == ["c1", "c2"]
    assert [p.tool_call_name for p in tool_results] == ["weather", "weather"]
    assert all(isinstance(p.tool_result, ToolResultContent) for p in tool_results)
    assert [p.tool_result for p in tool_results] == result.steps[0].content.tool_results
    assert result.text == "Both sunny."


def test_result_after_partial_iteration_finishes_the_run() -> None:
    model = FakeModel([stream_parts_for_text(["a", "b", "c"])])
    stream = Agent(model).stream("go")

    first = next(iter(stream))

    assert first.type is StreamPartType.TEXT_START
    assert stream.result.text == "abc"


def test_result_without_iteration_runs_the_stream() -> None:
    model = FakeModel([text_response("scripted as a response")])

    assert Agent(model).stream("go").result.text == "scripted as a response"


def test_a_stream_can_be_iterated_only_once() -> None:
    stream = Agent(FakeModel([stream_parts_for_text("x")])).stream("go")
    list(stream)

    with pytest.raises(RuntimeError, match="once"):
        iter(stream)


def test_breaking_out_of_a_stream_stops_the_run() -> None:
    weather, seen = make_weather()
    model = FakeModel([stream_parts_for_tool_calls(WEATHER_CALLS[0]), stream_parts_for_text("x")])
    stream = Agent(model, tools=[weather]).stream("go")

    for part in stream:
        if part.type is StreamPartType.TOOL_INPUT_START:
            break

    assert seen == []
    assert len(model.calls) == 1


def test_result_after_a_failed_stream_raises_the_runs_error_again(face: StreamFace) -> None:
    failure = ValueError("boom")
    model = FakeModel([[error_part(failure)]])

    if face == "stream":
        stream = Agent(model).stream("go")
        with pytest.raises(ValueError):
            list(stream)
        with pytest.raises(ValueError) as info:
            _ = stream.result
        assert info.value is failure
        return

    async def main() -> None:
        astream = Agent(model).astream("go")
        with pytest.raises(ValueError):
            await astream.collect()
        with pytest.raises(ValueError) as again:
            _ = astream.result
        assert again.value is failure
        with pytest.raises(ValueError):
            await astream.collect()

    asyncio.run(main())


def test_result_after_a_failing_on_finish_is_the_failure_not_a_result() -> None:
    def on_finish(_: fantasy.AgentResult) -> None:
        raise KeyError("listener broke")

    stream = Agent(FakeModel([stream_parts_for_text("x")])).stream("go", on_finish=on_finish)

    with pytest.raises(KeyError):
        list(stream)
    with pytest.raises(KeyError):
        _ = stream.result


def test_result_after_breaking_out_says_the_run_did_not_finish() -> None:
    stream = Agent(FakeModel([stream_parts_for_text("x")])).stream("go")
    iterator = iter(stream)
    next(iterator)
    iterator.close()  # what leaving a for loop early does once the iterator is dropped

    with pytest.raises(RuntimeError, match="closed before the run finished"):
        _ = stream.result


async def test_an_async_stream_can_be_awaited_for_its_result() -> None:
    model = FakeModel([stream_parts_for_text("awaited")])

    result = await Agent(model).astream("go")

    assert result.text == "awaited"


async def test_async_stream_result_before_the_end_is_an_error() -> None:
    astream = Agent(FakeModel([stream_parts_for_text("x")])).astream("go")

    with pytest.raises(RuntimeError, match="not finished"):
        _ = astream.result
    assert (await astream.collect()).text == "x"


# --------------------------------------------------------------------------- errors


def test_an_error_part_fails_the_run_and_calls_on_error(face: StreamFace) -> None:
    failure = ProviderError("invalid request", title="bad request", status_code=400)
    model = FakeModel([[*stream_parts_for_text("partial")[:2], error_part(failure)]])
    events = Events()

    with pytest.raises(ProviderError) as info:
        collect(Agent(model, sleep=RecordingSleep()), face, **events.callbacks())

    assert info.value is failure
    assert events.args("on_error") == [(failure,)]
    assert "on_finish" not in events.names
    assert "on_agent_finish" not in events.names
    assert "on_step_finish" not in events.names
    assert len(model.calls) == 1


def test_a_retryable_error_after_output_was_streamed_is_raised_not_retried(
    face: StreamFace,
) -> None:
    """A retry would stream a second answer after the first one's text: the caller
    would see (and a UI would show) both. The error is raised instead, once."""
    weather, seen = make_weather()
    failure = ProviderError("overloaded", title="service unavailable", status_code=503)
    first_attempt = [
        *stream_parts_for_text("partial", usage=Usage(50, 50, 100))[:-1],
        *stream_parts_for_tool_calls(("c0", "weather", '{"location": "Lost"}'))[:-1],
        StreamPart(StreamPartType.TEXT_START, id="open"),
        StreamPart(StreamPartType.TEXT_DELTA, id="open", delta="dangling"),
        error_part(failure),
    ]
    model = FakeModel([first_attempt, stream_parts_for_text("never asked for")])
    sleep = RecordingSleep()
    events = Events()

    with pytest.raises(ProviderError) as info:
        collect(Agent(model, tools=[weather], sleep=sleep), face, **events.callbacks())

    assert info.value is failure
    assert any("not retried" in note for note in info.value.__notes__)
    assert len(model.calls) == 1 and model.remaining == 1
    assert sleep.delays == []
    assert seen == [], "the half-streamed step's tool call did not run"
    assert [a[1] for a in events.args("on_text_delta")] == ["partial", "dangling"]
    assert events.args("on_error") == [(failure,)]
    partial = info.value.partial_result
    assert partial.steps == []
    assert [m.role for m in partial.all_messages()] == [Role.USER]


def test_a_connection_dropped_mid_stream_is_raised_not_retried(face: StreamFace) -> None:
    drop = ConnectionResetError("peer reset")
    dropped = [*stream_parts_for_text("half")[:2], drop]
    model = FakeModel([dropped, stream_parts_for_text("whole")])
    sleep = RecordingSleep()

    with pytest.raises(ConnectionResetError) as info:
        collect(Agent(model, sleep=sleep), face)

    assert info.value is drop
    assert len(model.calls) == 1
    assert sleep.delays == []


def test_an_error_before_any_output_is_retried_from_scratch(face: StreamFace) -> None:
    failure = ProviderError("overloaded", title="service unavailable", status_code=503)
    warnings = StreamPart(StreamPartType.WARNINGS, warnings=[])
    model = FakeModel([[warnings, error_part(failure)], stream_parts_for_text("complete")])
    sleep = RecordingSleep()
    retries: list[tuple[ProviderError | None, float]] = []
    events = Events()

    _, result = collect(
        Agent(model, sleep=sleep),
        face,
        on_retry=lambda err, delay: retries.append((err, delay)),
        **{k: v for k, v in events.callbacks().items() if k != "on_error"},
    )

    assert retries == [(failure, 5.0)]
    assert len(model.calls) == 2
    assert result.text == "complete"
    assert [a[1] for a in events.args("on_text_delta")] == ["complete"]
    assert events.args("on_step_start") == [(0,)]


def test_a_model_error_before_streaming_is_retried(run_stream: RunAgent) -> None:
    model = FakeModel([ProviderError("slow down", status_code=429), stream_parts_for_text("ok")])
    sleep = RecordingSleep()

    result = run_stream(Agent(model, sleep=sleep), "go")

    assert result.text == "ok"
    assert sleep.delays == [5.0]


def test_an_empty_prompt_fails_at_the_call_before_any_callback(face: StreamFace) -> None:
    events = Events()
    model = FakeModel()

    with pytest.raises(fantasy.InvalidArgumentError) as info:
        if face == "stream":
            Agent(model).stream("", **events.callbacks())
        else:
            Agent(model).astream("", **events.callbacks())

    assert events.names == []
    assert info.value.message == "prompt can't be empty when there are no messages"


def test_a_prepare_step_error_calls_on_error(face: StreamFace) -> None:
    events = Events()

    def prepare(_: fantasy.PrepareStepOptions) -> None:
        raise LookupError("bad step")

    with pytest.raises(LookupError):
        collect(Agent(FakeModel(), prepare_step=prepare), face, **events.callbacks())

    assert events.names == ["on_agent_start", "on_error"]


def test_a_tool_critical_error_calls_on_error_with_tool_execution_error(face: StreamFace) -> None:
    @fantasy.tool
    def fatal() -> str:
        raise fantasy.ToolCriticalError("stop")

    model = FakeModel([stream_parts_for_tool_calls(("c1", "fatal", "{}"))])
    events = Events()

    with pytest.raises(fantasy.ToolExecutionError):
        collect(Agent(model, tools=[fatal]), face, **events.callbacks())

    ((error,),) = events.args("on_error")
    assert isinstance(error, fantasy.ToolExecutionError)
    assert "on_step_finish" not in events.names


@pytest.mark.parametrize(
    "failing",
    [
        "on_agent_start",
        "on_step_start",
        "on_chunk",
        "on_text_delta",
        "on_tool_call",
        "on_tool_result",
        "on_stream_finish",
        "on_step_finish",
        "on_finish",
        "on_agent_finish",
    ],
)
def test_an_exception_from_any_callback_fails_the_run(face: StreamFace, failing: str) -> None:
    weather, _ = make_weather()
    model = FakeModel(
        [
            stream_parts_for_tool_calls(WEATHER_CALLS[0], text="Checking"),
            stream_parts_for_text("done"),
        ]
    )
    errors: list[BaseException] = []

    class CallbackFailed(Exception):
        pass

    def fail(*_: Any) -> None:
        raise CallbackFailed(failing)

    with pytest.raises(CallbackFailed, match=failing):
        collect(
            Agent(model, tools=[weather], sleep=RecordingSleep()),
            face,
            on_error=errors.append,
            **{failing: fail},
        )

    assert len(errors) == 1
    assert isinstance(errors[0], CallbackFailed)


def test_async_callbacks_and_async_tools_work_from_the_sync_stream() -> None:
    @fantasy.tool
    async def lookup(key: str) -> str:
        await asyncio.sleep(0)
        return f"value of {key}"

    seen: list[str] = []

    async def on_tool_result(result: ToolResultContent) -> None:
        await asyncio.sleep(0)
        assert isinstance(result.result, ToolResultOutputText)
        seen.append(result.result.text)

    model = FakeModel(
        [stream_parts_for_tool_calls(("c1", "lookup", '{"key": "k"}')), stream_parts_for_text("ok")]
    )

    stream = Agent(model, tools=[lookup]).stream("go", on_tool_result=on_tool_result)
    result = stream.result

    assert seen == ["value of k"]
    assert result.text == "ok"


def test_stream_sends_the_same_call_as_generate() -> None:
    weather, _ = make_weather()
    options: dict[str, Any] = {"temperature": 0.0, "headers": {"X-Test": "1"}}
    generated = FakeModel([text_response("ok")])
    streamed = FakeModel([text_response("ok")])
    kwargs: dict[str, Any] = {"system_prompt": "sys", "tools": [weather], "user_agent": "ua/1"}

    Agent(generated, **kwargs).generate("go", **options)
    _ = Agent(streamed, **kwargs).stream("go", **options).result

    assert streamed.last_call == generated.last_call


def test_sync_stream_as_context_manager_closes_the_model_stream_early() -> None:
    import fantasy
    from fantasy.testing import FakeModel, stream_parts_for_text

    closed: list[bool] = []

    class ClosingModel(FakeModel):
        async def astream(self, call):  # type: ignore[no-untyped-def,override]
            try:
                async for part in super().astream(call):
                    yield part
            finally:
                closed.append(True)

    model = ClosingModel([stream_parts_for_text("hello world")])
    with fantasy.Agent(model).stream("hi") as stream:
        for _part in stream:
            break
    assert closed == [True]
    with pytest.raises(RuntimeError, match="closed before the run finished"):
        _ = stream.result


async def test_async_stream_as_context_manager_closes_the_model_stream_early() -> None:
    import fantasy
    from fantasy.testing import FakeModel, stream_parts_for_text

    closed: list[bool] = []

    class ClosingModel(FakeModel):
        async def astream(self, call):  # type: ignore[no-untyped-def,override]
            try:
                async for part in super().astream(call):
                    yield part
            finally:
                closed.append(True)

    model = ClosingModel([stream_parts_for_text("hello world")])
    async with fantasy.Agent(model).astream("hi") as stream:
        async for _part in stream:
            break
    assert closed == [True]


def test_a_generated_file_and_a_whole_citation_reach_the_result(face: StreamFace) -> None:
    image = fantasy.FileContent(b"\x89PNG...", "image/png", {"openai": {"id": "ig_1"}})
    cite = SourceContent(
        SourceType.DOCUMENT, "c1", title="Report", media_type="application/pdf", filename="r.pdf"
    )
    parts = [
        StreamPart(StreamPartType.FILE, file=image),
        StreamPart(StreamPartType.SOURCE, id="c1", source_type=SourceType.DOCUMENT, source=cite),
        *stream_parts_for_text("done"),
    ]
    events = Events()
    _, result = collect(Agent(FakeModel([parts])), face, **events.callbacks())
    assert result.steps[0].content[:2] == [image, cite]
    assert events.args("on_file") == [(image,)]
    assert events.args("on_source") == [(cite,)]


def test_warnings_that_arrive_mid_stream_are_kept_with_the_first(face: StreamFace) -> None:
    first = fantasy.CallWarning(fantasy.CallWarningType.UNSUPPORTED_SETTING, "top_k")
    later = fantasy.CallWarning(fantasy.CallWarningType.OTHER, message="unknown event 'x'")
    text = stream_parts_for_text("hi")
    parts = [
        StreamPart(StreamPartType.WARNINGS, warnings=[first]),
        *text[:-1],
        StreamPart(StreamPartType.WARNINGS, warnings=[later]),
        text[-1],
    ]
    events = Events()
    _, result = collect(Agent(FakeModel([parts])), face, **events.callbacks())
    assert result.steps[0].warnings == [first, later]
    assert events.args("on_warnings") == [([first],), ([later],)]
