"""The Responses API codec: request bodies, response parsing and the stream translator.

No HTTP here: `ResponsesCodec` is pure translation (see test_openai_responses_provider.py
for the I/O and the agent end to end).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from fantasy.errors import InvalidArgumentError, ProviderError
from fantasy.model import Call
from fantasy.providers.openai import (
    INCLUDE_REASONING_ENCRYPTED_CONTENT,
    ProviderOptions,
    ResponsesCodec,
    ResponsesProviderMetadata,
    ResponsesProviderOptions,
    ResponsesReasoningMetadata,
    WebSearchAction,
    WebSearchCallMetadata,
    WebSearchSource,
    WebSearchUserLocation,
    is_responses_model,
    web_search_tool,
)
from fantasy.providers.openai.models import capabilities
from fantasy.providers.openai.responses_items import FileCitation
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningContent,
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
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
)

SYSTEM = Message(Role.SYSTEM, [TextPart("You are a helpful assistant")])
HELLO = [Message(Role.USER, [TextPart("Hello")])]
HELLO_INPUT = [{"role": "user", "content": [{"type": "input_text", "text": "Hello"}]}]
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)
WEATHER_WIRE = {
    "strict": False,
    "parameters": WEATHER_SCHEMA,
    "name": "weather",
    "description": "Get weather information for a location",
    "type": "function",
}


def build(
    model: str = "gpt-4o", *, stream: bool = False, prompt: list[Message] | None = None, **kw: Any
) -> tuple[dict[str, Any], list[CallWarning]]:
    return ResponsesCodec(model).build_body(
        Call(prompt=HELLO if prompt is None else prompt, **kw), stream=stream
    )


def with_options(model: str = "gpt-4o", **opts: Any) -> tuple[dict[str, Any], list[CallWarning]]:
    return build(model, provider_options={"openai": ResponsesProviderOptions(**opts)})


def to_input(
    *prompt: Message, model: str = "gpt-4o", store: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    warnings: list[CallWarning] = []
    items = ResponsesCodec(model).to_input(list(prompt), warnings, store=store)
    return items, [w.message for w in warnings]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unsupported(setting: str, details: str = "") -> CallWarning:
    return CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details)


# =========================================================================== model rules


@pytest.mark.parametrize(
    ("model", "routed"),
    [
        ("gpt-4o", True),
        ("gpt-4.1-mini", True),
        ("gpt-5", True),
        ("GPT-5-Codex", True),
        ("o4-mini", True),
        ("o3", True),
        ("gpt-3.5-turbo", True),
        ("chatgpt-4o-latest", True),
        ("o1-mini", False),
        ("o3-pro", False),
        ("claude-sonnet-4", False),
    ],
)
def test_is_responses_model(model: str, routed: bool) -> None:
    assert is_responses_model(model) is routed


@pytest.mark.parametrize(
    ("model", "reasoning", "role"),
    [
        ("gpt-4o", False, "system"),
        ("gpt-4.1", False, "system"),
        ("gpt-5", True, "developer"),
        ("gpt-5-mini", True, "developer"),
        ("gpt-5-chat-latest", False, "system"),
        ("o4-mini", True, "developer"),
        ("o3", True, "developer"),
        ("azure-o3-deployment", True, "developer"),
        ("codex-mini-latest", True, "developer"),
        ("computer-use-preview", True, "developer"),
        ("o1-mini", True, "remove"),
        ("o1-preview", True, "remove"),
    ],
)
def test_model_config(model: str, reasoning: bool, role: str) -> None:
    config = capabilities(model, "responses")
    assert config.reasoning is reasoning
    assert config.system_role == role


# =========================================================================== request body


def test_recorded_thinking_request_body() -> None:
    # TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/thinking.yaml, second request.
    prompt = [
        SYSTEM,
        Message(Role.USER, [TextPart("What's the weather in Florence, Italy?")]),
        Message(
            Role.ASSISTANT,
            [
                ReasoningPart(
                    "**Checking weather**",
                    {"openai": ResponsesReasoningMetadata(item_id="rs_1", encrypted_content="gA")},
                ),
                ToolCallPart("call_4Qf", "weather", '{"location":"Florence, Italy"}'),
            ],
        ),
        Message(Role.TOOL, [ToolResultPart("call_4Qf", ToolResultOutputText("40 C"))]),
    ]
    body, warnings = build(
        "gpt-5",
        prompt=prompt,
        tools=[WEATHER],
        tool_choice="auto",
        provider_options={
            "openai": ResponsesProviderOptions(
                include=[INCLUDE_REASONING_ENCRYPTED_CONTENT],
                reasoning_effort="high",
                reasoning_summary="auto",
            )
        },
    )
    assert body == {
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "input": [
            {"content": "You are a helpful assistant", "role": "developer"},
            {
                "content": [
                    {"text": "What's the weather in Florence, Italy?", "type": "input_text"}
                ],
                "role": "user",
            },
            {
                "arguments": '{"location":"Florence, Italy"}',
                "call_id": "call_4Qf",
                "name": "weather",
                "type": "function_call",
            },
            {"call_id": "call_4Qf", "output": "40 C", "type": "function_call_output"},
        ],
        "model": "gpt-5",
        "reasoning": {"effort": "high", "summary": "auto"},
        "tool_choice": "auto",
        "tools": [WEATHER_WIRE],
    }
    assert warnings == []


def test_recorded_web_search_request_body() -> None:
    # TestOpenAIWebSearch/stream.yaml.
    body, warnings = build(
        "gpt-4.1",
        stream=True,
        prompt=[
            SYSTEM,
            Message(
                Role.USER, [TextPart("What is the current population of Tokyo? Cite your source.")]
            ),
        ],
        max_output_tokens=4000,
        tools=[web_search_tool()],
        tool_choice="auto",
    )
    assert body == {
        "max_output_tokens": 4000,
        "store": False,
        "input": [
            {"content": "You are a helpful assistant", "role": "system"},
            {
                "content": [
                    {
                        "text": "What is the current population of Tokyo? Cite your source.",
                        "type": "input_text",
                    }
                ],
                "role": "user",
            },
        ],
        "model": "gpt-4.1",
        "tool_choice": "auto",
        "tools": [{"type": "web_search"}],
        "stream": True,
    }
    assert warnings == []


def test_minimal_body_always_sends_store_false() -> None:
    body, warnings = build()
    assert body == {"model": "gpt-4o", "store": False, "input": HELLO_INPUT}
    assert warnings == []


def test_stream_adds_only_stream_true() -> None:
    body, _ = build(stream=True)
    assert body == {"model": "gpt-4o", "store": False, "input": HELLO_INPUT, "stream": True}


def test_sampling_for_ordinary_models() -> None:
    body, warnings = build(max_output_tokens=100, temperature=0.0, top_p=0.9)
    assert body["max_output_tokens"] == 100
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert warnings == []


def test_reasoning_models_drop_temperature_and_top_p() -> None:
    body, warnings = build("o4-mini", max_output_tokens=100, temperature=0.5, top_p=0.9)
    assert body["max_output_tokens"] == 100
    assert "temperature" not in body and "top_p" not in body
    assert warnings == [
        unsupported("temperature", "temperature is not supported for reasoning models"),
        unsupported("topP", "topP is not supported for reasoning models"),
    ]


def test_unsupported_call_settings_warn() -> None:
    body, warnings = build(top_k=3, presence_penalty=0.1, frequency_penalty=0.2)
    assert set(body) == {"model", "store", "input"}
    assert warnings == [
        unsupported("topK"),
        unsupported("presencePenalty"),
        unsupported("frequencyPenalty"),
    ]


# --------------------------------------------------------------------------- provider options


def test_every_simple_option() -> None:
    body, warnings = with_options(
        "gpt-5",
        include=["file_search_call.results"],
        instructions="Be brief.",
        max_tool_calls=3,
        metadata={"team": "a", "count": 3},
        parallel_tool_calls=False,
        prompt_cache_key="cache",
        reasoning_effort="low",
        reasoning_summary="detailed",
        safety_identifier="safe",
        service_tier="priority",
        store=True,
        strict_json_schema=True,
        user="user-1",
    )
    assert body == {
        "model": "gpt-5",
        "store": True,
        "input": HELLO_INPUT,
        "include": ["file_search_call.results"],
        "instructions": "Be brief.",
        "max_tool_calls": 3,
        "metadata": {"team": "a"},
        "parallel_tool_calls": False,
        "prompt_cache_key": "cache",
        "reasoning": {"effort": "low", "summary": "detailed"},
        "safety_identifier": "safe",
        "service_tier": "priority",
        "user": "user-1",
    }
    assert warnings == []


def test_empty_metadata_is_still_sent() -> None:
    body, _ = with_options(metadata={"n": 1})
    assert body["metadata"] == {}


@pytest.mark.parametrize(("logprobs", "top"), [(True, 20), (5, 5), (False, None), (0, None)])
def test_logprobs(logprobs: Any, top: int | None) -> None:
    body, _ = with_options(logprobs=logprobs, include=["reasoning.encrypted_content"])
    if top is None:
        assert "top_logprobs" not in body
        assert body["include"] == ["reasoning.encrypted_content"]
    else:
        assert body["top_logprobs"] == top
        # The logprobs include comes first, then the caller's in their order.
        assert body["include"] == ["message.output_text.logprobs", "reasoning.encrypted_content"]


def test_reasoning_effort_alone() -> None:
    body, _ = with_options("o4-mini", reasoning_effort="high")
    assert body["reasoning"] == {"effort": "high"}


def test_reasoning_options_on_a_non_reasoning_model_warn() -> None:
    body, warnings = with_options("gpt-4o", reasoning_effort="high", reasoning_summary="auto")
    assert "reasoning" not in body
    assert warnings == [
        unsupported("reasoningEffort", "reasoningEffort is not supported for non-reasoning models"),
        unsupported(
            "reasoningSummary", "reasoningSummary is not supported for non-reasoning models"
        ),
    ]


@pytest.mark.parametrize(
    ("model", "tier", "sent"),
    [
        ("gpt-5", "flex", True),
        ("o3", "flex", True),
        ("gpt-4o", "flex", False),
        ("gpt-5-chat-latest", "flex", False),
        ("gpt-4o", "priority", True),
        ("gpt-5-mini", "priority", True),
        ("gpt-5-nano", "priority", False),
        ("gpt-3.5-turbo", "priority", False),
        ("gpt-3.5-turbo", "auto", True),
    ],
)
def test_service_tier_support(model: str, tier: str, sent: bool) -> None:
    body, warnings = with_options(model, service_tier=tier)
    if sent:
        assert body["service_tier"] == tier
        assert warnings == []
    else:
        assert "service_tier" not in body
        assert [w.setting for w in warnings] == ["serviceTier"]


def test_text_verbosity_is_not_sent() -> None:
    body, warnings = with_options(text_verbosity="high")
    assert set(body) == {"model", "store", "input"}
    assert warnings == [
        unsupported("textVerbosity", "textVerbosity is not sent on the Responses API path")
    ]


def test_chat_options_are_ignored_with_a_warning() -> None:
    body, warnings = build(provider_options={"openai": ProviderOptions(user="u", store=True)})
    assert body == {"model": "gpt-4o", "store": False, "input": HELLO_INPUT}
    assert len(warnings) == 1 and "ResponsesProviderOptions" in warnings[0].message


def test_other_providers_options_are_ignored() -> None:
    body, warnings = build(provider_options={"anthropic": object()})
    assert set(body) == {"model", "store", "input"}
    assert warnings == []


def test_previous_response_id_with_store() -> None:
    body, _ = with_options(previous_response_id="resp_1", store=True)
    assert body["previous_response_id"] == "resp_1"
    assert body["store"] is True


def test_empty_previous_response_id_is_not_sent() -> None:
    body, _ = with_options(previous_response_id="")
    assert "previous_response_id" not in body


def test_previous_response_id_needs_store() -> None:
    with pytest.raises(InvalidArgumentError, match="requires store to be true"):
        with_options(previous_response_id="resp_1")


def test_previous_response_id_rejects_replayed_history() -> None:
    prompt = [*HELLO, Message(Role.ASSISTANT, [TextPart("Hi")]), *HELLO]
    with pytest.raises(InvalidArgumentError, match="cannot combine previous_response_id"):
        build(
            prompt=prompt,
            provider_options={
                "openai": ResponsesProviderOptions(previous_response_id="resp_1", store=True)
            },
        )


# --------------------------------------------------------------------------- input items


def test_system_parts_are_concatenated_without_separator() -> None:
    items, warnings = to_input(Message(Role.SYSTEM, [TextPart("a"), TextPart("  "), TextPart("b")]))
    assert items == [{"role": "system", "content": "ab"}]
    assert warnings == []


def test_reasoning_models_use_the_developer_role() -> None:
    items, _ = to_input(SYSTEM, model="gpt-5")
    assert items == [{"role": "developer", "content": "You are a helpful assistant"}]


def test_o1_mini_drops_system_messages() -> None:
    items, warnings = to_input(SYSTEM, *HELLO, model="o1-mini")
    assert items == HELLO_INPUT
    assert warnings == ["system messages are removed for this model"]


def test_system_without_text() -> None:
    items, warnings = to_input(
        Message(Role.SYSTEM, [TextPart(" "), FilePart(b"x", "image/png")]), *HELLO
    )
    assert items == HELLO_INPUT
    assert warnings == [
        "system prompt can only have text content",
        "system prompt has no text parts",
    ]


def test_user_image_and_pdf() -> None:
    png, pdf = b"\x89PNG", b"%PDF-1.4"
    items, warnings = to_input(
        Message(
            Role.USER,
            [
                TextPart("look"),
                FilePart(png, "image/png"),
                FilePart(pdf, "application/pdf"),
                FilePart(pdf, "application/pdf", filename="doc.pdf"),
            ],
        )
    )
    assert items == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": f"data:image/png;base64,{b64(png)}"},
                # Named by the part's index in the message.
                {
                    "type": "input_file",
                    "filename": "part-2.pdf",
                    "file_data": f"data:application/pdf;base64,{b64(pdf)}",
                },
                {
                    "type": "input_file",
                    "filename": "doc.pdf",
                    "file_data": f"data:application/pdf;base64,{b64(pdf)}",
                },
            ],
        }
    ]
    assert warnings == []


def test_unsupported_user_file_warns_and_empty_message_is_dropped() -> None:
    items, warnings = to_input(Message(Role.USER, [FilePart(b"hi", "text/plain")]))
    assert items == []
    assert warnings == [
        "file part media type text/plain not supported",
        "dropping empty user message (contains neither user-facing content nor tool results)",
    ]


def test_assistant_items() -> None:
    items, warnings = to_input(
        Message(
            Role.ASSISTANT,
            [
                TextPart("first"),
                ReasoningPart("thinking", {"openai": ResponsesReasoningMetadata(item_id="rs_1")}),
                ToolCallPart("call_1", "add", '{"a":1}'),
                TextPart(""),
                FilePart(b"x", "image/png"),
            ],
        )
    )
    assert items == [
        {"role": "assistant", "content": "first"},
        {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": '{"a":1}'},
        {"role": "assistant", "content": ""},
    ]
    assert warnings == []


WEB_SEARCH_TURN = Message(
    Role.ASSISTANT,
    [
        ToolCallPart("ws_1", "web_search", "", provider_executed=True),
        ToolResultPart("ws_1", None, provider_executed=True),
        TextPart("Tokyo has 14 million people."),
    ],
)


def test_provider_executed_call_is_skipped_without_store() -> None:
    items, warnings = to_input(WEB_SEARCH_TURN)
    assert items == [{"role": "assistant", "content": "Tokyo has 14 million people."}]
    assert warnings == []


def test_provider_executed_call_is_an_item_reference_with_store() -> None:
    items, _ = to_input(WEB_SEARCH_TURN, store=True)
    assert items == [
        {"id": "ws_1"},
        {"role": "assistant", "content": "Tokyo has 14 million people."},
    ]


def test_assistant_with_nothing_to_send_is_dropped() -> None:
    only_search = Message(
        Role.ASSISTANT,
        [ToolCallPart("ws_1", "web_search", "", provider_executed=True), ReasoningPart("hm")],
    )
    items, warnings = to_input(only_search)
    assert items == []
    assert warnings == [
        "dropping empty assistant message (contains neither user-facing content nor tool calls)"
    ]


def test_tool_results() -> None:
    items, warnings = to_input(
        Message(
            Role.TOOL,
            [
                ToolResultPart("c1", ToolResultOutputText("40 C")),
                ToolResultPart("c2", ToolResultOutputError("boom")),
                ToolResultPart("ws_1", None, provider_executed=True),
                ToolResultPart("c3", ToolResultOutputMedia("aGk=", "image/png")),
                ToolResultPart("c4", ToolResultOutputMedia("aGk=", "audio/wav", "a clip")),
                ToolResultPart("c5", None),
            ],
        )
    )
    assert items == [
        {"type": "function_call_output", "call_id": "c1", "output": "40 C"},
        {"type": "function_call_output", "call_id": "c2", "output": "boom"},
        {
            "type": "function_call_output",
            "call_id": "c3",
            "output": "The tool returned image/png content; see the following user message.",
        },
        {
            "role": "user",
            "content": [{"type": "input_image", "image_url": "data:image/png;base64,aGk="}],
        },
        {"type": "function_call_output", "call_id": "c4", "output": "a clip"},
    ]
    assert warnings == [
        "tool result media type audio/wav not supported, sending text placeholder only",
        "tool result output type None not supported",
    ]


def test_non_result_part_in_tool_message_warns() -> None:
    items, warnings = to_input(Message(Role.TOOL, [TextPart("x")]))
    assert items == []
    assert warnings == ["tool message can only have tool result content"]


# --------------------------------------------------------------------------- tools


def test_function_tools_strict_follows_the_option() -> None:
    body, _ = build(tools=[WEATHER], tool_choice="auto")
    assert body["tools"] == [WEATHER_WIRE]
    body, _ = build(
        tools=[WEATHER],
        provider_options={"openai": ResponsesProviderOptions(strict_json_schema=True)},
    )
    # Strict mode refuses an object schema that is not closed (Fantasy sends the schema
    # as it is, which OpenAI answers with a 400): strict tools get OpenAI's dialect.
    strict_parameters = {**WEATHER_WIRE["parameters"], "additionalProperties": False}
    assert body["tools"] == [{**WEATHER_WIRE, "strict": True, "parameters": strict_parameters}]
    assert "tool_choice" not in body


def test_empty_description_is_still_sent() -> None:
    body, _ = build(tools=[FunctionTool("noop", "", {"type": "object"})])
    assert body["tools"][0]["description"] == ""


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_string_tool_choices(choice: str) -> None:
    body, _ = build(tools=[WEATHER], tool_choice=choice)
    assert body["tool_choice"] == choice


def test_named_tool_choice() -> None:
    body, _ = build(tools=[WEATHER], tool_choice="weather")
    assert body["tool_choice"] == {"type": "function", "name": "weather"}


def test_unsupported_provider_tool_warns_and_sends_no_tools_or_choice() -> None:
    computer = ProviderDefinedTool("anthropic.computer", "computer")
    body, warnings = build(tools=[computer], tool_choice="auto")
    assert "tools" not in body and "tool_choice" not in body
    assert warnings == [
        CallWarning(
            CallWarningType.UNSUPPORTED_TOOL, tool=computer, message="tool is not supported"
        )
    ]


def test_web_search_tool_options() -> None:
    tool = web_search_tool(
        search_context_size="high",
        allowed_domains=["example.com"],
        user_location=WebSearchUserLocation(city="Tokyo", country="JP"),
    )
    assert tool.id == "web_search" and tool.name == "web_search"
    body, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "type": "web_search",
            "search_context_size": "high",
            "filters": {"allowed_domains": ["example.com"]},
            "user_location": {"city": "Tokyo", "country": "JP"},
        }
    ]


def test_web_search_tool_from_plain_args() -> None:
    tool = ProviderDefinedTool(
        "openai.web_search",
        "web_search",
        {"search_context_size": "low", "user_location": {"timezone": "Asia/Tokyo", "city": ""}},
    )
    body, _ = build(tools=[tool])
    assert body["tools"] == [
        {
            "type": "web_search",
            "search_context_size": "low",
            "user_location": {"timezone": "Asia/Tokyo"},
        }
    ]


def test_web_search_tool_with_an_empty_location_sends_none() -> None:
    body, _ = build(tools=[web_search_tool(user_location=WebSearchUserLocation())])
    assert body["tools"] == [{"type": "web_search"}]


# =========================================================================== response


def response(*output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "output": list(output),
        "usage": {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 30},
            "output_tokens": 20,
            "output_tokens_details": {"reasoning_tokens": 8},
            "total_tokens": 999,
        },
    }
    data.update(extra)
    return data


def message(text: str, *annotations: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": list(annotations)}],
    }


def function_call(call_id: str = "call_1", name: str = "weather") -> dict[str, Any]:
    return {
        "id": "fc_1",
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": '{"location":"Florence"}',
    }


WEB_SEARCH_ITEM = {
    "id": "ws_1",
    "type": "web_search_call",
    "status": "completed",
    "action": {
        "type": "search",
        "query": "Tokyo population",
        "sources": [{"type": "url", "url": "https://example.com"}],
    },
}


def parse(data: dict[str, Any], model: str = "gpt-4o") -> Any:
    return ResponsesCodec(model).parse_response(data)


def test_parse_text_usage_and_metadata() -> None:
    r = parse(response(message("Olá!")))
    assert r.content == [TextContent("Olá!")]
    assert r.finish_reason is FinishReason.STOP
    # Total is input + output, not the reported total; cached tokens are reported apart.
    assert r.usage == Usage(
        input_tokens=70,
        output_tokens=20,
        total_tokens=120,
        reasoning_tokens=8,
        cache_read_tokens=30,
    )
    assert r.provider_metadata == {"openai": ResponsesProviderMetadata(response_id="resp_1")}


def test_parse_without_id_or_usage() -> None:
    r = parse({"output": [message("hi")]})
    assert r.provider_metadata == {}
    assert r.usage == Usage()


def test_parse_function_call_forces_tool_calls() -> None:
    r = parse(response(message("Let me check."), function_call()))
    assert r.content == [
        TextContent("Let me check."),
        ToolCallContent("call_1", "weather", '{"location":"Florence"}'),
    ]
    assert r.finish_reason is FinishReason.TOOL_CALLS


def test_parse_citations(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(["u1", "u2", "u3", "u4", "u5"])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(ids))
    r = parse(
        response(
            message(
                "Tokyo",
                {"type": "url_citation", "url": "https://a.example", "title": "A"},
                {"type": "file_citation", "file_id": "file-1"},
                {"type": "file_citation", "file_id": "file-2", "filename": "notes.txt"},
                {
                    "type": "container_file_citation",
                    "container_id": "cntr_1",
                    "file_id": "cfile_1",
                    "filename": "plot.png",
                },
                {"type": "file_path", "file_id": "cfile_2"},
            )
        )
    )

    def document(sid: str, title: str, filename: str, file_id: str, container: str = "") -> Any:
        citation = FileCitation(file_id=file_id, container_id=container)
        return SourceContent(
            SourceType.DOCUMENT,
            sid,
            title=title,
            media_type="text/plain",
            filename=filename,
            provider_metadata={"openai": citation},
        )

    assert r.content == [
        TextContent("Tokyo"),
        SourceContent(SourceType.URL, "u1", url="https://a.example", title="A"),
        document("u2", "Document", "file-1", "file-1"),
        document("u3", "notes.txt", "notes.txt", "file-2"),
        document("u4", "plot.png", "plot.png", "cfile_1", "cntr_1"),
        document("u5", "Document", "cfile_2", "cfile_2"),
    ]
    assert r.warnings == []


def test_parse_refusal_is_text() -> None:
    """Fantasy drops a refusal; it is what the model said, so it is kept as text."""
    item = message("ok")
    item["content"].insert(0, {"type": "refusal", "refusal": "no"})
    assert parse(response(item)).content == [TextContent("no"), TextContent("ok")]


def test_parse_web_search_call_is_a_provider_executed_pair() -> None:
    r = parse(response(WEB_SEARCH_ITEM, message("Tokyo")))
    metadata = WebSearchCallMetadata(
        item_id="ws_1",
        action=WebSearchAction(
            type="search",
            query="Tokyo population",
            sources=[WebSearchSource(type="url", url="https://example.com")],
        ),
    )
    assert r.content == [
        ToolCallContent("ws_1", "web_search", "", provider_executed=True),
        ToolResultContent(
            "ws_1",
            "web_search",
            None,
            provider_executed=True,
            provider_metadata={"openai": metadata},
        ),
        TextContent("Tokyo"),
    ]
    # A provider-executed search does not ask the agent for another step.
    assert r.finish_reason is FinishReason.STOP


def test_web_search_call_without_action() -> None:
    r = parse(response({"id": "ws_2", "type": "web_search_call", "status": "completed"}))
    assert r.content[1].provider_metadata == {"openai": WebSearchCallMetadata(item_id="ws_2")}


def test_parse_reasoning_with_summaries_and_encrypted_content() -> None:
    item = {
        "id": "rs_1",
        "type": "reasoning",
        "encrypted_content": "gAAA",
        "summary": [
            {"type": "summary_text", "text": "**One**"},
            {"type": "summary_text", "text": "**Two**"},
        ],
    }
    r = parse(response(item))
    assert r.content == [
        ReasoningContent(
            "**One**\n**Two**",
            {
                "openai": ResponsesReasoningMetadata(
                    item_id="rs_1", encrypted_content="gAAA", summary=["**One**", "**Two**"]
                )
            },
        )
    ]


def test_parse_encrypted_reasoning_without_summary_has_empty_text() -> None:
    item = {"id": "rs_1", "type": "reasoning", "encrypted_content": "gAAA", "summary": []}
    (reasoning,) = parse(response(item)).content
    assert reasoning.text == ""
    assert reasoning.provider_metadata["openai"].summary == [""]


def test_parse_bare_reasoning_is_skipped() -> None:
    item = {"id": "rs_1", "type": "reasoning", "encrypted_content": None, "summary": []}
    assert parse(response(item, message("hi"))).content == [TextContent("hi")]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, FinishReason.STOP),
        ("max_output_tokens", FinishReason.LENGTH),
        ("max_tokens", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.OTHER),
    ],
)
def test_incomplete_reasons(reason: str | None, expected: FinishReason) -> None:
    details = {"reason": reason} if reason else None
    r = parse(response(message("cut"), status="incomplete", incomplete_details=details))
    assert r.finish_reason is expected


def test_cached_tokens_above_input_clamp_to_zero() -> None:
    data = response(usage={"input_tokens": 5, "input_tokens_details": {"cached_tokens": 9}})
    assert parse(data).usage.input_tokens == 0


@pytest.mark.parametrize(
    ("code", "retryable"), [("server_error", True), ("invalid_prompt", False), (None, False)]
)
def test_response_error_is_a_provider_error(code: str | None, retryable: bool) -> None:
    data = response(status="failed", error={"code": code, "message": "It broke"})
    with pytest.raises(ProviderError) as info:
        parse(data)
    err = info.value
    assert err.title == "provider error"
    assert err.message == f"It broke (code: {code or ''})"
    assert err.provider == "openai"
    assert err.is_retryable is retryable


# =========================================================================== stream


def translate(
    *events: dict[str, Any], model: str = "gpt-4o", finish: bool = True
) -> list[StreamPart]:
    translator = ResponsesCodec(model).new_stream([])
    parts = translator.start()
    for event in events:
        parts.extend(translator.feed(event))
    if finish:
        parts.extend(translator.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[tuple[str, str]]:
    return [(p.type.value, p.delta or p.tool_call_name or p.url) for p in parts]


CREATED = {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}


def completed(
    reason: str | None = None, kind: str = "response.completed", **usage: int
) -> dict[str, Any]:
    return {
        "type": kind,
        "response": {
            "id": "resp_1",
            "incomplete_details": {"reason": reason} if reason else None,
            "usage": {"input_tokens": 10, "output_tokens": 5, **usage},
        },
    }


def added(item: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def done(item: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def text_delta(delta: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": item_id, "delta": delta}


MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}


def test_text_stream() -> None:
    parts = translate(
        CREATED,
        {"type": "response.in_progress"},
        added(MESSAGE),
        {"type": "response.content_part.added", "item_id": "msg_1"},
        text_delta("Olá"),
        text_delta("!"),
        {"type": "response.output_text.done", "item_id": "msg_1", "text": "Olá!"},
        done(MESSAGE),
        completed(),
    )
    assert kinds(parts) == [
        ("text_start", ""),
        ("text_delta", "Olá"),
        ("text_delta", "!"),
        ("text_end", ""),
        ("finish", ""),
    ]
    assert {p.id for p in parts[:-1]} == {"msg_1"}
    finish = parts[-1]
    assert finish.finish_reason is FinishReason.STOP
    assert finish.usage == Usage(input_tokens=10, output_tokens=5, total_tokens=15)
    assert finish.provider_metadata == {"openai": ResponsesProviderMetadata(response_id="resp_1")}


def test_warnings_part_comes_first() -> None:
    warning = CallWarning(CallWarningType.OTHER, message="careful")
    translator = ResponsesCodec("gpt-4o").new_stream([warning])
    assert translator.start() == [StreamPart(StreamPartType.WARNINGS, warnings=[warning])]


def test_function_call_stream() -> None:
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "weather"}
    parts = translate(
        CREATED,
        added({**call, "arguments": ""}, index=1),
        {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '{"loc'},
        {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '":"F"}'},
        {"type": "response.function_call_arguments.delta", "output_index": 7, "delta": "lost"},
        {"type": "response.function_call_arguments.done", "output_index": 1},
        done({**call, "arguments": '{"loc":"F"}'}, index=1),
        completed(),
    )
    assert kinds(parts) == [
        ("tool_input_start", "weather"),
        ("tool_input_delta", '{"loc'),
        ("tool_input_delta", '":"F"}'),
        ("tool_input_end", ""),
        ("tool_call", "weather"),
        ("finish", ""),
    ]
    assert {p.id for p in parts[:-1]} == {"call_1"}
    assert parts[4].tool_call_input == '{"loc":"F"}'
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_function_call_done_without_added_is_read_whole() -> None:
    """Fantasy drops it; a server that sends whole items only would lose every call."""
    call = {"type": "function_call", "call_id": "call_1", "name": "x", "arguments": "{}"}
    parts = translate(done(call), completed())
    assert kinds(parts) == [
        ("tool_input_start", "x"),
        ("tool_input_end", ""),
        ("tool_call", "x"),
        ("finish", ""),
    ]
    assert parts[2].tool_call_input == "{}"
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_reasoning_summary_stream() -> None:
    item = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gA-added"}
    summary = {"type": "response.reasoning_summary_part.added", "item_id": "rs_1"}

    def delta(text: str, index: int) -> dict[str, Any]:
        return {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "summary_index": index,
            "delta": text,
        }

    parts = translate(
        added(item),
        {**summary, "summary_index": 0},
        delta("**One", 0),
        delta("**", 0),
        {**summary, "summary_index": 1},
        delta("Two", 1),
        delta("lost", 5),
        done({**item, "encrypted_content": "gA-done"}),
        completed(),
        model="o4-mini",
    )
    assert kinds(parts) == [
        ("reasoning_start", ""),
        ("reasoning_delta", "\n"),
        ("reasoning_delta", "**One"),
        ("reasoning_delta", "**"),
        ("reasoning_delta", "\n"),
        ("reasoning_delta", "Two"),
        ("reasoning_delta", "lost"),
        ("reasoning_end", ""),
        ("finish", ""),
    ]
    # The encrypted content of the done event replaces the provisional one of the added
    # event (Fantasy keeps the provisional one); the summaries are complete at the end.
    assert parts[7].provider_metadata == {
        "openai": ResponsesReasoningMetadata(
            item_id="rs_1", encrypted_content="gA-done", summary=["**One**", "Two"]
        )
    }


def test_reasoning_events_without_an_added_item_start_one() -> None:
    """Some servers send no output_item.added: the reasoning starts with its first event
    and is not lost."""
    parts = translate(
        {"type": "response.reasoning_summary_part.added", "item_id": "rs_9"},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_9", "delta": "x"},
        done({"id": "rs_9", "type": "reasoning"}),
        completed(),
    )
    assert kinds(parts) == [
        ("reasoning_start", ""),
        ("reasoning_delta", "\n"),
        ("reasoning_delta", "x"),
        ("reasoning_end", ""),
        ("finish", ""),
    ]


def test_web_search_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uuid, "uuid4", lambda: "u1")
    parts = translate(
        CREATED,
        added({"id": "ws_1", "type": "web_search_call", "action": {"type": "search"}}),
        {"type": "response.web_search_call.searching", "item_id": "ws_1"},
        done(WEB_SEARCH_ITEM),
        added(MESSAGE, 1),
        text_delta("Tokyo"),
        {
            "type": "response.output_text.annotation.added",
            "item_id": "msg_1",
            "annotation": {"type": "url_citation", "url": "https://a.example", "title": "A"},
        },
        {
            "type": "response.output_text.annotation.added",
            "annotation": {"type": "file_citation", "file_id": "file-1"},
        },
        done(MESSAGE, 1),
        completed(),
    )
    assert kinds(parts) == [
        ("tool_input_start", "web_search"),
        ("tool_input_end", ""),
        ("tool_call", "web_search"),
        ("tool_result", "web_search"),
        ("text_start", ""),
        ("text_delta", "Tokyo"),
        ("source", "https://a.example"),
        ("source", ""),
        ("text_end", ""),
        ("finish", ""),
    ]
    assert [p.provider_executed for p in parts[:4]] == [True, False, True, True]
    assert [p.id for p in parts[:4]] == ["ws_1"] * 4
    assert parts[3].provider_metadata == {
        "openai": WebSearchCallMetadata(
            item_id="ws_1",
            action=WebSearchAction(
                type="search",
                query="Tokyo population",
                sources=[WebSearchSource(type="url", url="https://example.com")],
            ),
        )
    }
    assert parts[6] == StreamPart(
        StreamPartType.SOURCE,
        id="u1",
        source_type=SourceType.URL,
        url="https://a.example",
        title="A",
        source=SourceContent(SourceType.URL, "u1", url="https://a.example", title="A"),
    )
    # A document citation travels whole (file name and id included).
    assert parts[7].source_type is SourceType.DOCUMENT and parts[7].title == "Document"
    assert parts[7].source is not None and parts[7].source.filename
    assert parts[-1].finish_reason is FinishReason.STOP


def test_incomplete_response_finishes_with_its_reason() -> None:
    parts = translate(
        added(MESSAGE),
        text_delta("cut"),
        done(MESSAGE),
        completed("max_output_tokens", kind="response.incomplete"),
    )
    assert parts[-1].type is StreamPartType.FINISH
    assert parts[-1].finish_reason is FinishReason.LENGTH


def test_usage_with_cached_and_reasoning_tokens() -> None:
    event = completed()
    event["response"]["usage"] = {
        "input_tokens": 50,
        "input_tokens_details": {"cached_tokens": 20},
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 12},
        "total_tokens": 1,
    }
    (finish,) = translate(event)
    assert finish.usage == Usage(
        input_tokens=30,
        output_tokens=30,
        total_tokens=80,
        reasoning_tokens=12,
        cache_read_tokens=20,
    )


def test_response_id_comes_from_the_terminal_event_when_created_is_missing() -> None:
    (finish,) = translate(completed())
    assert finish.provider_metadata == {"openai": ResponsesProviderMetadata(response_id="resp_1")}


def test_missing_response_id_gives_empty_metadata() -> None:
    (finish,) = translate({"type": "response.completed", "response": {}})
    assert finish.provider_metadata == {}


def only_error(parts: list[StreamPart]) -> Any:
    assert parts[-1].type is StreamPartType.ERROR
    assert [p for p in parts if p.type is StreamPartType.ERROR] == [parts[-1]]
    assert not [p for p in parts if p.type is StreamPartType.FINISH]
    return parts[-1].error


@pytest.mark.parametrize(("code", "retryable"), [("server_error", True), ("invalid_prompt", False)])
def test_response_failed_event(code: str, retryable: bool) -> None:
    failed = {
        "type": "response.failed",
        "response": {"id": "resp_1", "error": {"code": code, "message": "It broke"}},
    }
    error = only_error(translate(CREATED, added(MESSAGE), failed, finish=False))
    assert isinstance(error, ProviderError)
    assert error.title == "response failed"
    assert error.message == f"It broke (code: {code})"
    assert str(error) == f"response failed: It broke (code: {code})"
    assert error.is_retryable is retryable


def test_response_failed_without_details() -> None:
    error = only_error(translate({"type": "response.failed", "response": {}}, finish=False))
    assert error.title == "response failed"
    assert "without a message" in error.message


def test_error_event() -> None:
    event = {"type": "error", "code": "rate_limit_error", "message": "Slow down", "param": None}
    error = only_error(translate(event, finish=False))
    assert isinstance(error, ProviderError)
    assert error.title == "response error"
    assert error.message == "Slow down (code: rate_limit_error)"
    assert error.is_retryable


def test_error_event_without_code_shows_the_message_only() -> None:
    error = only_error(translate({"type": "error", "message": "Bad"}, finish=False))
    assert error.message == "Bad"
    assert not error.is_retryable


@pytest.mark.parametrize(
    "events",
    [
        (),
        (CREATED,),
        (CREATED, added(MESSAGE), text_delta("Ol")),
        (CREATED, added(MESSAGE), text_delta("Olá"), done(MESSAGE)),
    ],
)
def test_stream_without_terminal_event_is_retryable(events: tuple[dict[str, Any], ...]) -> None:
    error = only_error(translate(*events))
    assert isinstance(error, ProviderError)
    assert error.title == "stream transport error"
    assert error.message == "unexpected EOF"
    assert error.is_retryable


def test_unknown_events_are_reported_once_per_type() -> None:
    parts = translate(
        {"type": "response.something_new"},
        {"type": "response.something_new"},
        {"no": "type"},
        completed(),
    )
    assert kinds(parts) == [("warnings", ""), ("warnings", ""), ("finish", "")]
    said = [w.message for p in parts if p.warnings for w in p.warnings]
    assert said == [
        "unsupported Responses API stream event type 'response.something_new' ignored",
        "unsupported Responses API stream event type '' ignored",
    ]
