"""Tools from a toolset (an MCP server, say) can need approval like the agent's own: a
run pauses for them, and the resumed run finds them in the toolset to run them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from tests.hitl.conftest import RunAgent
from tests.mcp.conftest import make_stdio

__all__ = ["make_stdio"]


class Listed:
    """A toolset holding one tool that needs approval; counts its runs' entries."""

    def __init__(self) -> None:
        self.entered = 0
        self.ran: list[str] = []
        ran = self.ran

        @fantasy.tool(needs_approval=True)
        def drop_table(name: str) -> str:
            """Drop a table."""
            ran.append(name)
            return f"dropped {name}"

        self.tool = drop_table

    async def get_tools(self) -> Sequence[fantasy.AgentTool]:
        return [self.tool]

    async def __aenter__(self) -> Any:
        self.entered += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.entered -= 1


def test_a_toolset_tool_that_needs_approval_pauses_and_resumes(run: RunAgent) -> None:
    toolset = Listed()
    model = FakeModel(
        [tool_call_response(("c1", "drop_table", {"name": "users"})), text_response("gone")]
    )
    agent = fantasy.Agent(model, toolsets=[toolset])
    paused = run(agent, "drop users")
    assert [p.tool_call_id for p in paused.pending_approvals] == ["c1"]
    assert toolset.ran == [] and toolset.entered == 0

    done = run(agent, messages=paused.all_messages(), approvals={"c1": True})
    assert done.text == "gone"
    assert toolset.ran == ["users"]
    assert toolset.entered == 0
    assert model.calls[1].prompt[-1].content[0].output == fantasy.ToolResultOutputText(  # type: ignore[union-attr]
        "dropped users"
    )


def test_a_real_mcp_tool_paused_for_approval_runs_when_resumed(make_stdio: Any) -> None:
    """A stdio MCP server's tool: paused, saved as JSON, resumed with a fresh agent
    (its server started anew for the resumed run), run on the server."""
    model = FakeModel([tool_call_response(("c1", "echo", {"text": "hello"})), text_response("ok")])
    first = fantasy.Agent(model, toolsets=[make_stdio(needs_approval=True)])
    paused = first.generate("go")
    assert [p.tool_name for p in paused.pending_approvals] == ["echo"]
    saved = fantasy.to_json(paused.all_messages())

    again = fantasy.Agent(model, toolsets=[make_stdio(needs_approval=True)])
    messages = fantasy.from_json(saved, list[fantasy.Message])
    done = again.generate(messages=messages, approvals={"c1": True})
    assert done.text == "ok"
    output = model.calls[1].prompt[-1].content[0].output  # type: ignore[union-attr]
    assert isinstance(output, fantasy.ToolResultOutputText)
    assert "hello" in output.text
