"""Tool approval in the agent loop, on every face: inline (``approve=``), deferred (the
run pauses and is resumed with ``approvals=``), by input value, denials the model sees,
mixed answers among parallel calls, timeouts, and callbacks that fail."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import (
    Message,
    ProviderDefinedTool,
    Role,
    ToolCallContent,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)
from tests.hitl.conftest import RunAgent


class Payment(BaseModel):
    to: str
    amount: float


class Tools:
    """Three tools and a log of what ran: one always asks, one asks above 100, one never."""

    def __init__(self, parallel: bool = False) -> None:
        self.ran: list[tuple[str, Any]] = []
        ran = self.ran

        @fantasy.tool(needs_approval=True, parallel=parallel)
        def delete_file(path: str) -> str:
            """Delete a file."""
            ran.append(("delete_file", path))
            return f"deleted {path}"

        @fantasy.tool(needs_approval=lambda p: p.amount > 100, parallel=parallel)
        def pay(payment: Payment) -> str:
            """Pay someone."""
            ran.append(("pay", payment.amount))
            return f"paid {payment.amount:g} to {payment.to}"

        @fantasy.tool(parallel=parallel)
        def weather(city: str) -> str:
            """The weather."""
            ran.append(("weather", city))
            return f"sunny in {city}"

        self.all = [delete_file, pay, weather]


def three_calls() -> fantasy.Response:
    return tool_call_response(
        ("c1", "delete_file", {"path": "a.txt"}),
        ("c2", "weather", {"city": "Paris"}),
        ("c3", "pay", {"to": "bob", "amount": 500}),
    )


def tool_message(call: fantasy.Call) -> Message:
    message = call.prompt[-1]
    assert message.role is Role.TOOL
    return message


def outputs(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in message.content:
        assert isinstance(part, ToolResultPart)
        output = part.output
        if isinstance(output, ToolResultOutputError):
            out[part.tool_call_id] = ("error", output.error)
        else:
            assert isinstance(output, ToolResultOutputText)
            out[part.tool_call_id] = output.text
    return out


# --------------------------------------------------------------------------- inline


def test_inline_approval_runs_the_call_and_the_callback_sees_the_validated_input(
    run: RunAgent,
) -> None:
    tools = Tools()
    asked: list[fantasy.PendingCall] = []

    def approve(request: fantasy.PendingCall) -> bool:
        asked.append(request)
        return True

    model = FakeModel([three_calls(), text_response("done")])
    agent = fantasy.Agent(model, tools=tools.all, approve=approve)
    result = run(agent, "clean up and pay bob")

    assert result.text == "done"
    assert not result.paused and result.pending_approvals == []
    assert [(r.tool_call_id, r.tool_name, r.kind) for r in asked] == [
        ("c1", "delete_file", "approval"),
        ("c3", "pay", "approval"),
    ]
    assert asked[0].input.path == "a.txt"
    assert asked[1].input == Payment(to="bob", amount=500)
    assert asked[1].raw_input == '{"to": "bob", "amount": 500}'
    assert sorted(tools.ran) == [("delete_file", "a.txt"), ("pay", 500), ("weather", "Paris")]
    assert outputs(tool_message(model.calls[1])) == {
        "c1": "deleted a.txt",
        "c2": "sunny in Paris",
        "c3": "paid 500 to bob",
    }


def test_a_denial_is_a_result_the_model_sees_and_the_run_goes_on(run: RunAgent) -> None:
    tools = Tools()

    def approve(request: fantasy.PendingCall) -> bool | fantasy.Denied:
        if request.tool_name == "pay":
            return fantasy.Denied("too expensive")
        return False

    model = FakeModel([three_calls(), text_response("ok, I did not")])
    result = run(fantasy.Agent(model, tools=tools.all, approve=approve), "go")

    assert result.text == "ok, I did not"
    assert tools.ran == [("weather", "Paris")]
    assert outputs(tool_message(model.calls[1])) == {
        "c1": ("error", "denied: the call was not approved"),
        "c2": "sunny in Paris",
        "c3": ("error", "denied: too expensive"),
    }
    assert [r.tool_call_id for r in result.steps[0].content.tool_results] == ["c1", "c2", "c3"]


def test_mixed_answers_among_parallel_calls_keep_call_order(run: RunAgent) -> None:
    tools = Tools(parallel=True)
    decisions = {"c1": True, "c2": fantasy.Denied("keep it"), "c5": True}
    model = FakeModel(
        [
            tool_call_response(
                ("c1", "delete_file", {"path": "a.txt"}),
                ("c2", "delete_file", {"path": "b.txt"}),
                ("c3", "weather", {"city": "Oslo"}),
                ("c4", "pay", {"to": "ann", "amount": 20}),
                ("c5", "pay", {"to": "bob", "amount": 200}),
            ),
            text_response("done"),
        ]
    )
    agent = fantasy.Agent(model, tools=tools.all, approve=lambda r: decisions[r.tool_call_id])
    run(agent, "go")

    assert sorted(tools.ran) == [
        ("delete_file", "a.txt"),
        ("pay", 20),
        ("pay", 200),
        ("weather", "Oslo"),
    ]
    assert outputs(tool_message(model.calls[1])) == {
        "c1": "deleted a.txt",
        "c2": ("error", "denied: keep it"),
        "c3": "sunny in Oslo",
        "c4": "paid 20 to ann",
        "c5": "paid 200 to bob",
    }
    assert [p.tool_call_id for p in tool_message(model.calls[1]).content] == [
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
    ]


def test_approval_is_asked_by_input_value_with_sync_or_async_rules(run: RunAgent) -> None:
    asked: list[str] = []

    async def large(payment: Payment) -> bool:
        await asyncio.sleep(0) if not fantasy._runtime.is_sync() else None
        return payment.amount > 100

    @fantasy.tool(needs_approval=large)
    def pay(payment: Payment) -> str:
        return f"paid {payment.amount:g}"

    model = FakeModel(
        [
            tool_call_response(
                ("c1", "pay", {"to": "a", "amount": 50}),
                ("c2", "pay", {"to": "b", "amount": 150}),
            ),
            text_response("done"),
        ]
    )

    def approve(request: fantasy.PendingCall) -> bool:
        asked.append(request.tool_call_id)
        return True

    run(fantasy.Agent(model, tools=[pay], approve=approve), "pay")
    assert asked == ["c2"]
    assert outputs(tool_message(model.calls[1])) == {"c1": "paid 50", "c2": "paid 150"}


def test_an_async_approve_callback_works_on_every_face(run: RunAgent) -> None:
    tools = Tools()

    async def approve(request: fantasy.PendingCall) -> bool | fantasy.Denied:
        return request.tool_name == "delete_file" or fantasy.Denied("no money")

    model = FakeModel([three_calls(), text_response("done")])
    run(fantasy.Agent(model, tools=tools.all, approve=approve), "go")
    assert outputs(tool_message(model.calls[1]))["c3"] == ("error", "denied: no money")
    assert ("delete_file", "a.txt") in tools.ran


def test_an_invalid_input_is_not_asked_about_the_model_gets_the_error(run: RunAgent) -> None:
    tools = Tools()
    asked: list[str] = []
    model = FakeModel([tool_call_response(("c1", "pay", {"to": "bob"})), text_response("sorry")])
    agent = fantasy.Agent(
        model, tools=tools.all, approve=lambda r: asked.append(r.tool_call_id) or True
    )
    run(agent, "pay")
    assert asked == []
    assert tools.ran == []
    kind, text = outputs(tool_message(model.calls[1]))["c1"]
    assert kind == "error" and "amount" in text


# --------------------------------------------------------------------------- timeouts


def test_an_approval_that_takes_too_long_is_a_denial_the_model_sees(run: RunAgent) -> None:
    tools = Tools()
    release = threading.Event()

    def slow(request: fantasy.PendingCall) -> bool:
        release.wait(10)  # a person who never answers
        return True

    model = FakeModel(
        [tool_call_response(("c1", "delete_file", {"path": "a"})), text_response("gave up")]
    )
    agent = fantasy.Agent(model, tools=tools.all, approve=slow, approval_timeout=0.2)
    started = time.monotonic()
    try:
        result = run(agent, "delete")
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert result.text == "gave up"
    assert tools.ran == []
    assert outputs(tool_message(model.calls[1])) == {
        "c1": ("error", "denied: no approval within 0.2s")
    }


def test_an_async_approval_that_takes_too_long_is_cancelled_and_denied(run: RunAgent) -> None:
    tools = Tools()

    async def slow(request: fantasy.PendingCall) -> bool:
        await asyncio.sleep(10)
        return True

    model = FakeModel(
        [tool_call_response(("c1", "delete_file", {"path": "a"})), text_response("gave up")]
    )
    started = time.monotonic()
    run(fantasy.Agent(model, tools=tools.all, approve=slow), "delete", approval_timeout=0.2)
    assert time.monotonic() - started < 5
    assert outputs(tool_message(model.calls[1])) == {
        "c1": ("error", "denied: no approval within 0.2s")
    }


def test_approval_timeout_must_be_positive() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="approval_timeout"):
        fantasy.Agent(FakeModel([]), approval_timeout=0)


# --------------------------------------------------------------------------- failures


def test_an_approve_callback_that_raises_stops_the_run_with_a_clear_error(
    run: RunAgent,
) -> None:
    tools = Tools()

    def broken(request: fantasy.PendingCall) -> bool:
        raise ConnectionError("approval service down")

    model = FakeModel([three_calls(), text_response("never")])
    with pytest.raises(fantasy.ToolApprovalError) as info:
        run(fantasy.Agent(model, tools=tools.all, approve=broken), "go")
    err = info.value
    assert 'approve callback failed for tool "delete_file" (call c1)' in str(err)
    assert "ConnectionError: approval service down" in str(err)
    assert isinstance(err.__cause__, ConnectionError)
    assert tools.ran == []  # nothing of the step ran: no call was decided
    assert len(model.calls) == 1
    assert err.partial_result is not None


def test_an_approve_callback_must_answer_true_false_or_denied(run: RunAgent) -> None:
    tools = Tools()
    model = FakeModel([three_calls()])
    with pytest.raises(fantasy.ToolApprovalError, match=r"returned str 'yes'.*fantasy\.Denied"):
        run(fantasy.Agent(model, tools=tools.all, approve=lambda r: "yes"), "go")
    assert tools.ran == []


def test_a_needs_approval_rule_that_raises_stops_the_run(run: RunAgent) -> None:
    def rule(payment: Payment) -> bool:
        raise KeyError("limits table")

    @fantasy.tool(needs_approval=rule)
    def pay(payment: Payment) -> str:
        return "paid"

    model = FakeModel([tool_call_response(("c1", "pay", {"to": "a", "amount": 1}))])
    with pytest.raises(fantasy.ToolApprovalError, match='needs_approval function of tool "pay"'):
        run(fantasy.Agent(model, tools=[pay], approve=lambda r: True), "go")


# --------------------------------------------------------------------------- pausing


def test_without_approve_the_run_pauses_after_the_step(run: RunAgent) -> None:
    tools = Tools()
    model = FakeModel([three_calls()])
    result = run(fantasy.Agent(model, tools=tools.all), "clean up and pay bob")

    assert result.paused
    assert len(model.calls) == 1
    assert tools.ran == [("weather", "Paris")]  # what needed no approval ran
    pending = result.pending_approvals
    assert [(p.tool_call_id, p.tool_name) for p in pending] == [
        ("c1", "delete_file"),
        ("c3", "pay"),
    ]
    assert pending[1].input == Payment(to="bob", amount=500)
    assert result.pending_calls == []
    assistant, tool = result.steps[0].messages
    marks = {p.tool_call_id: p.pending for p in assistant.content if isinstance(p, ToolCallPart)}
    assert marks == {"c1": "approval", "c2": "", "c3": "approval"}
    assert [p.tool_call_id for p in tool.content] == ["c2"]


def uninterrupted(decisions: dict[str, Any]) -> FakeModel:
    """The same conversation run without a pause, the same answers given inline."""
    model = FakeModel([three_calls(), text_response("all done")])
    agent = fantasy.Agent(
        model,
        system_prompt="be careful",
        tools=Tools().all,
        approve=lambda r: decisions[r.tool_call_id],
    )
    agent.generate("clean up and pay bob")
    return model


def test_a_resumed_run_sends_the_request_an_uninterrupted_run_sends(run: RunAgent) -> None:
    decisions = {"c1": True, "c3": fantasy.Denied("too expensive")}
    tools = Tools()
    model = FakeModel([three_calls(), text_response("all done")])
    agent = fantasy.Agent(model, system_prompt="be careful", tools=tools.all)
    paused = run(agent, "clean up and pay bob")
    assert paused.paused

    saved = fantasy.to_json(paused.all_messages())
    messages = fantasy.from_json(saved, list[fantasy.Message])
    resumed = run(agent, messages=messages, approvals=decisions)

    assert resumed.text == "all done" and not resumed.paused
    assert sorted(tools.ran) == [("delete_file", "a.txt"), ("weather", "Paris")]
    expected = uninterrupted(decisions).calls[1]
    assert fantasy.to_dict(model.calls[1]) == fantasy.to_dict(expected)
    assert model.calls[1].prompt == expected.prompt
    # The conversation to save next holds every result once, in call order, unmarked.
    history = resumed.all_messages()
    assert history[:-1] == expected.prompt[1:]
    assert not any(isinstance(p, ToolCallPart) and p.pending for m in history for p in m.content)


def test_resuming_with_a_prompt_puts_it_after_the_completed_results(run: RunAgent) -> None:
    tools = Tools()
    model = FakeModel([three_calls(), text_response("ok")])
    agent = fantasy.Agent(model, tools=tools.all)
    paused = run(agent, "go")
    run(agent, "and be quick", messages=paused.all_messages(), approvals={"c1": True, "c3": True})
    prompt = model.calls[1].prompt
    assert [m.role for m in prompt] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.USER]
    assert outputs(prompt[2]) == {
        "c1": "deleted a.txt",
        "c2": "sunny in Paris",
        "c3": "paid 500 to bob",
    }


def test_a_resumed_run_asks_its_approve_callback_about_calls_left_unanswered(
    run: RunAgent,
) -> None:
    tools = Tools()
    model = FakeModel([three_calls(), text_response("ok")])
    paused = run(fantasy.Agent(model, tools=tools.all), "go")
    asked: list[str] = []

    def approve(request: fantasy.PendingCall) -> bool:
        asked.append(request.tool_call_id)
        return True

    agent = fantasy.Agent(model, tools=tools.all, approve=approve)
    run(agent, messages=paused.all_messages(), approvals={"c1": fantasy.Denied("no")})
    assert asked == ["c3"]
    assert outputs(tool_message(model.calls[1])) == {
        "c1": ("error", "denied: no"),
        "c2": "sunny in Paris",
        "c3": "paid 500 to bob",
    }


def test_a_paused_run_can_pause_again_at_a_later_step(run: RunAgent) -> None:
    tools = Tools()
    model = FakeModel(
        [
            tool_call_response(("c1", "delete_file", {"path": "a"})),
            tool_call_response(("c2", "delete_file", {"path": "b"})),
            text_response("both gone"),
        ]
    )
    agent = fantasy.Agent(model, tools=tools.all)
    first = run(agent, "delete a then b")
    second = run(agent, messages=first.all_messages(), approvals={"c1": True})
    assert [p.tool_call_id for p in second.pending_approvals] == ["c2"]
    third = run(agent, messages=second.all_messages(), approvals={"c2": True})
    assert third.text == "both gone"
    assert tools.ran == [("delete_file", "a"), ("delete_file", "b")]


def test_a_pause_at_the_step_limit_is_not_a_step_limit_error(run: RunAgent) -> None:
    model = FakeModel([tool_call_response(("c1", "delete_file", {"path": "a"}))])
    result = run(fantasy.Agent(model, tools=Tools().all, max_steps=1), "go")
    assert result.paused


def test_a_typed_run_that_pauses_returns_its_pending_calls(run: RunAgent) -> None:
    class Answer(BaseModel):
        ok: bool

    model = FakeModel([tool_call_response(("c1", "delete_file", {"path": "a"}))])
    agent = fantasy.Agent(model, tools=Tools().all, output_type=Answer, output_mode="tool")
    result = run(agent, "go")
    assert [p.tool_call_id for p in result.pending_approvals] == ["c1"]
    with pytest.raises(fantasy.NoObjectGeneratedError, match=r"paused for 1 tool call"):
        result.output  # noqa: B018


def test_executable_provider_tools_can_need_approval_server_side_calls_cannot(
    run: RunAgent,
) -> None:
    """A provider-defined tool run here (computer use, a shell) is gated like any tool;
    a tool the provider ran itself already ran when the answer arrives, so it is never
    asked about and never holds the run."""
    commands: list[str] = []
    shell = fantasy.ExecutableProviderTool(
        ProviderDefinedTool("openai.custom", "shell", {}),
        lambda call: commands.append(call.input) or "done",
        free_form_input=True,
        needs_approval=lambda text: "rm " in text,
    )
    calls = tool_call_response(
        ToolCallContent("s1", "web_search", "{}", provider_executed=True),
        ("c1", "shell", "ls"),
        ("c2", "shell", "rm -rf /"),
    )
    model = FakeModel([calls])
    result = run(fantasy.Agent(model, provider_tools=[shell]), "tidy up")
    assert commands == ["ls"]
    assert [p.tool_call_id for p in result.pending_approvals] == ["c2"]
    assert result.pending_approvals[0].input == "rm -rf /"


# --------------------------------------------------------------------------- resume errors


def paused_messages() -> list[Message]:
    model = FakeModel([three_calls()])
    return fantasy.Agent(model, tools=Tools().all).generate("go").all_messages()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"approvals": {"c9": True}}, r"tool call c9 not waiting.*c1 \(delete_file\), c3 \(pay\)"),
        ({"approvals": {"c1": True}}, r"tool call c3 \(pay\) is still waiting for approval"),
        (
            {},
            r"tool call c1 \(delete_file\) is still waiting for approval; answer it in approvals=",
        ),
        ({"approvals": {"c1": "yes"}}, r"approvals\['c1'\] must be True, False or fantasy.Denied"),
        ({"approvals": ["c1"]}, r"approvals must be a dict"),
        (
            {"approvals": {"c1": True}, "tool_results": {"c1": "x", "c3": "y"}},
            r"tool call c1 answered in both",
        ),
    ],
)
def test_resuming_checks_the_answers_before_any_request(
    run: RunAgent, options: dict[str, Any], message: str
) -> None:
    model = FakeModel([])
    tools = Tools()
    with pytest.raises(fantasy.InvalidArgumentError, match=message):
        run(fantasy.Agent(model, tools=tools.all), messages=paused_messages(), **options)
    assert model.calls == [] and tools.ran == []


def test_answers_without_a_waiting_call_are_refused(run: RunAgent) -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="no tool call waits in messages="):
        run(fantasy.Agent(FakeModel([])), "hi", approvals={"c1": True})


def test_a_call_can_bring_its_own_approve_callback(run: RunAgent) -> None:
    tools = Tools()
    model = FakeModel([three_calls(), text_response("done")])
    agent = fantasy.Agent(model, tools=tools.all)  # pauses by default
    result = run(agent, "go", approve=lambda r: fantasy.Denied("not in this call"))
    assert not result.paused and result.text == "done"
    assert outputs(tool_message(model.calls[1]))["c1"] == ("error", "denied: not in this call")


def test_needs_approval_none_is_no_and_a_value_that_is_no_rule_is_refused(run: RunAgent) -> None:
    class Custom(fantasy.AgentTool):
        info = fantasy.ToolInfo("custom", "A custom tool.", {})

        async def run(self, call: fantasy.ToolCall) -> fantasy.ToolResponse:
            return fantasy.ToolResponse.text("ran")

    loose = Custom()
    loose.needs_approval = None  # type: ignore[assignment]
    model = FakeModel([tool_call_response(("c1", "custom", {})), text_response("ok")])
    assert run(fantasy.Agent(model, tools=[loose]), "go").text == "ok"

    wrong = Custom()
    wrong.needs_approval = "always"  # type: ignore[assignment]
    model = FakeModel([tool_call_response(("c1", "custom", {}))])
    with pytest.raises(fantasy.ToolApprovalError, match="needs_approval must be True, False"):
        run(fantasy.Agent(model, tools=[wrong]), "go")
