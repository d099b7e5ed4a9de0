"""Responses that are not what the request asked for, reported precisely.

A proxy, a captive portal or a misconfigured ``base_url`` answers with things no
provider sends: a redirect, an HTML page with status 200, a JSON error object
with status 200 where an event stream belongs. Left alone, these look like a cut
stream (retried for half a minute) or a vague parse failure. Here each becomes a
`ProviderError` that says what arrived (status, content type, the first bytes of
the body with credentials redacted) and is retryable only when the server said
its fault was passing.

Shared by every provider through `fantasy.http.transport`; pure code, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fantasy import _json
from fantasy.errors import (
    TRANSIENT_STREAM_ERROR_TYPES,
    ProviderError,
    parse_context_limits,
    redact_bytes,
    title_for_status,
)

PREVIEW_BYTES = 200
"""How much of an unexpected body an error message quotes."""
MESSAGE_CHARS = 2000
"""The longest provider message an error carries in its text (the body stays whole in
``response_body``): never megabytes in an exception message."""
JSON_DOCUMENT_LIMIT = 1 << 20
"""How much of a JSON document arriving in place of a stream is read to report it."""

REDACTED = b"[REDACTED]"

SSE = "text/event-stream"
AWS_EVENT_STREAM = "application/vnd.amazon.eventstream"

_SUCCESS_KEYS = frozenset({"choices", "candidates", "content", "output"})
"""Keys of a successful answer: a body with one of them is a response, even if it also
has an ``error`` key (the Responses API sends ``"error": null``, or the failure of a
response it still describes)."""

_TRANSIENT_KINDS = TRANSIENT_STREAM_ERROR_TYPES | {
    "overloaded",
    "rate_limit_exceeded",
    "rate_limited",
    "too_many_requests",
    "service_unavailable",
    "unavailable",
    "internal",
    "resource_exhausted",
    "deadline_exceeded",
    "timeout",
}
_TRANSIENT_WORDS = ("overload", "rate_limit", "ratelimit", "throttl", "unavailable", "timeout")
_AUTH_KINDS = frozenset(
    {"authentication_error", "invalid_api_key", "permission_error", "unauthenticated"}
)
_WHITESPACE = re.compile(rb"\s+")
_SSE_START = re.compile(rb"^(?::|data:|data\n|data\r|event:|id:|retry:)")


# --------------------------------------------------------------------------- text


def redact(content: bytes, secrets: tuple[bytes, ...]) -> bytes:
    """``content`` with every credential value in ``secrets`` replaced by ``[REDACTED]``,
    and every long enough run of one (`fantasy.errors.redact_bytes`)."""
    return redact_bytes(content, secrets)


def preview(content: bytes, limit: int = PREVIEW_BYTES, *, whole: bool = True) -> str:
    """The first ``limit`` bytes of a body as one line of text, saying how long it was
    (``whole=False``: the body went on past ``content``, which was not read)."""
    if not content.strip() and whole:
        return "an empty body" if not content else f"{len(content)} bytes of whitespace"
    head = _WHITESPACE.sub(b" ", content[:limit].strip()).decode("utf-8", errors="replace")
    if not whole:
        return f"{head!r}… (more followed)"
    if len(content) > limit:
        return f"{head!r}… ({len(content)} bytes in all)"
    return repr(head)


def bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def fallback_message(body: bytes, status: int) -> str:
    """An error body with no message the provider's shape names: the message of a shape
    other servers use (`flat_error_message`), else its text, bounded."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return f"HTTP {status}"
    if text[:1] == "{" and len(body) <= JSON_DOCUMENT_LIMIT:
        try:
            found = flat_error_message(_json.loads(body))
        except ValueError:
            found = ""
        if found:
            return bounded(found)
    if len(body) > PREVIEW_BYTES and (body.lstrip()[:1] == b"<" or len(text) > MESSAGE_CHARS):
        return f"HTTP {status} with {preview(body)}"
    return bounded(text)


def flat_error_message(data: Any) -> str:
    """The message of an error body that is not its provider's envelope, in the shapes
    servers in front of models use: a top-level ``message`` (vLLM's ``{"object":
    "error", "message", "type", "code"}``, AWS), ``{"error": "..."}`` (Ollama),
    ``{"error": {"message": ...}}``, FastAPI's ``{"detail": "..."}`` and its list of
    validation errors (``loc`` and ``msg`` each); "" when the body has none."""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    for value in (data.get("message"), data.get("Message"), error):
        if isinstance(value, str) and value.strip():
            return value
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return "; ".join(filter(None, (_validation_error(item) for item in detail)))
    return ""


def _validation_error(item: Any) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
        return ""
    where = item.get("loc")
    if isinstance(where, list) and where:
        return f"{'.'.join(str(step) for step in where)}: {item['msg']}"
    return str(item["msg"])


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without parameters, lower case; "" when there is none."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def _is_json_type(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def _is_markup_type(kind: str) -> bool:
    return kind in ("text/html", "application/xhtml+xml", "text/xml", "application/xml")


def describe(status: int, headers: Mapping[str, str], content: bytes, *, whole: bool = True) -> str:
    kind = media_type(headers) or "no Content-Type"
    return f"HTTP {status}, {kind}, {preview(content, whole=whole)}"


_HINT = (
    "a proxy, a captive portal or a wrong base_url answers like this; "
    "check that base_url points at the provider's API"
)


# --------------------------------------------------------------------------- error objects


def _code_number(code: Any) -> int:
    if isinstance(code, bool):
        return 0
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return 0


def is_transient_kind(kind: str) -> bool:
    """Whether an error type or status names a passing fault of the server's."""
    lowered = kind.lower()
    return lowered in _TRANSIENT_KINDS or any(word in lowered for word in _TRANSIENT_WORDS)


def is_transient_code(code: int) -> bool:
    """The HTTP statuses `ProviderError.is_retryable` retries, given as an error code."""
    return code in (408, 409, 429) or code >= 500


def error_fields(error: Any) -> tuple[str, str, int]:
    """(message, kind, numeric code) of an ``error`` value in any provider's shape."""
    if isinstance(error, str):
        return error, "", 0
    if not isinstance(error, dict):
        return "", "", 0
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = json.dumps(error, ensure_ascii=False, default=str)
    code = error.get("code")
    kind = error.get("type") or error.get("status")
    if not kind and isinstance(code, str) and not code.isdigit():
        kind = code
    return message, str(kind or ""), _code_number(code)


def envelope(data: Any) -> Any:
    """The ``error`` value of a body that is an error object rather than an answer
    (``{"error": {...}}``, Anthropic's ``{"type": "error", ...}``, Google's one-element
    list); None for anything else."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if not error or not isinstance(error, (dict, str)):
        return None
    if not _SUCCESS_KEYS.isdisjoint(data):
        return None
    return error


def envelope_error(
    error: Any,
    *,
    provider: str,
    url: str,
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    secrets: tuple[bytes, ...] = (),
) -> ProviderError:
    """A successful status whose body is an error object: the provider's own message,
    retryable only when its type or code says the fault is passing."""
    message, kind, code = error_fields(error)
    if secrets:
        message = redact(message.encode(), secrets).decode("utf-8", errors="replace")
    used, maximum = parse_context_limits(message)
    detail = ", ".join(filter(None, [kind, f"code {code}" if code else ""]))
    where = f"in an HTTP {status} response"
    return ProviderError(
        f"{bounded(message)} ({detail}, {where})" if detail else f"{bounded(message)} ({where})",
        title=title_for_status(code) if code >= 400 else "provider error",
        provider=provider,
        url=url,
        status_code=status,
        response_body=body,
        response_headers=headers,
        context_used_tokens=used,
        context_max_tokens=maximum,
        auth_error=code in (401, 403) or kind.lower() in _AUTH_KINDS,
        transient=is_transient_kind(kind) or is_transient_code(code),
        error_type=kind or (str(code) if code else ""),
    )


# --------------------------------------------------------------------------- whole responses


def redirect_error(
    status: int,
    headers: Mapping[str, str],
    url: str,
    *,
    provider: str = "",
    base_url: str = "",
) -> ProviderError:
    """A 3xx answer: never followed (the body and the credentials would go along to
    wherever it points), reported with where it points and the base_url that would
    reach it directly."""
    from urllib.parse import urljoin  # only when a redirect happens: kept off import

    location = next((v for k, v in headers.items() if k.lower() == "location"), "")
    if not location:
        message = f"the server answered HTTP {status}, a redirect, without saying where to"
    else:
        target = urljoin(url, location)
        message = f"the server answered HTTP {status}, redirecting to {target!r}"
        suggestion = _suggested_base_url(url, target, base_url)
        if suggestion:
            message += f"; if that is the right endpoint, set base_url={suggestion!r}"
        else:
            message += "; if that is the right endpoint, point base_url at it"
    message += " (redirects are not followed: the request and its credentials would go along)"
    return ProviderError(
        message,
        title="unexpected redirect",
        provider=provider,
        url=url,
        status_code=status,
        response_headers=headers,
    )


def _suggested_base_url(url: str, target: str, base_url: str) -> str:
    """The base URL under which the redirected request would have gone to ``target``."""
    if not base_url or not url.startswith(base_url):
        return ""
    rest = url[len(base_url) :]
    target_path = target.split("?", 1)[0]
    rest_path = rest.split("?", 1)[0]
    if rest_path and target_path.endswith(rest_path):
        return target_path[: len(target_path) - len(rest_path)]
    return ""


def not_json_error(
    status: int, headers: Mapping[str, str], content: bytes, url: str, provider: str, reason: str
) -> ProviderError:
    """A successful status whose body is not the JSON object every provider answers with.
    ``reason`` (the parser's complaint) is shown when the body claims to be JSON."""
    kind = media_type(headers)
    why = f" ({reason})" if not kind or _is_json_type(kind) else ""
    return ProviderError(
        f"expected a JSON object but got {describe(status, headers, content)}{why}; {_HINT}",
        title="invalid provider response",
        provider=provider,
        url=url,
        status_code=status,
        response_body=content,
        response_headers=headers,
    )


def json_body(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    url: str,
    provider: str,
    secrets: tuple[bytes, ...] = (),
) -> dict[str, Any]:
    """A successful body as a JSON object; an error object or anything else is an error
    (whose text and body have ``secrets`` redacted). Read by `fantasy._json.loads`: bytes
    that are not UTF-8 become U+FFFD, nesting past 200 levels is not JSON we take."""
    try:
        data = _json.loads(content)
    except _json.JSONDepthError as exc:
        # Valid JSON, maybe, but deeper than anything a provider answers: not read.
        raise ProviderError(
            f"the response body is {exc}, deeper than fantasy reads",
            title="invalid provider response",
            provider=provider,
            url=url,
            status_code=status,
            response_body=redact(content, secrets),
            response_headers=headers,
        ) from None
    except ValueError as exc:
        shown = redact(content, secrets)
        raise not_json_error(
            status, headers, shown, url, provider, f"not valid JSON: {exc}"
        ) from exc
    error = envelope(data)
    if error is not None:
        raise envelope_error(
            error,
            provider=provider,
            url=url,
            status=status,
            body=redact(content, secrets),
            headers=headers,
            secrets=secrets,
        )
    if not isinstance(data, dict):
        shown = redact(content, secrets)
        raise not_json_error(status, headers, shown, url, provider, f"a JSON {type(data).__name__}")
    return data


# --------------------------------------------------------------------------- streams


def not_a_stream_error(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    url: str,
    provider: str,
    expected: str,
    *,
    whole: bool = True,
) -> ProviderError:
    """``whole=False``: only the start of the body was read (a stream may never end)."""
    got = describe(status, headers, content, whole=whole)
    return ProviderError(
        f"expected an event stream ({expected}) but got {got}; {_HINT}",
        title="invalid provider response",
        provider=provider,
        url=url,
        status_code=status,
        response_body=content,
        response_headers=headers,
    )


class StreamSniffer:
    """Looks at the start of a successful stream before any of it is decoded.

    `feed` holds chunks back until the first bytes show what the body is, then
    hands back everything held (the stream goes on untouched) or raises: a JSON
    document (an error object, or an answer to a request that was not streamed)
    is read whole and reported with the provider's message; markup (an HTML page),
    or a Content-Type that is neither the expected framing nor JSON and a body that
    does not look like it, is reported with its first bytes. A missing Content-Type
    is accepted, as is an empty body (the stream decoder reports that as cut short).
    """

    __slots__ = (
        "_expected",
        "_headers",
        "_held",
        "_json",
        "_provider",
        "_secrets",
        "_size",
        "_status",
        "_url",
    )

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        url: str,
        provider: str,
        expected: str,
        secrets: tuple[bytes, ...] = (),
    ):
        self._secrets = secrets
        self._status = status
        self._headers = headers
        self._url = url
        self._provider = provider
        self._expected = expected
        self._held: list[bytes] = []
        self._size = 0
        self._json = False

    def feed(self, chunk: bytes) -> bytes | None:
        """The bytes to pass on once the body is judged a stream; None while still looking."""
        self._held.append(chunk)
        self._size += len(chunk)
        if self._json:
            if self._size > JSON_DOCUMENT_LIMIT:
                raise self._not_a_stream()
            return None
        head = b"".join(self._held) if len(self._held) > 1 else chunk
        start = head.lstrip()
        if not start:
            # Blank lines are valid SSE; past a few kilobytes of them, stop holding on.
            return self._release(head) if self._size > 4096 else None
        first = start[:1]
        if first in (b"{", b"["):
            self._json = True
            return None
        if first == b"<":
            if self._size < PREVIEW_BYTES:
                return None
            raise self._not_a_stream()
        kind = media_type(self._headers)
        if not kind or kind == self._expected or _is_json_type(kind):
            return self._release(head)
        if _is_markup_type(kind) or self._expected != SSE:
            if self._size < PREVIEW_BYTES:
                return None
            raise self._not_a_stream()
        # Another type: accepted when the body reads as Server-Sent Events all the same.
        if len(start) < 6 and b"\n" not in start:
            return None
        if _SSE_START.match(start):
            return self._release(head)
        raise self._not_a_stream()

    def finish(self) -> bytes:
        """End of the body while still looking: judge what there is."""
        content = b"".join(self._held)
        self._held = []
        start = content.lstrip()
        if not start:
            return content
        if self._json:
            self._json_document(content)
        kind = media_type(self._headers)
        if start[:1] == b"<" or _is_markup_type(kind):
            raise self._not_a_stream(content)
        if (
            kind
            and kind != self._expected
            and not _is_json_type(kind)
            and (self._expected != SSE or not _SSE_START.match(start))
        ):
            raise self._not_a_stream(content)
        return content

    def _release(self, head: bytes) -> bytes:
        self._held = []
        return head

    def _json_document(self, content: bytes) -> None:
        try:
            data = _json.loads(content)
        except ValueError:
            data = None
        error = envelope(data)
        if error is not None:
            raise envelope_error(
                error,
                provider=self._provider,
                url=self._url,
                status=self._status,
                body=redact(content, self._secrets),
                headers=self._headers,
                secrets=self._secrets,
            )
        raise self._not_a_stream(content)

    def _not_a_stream(self, content: bytes | None = None) -> ProviderError:
        """The error for what was held, or for ``content``, the whole body."""
        whole = content is not None
        if content is None:
            content = b"".join(self._held)
        return not_a_stream_error(
            self._status,
            self._headers,
            redact(content, self._secrets),
            self._url,
            self._provider,
            self._expected,
            whole=whole,
        )
