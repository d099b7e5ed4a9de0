"""The Gemini request codec: `Call` to ``generateContent`` body, for every option.

No HTTP here: `RequestBuilder` is pure translation (see test_google_provider.py for I/O).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from fantasy.errors import InvalidArgumentError
from fantasy.model import Call
from fantasy.providers.google import (
    ProviderOptions,
    ReasoningMetadata,
    RequestBuilder,
    SafetySetting,
    ThinkingConfig,
)
from fantasy.providers.google.request import float32, gemini_schema
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
    system_message,
    user_message,
)

HELLO = [user_message("Hello")]
WEATHER_SCHEMA = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}
WEATHER = FunctionTool("weather", "Get weather information for a location", WEATHER_SCHEMA)
SIGNATURE = "CvMBAb4+9vvZC/KtDBiEfP1WF+wU=="


def build(
    prompt: list[Message] | None = None,
    *,
    model: str = "gemini-2.5-flash",
    vertex: bool = False,
    name: str = "google",
    **kw: Any,
) -> tuple[dict[str, Any], list[CallWarning]]:
    builder = RequestBuilder(
        model, provider_name=name, vertex=vertex, project="proj", location="us-east5"
    )
    return builder.build_body(Call(prompt=HELLO if prompt is None else prompt, **kw))


def with_options(**opts: Any) -> tuple[dict[str, Any], list[CallWarning]]:
    return build(provider_options={"google": ProviderOptions(**opts)})


def thinking(**config: Any) -> tuple[dict[str, Any], list[str]]:
    body, warnings = with_options(thinking_config=ThinkingConfig(**config))
    return body["generationConfig"]["thinkingConfig"], [w.message for w in warnings]


def assistant(*parts: Any) -> Message:
    return Message(Role.ASSISTANT, list(parts))


def signed(signature: str = SIGNATURE, tool_id: str = "") -> ReasoningPart:
    return ReasoningPart(
        "thinking...", {"google": ReasoningMetadata(signature=signature, tool_id=tool_id)}
    )


def contents(*prompt: Message, vertex: bool = False) -> list[dict[str, Any]]:
    body, _ = build([*prompt, user_message("next")], vertex=vertex)
    return body["contents"][:-1]  # type: ignore[no-any-return]


# =========================================================================== body shape


def test_recorded_tool_request_body() -> None:
    """Byte for byte the first request of TestGoogleCommon/gemini-2.5-flash/tool."""
    body, warnings = build(
        [
            system_message("You are a helpful assistant"),
            user_message("What's the weather in Florence,Italy?"),
        ],
        max_output_tokens=4000,
        tools=[WEATHER],
        tool_choice="auto",
    )
    recorded = (
        '{"contents":[{"parts":[{"text":"What\'s the weather in Florence,Italy?"}],"role":"user"}],'
        '"generationConfig":{"maxOutputTokens":4000},"systemInstruction":{"parts":[{"text":'
        '"You are a helpful assistant"}],"role":"user"},"toolConfig":{"functionCallingConfig":'
        '{"mode":"AUTO"}},"tools":[{"functionDeclarations":[{"description":"Get weather '
        'information for a location","name":"weather","parameters":{"properties":{"location":'
        '{"description":"the city","type":"STRING"}},"required":["location"],"type":"OBJECT"}}]}]}'
    )
    assert body == json.loads(recorded)
    assert warnings == []


def test_generation_config_is_always_sent() -> None:
    body, _ = build()
    assert body == {
        "contents": [{"parts": [{"text": "Hello"}], "role": "user"}],
        "generationConfig": {},
    }


def test_sampling_settings() -> None:
    body, warnings = build(
        max_output_tokens=100,
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        presence_penalty=0.5,
        frequency_penalty=0.25,
    )
    assert body["generationConfig"] == {
        "maxOutputTokens": 100,
        "temperature": 0.7,
        "topP": 0.9,
        "topK": 40,
        "presencePenalty": 0.5,
        "frequencyPenalty": 0.25,
    }
    assert warnings == []


def test_zero_values() -> None:
    """A zero token limit is "not set" (Go omits it); zero sampling values are sent."""
    body, _ = build(max_output_tokens=0, temperature=0.0, top_k=0)
    assert body["generationConfig"] == {"temperature": 0, "topK": 0}


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (0.7, 0.7),
        (0.1, 0.1),
        (1.0, 1),
        (0.1 + 0.2, 0.3),
        (1 / 3, 0.33333334),
        (40, 40),
        (1e40, 1e40),
    ],
)
def test_sampling_values_are_float32_as_go_prints_them(value: float, sent: float) -> None:
    assert float32(value) == sent
    assert json.dumps(float32(value)) == json.dumps(sent)


# =========================================================================== prompt


def test_only_the_first_system_message_counts() -> None:
    prompt = [
        Message(Role.SYSTEM, [TextPart("one"), TextPart(""), TextPart("two")]),
        system_message("ignored, adjacent"),
        user_message("hi"),
        system_message("ignored, later"),
    ]
    body, _ = build(prompt)
    assert body["systemInstruction"] == {"parts": [{"text": "one\ntwo"}], "role": "user"}


def test_system_without_text_sends_no_instruction() -> None:
    body, _ = build(
        [Message(Role.SYSTEM, [TextPart("")]), system_message("later"), user_message("hi")]
    )
    assert "systemInstruction" not in body


def test_last_turn_is_sent_as_the_users() -> None:
    """Fantasy sends the last content as a chat message, which is always the user's."""
    body, _ = build([user_message("hi"), assistant(TextPart("Hello"))])
    assert body["contents"] == [
        {"parts": [{"text": "hi"}], "role": "user"},
        {"parts": [{"text": "Hello"}], "role": "user"},
    ]


@pytest.mark.parametrize(
    "prompt",
    [[], [system_message("only a system prompt")], [Message(Role.USER, [TextPart("")])]],
)
def test_nothing_to_send_is_an_error(prompt: list[Message]) -> None:
    with pytest.raises(InvalidArgumentError, match="no messages to send"):
        build(prompt)


def test_user_files_become_inline_data() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    pdf = b"%PDF-1.4"
    body, _ = build(
        [
            user_message(
                "Describe",
                FilePart(png, "image/png", filename="wish.png"),
                FilePart(pdf, "application/pdf"),
            )
        ]
    )
    assert body["contents"][0]["parts"] == [
        {"text": "Describe"},
        {"inlineData": {"data": base64.b64encode(png).decode(), "mimeType": "image/png"}},
        {"inlineData": {"data": base64.b64encode(pdf).decode(), "mimeType": "application/pdf"}},
    ]


def test_messages_are_never_merged() -> None:
    wire = contents(user_message("a"), user_message("b"))
    assert wire == [
        {"parts": [{"text": "a"}], "role": "user"},
        {"parts": [{"text": "b"}], "role": "user"},
    ]


def test_empty_assistant_turn_is_dropped() -> None:
    wire = contents(user_message("a"), assistant(TextPart(""), ReasoningPart("thought only")))
    assert wire == [{"parts": [{"text": "a"}], "role": "user"}]


def test_thoughts_are_not_sent_but_their_signature_is() -> None:
    wire = contents(assistant(signed(), TextPart("Hello"), TextPart("again")))
    assert wire == [
        {
            "parts": [{"text": "Hello", "thoughtSignature": SIGNATURE}, {"text": "again"}],
            "role": "model",
        }
    ]


def test_signature_goes_on_the_next_function_call() -> None:
    call = ToolCallPart("1", "weather", '{"location":"Florence,Italy"}')
    wire = contents(assistant(signed(tool_id="1"), call))
    assert wire[0]["parts"] == [
        {
            "functionCall": {"args": {"location": "Florence,Italy"}, "id": "1", "name": "weather"},
            "thoughtSignature": SIGNATURE,
        }
    ]


def test_the_last_signature_before_a_part_wins() -> None:
    wire = contents(assistant(signed("first"), signed("second"), TextPart("Hi")))
    assert wire[0]["parts"] == [{"text": "Hi", "thoughtSignature": "second"}]


def test_reasoning_without_google_metadata_changes_nothing() -> None:
    wire = contents(
        assistant(
            signed("kept"),
            ReasoningPart("other", {"anthropic": {"signature": "x"}}),
            ReasoningPart("plain"),
            TextPart("Hi"),
        )
    )
    assert wire[0]["parts"] == [{"text": "Hi", "thoughtSignature": "kept"}]


def test_empty_signature_is_not_sent() -> None:
    wire = contents(assistant(signed(""), TextPart("Hi")))
    assert wire[0]["parts"] == [{"text": "Hi"}]


def test_signature_from_a_json_round_trip() -> None:
    part = ReasoningPart("", {"google": {"signature": "from-json", "tool_id": ""}})
    wire = contents(assistant(part, TextPart("Hi")))
    assert wire[0]["parts"] == [{"text": "Hi", "thoughtSignature": "from-json"}]


@pytest.mark.parametrize("bad", ["", "not json", "[1, 2]", '"text"', "3"])
def test_tool_call_without_object_input_is_dropped(bad: str) -> None:
    wire = contents(assistant(ToolCallPart("1", "weather", bad), TextPart("Hi")))
    assert wire[0]["parts"] == [{"text": "Hi"}]


@pytest.mark.parametrize("empty", ["{}", "null"])
def test_tool_call_without_arguments_sends_no_args(empty: str) -> None:
    wire = contents(assistant(ToolCallPart("1", "now", empty)))
    assert wire[0]["parts"] == [{"functionCall": {"id": "1", "name": "now"}}]


def test_tool_results_name_the_function() -> None:
    prompt = [
        assistant(
            ToolCallPart("1", "add", '{"a":2,"b":3}'),
            ToolCallPart("2", "multiply", '{"a":2,"b":3}'),
        ),
        Message(
            Role.TOOL,
            [
                ToolResultPart("1", ToolResultOutputText("5")),
                ToolResultPart("2", ToolResultOutputError("boom")),
                ToolResultPart("3", ToolResultOutputText("orphan")),
                ToolResultPart("4", ToolResultOutputMedia("aGk=", "image/png")),
                ToolResultPart("5", None),
            ],
        ),
    ]
    wire = contents(*prompt)
    assert wire[1] == {
        "parts": [
            {"functionResponse": {"id": "1", "name": "add", "response": {"result": "5"}}},
            {"functionResponse": {"id": "2", "name": "multiply", "response": {"result": "boom"}}},
            {"functionResponse": {"id": "3", "response": {"result": "orphan"}}},
        ],
        "role": "user",
    }


def test_a_tool_message_with_nothing_to_send_is_dropped() -> None:
    wire = contents(
        user_message("a"),
        Message(Role.TOOL, [ToolResultPart("1", ToolResultOutputMedia("aGk=", "image/png"))]),
    )
    assert wire == [{"parts": [{"text": "a"}], "role": "user"}]


def test_vertex_drops_function_ids() -> None:
    prompt = [
        assistant(signed(), ToolCallPart("1", "weather", '{"location":"Rome"}')),
        Message(Role.TOOL, [ToolResultPart("1", ToolResultOutputText("40 C"))]),
    ]
    body, _ = build(prompt, vertex=True)
    assert body["contents"] == [
        {
            "parts": [
                {
                    "functionCall": {"args": {"location": "Rome"}, "name": "weather"},
                    "thoughtSignature": SIGNATURE,
                }
            ],
            "role": "model",
        },
        {
            "parts": [{"functionResponse": {"name": "weather", "response": {"result": "40 C"}}}],
            "role": "user",
        },
    ]


def test_gemma_takes_the_system_prompt_into_the_first_user_turn() -> None:
    body, _ = build([system_message("Be brief"), user_message("hi")], model="Gemma-3-27b-it")
    assert "systemInstruction" not in body
    assert body["contents"][0]["parts"] == [{"text": "Be brief\n\n"}, {"text": "hi"}]


def test_gemma_keeps_the_instruction_when_the_first_turn_is_not_the_users() -> None:
    prompt = [system_message("Be brief"), assistant(TextPart("Hello")), user_message("hi")]
    body, _ = build(prompt, model="gemma-3-27b-it")
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief"}], "role": "user"}


# =========================================================================== provider options


def test_no_options_sends_nothing_extra() -> None:
    body, warnings = with_options()
    assert body == {
        "contents": [{"parts": [{"text": "Hello"}], "role": "user"}],
        "generationConfig": {},
    }
    assert warnings == []


@pytest.mark.parametrize("value", [{"thinking_config": {}}, "high", object()])
def test_wrong_option_type_is_an_invalid_argument(value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=r"google\.ProviderOptions"):
        build(provider_options={"google": value})


def test_other_providers_options_are_ignored() -> None:
    body, _ = build(provider_options={"openai": object()})
    assert body["generationConfig"] == {}


def test_thinking_budget_and_thoughts() -> None:
    config, warnings = thinking(thinking_budget=2048, include_thoughts=True)
    assert config == {"includeThoughts": True, "thinkingBudget": 2048}
    assert warnings == []


@pytest.mark.parametrize("budget", [100, 0, -1, 127])
def test_thinking_budget_below_128_is_raised_with_a_warning(budget: int) -> None:
    config, warnings = thinking(thinking_budget=budget, include_thoughts=True)
    assert config == {"includeThoughts": True, "thinkingBudget": 128}
    assert warnings == [
        "The 'thinking_budget' option can not be under 128 and will be set to 128 by default"
    ]


def test_raising_the_budget_leaves_the_callers_options_alone() -> None:
    options = ProviderOptions(thinking_config=ThinkingConfig(thinking_budget=100))
    build(provider_options={"google": options})
    assert options.thinking_config is not None and options.thinking_config.thinking_budget == 100


def test_thinking_level() -> None:
    config, _ = thinking(thinking_level="HIGH", include_thoughts=True)
    assert config == {"includeThoughts": True, "thinkingLevel": "HIGH"}


def test_thinking_level_and_budget_are_exclusive() -> None:
    with pytest.raises(InvalidArgumentError, match="mutually exclusive"):
        thinking(thinking_level="LOW", thinking_budget=1000)


def test_empty_thinking_config_and_false_thoughts_send_an_empty_object() -> None:
    assert thinking()[0] == {}
    assert thinking(include_thoughts=False)[0] == {}


def test_include_thoughts_warning_for_vertex_named_providers() -> None:
    options = {"google": ProviderOptions(thinking_config=ThinkingConfig(include_thoughts=True))}
    _, warnings = build(name="google.vertex.chat", provider_options=options)
    assert [w.type for w in warnings] == [CallWarningType.OTHER]
    assert "(google.vertex.chat)" in warnings[0].message
    _, plain = build(provider_options=options)
    assert plain == []


def test_safety_settings() -> None:
    body, _ = with_options(
        safety_settings=[
            SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH"),
            SafetySetting(category="HARM_CATEGORY_HATE_SPEECH", threshold=""),
        ]
    )
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
        {"category": "HARM_CATEGORY_HATE_SPEECH"},
    ]


@pytest.mark.parametrize(
    ("name", "gemini", "vertex"),
    [
        ("abc", "cachedContents/abc", "projects/proj/locations/us-east5/cachedContents/abc"),
        (
            "cachedContents/abc",
            "cachedContents/abc",
            "projects/proj/locations/us-east5/cachedContents/abc",
        ),
        (
            "projects/p/locations/l/cachedContents/x",
            "projects/p/locations/l/cachedContents/x",
            "projects/p/locations/l/cachedContents/x",
        ),
        (
            "locations/l/cachedContents/x",
            "locations/l/cachedContents/x",
            "projects/proj/locations/l/cachedContents/x",
        ),
    ],
)
def test_cached_content_names(name: str, gemini: str, vertex: str) -> None:
    options = {"google": ProviderOptions(cached_content=name)}
    assert build(provider_options=options)[0]["cachedContent"] == gemini
    assert build(provider_options=options, vertex=True)[0]["cachedContent"] == vertex


def test_options_from_fantasy_json() -> None:
    options = ProviderOptions.from_dict(
        {
            "thinking_config": {"thinking_budget": 512, "include_thoughts": True},
            "cached_content": "abc",
            "safety_settings": [{"category": "C", "threshold": "T"}],
            "threshold": "unused, as in Fantasy",
        }
    )
    assert options == ProviderOptions(
        thinking_config=ThinkingConfig(thinking_budget=512, include_thoughts=True),
        cached_content="abc",
        safety_settings=[SafetySetting(category="C", threshold="T")],
    )
    with pytest.raises(InvalidArgumentError):
        ProviderOptions.from_dict({"safety_settings": "none"})


# =========================================================================== tools


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"functionCallingConfig": {"mode": "AUTO"}}),
        ("required", {"functionCallingConfig": {"mode": "ANY"}}),
        ("none", {"functionCallingConfig": {"mode": "NONE"}}),
        (
            "weather",
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}},
        ),
    ],
)
def test_tool_choice(choice: str, config: dict[str, Any]) -> None:
    body, _ = build(tools=[WEATHER], tool_choice=choice)
    assert body["toolConfig"] == config


def test_no_tool_choice_sends_no_tool_config() -> None:
    body, _ = build(tools=[WEATHER])
    assert "toolConfig" not in body
    body, _ = build(tool_choice="auto")
    assert "toolConfig" not in body and "tools" not in body


def test_provider_defined_tools_are_unsupported() -> None:
    search = ProviderDefinedTool("google.search", "search")
    body, warnings = build(tools=[search], tool_choice="auto")
    assert body["tools"] == [{}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert warnings == [
        CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=search, message="tool is not supported")
    ]


def test_declaration_without_description_or_parameters() -> None:
    body, _ = build(tools=[FunctionTool("now", "", {"type": "object", "properties": {}})])
    assert body["tools"] == [
        {"functionDeclarations": [{"name": "now", "parameters": {"type": "OBJECT"}}]}
    ]


def test_only_a_top_level_list_of_names_is_required() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": "a"}
    body, _ = build(tools=[FunctionTool("t", "d", schema)])
    assert "required" not in body["tools"][0]["functionDeclarations"][0]["parameters"]


def test_schema_conversion_speaks_geminis_dialect() -> None:
    # Fantasy kept only types, descriptions, items and properties; the Gemini Schema also
    # takes nullable, string enums, the formats it knows, bounds, anyOf and nested
    # required, and each of them changes what the model may send.
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "who", "format": "email", "enum": ["a"]},
            "when": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "minimum": 1, "default": 3, "format": "int64"},
            "ratio": {"type": "number", "exclusiveMinimum": 0},
            "on": {"type": "boolean", "description": ""},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3},
            "loose": {"type": "array"},
            "nested": {
                "type": "object",
                "description": "inner",
                "properties": {"x": {"type": "number"}},
                "required": ["x"],
                "additionalProperties": False,
            },
            "nullable": {"type": ["string", "null"], "description": "maybe"},
            "any_of": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            "weird": {"type": "date"},
            "anything": {},
            "not_a_schema": "string",
        },
        "required": ["name"],
        "additionalProperties": False,
        "$defs": {"unused": {}},
    }
    body, _ = build(tools=[FunctionTool("t", "d", schema)])
    assert body["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "OBJECT",
        "required": ["name"],
        "properties": {
            "name": {"type": "STRING", "description": "who", "enum": ["a"]},
            "when": {"type": "STRING", "format": "date-time"},
            "count": {"type": "INTEGER", "minimum": 1, "format": "int64"},
            "ratio": {"type": "NUMBER"},
            "on": {"type": "BOOLEAN"},
            "tags": {"type": "ARRAY", "items": {"type": "STRING", "maxLength": 5}, "maxItems": 3},
            "loose": {"type": "ARRAY"},
            "nested": {
                "type": "OBJECT",
                "description": "inner",
                "properties": {"x": {"type": "NUMBER"}},
                "required": ["x"],
            },
            "nullable": {"type": "STRING", "description": "maybe", "nullable": True},
            "any_of": {"type": "STRING", "nullable": True},
            "either": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}], "nullable": True},
            "weird": {"type": "STRING"},
            "anything": {"type": "STRING"},
            "not_a_schema": {"type": "STRING"},
        },
    }


def test_schema_of_a_non_object_is_a_string() -> None:
    assert gemini_schema(None) == {"type": "STRING"}
