"""The Messages API codec, request side: bodies for every option, prompt conversion,
tools and tool choice, and the Vertex and Bedrock rewrites.

No HTTP here (see test_anthropic_provider.py for I/O).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from fantasy.errors import InvalidArgumentError
from fantasy.model import Call
from fantasy.providers import anthropic
from fantasy.providers.anthropic.codec import (
    MessagesCodec,
    requires_adaptive_thinking,
    set_path,
)
from fantasy.providers.anthropic.platforms import BedrockPlatform, Platform, VertexPlatform
from fantasy.providers.anthropic.prompt import document_title, to_prompt
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FilePart,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

SONNET = "claude-sonnet-4-20250514"
SYSTEM = Message(Role.SYSTEM, [TextPart("You are a helpful assistant")])
HELLO = Message(Role.USER, [TextPart("Hello")])
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
    "additionalProperties": False,
    "$defs": {"Unused": {"type": "object"}},
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)
WEATHER_WIRE = {
    "input_schema": {
        "properties": {"location": {"description": "the city", "type": "string"}},
        "required": ["location"],
        "type": "object",
    },
    "name": "weather",
    "description": "Get weather information for a location",
}
EPHEMERAL = {"type": "ephemeral"}


def build(
    model: str = SONNET,
    *,
    stream: bool = False,
    prompt: list[Message] | None = None,
    parallel_flag: bool = True,
    **kw: Any,
) -> tuple[dict[str, Any], list[CallWarning], list[str]]:
    codec = MessagesCodec(model, parallel_flag=parallel_flag)
    return codec.build_body(Call(prompt=[HELLO] if prompt is None else prompt, **kw), stream=stream)


def with_options(model: str = SONNET, **opts: Any) -> tuple[dict[str, Any], list[CallWarning]]:
    body, warnings, _ = build(
        model, provider_options={"anthropic": anthropic.ProviderOptions(**opts)}
    )
    return body, warnings


def messages(*prompt: Message, send_reasoning: bool = True) -> tuple[list[Any], list[str]]:
    _, wire, warnings = to_prompt(list(prompt), send_reasoning)
    return wire, [w.message for w in warnings]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unsupported(setting: str, details: str = "") -> CallWarning:
    return CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details)


# =========================================================================== body basics


def test_recorded_tool_request_body() -> None:
    # TestAnthropicCommon/claude-sonnet-4/tool.yaml, first request.
    body, warnings, betas = build(
        prompt=[SYSTEM, Message(Role.USER, [TextPart("What's the weather in Florence,Italy?")])],
        max_output_tokens=4000,
        tools=[WEATHER],
        tool_choice="auto",
    )
    assert body == {
        "max_tokens": 4000,
        "messages": [
            {
                "content": [{"text": "What's the weather in Florence,Italy?", "type": "text"}],
                "role": "user",
            }
        ],
        "model": SONNET,
        "system": [{"text": "You are a helpful assistant", "type": "text"}],
        "tool_choice": {"disable_parallel_tool_use": False, "type": "auto"},
        "tools": [WEATHER_WIRE],
    }
    assert warnings == [] and betas == []


def test_max_tokens_defaults_to_4096_and_zero_is_sent() -> None:
    assert build()[0]["max_tokens"] == 4096
    assert build(max_output_tokens=0)[0]["max_tokens"] == 0


def test_stream_flag_only_when_streaming() -> None:
    assert "stream" not in build()[0]
    assert build(stream=True)[0]["stream"] is True


def test_sampling_settings_are_sent_when_set_zero_included() -> None:
    body, warnings, _ = build(temperature=0, top_p=0.5, top_k=3)
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0, 0.5, 3)
    assert warnings == []


def test_penalties_are_unsupported() -> None:
    body, warnings, _ = build(frequency_penalty=0.1, presence_penalty=0.2)
    assert "frequency_penalty" not in body and "presence_penalty" not in body
    assert warnings == [unsupported("FrequencyPenalty"), unsupported("PresencePenalty")]


def test_no_system_key_without_system_text() -> None:
    assert "system" not in build()[0]


def test_wrong_provider_options_type_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"anthropic\.ProviderOptions"):
        build(provider_options={"anthropic": {"thinking": 10}})


def test_other_providers_options_are_ignored() -> None:
    body, _, _ = build(provider_options={"openai": object()})
    assert "thinking" not in body


# =========================================================================== thinking


def test_budget_thinking_leaves_max_tokens_and_drops_sampling() -> None:
    body, warnings, _ = build(
        temperature=0.5,
        top_p=0.9,
        top_k=5,
        provider_options={
            "anthropic": anthropic.ProviderOptions(
                thinking=anthropic.ThinkingOptions(budget_tokens=4000)
            )
        },
    )
    assert body["max_tokens"] == 4096
    assert body["thinking"] == {"budget_tokens": 4000, "type": "enabled"}
    assert not {"temperature", "top_p", "top_k"} & body.keys()
    assert warnings == [
        unsupported("temperature", "temperature is not supported when thinking is enabled"),
        unsupported("TopP", "TopP is not supported when thinking is enabled"),
        unsupported("TopK", "TopK is not supported when thinking is enabled"),
    ]


@pytest.mark.parametrize("budget", [0, -1])
def test_thinking_needs_a_budget(budget: int) -> None:
    with pytest.raises(InvalidArgumentError, match="budget"):
        with_options(thinking=anthropic.ThinkingOptions(budget_tokens=budget))


def test_effort_is_adaptive_and_keeps_sampling() -> None:
    body, warnings, _ = build(
        temperature=0.3,
        provider_options={"anthropic": anthropic.ProviderOptions(effort="high")},
    )
    assert body["output_config"] == {"effort": "high"}
    assert body["thinking"] == {"type": "adaptive"}
    assert body["temperature"] == 0.3
    assert warnings == []


def test_effort_wins_over_budget() -> None:
    body, _ = with_options(effort="low", thinking=anthropic.ThinkingOptions(budget_tokens=100))
    assert body["thinking"] == {"type": "adaptive"}


def test_unknown_effort_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="effort"):
        with_options(effort="extreme")


@pytest.mark.parametrize(
    ("model", "options", "thinking"),
    [
        (
            SONNET,
            {"effort": "medium", "thinking_display": "omitted"},
            {"type": "adaptive", "display": "omitted"},
        ),
        (
            SONNET,
            {
                "thinking": anthropic.ThinkingOptions(budget_tokens=2048),
                "thinking_display": "summarized",
            },
            {"type": "enabled", "budget_tokens": 2048, "display": "summarized"},
        ),
        (
            "claude-opus-4-7-20260101",
            {"effort": "high"},
            {"type": "adaptive", "display": "summarized"},
        ),
        (
            "us.anthropic.claude-opus-4-8-20260101-v1:0",
            {"effort": "high"},
            {"type": "adaptive", "display": "summarized"},
        ),
        (
            "claude-opus-4-8-20260101",
            {"effort": "high", "thinking_display": "omitted"},
            {"type": "adaptive", "display": "omitted"},
        ),
        ("claude-mythos-preview", {}, {"type": "adaptive", "display": "summarized"}),
        (
            "claude-opus-4-7",
            {"thinking": anthropic.ThinkingOptions(budget_tokens=2048)},
            {"type": "adaptive", "display": "summarized"},
        ),
        ("claude-opus-4-6-20260101", {"effort": "high"}, {"type": "adaptive"}),
    ],
)
def test_thinking_type_and_display(model: str, options: dict[str, Any], thinking: Any) -> None:
    body, _ = with_options(model, **options)
    assert body["thinking"] == thinking


def test_plain_opus_4_7_sends_no_thinking() -> None:
    assert "thinking" not in build("claude-opus-4-7")[0]


@pytest.mark.parametrize(
    ("model", "adaptive"),
    [
        ("claude-opus-4-7", True),
        ("claude-opus-4-10-20260101", True),
        ("us.anthropic.claude-opus-4-8-v1", True),
        ("anthropic.claude-mythos-preview", True),
        ("claude-opus-4-6-20260101", False),
        ("claude-opus-4-20250514", False),
        ("us.anthropic.claude-opus-4-20250514-v1:0", False),
        ("claude-sonnet-4-20250514", False),
        ("claude-opus-4", False),
    ],
)
def test_models_that_require_adaptive_thinking(model: str, adaptive: bool) -> None:
    assert requires_adaptive_thinking(model) is adaptive


# =========================================================================== extra body


def test_extra_body_is_applied_last_and_dotted_keys_nest() -> None:
    body, _ = with_options(
        extra_body={"max_tokens": 10, "metadata.user_id": "u-1", "top_k": 2},
    )
    assert body["max_tokens"] == 10
    assert body["metadata"] == {"user_id": "u-1"}
    assert body["top_k"] == 2


def test_set_path_replaces_a_non_object_on_the_way() -> None:
    body: dict[str, Any] = {"a": 1}
    set_path(body, "a.b.c", True)
    assert body == {"a": {"b": {"c": True}}}


# =========================================================================== prompt


def test_messages_of_one_role_merge_and_tool_results_join_the_user_turn() -> None:
    call = ToolCallPart("toolu_1", "add", '{"a":2,"b":3}')
    wire, warnings = messages(
        Message(Role.USER, [TextPart("a")]),
        Message(Role.USER, [TextPart("b")]),
        Message(Role.ASSISTANT, [TextPart("c")]),
        Message(Role.ASSISTANT, [call]),
        Message(Role.TOOL, [ToolResultPart("toolu_1", ToolResultOutputText("5"))]),
        Message(Role.USER, [TextPart("thanks")]),
    )
    assert wire == [
        {"content": [{"text": "a", "type": "text"}, {"text": "b", "type": "text"}], "role": "user"},
        {
            "content": [
                {"text": "c", "type": "text"},
                {"id": "toolu_1", "input": {"a": 2, "b": 3}, "name": "add", "type": "tool_use"},
            ],
            "role": "assistant",
        },
        {
            "content": [
                {
                    "tool_use_id": "toolu_1",
                    "content": [{"text": "5", "type": "text"}],
                    "type": "tool_result",
                },
                {"text": "thanks", "type": "text"},
            ],
            "role": "user",
        },
    ]
    assert warnings == []


def test_only_the_first_system_run_is_used() -> None:
    system, wire, _ = to_prompt(
        [
            Message(Role.SYSTEM, [TextPart("one")]),
            Message(Role.SYSTEM, [TextPart("two")]),
            HELLO,
            Message(Role.SYSTEM, [TextPart("late")]),
        ]
    )
    assert system == [{"text": "one", "type": "text"}, {"text": "two", "type": "text"}]
    assert len(wire) == 1


def test_system_keeps_empty_text_and_skips_other_parts() -> None:
    system, _, _ = to_prompt(
        [Message(Role.SYSTEM, [TextPart(""), FilePart(b"x", "image/png")]), HELLO]
    )
    assert system == [{"text": "", "type": "text"}]


def test_message_cache_control_marks_only_the_last_block() -> None:
    cached = anthropic.cache_control()
    system, wire, _ = to_prompt(
        [
            Message(Role.SYSTEM, [TextPart("s1"), TextPart("s2")], cached),
            Message(Role.USER, [TextPart("u")], cached),
            Message(
                Role.ASSISTANT,
                [
                    ReasoningPart("hmm", {"anthropic": anthropic.ReasoningMetadata(signature="s")}),
                    TextPart("t"),
                    ToolCallPart("toolu_1", "weather", '{"location":"x"}'),
                ],
                cached,
            ),
            Message(Role.TOOL, [ToolResultPart("toolu_1", ToolResultOutputText("40 C"))], cached),
        ]
    )
    assert system == [
        {"text": "s1", "type": "text"},
        {"text": "s2", "type": "text", "cache_control": EPHEMERAL},
    ]
    assert wire[0]["content"] == [{"text": "u", "type": "text", "cache_control": EPHEMERAL}]
    assistant = wire[1]["content"]
    assert assistant[0] == {"signature": "s", "thinking": "hmm", "type": "thinking"}
    assert "cache_control" not in assistant[1]
    assert assistant[2]["cache_control"] == EPHEMERAL
    assert wire[2]["content"][0]["cache_control"] == EPHEMERAL


def test_part_cache_control_and_a_user_given_type_still_send_ephemeral() -> None:
    options = {
        "anthropic": anthropic.CacheControlOptions(
            cache_control=anthropic.CacheControl(type="persistent")
        )
    }
    wire, _ = messages(Message(Role.USER, [TextPart("a", options), TextPart("b")]))
    assert wire[0]["content"] == [
        {"text": "a", "type": "text", "cache_control": EPHEMERAL},
        {"text": "b", "type": "text"},
    ]


def test_cache_control_is_not_read_from_other_providers_keys() -> None:
    wire, _ = messages(Message(Role.USER, [TextPart("a")], {"openai": object()}))
    assert wire[0]["content"] == [{"text": "a", "type": "text"}]


# --------------------------------------------------------------------------- files


def test_image_pdf_and_text_files() -> None:
    png, pdf = b"\x89PNG", b"%PDF-1.4"
    wire, warnings = messages(
        Message(
            Role.USER,
            [
                TextPart("look"),
                FilePart(png, "image/png", filename="wish.png"),
                FilePart(pdf, "application/pdf", filename="quarterly_report.v1.pdf"),
                FilePart("héllo".encode(), "text/markdown", filename=""),
            ],
        )
    )
    assert wire[0]["content"] == [
        {"text": "look", "type": "text"},
        {
            "source": {"data": b64(png), "media_type": "image/png", "type": "base64"},
            "type": "image",
        },
        {
            "source": {"data": b64(pdf), "media_type": "application/pdf", "type": "base64"},
            "title": "quarterly report v1 pdf",
            "type": "document",
        },
        {
            "source": {"data": "héllo", "media_type": "text/plain", "type": "text"},
            "title": "Document",
            "type": "document",
        },
    ]
    assert warnings == []


def test_unsupported_file_is_dropped_with_a_warning_and_an_empty_turn_too() -> None:
    wire, warnings = messages(Message(Role.USER, [FilePart(b"RIFF", "audio/wav")]))
    assert wire == []
    assert warnings == [
        "file part media type audio/wav not supported",
        "dropping empty user message (contains neither user-facing content nor tool results)",
    ]


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("quarterly_report.v1.pdf", "quarterly report v1 pdf"),
        ("  (draft) [v2]  notes-final.txt ", "(draft) [v2] notes-final txt"),
        ("résumé.pdf", "r sum pdf"),
        ("tab\there\vvt", "tab here vt"),
        ("...", "Document"),
        ("", "Document"),
    ],
)
def test_document_titles(filename: str, title: str) -> None:
    assert document_title(filename) == title


# --------------------------------------------------------------------------- tool results


def test_tool_result_outputs() -> None:
    wire, _ = messages(
        Message(
            Role.TOOL,
            [
                ToolResultPart("t1", ToolResultOutputError("boom")),
                ToolResultPart("t2", ToolResultOutputMedia("iVBOR", "image/png")),
                ToolResultPart("t3", ToolResultOutputMedia("AAAA", "image/jpeg", "a cat")),
                ToolResultPart("t4", None),
            ],
        )
    )
    assert wire[0]["content"] == [
        {
            "tool_use_id": "t1",
            "content": [{"text": "boom", "type": "text"}],
            "is_error": True,
            "type": "tool_result",
        },
        {
            "tool_use_id": "t2",
            "content": [
                {
                    "source": {"data": "iVBOR", "media_type": "image/png", "type": "base64"},
                    "type": "image",
                }
            ],
            "type": "tool_result",
        },
        {
            "tool_use_id": "t3",
            "content": [
                {
                    "source": {"data": "AAAA", "media_type": "image/jpeg", "type": "base64"},
                    "type": "image",
                },
                {"text": "a cat", "type": "text"},
            ],
            "type": "tool_result",
        },
        {"tool_use_id": "t4", "type": "tool_result"},
    ]


def test_pdf_tool_result_is_a_document_block() -> None:
    wire, _ = messages(
        Message(
            Role.TOOL, [ToolResultPart("t1", ToolResultOutputMedia("JVBERi0=", "application/pdf"))]
        )
    )
    assert wire[0]["content"][0]["content"] == [
        {
            "source": {"data": "JVBERi0=", "media_type": "application/pdf", "type": "base64"},
            "type": "document",
        }
    ]


# --------------------------------------------------------------------------- assistant turns


def test_reasoning_round_trip_signature_and_redacted() -> None:
    wire, warnings = messages(
        HELLO,
        Message(
            Role.ASSISTANT,
            [
                ReasoningPart("think", {"anthropic": anthropic.ReasoningMetadata(signature="sig")}),
                ReasoningPart("", {"anthropic": anthropic.ReasoningMetadata(redacted_data="blob")}),
                TextPart("answer"),
            ],
        ),
    )
    assert wire[1]["content"] == [
        {"signature": "sig", "thinking": "think", "type": "thinking"},
        {"data": "blob", "type": "redacted_thinking"},
        {"text": "answer", "type": "text"},
    ]
    assert warnings == []


def test_reasoning_without_anthropic_metadata_is_skipped() -> None:
    wire, warnings = messages(
        HELLO,
        Message(
            Role.ASSISTANT,
            [
                ReasoningPart("from elsewhere", {"openai": object()}),
                ReasoningPart("empty", {"anthropic": anthropic.ReasoningMetadata()}),
                TextPart("answer"),
            ],
        ),
    )
    assert wire[1]["content"] == [{"text": "answer", "type": "text"}]
    assert warnings == ["unsupported reasoning metadata", "unsupported reasoning metadata"]


def test_send_reasoning_false_drops_thinking() -> None:
    signed = ReasoningPart("x", {"anthropic": anthropic.ReasoningMetadata(signature="s")})
    wire, warnings = messages(
        HELLO, Message(Role.ASSISTANT, [signed, TextPart("a")]), send_reasoning=False
    )
    assert wire[1]["content"] == [{"text": "a", "type": "text"}]
    assert warnings == ["sending reasoning content is disabled for this model"]
    body, _ = with_options(send_reasoning=False)
    assert "send_reasoning" not in body


def test_thinking_only_assistant_turn_is_dropped() -> None:
    signed = ReasoningPart("x", {"anthropic": anthropic.ReasoningMetadata(signature="s")})
    wire, warnings = messages(HELLO, Message(Role.ASSISTANT, [signed]))
    assert len(wire) == 1
    assert warnings == [
        "dropping empty assistant message (contains neither user-facing content nor tool calls)"
    ]


@pytest.mark.parametrize(
    ("given", "sent", "warned"),
    [
        ("", {}, False),
        ("   ", {}, False),
        ("null", {}, False),
        ('{"a": 1}', {"a": 1}, False),
        ("{broken", {}, True),
        ("[1, 2]", {}, True),
    ],
)
def test_tool_use_input_is_always_an_object(given: str, sent: Any, warned: bool) -> None:
    wire, warnings = messages(HELLO, Message(Role.ASSISTANT, [ToolCallPart("t1", "f", given)]))
    assert wire[1]["content"] == [{"id": "t1", "input": sent, "name": "f", "type": "tool_use"}]
    assert bool(warnings) is warned
    if warned:
        assert 'tool call "t1" has malformed input JSON' in warnings[0]


def test_web_search_turn_round_trip() -> None:
    metadata = anthropic.WebSearchResultMetadata(
        results=[
            anthropic.WebSearchResultItem(
                url="https://a.example", title="A", encrypted_content="enc-a", page_age="6 days ago"
            ),
            anthropic.WebSearchResultItem(
                url="https://b.example", title="B", encrypted_content="enc-b"
            ),
        ]
    )
    wire, warnings = messages(
        HELLO,
        Message(
            Role.ASSISTANT,
            [
                ToolCallPart("srv_1", "web_search", '{"query":"tokyo"}', provider_executed=True),
                ToolResultPart(
                    "srv_1", None, provider_executed=True, provider_options={"anthropic": metadata}
                ),
                TextPart("Tokyo is big."),
            ],
        ),
    )
    assert wire[1]["content"] == [
        {
            "id": "srv_1",
            "input": {"query": "tokyo"},
            "name": "web_search",
            "type": "server_tool_use",
        },
        {
            "content": [
                {
                    "encrypted_content": "enc-a",
                    "page_age": "6 days ago",
                    "title": "A",
                    "type": "web_search_result",
                    "url": "https://a.example",
                },
                {
                    "encrypted_content": "enc-b",
                    "title": "B",
                    "type": "web_search_result",
                    "url": "https://b.example",
                },
            ],
            "tool_use_id": "srv_1",
            "type": "web_search_tool_result",
        },
        {"text": "Tokyo is big.", "type": "text"},
    ]
    assert warnings == []


def test_web_search_error_and_missing_metadata() -> None:
    error = anthropic.WebSearchResultMetadata(error_code="max_uses_exceeded")
    wire, _ = messages(
        HELLO,
        Message(
            Role.ASSISTANT,
            [
                ToolCallPart("s1", "web_search", "", provider_executed=True),
                ToolResultPart(
                    "s1", None, provider_executed=True, provider_options={"anthropic": error}
                ),
                ToolResultPart("s2", None, provider_executed=True),
                ToolResultPart("s3", ToolResultOutputText("client result in assistant turn")),
            ],
        ),
    )
    assert wire[1]["content"] == [
        {"id": "s1", "name": "web_search", "type": "server_tool_use"},
        {
            "content": {"error_code": "max_uses_exceeded", "type": "web_search_tool_result_error"},
            "tool_use_id": "s1",
            "type": "web_search_tool_result",
        },
        {"content": [], "tool_use_id": "s2", "type": "web_search_tool_result"},
    ]


# =========================================================================== tools


def test_function_tool_schema_is_cut_down() -> None:
    tool = FunctionTool("t", "", {"properties": {"x": {"type": "integer"}}, "required": ("x",)})
    body, _, _ = build(tools=[tool], tool_choice="auto")
    assert body["tools"] == [
        {
            "input_schema": {
                "properties": {"x": {"type": "integer"}},
                "required": [],
                "type": "object",
            },
            "name": "t",
            "description": "",
        }
    ]


def test_function_tool_without_properties_and_with_cache_control() -> None:
    tool = FunctionTool("t", "d", {"type": "object"}, anthropic.cache_control())
    body, _, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "input_schema": {"required": [], "type": "object"},
            "name": "t",
            "description": "d",
            "cache_control": EPHEMERAL,
        }
    ]


@pytest.mark.parametrize(
    ("choice", "parallel", "disable", "wire"),
    [
        (None, True, False, None),
        (None, True, True, {"type": "auto", "disable_parallel_tool_use": True}),
        ("auto", True, False, {"type": "auto", "disable_parallel_tool_use": False}),
        ("required", True, True, {"type": "any", "disable_parallel_tool_use": True}),
        ("none", True, True, {"type": "none"}),
        (
            "weather",
            True,
            False,
            {"type": "tool", "name": "weather", "disable_parallel_tool_use": False},
        ),
        ("auto", False, True, {"type": "auto"}),
        (None, False, True, {"type": "auto"}),
        ("weather", False, False, {"type": "tool", "name": "weather"}),
    ],
)
def test_tool_choice(choice: str | None, parallel: bool, disable: bool, wire: Any) -> None:
    body, _, _ = build(
        parallel_flag=parallel,
        tools=[WEATHER],
        tool_choice=choice,
        provider_options={
            "anthropic": anthropic.ProviderOptions(disable_parallel_tool_use=disable)
        },
    )
    assert body.get("tool_choice") == wire
    assert body["tools"] == [WEATHER_WIRE]


def test_no_tools_no_tool_choice() -> None:
    body, _, _ = build(tool_choice="auto")
    assert "tools" not in body and "tool_choice" not in body


def test_unsupported_provider_tool_is_dropped_with_a_warning() -> None:
    other = ProviderDefinedTool("openai.web_search", "web_search")
    body, warnings, _ = build(tools=[other], tool_choice="auto")
    assert "tools" not in body
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": False}
    assert warnings == [
        CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=other, message="tool is not supported")
    ]


def test_web_search_tool_default_and_with_every_argument() -> None:
    body, _, betas = build(tools=[anthropic.web_search_tool()])
    assert body["tools"] == [{"name": "web_search", "type": "web_search_20250305"}]
    assert betas == []
    tool = anthropic.web_search_tool(
        max_uses=3,
        allowed_domains=["example.com"],
        user_location=anthropic.UserLocation(city="Tokyo", country="JP"),
    )
    body, _, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "name": "web_search",
            "type": "web_search_20250305",
            "allowed_domains": ["example.com"],
            "max_uses": 3,
            "user_location": {"type": "approximate", "city": "Tokyo", "country": "JP"},
        }
    ]


def test_web_search_arguments_after_a_json_round_trip() -> None:
    tool = ProviderDefinedTool(
        "web_search",
        "web_search",
        {
            "max_uses": 2.0,
            "blocked_domains": ["bad.example", "", 7],
            "user_location": {"city": "", "timezone": "Asia/Tokyo"},
        },
    )
    body, _, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "name": "web_search",
            "type": "web_search_20250305",
            "blocked_domains": ["bad.example"],
            "max_uses": 2,
            "user_location": {"type": "approximate", "timezone": "Asia/Tokyo"},
        }
    ]


def test_web_search_ignores_unusable_arguments() -> None:
    tool = ProviderDefinedTool(
        "anthropic.web_search",
        "web_search",
        {"max_uses": 2.5, "allowed_domains": [], "user_location": {"city": ""}},
    )
    body, _, _ = build(tools=[tool])
    assert body["tools"] == [{"name": "web_search", "type": "web_search_20250305"}]


@pytest.mark.parametrize(
    ("version", "flag"),
    [
        ("computer_20250124", "computer-use-2025-01-24"),
        ("computer_20251124", "computer-use-2025-11-24"),
    ],
)
def test_computer_use_tool_and_its_beta_flag(version: Any, flag: str) -> None:
    tool = anthropic.computer_use_definition(
        display_width_px=1920, display_height_px=1080, tool_version=version
    )
    body, warnings, betas = build(tools=[tool])
    assert body["tools"] == [
        {"display_height_px": 1080, "display_width_px": 1920, "name": "computer", "type": version}
    ]
    assert "tool_choice" not in body
    assert betas == [flag] and warnings == []


def test_computer_use_optional_arguments_after_json() -> None:
    tool = ProviderDefinedTool(
        "anthropic.computer",
        "computer",
        {
            "display_width_px": 1280.0,
            "display_height_px": 800.0,
            "tool_version": "computer_20251124",
            "display_number": 1.0,
            "enable_zoom": True,
            "cache_control": {"type": "ephemeral"},
        },
    )
    body, _, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "display_height_px": 800,
            "display_width_px": 1280,
            "name": "computer",
            "type": "computer_20251124",
            "display_number": 1,
            "enable_zoom": True,
            "cache_control": EPHEMERAL,
        }
    ]


def test_enable_zoom_is_only_for_the_newer_version() -> None:
    tool = anthropic.computer_use_definition(
        display_width_px=10,
        display_height_px=10,
        tool_version="computer_20250124",
        enable_zoom=True,
    )
    assert "enable_zoom" not in build(tools=[tool])[0]["tools"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"display_width_px": 1, "display_height_px": 1}, "tool_version arg is missing"),
        (
            {"display_width_px": 1, "display_height_px": 1, "tool_version": "computer_2099"},
            "unsupported computer use tool version",
        ),
        (
            {"display_width_px": 1.5, "display_height_px": 1, "tool_version": "computer_20250124"},
            "must be whole numbers",
        ),
        (
            {
                "display_width_px": 1,
                "display_height_px": 1,
                "tool_version": "computer_20250124",
                "display_number": "one",
            },
            "invalid display_number",
        ),
    ],
)
def test_computer_use_tool_that_cannot_be_built_is_dropped(args: Any, message: str) -> None:
    tool = ProviderDefinedTool("anthropic.computer", "computer", args)
    body, warnings, betas = build(tools=[tool])
    assert "tools" not in body and betas == []
    assert len(warnings) == 1 and message in warnings[0].message
    assert warnings[0].type is CallWarningType.OTHER


def test_executable_provider_tool_in_a_direct_call_is_unwrapped() -> None:
    tool = anthropic.computer_use_tool(
        lambda call: "", display_width_px=2, display_height_px=2, tool_version="computer_20250124"
    )
    body, _, betas = build(tools=[tool])  # type: ignore[list-item]
    assert body["tools"][0]["type"] == "computer_20250124"
    assert betas == ["computer-use-2025-01-24"]


# =========================================================================== platforms


def test_direct_api_url_and_beta_header() -> None:
    wire = Platform().prepare({"model": SONNET}, stream=False, betas=[])
    assert wire.url == "https://api.anthropic.com/v1/messages"
    assert wire.headers == {}
    beta = Platform("https://proxy.example/").prepare({}, stream=True, betas=["a", "b"])
    assert beta.url == "https://proxy.example/v1/messages?beta=true"
    assert beta.headers == {"anthropic-beta": "a,b"}


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-east5", "https://us-east5-aiplatform.googleapis.com"),
        ("global", "https://aiplatform.googleapis.com"),
        ("us", "https://aiplatform.us.rep.googleapis.com"),
        ("eu", "https://aiplatform.eu.rep.googleapis.com"),
    ],
)
def test_vertex_url_and_body(location: str, host: str) -> None:
    body, _, _ = build("claude-3-7-sonnet@20250219", stream=True)
    wire = VertexPlatform("proj", location).prepare(body, stream=True, betas=[])
    assert wire.url == (
        f"{host}/v1/projects/proj/locations/{location}/publishers/anthropic/models/"
        "claude-3-7-sonnet@20250219:streamRawPredict"
    )
    assert "model" not in wire.body
    assert wire.body["stream"] is True
    assert wire.body["anthropic_version"] == "vertex-2023-10-16"
    assert "model" in body, "the codec's body is not modified"


def test_vertex_generate_keeps_a_given_version_and_beta() -> None:
    wire = VertexPlatform("p", "us-east5").prepare(
        {"model": "m", "anthropic_version": "mine"}, stream=False, betas=["x"]
    )
    assert wire.url.endswith("/models/m:rawPredict?beta=true")
    assert wire.body == {"anthropic_version": "mine"}
    assert wire.headers == {"anthropic-beta": "x"}


def test_bedrock_url_and_body() -> None:
    body, _, _ = build(
        "us.anthropic.claude-haiku-4-5-20251001-v1:0", stream=True, parallel_flag=False
    )
    wire = BedrockPlatform("us-east-1").prepare(body, stream=True, betas=[])
    assert wire.url == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream"
    )
    assert "model" not in wire.body and "stream" not in wire.body
    assert wire.body["anthropic_version"] == "bedrock-2023-05-31"


def test_bedrock_betas_go_in_the_body_and_arns_are_escaped() -> None:
    arn = "arn:aws:bedrock:us-west-2:123:inference-profile/us.anthropic.claude"
    wire = BedrockPlatform("us-west-2", "https://vpce.example").prepare(
        {"model": arn}, stream=False, betas=["computer-use-2025-01-24"]
    )
    assert wire.url == (
        "https://vpce.example/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123%3Ainference-profile"
        "%2Fus.anthropic.claude/invoke?beta=true"
    )
    assert wire.body["anthropic_beta"] == ["computer-use-2025-01-24"]
    assert wire.headers == {}


# =========================================================================== options from JSON


def test_provider_options_from_fantasy_json() -> None:
    options = anthropic.ProviderOptions.from_dict(
        {
            "send_reasoning": False,
            "thinking": {"budget_tokens": 4000},
            "effort": "high",
            "thinking_display": "omitted",
            "disable_parallel_tool_use": True,
            "extra_body": {"metadata.user_id": "u"},
            "unknown": 1,
        }
    )
    assert options == anthropic.ProviderOptions(
        send_reasoning=False,
        thinking=anthropic.ThinkingOptions(budget_tokens=4000),
        effort="high",
        thinking_display="omitted",
        disable_parallel_tool_use=True,
        extra_body={"metadata.user_id": "u"},
    )
    assert anthropic.ProviderOptions.from_dict({}) == anthropic.ProviderOptions()


@pytest.mark.parametrize(
    "data",
    [
        {"thinking": 4000},
        {"thinking": {"budget_tokens": "4000"}},
        {"extra_body": ["x"]},
        {"send_reasoning": "yes"},
    ],
)
def test_provider_options_from_bad_json(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        anthropic.ProviderOptions.from_dict(data)
