"""Batch requests of an agent whose tools come from an MCP server (a real stdio one).

A batch sends the agent's first step and never runs a tool: an answer that calls a
tool of the agent's toolsets comes back as that response, as one calling the agent's
own tools does, instead of the MCP tool being run while the result is read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from pydantic import BaseModel

import fantasy
from fantasy import batch
from fantasy.mcp import MCPServerStdio
from tests.batch.conftest import anthropic_messages
from tests.batch.server import BatchServer
from tests.mcp.conftest import SERVERS, stdio


class City(BaseModel):
    name: str


def test_a_typed_agent_answer_calling_an_mcp_tool_stays_a_response(
    server: BatchServer, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"  # the server's `die` tool writes it when it runs
    tools = stdio(env={"DIE_MARKER": str(marker)})
    server.respond = lambda kind, body: {}
    agent = fantasy.Agent(
        anthropic_messages(server), toolsets=[tools], tool_choice="die", output_type=City
    )
    try:
        results = batch.run(
            agent.model, batch.agent_requests(agent, {"f": "Stop the server"}), poll_interval=0
        )
    finally:
        tools.close()

    result = results["f"]
    assert result.ok, result.error
    call = result.unwrap().content.tool_calls[0]
    assert (call.tool_name, json.loads(call.input)) == ("die", {})
    assert result.output is None
    assert not marker.exists(), "the batch ran the MCP tool"


def _running(marker: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return found.stdout.split()


def test_a_batch_leaves_no_mcp_server_running(server: BatchServer) -> None:
    """Building the requests lists the agent's MCP tools; the servers started for it
    stop once the batch is sent, and those reading typed answers once they are read."""
    marker = f"batch-{uuid.uuid4().hex}"
    tools = MCPServerStdio(sys.executable, [str(SERVERS), "tools", "stdio", marker])
    server.respond = lambda kind, body: {"name": "Florence"}
    agent = fantasy.Agent(anthropic_messages(server), toolsets=[tools], output_type=City)
    try:
        prompts = {f"q{i}": f"City number {i}?" for i in range(3)}
        job = batch.submit(agent.model, batch.agent_requests(agent, prompts))
        created = next(s for s in server.seen if s.path.startswith("/v1/messages/batches"))
        assert b'"name":"pid"' in created.body  # the MCP tools went out with each request
        assert _running(marker) == []
        results = job.result(poll_interval=0)
        assert {id: r.output.output for id, r in results.items()} == {
            id: City(name="Florence") for id in prompts
        }
        assert _running(marker) == []
    finally:
        tools.close()
