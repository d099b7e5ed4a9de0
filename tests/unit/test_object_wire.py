"""Structured output on the wire: what each provider's native JSON mode sends, which
providers have one, and the ``object_mode=`` option of the providers."""

from __future__ import annotations

import re
from typing import Any

import pytest

import fantasy
from fantasy.model import Call, ResponseFormat
from fantasy.objects import ObjectMode
from fantasy.providers.openai.chat import ChatCodec
from fantasy.providers.openai.responses import ResponsesCodec
from fantasy.providers.openai.structured import closed_schema, strict_schema

BOOK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "author": {"type": "object", "properties": {"name": {"type": "string"}}},
        "tags": {
            "type": "array",
            "items": {"type": "object", "properties": {"label": {"type": "string"}}},
        },
        "closed": {"type": "object", "properties": {}, "additionalProperties": False},
    },
    "required": ["title"],
}
FORMAT = ResponseFormat(schema=BOOK, name="Book", description="A book")


def native_call(**kwargs: Any) -> Call:
    return Call(prompt=[fantasy.user_message("hi")], response_format=FORMAT, **kwargs)


def test_strict_schema_closes_every_object_and_copies() -> None:
    out = strict_schema(BOOK)
    assert out["additionalProperties"] is False
    assert out["properties"]["author"]["additionalProperties"] is False
    assert out["properties"]["tags"]["items"]["additionalProperties"] is False
    assert out["properties"]["closed"]["additionalProperties"] is False
    # Strict mode wants every property listed as required, at every level.
    assert out["required"] == ["title", "author", "tags", "closed"]
    assert out["properties"]["author"]["required"] == ["name"]
    assert out["properties"]["tags"]["items"]["required"] == ["label"]
    assert "additionalProperties" not in BOOK
    assert "additionalProperties" not in BOOK["properties"]["author"]
    assert BOOK["required"] == ["title"]


@pytest.mark.parametrize(
    ("field", "schema"),
    [
        ("tags[]", {"type": "array", "items": {"type": "object", "properties": {}}}),
        ("free", {"type": "object", "additionalProperties": True}),
    ],
)
def test_strict_schema_refuses_objects_with_arbitrary_keys(
    field: str, schema: dict[str, Any]
) -> None:
    from fantasy.schema_dialects import SchemaError

    loose = {"type": "object", "properties": {field.removesuffix("[]"): schema}}
    with pytest.raises(SchemaError, match=re.escape(f'output schema "Book": field "{field}"')):
        strict_schema(loose, 'output schema "Book"')


def test_chat_sends_a_strict_json_schema_response_format() -> None:
    body, _ = ChatCodec("gpt-4o").build_body(native_call(max_output_tokens=10), stream=False)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "Book",
            "description": "A book",
            "schema": strict_schema(BOOK),
            "strict": True,
        },
    }
    plain, _ = ChatCodec("gpt-4o").build_body(Call(prompt=native_call().prompt), stream=False)
    assert "response_format" not in plain


def test_responses_sends_text_format_by_name_only() -> None:
    body, _ = ResponsesCodec("gpt-5", "openai").build_body(native_call(), stream=True)
    assert body["text"] == {
        "format": {"type": "json_schema", "name": "Book", "schema": closed_schema(BOOK)}
    }
    # Not strict here (Fantasy sends no strict flag): objects closed, required as given.
    assert body["text"]["format"]["schema"]["required"] == ["title"]
    assert body["text"]["format"]["schema"]["additionalProperties"] is False


def test_google_sends_the_schema_as_is_with_the_json_mime_type() -> None:
    from fantasy.providers.google.request import RequestBuilder

    body, _ = RequestBuilder("gemini-2.5-flash", provider_name="google").build_body(
        native_call(max_output_tokens=7)
    )
    assert body["generationConfig"] == {
        "maxOutputTokens": 7,
        "responseMimeType": "application/json",
        "responseJsonSchema": BOOK,
    }


def test_compatible_servers_and_gateways_have_no_native_mode() -> None:
    from fantasy.providers import openaicompat, openrouter, vercel

    compat = openaicompat.Provider("https://example.test/v1", "k").language_model("m")
    assert not compat.native_object_output
    assert compat.object_mode is ObjectMode.TOOL
    body, _ = compat.codec.build_body(native_call(), stream=False)
    assert "response_format" not in body
    for provider in (openrouter.Provider(api_key="k"), vercel.Provider(api_key="k")):
        assert not provider.language_model("m").native_object_output


def test_native_output_per_provider() -> None:
    from fantasy.providers import anthropic, google, openai

    assert openai.Provider(api_key="k").language_model("gpt-4o").native_object_output
    responses = openai.Provider(api_key="k", use_responses_api=True).language_model("gpt-5")
    assert responses.native_object_output
    assert google.Provider(api_key="k").language_model("gemini-2.5-flash").native_object_output
    assert not anthropic.Provider(api_key="k").language_model("claude-x").native_object_output


@pytest.mark.parametrize("mode", ["auto", "json", "tool", "text"])
def test_object_mode_option_reaches_the_models(mode: str) -> None:
    from fantasy.providers import anthropic, google, openai, openaicompat

    models = [
        openai.Provider(api_key="k", object_mode=mode).language_model("gpt-4o"),
        anthropic.Provider(api_key="k", object_mode=mode).language_model("claude-x"),
        google.Provider(api_key="k", object_mode=mode).language_model("gemini-2.5-flash"),
        openaicompat.Provider("https://e.test", object_mode=mode).language_model("m"),
    ]
    assert all(m.object_mode == mode for m in models)


def test_unknown_object_mode_is_refused_at_construction() -> None:
    from fantasy.providers import openai

    with pytest.raises(ValueError):
        openai.Provider(api_key="k", object_mode="yaml")
