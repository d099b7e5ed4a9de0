"""A durable run that paused for approval and went on reports one result: every step,
the whole usage, and the conversation the resumed part ended with (no server needed:
the joining is plain code, checked here on runs made without Temporal)."""

from __future__ import annotations

import fantasy
from fantasy.durable.temporal.workflow import _joined
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import ToolResultOutputText, Usage


@fantasy.tool(needs_approval=lambda payment: payment.amount > 100)
def pay(amount: int) -> str:
    """Pay an amount; more than 100 needs approval."""
    return f"paid {amount}"


def test_the_paused_and_the_resumed_parts_make_one_result() -> None:
    model = FakeModel(
        [
            tool_call_response(("a", "pay", {"amount": 5}), usage=Usage(1, 1, 2)),
            tool_call_response(
                ("b", "pay", {"amount": 500}), ("c", "pay", {"amount": 7}), usage=Usage(2, 2, 4)
            ),
            text_response("all paid", usage=Usage(3, 3, 6)),
        ]
    )
    agent = fantasy.Agent(model, tools=[pay])
    paused = agent.generate("Pay", messages=[fantasy.user_message("earlier")])
    assert paused.paused and len(paused.steps) == 2
    resumed = agent.generate(messages=paused.all_messages(), approvals={"b": True})
    joined = _joined(paused, resumed)
    assert len(joined.steps) == 3
    assert not joined.paused
    assert joined.text == "all paid"
    assert joined.total_usage == Usage(6, 6, 12)
    assert joined.all_messages() == resumed.all_messages()
    assert joined.new_messages() == [*paused.prompt_messages, *joined.response_messages]
    # The paused step now holds its completed tool message: both calls' results.
    tool_message = joined.steps[1].messages[-1]
    assert [p.tool_call_id for p in tool_message.content] == ["b", "c"]
    # ...and its content the results, in call order, the approved call's included.
    results = joined.steps[1].content.tool_results
    assert [(r.tool_call_id, r.tool_name, r.result) for r in results] == [
        ("b", "pay", ToolResultOutputText("paid 500")),
        ("c", "pay", ToolResultOutputText("paid 7")),
    ]


def test_a_resumed_part_that_does_not_continue_the_paused_one_stands_alone() -> None:
    model = FakeModel([tool_call_response(("b", "pay", {"amount": 500})), text_response("done")])
    agent = fantasy.Agent(model, tools=[pay])
    paused = agent.generate("Pay")
    other = fantasy.Agent(FakeModel([text_response("unrelated")])).generate("Hello")
    assert _joined(paused, other) is other
