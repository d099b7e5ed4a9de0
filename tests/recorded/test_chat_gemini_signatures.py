"""Gemini's thought signatures through its OpenAI-compatible endpoint go back on the
calls they came with.

``generativelanguage.googleapis.com/v1beta/openai/`` puts a call's signature in
``tool_calls[i].extra_content.google.thought_signature`` (Google's thought-signature
guide, "OpenAI compatibility"; the chunk measured in THU-MAIC/OpenMAIC#1556:
no ``index``, an id such as ``call_297140``; open-webui/computer#224: the signature
sometimes in a delta of its own, ``finish_reason: "stop"`` after calls), and Gemini 3
answers a next request whose calls lack it with a 400 error. The field was dropped, so
an agent's second step through ``openaicompat`` failed; it is now kept on the call
(`ToolCallExtraContent` under the provider's options key) and sent back with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from fantasy import Agent, tool
from fantasy.model import Call
from fantasy.persistence import from_json, to_json
from fantasy.providers.openai.tool_call_extras import ToolCallExtraContent
from fantasy.types import Message, ToolCallContent
from tests.faults.server import FaultServer, Reply, Stream
from tests.recorded.replay import KEY, cuts, model, sse

SIGNATURE = "CiQBjz1rX0vWJ1xZ6rPqQ8lYd3Z9mB2w7QnF0aKcT4sE1uGhR5I="
EXTRA = {"google": {"thought_signature": SIGNATURE}}


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "choices": [{"delta": {"role": "assistant", **delta}, "index": 0, "finish_reason": finish}],
        "created": 1766000000,
        "id": "vZ1DacW1Kp2wz7IPo6GQ4Aw",
        "model": "gemini-3-flash-preview",
        "object": "chat.completion.chunk",
    }


def gemini_call(call_id: str, city: str, signed: bool) -> dict[str, Any]:
    call: dict[str, Any] = {
        "function": {"arguments": json.dumps({"city": city}), "name": "get_weather"},
        "id": call_id,
        "type": "function",
    }
    if signed:
        call["extra_content"] = EXTRA
    return call


def two_calls(signature_apart: bool) -> bytes:
    """Parallel calls, one chunk each, no index; only the first is signed (as Gemini
    signs parallel calls), its signature with it or in a delta of its own."""
    first = gemini_call("function-call-1", "Paris", signed=not signature_apart)
    chunks = [chunk({"tool_calls": [first]})]
    if signature_apart:
        chunks.append(chunk({"tool_calls": [{"extra_content": EXTRA}]}))
    chunks.append(chunk({"tool_calls": [gemini_call("function-call-2", "Rome", False)]}))
    chunks.append(
        {
            **chunk({}, finish="stop"),
            "usage": {"completion_tokens": 24, "prompt_tokens": 61, "total_tokens": 85},
        }
    )
    return sse(*chunks, done=True)


ANSWER = sse(chunk({"content": "Sunny in both."}, finish="stop"), done=True)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def sent_calls(server: FaultServer, request: int) -> list[dict[str, Any]]:
    body = json.loads(server.requests[request].body)
    return [c for m in body["messages"] for c in m.get("tool_calls") or []]


@pytest.mark.parametrize("apart", [False, True], ids=["with-the-call", "in-its-own-delta"])
def test_streamed_signature_goes_back_with_its_call(server: FaultServer, apart: bool) -> None:
    server.script(Stream(cuts(two_calls(apart), 61)), Stream(cuts(ANSWER, 61)))
    result = Agent(model("openaicompat", server), tools=[get_weather]).stream("weather?").result
    assert result.text == "Sunny in both."
    calls = sent_calls(server, 1)
    assert [c["id"] for c in calls] == ["function-call-1", "function-call-2"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    assert calls[0]["extra_content"] == EXTRA
    assert "extra_content" not in calls[1]


def test_whole_answer_signature_goes_back(server: FaultServer) -> None:
    whole = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "index": 0,
                "message": {
                    "role": "assistant",
                    "tool_calls": [gemini_call("function-call-1", "Paris", True)],
                },
            }
        ],
        "created": 1766000000,
        "id": "vZ1DacW1Kp2wz7IPo6GQ4Aw",
        "model": "gemini-3-flash-preview",
        "object": "chat.completion",
        "usage": {"completion_tokens": 12, "prompt_tokens": 40, "total_tokens": 52},
    }
    done = {
        **whole,
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "message": {"role": "assistant", "content": "Sunny."},
            }
        ],
    }
    server.script(Reply(body=json.dumps(whole).encode()), Reply(body=json.dumps(done).encode()))
    result = Agent(model("openaicompat", server), tools=[get_weather]).generate("weather?")
    assert result.text == "Sunny."
    assert sent_calls(server, 1)[0]["extra_content"] == EXTRA


def test_another_provider_is_not_sent_it(server: FaultServer) -> None:
    """A conversation moved to OpenAI itself does not carry Gemini's field there."""
    server.script(Stream(cuts(two_calls(False), 61)), Stream(cuts(ANSWER, 61)))
    result = Agent(model("openaicompat", server), tools=[get_weather]).stream("weather?").result
    messages = result.all_messages()
    server.script(Stream(cuts(ANSWER, 61)))
    list(model("openai", server).stream(Call(list(messages))))
    calls = sent_calls(server, 2)
    assert [c["id"] for c in calls] == ["function-call-1", "function-call-2"]
    assert all("extra_content" not in c for c in calls)


def test_saved_conversations_keep_it(server: FaultServer) -> None:
    server.script(Stream(cuts(two_calls(False), 61)), Stream(cuts(ANSWER, 61)))
    result = Agent(model("openaicompat", server), tools=[get_weather]).stream("weather?").result
    saved = to_json(result.all_messages())
    step_call = next(c for c in result.steps[0].content if isinstance(c, ToolCallContent))
    assert step_call.provider_metadata == {
        "openai-compat": ToolCallExtraContent(extra_content=EXTRA)
    }
    again = from_json(saved, list[Message])
    assert again == result.all_messages()
    # A fresh process finds the class by its type id.
    code = (
        "import sys, fantasy.persistence as p\n"
        "from fantasy.types import Message\n"
        "messages = p.from_json(sys.stdin.read(), list[Message])\n"
        "part = messages[1].content[0]\n"
        "print(type(part.provider_options['openai-compat']).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=saved, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ToolCallExtraContent"
    assert KEY not in saved
