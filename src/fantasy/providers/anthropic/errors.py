"""Anthropic error bodies and stream error events to `ProviderError`.

Anthropic's shape is ``{"type": "error", "error": {"type", "message"}}``; Bedrock
answers errors with ``{"message": ...}`` and Vertex's own front end with
``{"error": {"code", "message", "status"}}``. The provider's message is kept in
each case. Whether retrying can help follows the error type (an overloaded or
rate-limited server) as well as the HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fantasy import _json
from fantasy.errors import ProviderError, title_for_status
from fantasy.http.unexpected import bounded, fallback_message, is_transient_kind

_CONTEXT_TOO_LONG = re.compile(r"prompt is too long:\s*(\d+)\s*tokens?\s*>\s*(\d+)\s*maximum")

_STREAM_TITLES = {
    "overloaded_error": "provider overloaded",
    "rate_limit_error": "rate limit exceeded",
    "": "provider stream error",
}

BEDROCK_TRANSIENT_EXCEPTIONS = frozenset(
    {
        "throttlingException",
        "internalServerException",
        "serviceUnavailableException",
        "modelStreamErrorException",
        "modelNotReadyException",
    }
)
"""Bedrock stream exceptions that say "try again later" rather than "this request is wrong"."""


def _parse(body: bytes) -> Any:
    try:
        return _json.loads(body)
    except ValueError:
        return None


def _error_fields(data: Any) -> tuple[str, str]:
    """(type, message) from any of the error shapes in front of Claude."""
    if not isinstance(data, dict):
        return "", ""
    error = data.get("error")
    if isinstance(error, dict):
        # Read leniently: a field of the wrong type is left out, so the error is still
        # reported as the error it is.
        kind = error.get("type") or error.get("status") or ""
        message = error.get("message") or ""
        return (
            kind if isinstance(kind, str) else "",
            message if isinstance(message, str) else "",
        )
    message = data.get("message") or data.get("Message") or ""
    return "", message if isinstance(message, str) else ""


def context_limits(message: str) -> tuple[int, int] | None:
    """(used, maximum) tokens when Anthropic says the prompt is too long."""
    match = _CONTEXT_TOO_LONG.search(message)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def error_from_response(
    *,
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    url: str,
    request_body: bytes = b"",
) -> ProviderError:
    """An HTTP error status, with the provider's own message when the body has one."""
    kind, message = _error_fields(_parse(body))
    if not message:
        message = fallback_message(body, status)
    limits = context_limits(message)
    used, maximum = limits or (0, 0)
    return ProviderError(
        bounded(message),
        title=title_for_status(status) or "provider request failed",
        provider=provider,
        url=url,
        status_code=status,
        request_body=request_body,
        response_body=body,
        response_headers=headers,
        context_used_tokens=used,
        context_max_tokens=maximum,
        context_too_large=limits is not None,
        auth_error=status in (401, 403),
        transient=is_transient_kind(kind),
        error_type=kind,
    )


def stream_error(payload: str, provider: str) -> ProviderError:
    """An ``error`` event inside a stream; retryable when the fault is passing and theirs."""
    kind, message = _error_fields(_parse(payload.encode()))
    title = _STREAM_TITLES.get(kind, kind.replace("_", " "))
    return ProviderError(
        bounded(message or payload),
        title=title,
        provider=provider,
        response_body=payload.encode(),
        transient=is_transient_kind(kind),
        error_type=kind,
    )
