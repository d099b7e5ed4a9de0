"""The raw-socket floor: what reading an SSE stream costs with no library at all.

asyncio streams, a hand-rolled HTTP/1.1 client (one kept-alive connection, the body
read as ``Transfer-Encoding: chunked`` or by ``Content-Length``), the SSE events cut
out of the body by hand, and one `json.loads` per event. It does less than any HTTP
library (no TLS, proxies, redirects, timeouts, header validation, decompression or
error handling), so it is the limit a library can come near, not a contender.

Used by `bench_stream.py` (the floor of the stream, call, time-to-first-token and
structured-output tables) and `bench_concurrency.py`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

READ = 65536
"""Bytes asked of the socket per read."""


class RawConnection:
    """One HTTP/1.1 connection to the benchmark server, opened on first use, kept alive."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path.rstrip("/")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def post(self, path: str, body: bytes, headers: str = "") -> AsyncIterator[bytes]:
        """Send a POST; yield the response body as it arrives (de-chunked), one piece per
        socket read. The status line is checked, the body must be read to its end."""
        reader, writer = await self._connect()
        writer.write(
            (
                f"POST {self.path}{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
            ).encode()
            + body
        )
        buf = await reader.readuntil(b"\r\n\r\n")
        head = buf.decode("latin-1").split("\r\n")
        if not head[0].startswith("HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {head[0]}")
        length = -1
        chunked = False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
        if chunked:
            async for piece in _dechunk(reader):
                yield piece
        elif length >= 0:
            while length > 0:
                piece = await reader.read(min(length, READ))
                if not piece:
                    raise RuntimeError("connection closed inside the body")
                length -= len(piece)
                yield piece
        else:
            raise RuntimeError("neither chunked nor Content-Length: not kept alive")


async def _dechunk(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The data of ``Transfer-Encoding: chunked``, one joined piece per socket read."""
    buf = b""
    pos = 0
    while True:
        out: list[bytes] = []
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                break
            size = int(buf[pos:eol].split(b";", 1)[0], 16)
            start = eol + 2
            if size == 0:
                # The last chunk: no trailers are sent, so its blank line follows.
                if len(buf) < start + 2:
                    break
                if out:
                    yield b"".join(out)
                return
            end = start + size
            if len(buf) < end + 2:
                break
            out.append(buf[start:end])
            pos = end + 2
        if out:
            yield b"".join(out)
        more = await reader.read(READ)
        if not more:
            raise RuntimeError("connection closed inside a chunked body")
        buf = buf[pos:] + more
        pos = 0


async def sse_json(body: AsyncIterator[bytes]) -> AsyncIterator[dict[str, object]]:
    """The JSON objects of an SSE body's ``data:`` lines (``[DONE]`` ends it)."""
    rest = b""
    async for piece in body:
        events = (rest + piece).split(b"\n\n")
        rest = events.pop()
        for event in events:
            for line in event.split(b"\n"):
                if line.startswith(b"data: "):
                    data = line[6:]
                    if data == b"[DONE]":
                        continue
                    yield json.loads(data)
