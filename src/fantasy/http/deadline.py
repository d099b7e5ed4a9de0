"""Deadlines that hold whatever the server does.

httpx bounds each wait (connect, each read), not a response: a server that sends
its body a byte every half second, trickles its headers, or keeps a stream warm
with comments never trips a read timeout. Here a response is bounded as a whole:

* `ResponseClock` knows when a response must end: the call's deadline, and for a
  stream the idle limit since the last data that advanced it.
* Sync face: `install` wraps the network backend of the clients fantasy builds
  itself, so every socket wait is cut to what is left of the deadline of the
  request being read on this thread (`reading`). No thread, no timer.
* Async face: `AsyncWatch` is one timer per response that cancels the reading
  task when the deadline passes during a read (never while the caller's own code
  runs between two chunks), and whole requests run under ``asyncio.timeout_at``.

A client the caller built is not touched: its reads are checked as chunks arrive.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    import httpx

LOCAL = threading.local()
"""``due``: the monotonic time the request this thread is reading must end by (set by
the reader around each wait; ``inf`` or unset while it reads nothing)."""


class ResponseClock:
    """When one request must end: its deadline, and (streams) the idle limit."""

    __slots__ = ("advanced", "deadline", "idle", "last_progress", "timeout")

    def __init__(self, timeout: float | None, idle: float | None):
        now = time.monotonic()
        self.timeout = timeout
        self.deadline = math.inf if timeout is None else now + timeout
        self.idle = idle
        self.last_progress = now
        self.advanced = False
        """Set by the stream's reader when data advanced it; the next read then counts
        the idle limit afresh from when it starts (`note_progress`)."""

    def note_progress(self, now: float) -> None:
        """Per chunk, before the next read: cheaper than reading the clock per part."""
        if self.advanced:
            self.advanced = False
            self.last_progress = now

    def due(self) -> float:
        """The monotonic time the response must end by (``inf``: never)."""
        if self.idle is None:
            return self.deadline
        return min(self.deadline, self.last_progress + self.idle)

    def expired(self) -> str:
        """Why the response is over time (``""`` while it is not)."""
        now = time.monotonic()
        if now >= self.deadline:
            return f"the call's timeout of {self.timeout:.3g}s passed"
        if self.idle is not None and now >= self.last_progress + self.idle:
            return (
                f"the stream sent nothing that advanced it for {self.idle:.3g}s "
                "(HttpLimits.stream_idle_timeout)"
            )
        return ""


@contextmanager
def reading(due: float) -> Iterator[None]:
    """Sync face: socket waits on this thread end by ``due`` (monotonic) meanwhile."""
    previous = getattr(LOCAL, "due", math.inf)
    LOCAL.due = min(due, previous)
    try:
        yield
    finally:
        LOCAL.due = previous


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    due: float = getattr(LOCAL, "due", math.inf)
    if due == math.inf:
        return timeout
    left = due - time.monotonic()
    if left <= 0:
        raise error("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


def install(client: httpx.Client) -> None:
    """Make the socket waits of ``client``'s pools (its own and any proxy's) honour
    `reading`. httpx has no public hook for its network backend; where its pools do
    not look as expected, the client is left as it is (chunk checks still hold)."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]


class _Backend:
    """An httpcore network backend whose streams cut every wait to the deadline."""

    def __init__(self, inner: Any):
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _Stream:
        import httpcore

        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> _Stream:
        import httpcore

        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream:
    __slots__ = ("_inner",)

    def __init__(self, inner: Any):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        data: bytes = self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        import httpcore

        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncWatch:
    """One timer for one streamed response (async face): past the clock's due time it
    cancels the task that is reading, and only while it reads (`reading` is set by
    the reader around each wait for a chunk), so the caller's own code between two
    chunks is never interrupted; the next read then finds the clock expired."""

    __slots__ = ("_clock", "_handle", "_loop", "_task", "fired", "reading")

    def __init__(self, clock: ResponseClock) -> None:
        import asyncio

        self._clock = clock
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[Any] | None = asyncio.current_task()
        self.reading = False
        self.fired = False
        self._handle: asyncio.TimerHandle | None = None
        due = clock.due()
        if due != math.inf and self._task is not None:
            self._handle = self._loop.call_at(due, self._fire)

    def _fire(self) -> None:
        due = self._clock.due()
        if self._loop.time() < due:
            # Data arrived since the timer was set: wait for the new due time.
            self._handle = self._loop.call_at(due, self._fire)
            return
        self._handle = None
        if self.reading and self._task is not None:
            self.fired = True
            self._task.cancel()

    def timed_out(self) -> bool:
        """After a ``CancelledError`` in a read: True if this watch caused it (the
        cancellation is then withdrawn, so the task goes on to handle the timeout)."""
        if not self.fired or self._task is None:
            return False
        self.fired = False
        self._task.uncancel()
        return True

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def loop_deadline(clock: ResponseClock, loop: asyncio.AbstractEventLoop) -> float | None:
    """The clock's due time on ``loop``'s clock, for ``asyncio.timeout_at``."""
    due = clock.due()
    if due == math.inf:
        return None
    # asyncio's default clock is time.monotonic; translate in case a loop has another.
    return loop.time() + (due - time.monotonic())
