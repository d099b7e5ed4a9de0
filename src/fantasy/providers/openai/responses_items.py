"""What the Responses API reports the same way whole and streamed: finish reasons,
usage, reported failures, and the fields of output items. Pure code, shared by the
codec and the stream translator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fantasy.errors import TRANSIENT_STREAM_ERROR_TYPES, ProviderError
from fantasy.http.shape import integer, join, obj, objects, text
from fantasy.persistence.registry import persisted
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FinishReason,
    SourceContent,
    SourceType,
    Usage,
)


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
    if kind in ("file_citation", "container_file_citation", "file_path"):
        filename = text(annotation, "filename", path)
        file_id = text(annotation, "file_id", path)
        citation = FileCitation(
            file_id=file_id, container_id=text(annotation, "container_id", path)
        )
        return SourceContent(
            SourceType.DOCUMENT,
            str(uuid.uuid4()),
            title=filename or "Document",
            media_type="text/plain",
            filename=filename or file_id,
            provider_metadata={"openai": citation},
        )
    return None


@persisted("openai.responses.file_citation", omit_empty=["container_id"])
@dataclass(slots=True, kw_only=True)
class FileCitation:
    """On a document source: the cited file (``file_citation`` from file search, or,
    with ``container_id``, a file the code interpreter made: ``container_file_citation``
    and ``file_path`` annotations). Download a container file from
    ``/v1/containers/{container_id}/files/{file_id}/content``."""

    file_id: str
    container_id: str = ""


KNOWN_ANNOTATIONS = frozenset(
    {"url_citation", "file_citation", "container_file_citation", "file_path"}
)


def is_known_annotation(annotation: JSON) -> bool:
    return annotation.get("type") in KNOWN_ANNOTATIONS


def reasoning_texts(item: JSON, path: str) -> list[str]:
    """The raw reasoning text parts of a reasoning item (``content``)."""
    return [
        text(part, "text", f"{path}.content[{i}]")
        for i, part in enumerate(objects(item, "content", path))
        if part.get("type") in ("reasoning_text", None)
    ]


def reasoning_text(metadata: Any) -> str:
    """A reasoning item's text: its summaries joined by newlines, then its raw text."""
    joined = "\n".join(metadata.summary)
    raw = "".join(metadata.content)
    if not raw:
        return joined
    return f"{joined}\n{raw}" if joined else raw


class Unknowns:
    """What a response held that this translator does not read: one warning per type,
    never a silent drop."""

    __slots__ = ("seen", "warnings")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.warnings: list[CallWarning] = []

    def add(self, what: str, kind: str) -> CallWarning | None:
        """A warning for the first ``what`` of type ``kind``; None when already said."""
        key = f"{what}:{kind}"
        if key in self.seen:
            return None
        self.seen.add(key)
        warning = CallWarning(
            CallWarningType.OTHER,
            message=f"unsupported Responses API {what} type {kind!r} ignored",
        )
        self.warnings.append(warning)
        return warning
