"""Exceptions with enough context to act on, and never a secret in them.

`ProviderError` carries what a caller needs to decide what to do next: the
HTTP status, the URL, the provider's own message and body, and whether
retrying could help. Request bodies are kept (they hold the prompt, not the
key); headers are never kept on the request side.

Every exception here survives pickling (so it can cross a process pool) with
the same type, text, attributes and cause: `reduce_exception` rebuilds it
without calling ``__init__``, whose arguments differ from what an exception
keeps. A value that would not survive (an unpicklable cause, say) is replaced
by a stand-in: an exception by a `RuntimeError` naming its type and text,
anything else by None.

No exception here shows a credential, whatever text a provider sent back. Each
`HttpTransport` registers its credentials as `SecretTokens` for as long as it lives,
and every `FantasyError` is redacted against all of them as it is built, and again
whenever its text, URL, bodies or response headers are set afterwards, so an error
built anywhere (an HTTP error, an in-stream error event, a 200 that carries an
error object, a preview of an HTML page) is covered. Redacted are: each credential
in the forms it travels or is echoed in (`secret_forms`), any run of at least
`FRAGMENT_LENGTH` characters of a credential of `LONG_SECRET_LENGTH` or more (an
echo cut short), the values of credential response headers, and the user and
password of a URL (``http://[REDACTED]@host/``).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from fantasy import _runtime

TRANSIENT_STREAM_ERROR_TYPES = frozenset(
    {"server_error", "internal_error", "overloaded_error", "api_error", "rate_limit_error"}
)
"""Error types that providers report inside a stream when the fault is theirs and passing."""


# --------------------------------------------------------------------------- secrets

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not worth hiding, and replacing them would mangle ordinary text."""
LONG_SECRET_LENGTH = 20
"""Credentials this long (every provider's API key) are also hidden by their fragments."""
FRAGMENT_LENGTH = 12
"""The shortest run of a long credential's characters that is hidden wherever it
appears: a key echoed cut short (``sk-proj-abcdefgh…``, its first 20 characters, all
but its last character) is hidden; a masked echo showing fewer characters, such as
OpenAI's ``sk-proj-****…abcd``, reveals too little to matter and is left as sent."""
_ANCHOR = FRAGMENT_LENGTH // 2
"""Anchors of this length, taken every ``_ANCHOR`` characters of a credential, find
every run of ``FRAGMENT_LENGTH`` of it: such a run always holds one whole anchor."""

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
    }
)
"""Headers whose values are credentials: never kept on an error, whatever they hold."""

_AUTH_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+/-]*$")
"""The first word of ``Bearer <key>``, ``Basic <base64>``, ``Token <key>``."""
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@'\"<>]+@")


def secret_forms(value: str) -> set[str]:
    r"""The ways a credential can appear in text: the value as it is sent; the
    credential without its scheme (the key of ``Bearer <key>``, ``Token <key>``), and for
    ``Basic <base64>`` the decoded ``user:password`` and each of its two parts, each of
    them as it is, URL-encoded (``%2F``, ``%2f``, ``+`` for a space) and JSON-escaped
    (``\/`` too). Forms shorter than `MIN_SECRET_LENGTH` are left out."""
    import base64
    import binascii
    import json
    from urllib.parse import quote, quote_plus

    scheme, space, rest = value.partition(" ")
    credential = rest.strip() if space and _AUTH_SCHEME.match(scheme) else value
    parts = {credential}
    if credential is not value and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            decoded = ""
        if decoded:
            user, _, password = decoded.partition(":")
            parts |= {decoded, user, password}
    forms = {value}
    for text in parts:
        escaped = json.dumps(text)[1:-1]
        unescaped = json.dumps(text, ensure_ascii=False)[1:-1]
        encoded = quote(text, safe="")
        lowered = re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)
        forms |= {text, escaped, escaped.replace("/", "\\/"), unescaped}
        forms |= {encoded, lowered, quote_plus(text, safe="")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class _Registered:
    __slots__ = ("__weakref__", "tokens")

    def __init__(self, tokens: tuple[bytes, ...]):
        self.tokens = tokens


_LIVE: weakref.WeakSet[_Registered] = weakref.WeakSet()
_LIVE_LOCK = _runtime.module_lock()


class SecretTokens(tuple[bytes, ...]):
    """Credential forms as bytes, longest first. While this object lives, every
    `FantasyError` built in the process is redacted against them too (a transport
    holds its own for as long as it lives)."""

    _registered: _Registered

    def __new__(cls, tokens: Iterable[bytes]) -> SecretTokens:
        kept = sorted({t for t in tokens if len(t) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self = super().__new__(cls, kept)
        if kept:
            self._registered = _Registered(tuple(kept))
            with _LIVE_LOCK:
                _LIVE.add(self._registered)
        return self

    def __repr__(self) -> str:
        # Printed as a local of a traceback's frame (pytest --showlocals, rich): masked.
        return f"SecretTokens(<{len(self)} hidden>)"

    @classmethod
    def of(cls, values: Iterable[str]) -> SecretTokens:
        """The tokens of these credential values, in every form of `secret_forms`."""
        forms: set[bytes] = set()
        for value in values:
            if value:
                forms |= {f.encode("utf-8", "surrogatepass") for f in secret_forms(value)}
        return cls(forms)


def live_secrets() -> tuple[bytes, ...]:
    """The tokens of every `SecretTokens` alive in the process."""
    with _LIVE_LOCK:
        registered = list(_LIVE)
    return tuple(token for entry in registered for token in entry.tokens)


def redact_bytes(content: bytes, tokens: Iterable[bytes]) -> bytes:
    """``content`` with each token, and each run of `FRAGMENT_LENGTH` or more bytes of a
    token of `LONG_SECRET_LENGTH` or more, replaced by ``[REDACTED]``. A token with a
    space (``Bearer <key>``) is replaced only whole: its credential is a token itself."""
    if not content:
        return content
    spans: list[tuple[int, int]] = []
    for token in tokens:
        if len(token) >= LONG_SECRET_LENGTH and b" " not in token:
            spans += _fragments(content, token)
        elif len(token) >= MIN_SECRET_LENGTH:
            start = content.find(token)
            while start != -1:
                spans.append((start, start + len(token)))
                start = content.find(token, start + len(token))
    if not spans:
        return content
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    out: list[bytes] = []
    done = 0
    for start, end in merged:
        out += [content[done:start], REDACTED.encode()]
        done = end
    out.append(content[done:])
    return b"".join(out)


def _fragments(content: bytes, token: bytes) -> list[tuple[int, int]]:
    """Where runs of `FRAGMENT_LENGTH` or more bytes of ``token`` are in ``content``."""
    spans = []
    size = len(token)
    for offset in range(0, size - _ANCHOR + 1, _ANCHOR):
        anchor = token[offset : offset + _ANCHOR]
        at = content.find(anchor)
        while at != -1:
            left = 0
            while (
                left < offset and left < at and content[at - 1 - left] == token[offset - 1 - left]
            ):
                left += 1
            right = 0
            after, token_after = at + _ANCHOR, offset + _ANCHOR
            while (
                token_after + right < size
                and after + right < len(content)
                and content[after + right] == token[token_after + right]
            ):
                right += 1
            if left + _ANCHOR + right >= FRAGMENT_LENGTH:
                spans.append((at - left, after + right))
            at = content.find(anchor, at + 1)
    return spans


def url_credentials(url: str) -> list[str]:
    """The credentials in a URL's userinfo (``http://user:password@host/``): the user,
    the password and ``user:password``, as written and percent-decoded, and the
    ``Basic`` header value httpx sends for them; none for a URL without userinfo."""
    import base64
    from urllib.parse import unquote, urlsplit

    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return []
    userinfo = netloc.rpartition("@")[0]
    decoded = ":".join(unquote(part) for part in userinfo.split(":", 1))
    basic = "Basic " + base64.b64encode(decoded.encode("utf-8")).decode("ascii")
    found = {basic}
    for pair in {userinfo, decoded}:
        user, _, password = pair.partition(":")
        found |= {pair, user, password}
    return sorted(found - {""})


def mask_userinfo(text: str) -> str:
    """``text`` with the user and password of every URL in it replaced:
    ``http://user:secret@host/`` becomes ``http://[REDACTED]@host/``."""
    if "@" not in text or "://" not in text:
        return text
    return _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)


def redact_text(text: str, tokens: Iterable[bytes] | None = None) -> str:
    """``text`` with URL credentials masked and ``tokens`` (by default every live
    credential's) redacted as `redact_bytes` does."""
    text = mask_userinfo(text)
    tokens = live_secrets() if tokens is None else tuple(tokens)
    if not text or not tokens:
        return text
    raw = text.encode("utf-8", "surrogatepass")
    hidden = redact_bytes(raw, tokens)
    if hidden is raw:
        return text
    return hidden.decode("utf-8", "replace")


def redact_headers(
    headers: Mapping[str, str], tokens: Iterable[bytes] | None = None
) -> dict[str, str]:
    """``headers`` with credential headers' values replaced and every other value
    redacted as `redact_text` does."""
    tokens = live_secrets() if tokens is None else tuple(tokens)
    return {
        name: REDACTED if name.lower() in CREDENTIAL_HEADERS else redact_text(value, tokens)
        for name, value in headers.items()
    }


def _stand_in(error: BaseException) -> RuntimeError:
    try:
        text = str(error)
    except Exception:
        text = ""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    return RuntimeError(f"{kind}: {text}" if text else kind)


def _portable(value: Any) -> Any:
    """``value`` if it survives a pickle round trip; otherwise its stand-in."""
    import pickle

    try:
        pickle.loads(pickle.dumps(value))
    except Exception:
        pass
    else:
        return value
    if isinstance(value, BaseException):
        return _stand_in(value)
    if isinstance(value, list):
        return [_portable(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_portable(item) for item in value)
    if isinstance(value, dict):
        return {key: _portable(item) for key, item in value.items()}
    return None


def _restore_exception(
    cls: type[BaseException],
    args: tuple[Any, ...],
    state: dict[str, Any],
    cause: BaseException | None,
) -> BaseException:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    if cause is not None:
        error.__cause__ = cause
    return error


def reduce_exception(error: BaseException) -> tuple[Any, ...]:
    """``__reduce__`` for an exception whose ``__init__`` takes other arguments than the
    ``args`` it keeps: unpickling restores ``args``, every attribute and ``__cause__``
    as they were, without calling ``__init__``."""
    import pickle  # imported when something is pickled, not with the library

    state = dict(error.__dict__)
    cause = error.__cause__
    try:
        pickle.loads(pickle.dumps((state, cause)))
    except Exception:
        state = {key: _portable(value) for key, value in state.items()}
        cause = _portable(cause)
    return (_restore_exception, (type(error), error.args, state, cause))


class FantasyError(Exception):
    """Base of every error this library raises; text is ``"title: message"``.

    ``partial_result`` is set when the error ended an agent run: the steps that
    completed before it (with the tools that already ran), so the caller can save
    ``partial_result.all_messages()`` and resume. The agent sets the same
    attribute on any other exception that ends a run.
    """

    partial_result: Any = None

    _REDACTED_FIELDS = frozenset({"message", "title"})
    """Attributes that may hold a provider's text: redacted whenever they are set."""

    def __init__(self, message: str, *, title: str = "", cause: BaseException | None = None):
        self.message = message
        self.title = title
        self.cause = cause
        super().__init__(f"{self.title}: {self.message}" if self.title else self.message)
        if cause is not None:
            self.__cause__ = cause

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._REDACTED_FIELDS:
            value = _redacted_value(value)
        super().__setattr__(name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_exception(self)

    @property
    def steps(self) -> list[Any]:
        """The steps the failed run completed (``partial_result.steps``); empty when the
        error did not end an agent run."""
        return list(self.partial_result.steps) if self.partial_result is not None else []

    def all_messages(self) -> list[Any]:
        """The conversation up to the failure (``partial_result.all_messages()``), to
        save and pass back as ``messages=``; empty when the error did not end a run."""
        return self.partial_result.all_messages() if self.partial_result is not None else []


class InvalidArgumentError(FantasyError, ValueError):
    """A call that cannot be made as given (empty prompt, wrong option type, ...)."""

    def __init__(self, message: str):
        super().__init__(message, title="invalid argument")


class MissingAPIKeyError(InvalidArgumentError):
    """No API key was given and the environment variable that supplies one is unset."""


def title_for_status(status: int) -> str:
    """The lower-cased HTTP reason phrase, as Fantasy titles its provider errors."""
    import http  # only here: an enum of 60 members, built at first use

    try:
        return http.HTTPStatus(status).phrase.lower()
    except ValueError:
        return ""


REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "apim-request-id",
    "x-goog-request-id",
    "cf-ray",
)
"""Where providers put the id their support asks for, in the order they are looked up."""


def _redacted_value(value: Any) -> Any:
    """A value set on an error, with every live credential and URL password hidden."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        tokens = live_secrets()
        return redact_bytes(value, tokens) if tokens else value
    if isinstance(value, Mapping):
        return redact_headers(value)
    return value


class ProviderError(FantasyError):
    """A provider refused, failed or broke off a request.

    Built as ``ProviderError(...)``, it becomes the subclass that says what kind of
    failure it is, decided once from its status, flags, title and raw error type
    (see `classify`), so a caller can ``except fantasy.RateLimitError`` whichever
    provider or code path produced it. Every subclass is still a `ProviderError`
    with the same attributes.

    Whatever the provider sent is redacted as it is set (see the module's text): the
    message and title, ``url``, ``request_body``, ``response_body``, ``error_type``
    and ``response_headers`` (credential headers' values replaced whole).
    """

    _REDACTED_FIELDS = FantasyError._REDACTED_FIELDS | {
        "url",
        "request_body",
        "response_body",
        "response_headers",
        "error_type",
    }

    def __new__(cls, *args: Any, **kwargs: Any) -> ProviderError:
        if cls is ProviderError:
            cls = classify(
                status_code=kwargs.get("status_code", 0),
                title=kwargs.get("title", ""),
                context_too_large=bool(kwargs.get("context_too_large"))
                or bool(kwargs.get("context_used_tokens"))
                or bool(kwargs.get("context_max_tokens")),
                auth_error=bool(kwargs.get("auth_error")),
                error_type=kwargs.get("error_type", ""),
                cause=kwargs.get("cause"),
            )
        return super().__new__(cls)

    def __init__(
        self,
        message: str,
        *,
        title: str = "",
        provider: str = "",
        url: str = "",
        status_code: int = 0,
        request_body: bytes = b"",
        response_body: bytes = b"",
        response_headers: Mapping[str, str] | None = None,
        context_used_tokens: int = 0,
        context_max_tokens: int = 0,
        context_too_large: bool = False,
        auth_error: bool = False,
        transient: bool = False,
        error_type: str = "",
        request_id: str = "",
        cause: BaseException | None = None,
    ):
        super().__init__(message, title=title, cause=cause)
        self.provider = provider
        self.url = url
        self.status_code = status_code
        self.request_body = request_body
        self.response_body = response_body
        # Lower-case keys: HTTP header names are case-insensitive and retry logic looks
        # them up by their lower-case spelling.
        self.response_headers = {k.lower(): v for k, v in (response_headers or {}).items()}
        self.context_used_tokens = context_used_tokens
        self.context_max_tokens = context_max_tokens
        self.context_too_large = context_too_large
        self.auth_error = auth_error
        self.transient = transient
        self.error_type = error_type
        """The provider's own name for the error (``rate_limit_error``, ``RESOURCE_EXHAUSTED``,
        ``throttlingException``...), when it sent one."""
        self._request_id = request_id

    @property
    def request_id(self) -> str:
        """The provider's id of the failed request (for its support), from the response
        headers when the provider sends one; ``""`` otherwise."""
        if self._request_id:
            return self._request_id
        for name in REQUEST_ID_HEADERS:
            value = self.response_headers.get(name)
            if value:
                return value
        return ""

    @property
    def is_retryable(self) -> bool:
        if self.transient:
            return True
        if self.response_headers.get("x-should-retry", "").strip().lower() == "true":
            return True
        s = self.status_code
        return s in (408, 409, 429) or s >= 500

    @property
    def retryable(self) -> bool:
        """Whether another attempt could help (the same as `is_retryable`)."""
        return self.is_retryable

    @property
    def is_context_too_large(self) -> bool:
        return self.context_too_large or self.context_used_tokens > 0 or self.context_max_tokens > 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(title={self.title!r}, message={self.message!r}, "
            f"status_code={self.status_code}, url={self.url!r})"
        )


class AuthenticationError(ProviderError):
    """The key or token was refused (401, 403), or credentials could not be obtained."""


class RateLimitError(ProviderError):
    """Too many requests or tokens (429, or the provider's rate-limit or throttling type)."""


class ContextWindowError(ProviderError):
    """The prompt does not fit the model's context window; ``context_used_tokens`` and
    ``context_max_tokens`` say by how much, when the provider says so."""


class ProviderTimeoutError(ProviderError):
    """The provider did not answer (or finish answering) in time."""


class StreamInterruptedError(ProviderError):
    """A stream broke off before the provider said it was done (retryable)."""


class InvalidResponseError(ProviderError):
    """The provider (or something posing as it) answered with something that is not a
    response of its API: not JSON, the wrong shape, an HTML page."""


class ProviderUnavailableError(ProviderError):
    """The provider failed on its side or could not be reached: 5xx, overloaded, a
    refused or dropped connection."""


class InvalidRequestError(ProviderError):
    """The provider refused the request as malformed (400, 404, 422), or it could not be
    sent as configured. Not retried."""


_RATE_LIMIT_TYPES = ("rate_limit", "ratelimit", "throttl", "resource_exhausted", "too_many")
_UNAVAILABLE_TYPES = ("overloaded", "unavailable", "server_error", "internal", "api_error")
_TIMEOUT_TYPES = ("timeout", "deadline_exceeded", "timed_out")


def classify(
    *,
    status_code: int = 0,
    title: str = "",
    context_too_large: bool = False,
    auth_error: bool = False,
    error_type: str = "",
    cause: BaseException | None = None,
) -> type[ProviderError]:
    """The `ProviderError` subclass for a failure with these facts, most specific first."""
    kind = (error_type or "").lower()
    if kind.isdigit() and status_code < 400:
        # An error object inside a successful answer, whose code is an HTTP status.
        status_code, kind = int(kind), ""
    if context_too_large:
        return ContextWindowError
    if auth_error or status_code in (401, 403):
        return AuthenticationError
    if status_code == 429 or any(t in kind for t in _RATE_LIMIT_TYPES):
        return RateLimitError
    if (
        status_code in (408, 504)
        or any(t in kind for t in _TIMEOUT_TYPES)
        or _caused_by_timeout(cause)
        or "deadline" in title
    ):
        return ProviderTimeoutError
    if title == "stream transport error":
        return StreamInterruptedError
    if title == "invalid provider response":
        return InvalidResponseError
    if status_code >= 500 or any(t in kind for t in _UNAVAILABLE_TYPES):
        return ProviderUnavailableError
    if title == "network error":
        return ProviderUnavailableError
    if status_code in (400, 404, 413, 422) or title == "invalid request":
        return InvalidRequestError
    return ProviderError


def _caused_by_timeout(cause: BaseException | None) -> bool:
    seen = 0
    while cause is not None and seen < 8:
        if isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__:
            return True
        cause = cause.__cause__
        seen += 1
    return False


def incomplete_stream_error(provider: str = "", url: str = "") -> ProviderError:
    """The stream ended before the provider said it was done: retryable."""
    return ProviderError(
        "unexpected EOF", title="stream transport error", provider=provider, url=url, transient=True
    )


class RetryError(FantasyError):
    """Every attempt failed; ``errors`` holds each attempt's error, the last one last."""

    def __init__(self, errors: list[BaseException]):
        self.errors = errors
        last = errors[-1] if errors else None
        super().__init__(
            f"retry error: {last}" if last is not None else "retry error: no underlying errors",
            cause=last,
        )

    @property
    def last_error(self) -> BaseException | None:
        return self.errors[-1] if self.errors else None


class MaxStepsExceededError(FantasyError):
    """The run reached its step limit while the model still asked for tools.

    The tools of the last step have run; their results are in
    ``partial_result.all_messages()``, so passing those back as ``messages=``
    with no prompt lets the model answer them (raise ``max_steps`` to allow more).
    """

    def __init__(self, max_steps: int):
        super().__init__(
            f"the run reached max_steps={max_steps} and the model still asked for tools; "
            "pass max_steps= to Agent or the call to allow more (None: no limit)",
            title="step limit",
        )
        self.max_steps = max_steps


class UsageLimitExceeded(FantasyError):
    """A run reached one of its `fantasy.UsageLimits` (requests, tokens, cost).

    ``limit`` names it (``"max_requests"``, ``"max_input_tokens"``,
    ``"max_output_tokens"``, ``"max_total_tokens"``, ``"max_cost"``), ``value`` is
    the limit and ``used`` what the run had used when it was checked (for
    ``max_requests`` before a request: the count that request would have made).
    ``partial_result`` holds the steps completed before it, as for
    `MaxStepsExceededError`: a step whose answer went over the limit has run its
    tools, so ``partial_result.all_messages()`` can be resumed.
    """

    def __init__(self, limit: str, value: Any, used: Any, message: str):
        super().__init__(message, title="usage limit exceeded")
        self.limit = limit
        self.value = value
        self.used = used


class ToolExecutionError(FantasyError):
    """A tool signalled a critical failure with `fantasy.ToolCriticalError`."""


class ToolApprovalError(FantasyError):
    """Approving a tool call failed: the agent's ``approve`` callback or a tool's
    ``needs_approval`` function raised, or answered something other than ``True``,
    ``False`` or `fantasy.Denied`. The run stops (with its ``partial_result``): a call
    nobody could decide on is neither run nor silently denied."""

    def __init__(self, message: str, *, cause: BaseException | None = None):
        super().__init__(message, title="tool approval failed", cause=cause)


class ToolCriticalError(Exception):
    """Raise from a tool to stop the agent run, rather than report an error to the model.

    Any other exception a tool raises becomes an error result the model sees.
    """


class NoObjectGeneratedError(FantasyError):
    """The model's answer could not be turned into the requested object."""

    def __init__(
        self,
        message: str = "failed to generate object",
        *,
        raw_text: str = "",
        parse_error: BaseException | None = None,
        validation_error: BaseException | None = None,
        usage: Any = None,
        finish_reason: Any = None,
    ):
        super().__init__(message)
        self.raw_text = raw_text
        self.parse_error = parse_error
        self.validation_error = validation_error
        self.usage = usage
        self.finish_reason = finish_reason


class SerializationError(FantasyError, ValueError):
    """Saved JSON that cannot be loaded (or a value that cannot be saved).

    ``path`` points at the bad element, e.g. ``messages[3].content[1].data``, so a
    hand-edited or foreign file can be fixed without guessing.
    """

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


_CONTEXT_PATTERNS = (
    re.compile(
        r"maximum context length (?:is|of) (\d+) tokens.*?(?:resulted in|requested) ~?(\d+) tokens",
        re.S,
    ),
    re.compile(r"Range of input length should be \[\d+,\s*(\d+)\]"),
    re.compile(r"Input too long:\s*(\d+)\s*input tokens,\s*limit is\s*(\d+)"),
)


def parse_context_limits(message: str) -> tuple[int, int]:
    """(used, max) tokens when a provider's message says the context was too large."""
    m = _CONTEXT_PATTERNS[0].search(message)
    if m:
        return int(m.group(2)), int(m.group(1))
    m = _CONTEXT_PATTERNS[1].search(message)
    if m:
        return 0, int(m.group(1))
    m = _CONTEXT_PATTERNS[2].search(message)
    if m:
        return int(m.group(1)), int(m.group(2))
    return 0, 0
