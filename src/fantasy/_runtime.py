"""One async core, two faces: how the sync API runs the async code without an event loop.

Every I/O point of the library (HTTP, sleeping, running user functions, running
tools side by side) goes through this module. In async mode these are ordinary
awaits. In sync mode they block, inside ``async def`` functions that therefore
never suspend, so the sync face can drive the very same coroutines with
``coroutine.send(None)``: no event loop, no thread hop per streamed chunk, and
one implementation of the agent loop and every provider.

asyncio and threads are imported when first needed: the sync face never
needs asyncio, and an async caller has imported it already.

The mode is a context variable, set by `run_sync` / `iterate_sync` for the
duration of each step they drive.
"""

from __future__ import annotations

import _thread
import contextlib
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterator,
)
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import queue

T = TypeVar("T")
R = TypeVar("R")

_sync_mode: ContextVar[bool] = ContextVar("fantasy_sync_mode", default=False)


_clock: ContextVar[Callable[[], float] | None] = ContextVar("fantasy_clock", default=None)


def monotonic() -> float:
    """``time.monotonic()``, or the clock set with `clock` for the current context.

    The loop reads the time through this (a run's ``total_timeout``), so that a run
    inside a durable workflow reads the workflow's clock, which a replay sees again.
    """
    given = _clock.get()
    return time.monotonic() if given is None else given()


@contextlib.contextmanager
def clock(now: Callable[[], float]) -> Iterator[None]:
    """Make `monotonic` read ``now`` in this context (and the tasks it starts)."""
    token = _clock.set(now)
    try:
        yield
    finally:
        _clock.reset(token)


def module_lock() -> _thread.LockType:
    """A lock guarding a module's own state, made when the module loads.

    It is `threading.Lock` itself, taken from `_thread`: Temporal's workflow sandbox
    refuses every use of `threading` while a workflow runs, and a fantasy module may
    first load there (``import fantasy`` loads its parts when a name is first touched,
    which may be inside a running workflow). The lock is never contended there.
    """
    return _thread.allocate_lock()


def is_sync() -> bool:
    """True while the sync face is driving the current coroutine."""
    return _sync_mode.get()


class SyncDriverError(RuntimeError):
    """A coroutine driven by the sync face tried to wait on an event loop."""


def _suspended(what: object) -> SyncDriverError:
    return SyncDriverError(
        f"a coroutine run by fantasy's sync API awaited {what!r}, which needs an event loop; "
        "use the async API (agenerate/astream) for this code path"
    )


def _needs_loop(exc: RuntimeError) -> bool:
    """asyncio primitives fail with "no running event loop" under the sync face."""
    return "no running event loop" in str(exc)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that does its I/O through this module, blocking, without a loop."""
    token = _sync_mode.set(True)
    try:
        try:
            yielded = coro.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        except RuntimeError as exc:
            if _needs_loop(exc):
                raise _suspended("an asyncio primitive") from exc
            raise
        coro.close()
        raise _suspended(yielded)
    finally:
        _sync_mode.reset(token)


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from sync code; closing the iterator closes the source."""
    try:
        while True:
            token = _sync_mode.set(True)
            try:
                step = agen.__anext__()
                try:
                    yielded = step.send(None)  # type: ignore[attr-defined]
                except StopIteration as item:
                    value: T = item.value
                except StopAsyncIteration:
                    return
                except RuntimeError as exc:
                    if _needs_loop(exc):
                        raise _suspended("an asyncio primitive") from exc
                    raise
                else:
                    step.close()  # type: ignore[attr-defined]
                    raise _suspended(yielded)
            finally:
                _sync_mode.reset(token)
            yield value
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            token = _sync_mode.set(True)
            try:
                closing = aclose()
                try:
                    closing.send(None)
                except (StopIteration, StopAsyncIteration):
                    pass
                except RuntimeError:
                    pass
            finally:
                _sync_mode.reset(token)


async def sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    if is_sync():
        time.sleep(seconds)
    else:
        import asyncio

        await asyncio.sleep(seconds)


def _run_coroutine_blocking(awaitable: Awaitable[T]) -> T:
    """Await user code from the sync face: on a private loop, in a thread if one is running."""

    async def wrapper() -> T:
        return await awaitable

    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapper())
    return _on_daemon_thread(lambda: asyncio.run(wrapper()), None)


async def call_user(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a user function that may be sync or async; await its result if it is awaitable."""
    result = fn(*args, **kwargs)
    # hasattr rather than inspect.isawaitable: this runs for every callback of every
    # streamed chunk, and importing inspect would weigh on `import fantasy`.
    if hasattr(result, "__await__"):
        if is_sync():
            return _run_coroutine_blocking(result)
        return await result
    return result


def is_coroutine_function(fn: Any) -> bool:
    """``inspect.iscoroutinefunction``, imported only when a tool first runs."""
    import inspect

    return inspect.iscoroutinefunction(fn)


SIGNAL_POLL = 0.2
"""Longest a wait for a thread sleeps before it checks for a Ctrl-C that could not wake it."""


def _get(results: queue.SimpleQueue[R], seconds: float | None) -> R:
    """``results.get(timeout=seconds)``, giving way to Ctrl-C.

    A blocking wait is woken by SIGINT (Python then raises KeyboardInterrupt in it), except
    when the signal lands between the moment the thread lets go of the GIL and the moment
    it blocks: its handler is then pending, and nothing wakes the thread to run it. So the
    wait is sliced: a pending KeyboardInterrupt is raised at most SIGNAL_POLL seconds late.
    """
    import queue

    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        wait = SIGNAL_POLL if deadline is None else min(SIGNAL_POLL, deadline - time.monotonic())
        try:
            return results.get(timeout=max(wait, 0))
        except queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                raise


async def run_in_worker(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking code that may never return (a sync tool, fetching credentials) without
    blocking the event loop in async mode: inline on the sync face, else on a daemon
    thread of its own.

    Cancelled (a timeout, a cancelled task, Ctrl-C under `asyncio.run`), the await ends
    at once and the thread is abandoned: it finishes on its own, its result discarded.
    Not `asyncio.to_thread`: the loop's default executor is shut down at the end of
    `asyncio.run`, which waits for every thread it holds, so a KeyboardInterrupt would
    surface only when the slowest tool ended.
    """
    if is_sync():
        return fn(*args)
    import asyncio
    import contextvars
    import threading

    # A cancellation asked for while the caller's code ran without awaiting (Ctrl-C under
    # asyncio.run while a sync callback ran) is delivered here, before the thread starts.
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():  # cancelled: the result is discarded
            return
        if ok:
            future.set_result(value)
            return
        try:
            future.set_exception(value)
        except TypeError:  # StopIteration cannot travel through a future
            error = RuntimeError(f"{type(value).__name__} raised in a worker thread")
            error.__cause__ = value
            future.set_exception(error)

    def target() -> None:
        try:
            outcome: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:
            outcome = (False, exc)
        # RuntimeError: the loop is closed, nobody waits for this result any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *outcome)

    # In a copy of the caller's context, as asyncio.to_thread does.
    context = contextvars.copy_context()
    worker = threading.Thread(
        target=context.run, args=(target,), daemon=True, name="fantasy-worker"
    )
    worker.start()
    try:
        # Woken every SIGNAL_POLL seconds: see `_get`. asyncio.run's Ctrl-C handler (which
        # cancels the main task) has no wakeup fd either, so a SIGINT landing as the loop
        # goes to sleep would wait for the next event, here the end of the tool.
        while not future.done():
            await asyncio.wait((future,), timeout=SIGNAL_POLL)
        return future.result()
    finally:
        future.cancel()  # when abandoned: a late result is discarded, not logged


def _on_daemon_thread(fn: Callable[[], T], seconds: float | None) -> T:
    """Run ``fn`` on a daemon thread (in a copy of the caller's context), blocking until it
    ends, raising `TimeoutError` after ``seconds`` (None: no limit).

    The wait is interruptible: a KeyboardInterrupt (Ctrl-C) surfaces at once, and the
    thread, which nothing can stop, is abandoned; as a daemon it cannot keep the
    interpreter from exiting.
    """
    import contextvars
    import queue
    import threading

    outcome: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def target() -> None:
        try:
            outcome.put((True, fn()))
        except BaseException as exc:
            outcome.put((False, exc))

    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(target,), daemon=True, name="fantasy-job")
    worker.start()
    try:
        ok, value = _get(outcome, seconds)
    except queue.Empty:
        raise TimeoutError(f"timed out after {seconds:g}s") from None
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


async def with_timeout(job: Callable[[], Coroutine[Any, Any, T]], seconds: float | None) -> T:
    """Run ``job``, raising `TimeoutError` if it takes more than ``seconds`` (None: no limit).

    The sync face cannot interrupt the blocking call, so it runs the job on a daemon
    thread and stops waiting for it: the thread is abandoned, and cannot keep the
    interpreter from exiting. In async mode the job is cancelled.
    """
    if seconds is None:
        return await job()
    if not is_sync():
        import asyncio

        return await asyncio.wait_for(job(), seconds)
    return _on_daemon_thread(lambda: run_sync(job()), seconds)


def _run_job(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return run_sync(job())


def _threads_as_completed(
    jobs: list[Callable[[], Coroutine[Any, Any, T]]], limit: int
) -> Generator[T, None, None]:
    """The sync face of `as_completed`: ``limit`` daemon threads take the jobs in turn.

    Closed early (an exception in a job or in the caller, a KeyboardInterrupt while it
    waits) it returns at once: the jobs not started are dropped, the running ones are
    abandoned, their results discarded. Not a ThreadPoolExecutor: its shutdown, and the
    interpreter's exit, wait for every worker.
    """
    import contextvars
    import queue
    import threading
    from collections import deque

    # Each job in a copy of the caller's context, as asyncio tasks get one: a tool
    # reads the same context variables whether it runs alone or in parallel.
    todo = deque((contextvars.copy_context(), job) for job in jobs)
    done: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    abandoned = threading.Event()

    def worker() -> None:
        while not abandoned.is_set():
            try:
                context, job = todo.popleft()
            except IndexError:
                return
            try:
                done.put((True, context.run(_run_job, job)))
            except BaseException as exc:
                done.put((False, exc))

    for _ in range(min(limit, len(todo))):
        threading.Thread(target=worker, daemon=True, name="fantasy-tool").start()
    try:
        for _ in jobs:
            ok, value = _get(done, None)  # Ctrl-C is raised here at once
            if not ok:
                raise value
            yield value
    finally:
        abandoned.set()


async def as_completed(
    jobs: list[Callable[[], Coroutine[Any, Any, T]]], limit: int
) -> AsyncGenerator[T, None]:
    """Run jobs with at most ``limit`` in flight; yield results in completion order."""
    if not jobs:
        return
    if is_sync():
        with contextlib.closing(_threads_as_completed(jobs, limit)) as results:
            for value in results:
                yield value
        return
    import asyncio

    semaphore = asyncio.Semaphore(limit)

    async def bounded(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
        async with semaphore:
            return await job()

    tasks = [asyncio.ensure_future(bounded(job)) for job in jobs]
    # Not asyncio.as_completed, which walks a set of the futures: its order depends on
    # their addresses, and a durable workflow replaying the run must see the same order.
    finished: asyncio.Queue[asyncio.Future[T]] = asyncio.Queue()
    for task in tasks:
        task.add_done_callback(finished.put_nowait)
    try:
        for _ in tasks:
            yield (await finished.get()).result()
    finally:
        for t in tasks:
            t.cancel()


class closing(Generic[T]):
    """Close an async iterator when the block ends, if it can be closed.

    Closing an outer async generator does not close the ones it was iterating;
    without this their cleanup (an open HTTP response) waits for the garbage
    collector. A small object rather than ``asynccontextmanager``: each agent stream
    holds two of these open for its whole life, and a generator-based one is three
    objects the cyclic collector tracks (the generator, its context manager, the
    loop's weak reference to it) where this is one.
    """

    __slots__ = ("_iterator",)

    def __init__(self, iterator: AsyncIterator[T]) -> None:
        self._iterator = iterator

    async def __aenter__(self) -> AsyncIterator[T]:
        return self._iterator

    async def __aexit__(self, *exc: object) -> None:
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            await aclose()
