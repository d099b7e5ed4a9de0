"""A chunked response body read without h11, for the streams of the transport's pool.

httpcore reads a body through h11, which parses each HTTP chunk into an event (about
5 µs of Python per chunk), and every layer above (httpcore, the pool, httpx, the
transport) then handles each chunk in turn. A server sends each SSE event of a stream
as its own chunk, so for a stream that is the whole per-event cost of the transport:
about three times what reading the same bytes by hand costs (benchmarks/bench_stream.py).

`ChunkedBody` reads the body of one response straight from its connection's network
stream: it takes over after h11 has read the head, decodes the chunked framing with
`bytes.find` (as strictly as h11: hex sizes of at most 20 digits, chunk extensions
ignored, each chunk's data followed by CRLF, trailers read and dropped, a line longer
than the connection's limit refused) and hands on all the data one network read
completed, as one piece. When the last chunk arrives, h11 is shown that last chunk
alone, so that it sees the message end and the connection is reused as before. Any
failure raises httpcore's own exception (`RemoteProtocolError`, or the network
stream's `ReadError`/`ReadTimeout`), and the connection is then closed as httpcore
closes it: by the response's ``aclose``.

`take_over` returns None whenever the response is not one it handles exactly (not
HTTP/1.1 on httpcore's own connection, not chunked, encoded, or h11's buffer not in
the expected state), and the body is then read by httpcore as usual.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

_SIZE = re.compile(rb"[ \t]*([0-9A-Fa-f]{1,20})[ \t]*(?:;.*)?")
"""A chunk's size line: the size in hex, optional extensions (ignored)."""

_READ = 64 * 1024
"""Bytes asked of the network per read (httpcore's own ``READ_NUM_BYTES``)."""


class _Decoder:
    """The framing of one chunked body, fed by a network stream (see the subclasses)."""

    __slots__ = (
        "_buf",
        "_done",
        "_error",
        "_footer",
        "_h11",
        "_limit",
        "_network",
        "_pos",
        "_remaining",
        "_timeout",
        "_trailer",
    )

    def __init__(self, h11_state: Any, network: Any, start: bytes, timeout: Any, limit: int):
        self._h11 = h11_state
        self._network = network
        self._buf = start
        self._pos = 0
        self._remaining = 0
        """Bytes of the current chunk's data still to come."""
        self._footer = False
        """The CRLF after a chunk's data is next."""
        self._trailer = False
        """The last chunk was read: trailer lines until a blank one."""
        self._done = False
        self._error = ""
        """A framing error found after data that is handed on first; raised next."""
        self._timeout = timeout
        self._limit = limit

    def _received(self, more: bytes) -> None:
        if not more:
            self._failed(
                "peer closed connection without sending complete message body "
                "(incomplete chunked read)"
            )
        self._buf = self._buf[self._pos :] + more if self._pos < len(self._buf) else more
        self._pos = 0

    def _decode(self) -> bytes:
        """All the data the buffer completes; at the last chunk, the message's end. A
        framing error is raised once the data before it has been handed on."""
        if self._error:
            self._failed(self._error)
        buf = self._buf
        pos = self._pos
        out: list[bytes] = []
        size = len(buf)
        while pos < size:
            if self._remaining:
                end = min(size, pos + self._remaining)
                out.append(buf[pos:end])
                self._remaining -= end - pos
                pos = end
                if self._remaining:
                    break
                self._footer = True
                continue
            if self._footer:
                if size - pos < 2:
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    self._error = f"malformed chunk footer: {bytes(buf[pos : pos + 2])!r}"
                    break
                pos += 2
                self._footer = False
                continue
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                if size - pos > self._limit:
                    self._error = "chunk header or trailer line too long"
                break
            line = buf[pos:eol]
            pos = eol + 2
            if self._trailer:
                if not line:
                    self._end(buf[pos:])
                    pos = size
                    break
                continue
            match = _SIZE.fullmatch(line)
            if match is None:
                self._error = f"illegal chunk header: {bytes(line[:40])!r}"
                break
            chunk = int(match.group(1), 16)
            if chunk == 0:
                self._trailer = True
            else:
                self._remaining = chunk
        if pos >= size:
            # Nothing left of this read: do not hold it while the stream waits for more.
            self._buf = b""
            pos = 0
        self._pos = pos
        if self._error and not out:
            self._failed(self._error)
        return b"".join(out) if len(out) != 1 else out[0]

    def _end(self, rest: bytes) -> None:
        """The message is over: show h11 the last chunk alone (its reader has not moved
        since the head, and its buffer was emptied at `take_over`), and whatever came
        after it, so that h11 ends the message and httpcore reuses the connection."""
        import h11

        self._done = True
        self._h11.receive_data(b"0\r\n\r\n" + rest)
        event = self._h11.next_event()
        if type(event) is not h11.EndOfMessage:
            self._failed("the connection's state did not end with the body")

    def _failed(self, message: str) -> NoReturn:
        from httpcore import RemoteProtocolError

        self._done = True
        raise RemoteProtocolError(message)


class ChunkedBody(_Decoder):
    """The decoded data of one chunked body, one piece per network read (async).

    On httpcore's anyio network stream it reads the anyio stream below it itself:
    httpcore's ``read`` enters two context managers and an anyio cancel scope with a
    timer for every read, about twenty objects that a stream waiting for data keeps
    alive and the cyclic collector tracks, for each of a thousand streams in flight
    (benchmarks/README.md, "Concurrent streams"). Here the read timeout is one timer
    per body (`_ReadTimer`), re-armed only when it fires during a read that began
    later, and the errors are httpcore's own, as its ``read`` raises them."""

    __slots__ = ("_stream", "_timer")

    def __init__(self, h11_state: Any, network: Any, start: bytes, timeout: Any, limit: int):
        super().__init__(h11_state, network, start, timeout, limit)
        self._stream = _anyio_stream(network)
        """The anyio byte stream under httpcore's, or None to read through httpcore."""
        self._timer: _ReadTimer | None = None

    def __aiter__(self) -> ChunkedBody:
        return self

    async def __anext__(self) -> bytes:
        while not self._done:
            data = self._decode()
            if data:
                return data
            if self._done:
                break
            if self._stream is None:
                self._received(await self._network.read(_READ, timeout=self._timeout))
            else:
                self._received(await self._receive())
        self.close()
        raise StopAsyncIteration

    async def _receive(self) -> bytes:
        """httpcore's ``AnyIOStream.read``: the same errors, one timer per body."""
        import anyio

        timer = self._timer
        if timer is None and self._timeout is not None:
            timer = self._timer = _ReadTimer(self._timeout)
        if timer is not None:
            timer.start()
        try:
            assert self._stream is not None
            return await self._stream.receive(_READ)  # type: ignore[no-any-return]
        except anyio.EndOfStream:
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            from httpcore import ReadError

            raise ReadError(exc) from exc
        except BaseException as exc:
            if timer is not None and timer.timed_out(exc):
                from httpcore import ReadTimeout

                raise ReadTimeout("timed out") from None
            raise
        finally:
            if timer is not None:
                timer.end()

    def close(self) -> None:
        """Stop the read timer (the body ended, failed or was abandoned)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None


class _ReadTimer:
    """The read timeout of one body: a read that waits longer than ``timeout`` for data
    has its task cancelled and raises httpcore's ``ReadTimeout``, as under httpcore's
    ``anyio.fail_after``. One timer for the body, not one per read: when it fires
    during a read that began later (or between reads) it is set again for that read,
    so a stream whose reads each take less than the timeout costs one timer per
    ``timeout`` seconds at most."""

    __slots__ = ("_base", "_fired", "_handle", "_loop", "_task", "reading", "since", "timeout")

    def __init__(self, timeout: float) -> None:
        import asyncio

        self.timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[Any] | None = None
        self._handle: asyncio.TimerHandle | None = None
        self.reading = False
        self.since = 0.0
        self._fired = False
        self._base = 0

    def start(self) -> None:
        import asyncio

        self._task = asyncio.current_task()
        self.since = self._loop.time()
        self.reading = True
        if self._handle is None and self._task is not None:
            self._handle = self._loop.call_at(self.since + self.timeout, self._expire)

    def _expire(self) -> None:
        self._handle = None
        if not self.reading or self._task is None:
            return  # the next read sets the timer again
        due = self.since + self.timeout
        if self._loop.time() < due:
            self._handle = self._loop.call_at(due, self._expire)
            return
        self._fired = True
        self._base = self._task.cancelling()
        self._task.cancel()

    def end(self) -> None:
        """The read is over; the task is not held between reads (it holds the body)."""
        self.reading = False
        if not self._fired:
            self._task = None

    def timed_out(self, exc: BaseException) -> bool:
        """After ``exc`` ended a read: True if it is this timer's cancellation (then
        withdrawn); a cancellation from elsewhere at the same time is kept."""
        import asyncio

        if not self._fired or not isinstance(exc, asyncio.CancelledError):
            return False
        self._fired = False
        task, self._task = self._task, None
        assert task is not None
        return task.uncancel() <= self._base

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._task = None


def _anyio_stream(network: Any) -> Any:
    """The anyio byte stream under httpcore's ``AnyIOStream`` (plain or TLS), or None
    for any other network stream (trio's, a test's), which is then read through it."""
    try:
        from httpcore._backends.anyio import AnyIOStream
    except ImportError:
        return None
    if type(network) is not AnyIOStream:
        return None
    stream = getattr(network, "_stream", None)
    return stream if callable(getattr(stream, "receive", None)) else None


class SyncChunkedBody(_Decoder):
    """The sync face of `ChunkedBody`, in place of httpcore's body stream ``inner``
    (closing it closes that, which ends the response as httpcore does)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any, *args: Any) -> None:
        super().__init__(*args)
        self._inner = inner

    def __iter__(self) -> SyncChunkedBody:
        return self

    def __next__(self) -> bytes:
        while not self._done:
            data = self._decode()
            if data:
                return data
            if self._done:
                break
            self._received(self._network.read(_READ, timeout=self._timeout))
        raise StopIteration

    def close(self) -> None:
        self._inner.close()


def take_over(stream: Any, request: Any) -> ChunkedBody | None:
    """A `ChunkedBody` reading ``stream`` (httpcore's body of an HTTP/1.1 response whose
    head was just read), or None to leave it to httpcore."""
    try:
        from httpcore._async.http11 import AsyncHTTP11Connection, HTTP11ConnectionByteStream
    except ImportError:  # another version of httpcore: no fast path
        return None
    if type(stream) is not HTTP11ConnectionByteStream:
        return None
    connection = getattr(stream, "_connection", None)
    if type(connection) is not AsyncHTTP11Connection:
        return None
    found = _ready(connection)
    if found is None:
        return None
    state, start = found
    timeout = request.extensions.get("timeout", {}).get("read")
    limit = int(getattr(connection, "MAX_INCOMPLETE_EVENT_SIZE", 100 * 1024))
    return ChunkedBody(state, connection._network_stream, start, timeout, limit)


def take_over_sync(response: Any) -> bool:
    """Have the body of ``response`` (an ``httpx.Response`` of a sync client, not yet
    read) read by a `SyncChunkedBody` if httpx and httpcore hold it as expected; False
    (nothing changed) otherwise. httpx's layers above stay, mapping errors as ever."""
    try:
        from httpcore._sync.connection_pool import PoolByteStream
        from httpcore._sync.http11 import HTTP11Connection, HTTP11ConnectionByteStream
    except ImportError:
        return False
    pool_stream = getattr(getattr(response.stream, "_stream", None), "_httpcore_stream", None)
    if type(pool_stream) is not PoolByteStream:
        return False
    stream = getattr(pool_stream, "_stream", None)
    if type(stream) is not HTTP11ConnectionByteStream:
        return False
    connection = getattr(stream, "_connection", None)
    if type(connection) is not HTTP11Connection:
        return False
    found = _ready(connection)
    if found is None:
        return False
    state, start = found
    request = getattr(stream, "_request", None)
    timeout = getattr(request, "extensions", {}).get("timeout", {}).get("read")
    limit = int(getattr(connection, "MAX_INCOMPLETE_EVENT_SIZE", 100 * 1024))
    pool_stream._stream = SyncChunkedBody(
        stream, state, connection._network_stream, start, timeout, limit
    )
    return True


def _ready(connection: Any) -> tuple[Any, bytes] | None:
    """The h11 state of ``connection`` and the body bytes it holds, if it has read just
    the head of a chunked response; its buffer is then emptied (the bytes are ours)."""
    try:
        import h11
        from h11._readers import ChunkedReader
        from h11._receivebuffer import ReceiveBuffer
    except ImportError:  # another version of h11: no fast path
        return None
    state = getattr(connection, "_h11_state", None)
    reader = getattr(state, "_reader", None)
    buffer = getattr(state, "_receive_buffer", None)
    if (
        type(state) is not h11.Connection
        or type(reader) is not ChunkedReader
        or type(buffer) is not ReceiveBuffer
        or state.their_state is not h11.SEND_BODY
        or getattr(reader, "_bytes_in_chunk", None) != 0
        or getattr(reader, "_bytes_to_discard", None) != b""
        or getattr(reader, "_reading_trailer", None) is not False
    ):
        return None
    start, closed = state.trailing_data
    if closed:
        return None  # the server already closed: let h11 report it as it does
    state._receive_buffer = ReceiveBuffer()
    return state, start
