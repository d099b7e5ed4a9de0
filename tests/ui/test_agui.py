"""AG-UI: every event the endpoint sends validates against the ``ag-ui-protocol``
package's own models (with no field they do not know), in the order the protocol
sets; ``RunAgentInput`` built with the package's models is decoded into the history."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from ag_ui.core import (
    AssistantMessage,
    Context,
    Event,
    FunctionCall,
    ResumeEntry,
    RunAgentInput,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from pydantic import BaseModel, TypeAdapter

import fantasy
import fantasy.ui
from fantasy import StreamPart, StreamPartType
from fantasy.testing import FakeModel, finish_part, stream_parts_for_tool_calls
from fantasy.types import (
    FinishReason,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)

from .conftest import answer_parts, serve, weather

EVENT = TypeAdapter(Event)


def run_input(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "thread_id": "thread-1",
        "run_id": "run-1",
        "state": {},
        "messages": [UserMessage(id="u1", content="Weather in Paris?")],
        "tools": [],
        "context": [],
        "forwarded_props": {},
    }
    base.update(fields)
    return RunAgentInput(**base).model_dump(mode="json", by_alias=True)


def no_unknown_fields(model: BaseModel, where: str) -> None:
    assert not model.model_extra, (
        f"{where}: fields the protocol does not define: {model.model_extra}"
    )
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                no_unknown_fields(item, f"{where}.{name}")


def agui_events(url: str, body: dict[str, Any]) -> list[Any]:
    response = httpx.post(url, json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    out = []
    for block in response.text.split("\n\n"):
        if block:
            assert block.startswith("data: ")
            event = EVENT.validate_python(json.loads(block[len("data: ") :]))
            no_unknown_fields(event, event.type.value)
            out.append(event)
    return out


def test_every_event_validates_against_the_ag_ui_models(
    weather_agent: tuple[fantasy.Agent[Any], FakeModel],
) -> None:
    agent, model = weather_agent
    with serve(fantasy.ui.asgi(agent, protocol="ag-ui")) as url:
        events = agui_events(url, run_input())
    types = [e.type.value for e in events]
    assert types == [
        "RUN_STARTED",
        "STEP_STARTED",
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_END",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "CUSTOM",
        "CUSTOM",
        "CUSTOM",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "STEP_FINISHED",
        "STEP_STARTED",
        "TEXT_MESSAGE_START",
        *["TEXT_MESSAGE_CONTENT"] * 7,
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "RUN_FINISHED",
    ]
    started, finished = events[0], events[-1]
    assert (started.thread_id, started.run_id) == ("thread-1", "run-1")
    assert (finished.thread_id, finished.run_id) == ("thread-1", "run-1")
    assert finished.result == "It is sunny in Paris, 21 °C."
    assert finished.usage[0].input_tokens == 30 and finished.usage[0].output_tokens == 13
    call = events[15]
    assert (call.tool_call_id, call.tool_call_name) == ("call-1", "weather")
    assert "".join(e.delta for e in events[16:18]) == '{"city": "Paris"}'
    result = events[19]
    assert result.tool_call_id == "call-1"
    assert json.loads(result.content) == {"city": "Paris", "forecast": "sunny", "celsius": 21}
    # Text ids are unique per run although the provider reused "t1" in both steps.
    first_text, second_text = events[8].message_id, events[22].message_id
    assert first_text != second_text
    assert {e.name for e in events[12:15]} == {"fantasy.source", "fantasy.file"}
    assert model.calls[0].prompt[-1].content == [TextPart("Weather in Paris?")]


def test_a_tool_call_sent_whole_still_gets_start_args_and_end() -> None:
    whole_call = [
        StreamPart(
            StreamPartType.TOOL_CALL,
            id="c9",
            tool_call_name="weather",
            tool_call_input='{"city":"Rome"}',
        ),
        finish_part(finish_reason=FinishReason.TOOL_CALLS),
    ]
    model = FakeModel([whole_call, answer_parts("ok")])
    agent = fantasy.Agent(model, tools=[weather])
    with serve(fantasy.ui.asgi(agent, protocol="ag-ui")) as url:
        events = agui_events(url, run_input())
    calls = [e for e in events if e.type.value.startswith("TOOL_CALL")]
    assert [e.type.value for e in calls] == [
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
    ]


def test_a_failed_run_ends_with_run_error_and_no_exception_text() -> None:
    agent = fantasy.Agent(FakeModel([RuntimeError("password=hunter2")]), max_retries=0)
    with serve(fantasy.ui.asgi(agent, protocol="ag-ui")) as url:
        events = agui_events(url, run_input())
    assert [e.type.value for e in events] == ["RUN_STARTED", "RUN_ERROR"]
    assert events[-1].message == "The agent run failed."
    assert events[-1].code == "RuntimeError"


def test_the_input_history_becomes_the_prompt() -> None:
    model = FakeModel([answer_parts("Done.")])
    body = run_input(
        messages=[
            UserMessage(id="u1", content="Weather in Paris and Rome?"),
            AssistantMessage(
                id="a1",
                content="Checking.",
                tool_calls=[
                    ToolCall(
                        id="c1", function=FunctionCall(name="weather", arguments='{"city":"Paris"}')
                    ),
                    ToolCall(
                        id="c2", function=FunctionCall(name="weather", arguments='{"city":"Rome"}')
                    ),
                ],
            ),
            ToolMessage(id="t1", tool_call_id="c1", content="sunny"),
            ToolMessage(id="t2", tool_call_id="c2", content="", error="service down"),
        ],
        context=[Context(description="user's units", value="celsius")],
    )
    with serve(fantasy.ui.asgi(fantasy.Agent(model, tools=[weather]), protocol="ag-ui")) as url:
        events = agui_events(url, body)
    assert events[-1].type.value == "RUN_FINISHED"
    prompt = model.calls[0].prompt
    assert [m.role for m in prompt] == [Role.USER, Role.USER, Role.ASSISTANT, Role.TOOL, Role.TOOL]
    assert prompt[0].content == [TextPart("Context from the application:\nuser's units: celsius")]
    assert prompt[2].content == [
        TextPart("Checking."),
        ToolCallPart("c1", "weather", '{"city":"Paris"}'),
        ToolCallPart("c2", "weather", '{"city":"Rome"}'),
    ]
    assert prompt[3].content == [ToolResultPart("c1", ToolResultOutputText("sunny"))]
    assert prompt[4].content == [ToolResultPart("c2", ToolResultOutputError("service down"))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tools": [{"name": "x", "description": "y", "parameters": {}}]}, "input.tools: frontend"),
        (
            {"messages": [{"id": "s", "role": "developer", "content": "x"}]},
            "input.messages[0]: developer",
        ),
        ({"threadId": 7}, "input.threadId: expected a string"),
        (
            {
                "messages": [
                    {
                        "id": "u",
                        "role": "user",
                        "content": [
                            {"type": "image", "source": {"type": "url", "value": "http://x"}}
                        ],
                    }
                ]
            },
            "input.messages[0].content[0].source: only inline data",
        ),
    ],
)
def test_bad_input_is_refused_with_the_reason(change: dict[str, Any], message: str) -> None:
    body = {**run_input(), **change}
    with serve(fantasy.ui.asgi(fantasy.Agent(FakeModel()), protocol="ag-ui")) as url:
        response = httpx.post(url, json=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize(
    ("payload", "ran", "seen"),
    [
        ({"approved": True}, ["notes.txt"], ToolResultOutputText("deleted notes.txt")),
        ({"approved": False, "reason": "no"}, [], ToolResultOutputError("denied: no")),
    ],
)
def test_a_run_paused_for_approval_finishes_with_an_interrupt_and_resume_answers_it(
    payload: dict[str, Any], ran: list[str], seen: Any
) -> None:
    done: list[str] = []

    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Deletes a file."""
        done.append(path)
        return f"deleted {path}"

    model = FakeModel(
        [
            stream_parts_for_tool_calls(("call-del", "delete_file", {"path": "notes.txt"})),
            answer_parts("Done."),
        ]
    )
    endpoint = fantasy.ui.asgi(fantasy.Agent(model, tools=[delete_file]), protocol="ag-ui")
    with serve(endpoint) as url:
        first = agui_events(url, run_input())
        finished = first[-1]
        assert finished.type.value == "RUN_FINISHED"
        assert finished.outcome.type == "interrupt"
        (interrupt,) = finished.outcome.interrupts
        assert (interrupt.id, interrupt.tool_call_id, interrupt.reason) == (
            "approval-call-del",
            "call-del",
            "tool_approval",
        )
        assert done == []
        # The client keeps the conversation and answers the interrupt in a new run.
        history = [
            UserMessage(id="u1", content="Weather in Paris?"),
            AssistantMessage(
                id="a1",
                tool_calls=[
                    ToolCall(
                        id="call-del",
                        function=FunctionCall(name="delete_file", arguments='{"path":"notes.txt"}'),
                    )
                ],
            ),
        ]
        resume = [ResumeEntry(interrupt_id=interrupt.id, status="resolved", payload=payload)]
        second = agui_events(url, run_input(run_id="run-2", messages=history, resume=resume))
    assert done == ran
    result = next(e for e in second if e.type.value == "TOOL_CALL_RESULT")
    assert result.tool_call_id == "call-del"
    assert second[-1].type.value == "RUN_FINISHED" and second[-1].outcome.type == "success"
    assert model.calls[1].prompt[-1].content == [ToolResultPart("call-del", seen)]
