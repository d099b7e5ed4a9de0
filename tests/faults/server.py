"""A scripted, fault-injecting HTTP/1.1 server on loopback, for the fault suite.

Real providers fail in ways a mocked transport cannot show: a socket that goes
quiet, a chunked body cut off halfway, a connection the client must close when
it gives up. This server produces those faults over a real TCP connection, so
the whole stack (httpx, the transport, the decoders, the translators, the retry
policy) is what gets tested.

Each test queues behaviours (`Reply`, `Stream`, `Stall`); every request takes the
next one, or asks ``responder`` when the queue is empty. The server records every
request and every connection the client closed while the server still had
something to say, which is how a test proves that cancelling stopped the request.

It runs its own event loop on a thread, so sync and async clients alike can use
it, listens on 127.0.0.1 only, and bounds every wait (``max_wait``) so that a
broken test can never hang the suite.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


@dataclass(slots=True)
class Reply:
    """A whole response with a Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(slots=True)
class Stream:
    """A chunked response; one HTTP chunk per item of ``chunks``.

    ``ending``: ``"complete"`` sends the terminating zero chunk; ``"drop"`` closes the
    socket without it (the body is cut off); ``"hang"`` keeps the connection open,
    sending nothing, until the client closes it (or ``max_wait`` passes).
    """

    chunks: list[bytes]
    ending: str = "complete"
    delay: float = 0.0
    """Seconds between chunks (real time, kept tiny: this is loopback)."""
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    hold_until: int = 0
    """Hold the last chunk back until this many streams are open at once: proof that
    that many were really in flight together."""


@dataclass(slots=True)
class Stall:
    """Read the request, then say nothing at all until the client gives up."""


@dataclass(slots=True)
class Trickle:
    """The bytes of a whole HTTP response (status line, headers, body), ``size`` bytes at
    a time with ``delay`` between: a server or proxy too slow to trip any read timeout.
    After the last byte the connection is held open until the client closes it."""

    data: bytes
    delay: float = 0.05
    size: int = 1


Behaviour = Reply | Stream | Stall | Trickle


class FaultServer:
    """Start with `start`, stop with `stop` (the pytest fixture does both)."""

    def __init__(self, max_wait: float = 10.0):
        self.max_wait = max_wait
        self.requests: list[Request] = []
        self.client_closed = 0
        """Connections the client closed while the server was streaming or stalling."""
        self.open_streams = 0
        self.peak_open_streams = 0
        self.responder: Callable[[Request], Behaviour] | None = None
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def open_connections(self) -> int:
        """Connections open right now, the client's idle keep-alive ones included."""
        return len(self._writers)

    def wait_connections_closed(self, timeout: float = 5.0) -> bool:
        """Poll until the client has closed every connection; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._writers:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def wait_client_closed(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until the client has closed ``count`` connections; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.client_closed >= count, timeout)

    def start(self) -> FaultServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="fault-server")
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("fault server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            # Closed sockets end every handler's read at once; nothing needs cancelling.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=2)
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(5)
        self._loop = None

    # ------------------------------------------------------------------ serving

    def _next(self, request: Request) -> Behaviour:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply(599, b'{"error":{"message":"fault server: nothing scripted"}}')

    def _closed_by_client(self) -> None:
        with self._changed:
            self.client_closed += 1
            self._changed.notify_all()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                keep_open = await self._serve(self._next(request), reader, writer)
                if not keep_open:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Request | None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.max_wait)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await reader.readexactly(length) if length else b""
        return Request(method, path, headers, body)

    async def _serve(
        self, behaviour: Behaviour, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; True when the connection may serve another."""
        if isinstance(behaviour, Reply):
            head = _head(
                behaviour.status,
                {
                    "Content-Type": behaviour.content_type,
                    "Content-Length": str(len(behaviour.body)),
                    **behaviour.headers,
                },
            )
            writer.write(head + behaviour.body)
            await writer.drain()
            return True
        if isinstance(behaviour, Stall):
            await self._until_client_closes(reader)
            return False
        if isinstance(behaviour, Trickle):
            return await self._trickle(behaviour, reader, writer)
        head = _head(
            behaviour.status,
            {
                "Content-Type": behaviour.content_type,
                "Transfer-Encoding": "chunked",
                **behaviour.headers,
            },
        )
        writer.write(head)
        self.open_streams += 1
        self.peak_open_streams = max(self.peak_open_streams, self.open_streams)
        try:
            return await self._send_chunks(behaviour, reader, writer)
        finally:
            self.open_streams -= 1

    async def _send_chunks(
        self, behaviour: Stream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        for index, chunk in enumerate(behaviour.chunks):
            if behaviour.hold_until and index == len(behaviour.chunks) - 1:
                deadline = time.monotonic() + self.max_wait
                while self.peak_open_streams < behaviour.hold_until and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
            if chunk:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            try:
                await writer.drain()
            except ConnectionError:
                self._closed_by_client()
                return False
            if behaviour.delay:
                await asyncio.sleep(behaviour.delay)
        if behaviour.ending == "complete":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        if behaviour.ending == "hang":
            await self._until_client_closes(reader)
        return False

    async def _trickle(
        self, behaviour: Trickle, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        data, step = behaviour.data, behaviour.size
        deadline = time.monotonic() + self.max_wait
        for start in range(0, len(data), step):
            if reader.at_eof() or time.monotonic() > deadline:
                break
            writer.write(data[start : start + step])
            try:
                await writer.drain()
            except ConnectionError:
                self._closed_by_client()
                return False
            await asyncio.sleep(behaviour.delay)
        await self._until_client_closes(reader)
        return False

    async def _until_client_closes(self, reader: asyncio.StreamReader) -> None:
        deadline = time.monotonic() + self.max_wait
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), deadline - time.monotonic())
            except TimeoutError:
                return
            except ConnectionError:
                data = b""
            if not data:
                self._closed_by_client()
                return


def response_bytes(
    status: int, body: bytes, content_type: str = "application/json", **headers: str
) -> bytes:
    """A whole HTTP/1.1 response with a Content-Length, as bytes (for `Trickle`)."""
    fields = {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}
    return _head(status, fields) + body


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Fault\r\n"]
    lines += [f"{k}: {v}\r\n" for k, v in headers.items()]
    return ("".join(lines) + "\r\n").encode("latin-1")
