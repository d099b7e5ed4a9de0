"""A Messages API response (the ``Message`` object) to a `Response`. Pure code.

Shared pieces of the streamed path live here too: the finish-reason map, usage,
and the web search result content, which arrive whole in both.
"""

from __future__ import annotations

import json
from typing import Any

from fantasy.model import Response
from fantasy.providers.anthropic.options import (
    NAME,
    ReasoningMetadata,
    WebSearchResultItem,
    WebSearchResultMetadata,
)
from fantasy.types import (
    JSON,
    Content,
    FinishReason,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    SourceType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

_FINISH_REASONS = {
    "end_turn": FinishReason.STOP,
    "pause_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    # Bedrock reports guardrail blocks with its own stop reasons.
    "refusal": FinishReason.CONTENT_FILTER,
    "content_filtered": FinishReason.CONTENT_FILTER,
    "guardrail_intervened": FinishReason.CONTENT_FILTER,
}


def map_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", FinishReason.UNKNOWN)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from(raw: JSON | None) -> Usage:
    """Cache tokens are reported apart and left out of the total, as Fantasy does."""
    raw = raw or {}
    input_tokens = _int(raw.get("input_tokens"))
    output_tokens = _int(raw.get("output_tokens"))
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cache_creation_tokens=_int(raw.get("cache_creation_input_tokens")),
        cache_read_tokens=_int(raw.get("cache_read_input_tokens")),
    )


def reasoning_metadata(signature: str = "", redacted_data: str = "") -> dict[str, Any] | None:
    """Metadata for a thinking block, or None when there is nothing to send back."""
    if signature:
        return {NAME: ReasoningMetadata(signature=signature)}
    if redacted_data:
        return {NAME: ReasoningMetadata(redacted_data=redacted_data)}
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def web_search_results(block: JSON) -> tuple[list[SourceContent], ToolResultContent]:
    """A ``web_search_tool_result`` block: one source per result, then the tool result
    whose metadata keeps what the next turn must send back."""
    sources: list[SourceContent] = []
    metadata: WebSearchResultMetadata | None = None
    content = block.get("content")
    if isinstance(content, list) and content:
        items: list[WebSearchResultItem] = []
        for item in content:
            if not isinstance(item, dict):
                continue
            url, title = _text(item.get("url")), _text(item.get("title"))
            sources.append(SourceContent(SourceType.URL, url, url=url, title=title))
            items.append(
                WebSearchResultItem(
                    url=url,
                    title=title,
                    encrypted_content=_text(item.get("encrypted_content")),
                    page_age=_text(item.get("page_age")),
                )
            )
        metadata = WebSearchResultMetadata(results=items)
    elif isinstance(content, dict) and _text(content.get("error_code")):
        metadata = WebSearchResultMetadata(error_code=content["error_code"])
    result = ToolResultContent(
        _text(block.get("tool_use_id")),
        "web_search",
        None,
        provider_executed=True,
        provider_metadata={NAME: metadata} if metadata is not None else None,
    )
    return sources, result


def _content(block: JSON) -> list[Content]:
    kind = block.get("type")
    if kind == "text":
        return [TextContent(_text(block.get("text")))]
    if kind == "thinking":
        signature = _text(block.get("signature"))
        return [
            ReasoningContent(
                _text(block.get("thinking")), {NAME: ReasoningMetadata(signature=signature)}
            )
        ]
    if kind == "redacted_thinking":
        redacted = _text(block.get("data"))
        return [ReasoningContent("", {NAME: ReasoningMetadata(redacted_data=redacted)})]
    if kind == "tool_use":
        arguments = block.get("input")
        text = (
            "{}"
            if arguments is None
            else json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        )
        return [ToolCallContent(_text(block.get("id")), _text(block.get("name")), text)]
    if kind == "server_tool_use":
        # Sorted keys, as Fantasy re-marshals the input of server tool calls.
        text = json.dumps(
            block.get("input"), ensure_ascii=False, separators=(",", ":"), sort_keys=True
        )
        return [
            ToolCallContent(
                _text(block.get("id")), _text(block.get("name")), text, provider_executed=True
            )
        ]
    if kind == "web_search_tool_result":
        sources, result = web_search_results(block)
        return [*sources, result]
    return []


def parse_message(data: JSON) -> Response:
    content = ResponseContent()
    for block in data.get("content") or ():
        if isinstance(block, dict):
            content.extend(_content(block))
    return Response(
        content,
        map_finish_reason(data.get("stop_reason")),
        usage_from(data.get("usage")),
        [],
        {},
        str(data.get("stop_reason") or ""),
    )
