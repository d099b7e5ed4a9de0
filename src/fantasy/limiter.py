"""A request limiter shared by agents: at most so many requests at once, and
optionally so many started per minute, per model (or per provider).

`RequestLimiter` holds the counts; `RequestLimiter.limit(model)` is a `LanguageModel`
that takes a slot for each request it makes (a stream holds it until it ends or is
closed), so any model honours it wherever it is called from: by an agent (each
retry is a new request and takes a new slot), inside a fallback model, or on its
own. ``Agent(limiter=...)`` (or ``limiter=`` per call) limits the model of every
request the run makes.

One limiter serves both faces at once: the sync face waits on threads (a run in each
thread of a pool), the async face on its event loop (or loops), without blocking it.
A freed slot goes to the longest waiter (first come, first served). The per-minute
limit is a sliding window: no 60 seconds see more than ``per_minute`` request
starts; a request that would pass it waits (``sleep``) until its turn.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from fantasy import _runtime
from fantasy.errors import InvalidArgumentError
from fantasy.model import BaseLanguageModel, Call, LanguageModel, Response
from fantasy.types import StreamPart

if TYPE_CHECKING:
    import asyncio

    from fantasy.objects import ObjectCall, ObjectResponse, ObjectStreamPart

__all__ = ["LimitedModel", "RequestLimiter"]

WINDOW = 60.0


class _Waiter:
    """One request waiting for a slot: a thread (an Event) or a task (a future)."""

    __slots__ = ("event", "future", "granted", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None):
        self.granted = False
        self.loop = loop
        self.event: threading.Event | None = None
        self.future: asyncio.Future[None] | None = None
        if loop is None:
            self.event = threading.Event()
        else:
            self.future = loop.create_future()

    def wake(self) -> None:
        if self.event is not None:
            self.event.set()
        elif self.loop is not None:
            # RuntimeError: the loop is closed, nobody waits any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_settle, self.future)


def _settle(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class _Budget:
    """One key's counts."""

    __slots__ = ("active", "peak", "starts", "total", "waiters")

    def __init__(self, per_minute: int | None):
        self.active = 0
        self.peak = 0
        self.total = 0
        self.waiters: deque[_Waiter] = deque()
        self.starts: deque[float] = deque(maxlen=per_minute) if per_minute else deque()


class RequestLimiter:
    """Caps the requests in flight (``max_concurrent``) and, optionally, the requests
    started per minute (``per_minute``), for each model (``per="model"``, the default:
    provider and model id) or each provider (``per="provider"``).

    Share one limiter between every agent (and thread, and event loop) whose requests
    count against the same rate limits. ``clock`` (seconds, monotonic) and ``sleep``
    (an async function; by default the library's, which blocks on the sync face) are
    there for tests. ``peak(model)`` and ``in_flight(model)`` tell what it has seen.
    """

    def __init__(
        self,
        max_concurrent: int | None = None,
        *,
        per_minute: int | None = None,
        per: Literal["model", "provider"] = "model",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ):
        for name, value in (("max_concurrent", max_concurrent), ("per_minute", per_minute)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise InvalidArgumentError(
                    f"RequestLimiter: {name} must be a whole number of at least 1, got {value!r}"
                )
        if max_concurrent is None and per_minute is None:
            raise InvalidArgumentError("RequestLimiter: give max_concurrent, per_minute, or both")
        if per not in ("model", "provider"):
            raise InvalidArgumentError(
                f"RequestLimiter: per must be 'model' or 'provider', got {per!r}"
            )
        self.max_concurrent = max_concurrent
        self.per_minute = per_minute
        self.per = per
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}

    def __repr__(self) -> str:
        return (
            f"RequestLimiter(max_concurrent={self.max_concurrent!r}, "
            f"per_minute={self.per_minute!r}, per={self.per!r})"
        )

    # ------------------------------------------------------------------ keys and stats

    def key(self, model: LanguageModel | Any) -> str:
        provider = str(getattr(model, "provider", "") or "")
        if self.per == "provider":
            return provider
        return f"{provider}:{getattr(model, 'model', '') or ''}"

    def _budget(self, key: str) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = _Budget(self.per_minute)
        return budget

    def in_flight(self, model: LanguageModel | Any) -> int:
        """Requests holding a slot of ``model``'s budget now."""
        with self._lock:
            return self._budget(self.key(model)).active

    def peak(self, model: LanguageModel | Any) -> int:
        """The most requests of ``model``'s budget seen in flight at once."""
        with self._lock:
            return self._budget(self.key(model)).peak

    def started(self, model: LanguageModel | Any) -> int:
        """Requests of ``model``'s budget that have taken a slot so far."""
        with self._lock:
            return self._budget(self.key(model)).total

    # ------------------------------------------------------------------ taking a slot

    def limit(self, model: LanguageModel) -> LanguageModel:
        """``model``, taking a slot of this limiter for each request it makes."""
        if isinstance(model, LimitedModel) and model.limiter is self:
            return model
        members = getattr(model, "models", None)
        if isinstance(members, list) and members and all(_is_model(m) for m in members):
            # A model made of models (`fantasy.FallbackModel`): each member takes a slot
            # of its own budget when it is asked, so a fallback waits for its model's.
            import copy

            composite = copy.copy(model)
            composite.models = [self.limit(m) for m in members]  # type: ignore[attr-defined]
            return composite
        return LimitedModel(model, self)

    async def acquire(self, key: str) -> None:
        """Wait for a slot of ``key``'s budget (then for its turn in the minute)."""
        if self.max_concurrent is not None:
            await self._take_slot(key)
        try:
            if self.per_minute is not None:
                delay = self._reserve_start(key)
                if delay > 0:
                    await _runtime.call_user(self.sleep or _runtime.sleep, delay)
        except BaseException:
            if self.max_concurrent is not None:
                self.release(key)
            raise
        with self._lock:
            budget = self._budget(key)
            budget.total += 1
            if self.max_concurrent is None:
                budget.active += 1
            budget.peak = max(budget.peak, budget.active)

    def release(self, key: str) -> None:
        """Give back a slot: to the longest waiter, if any."""
        with self._lock:
            budget = self._budget(key)
            while budget.waiters:
                waiter = budget.waiters.popleft()
                waiter.granted = True  # the slot passes on: ``active`` stays as it is
                waiter.wake()
                return
            budget.active -= 1

    async def _take_slot(self, key: str) -> None:
        assert self.max_concurrent is not None
        loop = None
        if not _runtime.is_sync():
            import asyncio

            loop = asyncio.get_running_loop()
        with self._lock:
            budget = self._budget(key)
            if budget.active < self.max_concurrent and not budget.waiters:
                budget.active += 1
                return
            waiter = _Waiter(loop)
            budget.waiters.append(waiter)
        try:
            if waiter.event is not None:
                # Sliced, so a Ctrl-C is raised at once (see fantasy._runtime._get).
                while not waiter.event.wait(_runtime.SIGNAL_POLL):
                    pass
            else:
                assert waiter.future is not None
                await waiter.future
        except BaseException:
            with self._lock:
                if not waiter.granted:
                    budget.waiters.remove(waiter)
                    raise
            self.release(key)  # granted as it was cancelled: pass the slot on
            raise

    def _reserve_start(self, key: str) -> float:
        """Book this request's start in the sliding window; seconds to wait for it."""
        assert self.per_minute is not None
        with self._lock:
            starts = self._budget(key).starts
            now = self.clock()
            at = now
            if len(starts) >= self.per_minute:
                # The per_minute-th latest start must have left the window.
                at = max(now, starts[0] + WINDOW)
            starts.append(at)
            return at - now


def _is_model(model: object) -> bool:
    return callable(getattr(model, "agenerate", None)) and callable(getattr(model, "astream", None))


class LimitedModel(BaseLanguageModel):
    """A model whose every request takes a slot of a `RequestLimiter` first.

    A whole answer holds its slot for the request; a stream, until it ends or is
    closed. Everything else (its provider and id, its object mode, its schema checks,
    its other attributes) is the wrapped model's.
    """

    def __init__(self, model: LanguageModel, limiter: RequestLimiter):
        self.wrapped = model
        self.limiter = limiter
        self.object_mode = getattr(model, "object_mode", "auto")
        self.native_object_output = getattr(model, "native_object_output", False)

    @property
    def provider(self) -> str:
        return self.wrapped.provider

    @property
    def model(self) -> str:
        return self.wrapped.model

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class does not have (``url``, ``codec``, ...).
        if name == "wrapped":
            raise AttributeError(name)
        return getattr(self.wrapped, name)

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        check = getattr(self.wrapped, "check_schema", None)
        if check is not None:
            check(schema, where)

    async def agenerate(self, call: Call) -> Response:
        key = self.limiter.key(self.wrapped)
        await self.limiter.acquire(key)
        try:
            return await self.wrapped.agenerate(call)
        finally:
            self.limiter.release(key)

    async def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        key = self.limiter.key(self.wrapped)
        await self.limiter.acquire(key)
        try:
            async with _runtime.closing(self.wrapped.astream(call)) as parts:
                async for part in parts:
                    yield part
        finally:
            self.limiter.release(key)

    async def agenerate_object(self, call: ObjectCall) -> ObjectResponse:
        key = self.limiter.key(self.wrapped)
        await self.limiter.acquire(key)
        try:
            return await self.wrapped.agenerate_object(call)
        finally:
            self.limiter.release(key)

    async def astream_object(self, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
        key = self.limiter.key(self.wrapped)
        await self.limiter.acquire(key)
        try:
            async with _runtime.closing(self.wrapped.astream_object(call)) as parts:
                async for part in parts:
                    yield part
        finally:
            self.limiter.release(key)

    def __repr__(self) -> str:
        return f"LimitedModel({self.wrapped!r}, {self.limiter!r})"
