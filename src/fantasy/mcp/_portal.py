"""One event loop, on a daemon thread, where every MCP session lives.

An MCP session is a set of anyio tasks bound to the loop that opened it. Fantasy's
sync face runs without a loop, and an async caller's loop may end (``asyncio.run``
returns) while a server should stay up for the next run. So sessions live here, and
both faces hand their requests over: the async face awaits a wrapped future (its
cancellation cancels the request), the sync face blocks on it, waking every
`SIGNAL_POLL` seconds so Ctrl-C is raised at once.

At interpreter exit every connection still open is closed (stdin closed, then
SIGTERM, then SIGKILL for a stdio server), so no child process outlives the program,
whether it ended normally, on an exception or on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from fantasy import _runtime

T = TypeVar("T")

SIGNAL_POLL = 0.2
"""Longest a blocked sync caller waits before it checks for Ctrl-C."""

EXIT_GRACE = 10.0
"""Most the interpreter's exit waits for open connections to close (each closes within
the SDK's bounds: 2 s for stdin, 2 s after SIGTERM)."""


class Closeable(Protocol):
    async def close_now(self) -> None: ...


_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_open: set[Closeable] = set()
"""Connections open right now; closed at exit if their owners did not close them."""


def loop() -> asyncio.AbstractEventLoop:
    """The portal's loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is not None and _thread is not None and _thread.is_alive():
            return _loop
        ready = threading.Event()
        new_loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(new_loop)
            new_loop.call_soon(ready.set)
            new_loop.run_forever()

        _thread = threading.Thread(target=run, name="fantasy-mcp", daemon=True)
        _thread.start()
        ready.wait()
        _loop = new_loop
        atexit.register(_close_all_at_exit)
        return new_loop


def on_portal() -> bool:
    """True in code running on the portal's own thread."""
    return _thread is not None and threading.current_thread() is _thread


def register(connection: Closeable) -> None:
    _open.add(connection)


def unregister(connection: Closeable) -> None:
    _open.discard(connection)


async def call(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``job()`` on the portal's loop and give its result, from either face."""
    if on_portal():
        return await job()
    future = asyncio.run_coroutine_threadsafe(job(), loop())
    if _runtime.is_sync():
        return wait(future)
    return await asyncio.wrap_future(future)


async def call_shielded(job: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`call` for work that must finish (closing a server): the caller's cancellation
    stops its waiting, not the work, which goes on to its end on the portal."""
    if on_portal():
        return await job()
    future = asyncio.run_coroutine_threadsafe(job(), loop())
    if _runtime.is_sync():
        return wait(future, cancel=False)
    return await asyncio.shield(asyncio.wrap_future(future))


def wait(future: concurrent.futures.Future[T], *, cancel: bool = True) -> T:
    """Block on a portal future, giving way to Ctrl-C (which cancels the work unless
    ``cancel`` is False)."""
    try:
        # Not future.result(timeout=...) in a loop: the work's own TimeoutError (a request
        # that timed out) would read as "not done yet".
        while not future.done():
            concurrent.futures.wait([future], timeout=SIGNAL_POLL)
        return future.result()
    except BaseException:
        if cancel:
            future.cancel()
        raise


def spawn(job: Awaitable[Any]) -> None:
    """Start ``job`` on the portal without waiting for it (a close nobody waits for)."""

    async def run() -> None:
        await job

    asyncio.run_coroutine_threadsafe(run(), loop())


def _close_all_at_exit() -> None:
    if not _open or _loop is None or _thread is None or not _thread.is_alive():
        return

    async def close_all() -> None:
        await asyncio.gather(*(c.close_now() for c in list(_open)), return_exceptions=True)

    future = asyncio.run_coroutine_threadsafe(close_all(), _loop)
    try:
        future.result(timeout=EXIT_GRACE)
    except BaseException:  # exit goes on: a second Ctrl-C, a server that will not die
        future.cancel()
