"""Claude's paused turns go on, as Anthropic's docs say to handle ``pause_turn``.

With server tools (web search, web fetch, code execution) a long turn may come back
with ``stop_reason: "pause_turn"``: the answer so far (text, the ``server_tool_use``
blocks and their results) is incomplete, and sending it back as it is, as the last
assistant message with no new user message, lets Claude continue (Anthropic:
"Handling stop reasons", pause_turn; the AI SDK and pydantic-ai recorded such answers).
It was mapped to ``stop`` and the run ended with the partial answer. The provider now
marks the answer ``turn_paused`` (a provider-neutral flag on the `Response` and the
stream's finish part) and the agent sends it back, within ``max_steps``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy import Agent, MaxStepsExceededError
from fantasy.model import Call, LanguageModel
from fantasy.providers import anthropic
from fantasy.types import FinishReason, StreamPartType, user_message
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import _frame
from tests.recorded.replay import BUILT, KEY, cuts, sse

USAGE = {"input_tokens": 2061, "output_tokens": 187, "server_tool_use": {"web_search_requests": 1}}

SEARCH = {
    "type": "server_tool_use",
    "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
    "name": "web_search",
    "input": {"query": "population of Paris 2025"},
}
RESULTS = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
    "content": [
        {
            "type": "web_search_result",
            "title": "Paris - Wikipedia",
            "url": "https://en.wikipedia.org/wiki/Paris",
            "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2Y",
            "page_age": "2 days ago",
        }
    ],
}
PAUSED_CONTENT = [{"type": "text", "text": "Let me look that up."}, SEARCH, RESULTS]
FINAL_TEXT = "Paris has about 2.1 million inhabitants."


def message(content: list[dict[str, Any]], stop: str, n: int) -> dict[str, Any]:
    return {
        "id": f"msg_01Paused{n}",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": USAGE,
    }


PAUSED = message(PAUSED_CONTENT, "pause_turn", 1)
DONE = message([{"type": "text", "text": FINAL_TEXT}], "end_turn", 2)


def events(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """``answer`` as the Messages API streams it."""
    out: list[dict[str, Any]] = [
        {"type": "message_start", "message": {**answer, "content": [], "stop_reason": None}}
    ]
    for i, block in enumerate(answer["content"]):
        if block["type"] == "text":
            out.append(
                {"type": "content_block_start", "index": i, "content_block": {**block, "text": ""}}
            )
            out.append(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "text_delta", "text": block["text"]},
                }
            )
        elif block["type"] == "server_tool_use":
            start = {**block, "input": {}}
            out.append({"type": "content_block_start", "index": i, "content_block": start})
            out.append(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": json.dumps(block["input"]),
                    },
                }
            )
        else:
            out.append({"type": "content_block_start", "index": i, "content_block": block})
        out.append({"type": "content_block_stop", "index": i})
    out.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": answer["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": USAGE["output_tokens"]},
        }
    )
    out.append({"type": "message_stop"})
    return out


def streamed(answer: dict[str, Any]) -> Stream:
    return Stream(cuts(sse(*events(answer), named=True), 61))


def direct(server: FaultServer) -> LanguageModel:
    built = anthropic.Provider(KEY, base_url=server.url + "/v1").language_model("claude-sonnet-4-5")
    BUILT.append(built)
    return built


def vertex(server: FaultServer) -> LanguageModel:
    built = anthropic.Provider(
        vertex_project="my-project",
        vertex_location="us-east5",
        skip_auth=True,
        base_url=server.url + "/v1",
    ).language_model("claude-sonnet-4-5@20250929")
    BUILT.append(built)
    return built


def bedrock(server: FaultServer) -> LanguageModel:
    from fantasy.providers import bedrock as bedrock_provider

    built = bedrock_provider.Provider(KEY, base_url=server.url).language_model(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    BUILT.append(built)
    return built


PLATFORMS = {"direct": direct, "vertex": vertex, "bedrock": bedrock}


def bedrock_streamed(answer: dict[str, Any]) -> Stream:
    return Stream(
        [_frame(e) for e in events(answer)], content_type="application/vnd.amazon.eventstream"
    )


def agent(built: LanguageModel, **options: Any) -> Agent[str]:
    return Agent(built, provider_tools=[anthropic.web_search_tool(max_uses=5)], **options)


def sent(server: FaultServer, i: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(server.requests[i].body)
    return body


def assert_continued_as_is(server: FaultServer) -> None:
    """The second request is the first with the paused answer appended, as it came."""
    assert len(server.requests) == 2
    first, second = sent(server, 0), sent(server, 1)
    assert second["messages"][:-1] == first["messages"]
    last = second["messages"][-1]
    assert last["role"] == "assistant"  # no user message after it
    assert last["content"] == PAUSED_CONTENT
    assert {k: v for k, v in second.items() if k != "messages"} == {
        k: v for k, v in first.items() if k != "messages"
    }


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_an_agent_continues_a_paused_turn(server: FaultServer, platform: str) -> None:
    server.script(Reply(body=json.dumps(PAUSED).encode()), Reply(body=json.dumps(DONE).encode()))
    result = agent(PLATFORMS[platform](server)).generate("How many people live in Paris?")
    assert result.text == FINAL_TEXT
    assert [s.turn_paused for s in result.steps] == [True, False]
    assert [s.raw_finish_reason for s in result.steps] == ["pause_turn", "end_turn"]
    assert result.steps[0].text == "Let me look that up."
    assert_continued_as_is(server)


def test_an_agent_stream_continues_a_paused_turn(server: FaultServer) -> None:
    server.script(streamed(PAUSED), streamed(DONE))
    parts = list(agent(direct(server)).stream("How many people live in Paris?"))
    text = "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)
    assert text == "Let me look that up." + FINAL_TEXT
    finishes = [p for p in parts if p.type is StreamPartType.FINISH]
    assert [p.turn_paused for p in finishes] == [True, False]
    assert_continued_as_is(server)


def test_a_bedrock_agent_stream_continues_a_paused_turn(server: FaultServer) -> None:
    server.script(bedrock_streamed(PAUSED), bedrock_streamed(DONE))
    parts = list(agent(bedrock(server)).stream("How many people live in Paris?"))
    text = "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)
    assert text == "Let me look that up." + FINAL_TEXT
    assert_continued_as_is(server)


def test_a_turn_that_keeps_pausing_stops_at_max_steps(server: FaultServer) -> None:
    server.script(*[Reply(body=json.dumps(PAUSED).encode()) for _ in range(3)])
    with pytest.raises(MaxStepsExceededError) as caught:
        agent(direct(server), max_steps=3).generate("How many people live in Paris?")
    assert len(server.requests) == 3
    partial = caught.value.partial_result
    assert partial is not None and [s.turn_paused for s in partial.steps] == [True] * 3


def test_a_model_call_says_it_paused(server: FaultServer) -> None:
    server.script(Reply(body=json.dumps(PAUSED).encode()), streamed(PAUSED))
    built = direct(server)
    response = built.generate(Call([user_message("How many people live in Paris?")]))
    assert response.turn_paused
    assert (response.finish_reason, response.raw_finish_reason) == (FinishReason.STOP, "pause_turn")
    finish = [
        p for p in built.stream(Call([user_message("hi")])) if p.type is StreamPartType.FINISH
    ]
    assert [(p.turn_paused, p.raw_finish_reason) for p in finish] == [(True, "pause_turn")]


def test_an_ended_turn_is_not_paused(server: FaultServer) -> None:
    server.script(Reply(body=json.dumps(DONE).encode()))
    assert not direct(server).generate(Call([user_message("hi")])).turn_paused
