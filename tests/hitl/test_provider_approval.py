"""A provider-executed tool that asks the client first: an OpenAI remote MCP server's
``mcp_approval_request``. The agent treats it as any call needing approval: the
``approve`` callback answers it (and the next request carries the provider's
``mcp_approval_response``), or the run pauses and is resumed with ``approvals=``,
sending the same request. OpenAI Responses over a loopback server, whole and streamed."""

from __future__ import annotations

import json
from typing import Any

import pytest

import fantasy
from fantasy.providers import openai
from tests.faults.server import FaultServer, Reply, Stream
from tests.robustness.fixtures_openai_responses import (
    MCP_APPROVAL,
    message,
    output_text,
    response,
    stream_of,
)

FACES = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])


def answer(body: dict[str, Any], streaming: bool) -> Any:
    if streaming:
        return Stream([stream_of(body)])
    return Reply(body=json.dumps(body).encode())


def agent_for(server: FaultServer, **options: Any) -> fantasy.Agent:
    provider = openai.Provider("sk-hitl-key", base_url=server.url, use_responses_api=True)
    tool = openai.mcp_tool("deepwiki", server_url="https://mcp.example/mcp")
    return fantasy.Agent(provider.language_model("gpt-5"), provider_tools=[tool], **options)


def run(agent: fantasy.Agent, streaming: bool, prompt: str = "", **options: Any) -> Any:
    if streaming:
        stream = agent.stream(prompt, **options)
        kinds = [p.type for p in stream]
        return stream.result, kinds
    return agent.generate(prompt, **options), []


def script(server: FaultServer, streaming: bool, *bodies: dict[str, Any]) -> None:
    server.script(*(answer(b, streaming) for b in bodies))


ASKS = response(MCP_APPROVAL)
DONE = response(message(output_text("It is a library.")))


@FACES
@pytest.mark.parametrize(
    ("decision", "sent"),
    [
        (True, {"approve": True}),
        (fantasy.Denied("not that server"), {"approve": False, "reason": "not that server"}),
    ],
)
def test_a_provider_approval_request_is_asked_inline_or_paused_and_resumed(
    server: FaultServer, streaming: bool, decision: Any, sent: dict[str, Any]
) -> None:
    asked: list[fantasy.PendingCall] = []

    def approve(request: fantasy.PendingCall) -> Any:
        asked.append(request)
        return decision

    script(server, streaming, ASKS, DONE)
    whole, _ = run(agent_for(server, approve=approve), streaming, "What is fantasy?")
    assert whole.text == "It is a library."
    assert [(r.tool_call_id, r.input) for r in asked] == [("mcpr_1", {"q": "may I"})]
    expected = [r.body for r in server.requests]
    assert json.loads(expected[1])["input"][-1] == {
        "type": "mcp_approval_response",
        "approval_request_id": "mcpr_1",
        **sent,
    }
    server.requests.clear()

    script(server, streaming, ASKS)
    paused, kinds = run(agent_for(server), streaming, "What is fantasy?")
    assert [p.tool_call_id for p in paused.pending_approvals] == ["mcpr_1"]
    if streaming:
        assert fantasy.StreamPartType.TOOL_APPROVAL_REQUEST in kinds
    saved = fantasy.to_json(paused.all_messages())

    script(server, streaming, DONE)
    messages = fantasy.from_json(saved, list[fantasy.Message])
    resumed, _ = run(
        agent_for(server), streaming, messages=messages, approvals={"mcpr_1": decision}
    )
    assert resumed.text == "It is a library."
    assert [r.body for r in server.requests] == expected


def test_a_provider_approval_request_takes_no_tool_result(server: FaultServer) -> None:
    script(server, False, ASKS)
    paused, _ = run(agent_for(server), False, "What is fantasy?")
    with pytest.raises(fantasy.InvalidArgumentError, match="answer it in approvals="):
        agent_for(server).generate(messages=paused.all_messages(), tool_results={"mcpr_1": "ok"})
