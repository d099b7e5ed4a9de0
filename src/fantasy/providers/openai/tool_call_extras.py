"""What a Chat Completions server puts on a tool call beyond OpenAI's fields, kept to
be sent back on that call.

Gemini's OpenAI-compatible endpoint puts each call's thought signature in
``tool_calls[i].extra_content`` (``{"google": {"thought_signature": "..."}}``, whole
or streamed, sometimes in a delta of its own) and Gemini 3 answers the next request
with a 400 error when a call of the current turn comes back without it. The object
is kept as it came, under the provider's options key on the call's metadata, and
sent back only to a provider of that key.
"""

from __future__ import annotations

from typing import Any

from fantasy._record import Record
from fantasy.http.shape import as_object, join
from fantasy.persistence.registry import persisted
from fantasy.types import JSON


@persisted("openai.tool_call_extra_content")
class ToolCallExtraContent(Record):
    """``ToolCallContent.provider_metadata[<options key>]``: the call's ``extra_content``."""

    __slots__ = ("extra_content",)

    extra_content: dict[str, Any]

    def __init__(self, *, extra_content: dict[str, Any]) -> None:
        self.extra_content = extra_content


def extra_content_of(tool_call: JSON, where: str) -> dict[str, Any] | None:
    """A wire tool call's ``extra_content`` object (None when it has none)."""
    value = tool_call.get("extra_content")
    if value is None:
        return None
    return as_object(value, join(where, "extra_content")) or None


def merged(kept: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    """``more`` over ``kept``, one level down too (``{"google": {...}}`` in pieces)."""
    out = dict(kept or {})
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out
