"""The public face of approvals on tools: ``needs_approval``, ``deferred``, `Denied`,
and the validated input a `needs_approval` function and a `PendingCall` see."""

from __future__ import annotations

import pickle

import pytest
from pydantic import BaseModel, ValidationError

import fantasy
from fantasy.tools import ToolCall
from fantasy.types import ProviderDefinedTool


class Payment(BaseModel):
    to: str
    amount: float


def test_tools_need_no_approval_by_default() -> None:
    @fantasy.tool
    def add(a: int, b: int) -> int:
        return a + b

    assert add.needs_approval is False
    assert add.deferred is False
    assert fantasy.AgentTool.needs_approval is False


def test_the_decorator_takes_needs_approval_and_deferred() -> None:
    @fantasy.tool(needs_approval=lambda inp: inp.amount > 100)
    def pay(payment: Payment) -> str:
        return "paid"

    @fantasy.tool(deferred=True)
    def ask_human(question: str) -> str:
        """Ask a person."""
        raise AssertionError("never called")

    assert callable(pay.needs_approval)
    assert ask_human.deferred is True
    assert ask_human.info.description == "Ask a person."


def test_parse_input_gives_the_value_the_function_receives() -> None:
    @fantasy.tool
    def pay(payment: Payment) -> str:
        return "paid"

    @fantasy.tool
    def send(to: str, amount: float = 1.0) -> str:
        return "sent"

    single = pay.parse_input(ToolCall("c1", "pay", '{"to": "bob", "amount": 150}'))
    assert single == Payment(to="bob", amount=150)
    plain = send.parse_input(ToolCall("c2", "send", '{"to": "ann"}'))
    assert (plain.to, plain.amount) == ("ann", 1.0)
    with pytest.raises(ValidationError):
        pay.parse_input(ToolCall("c3", "pay", '{"to": "bob"}'))
    assert isinstance(ValidationError, type) and issubclass(ValidationError, ValueError)


def test_executable_provider_tools_take_needs_approval() -> None:
    definition = ProviderDefinedTool("openai.custom", "shell", {})
    free = fantasy.ExecutableProviderTool(
        definition, lambda call: "ok", free_form_input=True, needs_approval=True
    )
    assert free.needs_approval is True
    assert free.parse_input(ToolCall("c", "shell", "rm -rf /")) == "rm -rf /"
    plain = fantasy.ExecutableProviderTool(definition, lambda call: "ok")
    assert plain.needs_approval is False
    assert plain.parse_input(ToolCall("c", "shell", '{"x": 1}')) == {"x": 1}


def test_denied_and_pending_call_are_plain_values() -> None:
    assert fantasy.Denied("too expensive").reason == "too expensive"
    assert fantasy.Denied() == fantasy.Denied("")
    pending = fantasy.PendingCall("c1", "pay", {"amount": 5}, '{"amount": 5}')
    assert pending.kind == "approval"
    assert pickle.loads(pickle.dumps(pending)) == pending
    assert pickle.loads(pickle.dumps(fantasy.Denied("no"))) == fantasy.Denied("no")
