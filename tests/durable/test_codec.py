"""What a durable run sends through Temporal survives the trip (no server needed)."""

from __future__ import annotations

import json

import pytest

import fantasy
from fantasy import _runtime
from fantasy.durable.temporal import codec
from fantasy.errors import InvalidArgumentError, ProviderTimeoutError
from fantasy.model import Call, Response, ResponseFormat
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.tools import ToolResponse
from fantasy.types import (
    FinishReason,
    TextContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    Usage,
    user_message,
)


def through_json(value: dict) -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(value))  # type: ignore[no-any-return]


def test_a_call_keeps_its_transport_settings_and_response_format() -> None:
    call = Call(
        [user_message("hi")],
        temperature=0.5,
        tool_choice="auto",
        headers={"X-Trace": "1"},
        user_agent="ua/1",
        timeout=12.5,
        response_format=ResponseFormat({"type": "object"}, "answer", "the answer"),
    )
    back = codec.call_from_json(through_json(codec.call_to_json(call)))
    assert back == call


def test_a_response_keeps_its_raw_finish_reason() -> None:
    response = Response(
        fantasy.ResponseContent([TextContent("hello")]),
        FinishReason.LENGTH,
        Usage(3, 4, 7),
        raw_finish_reason="max_tokens",
    )
    assert codec.response_from_json(through_json(codec.response_to_json(response))) == response


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            ToolResultContent("c", "t", ToolResultOutputText("ok"), client_metadata='{"a":1}'),
            ToolResponse("text", "ok", metadata='{"a":1}'),
        ),
        (
            ToolResultContent("c", "t", ToolResultOutputError("boom"), stop_turn=True),
            ToolResponse("text", "boom", is_error=True, stop_turn=True),
        ),
        (
            ToolResultContent("c", "t", ToolResultOutputMedia("AAEC", "image/png", "a dot")),
            ToolResponse("media", "a dot", b"\x00\x01\x02", "image/png"),
        ),
    ],
)
def test_a_tool_result_comes_back_as_the_response_the_tool_gave(
    result: ToolResultContent, expected: ToolResponse
) -> None:
    data = through_json(codec.tool_result_to_json(result))
    assert codec.tool_response_from_json(data) == expected


def test_a_run_result_comes_back_with_its_steps_messages_and_usage() -> None:
    @fantasy.tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    model = FakeModel(
        [
            tool_call_response(("c1", "echo", {"text": "x"})),
            text_response("done", usage=Usage(1, 2, 3)),
        ]
    )
    result = fantasy.Agent(model, tools=[echo]).generate(
        "go", messages=[user_message("before"), {"role": "assistant", "content": "ok"}]
    )
    back = codec.result_from_json(through_json(codec.result_to_json(result)))
    assert back.text == "done"
    assert back.all_messages() == result.all_messages()
    assert back.total_usage == result.total_usage
    assert [s.finish_reason for s in back.steps] == [s.finish_reason for s in result.steps]
    assert back.steps[0].model is not None
    assert (back.steps[0].model.provider, back.steps[0].model.model) == ("fake", "fake-model")


def test_options_travel_as_json_and_code_is_refused() -> None:
    options = {
        "messages": [user_message("earlier")],
        "max_steps": 4,
        "active_tools": ("a",),
        "provider_options": {},
        "temperature": None,
    }
    data = through_json(codec.options_to_json(options, "start_run"))
    assert codec.options_from_json(data) == {
        "messages": [user_message("earlier")],
        "max_steps": 4,
        "active_tools": ["a"],
        "provider_options": {},
    }
    with pytest.raises(InvalidArgumentError, match="limiter= cannot be given to a durable run"):
        codec.options_to_json({"limiter": object()}, "start_run")


def test_files_and_provider_options_travel_whole() -> None:
    from fantasy.providers import openai
    from fantasy.types import FilePart

    options = {
        "files": [FilePart(b"\x89PNG\r\n", "image/png", "dot.png")],
        "provider_options": {"openai": openai.ProviderOptions(user="u-1", logprobs=True)},
        "headers": {"X-Run": "7"},
        "approval_timeout": 30.0,
    }
    back = codec.options_from_json(through_json(codec.options_to_json(options, "start_run")))
    assert back == options


def test_the_loop_reads_the_clock_a_workflow_sets() -> None:
    """A run's total_timeout reads `_runtime.monotonic`: a durable run gives it the
    workflow's clock, so a replay decides as the first run did."""
    now = [100.0]

    def step_then_jump(call: Call) -> Response:
        now[0] += 61  # the first request "took" 61 s of the clock the run reads
        return tool_call_response(("c1", "echo", {"text": "x"}))

    @fantasy.tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    agent = fantasy.Agent(FakeModel([step_then_jump, text_response("never")]), tools=[echo])
    with _runtime.clock(lambda: now[0]), pytest.raises(ProviderTimeoutError, match="total_timeout"):
        agent.generate("go", total_timeout=60)
    # Without a clock set, the real one: the same run finishes.
    agent = fantasy.Agent(FakeModel([step_then_jump, text_response("done")]), tools=[echo])
    assert agent.generate("go", total_timeout=60).text == "done"
