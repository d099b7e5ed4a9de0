"""Fantasy messages to the Messages API's ``system`` and ``messages``. Pure code.

The API alternates user and assistant turns, so consecutive messages of one role
are merged and tool results join the user turn. Only the first run of system
messages becomes ``system`` (later ones are skipped, as in Fantasy). A cache
breakpoint set on a message marks that message's last block.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from fantasy import _json
from fantasy.providers.anthropic.blocks import RESULT_TOOL_NAMES, caller_json, result_block
from fantasy.providers.anthropic.options import (
    NAME,
    MCPToolUseMetadata,
    ServerToolResultMetadata,
    ToolCallerMetadata,
    WebSearchResultMetadata,
    has_cache_control,
    reasoning_metadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FilePart,
    Message,
    MessagePart,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

EPHEMERAL: JSON = {"type": "ephemeral"}

_USER_VISIBLE = frozenset({"text", "image", "document", "tool_result"})
_ASSISTANT_VISIBLE = frozenset(
    {"text", "tool_use", "server_tool_use", "mcp_tool_use", "web_search_tool_result"}
    | RESULT_TOOL_NAMES.keys()
)

# Anthropic accepts only these in a document title. ASCII whitespace only: Go's \s,
# which Fantasy uses, does not match Unicode spaces (they are replaced instead).
_TITLE_DISALLOWED = re.compile(r"[^a-zA-Z0-9\t\n\f\r \-()\[\]]")
_TITLE_WHITESPACE = re.compile(r"[\t\n\f\r ]+")


def document_title(filename: str) -> str:
    """A filename the API accepts as a title: other characters become spaces, runs collapse."""
    title = _TITLE_WHITESPACE.sub(" ", _TITLE_DISALLOWED.sub(" ", filename)).strip(" ")
    return title or "Document"


def _other(message: str) -> CallWarning:
    return CallWarning(CallWarningType.OTHER, message=message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _group(prompt: list[Message]) -> list[tuple[Role, list[Message]]]:
    """Consecutive messages of one turn, with tool messages counted as user turns."""
    blocks: list[tuple[Role, list[Message]]] = []
    for message in prompt:
        role = Role.USER if message.role is Role.TOOL else message.role
        if blocks and blocks[-1][0] is role:
            blocks[-1][1].append(message)
        else:
            blocks.append((role, [message]))
    return blocks


def _cached(part: MessagePart, message: Message, index: int) -> bool:
    """The part's own breakpoint, or the message's when this is its last part."""
    if has_cache_control(part.provider_options):
        return True
    return index == len(message.content) - 1 and has_cache_control(message.provider_options)


def _mark(block: JSON, cached: bool) -> JSON:
    if cached:
        block["cache_control"] = dict(EPHEMERAL)
    return block


def to_prompt(
    prompt: list[Message], send_reasoning: bool = True
) -> tuple[list[JSON], list[JSON], list[CallWarning]]:
    """``(system blocks, messages, warnings)`` for the request body."""
    system: list[JSON] = []
    messages: list[JSON] = []
    warnings: list[CallWarning] = []
    system_done = False
    for role, group in _group(prompt):
        if role is Role.SYSTEM:
            if not system_done:
                system_done = True
                system.extend(_system_blocks(group))
        elif role is Role.USER:
            content = _user_blocks(group, warnings)
            if not any(block["type"] in _USER_VISIBLE for block in content):
                warnings.append(
                    _other(
                        "dropping empty user message (contains neither user-facing content "
                        "nor tool results)"
                    )
                )
                continue
            messages.append({"content": content, "role": "user"})
        elif role is Role.ASSISTANT:
            content = _assistant_blocks(group, send_reasoning, warnings)
            if not any(block["type"] in _ASSISTANT_VISIBLE for block in content):
                warnings.append(
                    _other(
                        "dropping empty assistant message (contains neither user-facing "
                        "content nor tool calls)"
                    )
                )
                continue
            messages.append({"content": content, "role": "assistant"})
    return system, messages, warnings


def _system_blocks(group: list[Message]) -> list[JSON]:
    blocks: list[JSON] = []
    for message in group:
        for index, part in enumerate(message.content):
            if isinstance(part, TextPart):
                block = {"text": part.text, "type": "text"}
                blocks.append(_mark(block, _cached(part, message, index)))
    return blocks


# --------------------------------------------------------------------------- user turns


def _user_blocks(group: list[Message], warnings: list[CallWarning]) -> list[JSON]:
    content: list[JSON] = []
    for message in group:
        for index, part in enumerate(message.content):
            cached = _cached(part, message, index)
            if message.role is Role.TOOL:
                if isinstance(part, ToolResultPart):
                    content.append(_mark(_tool_result(part), cached))
            elif isinstance(part, TextPart):
                content.append(_mark({"text": part.text, "type": "text"}, cached))
            elif isinstance(part, FilePart):
                block = _file(part, warnings)
                if block is not None:
                    content.append(_mark(block, cached))
    return content


def _file(part: FilePart, warnings: list[CallWarning]) -> JSON | None:
    media_type = part.media_type
    if media_type.startswith("image/"):
        return {
            "source": {"data": _b64(part.data), "media_type": media_type, "type": "base64"},
            "type": "image",
        }
    if media_type == "application/pdf":
        return {
            "source": {"data": _b64(part.data), "media_type": "application/pdf", "type": "base64"},
            "title": document_title(part.filename),
            "type": "document",
        }
    if media_type.startswith("text/"):
        # Plain-text documents travel as text, not base64, and always as text/plain.
        return {
            "source": {
                "data": part.data.decode("utf-8", errors="replace"),
                "media_type": "text/plain",
                "type": "text",
            },
            "title": document_title(part.filename),
            "type": "document",
        }
    warnings.append(_other(f"file part media type {media_type} not supported"))
    return None


def _tool_result(part: ToolResultPart) -> JSON:
    """Content is always a list of blocks; media goes as an image block (PDFs as a document)."""
    block: JSON = {"tool_use_id": part.tool_call_id, "type": "tool_result"}
    output = part.output
    if isinstance(output, ToolResultOutputText):
        block["content"] = [{"text": output.text, "type": "text"}]
    elif isinstance(output, ToolResultOutputError):
        block["content"] = [{"text": output.error, "type": "text"}]
        block["is_error"] = True
    elif isinstance(output, ToolResultOutputMedia):
        # A PDF goes as a document: Fantasy sends every media type as an image block,
        # which the API refuses for PDFs.
        kind = "document" if output.media_type == "application/pdf" else "image"
        content: list[JSON] = [
            {
                "source": {"data": output.data, "media_type": output.media_type, "type": "base64"},
                "type": kind,
            }
        ]
        if output.text:
            content.append({"text": output.text, "type": "text"})
        block["content"] = content
    return block


# --------------------------------------------------------------------------- assistant turns


def _assistant_blocks(
    group: list[Message], send_reasoning: bool, warnings: list[CallWarning]
) -> list[JSON]:
    content: list[JSON] = []
    for message in group:
        for index, part in enumerate(message.content):
            if isinstance(part, TextPart):
                block = {"text": part.text, "type": "text"}
                content.append(_mark(block, _cached(part, message, index)))
            elif isinstance(part, ReasoningPart):
                thinking = _thinking(part, send_reasoning, warnings)
                if thinking is not None:
                    content.append(thinking)
            elif isinstance(part, ToolCallPart):
                if part.provider_executed:
                    content.append(_server_tool_use(part, warnings))
                else:
                    block = {
                        "id": part.tool_call_id,
                        "input": _input_object(part, warnings),
                        "name": part.tool_name,
                        "type": "tool_use",
                    }
                    _add_caller(block, part)
                    content.append(_mark(block, _cached(part, message, index)))
            elif isinstance(part, ToolResultPart) and part.provider_executed:
                kept = (part.provider_options or {}).get(NAME)
                if isinstance(kept, ServerToolResultMetadata):
                    content.append(result_block(part.tool_call_id, kept))
                else:
                    content.append(_web_search_result(part))
    return content


def _add_caller(block: JSON, part: ToolCallPart) -> None:
    """A call code execution made goes back with its caller."""
    caller = (part.provider_options or {}).get(NAME)
    if isinstance(caller, ToolCallerMetadata):
        block["caller"] = caller_json(caller)


def _thinking(
    part: ReasoningPart, send_reasoning: bool, warnings: list[CallWarning]
) -> JSON | None:
    """A thinking block goes back only with its signature (or as redacted data)."""
    if not send_reasoning:
        warnings.append(_other("sending reasoning content is disabled for this model"))
        return None
    metadata = reasoning_metadata(part.provider_options)
    if metadata is not None and metadata.signature:
        return {"signature": metadata.signature, "thinking": part.text, "type": "thinking"}
    if metadata is not None and metadata.redacted_data:
        return {"data": metadata.redacted_data, "type": "redacted_thinking"}
    warnings.append(_other("unsupported reasoning metadata"))
    return None


def _input_object(part: ToolCallPart, warnings: list[CallWarning]) -> Any:
    """The call's arguments as an object. Never drops the block: the API rejects a
    tool_result whose tool_use is missing, so bad input is sent as ``{}``."""
    if not part.input.strip():
        return {}
    try:
        value = _json.loads(part.input)
        if value is not None and not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    except ValueError as exc:
        warnings.append(
            _other(
                f'tool call "{part.tool_call_id}" has malformed input JSON; emitting empty '
                f"arguments to preserve tool_use ↔ tool_result pairing: {exc}"
            )
        )
        return {}
    return value or {}


def _server_tool_use(part: ToolCallPart, warnings: list[CallWarning]) -> JSON:
    """A hosted tool's call (an MCP server's, when its metadata says so); ``input`` is left
    out when there is none (or it is null)."""
    mcp = (part.provider_options or {}).get(NAME)
    if isinstance(mcp, MCPToolUseMetadata):
        return {
            "id": part.tool_call_id,
            "input": _input_object(part, warnings),
            "name": part.tool_name,
            "server_name": mcp.server_name,
            "type": "mcp_tool_use",
        }
    block: JSON = {"id": part.tool_call_id, "name": part.tool_name, "type": "server_tool_use"}
    _add_caller(block, part)
    if not part.input.strip():
        return block
    try:
        value = _json.loads(part.input)
    except ValueError as exc:
        warnings.append(
            _other(
                f'server tool call "{part.tool_call_id}" has malformed input JSON; emitting '
                f"empty arguments to preserve tool_use ↔ tool_result pairing: {exc}"
            )
        )
        return block
    if value is not None:
        block["input"] = value
    return block


def _web_search_result(part: ToolResultPart) -> JSON:
    """The server's search results, replayed from metadata (encrypted content included)."""
    metadata = (part.provider_options or {}).get(NAME)
    content: Any = []
    if isinstance(metadata, WebSearchResultMetadata):
        if metadata.results:
            content = []
            for item in metadata.results:
                result: JSON = {
                    "encrypted_content": item.encrypted_content,
                    "title": item.title,
                    "type": "web_search_result",
                    "url": item.url,
                }
                if item.page_age:
                    result["page_age"] = item.page_age
                content.append(result)
        elif metadata.error_code:
            content = {"error_code": metadata.error_code, "type": "web_search_tool_result_error"}
    return {"content": content, "tool_use_id": part.tool_call_id, "type": "web_search_tool_result"}
