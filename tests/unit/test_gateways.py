"""OpenRouter and Vercel's AI Gateway: what they share (`_gateway.GatewayCodec`) and where
they differ. Codec-level tests (no HTTP) pin request bodies and parsing; the provider
tests go over httpx.MockTransport in both faces.

Anything that needs the Anthropic or Google metadata types (cache control, signatures)
is in test_gateways_upstream.py. Go: providers/openrouter, providers/vercel.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.model import Call, Response
from fantasy.providers import openai, openrouter, vercel
from fantasy.providers._gateway import GatewayCodec
from fantasy.providers.openai.responses_options import ResponsesReasoningMetadata
from fantasy.providers.openrouter import OpenRouterCodec
from fantasy.providers.vercel import VercelCodec
from fantasy.types import (
    CallWarning,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ReasoningContent,
    ReasoningPart,
    Role,
    StreamPart,
    StreamPartType,
    TextContent,
    TextPart,
    ToolCallContent,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
)

SECRET = "sk-gw-SECRET-0123456789"
HELLO = [Message(Role.USER, [TextPart("Hello")])]
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)
DROPPED_USER = "dropping empty user message (contains neither user-facing content nor tool results)"

CODECS = {"openrouter": OpenRouterCodec, "vercel": VercelCodec}


@pytest.fixture(params=sorted(CODECS))
def gateway(request: pytest.FixtureRequest) -> str:
    """Each gateway, for behaviour the two share."""
    name: str = request.param
    return name


def codec(name: str, model: str) -> GatewayCodec:
    return CODECS[name](model)


def openrouter_body(
    model: str = "anthropic/claude-haiku-4.5", *, stream: bool = False, **kw: Any
) -> tuple[dict[str, Any], list[CallWarning]]:
    kw.setdefault("prompt", HELLO)
    return OpenRouterCodec(model).build_body(Call(**kw), stream=stream)


def vercel_body(
    model: str = "anthropic/claude-sonnet-4", *, stream: bool = False, **kw: Any
) -> tuple[dict[str, Any], list[CallWarning]]:
    kw.setdefault("prompt", HELLO)
    return VercelCodec(model).build_body(Call(**kw), stream=stream)


def or_options(**opts: Any) -> dict[str, Any]:
    body, _ = openrouter_body(provider_options={"openrouter": openrouter.ProviderOptions(**opts)})
    return body


def vc_options(**opts: Any) -> dict[str, Any]:
    body, _ = vercel_body(provider_options={"vercel": vercel.ProviderOptions(**opts)})
    return body


def messages(name: str, model: str, *prompt: Message) -> tuple[list[dict[str, Any]], list[str]]:
    wire, warnings = codec(name, model).to_messages(list(prompt))
    return wire, [w.message for w in warnings]


def assistant(*parts: Any) -> Message:
    return Message(Role.ASSISTANT, list(parts))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# =========================================================================== OpenRouter options


def test_openrouter_always_sends_usage_include() -> None:
    body, warnings = openrouter_body()
    assert body == {
        "model": "anthropic/claude-haiku-4.5",
        "messages": [{"role": "user", "content": "Hello"}],
        "usage": {"include": True},
    }
    assert warnings == []


def test_openrouter_include_usage_false() -> None:
    assert or_options(include_usage=False)["usage"] == {"include": False}
    assert or_options(include_usage=True)["usage"] == {"include": True}


def test_openrouter_extra_body_overrides_usage_reasoning_and_provider() -> None:
    body = or_options(
        reasoning=openrouter.ReasoningOptions(effort="high"),
        provider=openrouter.ProviderRouting(sort="price"),
        extra_body={
            "usage": {"include": False},
            "reasoning": {"max_tokens": 5},
            "provider": {"only": ["x"]},
            "transforms": ["middle-out"],
        },
    )
    assert body["usage"] == {"include": False}
    assert body["reasoning"] == {"max_tokens": 5}
    assert body["provider"] == {"only": ["x"]}
    assert body["transforms"] == ["middle-out"]


def test_openrouter_recorded_thinking_request() -> None:
    # TestOpenRouterThinking/anthropic/thinking.yaml, first request (tools abridged).
    body, _ = openrouter_body(
        tools=[WEATHER],
        tool_choice="auto",
        provider_options={
            "openrouter": openrouter.ProviderOptions(
                reasoning=openrouter.ReasoningOptions(effort="medium")
            )
        },
    )
    assert body == {
        "messages": [{"role": "user", "content": "Hello"}],
        "model": "anthropic/claude-haiku-4.5",
        "tool_choice": "auto",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "description": "Get weather information for a location",
                    "parameters": WEATHER_SCHEMA,
                    "strict": False,
                },
            }
        ],
        "usage": {"include": True},
        "reasoning": {"effort": "medium"},
    }


def test_openrouter_reasoning_sends_only_the_set_keys() -> None:
    assert or_options(reasoning=openrouter.ReasoningOptions())["reasoning"] == {}
    full = or_options(
        reasoning=openrouter.ReasoningOptions(
            enabled=True, exclude=False, max_tokens=2048, effort="low"
        )
    )
    assert full["reasoning"] == {
        "enabled": True,
        "exclude": False,
        "max_tokens": 2048,
        "effort": "low",
    }


def test_openrouter_provider_routing_sends_only_the_set_keys() -> None:
    body = or_options(
        provider=openrouter.ProviderRouting(
            order=["anthropic", "openai"], allow_fallbacks=False, sort="throughput"
        )
    )
    assert body["provider"] == {
        "order": ["anthropic", "openai"],
        "allow_fallbacks": False,
        "sort": "throughput",
    }
    full = or_options(
        provider=openrouter.ProviderRouting(
            order=["a"],
            allow_fallbacks=True,
            require_parameters=True,
            data_collection="deny",
            only=["b"],
            ignore=["c"],
            quantizations=["int8"],
            sort="price",
        )
    )
    assert full["provider"] == {
        "order": ["a"],
        "allow_fallbacks": True,
        "require_parameters": True,
        "data_collection": "deny",
        "only": ["b"],
        "ignore": ["c"],
        "quantizations": ["int8"],
        "sort": "price",
    }


def test_openrouter_empty_lists_are_left_out_like_go_omitempty() -> None:
    body = or_options(provider=openrouter.ProviderRouting(order=[], only=[], sort="price"))
    assert body["provider"] == {"sort": "price"}


def test_openrouter_sampling_extras() -> None:
    body = or_options(
        logit_bias={"50256": -100}, logprobs=True, user="user-1", parallel_tool_calls=False
    )
    assert body["logit_bias"] == {"50256": -100}
    assert body["logprobs"] is True
    assert body["user"] == "user-1"
    assert body["parallel_tool_calls"] is False
    assert "top_logprobs" not in body


def test_openrouter_extra_body_overrides_tool_choice() -> None:
    body, _ = openrouter_body(
        tools=[WEATHER],
        tool_choice="auto",
        provider_options={
            "openrouter": openrouter.ProviderOptions(extra_body={"tool_choice": "none"})
        },
    )
    assert body["tool_choice"] == "none"


@pytest.mark.parametrize(
    "value", [openai.ProviderOptions(), {"include_usage": False}, vercel.ProviderOptions()]
)
def test_openrouter_wrong_option_type_is_an_invalid_argument(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        openrouter_body(provider_options={"openrouter": value})
    assert "openrouter provider options" in str(info.value)


def test_openrouter_reads_only_its_own_key() -> None:
    body, _ = openrouter_body(provider_options={"openai": openai.ProviderOptions(user="u")})
    assert "user" not in body


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("openai/gpt-5.4-nano", "max_completion_tokens"),
        ("openai/gpt-5", "max_completion_tokens"),
        ("openai/gpt-oss-20b", "max_completion_tokens"),
        ("openai/o4-mini", "max_tokens"),
        ("anthropic/claude-haiku-4.5", "max_tokens"),
    ],
)
def test_reasoning_model_rule_applies_to_gateways(gateway: str, model: str, key: str) -> None:
    body, _ = codec(gateway, model).build_body(
        Call(prompt=HELLO, max_output_tokens=4000), stream=False
    )
    assert body[key] == 4000
    assert len([k for k in ("max_tokens", "max_completion_tokens") if k in body]) == 1


# =========================================================================== Vercel options


def test_vercel_sends_no_usage_field() -> None:
    body, warnings = vercel_body()
    assert body == {
        "model": "anthropic/claude-sonnet-4",
        "messages": [{"role": "user", "content": "Hello"}],
    }
    assert warnings == []


def test_vercel_thinking_options_as_recorded() -> None:
    # TestVercelThinking: {"vercel": {Reasoning: {Enabled: true}}}.
    body = vc_options(reasoning=vercel.ReasoningOptions(enabled=True))
    assert body["reasoning"] == {"enabled": True}
    assert "usage" not in body


def test_vercel_reasoning_sends_only_the_set_keys() -> None:
    body = vc_options(
        reasoning=vercel.ReasoningOptions(
            enabled=False, max_tokens=1000, effort="high", exclude=True
        )
    )
    assert body["reasoning"] == {
        "enabled": False,
        "max_tokens": 1000,
        "effort": "high",
        "exclude": True,
    }


def test_vercel_gateway_options_are_camel_case() -> None:
    body = vc_options(
        gateway=vercel.GatewayOptions(
            order=["vertex", "anthropic"], models=["openai/gpt-5"], zero_data_retention=True
        )
    )
    assert body["providerOptions"] == {
        "gateway": {
            "order": ["vertex", "anthropic"],
            "models": ["openai/gpt-5"],
            "zeroDataRetention": True,
        }
    }
    # Fallback models also go to the top level.
    assert body["models"] == ["openai/gpt-5"]


def test_vercel_gateway_without_models_has_no_top_level_models() -> None:
    body = vc_options(gateway=vercel.GatewayOptions(order=["bedrock"]))
    assert body["providerOptions"] == {"gateway": {"order": ["bedrock"]}}
    assert "models" not in body
    body = vc_options(gateway=vercel.GatewayOptions(models=[], zero_data_retention=False))
    assert body["providerOptions"] == {"gateway": {"zeroDataRetention": False}}
    assert "models" not in body


BYOK = {"anthropic": [{"apiKey": "sk-ant-byok"}]}


def test_vercel_byok_creates_a_gateway_object() -> None:
    body = vc_options(byok=BYOK)
    assert body["providerOptions"] == {"gateway": {"byok": BYOK}}


def test_vercel_byok_beside_an_existing_gateway_object() -> None:
    # Fantasy adds "byok" to the providerOptions map it finds, i.e. next to "gateway".
    body = vc_options(gateway=vercel.GatewayOptions(order=["anthropic"]), byok=BYOK)
    assert body["providerOptions"] == {"gateway": {"order": ["anthropic"]}, "byok": BYOK}


def test_vercel_sampling_extras() -> None:
    body = vc_options(
        logit_bias={"1": 5},
        logprobs=True,
        top_logprobs=3,
        user="user-2",
        parallel_tool_calls=True,
    )
    assert body["logit_bias"] == {"1": 5}
    # Unlike OpenAI's own options, logprobs is kept beside top_logprobs.
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 3
    assert body["user"] == "user-2"
    assert body["parallel_tool_calls"] is True


def test_vercel_extra_body_is_merged_last() -> None:
    body = vc_options(
        gateway=vercel.GatewayOptions(models=["a"]),
        extra_body={"models": ["b"], "providerOptions": {"gateway": {"only": ["x"]}}},
    )
    assert body["models"] == ["b"]
    assert body["providerOptions"] == {"gateway": {"only": ["x"]}}


@pytest.mark.parametrize("value", [openrouter.ProviderOptions(), {"user": "u"}])
def test_vercel_wrong_option_type_is_an_invalid_argument(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        vercel_body(provider_options={"vercel": value})
    assert "vercel provider options" in str(info.value)


# =========================================================================== messages (shared)


def test_system_joined_with_newlines(gateway: str) -> None:
    wire, warnings = messages(
        gateway, "x/m", Message(Role.SYSTEM, [TextPart("a"), TextPart("  "), TextPart("b")])
    )
    assert wire == [{"role": "system", "content": "a\nb"}]
    assert warnings == []


def test_multi_part_assistant_text_is_joined_with_newlines(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "anthropic/claude-sonnet-4",
        assistant(
            TextPart("First."),
            TextPart("Second."),
            ToolCallPart("call_1", "weather", '{"location":"Rome"}'),
        ),
    )
    assert wire == [
        {
            "role": "assistant",
            "content": "First.\nSecond.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
                }
            ],
        }
    ]
    assert warnings == []


def test_single_text_messages_are_strings(gateway: str) -> None:
    wire, _ = messages(
        gateway, "x/m", Message(Role.USER, [TextPart("hi")]), assistant(TextPart("yo"))
    )
    assert wire == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]


def test_text_files_are_not_supported(gateway: str) -> None:
    png = b"\x89PNG"
    wire, warnings = messages(
        gateway,
        "x/m",
        Message(
            Role.USER,
            [TextPart("Read"), FilePart(b"notes", "text/plain"), FilePart(png, "image/png")],
        ),
    )
    assert wire == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Read"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}},
            ],
        }
    ]
    assert warnings == ["file part media type text/plain not supported"]


def test_other_user_files_as_openai(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "x/m",
        Message(
            Role.USER,
            [
                FilePart(b"RIFF", "audio/wav"),
                FilePart(b"ID3", "audio/mpeg"),
                FilePart(b"%PDF", "application/pdf"),
                FilePart(b"file-123", "application/pdf"),
                FilePart(b"?", "video/mp4"),
            ],
        ),
    )
    assert wire[0]["content"] == [
        {"type": "input_audio", "input_audio": {"data": b64(b"RIFF"), "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": b64(b"ID3"), "format": "mp3"}},
        {
            "type": "file",
            "file": {
                "filename": "part-2.pdf",
                "file_data": f"data:application/pdf;base64,{b64(b'%PDF')}",
            },
        },
        {"type": "file", "file": {"file_id": "file-123"}},
    ]
    assert warnings == ["file part media type video/mp4 not supported"]


def test_tool_results_text_and_error_media_dropped_silently(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "x/m",
        Message(
            Role.TOOL,
            [
                ToolResultPart("c1", ToolResultOutputText("40 C")),
                ToolResultPart("c2", ToolResultOutputMedia(b64(b"img"), "image/png")),
                ToolResultPart("c3", ToolResultOutputError("boom")),
            ],
        ),
    )
    assert wire == [
        {"role": "tool", "tool_call_id": "c1", "content": "40 C"},
        {"role": "tool", "tool_call_id": "c3", "content": "boom"},
    ]
    assert warnings == []


def test_non_result_part_in_tool_message_warns(gateway: str) -> None:
    wire, warnings = messages(gateway, "x/m", Message(Role.TOOL, [TextPart("stray")]))
    assert wire == []
    assert warnings == ["tool message can only have tool result content"]


def test_assistant_message_is_never_dropped(gateway: str) -> None:
    wire, warnings = messages(gateway, "x/m", assistant())
    assert wire == [{"role": "assistant"}]
    assert warnings == []


def test_openrouter_keeps_a_user_message_with_nothing_visible() -> None:
    # Fantasy's SDK omits the empty content union: the message goes out as a bare role.
    wire, warnings = messages(
        "openrouter", "x/m", Message(Role.USER, [FilePart(b"notes", "text/plain")])
    )
    assert wire == [{"role": "user"}]
    assert warnings == ["file part media type text/plain not supported"]
    wire, warnings = messages("openrouter", "x/m", Message(Role.USER, []))
    assert wire == [{"role": "user"}]
    assert warnings == []


def test_vercel_drops_a_user_message_with_nothing_visible() -> None:
    wire, warnings = messages(
        "vercel", "x/m", Message(Role.USER, [FilePart(b"notes", "text/plain")])
    )
    assert wire == []
    assert warnings == ["file part media type text/plain not supported", DROPPED_USER]
    wire, warnings = messages("vercel", "x/m", Message(Role.USER, []))
    assert wire == []
    assert warnings == [DROPPED_USER]


def test_openrouter_image_detail_is_read_from_its_own_key() -> None:
    png = b"\x89PNG"
    wire, _ = messages(
        "openrouter",
        "x/m",
        Message(
            Role.USER,
            [
                FilePart(
                    png,
                    "image/png",
                    provider_options={"openrouter": openai.FileOptions(image_detail="high")},
                ),
                FilePart(
                    png,
                    "image/png",
                    provider_options={"openai": openai.FileOptions(image_detail="low")},
                ),
            ],
        ),
    )
    first, second = wire[0]["content"]
    assert first["image_url"]["detail"] == "high"
    assert "detail" not in second["image_url"]


def test_vercel_image_detail_is_read_from_the_openai_key() -> None:
    png = b"\x89PNG"
    wire, _ = messages(
        "vercel",
        "x/m",
        Message(
            Role.USER,
            [
                FilePart(
                    png,
                    "image/png",
                    provider_options={"openai": openai.FileOptions(image_detail="low")},
                ),
                FilePart(
                    png,
                    "image/png",
                    provider_options={"vercel": openai.FileOptions(image_detail="high")},
                ),
            ],
        ),
    )
    first, second = wire[0]["content"]
    assert first["image_url"]["detail"] == "low"
    assert "detail" not in second["image_url"]


# =========================================================================== reasoning replay


def test_unknown_format_replay(gateway: str) -> None:
    wire, warnings = messages(
        gateway,
        "x-ai/grok-4.1-fast",
        assistant(ReasoningPart("thinking"), ToolCallPart("c", "weather", "{}")),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "thinking"}
    ]
    assert "reasoning" not in wire[0]
    assert warnings == []


def test_unknown_format_replay_omits_empty_text(gateway: str) -> None:
    # Recorded (grok): "reasoning_details":[{"format":"unknown","index":0,"type":"reasoning.text"}].
    wire, _ = messages(gateway, "x-ai/grok-4.1-fast", assistant(ReasoningPart(""), TextPart("a")))
    assert wire == [
        {
            "role": "assistant",
            "content": "a",
            "reasoning_details": [{"type": "reasoning.text", "format": "unknown", "index": 0}],
        }
    ]


def test_the_last_reasoning_part_wins(gateway: str) -> None:
    wire, _ = messages(
        gateway,
        "z-ai/glm-5-turbo",
        assistant(ReasoningPart("first"), TextPart("a"), ReasoningPart("second")),
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "second"}
    ]


def test_a_reasoning_only_assistant_message_is_sent(gateway: str) -> None:
    wire, warnings = messages(gateway, "moonshotai/kimi-k2.5", assistant(ReasoningPart("T")))
    assert wire == [
        {
            "role": "assistant",
            "reasoning_details": [
                {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "T"}
            ],
        }
    ]
    assert warnings == []


def test_empty_reasoning_on_an_anthropic_model_falls_to_unknown(gateway: str) -> None:
    wire, _ = messages(
        gateway, "anthropic/claude-sonnet-4", assistant(ReasoningPart(""), TextPart("a"))
    )
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0}
    ]
    assert wire[0]["content"] == "a"


@pytest.mark.parametrize(
    "model", ["anthropic/claude-sonnet-4", "openai/gpt-5", "google/gemini-2.5-flash"]
)
def test_thoughts_fallback_without_upstream_metadata(gateway: str, model: str) -> None:
    wire, warnings = messages(
        gateway,
        model,
        assistant(TextPart("answer"), ReasoningPart("T"), ToolCallPart("c", "w", "{}")),
    )
    assert wire[0]["content"] == "answer\n<thoughts>T</thoughts>"
    assert "reasoning_details" not in wire[0]
    assert warnings == []
    wire, _ = messages(gateway, model, assistant(ReasoningPart("T"), TextPart("answer")))
    assert wire[0]["content"] == "<thoughts>T</thoughts>\nanswer"


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4", "google/gemini-2.5-flash"])
def test_thoughts_fallback_when_the_metadata_is_another_upstreams(gateway: str, model: str) -> None:
    foreign = {"openai": ResponsesReasoningMetadata(item_id="rs_1", summary=["s"])}
    wire, _ = messages(gateway, model, assistant(ReasoningPart("T", foreign), TextPart("a")))
    assert wire[0] == {"role": "assistant", "content": "<thoughts>T</thoughts>\na"}


def test_openai_model_empty_reasoning_without_metadata_still_wraps(gateway: str) -> None:
    wire, _ = messages(gateway, "openai/gpt-5", assistant(ReasoningPart(""), TextPart("a")))
    assert wire[0]["content"] == "<thoughts></thoughts>\na"


def test_openai_responses_replay(gateway: str) -> None:
    metadata = ResponsesReasoningMetadata(
        item_id="rs_1", encrypted_content="gAAAA", summary=["**Getting weather**", "", "more"]
    )
    wire, warnings = messages(
        gateway,
        "openai/gpt-5",
        assistant(
            ReasoningPart("**Getting weather**\n\nmore", {"openai": metadata}),
            ToolCallPart("call_1", "weather", "{}"),
        ),
    )
    assert wire[0]["reasoning_details"] == [
        {
            "type": "reasoning.summary",
            "format": "openai-responses-v1",
            "index": 0,
            "summary": "**Getting weather**",
        },
        {
            "type": "reasoning.summary",
            "format": "openai-responses-v1",
            "index": 2,
            "summary": "more",
        },
        {
            "type": "reasoning.encrypted",
            "format": "openai-responses-v1",
            "index": 0,
            "data": "gAAAA",
            "id": "rs_1",
        },
    ]
    assert "content" not in wire[0]
    assert "reasoning" not in wire[0]
    assert warnings == []


def test_openai_responses_replay_without_encrypted_content(gateway: str) -> None:
    metadata = ResponsesReasoningMetadata(item_id="rs_1", summary=["s"])
    wire, _ = messages(gateway, "openai/gpt-5", assistant(ReasoningPart("s", {"openai": metadata})))
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.summary", "format": "openai-responses-v1", "index": 0, "summary": "s"}
    ]


def test_openai_responses_replay_of_nothing_is_null(gateway: str) -> None:
    # No summary and no encrypted content: Fantasy marshals a nil slice, i.e. null.
    metadata = ResponsesReasoningMetadata(item_id="", summary=[""])
    wire, _ = messages(
        gateway, "openai/gpt-5", assistant(ReasoningPart("", {"openai": metadata}), TextPart("a"))
    )
    assert "reasoning_details" in wire[0]
    assert wire[0]["reasoning_details"] is None


def test_xai_responses_replay_is_openrouter_only() -> None:
    metadata = ResponsesReasoningMetadata(item_id="rs_x", encrypted_content="E", summary=["s"])
    part = ReasoningPart("s", {"openai": metadata})
    wire, _ = messages("openrouter", "xai/grok-4", assistant(part))
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.summary", "format": "xai-responses-v1", "index": 0, "summary": "s"},
        {
            "type": "reasoning.encrypted",
            "format": "xai-responses-v1",
            "index": 0,
            "data": "E",
            "id": "rs_x",
        },
    ]
    # OpenRouter's own xAI ids are x-ai/..., which fall to the unknown format.
    wire, _ = messages("openrouter", "x-ai/grok-4", assistant(part))
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "s"}
    ]
    # Vercel has no xai/ case at all.
    wire, _ = messages("vercel", "xai/grok-4", assistant(part))
    assert wire[0]["reasoning_details"] == [
        {"type": "reasoning.text", "format": "unknown", "index": 0, "text": "s"}
    ]


# =========================================================================== responses


def completion(
    message: dict[str, Any], usage: dict[str, Any] | None = None, **top: Any
) -> dict[str, Any]:
    return {
        "id": "gen-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": top.pop("finish", "stop"),
            }
        ],
        "usage": usage
        or {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 7},
            "cost": 0.0125,
            "cost_details": {"upstream_inference_cost": 0.0125},
        },
        **top,
    }


def parse(name: str, message: dict[str, Any], model: str = "x/m", **top: Any) -> Response:
    return codec(name, model).parse_response(completion(message, **top))


def summary(text: str, index: int = 0, **kw: Any) -> dict[str, Any]:
    return {
        "type": "reasoning.summary",
        "summary": text,
        "format": "openai-responses-v1",
        "index": index,
        **kw,
    }


def encrypted(
    data: str, id: str = "", index: int = 0, fmt: str = "openai-responses-v1"
) -> dict[str, Any]:
    return {"type": "reasoning.encrypted", "data": data, "id": id, "format": fmt, "index": index}


def unknown(text: str, index: int = 0) -> dict[str, Any]:
    return {"type": "reasoning.text", "text": text, "format": "unknown", "index": index}


def test_responses_details_are_grouped_by_index(gateway: str) -> None:
    response = parse(
        gateway,
        {
            "content": "Done.",
            "reasoning_details": [
                summary("s1"),
                summary("s2"),
                encrypted("gAAAA", "rs_1"),
                summary("t1", index=1),
            ],
        },
    )
    assert list(response.content) == [
        TextContent("Done."),
        ReasoningContent(
            "s1\ns2",
            {
                "openai": ResponsesReasoningMetadata(
                    item_id="rs_1", encrypted_content="gAAAA", summary=["s1", "s2"]
                )
            },
        ),
        ReasoningContent("t1", {"openai": ResponsesReasoningMetadata(item_id="", summary=["t1"])}),
    ]


def test_xai_responses_details_use_openai_metadata(gateway: str) -> None:
    response = parse(
        gateway,
        {
            "content": "x",
            "reasoning_details": [
                summary("s", format="xai-responses-v1"),
                encrypted("E", "rs_x", fmt="xai-responses-v1"),
            ],
        },
    )
    assert response.content.reasoning == [
        ReasoningContent(
            "s",
            {
                "openai": ResponsesReasoningMetadata(
                    item_id="rs_x", encrypted_content="E", summary=["s"]
                )
            },
        )
    ]


def test_encrypted_only_responses_block_has_empty_text(gateway: str) -> None:
    response = parse(gateway, {"content": "x", "reasoning_details": [encrypted("E", "rs_1")]})
    (reasoning,) = response.content.reasoning
    assert reasoning.text == ""
    assert reasoning.provider_metadata is not None
    assert reasoning.provider_metadata["openai"].encrypted_content == "E"


def test_unknown_format_is_plain_reasoning(gateway: str) -> None:
    response = parse(gateway, {"content": "x", "reasoning_details": [unknown("a"), unknown("b")]})
    assert response.content.reasoning == [ReasoningContent("a"), ReasoningContent("b")]


def test_responses_blocks_come_before_other_reasoning(gateway: str) -> None:
    response = parse(gateway, {"content": "x", "reasoning_details": [unknown("o"), summary("s")]})
    assert [r.text for r in response.content.reasoning] == ["s", "o"]


def test_reasoning_sits_between_text_and_tool_calls(gateway: str) -> None:
    response = parse(
        gateway,
        {
            "content": "Let me check.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
            ],
            "reasoning_details": [unknown("r")],
        },
        finish="tool_calls",
    )
    assert list(response.content) == [
        TextContent("Let me check."),
        ReasoningContent("r"),
        ToolCallContent("c1", "weather", "{}"),
    ]
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_openrouter_ignores_the_plain_reasoning_field() -> None:
    response = parse("openrouter", {"content": "x", "reasoning": "plain"})
    assert response.content.reasoning == []


def test_openrouter_keeps_empty_unknown_reasoning() -> None:
    response = parse("openrouter", {"content": "x", "reasoning_details": [unknown("")]})
    assert response.content.reasoning == [ReasoningContent("")]


def test_vercel_falls_back_to_the_plain_reasoning_field() -> None:
    response = parse("vercel", {"content": "x", "reasoning": "plain"})
    assert response.content.reasoning == [ReasoningContent("plain")]
    # Details win over the plain field.
    response = parse(
        "vercel", {"content": "x", "reasoning": "plain", "reasoning_details": [unknown("d")]}
    )
    assert response.content.reasoning == [ReasoningContent("d")]


def test_vercel_skips_empty_unknown_reasoning() -> None:
    response = parse(
        "vercel", {"content": "x", "reasoning": "", "reasoning_details": [unknown("")]}
    )
    assert response.content.reasoning == []


def test_gateway_usage_adds_cached_tokens_to_the_total(gateway: str) -> None:
    response = parse(gateway, {"content": "x"})
    assert response.usage == Usage(
        input_tokens=70,
        output_tokens=20,
        total_tokens=120,
        reasoning_tokens=7,
        cache_read_tokens=30,
    )
    # The reported total is not used: input + output + cached.
    response = codec(gateway, "x/m").parse_response(
        completion(
            {"content": "x"},
            usage={
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "total_tokens": 999,
                "prompt_tokens_details": {"cached_tokens": 4},
            },
        )
    )
    assert response.usage == Usage(
        input_tokens=6, output_tokens=5, total_tokens=15, cache_read_tokens=4
    )


def test_cached_above_prompt_clamps_input_at_zero(gateway: str) -> None:
    response = codec(gateway, "x/m").parse_response(
        completion(
            {"content": "x"},
            usage={
                "prompt_tokens": 3,
                "completion_tokens": 2,
                "total_tokens": 5,
                "prompt_tokens_details": {"cached_tokens": 4},
            },
        )
    )
    assert response.usage == Usage(
        input_tokens=0, output_tokens=2, total_tokens=6, cache_read_tokens=4
    )


def test_openrouter_metadata_has_provider_and_cost() -> None:
    response = parse("openrouter", {"content": "x"}, provider="Amazon Bedrock")
    metadata = response.provider_metadata["openrouter"]
    assert isinstance(metadata, openrouter.ProviderMetadata)
    assert metadata.provider == "Amazon Bedrock"
    assert metadata.cost == 0.0125
    assert metadata.usage["cost_details"] == {"upstream_inference_cost": 0.0125}
    assert metadata.usage["prompt_tokens"] == 100


def test_openrouter_metadata_without_provider_or_cost() -> None:
    response = codec("openrouter", "x/m").parse_response(
        completion(
            {"content": "x"}, usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        )
    )
    metadata = response.provider_metadata["openrouter"]
    assert metadata.provider == ""
    assert metadata.cost is None


def test_vercel_metadata_has_the_provider() -> None:
    response = parse("vercel", {"content": "x"}, provider="anthropic")
    assert response.provider_metadata == {"vercel": vercel.ProviderMetadata(provider="anthropic")}
    response = parse("vercel", {"content": "x"})
    assert response.provider_metadata == {"vercel": vercel.ProviderMetadata(provider="")}


# =========================================================================== streaming


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
        "provider": "Z.AI",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def glm(text: str) -> dict[str, Any]:
    """A recorded-shape glm reasoning chunk: plain ``reasoning`` plus an unknown-format detail."""
    return chunk("", role="assistant", reasoning=text, reasoning_details=[unknown(text)])


def usage_chunk(**usage: Any) -> dict[str, Any]:
    return {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "provider": "Z.AI",
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 5},
            "cost": 0.5,
            **usage,
        },
    }


CALL = {
    "index": 0,
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
}


def translate(
    name: str, chunks: list[dict[str, Any]], model: str = "z-ai/glm-5-turbo"
) -> list[StreamPart]:
    t = codec(name, model).new_stream([])
    parts = t.start()
    for c in chunks:
        parts.extend(t.feed(c))
    parts.extend(t.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[str]:
    return [p.type.value for p in parts]


def reasoning_deltas(parts: list[StreamPart]) -> list[str]:
    return [p.delta for p in parts if p.type is StreamPartType.REASONING_DELTA]


def of(parts: list[StreamPart], kind: StreamPartType) -> list[StreamPart]:
    return [p for p in parts if p.type is kind]


def test_openrouter_loses_the_first_unknown_format_chunk() -> None:
    # Recorded glm: the replayed text starts " user wants to know ...", without "The".
    parts = translate(
        "openrouter",
        [glm("The"), glm(" user"), glm(" wants."), chunk("It is sunny."), usage_chunk()],
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
    assert reasoning_deltas(parts) == [" user", " wants."]
    assert {p.id for p in parts if p.type.value.startswith("reasoning")} == {"0"}


def test_vercel_keeps_the_first_chunk() -> None:
    parts = translate("vercel", [glm("The"), glm(" user"), chunk("It is sunny."), usage_chunk()])
    assert reasoning_deltas(parts) == ["The", " user"]
    assert kinds(parts)[:3] == ["reasoning_start", "reasoning_delta", "reasoning_delta"]
    assert "reasoning_end" in kinds(parts)


def test_vercel_first_chunk_prefers_the_summary() -> None:
    parts = translate(
        "vercel",
        [
            chunk(
                reasoning_details=[
                    {"type": "reasoning.x", "summary": "S", "text": "T", "format": "f", "index": 0}
                ]
            ),
            chunk("a", finish="stop"),
        ],
    )
    assert reasoning_deltas(parts) == ["S"]


def test_vercel_plain_reasoning_field_fallback() -> None:
    parts = translate(
        "vercel",
        [chunk(reasoning="Hmm"), chunk(reasoning=", ok"), chunk("Answer", finish="stop")],
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
    assert reasoning_deltas(parts) == ["Hmm", ", ok"]


def test_openrouter_ignores_the_plain_reasoning_field_when_streaming() -> None:
    parts = translate("openrouter", [chunk(reasoning="Hmm"), chunk("Answer", finish="stop")])
    assert kinds(parts) == ["text_start", "text_delta", "text_end", "finish"]


def test_reasoning_ends_at_the_first_tool_call(gateway: str) -> None:
    parts = translate(
        gateway, [glm("a"), glm("b"), chunk(tool_calls=[CALL]), chunk(finish="tool_calls")]
    )
    assert kinds(parts) == [
        "reasoning_start",
        *(["reasoning_delta"] * (2 if gateway == "vercel" else 1)),
        "reasoning_end",
        "tool_input_start",
        "tool_input_delta",
        "tool_input_end",
        "tool_call",
        "finish",
    ]


def test_anthropic_format_waits_for_the_signature_on_openrouter_only() -> None:
    claude = {
        "type": "reasoning.text",
        "text": "think",
        "format": "anthropic-claude-v1",
        "index": 0,
    }
    chunks = [
        chunk(reasoning_details=[claude]),
        chunk(tool_calls=[CALL]),
        chunk(finish="tool_calls"),
    ]
    # OpenRouter keeps Claude's reasoning open past the tool call (the signature comes
    # later); when none comes, the end of the stream closes it, so it is kept.
    openrouter = kinds(translate("openrouter", chunks, "anthropic/claude-haiku-4.5"))
    assert openrouter.count("reasoning_end") == 1
    assert openrouter.index("reasoning_end") > openrouter.index("tool_input_start")
    # Vercel has no such wait.
    vercel = kinds(translate("vercel", chunks, "anthropic/claude-sonnet-4"))
    assert vercel.index("reasoning_end") < vercel.index("tool_input_start")


def test_responses_format_stream(gateway: str) -> None:
    parts = translate(
        gateway,
        [
            chunk(reasoning_details=[summary("**Plan**")]),
            chunk(reasoning_details=[summary(" more")]),
            chunk(reasoning_details=[summary("Next", index=1)]),
            chunk(reasoning_details=[encrypted("gAAAA", "rs_1")]),
            chunk("Done."),
            chunk(finish="stop"),
        ],
        model="openai/gpt-5",
    )
    assert kinds(parts) == [
        "reasoning_start",
        "reasoning_delta",
        "reasoning_delta",
        "reasoning_delta",
        "reasoning_end",
        "text_start",
        "text_delta",
        "text_end",
        "finish",
    ]
    # A new summary index starts on a new line.
    assert reasoning_deltas(parts) == ["**Plan**", " more", "\nNext"]
    (end,) = of(parts, StreamPartType.REASONING_END)
    assert end.provider_metadata == {
        "openai": ResponsesReasoningMetadata(
            item_id="rs_1", encrypted_content="gAAAA", summary=["**Plan** more", "Next"]
        )
    }


def test_responses_format_encrypted_first_chunk_starts_and_ends(gateway: str) -> None:
    parts = translate(
        gateway,
        [chunk(reasoning_details=[encrypted("E", "rs_9")]), chunk("x"), chunk(finish="stop")],
        model="openai/gpt-5",
    )
    assert kinds(parts)[:2] == ["reasoning_start", "reasoning_end"]
    assert kinds(parts).count("reasoning_end") == 1
    assert parts[1].provider_metadata == {
        "openai": ResponsesReasoningMetadata(item_id="rs_9", encrypted_content="E", summary=[""])
    }


def test_stream_usage_adds_cached_tokens(gateway: str) -> None:
    parts = translate(gateway, [chunk("Hi"), usage_chunk(total_tokens=999)])
    finish = parts[-1]
    assert finish.type is StreamPartType.FINISH
    assert finish.usage == Usage(
        input_tokens=70,
        output_tokens=20,
        total_tokens=120,
        reasoning_tokens=5,
        cache_read_tokens=30,
    )


def test_openrouter_stream_metadata() -> None:
    parts = translate("openrouter", [chunk("Hi"), usage_chunk()])
    metadata = parts[-1].provider_metadata["openrouter"]
    assert metadata.provider == "Z.AI"
    assert metadata.cost == 0.5


def test_vercel_stream_metadata() -> None:
    parts = translate("vercel", [chunk("Hi"), usage_chunk()])
    assert parts[-1].provider_metadata == {"vercel": vercel.ProviderMetadata(provider="Z.AI")}


def test_stream_without_usage_has_zero_usage(gateway: str) -> None:
    parts = translate(gateway, [chunk("Hi", finish="stop")])
    assert parts[-1].usage == Usage()


# =========================================================================== providers over HTTP


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


class Server:
    def __init__(self, *responses: httpx.Response):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.request.content)
        return data


def json_response(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=data)


def stream_response(raw: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body([raw]))


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: Any, call: Call) -> Response:
        if self.kind == "sync":
            result: Response = model.generate(call)
            return result
        return asyncio.run(model.agenerate(call))

    def stream(self, model: Any, call: Call) -> list[StreamPart]:
        if self.kind == "sync":
            return list(model.stream(call))

        async def collect() -> list[StreamPart]:
            return [p async for p in model.astream(call)]

        return asyncio.run(collect())

    def __repr__(self) -> str:
        return self.kind


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> Face:
    return Face(request.param)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENROUTER_API_KEY", "AI_GATEWAY_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_openrouter_request(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"}, provider="Amazon Bedrock")))
    provider = openrouter.Provider(SECRET, transport=httpx.MockTransport(server))
    model = provider.language_model("anthropic/claude-haiku-4.5")
    response = face.generate(model, Call(prompt=HELLO))
    assert str(server.request.url) == "https://openrouter.ai/api/v1/chat/completions"
    assert server.request.headers["authorization"] == f"Bearer {SECRET}"
    assert server.body()["usage"] == {"include": True}
    assert response.text == "Hi"
    assert response.provider_metadata["openrouter"].provider == "Amazon Bedrock"
    assert provider.name == model.provider == "openrouter"


def test_openrouter_has_no_base_url_option() -> None:
    with pytest.raises(TypeError):
        openrouter.Provider(SECRET, base_url="https://example.com")  # type: ignore[call-arg]


def test_openrouter_missing_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError) as info:
        openrouter.Provider()
    assert "OPENROUTER_API_KEY" in str(info.value)
    with pytest.raises(MissingAPIKeyError):
        openrouter.Provider("")


def test_openrouter_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-env")
    server = Server(json_response(completion({"content": "Hi"})))
    openrouter.Provider(transport=httpx.MockTransport(server)).language_model("x/m").generate(
        Call(prompt=HELLO)
    )
    assert server.request.headers["authorization"] == "Bearer sk-or-env"


def test_openrouter_stream_skips_processing_comments(face: Face) -> None:
    raw = (
        b": OPENROUTER PROCESSING\n\n"
        + b"".join(
            f"data: {json.dumps(c)}\n\n".encode()
            for c in [glm("The"), glm(" user"), chunk("Sunny."), usage_chunk()]
        )
        + b"data: [DONE]\n\n"
    )
    server = Server(stream_response(raw))
    model = openrouter.Provider(SECRET, transport=httpx.MockTransport(server)).language_model(
        "z-ai/glm-5-turbo"
    )
    parts = face.stream(model, Call(prompt=HELLO))
    assert reasoning_deltas(parts) == [" user"]
    assert parts[-1].type is StreamPartType.FINISH
    assert parts[-1].usage is not None
    assert parts[-1].usage.total_tokens == 120
    body = server.body()
    assert body["stream"] is True
    assert body["usage"] == {"include": True}


def test_vercel_request(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    provider = vercel.Provider(SECRET, transport=httpx.MockTransport(server))
    model = provider.language_model("anthropic/claude-sonnet-4")
    face.generate(model, Call(prompt=HELLO))
    assert str(server.request.url) == "https://ai-gateway.vercel.sh/v1/chat/completions"
    assert server.request.headers["authorization"] == f"Bearer {SECRET}"
    assert "usage" not in server.body()
    assert provider.name == model.provider == "vercel"


def test_vercel_base_url_override() -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    provider = vercel.Provider(
        SECRET, base_url="https://gateway.example.com/v1/", transport=httpx.MockTransport(server)
    )
    provider.language_model("openai/gpt-5").generate(Call(prompt=HELLO))
    assert str(server.request.url) == "https://gateway.example.com/v1/chat/completions"


def test_vercel_missing_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError) as info:
        vercel.Provider()
    assert "AI_GATEWAY_API_KEY" in str(info.value)


def test_vercel_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_GATEWAY_API_KEY", "vck-env")
    server = Server(json_response(completion({"content": "Hi"})))
    vercel.Provider(transport=httpx.MockTransport(server)).language_model("x/m").generate(
        Call(prompt=HELLO)
    )
    assert server.request.headers["authorization"] == "Bearer vck-env"


def test_repr_never_shows_the_key() -> None:
    for provider in (openrouter.Provider(SECRET), vercel.Provider(SECRET)):
        assert SECRET not in repr(provider)
        assert SECRET not in repr(provider.language_model("x/m"))


def test_bad_options_fail_before_any_request(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    or_model = openrouter.Provider(SECRET, transport=httpx.MockTransport(server)).language_model(
        "x/m"
    )
    vc_model = vercel.Provider(SECRET, transport=httpx.MockTransport(server)).language_model("x/m")
    with pytest.raises(InvalidArgumentError):
        face.generate(
            or_model, Call(prompt=HELLO, provider_options={"openrouter": vercel.ProviderOptions()})
        )
    with pytest.raises(InvalidArgumentError):
        face.stream(
            vc_model, Call(prompt=HELLO, provider_options={"vercel": openrouter.ProviderOptions()})
        )
    assert server.requests == []
