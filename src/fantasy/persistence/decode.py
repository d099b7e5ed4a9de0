"""Fantasy's persisted JSON shapes back into our values (see `fantasy.persistence.api`).

Decoding follows Go's rules where Fantasy's files rely on them (unknown keys are
ignored, a missing or ``null`` field is its zero value, an empty options map is
no options) and is strict everywhere else: a wrong JSON type, an unknown
discriminator or an unknown provider data type raises `SerializationError`
naming the path of the element, never a bare ``KeyError``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from fantasy.call_settings import SETTING_TYPES
from fantasy.errors import FantasyError, SerializationError
from fantasy.model import Call, Response
from fantasy.persistence.dataclass_json import coerce, decode_object, json_kind
from fantasy.persistence.registry import ProviderTypeError, provider_type_class
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    Content,
    FileContent,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    MessagePart,
    ProviderDefinedTool,
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
)

T = TypeVar("T")


def obj(value: Any, path: str, what: str = "an object") -> JSON:
    if not isinstance(value, dict):
        raise SerializationError(path, f"expected {what}, got {json_kind(value)}")
    return value


def array(value: Any, path: str) -> list[Any]:
    """A JSON array; ``null`` is an empty one, as a nil Go slice."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SerializationError(path, f"expected an array, got {json_kind(value)}")
    return value


def field(data: JSON, key: str, hint: type[T], path: str, default: T) -> T:
    raw = data.get(key)
    if raw is None:
        return default
    result: T = coerce(hint, raw, f"{path}.{key}")
    return result


def optional(data: JSON, key: str, hint: type[T], path: str) -> T | None:
    """A field Go declares as a pointer: ``null`` or missing is "not set"."""
    raw = data.get(key)
    if raw is None:
        return None
    result: T = coerce(hint, raw, f"{path}.{key}")
    return result


def _bytes(data: JSON, key: str, path: str) -> bytes:
    raw = field(data, key, str, path, "")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise SerializationError(f"{path}.{key}", "not valid base64") from None


def _enum(kind: type[T], raw: Any, path: str, what: str) -> T:
    if not isinstance(raw, str):
        raise SerializationError(path, f"expected a string, got {json_kind(raw)}")
    try:
        return kind(raw)  # type: ignore[call-arg]
    except ValueError:
        raise SerializationError(path, f'unknown {what} "{raw}"') from None


def envelope(value: Any, path: str, what: str) -> tuple[str, JSON]:
    """The ``type`` and ``data`` of a ``{"type", "data"}`` envelope."""
    env = obj(value, path, f"a {what} object")
    kind = env.get("type")
    if not isinstance(kind, str):
        raise SerializationError(f"{path}.type", f"expected a string, got {json_kind(kind)}")
    if "data" not in env:
        raise SerializationError(path, f'{what} "{kind}" has no "data"')
    data = env["data"]
    return kind, {} if data is None else obj(data, f"{path}.data")


def provider_data(value: Any, path: str) -> dict[str, Any] | None:
    """A provider options/metadata map; each value is typed by its registered type id."""
    if value is None:
        return None
    entries = obj(value, path)
    out: dict[str, Any] = {}
    for key, entry in entries.items():
        if entry is None:
            continue
        where = f"{path}.{key}"
        type_id, data = envelope(entry, where, "provider data")
        try:
            cls = provider_type_class(type_id)
        except ProviderTypeError as exc:
            raise SerializationError(where, str(exc)) from None
        out[key] = decode_object(cls, data, f"{where}.data")
    return out or None


# --------------------------------------------------------------------------- tool outputs


def tool_output(value: Any, path: str) -> ToolResultOutput | None:
    if value is None:
        return None
    kind, data = envelope(value, path, "tool result output")
    where = f"{path}.data"
    if kind == "text":
        return ToolResultOutputText(field(data, "text", str, where, ""))
    if kind == "error":
        return ToolResultOutputError(field(data, "error", str, where, ""))
    if kind == "media":
        return ToolResultOutputMedia(
            field(data, "data", str, where, ""),
            field(data, "media_type", str, where, ""),
            field(data, "text", str, where, ""),
        )
    raise SerializationError(path, f'unknown tool result output type "{kind}"')


# --------------------------------------------------------------------------- message parts


def message_part(value: Any, path: str) -> MessagePart:
    kind, data = envelope(value, path, "message part")
    where = f"{path}.data"
    options = provider_data(data.get("provider_options"), f"{where}.provider_options")
    if kind in ("text", "reasoning"):
        cls = TextPart if kind == "text" else ReasoningPart
        return cls(field(data, "text", str, where, ""), options)
    if kind == "file":
        return FilePart(
            _bytes(data, "data", where),
            field(data, "media_type", str, where, ""),
            field(data, "filename", str, where, ""),
            options,
        )
    if kind == "tool-call":
        return ToolCallPart(
            field(data, "tool_call_id", str, where, ""),
            field(data, "tool_name", str, where, ""),
            field(data, "input", str, where, ""),
            field(data, "provider_executed", bool, where, False),
            options,
            _pending(_extensions(data, where), where),
        )
    if kind == "tool-result":
        return ToolResultPart(
            field(data, "tool_call_id", str, where, ""),
            tool_output(data.get("output"), f"{where}.output"),
            field(data, "provider_executed", bool, where, False),
            options,
            field(data, "client_metadata", str, where, ""),
            _STOP_TURN in _extensions(data, where),
        )
    raise SerializationError(path, f'unknown message part type "{kind}"')


_PENDING_CALL = "fantasy.pending_call"
_STOP_TURN = "fantasy.stop_turn"


def _extensions(data: JSON, path: str) -> dict[str, tuple[JSON, str]]:
    """A part's extension envelopes we know (``fantasy.*``), by type, each with its path.
    Those of other types are skipped, as Fantasy skips them all."""
    raw = data.get("extensions")
    if raw is None:
        return {}
    where = f"{path}.extensions"
    out: dict[str, tuple[JSON, str]] = {}
    for index, item in enumerate(array(raw, where)):
        kind, ext = envelope(item, f"{where}[{index}]", "extension")
        if kind in (_PENDING_CALL, _STOP_TURN):
            out[kind] = (ext, f"{where}[{index}].data")
    return out


def _pending(extensions: dict[str, tuple[JSON, str]], path: str) -> str:
    """The kind of wait a tool call's ``fantasy.pending_call`` extension names; "" when it
    has none."""
    if _PENDING_CALL not in extensions:
        return ""
    ext, where = extensions[_PENDING_CALL]
    pending = field(ext, "kind", str, where, "")
    if pending not in ("approval", "deferred"):
        raise SerializationError(
            f"{where}.kind", f'a pending call is "approval" or "deferred", got {pending!r}'
        )
    return pending


def message(value: Any, path: str) -> Message:
    data = obj(value, path, "a message object")
    role = _enum(Role, data.get("role"), f"{path}.role", "message role")
    parts = [
        message_part(p, f"{path}.content[{i}]")
        for i, p in enumerate(array(data.get("content"), f"{path}.content"))
    ]
    options = provider_data(data.get("provider_options"), f"{path}.provider_options")
    return Message(role, parts, options)


# --------------------------------------------------------------------------- response content


def content(value: Any, path: str) -> Content:
    kind, data = envelope(value, path, "content")
    where = f"{path}.data"
    metadata = provider_data(data.get("provider_metadata"), f"{where}.provider_metadata")
    if kind in ("text", "reasoning"):
        cls = TextContent if kind == "text" else ReasoningContent
        return cls(field(data, "text", str, where, ""), metadata)
    if kind == "file":
        return FileContent(
            _bytes(data, "data", where), field(data, "media_type", str, where, ""), metadata
        )
    if kind == "source":
        return SourceContent(
            _enum(SourceType, data.get("source_type"), f"{where}.source_type", "source type"),
            field(data, "id", str, where, ""),
            field(data, "url", str, where, ""),
            field(data, "title", str, where, ""),
            field(data, "media_type", str, where, ""),
            field(data, "filename", str, where, ""),
            metadata,
        )
    if kind == "tool-call":
        return ToolCallContent(
            field(data, "tool_call_id", str, where, ""),
            field(data, "tool_name", str, where, ""),
            field(data, "input", str, where, ""),
            field(data, "provider_executed", bool, where, False),
            metadata,
            field(data, "invalid", bool, where, False),
            optional(data, "validation_error", str, where),
        )
    if kind == "tool-result":
        return ToolResultContent(
            field(data, "tool_call_id", str, where, ""),
            field(data, "tool_name", str, where, ""),
            tool_output(data.get("result"), f"{where}.result"),
            field(data, "client_metadata", str, where, ""),
            field(data, "provider_executed", bool, where, False),
            metadata,
        )
    raise SerializationError(path, f'unknown content type "{kind}"')


def response_content(value: Any, path: str) -> ResponseContent:
    return ResponseContent(content(c, f"{path}[{i}]") for i, c in enumerate(array(value, path)))


# --------------------------------------------------------------------------- tools, calls


def tool(value: Any, path: str) -> Tool:
    kind, data = envelope(value, path, "tool")
    where = f"{path}.data"
    if kind == "function":
        return FunctionTool(
            field(data, "name", str, where, ""),
            field(data, "description", str, where, ""),
            field(data, "input_schema", dict, where, {}),
            provider_data(data.get("provider_options"), f"{where}.provider_options"),
        )
    if kind == "provider-defined":
        return ProviderDefinedTool(
            field(data, "id", str, where, ""),
            field(data, "name", str, where, ""),
            field(data, "args", dict, where, {}),
        )
    raise SerializationError(path, f'unknown tool type "{kind}"')


def usage(value: Any, path: str) -> Usage:
    data = {} if value is None else obj(value, path)
    return Usage(
        *(
            field(data, key, int, path, 0)
            for key in (
                "input_tokens",
                "output_tokens",
                "total_tokens",
                "reasoning_tokens",
                "cache_creation_tokens",
                "cache_read_tokens",
            )
        )
    )


def warning(value: Any, path: str) -> CallWarning:
    data = obj(value, path)
    raw_tool = data.get("tool")
    return CallWarning(
        _enum(CallWarningType, data.get("type"), f"{path}.type", "warning type"),
        field(data, "setting", str, path, ""),
        None if raw_tool is None else tool(raw_tool, f"{path}.tool"),
        field(data, "details", str, path, ""),
        field(data, "message", str, path, ""),
    )


def _warnings(value: Any, path: str) -> list[CallWarning]:
    return [warning(w, f"{path}[{i}]") for i, w in enumerate(array(value, path))]


def _settings(data: JSON, path: str) -> dict[str, Any]:
    """The generation settings (`fantasy.CallSettings`), each ``null`` or missing when unset."""
    return {name: optional(data, name, kind, path) for name, kind in SETTING_TYPES.items()}


def call(value: Any, path: str) -> Call:
    data = obj(value, path, "a call object")
    return Call(
        prompt=[
            message(m, f"{path}.prompt[{i}]")
            for i, m in enumerate(array(data.get("prompt"), f"{path}.prompt"))
        ],
        **_settings(data, path),
        tools=[
            tool(t, f"{path}.tools[{i}]")
            for i, t in enumerate(array(data.get("tools"), f"{path}.tools"))
        ],
        tool_choice=optional(data, "tool_choice", str, path),
        provider_options=provider_data(data.get("provider_options"), f"{path}.provider_options")
        or {},
    )


def _finish_reason(value: Any, path: str, default: FinishReason | None) -> FinishReason | None:
    if value is None or value == "":
        return default
    return _enum(FinishReason, value, path, "finish reason")


def response(value: Any, path: str) -> Response:
    data = obj(value, path, "a response object")
    return Response(
        content=response_content(data.get("content"), f"{path}.content"),
        finish_reason=_finish_reason(
            data.get("finish_reason"), f"{path}.finish_reason", FinishReason.UNKNOWN
        )
        or FinishReason.UNKNOWN,
        usage=usage(data.get("usage"), f"{path}.usage"),
        warnings=_warnings(data.get("warnings"), f"{path}.warnings"),
        provider_metadata=provider_data(data.get("provider_metadata"), f"{path}.provider_metadata")
        or {},
        response_id=_optional_text(data.get("response_id"), f"{path}.response_id"),
        response_model=_optional_text(data.get("response_model"), f"{path}.response_model"),
    )


def _optional_text(value: Any, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SerializationError(path, f"expected a string, got {json_kind(value)}")


def stream_part(value: Any, path: str) -> StreamPart:
    data = obj(value, path, "a stream part object")
    kind = _enum(StreamPartType, data.get("type"), f"{path}.type", "stream part type")
    part_usage: Usage | None = usage(data.get("usage"), f"{path}.usage")
    if kind is not StreamPartType.FINISH and part_usage == Usage():
        part_usage = None  # Go always writes a usage; only a finish part means one
    source_type = data.get("source_type")
    raw_warnings = data.get("warnings")
    error = field(data, "error", str, path, "")
    result = _carried(data, "tool_result", ToolResultContent, path)
    file = _carried(data, "file", FileContent, path)
    source = _carried(data, "source", SourceContent, path)
    return StreamPart(
        kind,
        id=field(data, "id", str, path, ""),
        delta=field(data, "delta", str, path, ""),
        tool_call_name=field(data, "tool_call_name", str, path, ""),
        tool_call_input=field(data, "tool_call_input", str, path, ""),
        provider_executed=field(data, "provider_executed", bool, path, False),
        usage=part_usage,
        finish_reason=_finish_reason(data.get("finish_reason"), f"{path}.finish_reason", None),
        # Errors lose their type through JSON, as in Fantasy: only the text comes back.
        error=FantasyError(error) if error else None,
        warnings=None if raw_warnings is None else _warnings(raw_warnings, f"{path}.warnings"),
        source_type=None
        if source_type in (None, "")
        else _enum(SourceType, source_type, f"{path}.source_type", "source type"),
        url=field(data, "url", str, path, ""),
        title=field(data, "title", str, path, ""),
        provider_metadata=provider_data(data.get("provider_metadata"), f"{path}.provider_metadata"),
        tool_result=result,
        file=file,
        source=source,
    )


_C = TypeVar("_C", ToolResultContent, FileContent, SourceContent)


def _carried(data: JSON, key: str, kind: type[_C], path: str) -> _C | None:
    """A content object a stream part carries whole under ``key``, of type ``kind``."""
    raw = data.get(key)
    if raw is None:
        return None
    value = content(raw, f"{path}.{key}")
    if not isinstance(value, kind):
        raise SerializationError(f"{path}.{key}", f'expected a {kind.__name__}, got "{value.type}"')
    return value
