"""GPT's hallucinated ``multi_tool_use.parallel`` wrapper, read as the calls it names.

OpenAI's models sometimes answer a request for parallel calls with one call to
``multi_tool_use.parallel``, a wrapper of their own that no request offered, its
arguments ``{"tool_uses": [{"recipient_name": "functions.<tool>", "parameters":
{...}}, ...]}`` (reported to OpenAI by many, and unwrapped by other libraries). An agent
ran it as an unknown tool. When the request offers no tool of that name, a Chat
Completions answer now holds the calls it names, whole and streamed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy import Agent, tool
from fantasy.model import Call
from fantasy.types import FunctionTool, StreamPartType, user_message
from tests.faults.server import FaultServer, Reply, Stream
from tests.recorded.replay import SIZES, cuts, model, sse, streamed, whole

WRAPPED = json.dumps(
    {
        "tool_uses": [
            {"recipient_name": "functions.weather", "parameters": {"city": "Paris"}},
            {"recipient_name": "functions.local_time", "parameters": {"city": "Tokyo"}},
        ]
    }
)
CALL_ID = "call_Xf3Qm2TqH9bNe1"
EXPECTED = [("weather", {"city": "Paris"}), ("local_time", {"city": "Tokyo"})]


def answer(arguments: str = WRAPPED) -> dict[str, Any]:
    return {
        "id": "chatcmpl-AZm1",
        "object": "chat.completion",
        "created": 1744000000,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": CALL_ID,
                            "type": "function",
                            "function": {"name": "multi_tool_use.parallel", "arguments": arguments},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 80, "completion_tokens": 40, "total_tokens": 120},
    }


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-AZm1",
        "object": "chat.completion.chunk",
        "created": 1744000000,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def stream_body(arguments: str = WRAPPED) -> bytes:
    opening = {
        "index": 0,
        "id": CALL_ID,
        "type": "function",
        "function": {"name": "multi_tool_use.parallel", "arguments": ""},
    }
    pieces = [arguments[i : i + 17] for i in range(0, len(arguments), 17)]
    return sse(
        chunk({"role": "assistant", "content": None, "tool_calls": [opening]}),
        *[chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces],
        chunk({}, finish="tool_calls"),
        done=True,
    )


def test_a_whole_answer_holds_the_wrapped_calls(server: FaultServer) -> None:
    seen = whole("openai", server, answer())
    assert seen.calls == EXPECTED
    assert seen.response is not None
    ids = [c.tool_call_id for c in seen.response.content.tool_calls]
    assert ids == [f"{CALL_ID}_0", f"{CALL_ID}_1"]


@pytest.mark.parametrize("size", SIZES)
def test_a_stream_holds_the_wrapped_calls(server: FaultServer, size: int) -> None:
    seen = streamed("openaicompat", server, stream_body(), size)
    assert seen.errors == []
    assert seen.calls == EXPECTED
    starts = [p.tool_call_name for p in seen.parts if p.type is StreamPartType.TOOL_INPUT_START]
    assert starts == ["weather", "local_time"]  # the wrapper itself is never shown
    ends = [p.id for p in seen.parts if p.type is StreamPartType.TOOL_INPUT_END]
    assert ends == [f"{CALL_ID}_0", f"{CALL_ID}_1"]


def test_a_wrapper_that_names_no_calls_stays_as_it_came(server: FaultServer) -> None:
    odd = json.dumps({"tool_uses": "weather"})
    seen = streamed("openai", server, stream_body(odd), 61)
    assert seen.calls == [("multi_tool_use.parallel", {"tool_uses": "weather"})]
    seen = whole("openai", server, answer(odd))
    assert seen.calls == [("multi_tool_use.parallel", {"tool_uses": "weather"})]


def test_a_tool_of_that_name_is_called_as_it_is(server: FaultServer) -> None:
    offered = FunctionTool("multi_tool_use.parallel", "runs tools", {"type": "object"})
    server.script(Reply(body=json.dumps(answer()).encode()))
    response = model("openai", server).generate(Call([user_message("hi")], tools=[offered]))
    names = [c.tool_name for c in response.content.tool_calls]
    assert names == ["multi_tool_use.parallel"]


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@tool
def local_time(city: str) -> str:
    """The local time in a city."""
    return f"09:00 in {city}"


FINAL = {
    **answer(),
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Sunny in Paris; 9am in Tokyo."},
            "finish_reason": "stop",
        }
    ],
}


@pytest.mark.parametrize("face", ["generate", "stream"])
def test_an_agent_runs_the_wrapped_calls(server: FaultServer, face: str) -> None:
    if face == "generate":
        server.script(
            Reply(body=json.dumps(answer()).encode()), Reply(body=json.dumps(FINAL).encode())
        )
    else:
        final = sse(
            chunk({"role": "assistant", "content": "Sunny in Paris; 9am in Tokyo."}),
            chunk({}, finish="stop"),
            done=True,
        )
        server.script(Stream(cuts(stream_body(), 61)), Stream(cuts(final, 61)))
    agent = Agent(model("openai", server), tools=[weather, local_time])
    if face == "generate":
        result = agent.generate("Weather in Paris and time in Tokyo?")
        outputs = [r.result for r in result.steps[0].content.tool_results]
    else:
        parts = list(agent.stream("Weather in Paris and time in Tokyo?"))
        outputs = [p.tool_result.result for p in parts if p.tool_result is not None]
    assert [getattr(o, "text", o) for o in outputs] == ["sunny in Paris", "09:00 in Tokyo"]
    sent = json.loads(server.requests[1].body)["messages"]
    calls = sent[-3]["tool_calls"]
    assert [(c["id"], c["function"]["name"]) for c in calls] == [
        (f"{CALL_ID}_0", "weather"),
        (f"{CALL_ID}_1", "local_time"),
    ]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [
        {"city": "Paris"},
        {"city": "Tokyo"},
    ]
    assert [(m["role"], m["tool_call_id"]) for m in sent[-2:]] == [
        ("tool", f"{CALL_ID}_0"),
        ("tool", f"{CALL_ID}_1"),
    ]
