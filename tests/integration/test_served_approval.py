"""Tools that need approval, or are deferred, served over MCP by `fantasy.mcp.serve`
and called by an agent through `MCPServerStdio`: an MCP server cannot ask a person, so
such a call is not run; the caller gets an error result saying why. Tools that need
nothing, and calls a `needs_approval` function lets through, run."""

from __future__ import annotations

import sys
from pathlib import Path

import fantasy
from fantasy.mcp import MCPServerStdio
from fantasy.testing import FakeModel, text_response, tool_call_response

SERVED = Path(__file__).with_name("served_tools.py")


def test_gated_tools_served_over_mcp_are_not_run_unasked(tmp_path: Path) -> None:
    server = MCPServerStdio(sys.executable, [str(SERVED), str(tmp_path)])
    model = FakeModel(
        [
            tool_call_response(
                ("c1", "add", {"a": 2, "b": 3}),
                ("c2", "delete_file", {"path": "/etc/passwd"}),
                ("c3", "pay", {"amount": 5}),
                ("c4", "pay", {"amount": 500}),
                ("c5", "ask_manager", {"question": "Friday off?"}),
            ),
            text_response("done"),
        ]
    )
    try:
        fantasy.Agent(model, toolsets=[server]).generate("go")
    finally:
        server.close()

    results = {p.tool_call_id: p.output for p in model.calls[1].prompt[-1].content}  # type: ignore[union-attr]
    assert results["c1"] == fantasy.ToolResultOutputText("5")
    assert results["c3"] == fantasy.ToolResultOutputText("paid 5")
    for call_id, name in (("c2", "delete_file"), ("c4", "pay")):
        error = results[call_id]
        assert isinstance(error, fantasy.ToolResultOutputError)
        assert f'tool "{name}" needs approval' in error.error
        assert "not run" in error.error
    deferred = results["c5"]
    assert isinstance(deferred, fantasy.ToolResultOutputError)
    assert 'tool "ask_manager" is deferred' in deferred.error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["add", "pay-5"]
