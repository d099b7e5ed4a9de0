"""Chat Completions answers beyond a string of text (issue 15), through the agent: the
reasoning a stream carries is kept and sent back where the server expects it, content
chunk lists (Mistral) are read and replayed as chunks, and conversations holding them
survive persistence."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.robustness.harness import sse

import fantasy
from fantasy import Agent, Message, Role, TextPart
from fantasy.providers import openai, openaicompat
from fantasy.providers.openai.chat_stream import ChatStreamTranslator
from fantasy.types import (
    ReasoningContent,
    ReasoningPart,
    SourceContent,
    StreamPartType,
    TextContent,
)

KEY = "sk-test-0123456789abcdef"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _weather() -> str:
    return "sunny"


WEATHER = fantasy.tool(_weather, name="weather", description="the weather")

CALL = {
    "index": 0,
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": "{}"},
}


class Server:
    """Answers each request with the next body, keeping the request bodies."""

    def __init__(self, *answers: bytes | dict[str, Any]):
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        answer = self.answers.pop(0)
        if isinstance(answer, bytes):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=answer
            )
        return httpx.Response(200, json=answer)


def _compat(server: Server) -> Any:
    return openaicompat.Provider(
        "http://compat.invalid/v1", api_key=KEY, transport=httpx.MockTransport(server)
    ).language_model("m")


def _completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "c",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _assistant_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "assistant"]


# --------------------------------------------------------------------------- DeepSeek / Qwen


def test_streamed_reasoning_with_null_fields_is_kept_and_sent_back() -> None:
    """DeepSeek sends ``"reasoning_content": null`` on every non-reasoning chunk. The
    block used to open again and never close, so the agent kept no reasoning and the
    next request carried none (DeepSeek's thinking mode with tools needs it back)."""
    server = Server(
        sse(
            _chunk({"role": "assistant", "content": None, "reasoning_content": "Need"}),
            _chunk({"content": None, "reasoning_content": " weather."}),
            _chunk({"content": None, "reasoning_content": None, "tool_calls": [CALL]}),
            _chunk({"content": None, "reasoning_content": None}, "tool_calls"),
            done=True,
        ),
        sse(
            _chunk({"content": "Sunny.", "reasoning_content": None}),
            _chunk({"content": "", "reasoning_content": None}, "stop"),
            done=True,
        ),
    )
    stream = Agent(_compat(server), tools=[WEATHER], max_steps=2).stream("weather?")
    result = stream.result
    assert [c.text for c in result.steps[0].content if isinstance(c, ReasoningContent)] == [
        "Need weather."
    ]
    (assistant,) = _assistant_messages(server.bodies[1])
    assert assistant["reasoning_content"] == "Need weather."
    assert assistant["tool_calls"][0]["id"] == "call_1"


def test_a_null_reasoning_field_sends_no_empty_reasoning_back() -> None:
    server = Server(
        _completion(
            {"content": None, "reasoning_content": None, "tool_calls": [CALL]}, "tool_calls"
        ),
        _completion({"content": "Sunny.", "reasoning_content": None}),
    )
    Agent(_compat(server), tools=[WEATHER], max_steps=2).generate("weather?")
    (assistant,) = _assistant_messages(server.bodies[1])
    assert "reasoning_content" not in assistant


# --------------------------------------------------------------------------- Mistral


MISTRAL_WHOLE = _completion(
    {
        "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "Call the tool."}]},
            {"type": "text", "text": "Checking."},
        ],
        "tool_calls": [{**CALL, "index": None}],
    },
    "tool_calls",
)


def test_mistral_thinking_chunks_are_replayed_as_chunks() -> None:
    """Reasoning read from ``thinking`` chunks goes back as ``thinking`` chunks of the
    assistant content (Mistral rejects a ``reasoning_content`` field)."""
    server = Server(MISTRAL_WHOLE, _completion({"content": "Sunny."}))
    result = Agent(_compat(server), tools=[WEATHER], max_steps=2).generate("weather?")
    step = result.steps[0]
    assert [c.text for c in step.content if isinstance(c, ReasoningContent)] == ["Call the tool."]
    assert [c.text for c in step.content if isinstance(c, TextContent)] == ["Checking."]
    (assistant,) = _assistant_messages(server.bodies[1])
    assert assistant["content"] == [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Call the tool."}]},
        {"type": "text", "text": "Checking."},
    ]
    assert "reasoning_content" not in assistant
    assert assistant["tool_calls"][0]["id"] == "call_1"


def test_mistral_thinking_chunks_streamed_are_replayed_as_chunks() -> None:
    server = Server(
        sse(
            _chunk({"role": "assistant", "content": ""}),
            _chunk(
                {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "Hm"}]}]}
            ),
            _chunk({"content": [{"type": "text", "text": "Checking."}]}),
            _chunk({"tool_calls": [CALL]}, "tool_calls"),
            done=True,
        ),
        sse(_chunk({"content": "Sunny."}, "stop"), done=True),
    )
    result = Agent(_compat(server), tools=[WEATHER], max_steps=2).stream("weather?").result
    assert result.text == "Sunny."
    (assistant,) = _assistant_messages(server.bodies[1])
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": [{"type": "text", "text": "Hm"}],
    }


def test_a_conversation_with_thinking_chunks_survives_persistence() -> None:
    server = Server(MISTRAL_WHOLE, _completion({"content": "Sunny."}))
    result = Agent(_compat(server), tools=[WEATHER], max_steps=2).generate("weather?")
    saved = fantasy.to_json(result.all_messages())
    loaded = fantasy.from_json(saved, list[Message])
    reasoning = [p for m in loaded for p in m.content if isinstance(p, ReasoningPart)]
    assert reasoning[0].provider_options == {"openai-compat": openaicompat.ThinkingChunk()}
    again = Server(_completion({"content": "ok"}))
    Agent(_compat(again)).generate(messages=[*loaded, Message(Role.USER, [TextPart("and?")])])
    assert _assistant_messages(again.bodies[0])[0]["content"][0]["type"] == "thinking"


def test_thinking_items_that_cite_become_sources() -> None:
    server = Server(
        _completion(
            {
                "content": [
                    {
                        "type": "thinking",
                        "thinking": [
                            {"type": "text", "text": "Searching."},
                            {
                                "type": "tool_reference",
                                "tool": "web_search",
                                "title": "Rome",
                                "url": "https://example.com/rome",
                            },
                            {"type": "reference", "reference_ids": [3]},
                        ],
                    },
                    {"type": "text", "text": "Sunny."},
                ]
            }
        )
    )
    step = Agent(_compat(server)).generate("weather?").steps[0]
    sources = [c for c in step.content if isinstance(c, SourceContent)]
    assert [(s.url, s.title) for s in sources] == [("https://example.com/rome", "Rome"), ("", "")]
    assert sources[1].id == "3"


# --------------------------------------------------------------------------- stream details


def test_chunk_list_text_after_thinking_closes_reasoning_first() -> None:
    codec = openaicompat.CompatCodec("m")
    stream = ChatStreamTranslator(codec, [])
    parts = stream.feed(
        _chunk(
            {
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "a"}]},
                    {"type": "text", "text": "b"},
                ]
            }
        )
    )
    parts += stream.feed(_chunk({}, "stop"))
    parts += stream.finish()
    assert [p.type for p in parts] == [
        StreamPartType.REASONING_START,
        StreamPartType.REASONING_DELTA,
        StreamPartType.REASONING_END,
        StreamPartType.TEXT_START,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_END,
        StreamPartType.FINISH,
    ]


def test_repeated_unknown_chunks_warn_once_per_stream() -> None:
    stream = ChatStreamTranslator(openaicompat.CompatCodec("m"), [])
    unknown = _chunk({"content": [{"type": "input_audio", "input_audio": "x"}]})
    first = stream.feed(unknown)
    second = stream.feed(unknown)
    assert [p.type for p in first] == [StreamPartType.WARNINGS]
    assert second == []


def test_openai_usage_is_the_last_reported() -> None:
    stream = ChatStreamTranslator(openai.Provider(KEY).language_model("gpt-4o").codec, [])
    stream.feed(_chunk({"content": "a"}, "stop"))
    stream.feed(
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
    )
    stream.feed({"choices": [], "usage": None, "obfuscation": "x"})
    finish = stream.finish()[-1]
    assert finish.usage is not None and finish.usage.total_tokens == 5


# --------------------------------------------------------------------------- hosted tools


def _openai_chat(server: Server) -> Any:
    return openai.Provider(
        KEY, base_url="http://openai.invalid/v1", transport=httpx.MockTransport(server)
    ).language_model("gpt-4o-search-preview")


CITED = _completion(
    {
        "content": "Sunny.",
        "annotations": [
            {
                "type": "url_citation",
                "url_citation": {"url": "https://example.com/rome", "title": "Rome"},
            }
        ],
    }
)


def test_openai_web_search_on_chat_is_web_search_options() -> None:
    server = Server(CITED)
    tool = openai.web_search_tool(
        search_context_size="low",
        user_location=openai.WebSearchUserLocation(city="Rome", country="IT"),
    )
    result = Agent(_openai_chat(server), provider_tools=[tool]).generate("weather?")
    body = server.bodies[0]
    assert body["web_search_options"] == {
        "search_context_size": "low",
        "user_location": {"type": "approximate", "approximate": {"city": "Rome", "country": "IT"}},
    }
    assert "tools" not in body
    assert [s.url for s in result.steps[0].content if isinstance(s, SourceContent)] == [
        "https://example.com/rome"
    ]
    assert result.steps[0].warnings == []


def test_openai_chat_web_search_warns_about_domains() -> None:
    server = Server(CITED)
    tool = openai.web_search_tool(allowed_domains=["example.com"])
    result = Agent(_openai_chat(server), provider_tools=[tool]).generate("weather?")
    assert server.bodies[0]["web_search_options"] == {}
    assert [w.setting for w in result.steps[0].warnings] == ["allowed_domains"]


def test_a_compatible_server_has_no_hosted_web_search() -> None:
    server = Server(_completion({"content": "ok"}))
    result = Agent(_compat(server), provider_tools=[openai.web_search_tool()]).generate("hi")
    assert "web_search_options" not in server.bodies[0]
    assert [w.message for w in result.steps[0].warnings] == ["tool is not supported"]


def _openrouter(server: Server) -> Any:
    from fantasy.providers import openrouter

    return openrouter.Provider(KEY, transport=httpx.MockTransport(server)).language_model(
        "openai/gpt-4o"
    )


def test_openrouter_plugins_are_provider_tools() -> None:
    from fantasy.providers import openrouter

    answer = _completion(
        {
            "content": "Q3 grew.",
            "annotations": [
                {
                    "type": "file",
                    "file": {"hash": "h1", "name": "q3.pdf", "content": [{"type": "text"}]},
                },
                {"type": "url_citation", "url_citation": {"url": "https://e.com", "title": "E"}},
            ],
        }
    )
    server = Server(answer)
    tools = [
        openrouter.web_search_tool(max_results=3, engine="exa", exclude_domains=["x.com"]),
        openrouter.file_parser_tool(pdf_engine="mistral-ocr"),
    ]
    result = Agent(_openrouter(server), provider_tools=tools).generate("summarize")
    assert server.bodies[0]["plugins"] == [
        {"id": "web", "max_results": 3, "engine": "exa", "exclude_domains": ["x.com"]},
        {"id": "file-parser", "pdf": {"engine": "mistral-ocr"}},
    ]
    sources = [c for c in result.steps[0].content if isinstance(c, SourceContent)]
    assert [(s.source_type.value, s.id, s.filename, s.media_type) for s in sources[:1]] == [
        ("document", "h1", "q3.pdf", "application/pdf")
    ]
    assert sources[1].url == "https://e.com"
    assert result.steps[0].warnings == []


def test_web_search_on_a_model_without_search_is_not_supported() -> None:
    server = Server(_completion({"content": "ok"}))
    model = openai.Provider(
        KEY, base_url="http://openai.invalid/v1", transport=httpx.MockTransport(server)
    ).language_model("gpt-4o")
    result = Agent(model, provider_tools=[openai.web_search_tool()]).generate("hi")
    assert "web_search_options" not in server.bodies[0]
    assert [w.message for w in result.steps[0].warnings] == ["tool is not supported"]


def test_thoughts_between_texts_each_get_their_own_block() -> None:
    stream = ChatStreamTranslator(openaicompat.CompatCodec("m"), [])

    def thinking(t: str) -> dict[str, Any]:
        return {"type": "thinking", "thinking": [{"type": "text", "text": t}]}

    parts = stream.feed(_chunk({"content": [thinking("a")]}))
    parts += stream.feed(_chunk({"content": "b"}))
    parts += stream.feed(_chunk({"content": [thinking("c")]}))
    parts += stream.feed(_chunk({"content": "d"}, "stop"))
    parts += stream.finish()
    assert [p.type.value for p in parts] == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "reasoning_start",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "finish",
    ]


def test_a_failed_choice_is_the_error_it_reports() -> None:
    """OpenRouter documents ``error`` on a choice that failed (``finish_reason``
    ``"error"``); it used to be an empty answer with an unknown finish reason."""
    answer = _completion({"content": ""}, "error")
    answer["choices"][0]["error"] = {"code": 502, "message": "Upstream disconnected"}
    server = Server(answer)
    with pytest.raises(fantasy.ProviderError, match="Upstream disconnected") as caught:
        Agent(_openrouter(server), max_retries=0).generate("hi")
    assert caught.value.transient


REDACTED = {"type": "reasoning.encrypted", "data": "EmwKAh", "format": "anthropic-claude-v1"}


def _claude_via_openrouter(server: Server) -> Any:
    from fantasy.providers import openrouter

    return openrouter.Provider(KEY, transport=httpx.MockTransport(server)).language_model(
        "anthropic/claude-sonnet-4.5"
    )


def test_claude_redacted_thinking_via_openrouter_is_kept_and_sent_back() -> None:
    """Redacted thinking arrives as an ``anthropic-claude-v1`` ``reasoning.encrypted``
    detail; its data used to be dropped (an empty reasoning part with no metadata)."""
    from fantasy.providers import anthropic

    kept = {"anthropic": anthropic.ReasoningMetadata(redacted_data="EmwKAh")}
    server = Server(
        sse(
            _chunk({"content": "", "reasoning_details": [REDACTED]}),
            _chunk({"content": None, "tool_calls": [CALL]}, "tool_calls"),
            done=True,
        ),
        sse(_chunk({"content": "Sunny."}, "stop"), done=True),
    )
    result = Agent(_claude_via_openrouter(server), tools=[WEATHER], max_steps=2).stream("w?").result
    reasoning = [c for c in result.steps[0].content if isinstance(c, ReasoningContent)]
    assert [r.provider_metadata for r in reasoning] == [kept]
    (assistant,) = _assistant_messages(server.bodies[1])
    assert assistant["reasoning_details"] == [
        {
            "type": "reasoning.encrypted",
            "format": "anthropic-claude-v1",
            "index": 0,
            "data": "EmwKAh",
        }
    ]
    whole = Server(_completion({"content": "Hi", "reasoning_details": [REDACTED]}))
    step = Agent(_claude_via_openrouter(whole)).generate("hi").steps[0]
    assert [c.provider_metadata for c in step.content if isinstance(c, ReasoningContent)] == [kept]
