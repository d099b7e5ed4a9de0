"""Chunked stream bodies read without h11 (`fantasy.http.chunked`), on both faces.

A loopback server writes exact bytes: chunk extensions, trailers, a body dribbled a
few bytes per write, one huge chunk holding many events, and broken framings. The
stream must come out whole and the connection be reused after it; a broken framing
or a connection cut inside the body must end the stream with one transport error
part, and the next request must still work on a new connection.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import fantasy
from fantasy.providers import openai

Body = Callable[[socket.socket], None]


def _event(text: str | None, finish: str | None = None) -> bytes:
    delta = {} if text is None else {"content": text}
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


WORDS = [f"w{i} " for i in range(300)]
EVENTS = [_event(w) for w in WORDS] + [_event(None, "stop"), b"data: [DONE]\n\n"]
TEXT = "".join(WORDS)
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
)


def _chunked(events: list[bytes], ext: bytes = b"", trailer: bytes = b"") -> bytes:
    out = [b"%x%s\r\n%s\r\n" % (len(e), ext, e) for e in events]
    return b"".join(out) + b"0\r\n" + trailer + b"\r\n"


class RawServer:
    """Answers each request on a connection with the next scripted body writer."""

    def __init__(self, bodies: list[Body]) -> None:
        self.bodies = list(bodies)
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            with conn:
                self._answer(conn)
        except OSError:  # the client closed it, or a body cut it
            return

    def _answer(self, conn: socket.socket) -> None:
        buf = b""
        while self.bodies:
            while b"\r\n\r\n" not in buf:
                more = conn.recv(65536)
                if not more:
                    return
                buf += more
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                buf += conn.recv(65536)
            buf = buf[length:]
            self.bodies.pop(0)(conn)

    def close(self) -> None:
        self.sock.close()


def whole(data: bytes) -> Body:
    return lambda conn: conn.sendall(HEAD + data)


def dribbled(data: bytes, size: int) -> Body:
    def send(conn: socket.socket) -> None:
        conn.sendall(HEAD)
        for i in range(0, len(data), size):
            conn.sendall(data[i : i + size])
            time.sleep(0.0005)

    return send


def cut(data: bytes) -> Body:
    def send(conn: socket.socket) -> None:
        conn.sendall(HEAD + data)
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    return send


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _stream(url: str, face: str, times: int) -> list[list[Any]]:
    """``times`` streams of one model (one client), each as its list of parts."""
    provider = openai.Provider(api_key="sk-test", base_url=url)
    model = provider.language_model("gpt-4o-mini")
    call = fantasy.Call(prompt=[fantasy.user_message("hi")])
    if face == "sync":
        try:
            return [list(model.stream(call)) for _ in range(times)]
        finally:
            provider.close()  # its connections, not left to the garbage collector

    async def run() -> list[list[Any]]:
        try:
            return [[p async for p in model.astream(call)] for _ in range(times)]
        finally:
            await provider.aclose()

    return asyncio.run(run())


def _text(parts: list[Any]) -> str:
    return "".join(p.delta for p in parts if p.type is fantasy.StreamPartType.TEXT_DELTA)


def _error(parts: list[Any]) -> BaseException | None:
    errors = [p.error for p in parts if p.type is fantasy.StreamPartType.ERROR]
    assert len(errors) <= 1
    return errors[0] if errors else None


@pytest.fixture
def server_of() -> Iterator[Callable[[list[Body]], RawServer]]:
    servers: list[RawServer] = []

    def make(bodies: list[Body]) -> RawServer:
        servers.append(RawServer(bodies))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def test_extensions_and_trailers_on_one_kept_alive_connection(
    face: str, server_of: Callable[[list[Body]], RawServer]
) -> None:
    body = _chunked(EVENTS, ext=b";name=value", trailer=b"X-Checksum: abc\r\n")
    server = server_of([whole(body), whole(body)])
    first, second = _stream(server.url, face, 2)
    assert _text(first) == TEXT and _error(first) is None
    assert _text(second) == TEXT and _error(second) is None
    assert server.connections == 1  # the connection went back to the pool after the body


@pytest.mark.parametrize("size", [1, 7, 300])
def test_a_body_dribbled_in_small_writes_comes_out_whole(
    face: str, size: int, server_of: Callable[[list[Body]], RawServer]
) -> None:
    events = EVENTS[:40] + EVENTS[-2:]
    server = server_of([dribbled(_chunked(events), size), whole(_chunked(EVENTS))])
    first, second = _stream(server.url, face, 2)
    assert _text(first) == "".join(WORDS[:40]) and _error(first) is None
    assert _text(second) == TEXT
    assert server.connections == 1


def test_one_huge_chunk_holding_every_event(
    face: str, server_of: Callable[[list[Body]], RawServer]
) -> None:
    many = [_event(w) for w in WORDS * 20] + EVENTS[-2:]
    server = server_of([dribbled(_chunked([b"".join(many)]), 60_000)])
    (parts,) = _stream(server.url, face, 1)
    assert _text(parts) == TEXT * 20 and _error(parts) is None


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (b"zz\r\n" + EVENTS[0] + b"\r\n", "illegal chunk header"),
        (b"%xXY\r\n" % len(EVENTS[0]) + EVENTS[0] + b"\r\n", "illegal chunk header"),
        (b"%x\r\n" % len(EVENTS[0]) + EVENTS[0] + b"XY", "malformed chunk footer"),
        (b"1" * 21 + b"\r\n", "illegal chunk header"),
    ],
)
def test_a_broken_framing_ends_the_stream_with_a_transport_error(
    face: str, broken: bytes, says: str, server_of: Callable[[list[Body]], RawServer]
) -> None:
    good = _chunked(EVENTS[:3])[: -len(b"0\r\n\r\n")]
    server = server_of([cut(good + broken), whole(_chunked(EVENTS))])
    first, second = _stream(server.url, face, 2)
    error = _error(first)
    assert isinstance(error, fantasy.ProviderError), first
    assert says in str(error)
    # What came before the fault is kept (a chunk whose data arrived whole, as h11 too
    # hands on the data before it reads the CRLF that should follow).
    kept = WORDS[:3] + (WORDS[:1] if "footer" in says else [])
    assert _text(first) == "".join(kept)
    assert _text(second) == TEXT and _error(second) is None
    assert server.connections == 2  # the broken connection was not reused


def test_a_connection_cut_inside_the_body_is_an_incomplete_read(
    face: str, server_of: Callable[[list[Body]], RawServer]
) -> None:
    body = _chunked(EVENTS)
    server = server_of([cut(body[: len(body) // 2]), whole(body)])
    first, second = _stream(server.url, face, 2)
    error = _error(first)
    assert isinstance(error, fantasy.ProviderError)
    assert "incomplete chunked read" in str(error)
    assert error.transient  # a cut connection is worth another try
    assert _text(second) == TEXT


def test_an_endless_chunk_header_is_refused(
    face: str, server_of: Callable[[list[Body]], RawServer]
) -> None:
    server = server_of([cut(b"1" * 300_000)])
    (parts,) = _stream(server.url, face, 1)
    error = _error(parts)
    assert isinstance(error, fantasy.ProviderError)
    assert "too long" in str(error) or "illegal chunk header" in str(error)


def test_the_fast_path_is_in_use_on_both_faces(
    server_of: Callable[[list[Body]], RawServer],
) -> None:
    """With the httpx/httpcore/h11 this project installs, a chunked stream body is read
    by `fantasy.http.chunked` (a version that holds its body differently falls back to
    httpcore silently: this test says so)."""
    from fantasy.http import chunked

    seen: list[str] = []
    real_async, real_sync = chunked.take_over, chunked.take_over_sync

    def spy_async(stream: Any, request: Any) -> Any:
        body = real_async(stream, request)
        seen.append("async" if body is not None else "async: not taken")
        return body

    def spy_sync(response: Any) -> bool:
        taken = real_sync(response)
        seen.append("sync" if taken else "sync: not taken")
        return taken

    server = server_of([whole(_chunked(EVENTS)), whole(_chunked(EVENTS))])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("fantasy.http.pool.take_over", spy_async)
        mp.setattr(chunked, "take_over_sync", spy_sync)
        assert _text(_stream(server.url, "async", 1)[0]) == TEXT
        assert _text(_stream(server.url, "sync", 1)[0]) == TEXT
    assert seen == ["async", "sync"]
