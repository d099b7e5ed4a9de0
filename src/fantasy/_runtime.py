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

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_sync_mode: ContextVar[bool] = ContextVar("fantasy_sync_mode", default=False)


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
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapper())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, wrapper()).result()


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


async def run_in_worker(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking user code (a sync tool) without blocking the event loop in async mode."""
    if is_sync():
        return fn(*args)
    import asyncio

    return await asyncio.to_thread(fn, *args)


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
    import contextvars
    import threading

    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, run_sync(job())))
        except BaseException as exc:
            outcome.append((False, exc))

    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(target,), daemon=True, name="fantasy-job")
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError(f"timed out after {seconds:g}s")
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _run_job(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return run_sync(job())


async def as_completed(
    jobs: list[Callable[[], Coroutine[Any, Any, T]]], limit: int
) -> AsyncGenerator[T, None]:
    """Run jobs with at most ``limit`` in flight; yield results in completion order."""
    if not jobs:
        return
    import asyncio
    import concurrent.futures

    if is_sync():
        import contextvars

        with concurrent.futures.ThreadPoolExecutor(max_workers=limit) as pool:
            # Each job in a copy of the caller's context, as asyncio tasks get one: a
            # tool reads the same context variables whether it runs alone or in parallel.
            futures = [pool.submit(contextvars.copy_context().run, _run_job, job) for job in jobs]
            for fut in concurrent.futures.as_completed(futures):
                yield fut.result()
        return
    semaphore = asyncio.Semaphore(limit)

    async def bounded(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
        async with semaphore:
            return await job()

    tasks = [asyncio.ensure_future(bounded(job)) for job in jobs]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for t in tasks:
            t.cancel()


@contextlib.asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncGenerator[AsyncIterator[T], None]:
    """Close an async iterator when the block ends, if it can be closed.

    Closing an outer async generator does not close the ones it was iterating;
    without this their cleanup (an open HTTP response) waits for the garbage
    collector.
    """
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
