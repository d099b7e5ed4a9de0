"""Save conversations as JSON and load them back, in the format Fantasy (Go) uses.

A history saved by a Go program built on Fantasy loads here, and the other way
round, so an agent can stop, move to another process (or language) and go on.

    text = fantasy.to_json(messages)                       # save
    messages = fantasy.from_json(text, list[fantasy.Message])  # load
    agent.generate(messages=messages)                      # continue

What can be saved: messages and their parts, response content, tool result
outputs, tools, calls, responses, stream parts, usage, warnings, and provider
options/metadata maps. Polymorphic values are ``{"type", "data"}`` envelopes,
bytes are standard base64, and provider option/metadata values are typed by
Fantasy's type ids through `fantasy.persistence.registry`. ``to_dict``/``from_dict`` work on
plain JSON values (for embedding in a larger document); ``to_json``/``from_json``
on text. Loading bad input raises `fantasy.errors.SerializationError` naming
where it went wrong, e.g. ``messages[3].content[1].data.provider_options.openai:
unknown provider data type "foo.bar"``.

Not saved, as in Fantasy: a call's headers and user agent, and a tool result's
``stop_turn``. Errors in stream parts keep only their text.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from fantasy import _json
from fantasy.errors import SerializationError
from fantasy.model import Call, Response
from fantasy.persistence import decode as load
from fantasy.persistence import encode as save
from fantasy.types import (
    CallWarning,
    Content,
    FileContent,
    FilePart,
    FunctionTool,
    Message,
    MessagePart,
    ProviderDefinedTool,
    ProviderOptions,
    ReasoningContent,
    ReasoningPart,
    ResponseContent,
    SourceContent,
    StreamPart,
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

__all__ = ["SerializationError", "from_dict", "from_json", "to_dict", "to_json"]

T = TypeVar("T")

_Encoder = Callable[[Any, str], Any]
_Decoder = Callable[[Any, str], Any]

_PARTS = (TextPart, ReasoningPart, FilePart, ToolCallPart, ToolResultPart)
_CONTENT = (
    TextContent,
    ReasoningContent,
    FileContent,
    SourceContent,
    ToolCallContent,
    ToolResultContent,
)
_OUTPUTS = (ToolResultOutputText, ToolResultOutputError, ToolResultOutputMedia)
_TOOLS = (FunctionTool, ProviderDefinedTool)


def _provider_map_out(value: Any, path: str) -> Any:
    return save.provider_data(value, path) or {}


def _provider_map_in(value: Any, path: str) -> Any:
    return load.provider_data(value, path) or {}


def _usage_out(value: Any, path: str) -> Any:
    return save.usage(value)


# Each saveable kind: how to write it, how to read it, and what its root is called in
# error paths. Unions (MessagePart, Content, ...) and their members share one codec.
_KINDS: list[tuple[tuple[type, ...], _Encoder, _Decoder, str]] = [
    ((Message,), save.message, load.message, "message"),
    (_PARTS, save.message_part, load.message_part, "part"),
    (_CONTENT, save.content, load.content, "content"),
    (_OUTPUTS, save.tool_output, load.tool_output, "output"),
    (_TOOLS, save.tool, load.tool, "tool"),
    ((Call,), save.call, load.call, "call"),
    ((Response,), save.response, load.response, "response"),
    ((StreamPart,), save.stream_part, load.stream_part, "stream_part"),
    ((Usage,), _usage_out, load.usage, "usage"),
    ((CallWarning,), save.warning, load.warning, "warning"),
]

_UNIONS: dict[Any, tuple[type, ...]] = {
    MessagePart: _PARTS,
    Content: _CONTENT,
    ToolResultOutput: _OUTPUTS,
    Tool: _TOOLS,
}


def _plural(root: str) -> str:
    return root if root == "content" else f"{root}s"


# --------------------------------------------------------------------------- saving


def to_dict(value: Any) -> Any:
    """``value`` as plain JSON values (dicts, lists, strings, numbers, booleans, None).

    Lists (a prompt, response content) become arrays; a mapping is taken as a
    provider options/metadata map.
    """
    return _encode(value, _root_of(value))


def to_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text (compact, as Go's ``json.Marshal``, unless ``indent``).

    The text is always valid Unicode, ready to be written as UTF-8: a lone surrogate
    in a string (half of an emoji, a file name read with ``surrogateescape``) is saved
    as U+FFFD, as Go's encoder does with invalid UTF-8, rather than left to fail the
    write.
    """
    separators = (",", ":") if indent is None else None
    text = json.dumps(to_dict(value), ensure_ascii=False, indent=indent, separators=separators)
    return _json.valid_text(text)


def _root_of(value: Any) -> str:
    if isinstance(value, list | tuple):
        return _plural(_root_of(value[0])) if value else "items"
    if isinstance(value, Mapping):
        return "provider_options"
    for classes, _, _, root in _KINDS:
        if isinstance(value, classes):
            return root
    return "value"


def _encode(value: Any, path: str) -> Any:
    if isinstance(value, list | tuple):
        return [_encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return _provider_map_out(value, path)
    for classes, encode, _, _ in _KINDS:
        if isinstance(value, classes):
            return encode(value, path)
    hint = ""
    if callable(getattr(value, "all_messages", None)):
        hint = "; save the conversation with to_json(result.all_messages())"
    raise SerializationError(path, f"cannot save a value of type {type(value).__qualname__}{hint}")


# --------------------------------------------------------------------------- loading


@overload
def from_dict(data: Any, kind: type[T], *, path: str | None = None) -> T: ...
@overload
def from_dict(data: Any, kind: Any, *, path: str | None = None) -> Any: ...
def from_dict(data: Any, kind: Any, *, path: str | None = None) -> Any:
    """Load ``kind`` from plain JSON values, as `to_dict` wrote them (or Fantasy did).

    ``kind`` is a class (``fantasy.Message``, ``fantasy.Response``, ...), a union
    alias (``fantasy.MessagePart``, ``fantasy.Content``, ``fantasy.types.Tool``,
    ``fantasy.types.ToolResultOutput``), ``fantasy.ResponseContent``,
    ``fantasy.types.ProviderOptions`` (or ``ProviderMetadata``) for a provider
    map, or ``list[...]`` of any of these. ``path`` names the root in error
    messages (default: from ``kind``, e.g. ``messages``).
    """
    decode, root = _decoder(kind)
    return decode(data, root if path is None else path)


@overload
def from_json(text: str | bytes, kind: type[T], *, path: str | None = None) -> T: ...
@overload
def from_json(text: str | bytes, kind: Any, *, path: str | None = None) -> Any: ...
def from_json(text: str | bytes, kind: Any, *, path: str | None = None) -> Any:
    """Load ``kind`` from JSON text; see `from_dict` for the kinds.

    Bytes that are not UTF-8 are read with U+FFFD in place of each bad sequence, and a
    lone surrogate (``"\\ud83d"`` without its other half) becomes U+FFFD; JSON nested
    more than 200 levels deep is a `SerializationError` naming where.
    """
    decode, root = _decoder(kind)
    root = root if path is None else path
    try:
        data = _json.loads(text)
    except _json.JSONDepthError as exc:
        reason = f"not valid JSON: nested more than {_json.MAX_DEPTH} levels deep"
        raise SerializationError(_under(root, exc.path), reason) from None
    except ValueError as exc:
        raise SerializationError(root, f"not valid JSON: {exc}") from None
    return decode(data, root)


def _under(root: str, path: str) -> str:
    """``path`` (``[0].content``) inside the element called ``root``."""
    if not path:
        return root
    return f"{root}{path}" if path.startswith("[") else f"{root}.{path}"


def _decoder(kind: Any) -> tuple[_Decoder, str]:
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind) or (Any,)
        decode_item, root = _decoder(item)

        def decode_list(data: Any, path: str) -> list[Any]:
            return [decode_item(v, f"{path}[{i}]") for i, v in enumerate(load.array(data, path))]

        return decode_list, _plural(root)
    if kind is ResponseContent:
        return load.response_content, "content"
    if kind == ProviderOptions:
        return _provider_map_in, "provider_options"
    classes = _UNIONS.get(kind)
    if classes is not None:
        return _decoder_for(classes[0], None)
    if isinstance(kind, type):
        return _decoder_for(kind, kind)
    raise TypeError(f"cannot load {kind!r}: not a kind fantasy.persistence.api knows")


def _decoder_for(cls: type, exact: type | None) -> tuple[_Decoder, str]:
    for classes, _, decode, root in _KINDS:
        if cls in classes:
            if exact is None or len(classes) == 1:
                return decode, root
            return _checked(decode, exact), root
    raise TypeError(f"cannot load {cls.__qualname__}: not a kind fantasy.persistence.api knows")


def _checked(decode: _Decoder, cls: type) -> _Decoder:
    """Decode a member of a union, and insist on getting that member."""

    def decode_exact(data: Any, path: str) -> Any:
        value = decode(data, path)
        if not isinstance(value, cls):
            got = getattr(value, "type", type(value).__name__)
            raise SerializationError(path, f'expected {cls.__name__}, got "{got}"')
        return value

    return decode_exact
