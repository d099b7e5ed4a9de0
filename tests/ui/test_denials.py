"""A denial given on a page reads to the model exactly as the core words it.

The decoders hand the agent a `fantasy.Denied` (or read back the text the core gave),
never wording of their own, so one denial reads the same whether ``approve`` answered
it on the server, the user answered it in an AI SDK page (resumed, or in the history
sent back later) or in an AG-UI client.
"""

from __future__ import annotations

from typing import Any

import pytest

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import Message, Role, ToolResultOutput, ToolResultPart
from fantasy.ui import decode_messages, decode_request, decode_run_input

# (the reason the user gave, or None for a denial without one)
REASONS = ["keep my notes", "", None]


def rm_tool() -> fantasy.AgentTool:
    @fantasy.tool(needs_approval=True)
    def rm(path: str) -> str:
        """Deletes a file."""
        raise AssertionError("a denied call must not run")

    return rm


def model() -> FakeModel:
    return FakeModel(
        [
            tool_call_response(("c1", "rm", {"path": "notes.txt"})),
            text_response("Fine."),
        ]
    )


def seen_by_model(fake: FakeModel) -> ToolResultOutput:
    """The result of c1 in the last request the model got."""
    message = fake.calls[-1].prompt[-1]
    assert message.role is Role.TOOL
    (part,) = message.content
    assert isinstance(part, ToolResultPart) and part.tool_call_id == "c1"
    assert part.output is not None
    return part.output


def core_denial(reason: str | None) -> ToolResultOutput:
    """What the model reads when the server's ``approve`` denies the call."""
    fake = model()
    decision: fantasy.Denied | bool = False if reason is None else fantasy.Denied(reason)
    agent = fantasy.Agent(fake, tools=[rm_tool()], approve=lambda call: decision)
    agent.generate("Delete notes.txt")
    return seen_by_model(fake)


def resumed(
    messages: list[Message], approvals: dict[str, bool | fantasy.Denied]
) -> ToolResultOutput:
    """What the model reads when a paused run is resumed with a page's answers."""
    fake = FakeModel([text_response("Fine.")])
    fantasy.Agent(fake, tools=[rm_tool()]).generate(messages=messages, approvals=approvals)
    return seen_by_model(fake)


def approval(reason: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": "approval-c1", "approved": False}
    if reason is not None:
        answer["reason"] = reason
    return answer


def ai_sdk_messages(state: str, reason: str | None) -> list[dict[str, Any]]:
    return [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Delete notes.txt"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {
                    "type": "tool-rm",
                    "toolCallId": "c1",
                    "state": state,
                    "input": {"path": "notes.txt"},
                    "approval": approval(reason),
                },
            ],
        },
    ]


@pytest.mark.parametrize("reason", REASONS)
def test_an_ai_sdk_denial_resumed_reads_as_the_core_words_it(reason: str | None) -> None:
    request = decode_request(
        {"id": "chat", "messages": ai_sdk_messages("approval-responded", reason)}
    )
    assert resumed(request.messages, request.decisions()) == core_denial(reason)


@pytest.mark.parametrize("reason", REASONS)
def test_an_ai_sdk_denial_in_the_history_reads_as_the_core_words_it(reason: str | None) -> None:
    history = ai_sdk_messages("output-denied", reason)
    history.append({"id": "u2", "role": "user", "parts": [{"type": "text", "text": "ok"}]})
    messages = decode_messages(history)
    assert messages[2].role is Role.TOOL
    (part,) = messages[2].content
    assert isinstance(part, ToolResultPart)
    assert part.output == core_denial(reason)


@pytest.mark.parametrize("reason", REASONS)
def test_an_ag_ui_denial_resumed_reads_as_the_core_words_it(reason: str | None) -> None:
    payload: dict[str, Any] = {"approved": False}
    if reason is not None:
        payload["reason"] = reason
    body = {
        "threadId": "t1",
        "runId": "r2",
        "state": {},
        "tools": [],
        "context": [],
        "forwardedProps": {},
        "messages": [
            {"id": "u1", "role": "user", "content": "Delete notes.txt"},
            {
                "id": "a1",
                "role": "assistant",
                "toolCalls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "rm", "arguments": '{"path":"notes.txt"}'},
                    }
                ],
            },
        ],
        "resume": [{"interruptId": "approval-c1", "status": "resolved", "payload": payload}],
    }
    run = decode_run_input(body)
    assert resumed(run.messages, run.approvals) == core_denial(reason)
