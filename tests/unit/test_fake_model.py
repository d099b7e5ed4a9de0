"""fantasy.testing.fake: the scripted model and its builders are public API, so pin them."""

from __future__ import annotations

import asyncio

import pytest

import fantasy
from fantasy import (
    Call,
    FinishReason,
    Response,
    ResponseContent,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    Usage,
)
from fantasy.testing import (
    FakeModel,
    FakeModelError,
    RecordingSleep,
    error_part,
    stream_parts_for_response,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
    text_response,
    tool_call_response,
)


def types(parts: list[StreamPart]) -> list[str]:
    return [p.type.value for p in parts]


def test_fake_model_is_a_language_model() -> None:
    model = FakeModel(provider="acme", model="acme-1")

    assert isinstance(model, fantasy.LanguageModel)
    assert (model.provider, model.model) == ("acme", "acme-1")


def test_answers_are_consumed_in_order_and_calls_recorded() -> None:
    model = FakeModel([text_response("one")]).add(text_response("two"))
    first, second = Call([fantasy.user_message("a")]), Call([fantasy.user_message("b")])

    assert model.generate(first).text == "one"
    assert model.remaining == 1
    assert model.generate(second).text == "two"
    assert model.calls == [first, second]
    assert model.last_call == second
    assert model.remaining == 0


def test_recorded_calls_are_snapshots() -> None:
    model = FakeModel([text_response("ok")])
    prompt = [fantasy.user_message("a")]
    call = Call(prompt, headers={"X": "1"})

    model.generate(call)
    prompt.append(fantasy.user_message("later"))
    call.headers["Y"] = "2"

    assert model.last_call.prompt == [fantasy.user_message("a")]
    assert model.last_call.headers == {"X": "1"}


def test_a_call_beyond_the_script_fails_the_test() -> None:
    model = FakeModel([text_response("only")])
    model.generate(Call([]))

    with pytest.raises(FakeModelError, match="call #2 but the script had only 1"):
        model.generate(Call([]))


def test_last_call_before_any_call_is_an_error() -> None:
    with pytest.raises(FakeModelError):
        _ = FakeModel().last_call


def test_a_scripted_exception_is_raised_by_generate_and_stream() -> None:
    model = FakeModel([ValueError("down"), ValueError("still down")])

    with pytest.raises(ValueError, match="down"):
        model.generate(Call([]))
    with pytest.raises(ValueError, match="still down"):
        list(model.stream(Call([])))


def test_an_exception_inside_a_part_list_is_raised_when_reached() -> None:
    model = FakeModel([[*stream_parts_for_text("hi")[:2], ConnectionError("dropped")]])
    seen: list[StreamPart] = []

    with pytest.raises(ConnectionError):
        for part in model.stream(Call([])):
            seen.append(part)

    assert types(seen) == ["text_start", "text_delta"]


def test_generate_refuses_a_scripted_part_list() -> None:
    model = FakeModel([stream_parts_for_text("hi")])

    with pytest.raises(FakeModelError, match="stream parts"):
        model.generate(Call([]))


def test_a_scripted_function_answers_from_the_call() -> None:
    model = FakeModel([lambda call: text_response(f"{len(call.tools)} tools")])

    assert model.generate(Call([])).text == "0 tools"


def test_astream_records_the_call_when_it_is_made() -> None:
    model = FakeModel([stream_parts_for_text("x")])

    stream = model.astream(Call([]))

    assert len(model.calls) == 1

    async def drain() -> list[StreamPart]:
        return [p async for p in stream]

    assert types(asyncio.run(drain()))[-1] == "finish"


def test_text_response_builds_reasoning_then_text() -> None:
    response = text_response("hi", reasoning="hmm", usage=Usage(1, 2, 3))

    assert [c.type for c in response.content] == ["reasoning", "text"]
    assert response.finish_reason is FinishReason.STOP
    assert response.usage == Usage(1, 2, 3)


def test_tool_call_response_builds_text_then_calls() -> None:
    ready = ToolCallContent("c2", "b", "{}", provider_executed=True)

    response = tool_call_response(("c1", "a", '{"x": 1}'), ready, text="calling")

    assert response.content == [
        TextContent("calling"),
        ToolCallContent("c1", "a", '{"x": 1}'),
        ready,
    ]
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_stream_parts_for_text_sends_each_delta_then_finish() -> None:
    parts = stream_parts_for_text(["a", "b"], reasoning="r", usage=Usage(1, 1, 2))

    assert types(parts) == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_delta",
        "text_end",
        "finish",
    ]
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["a", "b"]
    assert parts[-1].usage == Usage(1, 1, 2)
    assert parts[-1].finish_reason is FinishReason.STOP


def test_stream_parts_for_tool_calls_stream_the_input_then_the_call() -> None:
    parts = stream_parts_for_tool_calls(("c1", "weather", '{"location": "Paris"}'))

    assert types(parts) == [
        "tool_input_start",
        "tool_input_delta",
        "tool_input_delta",
        "tool_input_end",
        "tool_call",
        "finish",
    ]
    deltas = "".join(p.delta for p in parts if p.type is StreamPartType.TOOL_INPUT_DELTA)
    assert deltas == '{"location": "Paris"}'
    call = parts[4]
    assert (call.id, call.tool_call_name, call.tool_call_input) == (
        "c1",
        "weather",
        '{"location": "Paris"}',
    )
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_stream_parts_for_response_keeps_content_order_and_end_metadata() -> None:
    content = ResponseContent(
        [
            TextContent("a", {"m": 1}),
            SourceContent(SourceType.URL, "s", url="u"),
            ToolCallContent("c", "t", "{}"),
        ]
    )
    response = Response(content, FinishReason.TOOL_CALLS, Usage(1, 1, 2))

    parts = stream_parts_for_response(response)

    assert types(parts) == [
        "text_start",
        "text_delta",
        "text_end",
        "source",
        "tool_input_start",
        "tool_input_delta",
        "tool_input_delta",
        "tool_input_end",
        "tool_call",
        "finish",
    ]
    assert parts[2].provider_metadata == {"m": 1}
    assert parts[-1].usage == Usage(1, 1, 2)


def test_a_scripted_answer_with_files_and_documents_streams_as_it_generates() -> None:
    # A provider streams a generated file as a ``file`` part and a cited document whole
    # (its media type and file name too); the fake streams a scripted answer the same
    # way, so the streamed step holds what the generated one does.
    content = [
        TextContent("Here is the chart."),
        fantasy.FileContent(b"\x89PNG", "image/png"),
        SourceContent(
            SourceType.DOCUMENT,
            "doc-1",
            title="Q3",
            media_type="application/pdf",
            filename="q3.pdf",
        ),
    ]

    def answer() -> Response:
        return Response(ResponseContent(list(content)), FinishReason.STOP, Usage(1, 1, 2))

    generated = fantasy.Agent(FakeModel([answer()])).generate("chart")
    streamed = fantasy.Agent(FakeModel([answer()])).stream("chart").result

    assert list(generated.steps[0].content) == content
    assert list(streamed.steps[0].content) == content


def test_a_streamed_response_round_trips_through_the_agent() -> None:
    model = FakeModel([text_response("same either way", usage=Usage(2, 3, 5))])

    result = fantasy.Agent(model).stream("go").result

    assert result.text == "same either way"
    assert result.total_usage == Usage(2, 3, 5)


def test_error_part_carries_the_error() -> None:
    err = RuntimeError("x")

    assert error_part(err) == StreamPart(StreamPartType.ERROR, error=err)


def test_recording_sleep_returns_at_once_and_remembers_delays() -> None:
    sleep = RecordingSleep()

    asyncio.run(sleep(1.5))
    asyncio.run(sleep(3))

    assert sleep.delays == [1.5, 3]
