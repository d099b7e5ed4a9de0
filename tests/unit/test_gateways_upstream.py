"""OpenRouter and Vercel with the Anthropic and Google metadata types: cache_control
placement, signed reasoning replay, and parsing reasoning_details into each upstream's
own metadata.

Those types belong to the Anthropic and Google providers, which are part of the core
package: an import failure here is a failure, never a skip.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.model import Call
from fantasy.providers._gateway import GatewayCodec
from fantasy.providers.anthropic import CacheControl, CacheControlOptions
from fantasy.providers.anthropic import ReasoningMetadata as AnthropicReasoning
from fantasy.providers.google import ReasoningMetadata as GoogleReasoning
from fantasy.providers.openai.responses_options import ResponsesReasoningMetadata
from fantasy.providers.openrouter import OpenRouterCodec
from fantasy.providers.vercel import VercelCodec
from fantasy.types import (
    FilePart,
    Message,
    ReasoningContent,
    ReasoningPart,
    Role,
    StreamPart,
    StreamPartType,
    TextContent,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)

CODECS = {"openrouter": OpenRouterCodec, "vercel": VercelCodec}
EPHEMERAL = {"type": "ephemeral"}


@pytest.fixture(params=sorted(CODECS))
def gateway(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def codec(name: str, model: str) -> GatewayCodec:
    return CODECS[name](model)


def messages(name: str, model: str, *prompt: Message) -> tuple[list[dict[str, Any]], list[str]]:
    wire, warnings = codec(name, model).to_messages(list(prompt))
    return wire, [w.message for w in warnings]


def cache() -> dict[str, Any]:
    """Anthropic cache-control provider options, for a message or a part."""
    return {"anthropic": CacheControlOptions(cache_control=CacheControl(type="ephemeral"))}


def assistant(*parts: Any, options: dict[str, Any] | None = None) -> Message:
    return Message(Role.ASSISTANT, list(parts), provider_options=options)


# =========================================================================== cache_control


def test_system_cache_goes_on_the_message(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "anthropic/claude-sonnet-4",
        Message(Role.SYSTEM, [TextPart("a"), TextPart("b")], provider_options=cache()),
    )
    assert wire == [{"role": "system", "content": "a\nb", "cache_control": EPHEMERAL}]


def test_system_part_cache_is_ignored(gateway: str) -> None:
    wire, _ = messages(gateway, "x/m", Message(Role.SYSTEM, [TextPart("a", cache())]))
    assert wire == [{"role": "system", "content": "a"}]


def test_single_text_user_cache_goes_on_the_message(gateway: str) -> None:
    wire, _ = messages(
        gateway, "x/m", Message(Role.USER, [TextPart("Hi")], provider_options=cache())
    )
    assert wire == [{"role": "user", "content": "Hi", "cache_control": EPHEMERAL}]
    # A lone text part's own cache setting is not used.
    wire, _ = messages(gateway, "x/m", Message(Role.USER, [TextPart("Hi", cache())]))
    assert wire == [{"role": "user", "content": "Hi"}]


def test_single_text_assistant_cache_goes_on_the_message(gateway: str) -> None:
    wire, _ = messages(gateway, "x/m", assistant(TextPart("Yo"), options=cache()))
    assert wire == [{"role": "assistant", "content": "Yo", "cache_control": EPHEMERAL}]
    wire, _ = messages(gateway, "x/m", assistant(TextPart("Yo", cache())))
    assert wire == [{"role": "assistant", "content": "Yo"}]


def test_multi_part_user_cache_per_part_and_message_cache_on_the_last(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "x/m",
        Message(
            Role.USER,
            [
                TextPart("one", cache()),
                TextPart("two"),
                FilePart(b"\x89PNG", "image/png"),
                FilePart(b"RIFF", "audio/wav"),
                FilePart(b"file-1", "application/pdf"),
            ],
            provider_options=cache(),
        ),
    )
    parts = wire[0]["content"]
    assert [p.get("cache_control") for p in parts] == [EPHEMERAL, None, None, None, EPHEMERAL]
    assert parts[4] == {"type": "file", "file": {"file_id": "file-1"}, "cache_control": EPHEMERAL}


def test_part_cache_on_image_and_audio_parts(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "x/m",
        Message(
            Role.USER,
            [
                FilePart(b"\x89PNG", "image/png", provider_options=cache()),
                FilePart(b"ID3", "audio/mpeg", provider_options=cache()),
                TextPart("end"),
            ],
        ),
    )
    image, audio, text = wire[0]["content"]
    assert image["cache_control"] == EPHEMERAL
    assert image["type"] == "image_url"
    assert audio["cache_control"] == EPHEMERAL
    assert "cache_control" not in text


def test_message_cache_is_lost_when_the_last_user_part_is_dropped(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "x/m",
        Message(
            Role.USER,
            [TextPart("a"), TextPart("b"), FilePart(b"x", "text/plain")],
            provider_options=cache(),
        ),
    )
    assert wire == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]
    assert warnings == ["file part media type text/plain not supported"]


def test_tool_call_cache_from_the_part_or_the_message_when_last(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "x/m",
        assistant(
            ToolCallPart("c1", "add", "{}", provider_options=cache()),
            ToolCallPart("c2", "mul", "{}"),
            ToolCallPart("c3", "sub", "{}"),
            options=cache(),
        ),
    )
    calls = wire[0]["tool_calls"]
    assert [c.get("cache_control") for c in calls] == [EPHEMERAL, None, EPHEMERAL]
    assert calls[0] == {
        "id": "c1",
        "type": "function",
        "function": {"name": "add", "arguments": "{}"},
        "cache_control": EPHEMERAL,
    }


def test_cache_on_multi_part_assistant_text_is_lost(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "x/m",
        assistant(
            TextPart("a", cache()), ToolCallPart("c", "w", "{}"), TextPart("b"), options=cache()
        ),
    )
    assert wire == [
        {
            "role": "assistant",
            "content": "a\nb",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "w", "arguments": "{}"}}
            ],
        }
    ]


def test_tool_messages_never_carry_cache_control(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "x/m",
        Message(
            Role.TOOL,
            [
                ToolResultPart("c1", ToolResultOutputText("5"), provider_options=cache()),
                ToolResultPart("c2", ToolResultOutputError("no")),
            ],
            provider_options=cache(),
        ),
    )
    assert wire == [
        {"role": "tool", "tool_call_id": "c1", "content": "5"},
        {"role": "tool", "tool_call_id": "c2", "content": "no"},
    ]


def test_recorded_cache_request(gateway: str) -> None:
    # TestOpenRouterCommonWithAnthropicCache/anthropic/tool.yaml, second request, after
    # addAnthropicCaching marked the system message and the last two messages.
    wire, warnings = messages(
        gateway,
        "anthropic/claude-haiku-4.5",
        Message(Role.SYSTEM, [TextPart("You are a helpful assistant")], provider_options=cache()),
        Message(Role.USER, [TextPart("What's the weather in Florence,Italy?")]),
        assistant(
            ToolCallPart("toolu_1", "weather", '{"location": "Florence, Italy"}'), options=cache()
        ),
        Message(
            Role.TOOL,
            [ToolResultPart("toolu_1", ToolResultOutputText("40 C"))],
            provider_options=cache(),
        ),
    )
    assert wire == [
        {"content": "You are a helpful assistant", "role": "system", "cache_control": EPHEMERAL},
        {"content": "What's the weather in Florence,Italy?", "role": "user"},
        {
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "function": {"arguments": '{"location": "Florence, Italy"}', "name": "weather"},
                    "type": "function",
                    "cache_control": EPHEMERAL,
                }
            ],
            "role": "assistant",
        },
        {"content": "40 C", "tool_call_id": "toolu_1", "role": "tool"},
    ]
    assert warnings == []


def test_cache_reaches_the_request_body(gateway: str) -> None:
    body, _ = codec(gateway, "anthropic/claude-sonnet-4").build_body(
        Call(prompt=[Message(Role.USER, [TextPart("Hi")], provider_options=cache())]),
        stream=False,
    )
    assert body["messages"] == [{"role": "user", "content": "Hi", "cache_control": EPHEMERAL}]


# =========================================================================== Anthropic reasoning


def test_anthropic_reasoning_replay(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "anthropic/claude-sonnet-4",
        assistant(
            ReasoningPart("Let me think.", {"anthropic": AnthropicReasoning(signature="sig")}),
            ToolCallPart("c", "weather", "{}"),
        ),
    )
    assert wire == [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
            ],
            "reasoning_details": [
                {
                    "type": "reasoning.text",
                    "format": "anthropic-claude-v1",
                    "index": 0,
                    "text": "Let me think.",
                    "signature": "sig",
                }
            ],
            "reasoning": "Let me think.",
        }
    ]
    assert warnings == []


def test_anthropic_metadata_without_a_signature_still_replays(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "anthropic/claude-sonnet-4",
        assistant(ReasoningPart("T", {"anthropic": AnthropicReasoning()}), TextPart("a")),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "anthropic-claude-v1", "index": 0, "text": "T"}
    ]
    assert wire[0]["reasoning"] == "T"
    assert wire[0]["content"] == "a"


def test_anthropic_cache_options_are_not_reasoning_metadata(gateway: str) -> None:
    wire, _ = messages(
        gateway, "anthropic/claude-sonnet-4", assistant(ReasoningPart("T", cache()), TextPart("a"))
    )
    assert wire[0] == {"role": "assistant", "content": "<thoughts>T</thoughts>\na"}


def test_anthropic_metadata_on_another_upstreams_model(gateway: str) -> None:
    part = ReasoningPart("T", {"anthropic": AnthropicReasoning(signature="sig")})
    wire, _ = messages(gateway, "openai/gpt-5", assistant(part, TextPart("a")))
    assert wire[0] == {"role": "assistant", "content": "<thoughts>T</thoughts>\na"}
    wire, _ = messages(gateway, "moonshotai/kimi-k2.5", assistant(part, TextPart("a")))
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "T"}
    ]


def test_a_later_reasoning_part_replaces_the_anthropic_fields(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "anthropic/claude-sonnet-4",
        assistant(
            ReasoningPart("signed", {"anthropic": AnthropicReasoning(signature="s")}),
            ReasoningPart(""),
            TextPart("a"),
        ),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0}
    ]
    assert "reasoning" not in wire[0]


def test_anthropic_details_are_parsed_one_block_each(gateway: str) -> None:
    response = codec(gateway, "anthropic/claude-sonnet-4").parse_response(
        completion(
            [
                {
                    "type": "reasoning.text",
                    "text": "A",
                    "signature": "S1",
                    "format": "anthropic-claude-v1",
                    "index": 0,
                },
                {
                    "type": "reasoning.text",
                    "text": "B",
                    "format": "anthropic-claude-v1",
                    "index": 0,
                },
            ]
        )
    )
    assert response.content.reasoning == [
        ReasoningContent("A", {"anthropic": AnthropicReasoning(signature="S1")}),
        ReasoningContent("B", {"anthropic": AnthropicReasoning(signature="")}),
    ]


def test_anthropic_round_trip(gateway: str) -> None:
    model = "anthropic/claude-sonnet-4"
    detail = {
        "type": "reasoning.text",
        "text": "thinking",
        "signature": "EqQB",
        "format": "anthropic-claude-v1",
        "index": 0,
    }
    (reasoning,) = codec(gateway, model).parse_response(completion([detail])).content.reasoning
    wire, _ = messages(
        gateway,
        model,
        assistant(ReasoningPart(reasoning.text, reasoning.provider_metadata), TextPart("answer")),
    )
    assert wire[0]["reasoning_details"] == [detail]
    assert wire[0]["reasoning"] == "thinking"


def test_openrouter_anthropic_stream_waits_for_the_signature() -> None:
    claude = "anthropic-claude-v1"
    parts = translate(
        "openrouter",
        "anthropic/claude-haiku-4.5",
        [
            chunk(
                reasoning_details=[
                    {"type": "reasoning.text", "text": "Let", "format": claude, "index": 0}
                ]
            ),
            chunk(
                reasoning_details=[
                    {"type": "reasoning.text", "text": " me", "format": claude, "index": 0}
                ]
            ),
            chunk(tool_calls=[CALL]),
            chunk(
                reasoning_details=[
                    {
                        "type": "reasoning.text",
                        "text": "",
                        "signature": "SIG",
                        "format": claude,
                        "index": 0,
                    }
                ]
            ),
            chunk(finish="tool_calls"),
        ],
    )
    assert kinds(parts) == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_delta",
        "tool_input_start",
        "tool_input_delta",
        "reasoning_delta",
        "reasoning_end",
        "tool_input_end",
        "tool_call",
        "finish",
    ]
    deltas = of(parts, StreamPartType.REASONING_DELTA)
    # Claude's first chunk is kept, unlike the unknown format's.
    assert [d.delta for d in deltas] == ["Let", " me", ""]
    assert deltas[-1].provider_metadata == {"anthropic": AnthropicReasoning(signature="SIG")}


def test_anthropic_signature_ends_the_stream_reasoning(gateway: str) -> None:
    claude = "anthropic-claude-v1"
    parts = translate(
        gateway,
        "anthropic/claude-sonnet-4",
        [
            chunk(
                reasoning_details=[
                    {"type": "reasoning.text", "text": "Hm", "format": claude, "index": 0}
                ]
            ),
            chunk(
                reasoning_details=[
                    {
                        "type": "reasoning.text",
                        "text": ".",
                        "signature": "SIG",
                        "format": claude,
                        "index": 0,
                    }
                ]
            ),
            chunk("Answer", finish="stop"),
        ],
    )
    assert kinds(parts) == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "finish",
    ]
    assert parts[2].delta == "."
    assert parts[2].provider_metadata == {"anthropic": AnthropicReasoning(signature="SIG")}


# =========================================================================== Google reasoning


def test_google_reasoning_replay(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "google/gemini-2.5-flash",
        assistant(
            ReasoningPart(
                "**Retrieving**", {"google": GoogleReasoning(signature="sig", tool_id="tool_1")}
            ),
            ToolCallPart("tool_1", "weather", "{}"),
        ),
    )
    assert wire[0]["reasoning_details"] == [
        {
            "type": "reasoning.text",
            "format": "google-gemini-v1",
            "index": 0,
            "text": "**Retrieving**",
        },
        {
            "type": "reasoning.encrypted",
            "format": "google-gemini-v1",
            "index": 0,
            "data": "sig",
            "id": "tool_1",
        },
    ]
    assert "reasoning" not in wire[0]


def test_google_replay_always_sends_the_encrypted_entry(gateway: str) -> None:
    # Recorded (TestVercelThinking/gemini-3-pro-preview): no signature, so no data or id.
    wire, _ = messages(
        gateway,
        "google/gemini-3-pro-preview",
        assistant(ReasoningPart("T", {"google": GoogleReasoning(signature="")}), TextPart("a")),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "google-gemini-v1", "index": 0, "text": "T"},
        {"type": "reasoning.encrypted", "format": "google-gemini-v1", "index": 0},
    ]
    wire, _ = messages(
        gateway,
        "google/gemini-3-pro-preview",
        assistant(ReasoningPart("", {"google": GoogleReasoning(signature="S")}), TextPart("a")),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.encrypted", "format": "google-gemini-v1", "index": 0, "data": "S"}
    ]


def test_google_metadata_on_an_anthropic_model_falls_back_to_thoughts(gateway: str) -> None:
    part = ReasoningPart("T", {"google": GoogleReasoning(signature="S")})
    wire, _ = messages(gateway, "anthropic/claude-sonnet-4", assistant(part, TextPart("a")))
    assert wire[0] == {"role": "assistant", "content": "<thoughts>T</thoughts>\na"}


def test_google_details_are_grouped_by_index(gateway: str) -> None:
    fmt = "google-gemini-v1"
    response = codec(gateway, "google/gemini-2.5-flash").parse_response(
        completion(
            [
                {"type": "reasoning.text", "text": "G", "format": fmt, "index": 0},
                {
                    "type": "reasoning.encrypted",
                    "data": "sig",
                    "id": "tool_1",
                    "format": fmt,
                    "index": 0,
                },
                {"type": "reasoning.encrypted", "data": "sig2", "format": fmt, "index": 1},
            ]
        )
    )
    assert response.content.reasoning == [
        ReasoningContent("G", {"google": GoogleReasoning(signature="sig", tool_id="tool_1")}),
        ReasoningContent("", {"google": GoogleReasoning(signature="sig2", tool_id="")}),
    ]


def test_google_round_trip_of_a_recorded_encrypted_detail(gateway: str) -> None:
    # TestOpenRouterCommon/gemini/multi_tool.yaml: encrypted only, with the tool call's id.
    model = "google/gemini-3.1-flash-lite-preview"
    detail = {
        "type": "reasoning.encrypted",
        "data": "EjQKMgEMOdbH2eMj",
        "format": "google-gemini-v1",
        "id": "tool_add_1",
        "index": 0,
    }
    (reasoning,) = codec(gateway, model).parse_response(completion([detail])).content.reasoning
    assert reasoning.text == ""
    wire, _ = messages(
        gateway,
        model,
        assistant(
            ReasoningPart(reasoning.text, reasoning.provider_metadata),
            ToolCallPart("tool_add_1", "add", "{}"),
        ),
    )
    assert wire[0]["reasoning_details"] == [detail]


def test_google_stream_text_then_signature(gateway: str) -> None:
    fmt = "google-gemini-v1"
    parts = translate(
        gateway,
        "google/gemini-2.5-flash",
        [
            chunk(
                reasoning_details=[
                    {"type": "reasoning.text", "text": "A", "format": fmt, "index": 0}
                ]
            ),
            chunk(
                reasoning_details=[
                    {"type": "reasoning.text", "text": "B", "format": fmt, "index": 0}
                ]
            ),
            chunk(
                reasoning_details=[
                    {
                        "type": "reasoning.encrypted",
                        "data": "sig",
                        "id": "t1",
                        "format": fmt,
                        "index": 0,
                    }
                ]
            ),
            chunk("x", finish="stop"),
        ],
    )
    assert kinds(parts)[:4] == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_delta",
        "reasoning_end",
    ]
    assert [p.delta for p in of(parts, StreamPartType.REASONING_DELTA)] == ["A", "B"]
    assert parts[3].provider_metadata == {"google": GoogleReasoning(signature="sig", tool_id="t1")}


def test_google_stream_encrypted_first_starts_and_ends(gateway: str) -> None:
    parts = translate(
        gateway,
        "google/gemini-2.5-flash",
        [
            chunk(
                tool_calls=[CALL],
                reasoning_details=[
                    {
                        "type": "reasoning.encrypted",
                        "data": "sig",
                        "id": "call_1",
                        "format": "google-gemini-v1",
                        "index": 0,
                    }
                ],
            ),
            chunk(finish="tool_calls"),
        ],
    )
    reasoning = [p for p in parts if p.type.value.startswith("reasoning")]
    assert [p.type.value for p in reasoning] == ["reasoning_start", "reasoning_end"]
    assert reasoning[1].provider_metadata == {
        "google": GoogleReasoning(signature="sig", tool_id="call_1")
    }


# =========================================================================== ordering


def test_parsed_order_is_responses_anthropic_google_other(gateway: str) -> None:
    response = codec(gateway, "x/m").parse_response(
        completion(
            [
                {"type": "reasoning.text", "text": "other", "format": "unknown", "index": 0},
                {
                    "type": "reasoning.text",
                    "text": "gemini",
                    "format": "google-gemini-v1",
                    "index": 0,
                },
                {
                    "type": "reasoning.text",
                    "text": "claude",
                    "signature": "s",
                    "format": "anthropic-claude-v1",
                    "index": 0,
                },
                {
                    "type": "reasoning.summary",
                    "summary": "gpt",
                    "format": "openai-responses-v1",
                    "index": 0,
                },
            ],
            content="Hi",
        )
    )
    assert response.content[0] == TextContent("Hi")
    assert [r.text for r in response.content.reasoning] == ["gpt", "claude", "gemini", "other"]
    keys = [next(iter(r.provider_metadata or {None: None})) for r in response.content.reasoning]
    assert keys == ["openai", "anthropic", "google", None]
    openai_metadata = response.content.reasoning[0].provider_metadata
    assert openai_metadata == {"openai": ResponsesReasoningMetadata(item_id="", summary=["gpt"])}


# =========================================================================== helpers


def completion(details: list[dict[str, Any]], content: str | None = "ok") -> dict[str, Any]:
    return {
        "id": "gen-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "reasoning_details": details},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


CALL = {
    "index": 0,
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": "{}"},
}


def chunk(
    content: str | None = None,
    *,
    finish: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    **delta_extra: Any,
) -> dict[str, Any]:
    delta: dict[str, Any] = {**delta_extra}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def translate(name: str, model: str, chunks: list[dict[str, Any]]) -> list[StreamPart]:
    t = codec(name, model).new_stream([])
    parts = t.start()
    for c in chunks:
        parts.extend(t.feed(c))
    parts.extend(t.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[str]:
    return [p.type.value for p in parts]


def of(parts: list[StreamPart], kind: StreamPartType) -> list[StreamPart]:
    return [p for p in parts if p.type is kind]
