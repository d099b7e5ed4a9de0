"""The Chat Completions codec: request bodies, response parsing and the stream translator.

No HTTP here: `ChatCodec` is pure translation (see test_openai_provider.py for I/O).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from fantasy.errors import FantasyError, InvalidArgumentError, ProviderError
from fantasy.model import Call
from fantasy.providers.openai import (
    ChatCodec,
    FileOptions,
    ProviderMetadata,
    ProviderOptions,
    is_reasoning_model,
)
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningPart,
    Role,
    SourceContent,
    SourceType,
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

HELLO = [Message(Role.USER, [TextPart("Hello")])]
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)


def build(
    model: str = "gpt-4o", *, stream: bool = False, prompt: list[Message] | None = None, **kw: Any
) -> tuple[dict[str, Any], list[CallWarning]]:
    return ChatCodec(model).build_body(
        Call(prompt=HELLO if prompt is None else prompt, **kw), stream=stream
    )


def with_options(model: str = "gpt-4o", **opts: Any) -> tuple[dict[str, Any], list[CallWarning]]:
    return build(model, provider_options={"openai": ProviderOptions(**opts)})


def messages(*prompt: Message) -> tuple[list[dict[str, Any]], list[str]]:
    wire, warnings = ChatCodec("gpt-4o").to_messages(list(prompt))
    return wire, [w.message for w in warnings]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unsupported(setting: str, details: str = "", message: str = "") -> CallWarning:
    return CallWarning(
        CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details, message=message
    )


# =========================================================================== request body


def test_recorded_tool_request_body() -> None:
    # TestOpenAICommon/openai-gpt-4o/tool.yaml, first request.
    body, warnings = build(
        prompt=[
            Message(Role.SYSTEM, [TextPart("You are a helpful assistant")]),
            Message(Role.USER, [TextPart("What's the weather in Florence,Italy?")]),
        ],
        max_output_tokens=4000,
        tools=[WEATHER],
        tool_choice="auto",
    )
    assert body == {
        "messages": [
            {"content": "You are a helpful assistant", "role": "system"},
            {"content": "What's the weather in Florence,Italy?", "role": "user"},
        ],
        "model": "gpt-4o",
        "max_tokens": 4000,
        "tool_choice": "auto",
        "tools": [
            {
                "function": {
                    "name": "weather",
                    "strict": False,
                    "description": "Get weather information for a location",
                    "parameters": WEATHER_SCHEMA,
                },
                "type": "function",
            }
        ],
    }
    assert warnings == []


def test_minimal_body_sends_only_model_and_messages() -> None:
    body, warnings = build()
    assert body == {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}
    assert warnings == []


def test_stream_adds_stream_and_include_usage() -> None:
    body, _ = build(stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_sampling_settings_for_ordinary_models() -> None:
    body, warnings = build(
        max_output_tokens=100,
        temperature=0.0,
        top_p=0.9,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
    )
    assert body["max_tokens"] == 100
    assert "max_completion_tokens" not in body
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert body["frequency_penalty"] == 0.5
    assert body["presence_penalty"] == -0.5
    assert warnings == []


def test_top_k_is_never_sent() -> None:
    body, warnings = build(top_k=40)
    assert "top_k" not in body
    assert warnings == [unsupported("top_k")]


# --------------------------------------------------------------------------- provider options


def test_no_provider_options_sends_nothing_extra() -> None:
    body, _ = build(provider_options={"anthropic": object()})
    assert set(body) == {"model", "messages"}


def test_every_simple_option() -> None:
    body, warnings = with_options(
        logit_bias={"50256": -100},
        logprobs=True,
        user="user-1",
        parallel_tool_calls=False,
        max_completion_tokens=77,
        text_verbosity="low",
        store=False,
        prompt_cache_key="cache-key",
        safety_identifier="safe-id",
        service_tier="auto",
        reasoning_effort="low",
        structured_outputs=True,
    )
    assert body == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello"}],
        "logit_bias": {"50256": -100},
        "logprobs": True,
        "user": "user-1",
        "parallel_tool_calls": False,
        "max_completion_tokens": 77,
        "verbosity": "low",
        "store": False,
        "prompt_cache_key": "cache-key",
        "safety_identifier": "safe-id",
        "service_tier": "auto",
        "reasoning_effort": "low",
    }
    assert warnings == []


def test_logprobs_dropped_when_top_logprobs_set() -> None:
    body, _ = with_options(logprobs=True, top_logprobs=3)
    assert body["top_logprobs"] == 3
    assert "logprobs" not in body


def test_false_values_are_sent() -> None:
    body, _ = with_options(logprobs=False, store=False, parallel_tool_calls=False)
    assert body["logprobs"] is False
    assert body["store"] is False
    assert body["parallel_tool_calls"] is False


def test_metadata_keeps_only_strings() -> None:
    body, _ = with_options(metadata={"a": "x", "n": 1, "b": True, "c": None, "d": "y"})
    assert body["metadata"] == {"a": "x", "d": "y"}


def test_metadata_without_strings_is_sent_empty() -> None:
    body, _ = with_options(metadata={"n": 1})
    assert body["metadata"] == {}


def test_prediction_uses_string_content() -> None:
    body, _ = with_options(prediction={"content": "predicted text", "other": 1})
    assert body["prediction"] == {"type": "content", "content": "predicted text"}


@pytest.mark.parametrize("prediction", [{}, {"content": 42}, {"content": ["a"]}])
def test_prediction_without_string_content_is_not_sent(prediction: dict[str, Any]) -> None:
    body, _ = with_options(prediction=prediction)
    assert "prediction" not in body


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
def test_reasoning_effort_values(effort: str) -> None:
    body, _ = with_options("gpt-5", reasoning_effort=effort)
    assert body["reasoning_effort"] == effort


def test_bad_reasoning_effort_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="extreme"):
        with_options("gpt-5", reasoning_effort="extreme")


@pytest.mark.parametrize("value", [{"user": "x"}, "openai", 3])
def test_wrong_option_type_is_an_invalid_argument(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build(provider_options={"openai": value})
    assert str(info.value).startswith("invalid argument: openai provider options should be ")


@pytest.mark.parametrize(
    ("model", "kept"),
    [
        ("gpt-4o", False),
        ("gpt-4.1", False),
        ("o1", False),
        ("o3", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("gpt-5", True),
        ("gpt-5-nano", True),
        ("azure-o3", True),
        ("GPT-5", True),
    ],
)
def test_flex_service_tier(model: str, kept: bool) -> None:
    body, warnings = with_options(model, service_tier="flex")
    if kept:
        assert body["service_tier"] == "flex"
        assert not [w for w in warnings if w.setting == "ServiceTier"]
    else:
        assert "service_tier" not in body
        assert [w for w in warnings if w.setting == "ServiceTier"] == [
            unsupported(
                "ServiceTier", "flex processing is only available for o3, o4-mini, and gpt-5 models"
            )
        ]


@pytest.mark.parametrize(
    ("model", "kept"),
    [
        ("gpt-4o", True),
        ("GPT-4.1", True),
        ("gpt-5-mini", True),
        ("o3", True),
        ("o4-mini", True),
        ("o1", False),
        ("gpt-3.5-turbo", False),
        ("llama-3", False),
    ],
)
def test_priority_service_tier(model: str, kept: bool) -> None:
    body, warnings = with_options(model, service_tier="priority")
    tier_warnings = [w for w in warnings if w.setting == "ServiceTier"]
    if kept:
        assert body["service_tier"] == "priority"
        assert tier_warnings == []
    else:
        assert "service_tier" not in body
        assert len(tier_warnings) == 1
        assert tier_warnings[0].type is CallWarningType.UNSUPPORTED_SETTING
        assert tier_warnings[0].details.startswith("priority processing is only available")


@pytest.mark.parametrize("tier", ["auto", "default"])
def test_other_service_tiers_pass_through(tier: str) -> None:
    body, warnings = with_options("o1", service_tier=tier)
    assert body["service_tier"] == tier
    assert warnings == []


# --------------------------------------------------------------------------- reasoning models


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("o1", True),
        ("o1-mini", True),
        ("o3", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("oss-120b", True),
        ("gpt-5", True),
        ("gpt-5-mini", True),
        ("GPT-5", True),
        ("gpt-5.1-codex", True),
        ("openai/gpt-5", True),
        ("openai/gpt-5.4-nano", True),
        ("openai/gpt-oss-20b", True),
        ("azure-o4-mini", True),
        ("my-o1-deployment", True),
        ("openai/o4-mini", False),
        ("openai/o3-mini", False),
        ("gpt-4o", False),
        ("gpt-4o-mini", False),
        ("gpt-4.1", False),
        ("chatgpt-4o-latest", False),
        ("grok-4-fast", False),
        ("claude-sonnet-4", False),
    ],
)
def test_reasoning_model_detection(model: str, reasoning: bool) -> None:
    assert is_reasoning_model(model) is reasoning


def test_reasoning_model_drops_sampling_with_warnings() -> None:
    body, warnings = build(
        "gpt-5",
        max_output_tokens=4000,
        temperature=0.7,
        top_p=0.9,
        frequency_penalty=0.1,
        presence_penalty=0.2,
    )
    assert body == {
        "model": "gpt-5",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_completion_tokens": 4000,
    }
    assert warnings == [
        unsupported("temperature", "temperature is not supported for reasoning models"),
        unsupported("TopP", "TopP is not supported for reasoning models"),
        unsupported("FrequencyPenalty", "FrequencyPenalty is not supported for reasoning models"),
        unsupported("PresencePenalty", "PresencePenalty is not supported for reasoning models"),
    ]


def test_prefixed_reasoning_id_uses_max_completion_tokens() -> None:
    body, _ = build("openai/gpt-oss-20b", max_output_tokens=4000)
    assert body["max_completion_tokens"] == 4000
    assert "max_tokens" not in body


def test_prefixed_o4_mini_is_not_a_reasoning_model() -> None:
    body, warnings = build("openai/o4-mini", max_output_tokens=4000, temperature=0.5)
    assert body["max_tokens"] == 4000
    assert body["temperature"] == 0.5
    assert warnings == []


def test_option_max_completion_tokens_overwrites_for_reasoning_models() -> None:
    body, _ = build(
        "o4-mini",
        max_output_tokens=4000,
        provider_options={"openai": ProviderOptions(max_completion_tokens=1234)},
    )
    assert body["max_completion_tokens"] == 1234
    assert "max_tokens" not in body


def test_ordinary_model_may_send_both_token_limits() -> None:
    body, _ = build(
        max_output_tokens=4000,
        provider_options={"openai": ProviderOptions(max_completion_tokens=1234)},
    )
    assert body["max_tokens"] == 4000
    assert body["max_completion_tokens"] == 1234


def test_reasoning_model_drops_logit_bias_and_logprobs() -> None:
    body, warnings = with_options("o3", logit_bias={"1": 1}, logprobs=True)
    assert "logit_bias" not in body
    assert "logprobs" not in body
    assert warnings == [
        unsupported("LogitBias", message="LogitBias is not supported for reasoning models"),
        unsupported("Logprobs", message="Logprobs is not supported for reasoning models"),
    ]


def test_reasoning_model_drops_top_logprobs() -> None:
    body, warnings = with_options("o3", logprobs=True, top_logprobs=2)
    assert "top_logprobs" not in body
    assert "logprobs" not in body
    assert warnings == [
        unsupported("TopLogprobs", message="TopLogprobs is not supported for reasoning models")
    ]


def test_reasoning_model_keeps_system_role() -> None:
    body, _ = build("gpt-5", prompt=[Message(Role.SYSTEM, [TextPart("sys")]), *HELLO])
    assert body["messages"][0] == {"role": "system", "content": "sys"}


def test_search_preview_drops_temperature() -> None:
    body, warnings = build("gpt-4o-search-preview", temperature=0.3, top_p=0.5)
    assert "temperature" not in body
    assert body["top_p"] == 0.5
    assert warnings == [
        unsupported(
            "temperature",
            "temperature is not supported for the search preview models and has been removed.",
        )
    ]


# --------------------------------------------------------------------------- messages: system


def test_system_parts_joined_and_blank_parts_skipped() -> None:
    wire, warnings = messages(
        Message(Role.SYSTEM, [TextPart("a"), TextPart("   \n"), TextPart(""), TextPart("b")])
    )
    assert wire == [{"role": "system", "content": "a\nb"}]
    assert warnings == []


def test_system_with_only_blank_text_is_dropped() -> None:
    wire, warnings = messages(Message(Role.SYSTEM, [TextPart("  ")]), *HELLO)
    assert wire == [{"role": "user", "content": "Hello"}]
    assert warnings == ["system prompt has no text parts"]


def test_system_non_text_part_warns() -> None:
    wire, warnings = messages(Message(Role.SYSTEM, [TextPart("keep"), FilePart(b"x", "image/png")]))
    assert wire == [{"role": "system", "content": "keep"}]
    assert warnings == ["system prompt can only have text content"]


# --------------------------------------------------------------------------- messages: user


def test_single_text_user_message_is_a_string() -> None:
    assert messages(Message(Role.USER, [TextPart("hi")]))[0] == [{"role": "user", "content": "hi"}]


def test_single_empty_text_is_still_a_string() -> None:
    assert messages(Message(Role.USER, [TextPart("")]))[0] == [{"role": "user", "content": ""}]


def test_user_text_and_image() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    wire, warnings = messages(
        Message(Role.USER, [TextPart("Describe the image."), FilePart(png, "image/png")])
    )
    assert wire == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe the image."},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}},
            ],
        }
    ]
    assert warnings == []


def test_image_detail_from_file_options() -> None:
    part = FilePart(
        b"img", "image/jpeg", provider_options={"openai": FileOptions(image_detail="low")}
    )
    wire, _ = messages(Message(Role.USER, [part]))
    assert wire[0]["content"] == [
        {
            "type": "image_url",
            "image_url": {"url": f"data:image/jpeg;base64,{b64(b'img')}", "detail": "low"},
        }
    ]


def test_empty_image_detail_is_omitted() -> None:
    part = FilePart(b"img", "image/jpeg", provider_options={"openai": FileOptions()})
    wire, _ = messages(Message(Role.USER, [part]))
    assert "detail" not in wire[0]["content"][0]["image_url"]


def test_text_file_is_raw_base64() -> None:
    wire, _ = messages(Message(Role.USER, [TextPart("read"), FilePart(b"hello", "text/plain")]))
    assert wire[0]["content"][1] == {"type": "file", "file": {"file_data": b64(b"hello")}}


@pytest.mark.parametrize(
    ("media_type", "fmt"), [("audio/wav", "wav"), ("audio/mpeg", "mp3"), ("audio/mp3", "mp3")]
)
def test_audio_input(media_type: str, fmt: str) -> None:
    wire, _ = messages(Message(Role.USER, [TextPart("listen"), FilePart(b"RIFF", media_type)]))
    assert wire[0]["content"][1] == {
        "type": "input_audio",
        "input_audio": {"data": b64(b"RIFF"), "format": fmt},
    }


def test_pdf_file_id() -> None:
    wire, _ = messages(Message(Role.USER, [FilePart(b"file-abc123", "application/pdf")]))
    assert wire[0]["content"] == [{"type": "file", "file": {"file_id": "file-abc123"}}]


def test_pdf_data_gets_part_n_filename() -> None:
    pdf = b"%PDF-1.4"
    wire, _ = messages(
        Message(
            Role.USER,
            [
                TextPart("one"),
                FilePart(b"x", "video/mp4"),  # not counted: it builds no entry
                TextPart("two"),
                FilePart(pdf, "application/pdf"),
                FilePart(pdf, "application/pdf", filename="report.pdf"),
            ],
        )
    )
    content = wire[0]["content"]
    data_url = f"data:application/pdf;base64,{b64(pdf)}"
    assert content[2] == {"type": "file", "file": {"filename": "part-2.pdf", "file_data": data_url}}
    assert content[3] == {"type": "file", "file": {"filename": "report.pdf", "file_data": data_url}}


def test_unsupported_media_type_warns() -> None:
    wire, warnings = messages(Message(Role.USER, [TextPart("watch"), FilePart(b"x", "video/mp4")]))
    assert wire == [{"role": "user", "content": [{"type": "text", "text": "watch"}]}]
    assert warnings == ["file part media type video/mp4 not supported"]


def test_empty_user_message_is_dropped() -> None:
    wire, warnings = messages(Message(Role.USER, [FilePart(b"x", "video/mp4")]))
    assert wire == []
    assert warnings == [
        "file part media type video/mp4 not supported",
        "dropping empty user message (contains neither user-facing content nor tool results)",
    ]


def test_user_message_without_parts_is_dropped() -> None:
    wire, warnings = messages(Message(Role.USER, []))
    assert wire == []
    assert len(warnings) == 1


# --------------------------------------------------------------------------- messages: assistant


def test_single_text_assistant_message_is_a_string() -> None:
    assert messages(Message(Role.ASSISTANT, [TextPart("done")]))[0] == [
        {"role": "assistant", "content": "done"}
    ]


def test_assistant_last_text_wins_and_tool_calls_follow() -> None:
    wire, warnings = messages(
        Message(
            Role.ASSISTANT,
            [
                ReasoningPart("thinking"),
                TextPart("first"),
                ToolCallPart("call_1", "weather", '{"location":"Florence"}'),
                TextPart("last"),
                FilePart(b"x", "image/png"),
                ToolCallPart("call_2", "time", ""),
            ],
        )
    )
    assert wire == [
        {
            "role": "assistant",
            "content": "last",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"location":"Florence"}'},
                },
                {"id": "call_2", "type": "function", "function": {"name": "time", "arguments": ""}},
            ],
        }
    ]
    assert warnings == []


def test_assistant_tool_calls_only_omit_content() -> None:
    wire, _ = messages(Message(Role.ASSISTANT, [ToolCallPart("c", "t", "{}")]))
    assert wire == [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "t", "arguments": "{}"}}
            ],
        }
    ]


def test_assistant_empty_text_still_counts() -> None:
    wire, _ = messages(Message(Role.ASSISTANT, [TextPart(""), ToolCallPart("c", "t", "{}")]))
    assert wire[0]["content"] == ""


def test_empty_assistant_message_is_dropped() -> None:
    wire, warnings = messages(Message(Role.ASSISTANT, [ReasoningPart("only thoughts")]))
    assert wire == []
    assert warnings == [
        "dropping empty assistant message (contains neither user-facing content nor tool calls)"
    ]


# --------------------------------------------------------------------------- messages: tool


def test_tool_results_text_and_error() -> None:
    wire, warnings = messages(
        Message(
            Role.TOOL,
            [
                ToolResultPart("call_1", ToolResultOutputText("40 C")),
                ToolResultPart("call_2", ToolResultOutputError("city not found")),
            ],
        )
    )
    assert wire == [
        {"role": "tool", "tool_call_id": "call_1", "content": "40 C"},
        {"role": "tool", "tool_call_id": "call_2", "content": "city not found"},
    ]
    assert warnings == []


def test_tool_result_image_adds_a_synthetic_user_message() -> None:
    data = b64(b"\x89PNG")
    wire, warnings = messages(
        Message(Role.TOOL, [ToolResultPart("call_1", ToolResultOutputMedia(data, "image/png"))])
    )
    assert wire == [
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": "The tool returned image/png content; see the following user message.",
        },
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}
            ],
        },
    ]
    assert warnings == []


def test_tool_result_media_text_replaces_the_placeholder() -> None:
    wire, _ = messages(
        Message(
            Role.TOOL,
            [ToolResultPart("c", ToolResultOutputMedia("AAAA", "audio/wav", text="a beep"))],
        )
    )
    assert wire == [
        {"role": "tool", "tool_call_id": "c", "content": "a beep"},
        {
            "role": "user",
            "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}],
        },
    ]


@pytest.mark.parametrize("media_type", ["audio/mpeg", "audio/mp3"])
def test_tool_result_mp3(media_type: str) -> None:
    wire, _ = messages(
        Message(Role.TOOL, [ToolResultPart("c", ToolResultOutputMedia("AAAA", media_type))])
    )
    assert wire[1]["content"][0]["input_audio"] == {"data": "AAAA", "format": "mp3"}


def test_tool_result_unsupported_media_sends_placeholder_only() -> None:
    wire, warnings = messages(
        Message(Role.TOOL, [ToolResultPart("c", ToolResultOutputMedia("AAAA", "application/pdf"))])
    )
    assert wire == [
        {
            "role": "tool",
            "tool_call_id": "c",
            "content": "The tool returned application/pdf content; see the following user message.",
        }
    ]
    assert warnings == [
        "tool result media type application/pdf not supported, sending text placeholder only"
    ]


def test_non_tool_result_part_in_tool_message_warns() -> None:
    wire, warnings = messages(
        Message(Role.TOOL, [TextPart("stray"), ToolResultPart("c", ToolResultOutputText("ok"))])
    )
    assert wire == [{"role": "tool", "tool_call_id": "c", "content": "ok"}]
    assert warnings == ["tool message can only have tool result content"]


def test_full_conversation_order() -> None:
    wire, _ = messages(
        Message(Role.SYSTEM, [TextPart("sys")]),
        Message(Role.USER, [TextPart("q")]),
        Message(Role.ASSISTANT, [ToolCallPart("c1", "weather", '{"location":"x"}')]),
        Message(Role.TOOL, [ToolResultPart("c1", ToolResultOutputText("40 C"))]),
        Message(Role.ASSISTANT, [TextPart("It is 40 C.")]),
    )
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool", "assistant"]


# --------------------------------------------------------------------------- tools


def test_function_tool_always_has_strict_false_and_description() -> None:
    body, _ = build(tools=[FunctionTool("noop", "", {"type": "object", "properties": {}})])
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "noop",
                "description": "",
                "strict": False,
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    assert "tool_choice" not in body


def test_provider_defined_tool_warns_and_tool_choice_is_still_sent() -> None:
    search = ProviderDefinedTool("openai.web_search", "web_search")
    body, warnings = build(tools=[search], tool_choice="auto")
    assert "tools" not in body
    assert body["tool_choice"] == "auto"
    assert warnings == [
        CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=search, message="tool is not supported")
    ]


def test_mixed_tools_keep_only_functions() -> None:
    body, warnings = build(
        tools=[ProviderDefinedTool("openai.web_search", "web_search"), WEATHER],
        tool_choice="required",
    )
    assert [t["function"]["name"] for t in body["tools"]] == ["weather"]
    assert body["tool_choice"] == "required"
    assert len(warnings) == 1


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_string_tool_choices(choice: str) -> None:
    body, _ = build(tools=[WEATHER], tool_choice=choice)
    assert body["tool_choice"] == choice


def test_specific_tool_choice_object() -> None:
    body, _ = build(tools=[WEATHER], tool_choice="weather")
    assert body["tool_choice"] == {"type": "function", "function": {"name": "weather"}}


def test_tool_choice_without_tools_is_not_sent() -> None:
    body, _ = build(tool_choice="required")
    assert "tool_choice" not in body
    assert "tools" not in body


# =========================================================================== response


def completion(
    message: dict[str, Any], finish: str | None = "stop", **extra: Any
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        **extra,
    }


def parse(data: dict[str, Any], model: str = "gpt-4o") -> Any:
    return ChatCodec(model).parse_response(data)


def test_parse_text() -> None:
    resp = parse(completion({"role": "assistant", "content": "Hi there"}))
    assert list(resp.content) == [TextContent("Hi there")]
    assert resp.text == "Hi there"
    assert resp.finish_reason is FinishReason.STOP
    assert isinstance(resp.provider_metadata["openai"], ProviderMetadata)


@pytest.mark.parametrize("content", [None, ""])
def test_no_text_content_when_empty(content: str | None) -> None:
    resp = parse(completion({"role": "assistant", "content": content}))
    assert list(resp.content) == []


def test_parse_tool_calls_keep_raw_arguments_and_force_finish() -> None:
    resp = parse(
        completion(
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{ "location" : "Rome" }'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "now", "arguments": ""},
                    },
                ],
            },
            finish="stop",
        )
    )
    assert list(resp.content) == [
        TextContent("Let me check."),
        ToolCallContent("call_1", "weather", '{ "location" : "Rome" }'),
        ToolCallContent("call_2", "now", ""),
    ]
    assert resp.finish_reason is FinishReason.TOOL_CALLS


def test_parse_url_citations() -> None:
    resp = parse(
        completion(
            {
                "role": "assistant",
                "content": "See sources.",
                "annotations": [
                    {
                        "type": "url_citation",
                        "url_citation": {
                            "url": "https://example.com",
                            "title": "Example",
                            "start_index": 0,
                            "end_index": 3,
                        },
                    },
                    {"type": "file_citation", "file_citation": {"file_id": "f"}},
                ],
            }
        )
    )
    sources = resp.content.sources
    assert len(sources) == 1
    source = sources[0]
    assert isinstance(source, SourceContent)
    assert source.source_type is SourceType.URL
    assert (source.url, source.title) == ("https://example.com", "Example")
    uuid.UUID(source.id)
    assert resp.content[0] == TextContent("See sources.")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("tool_calls", FinishReason.TOOL_CALLS),
        ("function_call", FinishReason.TOOL_CALLS),
        ("something_new", FinishReason.UNKNOWN),
        (None, FinishReason.UNKNOWN),
        ("", FinishReason.UNKNOWN),
    ],
)
def test_finish_reasons(reason: str | None, expected: FinishReason) -> None:
    resp = parse(completion({"role": "assistant", "content": "x"}, finish=reason))
    assert resp.finish_reason is expected


def test_usage_arithmetic() -> None:
    resp = parse(
        completion(
            {"role": "assistant", "content": "x"},
            usage={
                "prompt_tokens": 100,
                "completion_tokens": 50,
                "total_tokens": 151,
                "prompt_tokens_details": {"cached_tokens": 30, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 20,
                    "accepted_prediction_tokens": 4,
                    "rejected_prediction_tokens": 2,
                },
                "cost": 0.5,
                "nothing": None,
            },
        )
    )
    assert resp.usage == Usage(
        input_tokens=70,
        output_tokens=50,
        total_tokens=151,
        reasoning_tokens=20,
        cache_creation_tokens=0,
        cache_read_tokens=30,
    )
    meta = resp.provider_metadata["openai"]
    assert meta.accepted_prediction_tokens == 4
    assert meta.rejected_prediction_tokens == 2
    assert meta.extra_fields == {"cost": 0.5}


def test_cached_tokens_above_prompt_clamp_to_zero() -> None:
    resp = parse(
        completion(
            {"role": "assistant", "content": "x"},
            usage={
                "prompt_tokens": 10,
                "completion_tokens": 1,
                "total_tokens": 11,
                "prompt_tokens_details": {"cached_tokens": 25},
            },
        )
    )
    assert resp.usage.input_tokens == 0
    assert resp.usage.cache_read_tokens == 25


def test_missing_usage_is_zero() -> None:
    resp = parse(completion({"role": "assistant", "content": "x"}))
    assert resp.usage == Usage()


def test_logprobs_in_metadata() -> None:
    data = completion({"role": "assistant", "content": "x"})
    data["choices"][0]["logprobs"] = {"content": [{"token": "x", "logprob": -0.1}]}
    assert parse(data).provider_metadata["openai"].logprobs == [{"token": "x", "logprob": -0.1}]


@pytest.mark.parametrize("data", [{"choices": []}, {"id": "x"}, {"choices": None}])
def test_no_choices_is_an_error(data: dict[str, Any]) -> None:
    with pytest.raises(FantasyError) as info:
        parse(data)
    assert str(info.value) == "no response: no response generated"
    assert not isinstance(info.value, ProviderError)


# =========================================================================== streaming


def chunk(
    content: str | None = None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    **delta_extra: Any,
) -> dict[str, Any]:
    delta: dict[str, Any] = {**delta_extra}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    out: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        out["usage"] = usage
    return out


def usage_chunk(prompt: int = 10, completion: int = 5, cached: int = 0) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def tc(
    index: int, id: str | None = None, name: str | None = None, args: str | None = None, **kw: Any
) -> dict[str, Any]:
    fn: dict[str, Any] = {}
    if name is not None:
        fn["name"] = name
    if args is not None:
        fn["arguments"] = args
    out: dict[str, Any] = {"index": index, "function": fn, **kw}
    if id is not None:
        out["id"] = id
        out.setdefault("type", "function")
    return out


def translate(
    chunks: list[dict[str, Any]], warnings: list[CallWarning] | None = None, model: str = "gpt-4o"
) -> list[StreamPart]:
    """Feed chunks as the provider does: stop at an error part, else finish."""
    t = ChatCodec(model).new_stream(warnings or [])
    parts = t.start()
    for c in chunks:
        new = t.feed(c)
        parts.extend(new)
        if new and new[-1].type is StreamPartType.ERROR:
            return parts
    parts.extend(t.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[tuple[str, str]]:
    return [(p.type.value, p.id) for p in parts]


def test_text_stream() -> None:
    parts = translate(
        [
            chunk("", role="assistant"),
            chunk("Hel"),
            chunk("lo"),
            chunk(None, finish="stop"),
            usage_chunk(10, 5),
        ]
    )
    assert kinds(parts) == [
        ("text_start", "0"),
        ("text_delta", "0"),
        ("text_delta", "0"),
        ("text_end", "0"),
        ("finish", ""),
    ]
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["Hel", "lo"]
    finish = parts[-1]
    assert finish.finish_reason is FinishReason.STOP
    assert finish.usage == Usage(input_tokens=10, output_tokens=5, total_tokens=15)
    assert isinstance(finish.provider_metadata["openai"], ProviderMetadata)


def test_warnings_part_comes_first() -> None:
    warning = unsupported("top_k")
    parts = translate([chunk("x", finish="stop")], warnings=[warning])
    assert parts[0].type is StreamPartType.WARNINGS
    assert parts[0].warnings == [warning]


def test_no_warnings_part_without_warnings() -> None:
    parts = translate([chunk("x", finish="stop")])
    assert parts[0].type is StreamPartType.TEXT_START


def test_tool_call_stream() -> None:
    parts = translate(
        [
            chunk(None, role="assistant", tool_calls=[tc(0, "call_1", "weather", "")]),
            chunk(tool_calls=[tc(0, args='{"loc')]),
            chunk(tool_calls=[tc(0, args='ation":"Rome"}')]),
            chunk(finish="tool_calls"),
            usage_chunk(),
        ]
    )
    assert kinds(parts) == [
        ("tool_input_start", "call_1"),
        ("tool_input_delta", "call_1"),
        ("tool_input_delta", "call_1"),
        ("tool_input_end", "call_1"),
        ("tool_call", "call_1"),
        ("finish", ""),
    ]
    assert parts[0].tool_call_name == "weather"
    call = parts[4]
    assert (call.tool_call_name, call.tool_call_input) == ("weather", '{"location":"Rome"}')
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_first_delta_with_arguments_emits_a_delta() -> None:
    parts = translate([chunk(tool_calls=[tc(0, "c", "f", '{"a":1}')], finish="tool_calls")])
    assert kinds(parts)[:2] == [("tool_input_start", "c"), ("tool_input_delta", "c")]
    assert parts[1].delta == '{"a":1}'


def test_parallel_tool_calls_close_earlier_ones_and_emit_calls_in_index_order() -> None:
    parts = translate(
        [
            chunk(tool_calls=[tc(0, "call_a", "add", '{"a":1,')]),
            chunk(tool_calls=[tc(1, "call_b", "multiply", '{"a":2,"b":3}')]),
            # A late delta for a closed call (servers that interleave parallel calls)
            # still belongs to it: no more input deltas, but its arguments are complete.
            chunk(tool_calls=[tc(0, args='"b":2}')]),
            chunk(finish="tool_calls"),
        ]
    )
    assert kinds(parts) == [
        ("tool_input_start", "call_a"),
        ("tool_input_delta", "call_a"),
        ("tool_input_end", "call_a"),
        ("tool_input_start", "call_b"),
        ("tool_input_delta", "call_b"),
        # At the end, per index in order: close it if still open, then its tool call.
        ("tool_call", "call_a"),
        ("tool_input_end", "call_b"),
        ("tool_call", "call_b"),
        ("finish", ""),
    ]
    calls = [p for p in parts if p.type is StreamPartType.TOOL_CALL]
    assert [c.tool_call_input for c in calls] == ['{"a":1,"b":2}', '{"a":2,"b":3}']


def test_several_tool_calls_in_one_chunk() -> None:
    parts = translate(
        [
            chunk(tool_calls=[tc(0, "a", "f", "{}"), tc(1, "b", "g", "{}"), tc(2, "c", "h", "{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    ends = [p.id for p in parts if p.type is StreamPartType.TOOL_INPUT_END]
    calls = [p.id for p in parts if p.type is StreamPartType.TOOL_CALL]
    assert ends == ["a", "b", "c"]
    assert calls == ["a", "b", "c"]


def test_tool_calls_emitted_in_index_order_even_if_opened_out_of_order() -> None:
    parts = translate(
        [chunk(tool_calls=[tc(1, "b", "g", "{}")]), chunk(tool_calls=[tc(0, "a", "f", "{}")])]
    )
    assert [p.id for p in parts if p.type is StreamPartType.TOOL_CALL] == ["a", "b"]


def test_tool_call_deltas_with_indexes_out_of_order_and_interleaved_assemble_each_call() -> None:
    """Index 1 opens before index 0, then their argument fragments alternate: each
    fragment belongs to the call of its ``index``, whatever the order (as OpenAI's own
    SDK accumulates them). A lower index opening never closes a higher one."""
    parts = translate(
        [
            chunk(None, role="assistant", tool_calls=[tc(1, "call_b", "multiply", '{"a":')]),
            chunk(tool_calls=[tc(0, "call_a", "add", '{"x"')]),
            chunk(tool_calls=[tc(1, args='2,"b"')]),
            chunk(tool_calls=[tc(0, args=":1,")]),
            chunk(tool_calls=[tc(1, args=":3}"), tc(0, args='"y":4}')]),
            chunk(finish="tool_calls"),
            usage_chunk(),
        ]
    )
    starts = [(p.id, p.tool_call_name) for p in parts if p.type is StreamPartType.TOOL_INPUT_START]
    assert starts == [("call_b", "multiply"), ("call_a", "add")]
    calls = [
        (p.id, p.tool_call_name, p.tool_call_input)
        for p in parts
        if p.type is StreamPartType.TOOL_CALL
    ]
    assert calls == [
        ("call_a", "add", '{"x":1,"y":4}'),
        ("call_b", "multiply", '{"a":2,"b":3}'),
    ]
    # The deltas of each call, joined, are its input; every call is closed once, at the end.
    for call_id, _, arguments in calls:
        deltas = [
            p.delta for p in parts if p.type is StreamPartType.TOOL_INPUT_DELTA and p.id == call_id
        ]
        assert "".join(deltas) == arguments
    ends = [p.id for p in parts if p.type is StreamPartType.TOOL_INPUT_END]
    assert ends == ["call_a", "call_b"]
    assert kinds(parts)[-5:] == [
        ("tool_input_end", "call_a"),
        ("tool_call", "call_a"),
        ("tool_input_end", "call_b"),
        ("tool_call", "call_b"),
        ("finish", ""),
    ]
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_empty_arguments_become_empty_object() -> None:
    parts = translate(
        [
            chunk(tool_calls=[tc(0, "a", "now")]),
            chunk(tool_calls=[tc(1, "b", "today")]),
            chunk(finish="tool_calls"),
        ]
    )
    calls = [p for p in parts if p.type is StreamPartType.TOOL_CALL]
    assert [c.tool_call_input for c in calls] == ["{}", "{}"]
    assert not [p for p in parts if p.type is StreamPartType.TOOL_INPUT_DELTA]


def test_missing_id_becomes_tool_call_index() -> None:
    parts = translate([chunk(tool_calls=[tc(3, name="f", args="{}")]), chunk(finish="tool_calls")])
    assert {p.id for p in parts if p.type is not StreamPartType.FINISH} == {"tool-call-3"}


def test_missing_type_defaults_to_function() -> None:
    parts = translate([chunk(tool_calls=[{"index": 0, "id": "x", "function": {"name": "f"}}])])
    assert parts[-1].type is StreamPartType.FINISH


def test_empty_name_and_arguments_delta_is_skipped() -> None:
    parts = translate(
        [
            chunk(tool_calls=[tc(0, "call_1", "", "")]),
            chunk(tool_calls=[tc(0, "call_1", "weather", "")]),
            chunk(tool_calls=[tc(0, args="{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    assert kinds(parts)[0] == ("tool_input_start", "call_1")
    assert parts[0].tool_call_name == "weather"
    calls = [p for p in parts if p.type is StreamPartType.TOOL_CALL]
    assert [(c.tool_call_name, c.tool_call_input) for c in calls] == [("weather", "{}")]


def test_non_function_type_is_an_error_part() -> None:
    parts = translate(
        [
            chunk("some text"),
            chunk(tool_calls=[tc(0, "x", "f", "{}", type="custom")]),
            chunk("never seen", finish="stop"),
        ]
    )
    assert parts[-1].type is StreamPartType.ERROR
    err = parts[-1].error
    assert isinstance(err, FantasyError)
    assert str(err) == "invalid provider response: expected 'function' type."
    assert not [p for p in parts if p.type is StreamPartType.TOOL_INPUT_START]
    assert "never seen" not in [p.delta for p in parts]


def test_text_closed_before_tool_calls() -> None:
    parts = translate(
        [
            chunk("Let me check."),
            chunk(tool_calls=[tc(0, "c", "weather", "{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    assert kinds(parts) == [
        ("text_start", "0"),
        ("text_delta", "0"),
        ("text_end", "0"),
        ("tool_input_start", "c"),
        ("tool_input_delta", "c"),
        ("tool_input_end", "c"),
        ("tool_call", "c"),
        ("finish", ""),
    ]


def test_text_after_tool_call_reopens_text() -> None:
    parts = translate(
        [
            chunk("a"),
            chunk(tool_calls=[tc(0, "c", "f", "{}")]),
            chunk("b"),
            chunk(finish="stop"),
        ]
    )
    assert [k for k, _ in kinds(parts)].count("text_start") == 2
    # The reopened text is closed at the end, before the tool calls are emitted.
    tail = [k for k, _ in kinds(parts)][-4:]
    assert tail == ["text_end", "tool_input_end", "tool_call", "finish"]


def test_usage_is_replaced_per_chunk_so_the_final_usage_chunk_wins() -> None:
    parts = translate(
        [
            chunk("a", usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
            chunk("b"),
            chunk(finish="stop"),
            usage_chunk(100, 20, cached=40),
        ]
    )
    assert parts[-1].usage == Usage(
        input_tokens=60, output_tokens=20, total_tokens=120, cache_read_tokens=40
    )


def test_a_chunk_without_usage_after_the_usage_chunk_keeps_it() -> None:
    # OpenAI may send a last chunk without usage (obfuscation, moderation) after the
    # usage chunk: the last usage reported stands (it used to be reset to zero).
    parts = translate([chunk("a"), chunk(finish="stop"), usage_chunk(100, 20), chunk("")])
    assert parts[-1].type is StreamPartType.FINISH
    assert parts[-1].usage == translate([chunk("a", finish="stop"), usage_chunk(100, 20)])[-1].usage
    assert parts[-1].usage.output_tokens == 20


def test_usage_with_zero_total_is_ignored() -> None:
    parts = translate(
        [
            chunk("a", finish="stop"),
            {
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 0},
            },
        ]
    )
    assert parts[-1].usage == Usage()


def test_stream_usage_metadata() -> None:
    final = usage_chunk()
    final["usage"]["completion_tokens_details"]["accepted_prediction_tokens"] = 3
    final["usage"]["service_tier"] = "default"
    parts = translate([chunk("a", finish="stop"), final])
    meta = parts[-1].provider_metadata["openai"]
    assert meta.accepted_prediction_tokens == 3
    assert meta.extra_fields == {"service_tier": "default"}


def test_stream_logprobs_accumulate() -> None:
    c1 = chunk("a")
    c1["choices"][0]["logprobs"] = {"content": [{"token": "a"}]}
    c2 = chunk("b", finish="stop")
    c2["choices"][0]["logprobs"] = {"content": [{"token": "b"}]}
    parts = translate([c1, c2])
    assert parts[-1].provider_metadata["openai"].logprobs == [{"token": "a"}, {"token": "b"}]


def test_no_finish_reason_and_no_tool_calls_is_a_retryable_error() -> None:
    parts = translate([chunk("partial"), usage_chunk()])
    assert kinds(parts)[-2:] == [("text_end", "0"), ("error", "")]
    err = parts[-1].error
    assert isinstance(err, ProviderError)
    assert err.is_retryable
    assert err.title == "stream transport error"
    assert err.message == "unexpected EOF"
    assert not [p for p in parts if p.type is StreamPartType.FINISH]


def test_empty_stream_is_a_retryable_error() -> None:
    parts = translate([])
    assert [p.type for p in parts] == [StreamPartType.ERROR]
    assert isinstance(parts[0].error, ProviderError)
    assert parts[0].error.is_retryable


def test_tool_call_only_stream_without_finish_reason_finishes() -> None:
    parts = translate([chunk(tool_calls=[tc(0, "c", "f", '{"x":1}')])])
    assert parts[-1].type is StreamPartType.FINISH
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS
    assert [p.id for p in parts if p.type is StreamPartType.TOOL_CALL] == ["c"]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("length", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("odd", FinishReason.UNKNOWN),
    ],
)
def test_stream_finish_reasons(reason: str, expected: FinishReason) -> None:
    parts = translate([chunk("x"), chunk(finish=reason)])
    assert parts[-1].finish_reason is expected


def test_stream_finish_reason_forced_to_tool_calls() -> None:
    parts = translate([chunk(tool_calls=[tc(0, "c", "f", "{}")], finish="stop")])
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_stream_url_citation_sources() -> None:
    parts = translate(
        [
            chunk(
                "cited",
                annotations=[
                    {
                        "type": "url_citation",
                        "url_citation": {"url": "https://a.example", "title": "A"},
                    },
                    {"type": "url_citation", "url_citation": {"title": "no url"}},
                    {"type": "other"},
                ],
            ),
            chunk(finish="stop"),
        ]
    )
    sources = [p for p in parts if p.type is StreamPartType.SOURCE]
    assert len(sources) == 1
    assert (sources[0].url, sources[0].title, sources[0].source_type) == (
        "https://a.example",
        "A",
        SourceType.URL,
    )
    uuid.UUID(sources[0].id)
    # Sources follow the chunk's text.
    assert kinds(parts)[:3] == [("text_start", "0"), ("text_delta", "0"), ("source", sources[0].id)]


def test_chunks_without_choices_are_skipped() -> None:
    parts = translate([{"choices": []}, {"id": "x"}, chunk("x", finish="stop")])
    assert parts[0].type is StreamPartType.TEXT_START
