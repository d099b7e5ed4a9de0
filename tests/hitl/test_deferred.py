"""Deferred tools (a result produced outside the run) and results given on resuming."""

from __future__ import annotations

from typing import Any

import pytest

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import Role, ToolCallPart, ToolResultOutputError, ToolResultOutputText
from tests.hitl.conftest import RunAgent


def make_tools() -> tuple[list[fantasy.AgentTool], list[str]]:
    ran: list[str] = []

    @fantasy.tool(deferred=True)
    def ask_human(question: str) -> str:
        """Ask a person; the answer comes later."""
        ran.append("ask_human")
        raise AssertionError("a deferred tool's function is never called")

    @fantasy.tool
    def lookup(key: str) -> str:
        ran.append(f"lookup {key}")
        return f"value of {key}"

    return [ask_human, lookup], ran


def test_a_deferred_call_pauses_the_run_and_the_others_run(run: RunAgent) -> None:
    tools, ran = make_tools()
    model = FakeModel(
        [
            tool_call_response(
                ("q1", "ask_human", {"question": "Which colour?"}),
                ("l1", "lookup", {"key": "size"}),
            )
        ]
    )
    result = run(fantasy.Agent(model, tools=tools), "paint it")
    assert result.paused
    assert ran == ["lookup size"]
    assert result.pending_approvals == []
    (pending,) = result.pending_calls
    assert (pending.tool_call_id, pending.tool_name, pending.kind) == (
        "q1",
        "ask_human",
        "deferred",
    )
    assert pending.input.question == "Which colour?"
    assistant = result.steps[0].messages[0]
    marks = [p.pending for p in assistant.content if isinstance(p, ToolCallPart)]
    assert marks == ["deferred", ""]


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        ("blue", ToolResultOutputText("blue")),
        ({"colour": "blue"}, ToolResultOutputText('{"colour":"blue"}')),
        (fantasy.ToolResponse.error("nobody answered"), ToolResultOutputError("nobody answered")),
        (fantasy.Denied("not telling"), ToolResultOutputError("denied: not telling")),
    ],
)
def test_resuming_with_tool_results_gives_the_model_the_value(
    run: RunAgent, given: Any, seen: Any
) -> None:
    tools, ran = make_tools()
    model = FakeModel(
        [
            tool_call_response(
                ("q1", "ask_human", {"question": "Which colour?"}),
                ("l1", "lookup", {"key": "size"}),
            ),
            text_response("painted"),
        ]
    )
    agent = fantasy.Agent(model, tools=tools)
    paused = run(agent, "paint it")
    saved = fantasy.from_json(fantasy.to_json(paused.all_messages()), list[fantasy.Message])
    result = run(agent, messages=saved, tool_results={"q1": given})
    assert result.text == "painted"
    assert ran == ["lookup size"]
    tool_message = model.calls[1].prompt[-1]
    assert tool_message.role is Role.TOOL
    assert [p.tool_call_id for p in tool_message.content] == ["q1", "l1"]
    assert tool_message.content[0].output == seen  # type: ignore[union-attr]


def test_a_deferred_call_cannot_be_approved(run: RunAgent) -> None:
    tools, _ = make_tools()
    model = FakeModel([tool_call_response(("q1", "ask_human", {"question": "?"}))])
    agent = fantasy.Agent(model, tools=tools)
    paused = run(agent, "ask")
    with pytest.raises(fantasy.InvalidArgumentError, match=r"q1 \(ask_human\) is a deferred"):
        run(agent, messages=paused.all_messages(), approvals={"q1": True})
    with pytest.raises(fantasy.InvalidArgumentError, match=r"still waiting; answer it in tool_"):
        run(agent, messages=paused.all_messages())


def test_a_deferred_call_with_invalid_input_is_an_error_not_a_pause(run: RunAgent) -> None:
    tools, ran = make_tools()
    model = FakeModel(
        [tool_call_response(("q1", "ask_human", {"question": 3})), text_response("oops")]
    )
    result = run(fantasy.Agent(model, tools=tools), "ask")
    assert not result.paused and result.text == "oops"
    output = model.calls[1].prompt[-1].content[0].output  # type: ignore[union-attr]
    assert isinstance(output, ToolResultOutputError)
    assert output.error.startswith("invalid parameters: question")
    assert ran == []


def test_a_result_that_stops_the_turn_ends_the_resumed_run_without_a_request(
    run: RunAgent,
) -> None:
    tools, _ = make_tools()
    model = FakeModel([tool_call_response(("q1", "ask_human", {"question": "?"}))])
    agent = fantasy.Agent(model, tools=tools)
    paused = run(agent, "ask")
    done = run(
        agent,
        messages=paused.all_messages(),
        tool_results={"q1": fantasy.ToolResponse.text("bye", stop_turn=True)},
    )
    assert len(model.calls) == 1
    assert done.steps == [] and not done.paused
    last = done.all_messages()[-1]
    assert last.role is Role.TOOL
    assert last.content[0].output == ToolResultOutputText("bye")  # type: ignore[union-attr]


def test_a_result_that_is_not_json_is_refused_at_the_call(run: RunAgent) -> None:
    tools, _ = make_tools()
    model = FakeModel([tool_call_response(("q1", "ask_human", {"question": "?"}))])
    agent = fantasy.Agent(model, tools=tools)
    paused = run(agent, "ask")
    with pytest.raises(fantasy.InvalidArgumentError, match=r"tool_results\['q1'\]"):
        run(agent, messages=paused.all_messages(), tool_results={"q1": object()})
    assert len(model.calls) == 1


def test_agent_pending_reads_a_saved_conversation() -> None:
    tools, _ = make_tools()

    @fantasy.tool(needs_approval=True)
    def delete(path: str) -> str:
        return "deleted"

    model = FakeModel(
        [
            tool_call_response(
                ("q1", "ask_human", {"question": "?"}), ("d1", "delete", {"path": "x"})
            )
        ]
    )
    agent = fantasy.Agent(model, tools=[*tools, delete])
    paused = agent.generate("go")
    text = fantasy.to_json(paused.all_messages())
    again = fantasy.Agent(FakeModel([]), tools=[*make_tools()[0], delete])
    pending = again.pending(fantasy.from_json(text, list[fantasy.Message]))
    assert [(p.tool_call_id, p.kind) for p in pending] == [("q1", "deferred"), ("d1", "approval")]
    assert pending[1].input.path == "x"
    assert again.pending([]) == []


def test_a_step_that_ended_the_turn_before_pausing_ends_the_resumed_run(run: RunAgent) -> None:
    """An uninterrupted run stops after a step whose tool said ``stop_turn``; a run paused
    in that step, saved and resumed, stops there too (the flag is saved with the result)."""

    @fantasy.tool
    def hand_over(note: str) -> fantasy.ToolResponse:
        return fantasy.ToolResponse.text(f"handed over: {note}", stop_turn=True)

    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    def answers() -> FakeModel:
        return FakeModel(
            [
                tool_call_response(
                    ("d1", "delete_file", {"path": "a"}), ("h1", "hand_over", {"note": "bye"})
                ),
                text_response("never asked"),
            ]
        )

    whole_model = answers()
    whole = run(
        fantasy.Agent(whole_model, tools=[hand_over, delete_file], approve=lambda r: True), "go"
    )
    assert len(whole_model.calls) == 1

    model = answers()
    agent = fantasy.Agent(model, tools=[hand_over, delete_file])
    paused = run(agent, "go")
    saved = fantasy.from_json(fantasy.to_json(paused.all_messages()), list[fantasy.Message])
    resumed = run(agent, messages=saved, approvals={"d1": True})
    assert len(model.calls) == 1
    assert resumed.steps == []
    assert resumed.all_messages() == whole.all_messages()
