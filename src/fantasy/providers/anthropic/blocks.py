"""Whole content blocks the Messages API sends the same way whole and streamed: hosted
tool results, MCP calls, citations. Pure code, shared by `response` and `stream`.

A hosted tool's result (``*_tool_result``, ``mcp_tool_result``) becomes a
provider-executed `ToolResultContent`: its ``result`` is what a user reads (the
fetched text, stdout, the tools found, the MCP text; an error code as an error),
its metadata (`ServerToolResultMetadata`) keeps the block's content verbatim for the
next request. Citations on text become `Citation`s on the text's metadata and one
`SourceContent` each.
"""

from __future__ import annotations

import json
from typing import Any

from fantasy.http.shape import arr, as_object, join, shape_error, text
from fantasy.providers.anthropic.options import (
    NAME,
    Citation,
    MCPToolUseMetadata,
    ServerToolResultMetadata,
    TextMetadata,
    ToolCallerMetadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    SourceContent,
    SourceType,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutput,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
)

RESULT_TOOL_NAMES = {
    "web_fetch_tool_result": "web_fetch",
    "code_execution_tool_result": "code_execution",
    "bash_code_execution_tool_result": "bash_code_execution",
    "text_editor_code_execution_tool_result": "text_editor_code_execution",
    "tool_search_tool_result": "tool_search",
    "advisor_tool_result": "advisor",
    "mcp_tool_result": "mcp",
}
"""Hosted tool result blocks (besides web search's) and the tool each answers, when the
call's own name is not known."""

CALL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})

_LOCATIONS = {
    "char_location": ("start_char_index", "end_char_index"),
    "page_location": ("start_page_number", "end_page_number"),
    "content_block_location": ("start_block_index", "end_block_index"),
    "search_result_location": ("start_block_index", "end_block_index"),
    "web_search_result_location": None,
}
"""Citation types and the keys of their start and end."""


def other(message: str) -> CallWarning:
    return CallWarning(CallWarningType.OTHER, message=message)


def unknown_block(kind: str, block: JSON) -> CallWarning:
    if kind == "container_upload":
        return other(
            f"container_upload block (file {block.get('file_id')!r}) is not mapped to content"
        )
    return other(f"unsupported content block type {kind!r} skipped")


# --------------------------------------------------------------------------- calls


def caller_metadata(block: JSON, path: str) -> dict[str, Any] | None:
    """A call's ``caller`` when code execution made it; None for the model's own calls
    (``{"type": "direct"}``, not sent back, as Fantasy does not)."""
    caller = block.get("caller")
    if caller is None:
        return None
    where = join(path, "caller")
    caller = as_object(caller, where)
    kind = text(caller, "type", where)
    if kind in ("", "direct"):
        return None
    return {NAME: ToolCallerMetadata(type=kind, tool_id=text(caller, "tool_id", where))}


def caller_json(metadata: ToolCallerMetadata) -> JSON:
    out: JSON = {"type": metadata.type}
    if metadata.tool_id:
        out["tool_id"] = metadata.tool_id
    return out


def mcp_call(block: JSON, path: str, arguments: str | None = None) -> ToolCallContent:
    """An ``mcp_tool_use`` block: a call the API made to an MCP server's tool."""
    if arguments is None:
        arguments = json.dumps(block.get("input") or {}, ensure_ascii=False, separators=(",", ":"))
    return ToolCallContent(
        text(block, "id", path),
        text(block, "name", path),
        arguments,
        provider_executed=True,
        provider_metadata={NAME: MCPToolUseMetadata(server_name=text(block, "server_name", path))},
    )


# --------------------------------------------------------------------------- results


def _text_of(value: Any) -> str:
    """An MCP result's content: a string, or text blocks."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            item["text"]
            for item in value
            if isinstance(item, dict) and isinstance(item.get("text"), str)
        )
    return ""


def _output(kind: str, content: Any, is_error: bool) -> ToolResultOutput | None:
    """What the user reads of a hosted tool's result."""
    if kind == "mcp_tool_result":
        body = _text_of(content)
        return ToolResultOutputError(body) if is_error else ToolResultOutputText(body)
    if not isinstance(content, dict):
        return None
    inner = content.get("type")
    if isinstance(inner, str) and inner.endswith("_error"):
        message = content.get("error_message") or content.get("error_code") or inner
        return ToolResultOutputError(str(message))
    if inner == "web_fetch_result":
        document = content.get("content")
        source = document.get("source") if isinstance(document, dict) else None
        if isinstance(source, dict) and isinstance(source.get("data"), str):
            if source.get("type") == "base64":
                return ToolResultOutputMedia(source["data"], str(source.get("media_type") or ""))
            return ToolResultOutputText(source["data"])
        return None
    if inner in ("code_execution_result", "bash_code_execution_result"):
        return ToolResultOutputText(str(content.get("stdout") or ""))
    if inner == "encrypted_code_execution_result":
        return ToolResultOutputText("")
    if inner == "text_editor_code_execution_view_result":
        return ToolResultOutputText(str(content.get("content") or ""))
    if inner == "text_editor_code_execution_create_result":
        return ToolResultOutputText("updated" if content.get("is_file_update") else "created")
    if inner == "text_editor_code_execution_str_replace_result":
        lines = content.get("lines")
        return ToolResultOutputText(
            "\n".join(x for x in lines if isinstance(x, str)) if isinstance(lines, list) else ""
        )
    if inner == "tool_search_tool_search_result":
        refs = content.get("tool_references")
        names = [
            r["tool_name"]
            for r in (refs if isinstance(refs, list) else [])
            if isinstance(r, dict) and isinstance(r.get("tool_name"), str)
        ]
        return ToolResultOutputText("\n".join(names))
    if inner == "advisor_result":
        return ToolResultOutputText(str(content.get("text") or ""))
    if inner == "advisor_redacted_result":
        return ToolResultOutputText("")
    return None


def server_result(block: JSON, path: str, call_names: dict[str, str]) -> ToolResultContent:
    """A hosted tool's result block at ``path``; ``call_names`` maps the calls seen so far
    (id to name), which names the tool that answered."""
    kind = text(block, "type", path)
    call_id = text(block, "tool_use_id", path)
    content = block.get("content")
    is_error = block.get("is_error") is True
    if content is None:
        raise shape_error(join(path, "content"), "the result's content", content)
    metadata = ServerToolResultMetadata(block_type=kind, content=content, is_error=is_error)
    return ToolResultContent(
        call_id,
        call_names.get(call_id) or RESULT_TOOL_NAMES[kind],
        _output(kind, content, is_error),
        provider_executed=True,
        provider_metadata={NAME: metadata},
    )


def result_block(part_id: str, metadata: ServerToolResultMetadata) -> JSON:
    """The block a kept result goes back as."""
    block: JSON = {
        "content": metadata.content,
        "tool_use_id": part_id,
        "type": metadata.block_type,
    }
    if metadata.block_type == "mcp_tool_result":
        block["is_error"] = metadata.is_error
    return block


# --------------------------------------------------------------------------- citations


def _int(raw: JSON, key: str, path: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise shape_error(join(path, key), "an integer", value)
    return value


def citation(raw: JSON, path: str) -> Citation | None:
    """One citation, or None for a type the API did not document (the caller warns)."""
    kind = text(raw, "type", path)
    if kind not in _LOCATIONS:
        return None
    keys = _LOCATIONS[kind]
    return Citation(
        type=kind,
        cited_text=text(raw, "cited_text", path),
        document_index=_int(raw, "document_index", path),
        document_title=text(raw, "document_title", path),
        file_id=text(raw, "file_id", path),
        start=_int(raw, keys[0], path) if keys else None,
        end=_int(raw, keys[1], path) if keys else None,
        url=text(raw, "url", path),
        title=text(raw, "title", path),
        encrypted_index=text(raw, "encrypted_index", path),
        source=text(raw, "source", path),
        search_result_index=_int(raw, "search_result_index", path),
    )


def citation_source(c: Citation) -> SourceContent:
    """A citation as a source: a URL for the web and URL-like search results, else a
    document named by its title (its id: ``document-<index>`` or the result's source)."""
    metadata = {NAME: c}
    if c.type == "web_search_result_location":
        return SourceContent(
            SourceType.URL, c.url, url=c.url, title=c.title, provider_metadata=metadata
        )
    if c.type == "search_result_location":
        if c.source.startswith(("http://", "https://")):
            return SourceContent(
                SourceType.URL, c.source, url=c.source, title=c.title, provider_metadata=metadata
            )
        return SourceContent(
            SourceType.DOCUMENT, c.source, title=c.title, provider_metadata=metadata
        )
    return SourceContent(
        SourceType.DOCUMENT,
        c.file_id or f"document-{c.document_index}",
        title=c.document_title,
        media_type="application/pdf" if c.type == "page_location" else "",
        provider_metadata=metadata,
    )


def citations(
    block: JSON, path: str, warnings: list[CallWarning]
) -> tuple[dict[str, Any] | None, list[SourceContent]]:
    """A text block's citations: its metadata (None when it has none) and sources."""
    raw = block.get("citations")
    if raw is None:
        return None, []
    kept: list[Citation] = []
    where = join(path, "citations")
    for i, value in enumerate(arr(block, "citations", path)):
        at = join(where, i)
        item = as_object(value, at)
        found = citation(item, at)
        if found is None:
            warnings.append(other(f"unsupported citation type {item.get('type')!r} skipped"))
        else:
            kept.append(found)
    if not kept:
        return None, []
    return {NAME: TextMetadata(citations=kept)}, [citation_source(c) for c in kept]
