"""Our values as Fantasy's persisted JSON shapes (see `fantasy.persistence.api`).

Every polymorphic value is an envelope ``{"type": ..., "data": {...}}``; fields
Go tags ``omitempty`` are left out when empty, the others always written (``null``
for unset), so a Go program reading the output sees what it would have written.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from fantasy.call_settings import values as settings_values
from fantasy.errors import SerializationError
from fantasy.model import Call, Response
from fantasy.persistence.dataclass_json import encode
from fantasy.persistence.registry import ProviderTypeError, provider_type_id
from fantasy.types import (
    JSON,
    CallWarning,
    FileContent,
    FilePart,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningContent,
    ReasoningPart,
    SourceContent,
    StreamPart,
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

EXTENSIONS = "extensions"
"""A key Fantasy's structs do not have, so Go's decoder skips it: our extension
envelopes ride in a part's ``data`` under it (see README, "Human in the loop")."""
PENDING_CALL = "fantasy.pending_call"
"""The extension marking a tool call a paused run waits on: ``{"kind": "approval"}`` or
``{"kind": "deferred"}`` (`fantasy.ToolCallPart.pending`)."""
STOP_TURN = "fantasy.stop_turn"
"""The extension marking a tool result that ended the run (`fantasy.ToolResultPart.stop_turn`),
which Fantasy does not persist."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _put(out: JSON, key: str, value: Any) -> None:
    """Go's omitempty: set only a value that is not empty."""
    if value:
        out[key] = value


def provider_data(data: Mapping[str, Any] | None, path: str) -> JSON | None:
    """A provider options/metadata map, each value in its typed envelope; None when empty."""
    if not data:
        return None
    out: JSON = {}
    for key, value in data.items():
        if value is None:
            continue
        where = f"{path}.{key}"
        try:
            type_id = provider_type_id(type(value))
        except ProviderTypeError as exc:
            raise SerializationError(where, str(exc)) from None
        out[key] = {"type": type_id, "data": encode(value, f"{where}.data")}
    return out or None


def envelope(kind: str, data: JSON) -> JSON:
    return {"type": kind, "data": data}


# --------------------------------------------------------------------------- tool outputs


def tool_output(output: Any, path: str) -> JSON | None:
    if output is None:
        return None
    if isinstance(output, ToolResultOutputText):
        return envelope("text", {"text": output.text})
    if isinstance(output, ToolResultOutputError):
        return envelope("error", {"error": output.error})
    if isinstance(output, ToolResultOutputMedia):
        data: JSON = {"data": output.data, "media_type": output.media_type}
        _put(data, "text", output.text)
        return envelope("media", data)
    raise SerializationError(path, f"not a tool result output: {type(output).__qualname__}")


# --------------------------------------------------------------------------- message parts


def message_part(part: Any, path: str) -> JSON:
    where = f"{path}.data"
    options = f"{where}.provider_options"
    data: JSON
    if isinstance(part, TextPart | ReasoningPart):
        data = {"text": part.text}
    elif isinstance(part, FilePart):
        data = {"filename": part.filename, "data": _b64(part.data), "media_type": part.media_type}
    elif isinstance(part, ToolCallPart):
        data = {
            "tool_call_id": part.tool_call_id,
            "tool_name": part.tool_name,
            "input": part.input,
            "provider_executed": part.provider_executed,
        }
        if part.pending:
            data[EXTENSIONS] = [envelope(PENDING_CALL, {"kind": part.pending})]
    elif isinstance(part, ToolResultPart):
        data = {
            "tool_call_id": part.tool_call_id,
            "output": tool_output(part.output, f"{where}.output"),
            "provider_executed": part.provider_executed,
        }
        _put(data, "provider_options", provider_data(part.provider_options, options))
        _put(data, "client_metadata", part.client_metadata)
        if part.stop_turn:
            data[EXTENSIONS] = [envelope(STOP_TURN, {})]
        return envelope(part.type.value, data)
    else:
        raise SerializationError(path, f"not a message part: {type(part).__qualname__}")
    _put(data, "provider_options", provider_data(part.provider_options, options))
    return envelope(part.type.value, data)


def message(msg: Message, path: str) -> JSON:
    return {
        "role": msg.role.value,
        "content": [message_part(p, f"{path}.content[{i}]") for i, p in enumerate(msg.content)],
        "provider_options": provider_data(msg.provider_options, f"{path}.provider_options"),
    }


# --------------------------------------------------------------------------- response content


def content(item: Any, path: str) -> JSON:
    where = f"{path}.data"
    data: JSON
    if isinstance(item, TextContent | ReasoningContent):
        data = {"text": item.text}
    elif isinstance(item, FileContent):
        data = {"media_type": item.media_type, "data": _b64(item.data)}
    elif isinstance(item, SourceContent):
        data = {"source_type": item.source_type.value, "id": item.id}
        for key in ("url", "title", "media_type", "filename"):
            _put(data, key, getattr(item, key))
    elif isinstance(item, ToolCallContent):
        data = {
            "tool_call_id": item.tool_call_id,
            "tool_name": item.tool_name,
            "input": item.input,
            "provider_executed": item.provider_executed,
        }
    elif isinstance(item, ToolResultContent):
        # stop_turn is not persisted, as in Fantasy: it steers the run that made it.
        data = {
            "tool_call_id": item.tool_call_id,
            "tool_name": item.tool_name,
            "result": tool_output(item.result, f"{where}.result"),
        }
        _put(data, "client_metadata", item.client_metadata)
        data["provider_executed"] = item.provider_executed
    else:
        raise SerializationError(path, f"not response content: {type(item).__qualname__}")
    metadata = provider_data(item.provider_metadata, f"{where}.provider_metadata")
    _put(data, "provider_metadata", metadata)
    if isinstance(item, ToolCallContent):
        _put(data, "invalid", item.invalid)
        if item.validation_error is not None:
            data["validation_error"] = item.validation_error
    return envelope(item.type.value, data)


# --------------------------------------------------------------------------- tools, calls


def tool(value: Any, path: str) -> JSON:
    if isinstance(value, FunctionTool):
        data: JSON = {
            "name": value.name,
            "description": value.description,
            "input_schema": encode(value.input_schema, f"{path}.data.input_schema"),
        }
        options = provider_data(value.provider_options, f"{path}.data.provider_options")
        _put(data, "provider_options", options)
        return envelope("function", data)
    if isinstance(value, ProviderDefinedTool):
        args = encode(value.args, f"{path}.data.args")
        return envelope("provider-defined", {"id": value.id, "name": value.name, "args": args})
    raise SerializationError(path, f"not a tool: {type(value).__qualname__}")


def usage(value: Usage | None) -> JSON:
    value = value or Usage()
    return {
        "input_tokens": value.input_tokens,
        "output_tokens": value.output_tokens,
        "total_tokens": value.total_tokens,
        "reasoning_tokens": value.reasoning_tokens,
        "cache_creation_tokens": value.cache_creation_tokens,
        "cache_read_tokens": value.cache_read_tokens,
    }


def warning(value: CallWarning, path: str) -> JSON:
    return {
        "type": value.type.value,
        "setting": value.setting,
        "tool": None if value.tool is None else tool(value.tool, f"{path}.tool"),
        "details": value.details,
        "message": value.message,
    }


def call(value: Call, path: str) -> JSON:
    """Headers and the user agent stay out, as in Fantasy: they are transport settings."""
    return {
        "prompt": [message(m, f"{path}.prompt[{i}]") for i, m in enumerate(value.prompt)],
        **settings_values(value),
        "tools": [tool(t, f"{path}.tools[{i}]") for i, t in enumerate(value.tools)],
        "tool_choice": value.tool_choice,
        "provider_options": provider_data(value.provider_options, f"{path}.provider_options"),
    }


def response(value: Response, path: str) -> JSON:
    out: JSON = {
        "content": [content(c, f"{path}.content[{i}]") for i, c in enumerate(value.content)],
        "finish_reason": value.finish_reason.value,
        "usage": usage(value.usage),
        "warnings": [warning(w, f"{path}.warnings[{i}]") for i, w in enumerate(value.warnings)],
        "provider_metadata": provider_data(value.provider_metadata, f"{path}.provider_metadata"),
    }
    # Fantasy's Response has no such fields: written only when known, which Go's
    # decoder skips as unknown keys.
    if value.response_id is not None:
        out["response_id"] = value.response_id
    if value.response_model is not None:
        out["response_model"] = value.response_model
    return out


def stream_part(part: StreamPart, path: str) -> JSON:
    warnings = part.warnings
    out: JSON = {
        "type": part.type.value,
        "id": part.id,
        "tool_call_name": part.tool_call_name,
        "tool_call_input": part.tool_call_input,
        "delta": part.delta,
        "provider_executed": part.provider_executed,
        "usage": usage(part.usage),
        "finish_reason": part.finish_reason.value if part.finish_reason is not None else "",
        "warnings": None
        if warnings is None
        else [warning(w, f"{path}.warnings[{i}]") for i, w in enumerate(warnings)],
        "source_type": part.source_type.value if part.source_type is not None else "",
        "url": part.url,
        "title": part.title,
        "provider_metadata": provider_data(part.provider_metadata, f"{path}.provider_metadata"),
    }
    if part.error is not None:
        # Only the text survives, as in Fantasy ("title: message" for our errors).
        out["error"] = str(part.error) or type(part.error).__name__
    # Not in Fantasy's StreamPart (Go ignores these keys): the result of a tool the
    # agent ran, a generated file, a whole citation; kept so a saved stream loads whole.
    for key, value in (
        ("tool_result", part.tool_result),
        ("file", part.file),
        ("source", part.source),
    ):
        if value is not None:
            out[key] = content(value, f"{path}.{key}")
    return out
