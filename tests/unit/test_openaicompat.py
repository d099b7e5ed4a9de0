"""openaicompat: any OpenAI-compatible Chat Completions server.

Codec-level tests (no HTTP) pin the request body and the parsing; a few tests go
through the provider over httpx.MockTransport, in both faces, for what only the
provider knows (URL, credentials, name). Go: providers/openaicompat/*_test.go.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, Response
from fantasy.providers import openai, openaicompat
from fantasy.providers.openaicompat import CompatCodec, ContentExtraFields, ProviderOptions
from fantasy.types import (
    CallWarning,
    CallWarningType,
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

SECRET = "sk-compat-SECRET-0123456789"
BASE_URL = "https://api.x.ai/v1"
HELLO = [Message(Role.USER, [TextPart("Hello")])]
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)
CACHE = {"cache_control": {"type": "ephemeral"}}


def extra(fields: dict[str, Any]) -> dict[str, Any]:
    """Provider options carrying content extra fields, under Fantasy's fixed key."""
    return {"openai-compat": ContentExtraFields(fields=fields)}


def build(
    model: str = "grok-4-fast",
    *,
    stream: bool = False,
    prompt: list[Message] | None = None,
    name: str = "openai-compat",
    **kw: Any,
) -> tuple[dict[str, Any], list[CallWarning]]:
    return CompatCodec(model, name).build_body(
        Call(prompt=HELLO if prompt is None else prompt, **kw), stream=stream
    )


def with_options(model: str = "grok-4-fast", **opts: Any) -> dict[str, Any]:
    body, _ = build(model, provider_options={"openai-compat": ProviderOptions(**opts)})
    return body


def messages(
    *prompt: Message, name: str = "openai-compat"
) -> tuple[list[dict[str, Any]], list[str]]:
    wire, warnings = CompatCodec("grok-4-fast", name).to_messages(list(prompt))
    return wire, [w.message for w in warnings]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def user(text: str) -> Message:
    return Message(Role.USER, [TextPart(text)])


# =========================================================================== options


def test_no_options_send_only_model_and_messages() -> None:
    body, warnings = build()
    assert body == {"model": "grok-4-fast", "messages": [{"role": "user", "content": "Hello"}]}
    assert warnings == []


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
def test_reasoning_effort_values(effort: str) -> None:
    assert with_options(reasoning_effort=effort)["reasoning_effort"] == effort


@pytest.mark.parametrize("effort", ["extreme", "", "HIGH"])
def test_bad_reasoning_effort_is_an_error(effort: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        with_options(reasoning_effort=effort)
    assert repr(effort) in str(info.value)


def test_user_is_sent_even_when_empty() -> None:
    assert with_options(user="user-1")["user"] == "user-1"
    assert with_options(user="")["user"] == ""


def test_thinking_options_as_recorded() -> None:
    # TestOpenAICompatibleThinking: {"openai-compat": {ReasoningEffort: high}}.
    body = with_options(reasoning_effort="high")
    assert body == {
        "model": "grok-4-fast",
        "messages": [{"role": "user", "content": "Hello"}],
        "reasoning_effort": "high",
    }


def test_extra_body_is_merged_into_the_top_level() -> None:
    body = with_options(extra_body={"enable_thinking": True, "chat_template_kwargs": {"a": 1}})
    assert body["enable_thinking"] is True
    assert body["chat_template_kwargs"] == {"a": 1}


def test_extra_body_overrides_standard_fields() -> None:
    body, _ = build(
        max_output_tokens=4000,
        temperature=0.5,
        provider_options={
            "openai-compat": ProviderOptions(
                user="from-options",
                reasoning_effort="low",
                extra_body={"max_tokens": 10, "temperature": 0, "user": "x", "model": "other"},
            )
        },
    )
    assert body["max_tokens"] == 10
    assert body["temperature"] == 0
    assert body["user"] == "x"
    assert body["model"] == "other"
    assert body["reasoning_effort"] == "low"


def test_extra_body_is_merged_last_over_tools_and_tool_choice() -> None:
    # Fantasy sets extra_body as the SDK's extra fields, merged over the finished body.
    body, _ = build(
        tools=[WEATHER],
        tool_choice="auto",
        provider_options={"openai-compat": ProviderOptions(extra_body={"tool_choice": "required"})},
    )
    assert body["tool_choice"] == "required"
    assert body["tools"][0]["function"]["name"] == "weather"


def test_extra_body_cannot_turn_streaming_off() -> None:
    body, _ = build(
        stream=True,
        provider_options={
            "openai-compat": ProviderOptions(
                extra_body={"stream": False, "stream_options": {"include_usage": False}}
            )
        },
    )
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": False}


def test_only_compat_options_exist() -> None:
    # No logprobs, store, metadata... : the compat hook replaces OpenAI's completely, and
    # OpenAI's options (under "openai") are not read at all.
    body, warnings = build(
        provider_options={"openai": openai.ProviderOptions(user="u", store=True)}
    )
    assert body == {"model": "grok-4-fast", "messages": [{"role": "user", "content": "Hello"}]}
    assert warnings == []


@pytest.mark.parametrize(
    "value", [openai.ProviderOptions(user="u"), {"user": "u"}, ContentExtraFields(fields={})]
)
def test_wrong_option_type_is_an_invalid_argument(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build(provider_options={"openai-compat": value})
    assert "openai-compat provider options" in str(info.value)


def test_options_are_read_under_the_custom_provider_name() -> None:
    body, _ = build(name="groq", provider_options={"groq": ProviderOptions(user="g")})
    assert body["user"] == "g"
    # The default key means nothing to a provider with another name.
    body, _ = build(name="groq", provider_options={"openai-compat": ProviderOptions(user="d")})
    assert "user" not in body


def test_wrong_type_under_the_custom_name_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError):
        build(name="groq", provider_options={"groq": openai.ProviderOptions()})


def test_reasoning_model_rule_still_applies() -> None:
    # llama-cpp-gpt-oss: "model":"openai/gpt-oss-20b","max_completion_tokens":4000.
    body, warnings = build("openai/gpt-oss-20b", max_output_tokens=4000, temperature=0.2)
    assert body["max_completion_tokens"] == 4000
    assert "max_tokens" not in body
    assert "temperature" not in body
    assert [w.setting for w in warnings] == ["temperature"]


def test_ordinary_model_uses_max_tokens() -> None:
    body, _ = build("moonshotai/kimi-k2-instruct-0905", max_output_tokens=4000, temperature=0.2)
    assert body["max_tokens"] == 4000
    assert body["temperature"] == 0.2


def test_tools_and_tool_choice_as_openai() -> None:
    body, _ = build(tools=[WEATHER], tool_choice="weather")
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "Get weather information for a location",
                "parameters": WEATHER_SCHEMA,
                "strict": False,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "weather"}}


# =========================================================================== content extra fields


def test_extra_fields_force_the_array_form_of_a_single_text_user_message() -> None:
    wire, warnings = messages(Message(Role.USER, [TextPart("Analyze this.", extra(CACHE))]))
    assert wire == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Analyze this.", **CACHE}],
        }
    ]
    assert warnings == []


def test_without_extra_fields_a_single_text_user_message_is_a_string() -> None:
    wire, _ = messages(user("Hello"))
    assert wire == [{"role": "user", "content": "Hello"}]


def test_system_array_form_keeps_blocks_separate() -> None:
    wire, warnings = messages(
        Message(
            Role.SYSTEM,
            [TextPart("You are helpful."), TextPart("   "), TextPart("Be brief.", extra(CACHE))],
        ),
        user("Hello"),
    )
    assert wire[0] == {
        "role": "system",
        "content": [
            {"type": "text", "text": "You are helpful."},
            {"type": "text", "text": "Be brief.", **CACHE},
        ],
    }
    assert warnings == []


def test_system_without_extra_fields_is_joined_with_newlines() -> None:
    wire, _ = messages(Message(Role.SYSTEM, [TextPart("a"), TextPart(" "), TextPart("b")]))
    assert wire == [{"role": "system", "content": "a\nb"}]


def test_system_with_only_blank_text_is_dropped() -> None:
    wire, warnings = messages(Message(Role.SYSTEM, [TextPart("  ", extra(CACHE))]))
    assert wire == []
    assert warnings == ["system prompt has no text parts"]


def test_single_text_assistant_message_array_form() -> None:
    wire, warnings = messages(Message(Role.ASSISTANT, [TextPart("Hi there!", extra(CACHE))]))
    assert wire == [
        {"role": "assistant", "content": [{"type": "text", "text": "Hi there!", **CACHE}]}
    ]
    assert warnings == []


def test_mixed_parts_only_the_marked_one_gets_fields() -> None:
    wire, _ = messages(
        Message(Role.USER, [TextPart("Context: "), TextPart("Large document...", extra(CACHE))])
    )
    assert wire == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Context: "},
                {"type": "text", "text": "Large document...", **CACHE},
            ],
        }
    ]


def test_message_level_fields_apply_when_the_part_has_none() -> None:
    wire, _ = messages(Message(Role.USER, [TextPart("Hello")], provider_options=extra(CACHE)))
    assert wire == [{"role": "user", "content": [{"type": "text", "text": "Hello", **CACHE}]}]


def test_part_level_fields_win_over_message_level() -> None:
    persistent = {"cache_control": {"type": "persistent"}}
    wire, _ = messages(
        Message(
            Role.USER,
            [TextPart("First part", extra(CACHE)), TextPart("Second part")],
            provider_options=extra(persistent),
        )
    )
    assert wire[0]["content"] == [
        {"type": "text", "text": "First part", **CACHE},
        {"type": "text", "text": "Second part", **persistent},
    ]


def test_multi_part_assistant_with_tool_calls_keeps_the_fields() -> None:
    wire, warnings = messages(
        Message(
            Role.ASSISTANT,
            [
                TextPart("Let me check that.", extra(CACHE)),
                ToolCallPart("call_1", "lookup", "{}"),
            ],
        )
    )
    assert wire == [
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Let me check that.", **CACHE}],
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": "{}"},
                }
            ],
        }
    ]
    assert warnings == []


def test_multi_part_assistant_last_text_wins_in_its_own_form() -> None:
    wire, _ = messages(
        Message(Role.ASSISTANT, [TextPart("first", extra(CACHE)), TextPart("last")]),
        Message(Role.ASSISTANT, [TextPart("first"), TextPart("last", extra(CACHE))]),
    )
    assert wire[0] == {"role": "assistant", "content": "last"}
    assert wire[1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "last", **CACHE}],
    }


def test_extra_fields_use_the_openai_compat_key_whatever_the_provider_name() -> None:
    # Fantasy's getContentExtraFields reads the constant "openai-compat" key, while the
    # call options use the provider's own name.
    wire, _ = messages(Message(Role.USER, [TextPart("Hi", extra(CACHE))]), name="qwen")
    assert wire == [{"role": "user", "content": [{"type": "text", "text": "Hi", **CACHE}]}]
    wire, _ = messages(
        Message(Role.USER, [TextPart("Hi", {"qwen": ContentExtraFields(fields=CACHE)})]),
        name="qwen",
    )
    assert wire == [{"role": "user", "content": "Hi"}]


def test_empty_extra_fields_change_nothing() -> None:
    wire, _ = messages(Message(Role.USER, [TextPart("Hi", extra({}))]))
    assert wire == [{"role": "user", "content": "Hi"}]


# =========================================================================== other messages


def test_user_files_as_openai() -> None:
    png = b"\x89PNG"
    wire, warnings = messages(
        Message(
            Role.USER,
            [
                TextPart("Check this"),
                FilePart(png, "image/png"),
                FilePart(b"file-abc123xyz", "application/pdf", filename="test.pdf"),
                FilePart(b"hello", "text/plain"),
            ],
        )
    )
    assert wire == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Check this"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}},
                {"type": "file", "file": {"file_id": "file-abc123xyz"}},
                {"type": "file", "file": {"file_data": b64(b"hello")}},
            ],
        }
    ]
    assert warnings == []


def test_image_detail_is_read_from_the_openai_key() -> None:
    png = b"\x89PNG"
    wire, _ = messages(
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
                    provider_options={"openai-compat": openai.FileOptions(image_detail="high")},
                ),
            ],
        )
    )
    first, second = wire[0]["content"]
    assert first["image_url"] == {"url": f"data:image/png;base64,{b64(png)}", "detail": "low"}
    assert "detail" not in second["image_url"]


def test_user_message_with_only_unsupported_files_is_dropped() -> None:
    wire, warnings = messages(
        user("Hello"),
        Message(Role.USER, [FilePart(b"unsupported data", "application/x-unsupported")]),
        user("After unsupported"),
    )
    assert wire == [
        {"role": "user", "content": "Hello"},
        {"role": "user", "content": "After unsupported"},
    ]
    assert warnings == [
        "file part media type application/x-unsupported not supported",
        "dropping empty user message (contains neither user-facing content nor tool results)",
    ]


def test_user_message_with_only_an_image_is_kept() -> None:
    wire, warnings = messages(Message(Role.USER, [FilePart(b"\x01\x02\x03", "image/png")]))
    assert len(wire) == 1
    assert warnings == []


def test_tool_results_text_and_error() -> None:
    wire, warnings = messages(
        Message(
            Role.TOOL,
            [
                ToolResultPart("call_123", ToolResultOutputText("done")),
                ToolResultPart("call_456", ToolResultOutputError("boom")),
            ],
        )
    )
    assert wire == [
        {"role": "tool", "tool_call_id": "call_123", "content": "done"},
        {"role": "tool", "tool_call_id": "call_456", "content": "boom"},
    ]
    assert warnings == []


def test_media_tool_result_gets_a_synthetic_user_message() -> None:
    # tool_result_media_test.go (charmbracelet/fantasy#208).
    image = b64(b"\x00\x01\x02\x03")
    wire, warnings = messages(
        Message(Role.ASSISTANT, [ToolCallPart("img-1", "view", "{}")]),
        Message(Role.TOOL, [ToolResultPart("img-1", ToolResultOutputMedia(image, "image/png"))]),
    )
    assert len(wire) == 3
    assert wire[1] == {
        "role": "tool",
        "tool_call_id": "img-1",
        "content": "The tool returned image/png content; see the following user message.",
    }
    assert wire[2] == {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}}],
    }
    assert warnings == []


def test_media_tool_result_prefers_its_text() -> None:
    wire, _ = messages(
        Message(
            Role.TOOL,
            [
                ToolResultPart(
                    "img-2",
                    ToolResultOutputMedia("CQkJ", "image/jpeg", text="Screenshot of the element."),
                )
            ],
        )
    )
    assert wire[0]["content"] == "Screenshot of the element."


@pytest.mark.parametrize(("media_type", "fmt"), [("audio/wav", "wav"), ("audio/mp3", "mp3")])
def test_media_tool_result_audio(media_type: str, fmt: str) -> None:
    wire, warnings = messages(
        Message(Role.TOOL, [ToolResultPart("a-1", ToolResultOutputMedia("QUJD", media_type))])
    )
    assert wire[1]["content"] == [
        {"type": "input_audio", "input_audio": {"data": "QUJD", "format": fmt}}
    ]
    assert warnings == []


# =========================================================================== reasoning replay


def test_reasoning_goes_back_as_reasoning_content() -> None:
    wire, warnings = messages(
        user("What is 2+2?"),
        Message(
            Role.ASSISTANT,
            [ReasoningPart("Let me think... 2+2 equals 4."), TextPart("The answer is 4.")],
        ),
        user("What about 3+3?"),
    )
    assert wire == [
        {"role": "user", "content": "What is 2+2?"},
        {
            "role": "assistant",
            "content": "The answer is 4.",
            "reasoning_content": "Let me think... 2+2 equals 4.",
        },
        {"role": "user", "content": "What about 3+3?"},
    ]
    assert warnings == []


def test_reasoning_content_is_the_last_reasoning_part() -> None:
    wire, _ = messages(
        Message(
            Role.ASSISTANT,
            [ReasoningPart("first"), TextPart("answer"), ReasoningPart("second")],
        )
    )
    assert wire[0]["reasoning_content"] == "second"


def test_an_empty_last_reasoning_part_still_sends_the_field() -> None:
    wire, _ = messages(
        Message(Role.ASSISTANT, [ReasoningPart("thought"), ReasoningPart(""), TextPart("a")])
    )
    assert wire[0]["reasoning_content"] == ""


def test_empty_reasoning_with_a_tool_call_sends_an_empty_field() -> None:
    wire, warnings = messages(
        user("Run it"),
        Message(
            Role.ASSISTANT,
            [ReasoningPart(""), ToolCallPart("call_1", "execute", '{"command":"echo 4"}')],
        ),
    )
    assert wire[1] == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "execute", "arguments": '{"command":"echo 4"}'},
            }
        ],
        "reasoning_content": "",
    }
    assert warnings == []


def test_reasoning_content_is_never_taken_from_history() -> None:
    wire, warnings = messages(
        user("What is 2+2?"),
        Message(Role.ASSISTANT, [ReasoningPart("Simple math."), TextPart("Four")]),
        user("Now try a tool call"),
        Message(Role.ASSISTANT, [ToolCallPart("call_1", "execute", "{}")]),
    )
    assert wire[1]["reasoning_content"] == "Simple math."
    assert "reasoning_content" not in wire[3]
    assert warnings == []


def test_no_reasoning_no_field() -> None:
    wire, _ = messages(
        Message(Role.ASSISTANT, [TextPart("Hi there!")]),
        Message(Role.ASSISTANT, [TextPart("a"), ToolCallPart("c", "t", "{}")]),
    )
    assert all("reasoning_content" not in m for m in wire)


def test_reasoning_only_assistant_message_is_dropped_with_a_warning() -> None:
    wire, warnings = messages(
        user("Hello"), Message(Role.ASSISTANT, [ReasoningPart("Internal reasoning only...")])
    )
    assert wire == [{"role": "user", "content": "Hello"}]
    assert warnings == [
        "dropping empty assistant message (contains neither user-facing content nor tool calls)"
    ]


def test_empty_assistant_message_is_dropped() -> None:
    wire, warnings = messages(user("Hello"), Message(Role.ASSISTANT, []))
    assert wire == [{"role": "user", "content": "Hello"}]
    assert len(warnings) == 1
    assert "dropping empty assistant message" in warnings[0]


def test_last_assistant_text_part_only() -> None:
    wire, warnings = messages(
        Message(
            Role.ASSISTANT,
            [TextPart("First part. "), TextPart("Second part. "), TextPart("Third part.")],
        )
    )
    assert wire == [{"role": "assistant", "content": "Third part."}]
    assert warnings == []


def test_recorded_grok_3_mini_second_request() -> None:
    # TestOpenAICompatibleThinking/xai-grok-3-mini/thinking.yaml, 2nd request (abridged).
    wire, _ = messages(
        Message(
            Role.ASSISTANT,
            [
                ReasoningPart("First, the user is asking..."),
                ToolCallPart("call_1", "weather", '{"location":"Florence, Italy"}'),
            ],
        )
    )
    assert wire == [
        {
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"location":"Florence, Italy"}'},
                }
            ],
            "role": "assistant",
            "reasoning_content": "First, the user is asking...",
        }
    ]


def test_whitespace_text_is_kept_beside_reasoning() -> None:
    # Avian: {"content":"  ","tool_calls":[…],"role":"assistant","reasoning_content":"…"}.
    wire, _ = messages(
        Message(
            Role.ASSISTANT,
            [ReasoningPart("The user is asking"), TextPart("  "), ToolCallPart("c", "w", "{}")],
        )
    )
    assert wire[0]["content"] == "  "
    assert wire[0]["reasoning_content"] == "The user is asking"


# =========================================================================== responses


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 3,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
    }


def parse(message: dict[str, Any], finish: str = "stop") -> Response:
    return CompatCodec("grok-3-mini").parse_response(completion(message, finish))


def test_reasoning_content_sits_after_text_and_before_tool_calls() -> None:
    response = parse(
        {
            "content": "Checking.",
            "reasoning_content": "The user wants weather.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"location":"Florence"}'},
                }
            ],
        },
        finish="tool_calls",
    )
    assert list(response.content) == [
        TextContent("Checking."),
        ReasoningContent("The user wants weather."),
        ToolCallContent("call_1", "weather", '{"location":"Florence"}'),
    ]
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_reasoning_key_is_the_fallback() -> None:
    response = parse({"content": "Hi", "reasoning": "kimi thoughts"})
    assert response.content.reasoning == [ReasoningContent("kimi thoughts")]
    response = parse({"content": "Hi", "reasoning_content": "", "reasoning": "second"})
    assert response.content.reasoning == [ReasoningContent("second")]
    response = parse({"content": "Hi", "reasoning_content": "first", "reasoning": "second"})
    assert response.content.reasoning == [ReasoningContent("first")]


@pytest.mark.parametrize(
    "message",
    [
        {"content": "Hi", "reasoning_content": None},
        {"content": "Hi", "reasoning_content": ""},
        {"content": "Hi", "reasoning": None},
        {"content": "Hi", "reasoning_content": None, "reasoning": None},
    ],
)
def test_a_null_or_empty_reasoning_key_is_no_reasoning(message: dict[str, Any]) -> None:
    # DeepSeek and Qwen send "reasoning_content": null on answers without reasoning; it
    # used to become an empty reasoning part (sent back as "reasoning_content": "").
    response = parse(message)
    assert list(response.content) == [TextContent("Hi")]


def test_no_reasoning_key_no_reasoning() -> None:
    response = parse({"content": "Hi"})
    assert list(response.content) == [TextContent("Hi")]


def test_reasoning_without_text() -> None:
    response = parse({"content": None, "reasoning_content": "only thoughts"})
    assert list(response.content) == [ReasoningContent("only thoughts")]


def test_usage_and_metadata_are_openais() -> None:
    response = parse({"content": "Hi"})
    assert response.usage == Usage(
        input_tokens=10, output_tokens=3, total_tokens=15, reasoning_tokens=1, cache_read_tokens=2
    )
    assert isinstance(response.provider_metadata["openai"], openai.ProviderMetadata)


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
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


USAGE_CHUNK: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "choices": [],
    "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
}


def translate(chunks: list[dict[str, Any]], model: str = "grok-3-mini") -> list[StreamPart]:
    t = CompatCodec(model).new_stream([])
    parts = t.start()
    for c in chunks:
        parts.extend(t.feed(c))
    parts.extend(t.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[tuple[str, str]]:
    return [(p.type.value, p.id) for p in parts]


def reasoning_deltas(parts: list[StreamPart]) -> list[str]:
    return [p.delta for p in parts if p.type is StreamPartType.REASONING_DELTA]


def test_reasoning_then_text() -> None:
    parts = translate(
        [
            chunk(role="assistant", reasoning_content="The user"),
            chunk(reasoning_content=" greets."),
            chunk("Hello"),
            chunk("!", finish="stop"),
            USAGE_CHUNK,
        ]
    )
    # Inside the chunk that carries the first text, the reasoning ends after the text starts.
    assert kinds(parts) == [
        ("reasoning_start", "0"),
        ("reasoning_delta", "0"),
        ("reasoning_delta", "0"),
        ("reasoning_end", "0"),
        ("text_start", "0"),
        ("text_delta", "0"),
        ("text_delta", "0"),
        ("text_end", "0"),
        ("finish", ""),
    ]
    assert reasoning_deltas(parts) == ["The user", " greets."]
    assert parts[-1].usage == Usage(input_tokens=8, output_tokens=2, total_tokens=10)


def test_reasoning_ends_when_tool_calls_arrive() -> None:
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
    }
    parts = translate(
        [
            chunk(reasoning_content="Need weather."),
            chunk(tool_calls=[call]),
            chunk(finish="tool_calls"),
        ]
    )
    assert kinds(parts) == [
        ("reasoning_start", "0"),
        ("reasoning_delta", "0"),
        ("reasoning_end", "0"),
        ("tool_input_start", "call_1"),
        ("tool_input_delta", "call_1"),
        ("tool_input_end", "call_1"),
        ("tool_call", "call_1"),
        ("finish", ""),
    ]
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_plain_reasoning_field_streams_too() -> None:
    parts = translate([chunk(reasoning="think"), chunk("x", finish="stop")])
    assert reasoning_deltas(parts) == ["think"]
    assert ("reasoning_end", "0") in kinds(parts)


def test_an_empty_reasoning_key_is_no_reasoning() -> None:
    parts = translate([chunk(reasoning_content=""), chunk("x", finish="stop")])
    assert ("reasoning_start", "0") not in kinds(parts)


def test_null_reasoning_on_every_chunk_opens_nothing() -> None:
    # DeepSeek and Qwen send "reasoning_content": null on every answer chunk: it used to
    # open a reasoning block that never closed (so the agent kept no reasoning).
    parts = translate(
        [
            chunk(reasoning_content="thinking"),
            chunk("answer", reasoning_content=None),
            chunk("", finish="stop", reasoning_content=None),
        ]
    )
    assert kinds(parts) == [
        ("reasoning_start", "0"),
        ("reasoning_delta", "0"),
        ("reasoning_end", "0"),
        ("text_start", "0"),
        ("text_delta", "0"),
        ("text_end", "0"),
        ("finish", ""),
    ]
    assert reasoning_deltas(parts) == ["thinking"]


def test_reasoning_still_open_at_the_end_of_the_stream_is_closed() -> None:
    parts = translate([chunk(reasoning_content="only thoughts"), chunk(finish="length")])
    assert kinds(parts) == [
        ("reasoning_start", "0"),
        ("reasoning_delta", "0"),
        ("reasoning_end", "0"),
        ("finish", ""),
    ]


def test_no_reasoning_keys_no_reasoning_parts() -> None:
    parts = translate([chunk("Hi"), chunk(finish="stop")])
    assert kinds(parts) == [
        ("text_start", "0"),
        ("text_delta", "0"),
        ("text_end", "0"),
        ("finish", ""),
    ]


def test_content_without_active_reasoning_does_not_end_anything() -> None:
    parts = translate(
        [chunk("a"), chunk("b"), chunk(reasoning_content="late"), chunk("c", finish="stop")]
    )
    assert [k for k, _ in kinds(parts)].count("reasoning_end") == 1
    assert [k for k, _ in kinds(parts)].count("reasoning_start") == 1


# =========================================================================== provider over HTTP


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


def sse(*payloads: dict[str, Any]) -> list[bytes]:
    return [f"data: {json.dumps(p)}\n\n".encode() for p in payloads] + [b"data: [DONE]\n\n"]


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


def stream_response(chunks: list[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body(chunks))


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
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def make_model(
    server: Server, model_id: str = "grok-4-fast", base_url: str = BASE_URL, **kw: Any
) -> Any:
    provider = openaicompat.Provider(base_url, transport=httpx.MockTransport(server), **kw)
    return provider.language_model(model_id)


@pytest.mark.parametrize("base_url", ["", None])
def test_missing_base_url_is_an_error(base_url: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        openaicompat.Provider(base_url)
    assert "base_url" in str(info.value)


def test_no_api_key_sends_no_authorization(face: Face, monkeypatch: pytest.MonkeyPatch) -> None:
    # llama.cpp needs no key; OpenAI's environment key must not leak to another server.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-env")
    server = Server(json_response(completion({"content": "Hi"})))
    face.generate(make_model(server, base_url="http://localhost:8080/v1"), Call(prompt=HELLO))
    assert "authorization" not in server.request.headers
    assert str(server.request.url) == "http://localhost:8080/v1/chat/completions"


def test_api_key_is_a_bearer_token(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    face.generate(make_model(server, api_key=SECRET), Call(prompt=HELLO))
    assert server.request.headers["authorization"] == f"Bearer {SECRET}"
    assert str(server.request.url) == "https://api.x.ai/v1/chat/completions"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        (
            "https://api.z.ai/api/coding/paas/v4",
            "https://api.z.ai/api/coding/paas/v4/chat/completions",
        ),
        ("https://api.groq.com/openai/v1/", "https://api.groq.com/openai/v1/chat/completions"),
    ],
)
def test_url_joins_the_base(base_url: str, expected: str) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    make_model(server, base_url=base_url).generate(Call(prompt=HELLO))
    assert str(server.request.url) == expected


def test_provider_name_default_and_custom() -> None:
    default = openaicompat.Provider(BASE_URL)
    assert default.name == "openai-compat"
    assert default.language_model("m").provider == "openai-compat"
    custom = openaicompat.Provider(BASE_URL, name="groq")
    assert custom.name == "groq"
    model = custom.language_model("moonshotai/kimi-k2-instruct-0905")
    assert model.provider == "groq"
    assert model.model == "moonshotai/kimi-k2-instruct-0905"


def test_repr_never_shows_the_key() -> None:
    provider = openaicompat.Provider(BASE_URL, api_key=SECRET)
    assert SECRET not in repr(provider)
    assert SECRET not in repr(provider.language_model("grok-4-fast"))


def test_options_under_the_custom_name_over_http(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    model = make_model(server, name="groq")
    call = Call(prompt=HELLO, provider_options={"groq": ProviderOptions(reasoning_effort="high")})
    face.generate(model, call)
    assert server.body()["reasoning_effort"] == "high"


def test_bad_options_fail_before_any_request(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    model = make_model(server)
    bad = Call(prompt=HELLO, provider_options={"openai-compat": openai.ProviderOptions()})
    with pytest.raises(InvalidArgumentError):
        face.generate(model, bad)
    effort = Call(
        prompt=HELLO,
        provider_options={"openai-compat": ProviderOptions(reasoning_effort="huge")},  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidArgumentError):
        face.stream(model, effort)
    assert server.requests == []


def test_generate_with_reasoning(face: Face) -> None:
    server = Server(json_response(completion({"content": "4", "reasoning_content": "2+2"})))
    response = face.generate(make_model(server, "grok-3-mini"), Call(prompt=HELLO))
    assert list(response.content) == [TextContent("4"), ReasoningContent("2+2")]
    assert response.finish_reason is FinishReason.STOP


def test_stream_with_reasoning(face: Face) -> None:
    server = Server(
        stream_response(
            sse(
                chunk(reasoning_content="hm"),
                chunk("ok"),
                chunk(finish="stop"),
                USAGE_CHUNK,
            )
        )
    )
    parts = face.stream(make_model(server, "grok-3-mini"), Call(prompt=HELLO))
    assert [p.type for p in parts] == [
        StreamPartType.REASONING_START,
        StreamPartType.REASONING_DELTA,
        StreamPartType.REASONING_END,
        StreamPartType.TEXT_START,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_END,
        StreamPartType.FINISH,
    ]
    body = server.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_warnings_are_returned(face: Face) -> None:
    server = Server(json_response(completion({"content": "Hi"})))
    response = face.generate(make_model(server), Call(prompt=HELLO, top_k=3))
    assert response.warnings == [CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting="top_k")]
