"""Google's error bodies (``{"error": {"code", "message", "status", "details"}}``) to
`ProviderError`.

The streaming endpoint may wrap the object in a one-element list; a body that
is not JSON keeps its raw text as the message, as Google's SDK does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fantasy import _json
from fantasy.errors import ProviderError, title_for_status
from fantasy.http.unexpected import bounded, fallback_message

_CONTEXT_PATTERN = re.compile(r"input token count.*?(\d+).*?exceeds.*?maximum.*?(\d+)", re.S)

_TRANSIENT_STATUSES = frozenset(
    {"UNAVAILABLE", "INTERNAL", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}
)
"""gRPC-style statuses that mean the fault is Google's and passing."""


def error_object(payload: Any) -> dict[str, Any] | None:
    """The ``error`` object of a decoded body, whether bare or wrapped in a list."""
    if isinstance(payload, list) and payload:
        payload = payload[0]
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    return error if isinstance(error, dict) else None


def _is_auth_error(status: int, error: dict[str, Any]) -> bool:
    if status in (401, 403):
        return True
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and detail.get("reason") == "API_KEY_INVALID":
            return True
    return False


def provider_error(
    error: dict[str, Any] | None,
    *,
    status: int,
    raw: bytes,
    provider: str,
    url: str = "",
    title: str = "",
    headers: Mapping[str, str] | None = None,
    request_body: bytes = b"",
) -> ProviderError:
    """One error, from the HTTP status and whatever Google said about it."""
    # Read leniently: a field of the wrong type is left out, so the error is still
    # reported as the error it is.
    error = error or {}
    code = error.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and code > 0:
        status = code
    kind = error.get("status")
    if not isinstance(kind, str):
        kind = ""
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = fallback_message(raw, status)
    match = _CONTEXT_PATTERN.search(message)
    used, maximum = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    return ProviderError(
        bounded(message),
        title=title_for_status(status) or title or "provider request failed",
        provider=provider,
        url=url,
        status_code=status,
        request_body=request_body,
        response_body=raw,
        response_headers=headers,
        context_used_tokens=used,
        context_max_tokens=maximum,
        context_too_large=match is not None,
        auth_error=_is_auth_error(status, error),
        transient=kind in _TRANSIENT_STATUSES,
        error_type=kind,
    )


def error_from_response(
    *,
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    url: str,
    request_body: bytes = b"",
) -> ProviderError:
    """An HTTP error status, with Google's own message when the body has one."""
    try:
        payload = _json.loads(body)
    except ValueError:
        payload = None
    return provider_error(
        error_object(payload),
        status=status,
        raw=body,
        provider=provider,
        url=url,
        headers=headers,
        request_body=request_body,
    )


def error_from_stream_payload(
    error: dict[str, Any], raw: str, provider: str, url: str
) -> ProviderError:
    """An error event inside a stream that had started well."""
    return provider_error(
        error, status=0, raw=raw.encode(), provider=provider, url=url, title="stream error"
    )
