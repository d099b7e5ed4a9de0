"""Deferred across a process boundary: one process runs the agent until it pauses and
saves the conversation as JSON; another process (a restart, a worker, a web request)
loads it, shows the pending calls to the person deciding, and resumes. The provider,
a loopback server in this test's process, must see the requests of one uninterrupted
run, byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fantasy
from tests.faults.server import FaultServer, Reply
from tests.faults.wire import chat_tool_whole
from tests.hitl.app import PROMPT, build_agent, decide, model_for
from tests.hitl.wire import final_text, tool_calls

ROOT = Path(__file__).resolve().parents[2]


def app(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.hitl.app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pause_in_one_process_and_resume_in_another(server: FaultServer, tmp_path: Path) -> None:
    server.script(Reply(body=tool_calls("openai")), Reply(body=final_text("openai")))
    build_agent(model_for("openai", server.url), approve=decide).generate(PROMPT)
    uninterrupted = [r.body for r in server.requests]
    server.requests.clear()

    saved = tmp_path / "conversation.json"
    server.script(Reply(body=tool_calls("openai")))
    assert json.loads(app("start", "openai", server.url, str(saved))) == ["call_1", "call_2"]
    # What was saved is Fantasy's message JSON, the waiting calls marked.
    data = json.loads(saved.read_text())
    kinds = [
        part["data"].get("extensions", [{}])[0].get("data", {}).get("kind")
        for message in data
        for part in message["content"]
        if part["type"] == "tool-call"
    ]
    assert kinds == ["approval", "approval", None]

    server.script(Reply(body=final_text("openai")))
    assert json.loads(app("resume", "openai", server.url, str(saved))) == {
        "text": "done",
        "paused": False,
    }
    assert [r.body for r in server.requests] == uninterrupted
    assert len(uninterrupted) == 2
    assert fantasy.from_json(saved.read_text(), list[fantasy.Message])  # still loads here


def test_a_deferred_tools_answer_arrives_in_another_process(
    server: FaultServer, tmp_path: Path
) -> None:
    saved = tmp_path / "waiting.json"
    server.script(Reply(body=chat_tool_whole("call_q", "ask_human", '{"question": "Deploy?"}')))
    assert json.loads(app("ask", "openai", server.url, str(saved))) == [["call_q", "Deploy?"]]
    first = server.requests[0].body

    server.script(Reply(body=final_text("openai")))
    assert json.loads(app("answer", "openai", server.url, str(saved))) == {
        "text": "done",
        "paused": False,
    }
    second = json.loads(server.requests[1].body)
    assert json.loads(first)["messages"] == second["messages"][:2]
    assert second["messages"][2:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_q",
                    "type": "function",
                    "function": {"name": "ask_human", "arguments": '{"question": "Deploy?"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_q", "content": "Yes, deploy."},
    ]
