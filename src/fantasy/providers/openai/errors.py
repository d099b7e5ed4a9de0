"""OpenAI-shaped error bodies (``{"error": {"message", "type", "code"}}``) to `ProviderError`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fantasy import _json
from fantasy.errors import ProviderError, parse_context_limits, title_for_status
from fantasy.http.unexpected import (
    bounded,
    error_fields,
    fallback_message,
    is_transient_code,
    is_transient_kind,
)


def _error_object(body: bytes) -> dict[str, Any] | None:
    """OpenAI's ``error`` object, or the body itself where it is one (vLLM's
    ``{"object": "error", "message", "type", "code"}``)."""
    try:
        data = _json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        return error
    return data if data.get("object") == "error" else None


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
    error = _error_object(body)
    message = ""
    if error is not None and isinstance(error.get("message"), str):
        message = error["message"]
    if not message:
        message = fallback_message(body, status)
    used, maximum = parse_context_limits(message)
    kind = ""
    if error is not None:
        code, kind_type = error.get("code"), error.get("type")
        kind = str(code) if isinstance(code, str) and code else str(kind_type or "")
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
        context_too_large=kind == "context_length_exceeded",
        auth_error=status == 401,
        error_type=kind,
    )


def error_from_stream_payload(payload: dict[str, Any], raw: str, provider: str) -> ProviderError:
    """A ``{"error": ...}`` event (or vLLM's flat ``{"object": "error", ...}``) inside a
    stream (first or later); retryable when its
    type (server_error, overloaded, rate limit) or code (429, 5xx) says the fault is
    the provider's and passing."""
    error = payload.get("error")
    if error is None and payload.get("object") == "error":
        error = payload  # vLLM's flat error event
    message = ""
    kind = ""
    code = 0
    if isinstance(error, dict):
        text = error.get("message")
        message = text if isinstance(text, str) else ""
        _, kind, code = error_fields(error)
        kind = kind or str(error.get("code") or "")
    elif isinstance(error, str):
        message = error
    return ProviderError(
        bounded(message or f"received error while streaming: {raw}"),
        title="stream error",
        provider=provider,
        response_body=raw.encode(),
        transient=is_transient_kind(kind) or is_transient_code(code),
        error_type=kind,
    )
