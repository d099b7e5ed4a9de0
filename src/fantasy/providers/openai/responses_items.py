"""What the Responses API reports the same way whole and streamed: finish reasons,
usage, reported failures, and the fields of output items. Pure code, shared by the
codec and the stream translator."""

from __future__ import annotations

import uuid
from typing import Any

from fantasy.errors import TRANSIENT_STREAM_ERROR_TYPES, ProviderError
from fantasy.types import JSON, FinishReason, SourceContent, SourceType, Usage


def map_finish_reason(reason: str | None, has_function_call: bool) -> FinishReason:
    """A function call wins; otherwise the reason a response is incomplete, if it is."""
    if has_function_call:
        return FinishReason.TOOL_CALLS
    if not reason:
        return FinishReason.STOP
    if reason in ("max_tokens", "max_output_tokens"):
        return FinishReason.LENGTH
    if reason == "content_filter":
        return FinishReason.CONTENT_FILTER
    return FinishReason.OTHER


def usage_from_responses(raw: JSON | None) -> Usage:
    """OpenAI counts cached tokens inside input_tokens; Fantasy reports them apart, and
    totals input + output itself rather than trusting ``total_tokens``."""
    raw = raw or {}
    input_tokens = raw.get("input_tokens") or 0
    output_tokens = raw.get("output_tokens") or 0
    cached = (raw.get("input_tokens_details") or {}).get("cached_tokens") or 0
    return Usage(
        input_tokens=max(input_tokens - cached, 0),
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        reasoning_tokens=(raw.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
        cache_read_tokens=cached,
    )


def failure(title: str, error: Any, provider: str) -> ProviderError:
    """A failure the API reported in a well-formed answer: its message and code, retryable
    only when the code says the fault was the provider's and passing."""
    error = error if isinstance(error, dict) else {}
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    code = error.get("code") if isinstance(error.get("code"), str) else ""
    text = message or "the provider reported a failure without a message"
    return ProviderError(
        f"{text} (code: {code})" if code else text,
        title=title,
        provider=provider,
        transient=code in TRANSIENT_STREAM_ERROR_TYPES,
        error_type=code,
    )


def arguments(item: JSON) -> str:
    arguments = item.get("arguments")
    return arguments if isinstance(arguments, str) else ""


def annotation_source(annotation: Any) -> SourceContent | None:
    if not isinstance(annotation, dict):
        return None
    kind = annotation.get("type")
    if kind == "url_citation":
        return SourceContent(
            SourceType.URL,
            str(uuid.uuid4()),
            url=text_field(annotation.get("url")),
            title=text_field(annotation.get("title")),
        )
    if kind == "file_citation":
        filename = text_field(annotation.get("filename"))
        return SourceContent(
            SourceType.DOCUMENT,
            str(uuid.uuid4()),
            title=filename or "Document",
            media_type="text/plain",
            filename=filename or text_field(annotation.get("file_id")),
        )
    return None


def text_field(value: Any) -> str:
    return value if isinstance(value, str) else ""
