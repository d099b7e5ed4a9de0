"""Checked by mypy in tests/unit/test_agent_output_typing.py, never run: the typed
output of an agent, per agent and per call, in both faces and streamed. Lines marked
``# E:`` must be errors; every other line must type-check."""

from __future__ import annotations

from pydantic import BaseModel

import fantasy
from fantasy.testing import FakeModel


class Invoice(BaseModel):
    number: str


class Refund(BaseModel):
    reason: str


async def check() -> None:
    model = FakeModel([])
    agent = fantasy.Agent(model, output_type=Invoice)
    invoice: Invoice = agent.generate("x").output
    invoice = (await agent.agenerate("x")).output
    invoice = agent.stream("x").result.output
    invoice = (await agent.astream("x").collect()).output
    for partial in agent.stream("x").partial_outputs():
        invoice = partial
    refund: Refund = agent.generate("x", output_type=Refund).output
    text: str = fantasy.Agent(model).generate("x").output
    both = fantasy.Agent[Invoice | Refund](model, output_type=Invoice | Refund)
    either: Invoice | Refund = both.generate("x").output
    either = agent.generate("x", output_type=Invoice | Refund).output
    either = (await agent.agenerate("x", output_type=Invoice | Refund)).output
    either = agent.stream("x", output_type=Invoice | Refund).result.output
    del invoice, refund, text, either

    wrong: Refund = agent.generate("x").output  # E: assignment
    not_text: int = fantasy.Agent(model).generate("x").output  # E: assignment
    del wrong, not_text
