"""A resumed run's settled calls are traced like a step's: an ``execute_tool`` span
under the run's ``invoke_agent`` span, before the next ``chat``."""

from __future__ import annotations

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from tests.telemetry.conftest import Recorded, otel

__all__ = ["otel"]


def test_the_calls_a_resume_runs_are_traced(otel: Recorded) -> None:
    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    model = FakeModel(
        [tool_call_response(("c1", "delete_file", {"path": "a"})), text_response("gone")]
    )
    agent = fantasy.Agent(model, tools=[delete_file], name="janitor", telemetry=otel.telemetry())
    paused = agent.generate("delete a")
    otel.exporter.clear()
    agent.generate(messages=paused.all_messages(), approvals={"c1": True})
    assert [s.name for s in otel.spans] == [
        "invoke_agent janitor",
        "execute_tool delete_file",
        "chat fake-model",
    ]
    root = otel.root()
    assert all(
        s.parent is not None and s.parent.span_id == root.context.span_id for s in otel.spans[1:]
    )
