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
"""

from __future__ import annotations

import http
import re
from collections.abc import Mapping
from typing import Any

TRANSIENT_STREAM_ERROR_TYPES = frozenset(
    {"server_error", "internal_error", "overloaded_error", "api_error", "rate_limit_error"}
)
"""Error types that providers report inside a stream when the fault is theirs and passing."""


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

    def __init__(self, message: str, *, title: str = "", cause: BaseException | None = None):
        self.message = message
        self.title = title
        self.cause = cause
        super().__init__(f"{title}: {message}" if title else message)
        if cause is not None:
            self.__cause__ = cause

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


class ProviderError(FantasyError):
    """A provider refused, failed or broke off a request.

    Built as ``ProviderError(...)``, it becomes the subclass that says what kind of
    failure it is, decided once from its status, flags, title and raw error type
    (see `classify`), so a caller can ``except fantasy.RateLimitError`` whichever
    provider or code path produced it. Every subclass is still a `ProviderError`
    with the same attributes.
    """

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


class ToolExecutionError(FantasyError):
    """A tool signalled a critical failure with `fantasy.ToolCriticalError`."""


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
