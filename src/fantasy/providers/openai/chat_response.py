"""What Chat Completions reports the same way whole and streamed: finish reasons and
usage. Pure code, shared by the codec and the stream translator."""

from __future__ import annotations

from typing import Any

from fantasy.http.shape import integer, join, obj
from fantasy.types import JSON, FinishReason, Usage

_FINISH_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
}


def map_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", FinishReason.UNKNOWN)


_STANDARD_USAGE_KEYS = frozenset(
    {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    }
)


def extra_usage_fields(raw: JSON) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in _STANDARD_USAGE_KEYS and v is not None}


def usage_from_openai(raw: JSON, path: str = "usage") -> Usage:
    """OpenAI counts cached tokens inside prompt_tokens; Fantasy reports them apart.
    ``raw`` is the usage object, found at ``path``."""
    cached = integer(
        obj(raw, "prompt_tokens_details", path),
        "cached_tokens",
        join(path, "prompt_tokens_details"),
    )
    reasoning = integer(
        obj(raw, "completion_tokens_details", path),
        "reasoning_tokens",
        join(path, "completion_tokens_details"),
    )
    return Usage(
        input_tokens=max(integer(raw, "prompt_tokens", path) - cached, 0),
        output_tokens=integer(raw, "completion_tokens", path),
        total_tokens=integer(raw, "total_tokens", path),
        reasoning_tokens=reasoning,
        cache_read_tokens=cached,
    )
