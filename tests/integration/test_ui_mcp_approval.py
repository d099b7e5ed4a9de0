"""An agent with a real stdio MCP server whose tool needs approval, served through
`fantasy.ui.asgi` with its own telemetry: the page gets the approval request, answers
it as `useChat` does, the resumed run calls the MCP tool, and each POST is one sane
span tree (the tool's span under the resumed run's)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import fantasy
import fantasy.telemetry
import fantasy.ui
from fantasy.testing import FakeModel, text_response, tool_call_response
from tests.mcp.conftest import stdio


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def _answered(events: list[dict[str, Any]], approved: bool) -> dict[str, Any]:
    """The assistant message `useChat` sends back after `addToolApprovalResponse`."""
    available = next(e for e in events if e["type"] == "tool-input-available")
    request = next(e for e in events if e["type"] == "tool-approval-request")
    assert request["toolCallId"] == available["toolCallId"]
    part = {
        "type": f"tool-{available['toolName']}",
        "toolCallId": available["toolCallId"],
        "state": "approval-responded",
        "input": available["input"],
        "approval": {"id": request["approvalId"], "approved": approved},
    }
    return {"id": "a1", "role": "assistant", "parts": [{"type": "step-start"}, part]}


def test_an_mcp_tool_approved_in_the_page_runs_and_is_traced() -> None:
    exporter = InMemorySpanExporter()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(exporter))
    server = stdio(needs_approval={"echo"})
    model = FakeModel(
        [tool_call_response(("c1", "echo", {"text": "hello"})), text_response("It said hello.")]
    )
    agent = fantasy.Agent(
        model,
        toolsets=[server],
        name="echoer",
        telemetry=fantasy.telemetry.Telemetry(tracer_provider=tracing),
    )
    app = fantasy.ui.asgi(agent)
    user = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Echo hello"}]}

    async def chat() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://page") as client:
            first = await client.post("/api/chat", json={"messages": [user]})
            assert first.status_code == 200
            paused = _events(first)
            messages = [user, _answered(paused, approved=True)]
            second = await client.post("/api/chat", json={"messages": messages})
            assert second.status_code == 200
            return paused, _events(second)

    try:
        paused, resumed = asyncio.run(chat())
    finally:
        server.close()

    assert [e["type"] for e in paused][-3:] == ["tool-approval-request", "finish-step", "finish"]
    assert paused[-1]["finishReason"] == "tool-calls"
    output = next(e for e in resumed if e["type"] == "tool-output-available")
    assert (output["toolCallId"], output["output"]) == ("c1", "hello")  # the server's answer
    text = "".join(e["delta"] for e in resumed if e["type"] == "text-delta")
    assert text == "It said hello."
    assert resumed[-1]["finishReason"] == "stop"
    tool_result = model.calls[1].prompt[-1].content[0]
    assert tool_result.output == fantasy.ToolResultOutputText("hello")  # type: ignore[union-attr]

    spans = exporter.get_finished_spans()
    runs = [s for s in spans if s.name == "invoke_agent echoer"]
    assert len(runs) == 2
    assert all(s.parent is None for s in runs)
    assert runs[0].context.trace_id != runs[1].context.trace_id  # one trace per POST
    by_id = {s.context.span_id: s for s in spans}
    for span in spans:
        if span.parent is not None:
            assert by_id[span.parent.span_id] in runs
    (tool,) = [s for s in spans if s.name == "execute_tool echo"]
    assert tool.parent is not None and tool.parent.span_id == runs[1].context.span_id
    assert tool.attributes is not None and tool.attributes["gen_ai.tool.call.id"] == "c1"
    chats = [s for s in spans if s.name.startswith("chat ")]
    assert [s.attributes["gen_ai.response.finish_reasons"] for s in chats if s.attributes] == [
        ("tool-calls",),
        ("stop",),
    ]
    assert all(s.status.is_ok for s in spans)
