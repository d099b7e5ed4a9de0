"""Exponential backoff that listens to the provider's Retry-After.

The policy is Fantasy's: N retries means N+1 attempts; a first-attempt error
that is not retryable is raised as it is; once a retry has happened, failures
are reported as a `RetryError` holding every attempt's error. Cancellation is
never retried. Sleeping goes through an injectable function so tests never
wait for real.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fantasy import _runtime
from fantasy._record import Record
from fantasy.errors import ProviderError, RetryError, redact_text

T = TypeVar("T")

logger = logging.getLogger("fantasy.agent")

OnRetry = Callable[[ProviderError | None, float], Any]
"""Told the error (None when it was not a ProviderError) and the delay before the next attempt."""

OnAuthRefresh = Callable[[ProviderError], Any]
"""Called once after an authentication failure; refresh credentials, then the call is retried."""

HEADER_DELAY_CEILING = 60.0


def wall_clock() -> float:
    """``time.time()``: the clock that dates in ``Retry-After`` are read against. A
    function of this module rather than ``time.time`` itself as the default below:
    Temporal's workflow sandbox gives a module that loads in a running workflow a
    stand-in for ``time.time`` that refuses even the look dataclasses take at it."""
    return time.time()


class RetryOptions(Record):
    __slots__ = (
        "max_retries",
        "initial_delay",
        "backoff_factor",
        "on_retry",
        "on_auth_refresh",
        "sleep",
        "clock",
        "deadline",
    )
    max_retries: int
    initial_delay: float
    backoff_factor: float
    on_retry: OnRetry | None
    on_auth_refresh: OnAuthRefresh | None
    sleep: Callable[[float], Awaitable[None]]
    clock: Callable[[], float]
    deadline: float | None
    """The run's end (``time.monotonic``), from ``total_timeout``: a retry whose wait
    would reach it is not made."""

    def __init__(
        self,
        max_retries: int = 3,
        initial_delay: float = 5.0,
        backoff_factor: float = 2.0,
        on_retry: OnRetry | None = None,
        on_auth_refresh: OnAuthRefresh | None = None,
        sleep: Callable[[float], Awaitable[None]] = _runtime.sleep,
        clock: Callable[[], float] = wall_clock,
        deadline: float | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.initial_delay = initial_delay
        self.backoff_factor = backoff_factor
        self.on_retry = on_retry
        self.on_auth_refresh = on_auth_refresh
        self.sleep = sleep
        self.clock = clock
        self.deadline = deadline


_USER_CODE = "__fantasy_user_code__"


def mark_user_error(err: BaseException) -> None:
    """Flag an exception raised by the caller's own code (a callback, a hook, a model
    factory): whatever its type, it says nothing about the provider and is never retried."""
    with contextlib.suppress(AttributeError):  # a type that takes no new attributes
        setattr(err, _USER_CODE, True)


def is_user_error(err: BaseException) -> bool:
    return bool(getattr(err, _USER_CODE, False))


def find_provider_error(err: BaseException | None) -> ProviderError | None:
    seen = 0
    while err is not None and seen < 32:
        if isinstance(err, ProviderError):
            return err
        err = err.last_error if isinstance(err, RetryError) else err.__cause__
        seen += 1
    return None


def is_retryable(err: BaseException) -> bool:
    if is_user_error(err):
        return False
    pe = find_provider_error(err)
    if pe is not None:
        return pe.is_retryable
    return isinstance(err, (ConnectionError, TimeoutError))


def header_delay(err: BaseException, backoff: float, now: float) -> float | None:
    """The delay the provider asked for, if it is one worth honouring."""
    pe = find_provider_error(err)
    if pe is None or not pe.response_headers:
        return None
    headers = pe.response_headers
    delay: float | None = None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            delay = float(ms) / 1000.0
        except ValueError:
            delay = None
    # A zero (or absent) retry-after-ms defers to retry-after, as in Fantasy.
    if not delay and (value := headers.get("retry-after")) is not None:
        try:
            delay = float(value)
        except ValueError:
            try:
                import datetime
                import email.utils

                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:  # "-0000" and asctime dates: HTTP dates are UTC
                    when = when.replace(tzinfo=datetime.UTC)
                delay = when.timestamp() - now
    if delay is not None and delay > 0 and (delay < HEADER_DELAY_CEILING or delay < backoff):
        return delay
    return None


def _is_auth_failure(err: BaseException) -> ProviderError | None:
    pe = find_provider_error(err)
    if pe is not None and (pe.status_code == 401 or pe.auth_error):
        return pe
    return None


class RetryController:
    """The retry policy as a state machine, for loops that cannot be wrapped in a function.

    Call `failed` from an ``except`` block: it returns when another attempt
    should be made (after sleeping) and raises the error to report otherwise.
    A streamed agent step uses it directly, since it must yield while it tries.
    """

    def __init__(self, options: RetryOptions):
        self.options = options
        self.errors: list[BaseException] = []
        self.backoff = options.initial_delay
        self.refreshed = False
        self.attempts = 0

    async def failed(self, err: Exception) -> None:
        o = self.options
        final: BaseException
        if is_user_error(err):
            raise err
        if o.max_retries <= 0:
            final = err
        else:
            self.errors.append(err)
            if len(self.errors) > o.max_retries:
                final = RetryError(self.errors)
            elif not is_retryable(err):
                final = err if len(self.errors) == 1 else RetryError(self.errors)
            else:
                delay = header_delay(err, self.backoff, o.clock())
                if delay is None:
                    delay = self.backoff
                if o.deadline is not None and _runtime.monotonic() + delay >= o.deadline:
                    out_of_time = RetryError(self.errors)
                    out_of_time.add_note(
                        f"not retried: the wait of {delay:g}s before another attempt would "
                        "pass the run's total_timeout"
                    )
                    raise out_of_time from err
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "attempt %d failed (%s); retrying in %gs",
                        len(self.errors),
                        redact_text(f"{type(err).__name__}: {err}"),
                        delay,
                    )
                if o.on_retry is not None:
                    await _runtime.call_user(o.on_retry, find_provider_error(err), delay)
                # Through call_user so that asyncio.sleep works from the sync face too.
                await _runtime.call_user(o.sleep, delay)
                self.backoff *= o.backoff_factor
                return
        auth = _is_auth_failure(final)
        if o.on_auth_refresh is not None and not self.refreshed and auth is not None:
            self.refreshed = True
            try:
                await _runtime.call_user(o.on_auth_refresh, auth)
            except Exception:
                raise final from None
            # A refreshed credential earns a fresh budget.
            self.errors = []
            self.backoff = o.initial_delay
            return
        if final is err:
            raise err
        raise final from err


async def retry(fn: Callable[[], Awaitable[T]], options: RetryOptions) -> T:
    """Run ``fn`` until it succeeds or the policy gives up."""
    controller = RetryController(options)
    while True:
        try:
            return await fn()
        except Exception as err:
            await controller.failed(err)
