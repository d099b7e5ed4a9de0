"""What Chat Completions reports the same way whole and streamed: finish reasons and
usage. Pure code, shared by the codec and the stream translator."""

from __future__ import annotations

from typing import Any

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


def usage_from_openai(raw: JSON) -> Usage:
    """OpenAI counts cached tokens inside prompt_tokens; Fantasy reports them apart."""
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return Usage(
        input_tokens=max((raw.get("prompt_tokens") or 0) - cached, 0),
        output_tokens=raw.get("completion_tokens") or 0,
        total_tokens=raw.get("total_tokens") or 0,
        reasoning_tokens=reasoning,
        cache_read_tokens=cached,
    )
