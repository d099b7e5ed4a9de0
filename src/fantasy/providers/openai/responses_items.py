"""What the Responses API reports the same way whole and streamed: finish reasons,
usage, reported failures, and the fields of output items. Pure code, shared by the
codec and the stream translator."""

from __future__ import annotations

import uuid

from fantasy.errors import TRANSIENT_STREAM_ERROR_TYPES, ProviderError
from fantasy.http.shape import integer, join, obj, text
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


def usage_from_responses(raw: JSON, path: str) -> Usage:
    """OpenAI counts cached tokens inside input_tokens; Fantasy reports them apart, and
    totals input + output itself rather than trusting ``total_tokens``. ``raw`` is the
    usage object, found at ``path``."""
    input_tokens = integer(raw, "input_tokens", path)
    output_tokens = integer(raw, "output_tokens", path)
    cached = integer(
        obj(raw, "input_tokens_details", path), "cached_tokens", join(path, "input_tokens_details")
    )
    reasoning = integer(
        obj(raw, "output_tokens_details", path),
        "reasoning_tokens",
        join(path, "output_tokens_details"),
    )
    return Usage(
        input_tokens=max(input_tokens - cached, 0),
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        reasoning_tokens=reasoning,
        cache_read_tokens=cached,
    )


def failure(title: str, error: JSON, provider: str, path: str) -> ProviderError:
    """A failure the API reported in a well-formed answer (``error``, found at ``path``):
    its message and code, retryable only when the code says the fault was the provider's
    and passing."""
    message = text(error, "message", path)
    code = text(error, "code", path)
    described = message or "the provider reported a failure without a message"
    return ProviderError(
        f"{described} (code: {code})" if code else described,
        title=title,
        provider=provider,
        transient=code in TRANSIENT_STREAM_ERROR_TYPES,
        error_type=code,
    )


def arguments(item: JSON, path: str) -> str:
    """The arguments of a ``function_call`` item found at ``path``."""
    return text(item, "arguments", path)


def annotation_source(annotation: JSON, path: str) -> SourceContent | None:
    """The source an annotation (found at ``path``) cites; None for other annotations."""
    kind = text(annotation, "type", path)
    if kind == "url_citation":
        return SourceContent(
            SourceType.URL,
            str(uuid.uuid4()),
            url=text(annotation, "url", path),
            title=text(annotation, "title", path),
        )
    if kind == "file_citation":
        filename = text(annotation, "filename", path)
        return SourceContent(
            SourceType.DOCUMENT,
            str(uuid.uuid4()),
            title=filename or "Document",
            media_type="text/plain",
            filename=filename or text(annotation, "file_id", path),
        )
    return None
