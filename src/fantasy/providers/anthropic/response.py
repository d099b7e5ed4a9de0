"""A Messages API response (the ``Message`` object) to a `Response`. Pure code.

Shared pieces of the streamed path live here too: the finish-reason map, usage,
and the web search result content, which arrive whole in both.
"""

from __future__ import annotations

import json
from typing import Any

from fantasy.http.shape import arr, as_object, integer, join, label, obj, shape_error, text
from fantasy.model import Response
from fantasy.providers.anthropic.blocks import (
    RESULT_TOOL_NAMES,
    caller_metadata,
    citations,
    mcp_call,
    server_result,
    unknown_block,
)
from fantasy.providers.anthropic.options import (
    NAME,
    MessageMetadata,
    ReasoningMetadata,
    WebSearchResultItem,
    WebSearchResultMetadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
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


PAUSE_TURN = "pause_turn"
"""The stop reason of a turn Anthropic paused (a server tool ran long): the answer, sent
back as it is, lets the model go on (`fantasy.Response.turn_paused`)."""


def map_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", FinishReason.UNKNOWN)


def usage_from(raw: JSON | None, path: str = "usage") -> Usage:
    """Cache tokens are reported apart and left out of the total, as Fantasy does."""
    raw = as_object(raw, path)
    input_tokens = integer(raw, "input_tokens", path)
    output_tokens = integer(raw, "output_tokens", path)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cache_creation_tokens=integer(raw, "cache_creation_input_tokens", path),
        cache_read_tokens=integer(raw, "cache_read_input_tokens", path),
    )


def reasoning_metadata(signature: str = "", redacted_data: str = "") -> dict[str, Any] | None:
    """Metadata for a thinking block, or None when there is nothing to send back."""
    if signature:
        return {NAME: ReasoningMetadata(signature=signature)}
    if redacted_data:
        return {NAME: ReasoningMetadata(redacted_data=redacted_data)}
    return None


def web_search_results(block: JSON, path: str) -> tuple[list[SourceContent], ToolResultContent]:
    """A ``web_search_tool_result`` block (at ``path``): one source per result, then the
    tool result whose metadata keeps what the next turn must send back. Its content is
    the list of results, or an error object."""
    sources: list[SourceContent] = []
    metadata: WebSearchResultMetadata | None = None
    content = block.get("content")
    where = join(path, "content")
    if isinstance(content, list):
        if content:
            items: list[WebSearchResultItem] = []
            for i, value in enumerate(content):
                at = join(where, i)
                item = as_object(value, at)
                url, title = text(item, "url", at), text(item, "title", at)
                sources.append(SourceContent(SourceType.URL, url, url=url, title=title))
                items.append(
                    WebSearchResultItem(
                        url=url,
                        title=title,
                        encrypted_content=text(item, "encrypted_content", at),
                        page_age=text(item, "page_age", at),
                    )
                )
            metadata = WebSearchResultMetadata(results=items)
    elif isinstance(content, dict):
        error_code = text(content, "error_code", where)
        if error_code:
            metadata = WebSearchResultMetadata(error_code=error_code)
    elif content is not None:
        raise shape_error(where, "an array or an object", content)
    result = ToolResultContent(
        text(block, "tool_use_id", path),
        "web_search",
        None,
        provider_executed=True,
        provider_metadata={NAME: metadata} if metadata is not None else None,
    )
    return sources, result


class BlockReader:
    """Whole content blocks to content, for one message: remembers the calls seen (which
    name the results that answer them) and what it could not read (warnings)."""

    def __init__(self) -> None:
        self.warnings: list[CallWarning] = []
        self.call_names: dict[str, str] = {}

    def read(self, block: JSON, path: str) -> list[Content]:
        kind = text(block, "type", path)
        if kind == "text":
            metadata, sources = citations(block, path, self.warnings)
            return [TextContent(text(block, "text", path), metadata), *sources]
        if kind == "thinking":
            signature = text(block, "signature", path)
            return [
                ReasoningContent(
                    text(block, "thinking", path), {NAME: ReasoningMetadata(signature=signature)}
                )
            ]
        if kind == "redacted_thinking":
            redacted = text(block, "data", path)
            return [ReasoningContent("", {NAME: ReasoningMetadata(redacted_data=redacted)})]
        if kind == "tool_use":
            encoded = json.dumps(
                obj(block, "input", path), ensure_ascii=False, separators=(",", ":")
            )
            return [
                ToolCallContent(
                    text(block, "id", path),
                    text(block, "name", path),
                    encoded,
                    provider_metadata=caller_metadata(block, path),
                )
            ]
        if kind == "server_tool_use":
            call = server_call(block, path)
            self.call_names[call.tool_call_id] = call.tool_name
            return [call]
        if kind == "mcp_tool_use":
            call = mcp_call(block, path)
            self.call_names[call.tool_call_id] = call.tool_name
            return [call]
        if kind == "web_search_tool_result":
            sources, result = web_search_results(block, path)
            return [*sources, result]
        if kind in RESULT_TOOL_NAMES:
            return [server_result(block, path, self.call_names)]
        self.warnings.append(unknown_block(kind, block))
        return []


def server_call(block: JSON, path: str) -> ToolCallContent:
    """A ``server_tool_use`` block. Sorted keys, as Fantasy re-marshals the input of server
    tool calls (a missing input is re-marshalled as null, as Go does)."""
    server_input = block.get("input")
    if server_input is not None:
        as_object(server_input, join(path, "input"))
    encoded = json.dumps(server_input, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return ToolCallContent(
        text(block, "id", path),
        text(block, "name", path),
        encoded,
        provider_executed=True,
        provider_metadata=caller_metadata(block, path),
    )


def message_metadata(
    container: Any, path: str, stop_details: Any = None, details_path: str = "stop_details"
) -> dict[str, Any]:
    """``{"anthropic": MessageMetadata}`` when the message names a container or says
    why it stopped (``stop_details``: a refusal's category and explanation), else {}."""
    if container is None and stop_details is None:
        return {}
    metadata = MessageMetadata()
    if container is not None:
        container = as_object(container, path)
        metadata.container_id = text(container, "id", path)
        metadata.container_expires_at = text(container, "expires_at", path)
    if stop_details is not None:
        metadata.stop_details = as_object(stop_details, details_path)
    return {NAME: metadata}


def parse_message(data: JSON) -> Response:
    content = ResponseContent()
    reader = BlockReader()
    for i, block in enumerate(arr(data, "content")):
        path = join("content", i)
        content.extend(reader.read(as_object(block, path), path))
    stop_reason = text(data, "stop_reason")
    return Response(
        content,
        map_finish_reason(stop_reason),
        usage_from(data.get("usage")),
        reader.warnings,
        message_metadata(data.get("container"), "container", data.get("stop_details")),
        stop_reason,
        response_id=label(data, "id"),
        response_model=label(data, "model"),
        turn_paused=stop_reason == PAUSE_TURN,
    )
