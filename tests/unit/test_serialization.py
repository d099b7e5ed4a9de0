"""JSON persistence in Fantasy's format: golden shapes, round trips, the provider data
registry, and the errors bad input gives.

The golden JSON is what Go's ``json.Marshal`` writes for the same values (Fantasy's
content_json.go, model_json.go, provider_registry.go); where Fantasy's json_test.go or
providertests/provider_registry_test.go has a literal, it is quoted as is. Key order
follows Go's struct order, so several goldens are compared as text.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import fantasy
from fantasy.errors import FantasyError, ProviderError, SerializationError
from fantasy.model import Call, Response
from fantasy.persistence import registry
from fantasy.providers import (
    anthropic,
    google,
    llamacpp,
    openai,
    openaicompat,
    openrouter,
    vercel,
)
from fantasy.providers.openai.tool_call_extras import ToolCallExtraContent
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import (
    CallWarning,
    CallWarningType,
    Content,
    FileContent,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    MessagePart,
    ProviderMetadata,
    ProviderOptions,
    ReasoningContent,
    ReasoningPart,
    ResponseContent,
    Role,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    TextPart,
    Tool,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutput,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
    system_message,
    user_message,
)

PNG_HEADER = bytes([0x89, 0x50, 0x4E, 0x47])
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)
ZERO_USAGE = {
    "input_tokens": 0,
    "output_tokens": 0,
    "total_tokens": 0,
    "reasoning_tokens": 0,
    "cache_creation_tokens": 0,
    "cache_read_tokens": 0,
}


def round_trip(value: Any, kind: Any) -> Any:
    """Save as text, load into a fresh graph, and check that saving again changes nothing."""
    text = fantasy.to_json(value)
    loaded = fantasy.from_json(text, kind)
    assert fantasy.to_json(loaded) == text
    return loaded


# --------------------------------------------------------------------------- messages


MESSAGE_GOLDENS: list[tuple[str, Message, str]] = [
    (
        "simple text message",
        Message(Role.USER, [TextPart("Hello, world!")]),
        '{"role":"user","content":[{"type":"text","data":{"text":"Hello, world!"}}],'
        '"provider_options":null}',
    ),
    (
        "message with reasoning part",
        Message(Role.ASSISTANT, [ReasoningPart("Let me think about this..."), TextPart("Here")]),
        '{"role":"assistant","content":[{"type":"reasoning","data":{"text":"Let me think about '
        'this..."}},{"type":"text","data":{"text":"Here"}}],"provider_options":null}',
    ),
    (
        "message with file part",
        Message(Role.USER, [FilePart(PNG_HEADER, "image/png", filename="test.png")]),
        '{"role":"user","content":[{"type":"file","data":{"filename":"test.png",'
        '"data":"iVBORw==","media_type":"image/png"}}],"provider_options":null}',
    ),
    (
        "message with tool call",
        Message(
            Role.ASSISTANT,
            [ToolCallPart("call_123", "get_weather", '{"location": "San Francisco"}')],
        ),
        '{"role":"assistant","content":[{"type":"tool-call","data":{"tool_call_id":"call_123",'
        '"tool_name":"get_weather","input":"{\\"location\\": \\"San Francisco\\"}",'
        '"provider_executed":false}}],"provider_options":null}',
    ),
    (
        "message with tool result - text output",
        Message(
            Role.TOOL,
            [
                ToolResultPart(
                    "call_123",
                    ToolResultOutputText("The weather is sunny, 72°F"),
                    client_metadata='{"units":"imperial"}',
                )
            ],
        ),
        '{"role":"tool","content":[{"type":"tool-result","data":{"tool_call_id":"call_123",'
        '"output":{"type":"text","data":{"text":"The weather is sunny, 72°F"}},'
        '"provider_executed":false,"client_metadata":"{\\"units\\":\\"imperial\\"}"}}],'
        '"provider_options":null}',
    ),
    (
        "message with tool result - error output",
        Message(Role.TOOL, [ToolResultPart("call_456", ToolResultOutputError("API rate limit"))]),
        '{"role":"tool","content":[{"type":"tool-result","data":{"tool_call_id":"call_456",'
        '"output":{"type":"error","data":{"error":"API rate limit"}},'
        '"provider_executed":false}}],"provider_options":null}',
    ),
    (
        "message with tool result - media output",
        Message(Role.TOOL, [ToolResultPart("call_789", ToolResultOutputMedia(PIXEL, "image/png"))]),
        '{"role":"tool","content":[{"type":"tool-result","data":{"tool_call_id":"call_789",'
        f'"output":{{"type":"media","data":{{"data":"{PIXEL}","media_type":"image/png"}}}},'
        '"provider_executed":false}}],"provider_options":null}',
    ),
    (
        "empty content",
        Message(Role.USER, []),
        '{"role":"user","content":[],"provider_options":null}',
    ),
]


@pytest.mark.parametrize(
    ("message", "golden"), [pytest.param(m, g, id=name) for name, m, g in MESSAGE_GOLDENS]
)
def test_message_golden(message: Message, golden: str) -> None:
    assert fantasy.to_json(message) == golden
    assert fantasy.from_json(golden, Message) == message


def test_complex_message_round_trips_every_part() -> None:
    """json_test.go's "complex message with mixed content", plus the Python-side types."""
    message = Message(
        Role.ASSISTANT,
        [
            TextPart("I'll analyze this image and call some tools."),
            ReasoningPart("First, I need to identify the objects..."),
            ToolCallPart("call_001", "analyze_image", '{"image_id": "img_123"}'),
            ToolCallPart("call_002", "get_context", '{"query": "similar images"}', True),
        ],
    )
    loaded = round_trip(message, Message)
    assert loaded == message
    assert loaded.content[3].provider_executed is True


def test_helpers_and_prompt_round_trip() -> None:
    prompt = [
        system_message("First instruction", "Second instruction"),
        user_message(
            "Check this image",
            FilePart(b"\xff\xd8\xff", "image/jpeg", filename="image1.jpg"),
            FilePart(PNG_HEADER, "image/png", filename="image2.png"),
        ),
        Message(Role.ASSISTANT, [TextPart("Hi there!")]),
    ]
    loaded = round_trip(prompt, list[Message])
    assert loaded == prompt
    assert [m.role for m in loaded] == [Role.SYSTEM, Role.USER, Role.ASSISTANT]


@pytest.mark.parametrize(
    "part",
    [
        TextPart(""),
        TextPart("Hello 世界! 🌍 Привет"),
        FilePart(b"", "text/plain", filename="empty.txt"),
        ToolResultPart("call_123", ToolResultOutputError("")),
        ToolResultPart("call_1", None),
    ],
    ids=["empty text", "unicode", "empty file data", "empty error", "no output"],
)
def test_edge_cases_round_trip(part: MessagePart) -> None:
    assert round_trip(Message(Role.USER, [part]), Message).content == [part]


def test_empty_file_data_is_an_empty_base64_string() -> None:
    data = fantasy.to_dict(FilePart(b"", "text/plain", filename="empty.txt"))
    assert data == {
        "type": "file",
        "data": {"filename": "empty.txt", "data": "", "media_type": "text/plain"},
    }


def test_go_nils_load_as_empty_values() -> None:
    """What Go writes for nil slices, nil bytes and nil maps loads as our empty values."""
    part = fantasy.from_dict(
        {"type": "file", "data": {"filename": "x", "data": None, "media_type": "a/b"}}, FilePart
    )
    assert part == FilePart(b"", "a/b", filename="x")
    message = fantasy.from_dict({"role": "user", "content": None, "provider_options": {}}, Message)
    assert message == Message(Role.USER, [])


def test_unknown_keys_are_ignored_as_by_go() -> None:
    data = {"role": "user", "content": [{"type": "text", "data": {"text": "hi", "x": 1}}], "y": 2}
    assert fantasy.from_dict(data, Message) == Message(Role.USER, [TextPart("hi")])


# --------------------------------------------------------------------------- response content


def test_content_goldens() -> None:
    meta = {"anthropic": anthropic.ReasoningMetadata(signature="sig")}
    assert fantasy.to_dict(TextContent("hi")) == {"type": "text", "data": {"text": "hi"}}
    assert fantasy.to_dict(ReasoningContent("hmm", meta)) == {
        "type": "reasoning",
        "data": {
            "text": "hmm",
            "provider_metadata": {
                "anthropic": {
                    "type": "anthropic.reasoning_metadata",
                    "data": {"signature": "sig", "redacted_data": ""},
                }
            },
        },
    }
    assert fantasy.to_dict(FileContent(PNG_HEADER, "image/png")) == {
        "type": "file",
        "data": {"media_type": "image/png", "data": "iVBORw=="},
    }
    assert fantasy.to_dict(SourceContent(SourceType.URL, "src-1", url="https://x.y")) == {
        "type": "source",
        "data": {"source_type": "url", "id": "src-1", "url": "https://x.y"},
    }
    invalid = ToolCallContent("c1", "add", "{", invalid=True, validation_error="invalid JSON")
    assert fantasy.to_dict(invalid) == {
        "type": "tool-call",
        "data": {
            "tool_call_id": "c1",
            "tool_name": "add",
            "input": "{",
            "provider_executed": False,
            "invalid": True,
            "validation_error": "invalid JSON",
        },
    }


def test_tool_result_content_does_not_persist_stop_turn() -> None:
    result = ToolResultContent(
        "c1", "weather", ToolResultOutputText("40 C"), client_metadata="{}", stop_turn=True
    )
    assert fantasy.to_dict(result) == {
        "type": "tool-result",
        "data": {
            "tool_call_id": "c1",
            "tool_name": "weather",
            "result": {"type": "text", "data": {"text": "40 C"}},
            "client_metadata": "{}",
            "provider_executed": False,
        },
    }
    loaded = round_trip(result, ToolResultContent)
    assert loaded.stop_turn is False
    assert loaded.result == ToolResultOutputText("40 C")


@pytest.mark.parametrize(
    "item",
    [
        TextContent("a", {"google": google.ReasoningMetadata(signature="s", tool_id="t")}),
        ReasoningContent("r", {"openai": openai.ResponsesReasoningMetadata(item_id="i")}),
        FileContent(b"\x00\x01", "application/octet-stream"),
        SourceContent(SourceType.DOCUMENT, "d", title="T", media_type="a/b", filename="f.pdf"),
        ToolCallContent("c", "web_search", "{}", provider_executed=True),
        ToolResultContent("c", "web_search", None, provider_executed=True),
        ToolResultContent("c", "shot", ToolResultOutputMedia(PIXEL, "image/png", "a pixel")),
    ],
    ids=lambda item: f"{type(item).__name__}",
)
def test_content_round_trips(item: Content) -> None:
    assert round_trip(item, Content) == item
    assert round_trip(item, type(item)) == item


def test_response_content_keeps_its_accessors() -> None:
    content = ResponseContent([ReasoningContent("why"), TextContent("first"), TextContent("2")])
    loaded = round_trip(content, ResponseContent)
    assert isinstance(loaded, ResponseContent)
    assert (loaded.text, loaded.reasoning_text) == ("first", "why")


# --------------------------------------------------------------------------- tools, calls

WEATHER = FunctionTool(
    "weather",
    "Get weather information for a location",
    {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
)


def test_tool_goldens() -> None:
    cached = FunctionTool("t", "d", {}, anthropic.cache_control())
    assert fantasy.to_dict(cached) == {
        "type": "function",
        "data": {
            "name": "t",
            "description": "d",
            "input_schema": {},
            "provider_options": {
                "anthropic": {
                    "type": "anthropic.cache_control_options",
                    "data": {"cache_control": {"type": "ephemeral"}},
                }
            },
        },
    }
    search = openai.web_search_tool(
        search_context_size="low",
        user_location=openai.WebSearchUserLocation(city="Tokyo", country="JP"),
    )
    assert fantasy.to_dict(search) == {
        "type": "provider-defined",
        "data": {
            "id": "web_search",
            "name": "web_search",
            "args": {
                "search_context_size": "low",
                "user_location": {"city": "Tokyo", "country": "JP"},
            },
        },
    }
    loaded = round_trip(search, Tool)
    assert loaded.args["user_location"] == {"city": "Tokyo", "country": "JP"}
    assert openai.web_search.web_search_tool_param(loaded) == (
        openai.web_search.web_search_tool_param(search)
    )


def test_call_golden_leaves_out_headers_and_user_agent() -> None:
    call = Call(
        [user_message("hi")],
        max_output_tokens=4000,
        temperature=0.5,
        tools=[WEATHER],
        tool_choice="auto",
        provider_options={"openai": openai.ProviderOptions(user="u")},
        user_agent="secret-agent/1.0",
        headers={"X-Trace": "1"},
    )
    data = fantasy.to_dict(call)
    assert list(data) == [
        "prompt",
        "max_output_tokens",
        "temperature",
        "top_p",
        "top_k",
        "presence_penalty",
        "frequency_penalty",
        "tools",
        "tool_choice",
        "provider_options",
    ]
    assert (data["top_p"], data["max_output_tokens"], data["tool_choice"]) == (None, 4000, "auto")
    assert data["tools"][0]["type"] == "function"
    assert "secret-agent" not in fantasy.to_json(call)
    loaded = round_trip(call, Call)
    assert (loaded.headers, loaded.user_agent) == ({}, "")
    assert loaded.prompt == call.prompt and loaded.tools == call.tools
    assert loaded.provider_options == call.provider_options


def test_response_golden() -> None:
    response = Response(
        content=ResponseContent([TextContent("hi")]),
        finish_reason=FinishReason.STOP,
        usage=Usage(1, 2, 3),
        warnings=[CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=WEATHER, message="no")],
        provider_metadata={"openai": openai.ResponsesProviderMetadata(response_id="resp_1")},
    )
    assert fantasy.to_dict(response) == {
        "content": [{"type": "text", "data": {"text": "hi"}}],
        "finish_reason": "stop",
        "usage": {**ZERO_USAGE, "input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        "warnings": [
            {
                "type": "unsupported-tool",
                "setting": "",
                "tool": fantasy.to_dict(WEATHER),
                "details": "",
                "message": "no",
            }
        ],
        "provider_metadata": {
            "openai": {"type": "openai.responses.metadata", "data": {"response_id": "resp_1"}}
        },
    }
    assert round_trip(response, Response) == response


# --------------------------------------------------------------------------- stream parts

GO_ERROR_PART = (
    '{"type":"error","id":"","tool_call_name":"","tool_call_input":"","delta":"",'
    f'"provider_executed":false,"usage":{json.dumps(ZERO_USAGE, separators=(",", ":"))},'
    '"finish_reason":"","warnings":null,"source_type":"","url":"","title":"",'
    '"provider_metadata":null,"error":"unauthorized: Incorrect API key provided"}'
)


def test_stream_part_error_is_saved_as_its_text() -> None:
    """json_test.go: a ProviderError becomes "title: message", and a plain error on load."""
    error = ProviderError(
        "Incorrect API key provided",
        title="unauthorized",
        url="https://api.openai.com/v1/chat/completions",
        status_code=401,
        request_body=b'{"model":"gpt-4","messages":[]}',
    )
    assert fantasy.to_json(StreamPart(StreamPartType.ERROR, error=error)) == GO_ERROR_PART
    loaded = fantasy.from_json(GO_ERROR_PART, StreamPart)
    assert loaded.type is StreamPartType.ERROR
    assert isinstance(loaded.error, FantasyError)
    assert str(loaded.error) == "unauthorized: Incorrect API key provided"


def test_stream_part_from_go_json_literal() -> None:
    """The literal of json_test.go's "unmarshal stream part with error from JSON"."""
    literal = """{
        "type": "error", "error": "unauthorized: Incorrect API key provided", "id": "",
        "tool_call_name": "", "tool_call_input": "", "delta": "", "provider_executed": false,
        "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
                  "reasoning_tokens": 0, "cache_creation_tokens": 0, "cache_read_tokens": 0},
        "finish_reason": "", "warnings": null, "source_type": "", "url": "", "title": "",
        "provider_metadata": null
    }"""
    part = fantasy.from_json(literal, StreamPart)
    assert str(part.error) == "unauthorized: Incorrect API key provided"
    assert (part.usage, part.finish_reason, part.source_type) == (None, None, None)


@pytest.mark.parametrize(
    "part",
    [
        StreamPart(StreamPartType.TEXT_DELTA, id="0", delta="Hel"),
        StreamPart(
            StreamPartType.REASONING_END,
            id="r",
            provider_metadata={"anthropic": anthropic.ReasoningMetadata(signature="s")},
        ),
        StreamPart(StreamPartType.TOOL_CALL, id="c", tool_call_name="add", tool_call_input="{}"),
        StreamPart(StreamPartType.SOURCE, id="s", source_type=SourceType.URL, url="u", title="t"),
        StreamPart(
            StreamPartType.FINISH, usage=Usage(5, 6, 11), finish_reason=FinishReason.TOOL_CALLS
        ),
        StreamPart(StreamPartType.FINISH, usage=Usage(), finish_reason=FinishReason.STOP),
        StreamPart(
            StreamPartType.WARNINGS,
            warnings=[CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting="top_k")],
        ),
        StreamPart(
            StreamPartType.TOOL_RESULT,
            id="c",
            tool_result=ToolResultContent("c", "add", ToolResultOutputText("5")),
        ),
        StreamPart(StreamPartType.FILE, file=FileContent(b"\x89PNG\x00", "image/png")),
        StreamPart(
            StreamPartType.SOURCE,
            id="d",
            source_type=SourceType.DOCUMENT,
            source=SourceContent(SourceType.DOCUMENT, "d", title="r", filename="r.pdf"),
        ),
    ],
    ids=lambda p: p.type.value + ("-whole" if p.source else ""),
)
def test_stream_parts_round_trip(part: StreamPart) -> None:
    assert round_trip(part, StreamPart) == part


# --------------------------------------------------------------------------- tool result outputs


@pytest.mark.parametrize(
    ("output", "golden"),
    [
        (ToolResultOutputText("ok"), {"type": "text", "data": {"text": "ok"}}),
        (ToolResultOutputError("boom"), {"type": "error", "data": {"error": "boom"}}),
        (
            ToolResultOutputMedia("AAAA", "image/png", "caption"),
            {
                "type": "media",
                "data": {"data": "AAAA", "media_type": "image/png", "text": "caption"},
            },
        ),
    ],
    ids=["text", "error", "media"],
)
def test_tool_result_output_goldens(output: ToolResultOutput, golden: dict[str, Any]) -> None:
    assert fantasy.to_dict(output) == golden
    assert fantasy.from_dict(golden, ToolResultOutput) == output


# --------------------------------------------------------------------------- provider data registry


def _inner(options: Any, key: str) -> dict[str, Any]:
    data: dict[str, Any] = fantasy.to_dict({key: options})[key]
    return data


def test_openai_options_golden() -> None:
    """provider_registry_test.go: typed wrapper with the type id, inner data by JSON names."""
    message = Message(
        Role.USER,
        [TextPart("hi")],
        {"openai": openai.ProviderOptions(user="tester", logprobs=True)},
    )
    raw = json.loads(fantasy.to_json(message))["provider_options"]["openai"]
    assert raw["type"] == "openai.options"
    assert raw["data"] == {
        "logit_bias": None,
        "log_probs": True,
        "top_log_probs": None,
        "parallel_tool_calls": None,
        "user": "tester",
        "reasoning_effort": None,
        "max_completion_tokens": None,
        "text_verbosity": None,
        "prediction": None,
        "store": None,
        "metadata": None,
        "prompt_cache_key": None,
        "safety_identifier": None,
        "service_tier": None,
        "structured_outputs": None,
    }
    loaded = round_trip(message, Message)
    assert loaded.provider_options == message.provider_options


def test_openai_responses_options_and_reasoning_metadata() -> None:
    options = openai.ResponsesProviderOptions(
        prompt_cache_key="cache-key-1", parallel_tool_calls=True
    )
    inner = _inner(options, "openai")
    assert inner["type"] == "openai.responses.options"
    assert (inner["data"]["prompt_cache_key"], inner["data"]["parallel_tool_calls"]) == (
        "cache-key-1",
        True,
    )
    response = Response(
        content=ResponseContent(
            [
                TextContent(
                    "",
                    {
                        "openai": openai.ResponsesReasoningMetadata(
                            item_id="item-123", summary=["part1", "part2"]
                        )
                    },
                )
            ]
        )
    )
    raw = fantasy.to_dict(response)["content"][0]["data"]["provider_metadata"]["openai"]
    assert raw == {
        "type": "openai.responses.reasoning_metadata",
        "data": {"item_id": "item-123", "encrypted_content": None, "summary": ["part1", "part2"]},
    }
    loaded = round_trip(response, Response)
    assert loaded.content[0].provider_metadata == response.content[0].provider_metadata


def test_go_null_summary_loads_as_empty_list() -> None:
    """Go writes a nil []string as null; our field is a list."""
    data = {"openai": {"type": "openai.responses.reasoning_metadata", "data": {"summary": None}}}
    loaded = fantasy.from_dict(data, ProviderMetadata)
    assert loaded["openai"] == openai.ResponsesReasoningMetadata(item_id="", summary=[])


def test_google_options_from_go_json() -> None:
    """provider_registry_test.go's Google options, as Go writes them (``threshold`` is a Go
    field this port does not have: ignored, like any unknown key)."""
    go = {
        "google": {
            "type": "google.options",
            "data": {
                "thinking_config": {"thinking_level": "HIGH"},
                "cached_content": "cached-123",
                "safety_settings": None,
                "threshold": "BLOCK_ONLY_HIGH",
            },
        }
    }
    loaded = fantasy.from_dict(go, ProviderOptions)["google"]
    assert loaded == google.ProviderOptions(
        cached_content="cached-123", thinking_config=google.ThinkingConfig(thinking_level="HIGH")
    )
    assert _inner(loaded, "google")["data"]["thinking_config"] == {"thinking_level": "HIGH"}


def test_gateway_options_use_go_names_and_omit_empty() -> None:
    router = openrouter.ProviderOptions(include_usage=False, user="test-user", logprobs=True)
    assert _inner(router, "openrouter") == {
        "type": "openrouter.options",
        "data": {"include_usage": False, "log_probs": True, "user": "test-user"},
    }
    gateway = vercel.ProviderOptions(
        gateway=vercel.GatewayOptions(order=["bedrock"], zero_data_retention=True),
        byok={"anthropic": [{"apiKey": "k"}]},
    )
    assert _inner(gateway, "vercel")["data"] == {
        "providerOptions": {"order": ["bedrock"], "zeroDataRetention": True},
        "byok": {"anthropic": [{"apiKey": "k"}]},
    }
    assert round_trip({"vercel": gateway}, ProviderOptions) == {"vercel": gateway}


def test_multi_provider_options() -> None:
    options: dict[str, Any] = {
        "openai": openai.ProviderOptions(user="user1"),
        "anthropic": anthropic.ProviderOptions(send_reasoning=True),
    }
    loaded = round_trip(Message(Role.USER, [TextPart("test")], options), Message)
    assert loaded.provider_options == options


ALL_TYPES: list[tuple[str, str, Any]] = [
    ("openai.options", "openai", openai.ProviderOptions()),
    ("openai.file_options", "openai", openai.FileOptions(image_detail="low")),
    ("openai.metadata", "openai", openai.ProviderMetadata(accepted_prediction_tokens=3)),
    ("openai.responses.options", "openai", openai.ResponsesProviderOptions(logprobs=5)),
    ("openai.responses.metadata", "openai", openai.ResponsesProviderMetadata(response_id="r")),
    (
        "openai.responses.reasoning_metadata",
        "openai",
        openai.ResponsesReasoningMetadata(item_id="i", encrypted_content="e", summary=["s"]),
    ),
    (
        "openai.responses.web_search_call_metadata",
        "openai",
        openai.WebSearchCallMetadata(
            item_id="ws",
            action=openai.WebSearchAction(
                type="search", query="q", sources=[openai.WebSearchSource(type="url", url="u")]
            ),
        ),
    ),
    (
        "openai.tool_call_extra_content",
        "openai-compat",
        ToolCallExtraContent(extra_content={"google": {"thought_signature": "c2ln"}}),
    ),
    (
        "openai.responses.tool_call_metadata",
        "openai",
        openai.ResponsesToolCallMetadata(item_type="custom_tool_call", item_id="ctc"),
    ),
    (
        "openai.responses.file_search_call_metadata",
        "openai",
        openai.FileSearchCallMetadata(
            item_id="fs",
            status="completed",
            queries=["q"],
            results=[
                openai.FileSearchResult(
                    file_id="f", filename="a.md", score=0.5, text="t", attributes={"k": 1}
                )
            ],
        ),
    ),
    (
        "openai.responses.code_interpreter_call_metadata",
        "openai",
        openai.CodeInterpreterCallMetadata(
            item_id="ci",
            container_id="c",
            code="print(1)",
            outputs=[openai.CodeInterpreterOutput(type="logs", logs="1")],
        ),
    ),
    (
        "openai.responses.image_generation_call_metadata",
        "openai",
        openai.ImageGenerationCallMetadata(item_id="ig", output_format="png"),
    ),
    (
        "openai.responses.mcp_list_tools_metadata",
        "openai",
        openai.McpListToolsMetadata(
            item_id="ml",
            server_label="s",
            tools=[openai.McpToolInfo(name="t", input_schema={"type": "object"})],
        ),
    ),
    (
        "openai.responses.mcp_call_metadata",
        "openai",
        openai.McpCallMetadata(item_id="mc", server_label="s", name="t", output="o"),
    ),
    (
        "openai.responses.mcp_approval_request_metadata",
        "openai",
        openai.McpApprovalRequestMetadata(item_id="mr", server_label="s", name="t"),
    ),
    (
        "openai.responses.mcp_approval_response",
        "openai",
        openai.McpApprovalResponse(approve=False, reason="no"),
    ),
    (
        "openai.responses.shell_call_metadata",
        "openai",
        openai.ShellCallMetadata(
            item_id="sh",
            commands=["ls"],
            output_item_id="sho",
            outputs=[openai.ShellCommandOutput(stdout="a", exit_code=1)],
        ),
    ),
    (
        "openai.responses.tool_search_metadata",
        "openai",
        openai.ToolSearchMetadata(item_id="ts", output_item_id="tso", tools=[{"name": "x"}]),
    ),
    (
        "openai.responses.file_citation",
        "openai",
        openai.FileCitation(file_id="f", container_id="c"),
    ),
    (
        "openai-compat.options",
        "openai-compat",
        openaicompat.ProviderOptions(user="u", reasoning_effort="high", extra_body={"a": 1}),
    ),
    (
        "openai-compat.content_extra_fields",
        "openai-compat",
        openaicompat.ContentExtraFields(fields={"cache": True}),
    ),
    ("openai-compat.thinking_chunk", "openai-compat", openaicompat.ThinkingChunk(closed=False)),
    (
        "openrouter.options",
        "openrouter",
        openrouter.ProviderOptions(
            reasoning=openrouter.ReasoningOptions(effort="high"),
            provider=openrouter.ProviderRouting(order=["a"], allow_fallbacks=False),
        ),
    ),
    ("openrouter.metadata", "openrouter", openrouter.ProviderMetadata(usage={"cost": 0.5})),
    ("vercel.options", "vercel", vercel.ProviderOptions(reasoning=vercel.ReasoningOptions())),
    ("vercel.metadata", "vercel", vercel.ProviderMetadata(provider="bedrock")),
    (
        "anthropic.options",
        "anthropic",
        anthropic.ProviderOptions(
            thinking=anthropic.ThinkingOptions(budget_tokens=2000), effort="high"
        ),
    ),
    ("anthropic.reasoning_metadata", "anthropic", anthropic.ReasoningMetadata(redacted_data="x")),
    ("anthropic.cache_control_options", "anthropic", anthropic.CacheControlOptions()),
    (
        "anthropic.web_search_result_metadata",
        "anthropic",
        anthropic.WebSearchResultMetadata(
            results=[anthropic.WebSearchResultItem(url="u", title="t", encrypted_content="e")]
        ),
    ),
    (
        "anthropic.server_tool_result_metadata",
        "anthropic",
        anthropic.ServerToolResultMetadata(
            block_type="mcp_tool_result", content=[{"type": "text", "text": "x"}], is_error=True
        ),
    ),
    (
        "anthropic.tool_caller_metadata",
        "anthropic",
        anthropic.ToolCallerMetadata(type="code_execution_20250825", tool_id="srv"),
    ),
    (
        "anthropic.mcp_tool_use_metadata",
        "anthropic",
        anthropic.MCPToolUseMetadata(server_name="s"),
    ),
    (
        "anthropic.citation",
        "anthropic",
        anthropic.Citation(type="char_location", cited_text="c", document_index=0, start=0, end=1),
    ),
    (
        "anthropic.text_metadata",
        "anthropic",
        anthropic.TextMetadata(
            citations=[anthropic.Citation(type="web_search_result_location", url="u")]
        ),
    ),
    (
        "anthropic.message_metadata",
        "anthropic",
        anthropic.MessageMetadata(container_id="c"),
    ),
    (
        "google.options",
        "google",
        google.ProviderOptions(
            safety_settings=[google.SafetySetting(category="HARM", threshold="BLOCK_NONE")]
        ),
    ),
    ("google.reasoning_metadata", "google", google.ReasoningMetadata(signature="c2ln")),
    ("google.file_metadata", "google", google.FileMetadata(signature="c2ln", thought=True)),
    (
        "google.code_execution_result_metadata",
        "google",
        google.CodeExecutionResultMetadata(outcome="OUTCOME_OK"),
    ),
    (
        "google.response_metadata",
        "google",
        google.ResponseMetadata(
            model_version="gemini-2.5-flash",
            grounding_metadata=google.GroundingMetadata(
                web_search_queries=["q"],
                search_entry_point=google.SearchEntryPoint(rendered_content="<div>"),
                grounding_chunks=[{"web": {"uri": "https://a.example"}}],
            ),
            url_context_metadata=[google.UrlMetadata(retrieved_url="https://a.example")],
            avg_logprobs=-0.5,
            usage_metadata={"promptTokenCount": 3},
        ),
    ),
    ("kronk.options", "llamacpp", llamacpp.ProviderOptions(seed=7, stop=["\n"], min_p=0.1)),
    (
        "kronk.metadata",
        "llamacpp",
        llamacpp.ProviderMetadata(model="tiny", output_tokens=3, tokens_per_second=9.5),
    ),
]


@pytest.mark.parametrize(("type_id", "key", "value"), ALL_TYPES, ids=[t[0] for t in ALL_TYPES])
def test_every_registered_type_round_trips(type_id: str, key: str, value: Any) -> None:
    assert _inner(value, key)["type"] == type_id
    assert registry.provider_type_class(type_id) is type(value)
    assert round_trip({key: value}, ProviderOptions) == {key: value}


PROVIDER_MODULES = [
    "fantasy.providers.openai",
    "fantasy.providers.openai.web_search",
    "fantasy.providers.openai.responses_items",
    "fantasy.providers.openai.responses_tools",
    "fantasy.providers.openaicompat",
    "fantasy.providers.openrouter",
    "fantasy.providers.vercel",
    "fantasy.providers.azure",
    "fantasy.providers.anthropic",
    "fantasy.providers.bedrock",
    "fantasy.providers.google",
    "fantasy.providers.llamacpp",
]


@pytest.mark.usefixtures("clean_registry")
def test_every_provider_type_id_is_covered() -> None:
    """Once every provider is imported, the ids they declare are exactly the ones above,
    and each id's prefix names (by the registry's convention) the package declaring it."""
    for name in PROVIDER_MODULES:
        importlib.import_module(name)
    # fantasy's own persisted classes (fantasy.fallback's) are found by their table.
    core = tuple(f"{prefix}." for prefix in registry.CORE_TYPE_MODULES)
    provided = [i for i in registry.registered_type_ids() if not i.startswith(core)]
    assert provided == sorted(t[0] for t in ALL_TYPES)
    for type_id, _, value in ALL_TYPES:
        package = registry.provider_module(type_id)
        assert package is not None
        assert f"{type(value).__module__}.".startswith(f"{package}."), type_id


def test_providers_register_their_own_types() -> None:
    """A provider's classes register when its module is imported, and no sooner."""
    code = (
        "import sys, fantasy\n"
        "from fantasy.persistence import registry\n"
        "print(registry.registered_type_ids())\n"
        "import fantasy.providers.anthropic\n"
        "ids = registry.registered_type_ids()\n"
        "print(all(i.startswith('anthropic.') for i in ids), 'anthropic.options' in ids)\n"
        "print('fantasy.persistence.api' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True", "False"]


def test_the_registry_names_no_provider() -> None:
    """Provider knowledge stays in providers: core's registry module has no provider's
    name, module or class in it (its lookup is a convention, not a table)."""
    source = inspect.getsource(registry).lower()
    for name in PROVIDER_MODULES:
        importlib.import_module(name)
    names = {n.rsplit(".", 1)[-1] for n in PROVIDER_MODULES}
    names |= {t[0].split(".")[0] for t in ALL_TYPES}
    names |= {type(t[2]).__qualname__.lower() for t in ALL_TYPES} - {
        "provideroptions",  # generic words the registry may use; the ids below are not
        "providermetadata",
        "fileoptions",
    }
    assert not {n for n in names if n in source}
    assert not [t[0] for t in ALL_TYPES if t[0] in source]


def test_omit_empty_follows_go_tags() -> None:
    assert _inner(anthropic.WebSearchResultMetadata(), "anthropic")["data"] == {}
    item = anthropic.WebSearchResultItem(url="u", title="t", encrypted_content="e")
    assert fantasy.to_dict({"a": anthropic.WebSearchResultMetadata(results=[item])})["a"][
        "data"
    ] == {"results": [{"url": "u", "title": "t", "encrypted_content": "e"}]}
    assert _inner(openai.WebSearchCallMetadata(item_id="i"), "openai")["data"] == {"item_id": "i"}
    assert _inner(openai.ProviderMetadata(), "openai")["data"] == {
        "logprobs": None,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    }


# --------------------------------------------------------------------------- user types


@dataclass(kw_only=True)
class AcmeOptions:
    temperature_scale: float = 1.0
    tags: list[str] = field(default_factory=list)
    nickname: str | None = None


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_user_types", {})
    monkeypatch.setattr(registry, "_user_ids", {})
    monkeypatch.setattr(registry, "_user_specs", {})


@pytest.mark.usefixtures("clean_registry")
def test_user_registered_type() -> None:
    fantasy.register_provider_type(
        "acme.options", AcmeOptions, json_names={"nickname": "nickName"}, omit_empty=["tags"]
    )
    value = {"acme": AcmeOptions(temperature_scale=2, nickname="wile")}
    assert fantasy.to_dict(value) == {
        "acme": {"type": "acme.options", "data": {"temperature_scale": 2, "nickName": "wile"}}
    }
    assert fantasy.from_dict(fantasy.to_dict(value), ProviderOptions) == value


@pytest.mark.usefixtures("clean_registry")
def test_user_registered_pydantic_model() -> None:
    from pydantic import BaseModel

    class Budget(BaseModel):
        limit: int

    fantasy.register_provider_type("acme.budget", Budget)
    loaded = round_trip({"acme": Budget(limit=3)}, ProviderMetadata)
    assert loaded == {"acme": Budget(limit=3)}
    with pytest.raises(SerializationError, match=r"^provider_options\.acme\.data: "):
        fantasy.from_dict({"acme": {"type": "acme.budget", "data": {}}}, ProviderOptions)


@pytest.mark.usefixtures("clean_registry")
def test_last_registration_wins() -> None:
    fantasy.register_provider_type("openai.file_options", AcmeOptions)
    data = {"openai": {"type": "openai.file_options", "data": {"tags": ["x"]}}}
    assert fantasy.from_dict(data, ProviderOptions) == {"openai": AcmeOptions(tags=["x"])}


def test_unregistered_class_cannot_be_saved() -> None:
    message = Message(Role.USER, [TextPart("hi", {"acme": AcmeOptions()})])
    with pytest.raises(SerializationError) as info:
        fantasy.to_json([message])
    assert info.value.path == "messages[0].content[0].data.provider_options.acme"
    assert "register_provider_type" in str(info.value)


def test_a_provider_that_cannot_be_imported_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "gone.py").write_text("import fantasy_test_not_installed_dependency\n")
    import fantasy.providers

    monkeypatch.setattr(fantasy.providers, "__path__", [*fantasy.providers.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "fantasy.providers.gone", raising=False)
    with pytest.raises(SerializationError, match=r"fantasy\.providers\.gone, which cannot be"):
        fantasy.from_dict({"gone": {"type": "gone.options", "data": {}}}, ProviderOptions)


@pytest.mark.parametrize("type_id", ["nobody.options", "_base.options", "../x.options", ".x"])
def test_an_id_no_provider_declares_is_unknown(type_id: str) -> None:
    unknown = f'unknown provider data type "{re.escape(type_id)}"'
    with pytest.raises(SerializationError, match=unknown):
        fantasy.from_dict({"x": {"type": type_id, "data": {}}}, ProviderOptions)


def test_loading_imports_a_provider_module_only_for_its_types() -> None:
    code = (
        "import sys, fantasy\n"
        "text = fantasy.to_json(fantasy.user_message('hi'))\n"
        "fantasy.from_json(text, fantasy.Message)\n"
        "print('fantasy.providers.openai' in sys.modules)\n"
        'opts = {"openai": {"type": "openai.file_options", "data": {"image_detail": "low"}}}\n'
        "fantasy.from_dict(opts, fantasy.types.ProviderOptions)\n"
        "print('fantasy.providers.openai' in sys.modules,\n"
        "      'fantasy.providers.google' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]


def test_loading_anthropic_metadata_imports_only_anthropic() -> None:
    code = (
        "import sys, fantasy\n"
        "print(sorted(m for m in sys.modules if m.startswith('fantasy.providers.')))\n"
        'data = {"anthropic": {"type": "anthropic.reasoning_metadata",'
        ' "data": {"signature": "sig"}}}\n'
        "loaded = fantasy.from_dict(data, fantasy.types.ProviderMetadata)\n"
        "print(type(loaded['anthropic']).__module__)\n"
        "names = {m.split('.')[2] for m in sys.modules if m.startswith('fantasy.providers.')}\n"
        "print(sorted(n for n in names if not n.startswith('_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "fantasy.providers.anthropic.options", "['anthropic']"]


def test_a_saved_web_search_call_loads_without_importing_it_first() -> None:
    """OpenAI's web search module is not imported by its package; the package lists it."""
    code = (
        "import sys, fantasy\n"
        'data = {"openai": {"type": "openai.responses.web_search_call_metadata",'
        ' "data": {"item_id": "ws"}}}\n'
        "print(type(fantasy.from_dict(data, fantasy.types.ProviderMetadata)['openai']).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["WebSearchCallMetadata"]


def test_saved_responses_options_load_without_importing_them_first() -> None:
    """The Responses API's options module is loaded on first use (issue 23: the import
    budget); a saved value names it through the package's PROVIDER_TYPE_MODULES."""
    code = (
        "import sys, fantasy\n"
        "from fantasy.providers import openai\n"
        "print('fantasy.providers.openai.responses_options' in sys.modules)\n"
        'data = {"openai": {"type": "openai.responses.options", "data": {"logprobs": 5}}}\n'
        "loaded = fantasy.from_dict(data, fantasy.types.ProviderOptions)['openai']\n"
        "print(type(loaded).__name__, loaded.logprobs, loaded == openai.ResponsesProviderOptions("
        "logprobs=5))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "ResponsesProviderOptions", "5", "True"]


# --------------------------------------------------------------------------- errors


def _error(text: str, kind: Any) -> SerializationError:
    with pytest.raises(SerializationError) as info:
        fantasy.from_json(text, kind)
    return info.value


def _message_json(part: dict[str, Any], index: int = 0) -> str:
    filler = {"role": "user", "content": [], "provider_options": None}
    messages = [filler] * index + [
        {"role": "user", "content": [{"type": "text", "data": {}}, part]}
    ]
    return json.dumps(messages)


def test_unknown_provider_data_type_names_the_path() -> None:
    bad = {
        "type": "text",
        "data": {"text": "hi", "provider_options": {"openai": {"type": "foo.bar", "data": {}}}},
    }
    error = _error(_message_json(bad, index=3), list[Message])
    assert str(error) == (
        'messages[3].content[1].data.provider_options.openai: unknown provider data type "foo.bar"'
    )


def test_unknown_provider_type_in_message_options() -> None:
    """provider_registry_test.go's ErrorHandling literals."""
    error = _error(
        """{"role": "user", "content": [{"type": "text", "data": {"text": "hi"}}],
            "provider_options": {"unknown": {"type": "unknown.provider.type", "data": {}}}}""",
        Message,
    )
    assert "unknown provider data type" in str(error)
    assert error.path == "message.provider_options.unknown"
    error = _error(
        """{"role": "user", "content": [{"type": "text", "data": {"text": "hi"}}],
            "provider_options": {"openai": "not-an-object"}}""",
        Message,
    )
    assert str(error) == (
        "message.provider_options.openai: expected a provider data object, got string"
    )


def test_unknown_part_and_output_types() -> None:
    """json_test.go's TestInvalidJSONHandling literals."""
    error = _error(
        """{"role": "user", "content": [{"type": "unknown-type", "data": {}}],
            "provider_options": null}""",
        Message,
    )
    assert str(error) == 'message.content[0]: unknown message part type "unknown-type"'
    error = _error(
        """{"role": "tool", "content": [{"type": "tool-result", "data": {
              "tool_call_id": "call_123",
              "output": {"type": "unknown-output-type", "data": {}},
              "provider_options": null}}],
            "provider_options": null}""",
        Message,
    )
    assert str(error) == (
        'message.content[0].data.output: unknown tool result output type "unknown-output-type"'
    )
    error = _error('{"role": "user", "content": [', Message)
    assert str(error).startswith("message: not valid JSON: ")


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (
            '[{"role": "robot", "content": []}]',
            list[Message],
            'messages[0].role: unknown message role "robot"',
        ),
        ("[42]", list[Message], "messages[0]: expected a message object, got number"),
        ('{"messages": []}', list[Message], "messages: expected an array, got object"),
        (
            '{"role": "user", "content": [{"type": "text", "data": {"text": 5}}]}',
            Message,
            "message.content[0].data.text: expected a string, got number",
        ),
        (
            '{"role": "user", "content": [{"type": "text"}]}',
            Message,
            'message.content[0]: message part "text" has no "data"',
        ),
        (
            '{"role": "user", "content": [{"data": {}}]}',
            Message,
            "message.content[0].type: expected a string, got null",
        ),
        (
            '{"type": "file", "data": {"data": "not base64!", "media_type": "a/b"}}',
            FilePart,
            "part.data.data: not valid base64",
        ),
        (
            '{"type": "source", "data": {"source_type": "web", "id": "1"}}',
            Content,
            'content.data.source_type: unknown source type "web"',
        ),
        ('{"type": "video", "data": {}}', Content, 'content: unknown content type "video"'),
        ('{"type": "mcp", "data": {}}', Tool, 'tool: unknown tool type "mcp"'),
        ('{"type": "reasoning", "data": {}}', TextPart, 'part: expected TextPart, got "reasoning"'),
        (
            '{"openai": {"type": "openai.options", "data": {"user": 5}}}',
            ProviderOptions,
            "provider_options.openai.data.user: expected a string, got number",
        ),
        (
            '{"openai": {"type": "openai.options", "data": {"logit_bias": {"50256": "x"}}}}',
            ProviderOptions,
            "provider_options.openai.data.logit_bias.50256: expected an integer, got string",
        ),
        (
            '{"anthropic": {"type": "anthropic.options", "data": {"thinking": []}}}',
            ProviderOptions,
            "provider_options.anthropic.data.thinking: expected an object, got array",
        ),
        (
            '{"type": "finish", "finish_reason": "done"}',
            StreamPart,
            'stream_part.finish_reason: unknown finish reason "done"',
        ),
        (
            '{"prompt": [], "temperature": "hot"}',
            Call,
            "call.temperature: expected a number, got string",
        ),
    ],
)
def test_malformed_json_names_the_bad_element(text: str, kind: Any, message: str) -> None:
    assert str(_error(text, kind)) == message


# Each decodes to b"hello" if characters outside the alphabet are skipped (what
# base64.b64decode does without validate=True); Go's decoder refuses them all.
LENIENT_BASE64 = ["aGVs bG8=", "aGVs*bG8=", "aGVsbG8=!", "a.GVsbG8="]


@pytest.mark.parametrize("data", LENIENT_BASE64)
def test_invalid_base64_in_saved_file_data_is_refused_naming_the_path(data: str) -> None:
    part = {"type": "file", "data": {"data": data, "media_type": "text/plain"}}
    error = _error(_message_json(part, index=2), list[Message])
    assert str(error) == "messages[2].content[1].data.data: not valid base64"
    assert error.path == "messages[2].content[1].data.data"
    content = {"type": "file", "data": {"data": data, "media_type": "text/plain"}}
    assert str(_error(json.dumps(content), Content)) == "content.data.data: not valid base64"
    assert fantasy.from_dict(
        {"type": "file", "data": {"data": "aGVsbG8=", "media_type": "text/plain"}}, FilePart
    ) == FilePart(b"hello", "text/plain")


def test_custom_root_name() -> None:
    with pytest.raises(SerializationError, match=r"^history\[0\]\.role: "):
        fantasy.from_dict([{"role": "x"}], list[Message], path="history")


def test_unknown_kind_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot load"):
        fantasy.from_dict({}, int)


# --------------------------------------------------------------------------- continuing


def test_a_loaded_history_continues_the_conversation() -> None:
    """What the agent sends after a save and load is what it sends without one."""

    @fantasy.tool(name="weather", description="Weather")
    def weather(location: str) -> str:
        return "40 C"

    def script() -> FakeModel:
        signed = ReasoningContent(
            "think", {"anthropic": anthropic.ReasoningMetadata(signature="s")}
        )
        first = tool_call_response(("c1", "weather", '{"location": "Florence"}'))
        first.content.insert(0, signed)
        return FakeModel([first, text_response("40 C in Florence")])

    original = script()
    fantasy.Agent(original, system_prompt="sys", tools=[weather]).generate("Weather?")
    saved = fantasy.to_json(original.calls[1].prompt)

    resumed = FakeModel([text_response("40 C in Florence")])
    loaded = fantasy.from_json(saved, list[Message])
    result = fantasy.Agent(resumed, tools=[weather]).generate(messages=loaded)
    assert result.text == "40 C in Florence"
    assert resumed.calls[0].prompt == original.calls[1].prompt
    reasoning = resumed.calls[0].prompt[2].content[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.provider_options == {"anthropic": anthropic.ReasoningMetadata(signature="s")}


def test_a_stream_part_carrying_the_wrong_content_is_refused_naming_the_key() -> None:
    part = StreamPart(StreamPartType.FILE, file=FileContent(b"x", "image/png"))
    saved = json.loads(fantasy.to_json(part))
    saved["file"] = json.loads(fantasy.to_json(TextContent("not a file")))
    with pytest.raises(fantasy.SerializationError, match=r"stream_part\.file.*FileContent"):
        fantasy.from_json(json.dumps(saved), StreamPart)
