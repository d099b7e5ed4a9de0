"""The Messages API codec, response side: a whole ``Message`` to a `Response`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy.providers import anthropic
from fantasy.providers.anthropic.response import map_finish_reason, parse_message, usage_from
from fantasy.types import (
    FinishReason,
    ReasoningContent,
    SourceContent,
    SourceType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)


def message(*content: dict[str, Any], stop: str = "end_turn", **usage: int) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": list(content),
        "stop_reason": stop,
        "usage": {"input_tokens": 10, "output_tokens": 5, **usage},
    }


def test_text_and_tool_use() -> None:
    response = parse_message(
        message(
            {"type": "text", "text": "Let me check."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "weather",
                "input": {"location": "Florence, Italy"},
                "caller": {"type": "direct"},
            },
            stop="tool_use",
        )
    )
    assert list(response.content) == [
        TextContent("Let me check."),
        ToolCallContent("toolu_1", "weather", '{"location":"Florence, Italy"}'),
    ]
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.provider_metadata == {}
    assert json.loads(response.content.tool_calls[0].input) == {"location": "Florence, Italy"}


def test_tool_use_without_input_is_an_empty_object() -> None:
    response = parse_message(message({"type": "tool_use", "id": "t", "name": "now"}))
    assert response.content.tool_calls[0].input == "{}"


def test_thinking_and_redacted_thinking_keep_what_must_go_back() -> None:
    response = parse_message(
        message(
            {"type": "thinking", "thinking": "Let me think.", "signature": "EqUD"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Done."},
        )
    )
    assert list(response.content) == [
        ReasoningContent(
            "Let me think.", {"anthropic": anthropic.ReasoningMetadata(signature="EqUD")}
        ),
        ReasoningContent("", {"anthropic": anthropic.ReasoningMetadata(redacted_data="opaque")}),
        TextContent("Done."),
    ]


def test_web_search_gives_call_sources_and_result() -> None:
    response = parse_message(
        message(
            {
                "type": "server_tool_use",
                "id": "srv_1",
                "name": "web_search",
                "input": {"query": "tokyo", "a": 1},
            },
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srv_1",
                "content": [
                    {
                        "type": "web_search_result",
                        "title": "Tokyo",
                        "url": "https://t.example",
                        "encrypted_content": "enc",
                        "page_age": "1 day ago",
                    },
                    {
                        "type": "web_search_result",
                        "title": "Japan",
                        "url": "https://j.example",
                        "encrypted_content": "enc2",
                        "page_age": None,
                    },
                ],
            },
            {
                "type": "text",
                "text": "About 14 million.",
                "citations": [
                    {
                        "type": "web_search_result_location",
                        "url": "https://t.example",
                        "title": "Tokyo",
                        "cited_text": "14 million",
                        "encrypted_index": "ix",
                    }
                ],
            },
        )
    )
    call, first, second, result, text, cited = response.content
    # Sorted keys: Fantasy re-marshals a server tool call's input.
    assert call == ToolCallContent(
        "srv_1", "web_search", '{"a":1,"query":"tokyo"}', provider_executed=True
    )
    assert first == SourceContent(
        SourceType.URL, "https://t.example", url="https://t.example", title="Tokyo"
    )
    assert isinstance(second, SourceContent) and second.url == "https://j.example"
    assert isinstance(result, ToolResultContent)
    assert (result.tool_call_id, result.tool_name, result.provider_executed) == (
        "srv_1",
        "web_search",
        True,
    )
    assert result.result is None
    assert result.provider_metadata == {
        "anthropic": anthropic.WebSearchResultMetadata(
            results=[
                anthropic.WebSearchResultItem(
                    url="https://t.example",
                    title="Tokyo",
                    encrypted_content="enc",
                    page_age="1 day ago",
                ),
                anthropic.WebSearchResultItem(
                    url="https://j.example", title="Japan", encrypted_content="enc2"
                ),
            ]
        )
    }
    # The citation rides on the text's metadata and is a source of its own.
    citation = anthropic.Citation(
        type="web_search_result_location",
        cited_text="14 million",
        url="https://t.example",
        title="Tokyo",
        encrypted_index="ix",
    )
    assert text == TextContent(
        "About 14 million.", {"anthropic": anthropic.TextMetadata(citations=[citation])}
    )
    assert cited == SourceContent(
        SourceType.URL,
        "https://t.example",
        url="https://t.example",
        title="Tokyo",
        provider_metadata={"anthropic": citation},
    )
    assert response.content.text == "About 14 million."


def test_web_search_error_keeps_its_code() -> None:
    response = parse_message(
        message(
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srv_1",
                "content": {
                    "type": "web_search_tool_result_error",
                    "error_code": "max_uses_exceeded",
                },
            }
        )
    )
    [result] = response.content
    assert isinstance(result, ToolResultContent)
    assert result.provider_metadata == {
        "anthropic": anthropic.WebSearchResultMetadata(error_code="max_uses_exceeded")
    }


def test_unknown_blocks_are_skipped_with_a_warning() -> None:
    response = parse_message(
        message({"type": "hologram", "id": "x"}, {"type": "text", "text": "hi"})
    )
    assert list(response.content) == [TextContent("hi")]
    assert [w.message for w in response.warnings] == [
        "unsupported content block type 'hologram' skipped"
    ]


def test_usage_counts_cache_apart_from_the_total() -> None:
    usage = usage_from(
        {
            "input_tokens": 394,
            "output_tokens": 67,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 50,
            "cache_creation": {"ephemeral_5m_input_tokens": 100},
        }
    )
    assert usage == Usage(
        input_tokens=394,
        output_tokens=67,
        total_tokens=461,
        cache_creation_tokens=100,
        cache_read_tokens=50,
    )


def test_vertex_usage_without_cache_fields() -> None:
    assert usage_from({"input_tokens": 3, "output_tokens": 4}) == Usage(3, 4, 7)
    assert usage_from(None) == Usage()


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("end_turn", FinishReason.STOP),
        ("pause_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("tool_use", FinishReason.TOOL_CALLS),
        ("refusal", FinishReason.CONTENT_FILTER),
        ("content_filtered", FinishReason.CONTENT_FILTER),
        ("guardrail_intervened", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.UNKNOWN),
        (None, FinishReason.UNKNOWN),
    ],
)
def test_finish_reasons(reason: str | None, finish: FinishReason) -> None:
    assert map_finish_reason(reason) is finish
