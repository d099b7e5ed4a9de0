"""Fantasy's retry policy (retry_test.go), through both faces, with a fake clock and sleep."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from fantasy import _runtime
from fantasy.errors import ProviderError, RetryError
from fantasy.retry import RetryOptions, find_provider_error, header_delay, is_retryable, retry

NOW = 1_700_000_000.0


def status_error(status: int, headers: dict[str, str] | None = None, **kw: Any) -> ProviderError:
    return ProviderError(f"status {status}", status_code=status, response_headers=headers, **kw)


class Recorder:
    """A fake sleep and callbacks that record what the policy did."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.on_retry_calls: list[tuple[ProviderError | None, float]] = []
        self.refreshes: list[ProviderError] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)

    def on_retry(self, err: ProviderError | None, delay: float) -> None:
        self.on_retry_calls.append((err, delay))

    def options(self, **kw: Any) -> RetryOptions:
        kw.setdefault("sleep", self.sleep)
        kw.setdefault("clock", lambda: NOW)
        kw.setdefault("on_retry", self.on_retry)
        return RetryOptions(**kw)


class Script:
    """fn for retry(): raises the scripted errors in order, then returns ``result``."""

    def __init__(self, *outcomes: BaseException | str):
        self.outcomes = list(outcomes)
        self.attempts = 0

    async def __call__(self) -> str:
        outcome = self.outcomes[min(self.attempts, len(self.outcomes) - 1)]
        self.attempts += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


Driver = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["async", "sync"])
def drive(request: pytest.FixtureRequest) -> Driver:
    """Run a coroutine the way the async face does (a loop) or the sync face does (run_sync)."""
    if request.param == "async":
        return asyncio.run
    return _runtime.run_sync


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


# --------------------------------------------------------------------------- retryability


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (status_error(429), True),
        (status_error(400), False),
        (status_error(408), True),
        (status_error(409), True),
        (status_error(500), True),
        (status_error(503), True),
        (status_error(401), False),
        (status_error(404), False),
        (status_error(400, {"X-Should-Retry": "true"}), True),
        (status_error(500, {"x-should-retry": "false"}), True),
        (ProviderError("reset", title="stream transport error", transient=True), True),
        (ProviderError("plain"), False),
        (ConnectionError("refused"), True),
        (ConnectionResetError("reset"), True),
        (TimeoutError("timed out"), True),
        (ValueError("generic"), False),
        (RuntimeError("callback failed"), False),
    ],
)
def test_is_retryable(err: BaseException, expected: bool) -> None:
    assert is_retryable(err) is expected


def test_provider_error_found_through_the_cause_chain() -> None:
    try:
        try:
            raise status_error(429)
        except ProviderError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_retryable(outer)


def _wrapped(inner: BaseException, depth: int) -> BaseException:
    """``inner`` under ``depth`` layers of ``__cause__`` (a RetryError every third)."""
    err = inner
    for layer in range(depth):
        if layer % 3 == 2:
            err = RetryError([ValueError("earlier attempt"), err])
        else:
            outer = RuntimeError(f"layer {layer}")
            outer.__cause__ = err
            err = outer
    return err


@pytest.mark.parametrize("depth", [1, 5, 31])
def test_a_provider_error_deep_in_the_cause_chain_is_found(depth: int) -> None:
    inner = status_error(429, {"Retry-After": "7"})
    outer = _wrapped(inner, depth)
    assert find_provider_error(outer) is inner
    assert is_retryable(outer)
    assert header_delay(outer, 5.0, time.time()) == 7.0
    assert not is_retryable(_wrapped(status_error(400), depth))


def test_the_cause_chain_search_is_bounded() -> None:
    """32 links are searched: a chain longer than that (or a cycle) ends the search."""
    assert find_provider_error(_wrapped(status_error(429), 32)) is None
    assert not is_retryable(_wrapped(status_error(429), 32))
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__cause__, second.__cause__ = second, first
    assert find_provider_error(first) is None


# --------------------------------------------------------------------------- basic policy


def test_success_first_try(drive: Driver, rec: Recorder) -> None:
    fn = Script("ok")
    assert drive(retry(fn, rec.options())) == "ok"
    assert fn.attempts == 1
    assert rec.delays == []


def test_429_is_retried_then_succeeds(drive: Driver, rec: Recorder) -> None:
    fn = Script(status_error(429), "ok")
    assert drive(retry(fn, rec.options())) == "ok"
    assert fn.attempts == 2
    assert rec.delays == [5.0]


def test_400_first_attempt_is_raised_raw(drive: Driver, rec: Recorder) -> None:
    err = status_error(400)
    fn = Script(err)
    with pytest.raises(ProviderError) as info:
        drive(retry(fn, rec.options()))
    assert info.value is err
    assert fn.attempts == 1
    assert rec.delays == []
    assert rec.on_retry_calls == []


def test_generic_error_first_attempt_is_raised_raw(drive: Driver, rec: Recorder) -> None:
    err = ValueError("boom")
    with pytest.raises(ValueError) as info:
        drive(retry(Script(err), rec.options()))
    assert info.value is err


def test_connection_failures_then_success(drive: Driver, rec: Recorder) -> None:
    fn = Script(ConnectionError("refused"), ConnectionError("refused"), "ok")
    assert drive(retry(fn, rec.options(max_retries=2))) == "ok"
    assert fn.attempts == 3
    assert rec.delays == [5.0, 10.0]
    assert rec.on_retry_calls == [(None, 5.0), (None, 10.0)]


def test_transient_provider_error_is_retried(drive: Driver, rec: Recorder) -> None:
    err = ProviderError("unexpected EOF", title="stream transport error", transient=True)
    fn = Script(err, "ok")
    assert drive(retry(fn, rec.options())) == "ok"
    assert rec.on_retry_calls == [(err, 5.0)]


def test_cancellation_is_never_retried(drive: Driver, rec: Recorder) -> None:
    fn = Script(asyncio.CancelledError(), "ok")
    with pytest.raises(asyncio.CancelledError):
        drive(retry(fn, rec.options()))
    assert fn.attempts == 1
    assert rec.delays == []


def test_cancellation_after_a_retry_is_raised_raw(drive: Driver, rec: Recorder) -> None:
    fn = Script(status_error(500), asyncio.CancelledError(), "ok")
    with pytest.raises(asyncio.CancelledError):
        drive(retry(fn, rec.options()))
    assert fn.attempts == 2


def test_cancellation_during_sleep_stops_retrying(drive: Driver) -> None:
    async def cancelled_sleep(_: float) -> None:
        raise asyncio.CancelledError

    fn = Script(status_error(429), "ok")
    with pytest.raises(asyncio.CancelledError):
        drive(retry(fn, RetryOptions(sleep=cancelled_sleep)))
    assert fn.attempts == 1


@pytest.mark.parametrize("max_retries", [1, 2, 3, 5])
def test_max_retries_n_means_n_plus_one_attempts(
    drive: Driver, rec: Recorder, max_retries: int
) -> None:
    errors = [status_error(500) for _ in range(max_retries + 1)]
    fn = Script(*errors, "never")
    with pytest.raises(RetryError) as info:
        drive(retry(fn, rec.options(max_retries=max_retries)))
    assert fn.attempts == max_retries + 1
    assert info.value.errors == errors
    assert info.value.last_error is errors[-1]
    assert info.value.__cause__ is errors[-1]
    assert str(info.value) == f"retry error: {errors[-1]}"
    assert len(rec.delays) == max_retries


def test_default_schedule_is_5_10_20(drive: Driver, rec: Recorder) -> None:
    fn = Script(ProviderError("slow down", title="too many requests", status_code=429))
    with pytest.raises(RetryError) as info:
        drive(retry(fn, rec.options()))
    assert fn.attempts == 4
    assert rec.delays == [5.0, 10.0, 20.0]
    assert [d for _, d in rec.on_retry_calls] == [5.0, 10.0, 20.0]
    assert len(info.value.errors) == 4
    assert str(info.value) == "retry error: too many requests: slow down"


def test_retry_error_text_uses_the_last_error() -> None:
    assert str(RetryError([ValueError("a"), ValueError("b")])) == "retry error: b"
    assert str(RetryError([])) == "retry error: no underlying errors"


def test_later_non_retryable_error_is_wrapped(drive: Driver, rec: Recorder) -> None:
    first, second = status_error(429), status_error(400)
    fn = Script(first, second, "ok")
    with pytest.raises(RetryError) as info:
        drive(retry(fn, rec.options()))
    assert info.value.errors == [first, second]
    assert fn.attempts == 2


def test_max_retries_zero_raises_raw_even_when_retryable(drive: Driver, rec: Recorder) -> None:
    err = status_error(429)
    fn = Script(err, "ok")
    with pytest.raises(ProviderError) as info:
        drive(retry(fn, rec.options(max_retries=0)))
    assert info.value is err
    assert fn.attempts == 1
    assert rec.delays == []


def test_custom_initial_delay_and_factor(drive: Driver, rec: Recorder) -> None:
    fn = Script(status_error(503), status_error(503), status_error(503), "ok")
    drive(retry(fn, rec.options(initial_delay=0.5, backoff_factor=3.0)))
    assert rec.delays == [0.5, 1.5, 4.5]


def test_on_retry_may_be_async(drive: Driver) -> None:
    seen: list[float] = []
    delays: list[float] = []

    async def on_retry(err: ProviderError | None, delay: float) -> None:
        seen.append(delay)

    async def sleep(d: float) -> None:
        delays.append(d)

    fn = Script(status_error(429), "ok")
    assert drive(retry(fn, RetryOptions(on_retry=on_retry, sleep=sleep))) == "ok"
    assert seen == [5.0]
    assert delays == [5.0]


def test_on_retry_receives_provider_error_found_in_chain(drive: Driver, rec: Recorder) -> None:
    inner = status_error(429)
    outer = RuntimeError("wrapped")
    outer.__cause__ = inner
    fn = Script(outer, "ok")
    drive(retry(fn, rec.options()))
    assert rec.on_retry_calls == [(inner, 5.0)]


# --------------------------------------------------------------------------- retry headers


def one_retry_delay(drive: Driver, rec: Recorder, err: BaseException, **kw: Any) -> float:
    fn = Script(err, "ok")
    assert drive(retry(fn, rec.options(**kw))) == "ok"
    assert len(rec.delays) == 1
    assert rec.on_retry_calls[0][1] == rec.delays[0]
    return rec.delays[0]


def test_retry_after_ms(drive: Driver, rec: Recorder) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after-ms": "1500"})) == 1.5


def test_retry_after_ms_wins_over_retry_after(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"retry-after-ms": "250", "retry-after": "7"})
    assert one_retry_delay(drive, rec, err) == 0.25


def test_zero_retry_after_ms_falls_back_to_retry_after(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"retry-after-ms": "0", "retry-after": "7"})
    assert one_retry_delay(drive, rec, err) == 7.0


def test_retry_after_seconds(drive: Driver, rec: Recorder) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": "3"})) == 3.0


def test_retry_after_fractional_seconds(drive: Driver, rec: Recorder) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": "1.5"})) == 1.5


def test_retry_after_http_date_uses_the_clock(drive: Driver, rec: Recorder) -> None:
    date = email.utils.formatdate(NOW + 30, usegmt=True)
    assert date.endswith("GMT")
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": date})) == 30.0


def test_retry_after_date_in_the_past_falls_back_to_backoff(drive: Driver, rec: Recorder) -> None:
    date = email.utils.formatdate(NOW - 30, usegmt=True)
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": date})) == 5.0


@pytest.fixture
def non_utc_local_time() -> Iterator[None]:
    """Run with a local time zone five hours from UTC, so naive dates would be misread."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "EST+5")
    time.tzset()
    try:
        yield
    finally:
        mp.undo()
        time.tzset()


def test_retry_after_date_without_zone_is_utc(
    drive: Driver, rec: Recorder, non_utc_local_time: None
) -> None:
    # "-0000" (and asctime dates) parse without a zone; HTTP dates are always UTC.
    date = email.utils.formatdate(NOW + 30)[:-5] + "-0000"
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": date})) == 30.0


def test_unparseable_retry_after_falls_back_to_backoff(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"retry-after": "soon", "retry-after-ms": "later"})
    assert one_retry_delay(drive, rec, err) == 5.0


@pytest.mark.parametrize("name", ["Retry-After", "RETRY-AFTER", "retry-after"])
def test_header_names_are_case_insensitive(drive: Driver, rec: Recorder, name: str) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {name: "2"})) == 2.0


def test_retry_after_ms_header_name_case_insensitive(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"Retry-After-Ms": "100"})
    assert err.response_headers == {"retry-after-ms": "100"}
    assert one_retry_delay(drive, rec, err) == 0.1


@pytest.mark.parametrize("value", ["60", "61", "120", "3600"])
def test_header_of_a_minute_or_more_is_ignored(drive: Driver, rec: Recorder, value: str) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": value})) == 5.0


def test_long_header_honoured_when_shorter_than_backoff(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"retry-after": "120"})
    assert one_retry_delay(drive, rec, err, initial_delay=200.0) == 120.0


def test_long_header_ignored_when_longer_than_backoff(drive: Driver, rec: Recorder) -> None:
    err = status_error(429, {"retry-after": "120"})
    assert one_retry_delay(drive, rec, err, initial_delay=100.0) == 100.0


@pytest.mark.parametrize("value", ["0", "-3"])
def test_non_positive_header_falls_back_to_backoff(
    drive: Driver, rec: Recorder, value: str
) -> None:
    assert one_retry_delay(drive, rec, status_error(429, {"retry-after": value})) == 5.0


def test_backoff_multiplies_the_base_not_the_header_delay(drive: Driver, rec: Recorder) -> None:
    fn = Script(
        status_error(429, {"retry-after": "1"}),
        status_error(429),
        status_error(429, {"retry-after-ms": "500"}),
        "ok",
    )
    assert drive(retry(fn, rec.options())) == "ok"
    assert rec.delays == [1.0, 10.0, 0.5]


def test_headers_ignored_for_non_retryable_errors(drive: Driver, rec: Recorder) -> None:
    fn = Script(status_error(400, {"retry-after": "1"}))
    with pytest.raises(ProviderError):
        drive(retry(fn, rec.options()))
    assert rec.delays == []


# --------------------------------------------------------------------------- auth refresh


class Refresher:
    def __init__(self, fail: bool = False, is_async: bool = False):
        self.calls: list[ProviderError] = []
        self.fail = fail
        self.is_async = is_async

    def __call__(self, err: ProviderError) -> Any:
        if self.is_async:
            return self._async(err)
        return self._sync(err)

    def _sync(self, err: ProviderError) -> None:
        self.calls.append(err)
        if self.fail:
            raise RuntimeError("refresh failed")

    async def _async(self, err: ProviderError) -> None:
        await asyncio.sleep(0)  # a real coroutine, which the sync face must run on its own
        self._sync(err)


@pytest.mark.parametrize("is_async", [False, True])
def test_401_refreshes_once_and_retries(drive: Driver, rec: Recorder, is_async: bool) -> None:
    err = status_error(401)
    refresh = Refresher(is_async=is_async)
    fn = Script(err, "ok")
    assert drive(retry(fn, rec.options(on_auth_refresh=refresh))) == "ok"
    assert fn.attempts == 2
    assert refresh.calls == [err]
    assert rec.delays == []


def test_auth_error_flag_refreshes(drive: Driver, rec: Recorder) -> None:
    err = ProviderError("token expired", status_code=403, auth_error=True)
    refresh = Refresher()
    fn = Script(err, "ok")
    assert drive(retry(fn, rec.options(on_auth_refresh=refresh))) == "ok"
    assert refresh.calls == [err]
    assert fn.attempts == 2


@pytest.mark.parametrize("status", [403, 500, 429])
def test_other_statuses_do_not_refresh(drive: Driver, rec: Recorder, status: int) -> None:
    refresh = Refresher()
    fn = Script(status_error(status))
    with pytest.raises((ProviderError, RetryError)):
        drive(retry(fn, rec.options(on_auth_refresh=refresh)))
    assert refresh.calls == []


def test_429_exhausted_does_not_refresh(drive: Driver, rec: Recorder) -> None:
    refresh = Refresher()
    fn = Script(status_error(429))
    with pytest.raises(RetryError):
        drive(retry(fn, rec.options(on_auth_refresh=refresh)))
    assert refresh.calls == []
    assert fn.attempts == 4


def test_failed_refresh_raises_the_original_error(drive: Driver, rec: Recorder) -> None:
    err = status_error(401)
    refresh = Refresher(fail=True)
    fn = Script(err, "ok")
    with pytest.raises(ProviderError) as info:
        drive(retry(fn, rec.options(on_auth_refresh=refresh)))
    assert info.value is err
    assert fn.attempts == 1
    assert len(refresh.calls) == 1


def test_persistent_401_refreshes_exactly_once(drive: Driver, rec: Recorder) -> None:
    refresh = Refresher()
    fn = Script(status_error(401))
    with pytest.raises(ProviderError) as info:
        drive(retry(fn, rec.options(on_auth_refresh=refresh)))
    assert info.value.status_code == 401
    assert len(refresh.calls) == 1
    assert fn.attempts == 2


def test_refresh_gives_a_fresh_budget(drive: Driver, rec: Recorder) -> None:
    refresh = Refresher()
    fn = Script(status_error(401), status_error(500), status_error(500), "ok")
    assert drive(retry(fn, rec.options(max_retries=2, on_auth_refresh=refresh))) == "ok"
    assert fn.attempts == 4
    assert len(refresh.calls) == 1
    # The backoff restarts with the budget.
    assert rec.delays == [5.0, 10.0]


def test_401_after_retries_refreshes_and_restarts_backoff(drive: Driver, rec: Recorder) -> None:
    refresh = Refresher()
    fn = Script(status_error(500), status_error(401), status_error(500), "ok")
    assert drive(retry(fn, rec.options(on_auth_refresh=refresh))) == "ok"
    assert fn.attempts == 4
    assert len(refresh.calls) == 1
    assert rec.delays == [5.0, 5.0]


def test_401_with_max_retries_zero_still_refreshes(drive: Driver, rec: Recorder) -> None:
    refresh = Refresher()
    fn = Script(status_error(401), "ok")
    assert drive(retry(fn, rec.options(max_retries=0, on_auth_refresh=refresh))) == "ok"
    assert fn.attempts == 2


def test_without_refresh_hook_401_is_raised_raw(drive: Driver, rec: Recorder) -> None:
    err = status_error(401)
    with pytest.raises(ProviderError) as info:
        drive(retry(Script(err, "ok"), rec.options()))
    assert info.value is err


# --------------------------------------------------------------------------- defaults


def test_default_options() -> None:
    opts = RetryOptions()
    assert (opts.max_retries, opts.initial_delay, opts.backoff_factor) == (3, 5.0, 2.0)
    assert opts.on_retry is None
    assert opts.on_auth_refresh is None


def test_the_default_sleep_is_the_runtime_sleep() -> None:
    assert RetryOptions().sleep is _runtime.sleep
