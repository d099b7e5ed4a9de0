"""The key promise, on the wire: a run paused for approval, saved as JSON, loaded and
resumed sends the provider byte for byte the request an uninterrupted run sends with
the same decisions given inline. Real provider codecs (OpenAI Chat Completions,
Anthropic Messages) against a loopback HTTP server that records each body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import fantasy
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import chat_stream
from tests.hitl.app import PROMPT, build_agent, decide, model_for
from tests.hitl.wire import final_text, streamed_tool_calls, tool_calls


def generate(agent: fantasy.Agent, face: str, prompt: str = "", **options: Any) -> Any:
    if face == "sync":
        return agent.generate(prompt, **options)
    return asyncio.run(agent.agenerate(prompt, **options))


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize("family", ["openai", "anthropic"])
def test_a_resumed_run_sends_the_uninterrupted_runs_request(
    server: FaultServer, family: str, face: str
) -> None:
    server.script(Reply(body=tool_calls(family)), Reply(body=final_text(family)))
    whole = generate(build_agent(model_for(family, server.url), approve=decide), face, PROMPT)
    assert whole.text == "done"
    expected = [r.body for r in server.requests]
    server.requests.clear()

    server.script(Reply(body=tool_calls(family)))
    paused = generate(build_agent(model_for(family, server.url)), face, PROMPT)
    assert [p.tool_call_id for p in paused.pending_approvals] == ["call_1", "call_2"]
    saved = fantasy.to_json(paused.all_messages())

    server.script(Reply(body=final_text(family)))
    agent = build_agent(model_for(family, server.url))  # a fresh agent, as after a restart
    messages = fantasy.from_json(saved, list[fantasy.Message])
    decisions = {p.tool_call_id: decide(p) for p in agent.pending(messages)}
    assert decisions == {"call_1": True, "call_2": fantasy.Denied("500 is too expensive")}
    resumed = generate(agent, face, messages=messages, approvals=decisions)

    assert resumed.text == "done"
    bodies = [r.body for r in server.requests]
    assert len(bodies) == 2
    assert bodies[0] == expected[0]
    assert json.loads(bodies[1]) == json.loads(expected[1])
    assert bodies[1] == expected[1]
    assert b"denied: 500 is too expensive" in bodies[1]
    assert b"pending" not in bodies[1] and b"extensions" not in bodies[1]


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_resumed_stream_sends_the_uninterrupted_streams_request(
    server: FaultServer, face: str
) -> None:
    def stream(agent: fantasy.Agent, prompt: str = "", **options: Any) -> Any:
        if face == "sync":
            s = agent.stream(prompt, **options)
            kinds = [p.type for p in s]
            return s.result, kinds

        async def go() -> Any:
            s = agent.astream(prompt, **options)
            kinds = [p.type async for p in s]
            return s.result, kinds

        return asyncio.run(go())

    server.script(Stream(streamed_tool_calls()), Stream(chat_stream(["do", "ne"])))
    whole, _ = stream(build_agent(model_for("openai", server.url), approve=decide), PROMPT)
    assert whole.text == "done"
    expected = [r.body for r in server.requests]
    server.requests.clear()

    server.script(Stream(streamed_tool_calls()))
    paused, kinds = stream(build_agent(model_for("openai", server.url)), PROMPT)
    assert kinds.count(fantasy.StreamPartType.TOOL_APPROVAL_REQUEST) == 2
    saved = fantasy.to_json(paused.all_messages())

    server.script(Stream(chat_stream(["do", "ne"])))
    agent = build_agent(model_for("openai", server.url))
    messages = fantasy.from_json(saved, list[fantasy.Message])
    approvals = {p.tool_call_id: decide(p) for p in agent.pending(messages)}
    resumed, kinds = stream(agent, messages=messages, approvals=approvals)
    assert resumed.text == "done"
    assert kinds[:2] == [fantasy.StreamPartType.TOOL_RESULT] * 2
    assert [r.body for r in server.requests] == expected
    assert b'"stream":true' in expected[1]
