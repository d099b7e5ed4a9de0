"""A tiny OpenAI-compatible ``/v1/chat/completions`` server for the benchmarks.

Standard library only. It binds 127.0.0.1 on a free port, sets ``TCP_NODELAY``,
keeps HTTP/1.1 connections alive, and answers:

- a non-streamed request with a small ``chat.completion`` JSON body;
- a streamed request for structured output (``"stream": true`` and a
  ``response_format``) with N content deltas of 4 characters that spell a JSON
  object (`object_document`), in the same framing;
- a streamed request (``"stream": true``) with N ``chat.completion.chunk`` SSE
  events of text (shaped like the ones OpenAI sends, see the cassette
  ``TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml``), then a chunk
  with ``finish_reason: "stop"``, a usage chunk with ``choices: []``, and
  ``data: [DONE]``. Each SSE event travels as its own HTTP/1.1 chunk
  (``Transfer-Encoding: chunked``), as with a real server.

N comes from the ``X-Bench-Chunks`` request header, else from the body's
``max_tokens`` / ``max_completion_tokens``, else 20. A base URL of the form
``http://127.0.0.1:<port>/delay/<ms>/v1`` has every answer wait that long first
(the time-to-first-token benchmark subtracts it).

Every response is built once per N and cached as bytes, and the server runs in
its own process (`serve`), so it costs the measured client no CPU time while
the client parses: what the benchmarks time is the client. One asyncio loop
serves every connection (listen backlog 4096), so a thousand concurrent streams
cost it a thousand sockets, not a thousand threads.

For the concurrency benchmark, a stream request may carry ``X-Bench-Round: <id>``
and ``X-Bench-Hold: <N>``: the server sends the head and first event at once,
then holds the rest until N requests of that round have arrived (or none has
arrived for `QUIET` seconds, when the client's pool cannot open N connections),
so that N streams are really in flight together. ``GET /bench/round/<id>``
answers how many arrived and the most that were in flight at once.

Run it by hand with ``python benchmarks/server.py`` (prints the base URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

_WORDS = (
    " Olá",
    "!",
    " Como",
    " posso",
    " ajudar",
    " você",
    " hoje",
    "?",
    " The",
    " quick",
    " brown",
    " fox",
    " jumps",
    " over",
    " the",
    " lazy",
    " dog",
    ".",
    " 😊",
    " ünïcode",
)

_HEAD = (
    '{"id":"chatcmpl-DuLdOuviL2tiVxMim6HmX4YMnCorK","object":"chat.completion.chunk",'
    '"created":1782321902,"model":"gpt-4o-mini-2024-07-18","service_tier":"default",'
    '"system_fingerprint":"fp_bbc23ca3d7",'
)
_OBFUSCATION = ("yS7A7FhhV", "TuWnytCa", "D1BuwrjA1C", "cw1RS", "eScNPVmGYP3")


def text_of(n: int) -> str:
    """The text a stream of ``n`` chunks spells out (for checking clients)."""
    return "".join(_WORDS[i % len(_WORDS)] for i in range(n))


def _event(payload: str) -> bytes:
    data = f"data: {payload}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(data), data)


def _chunk_json(delta: str, finish: str | None, i: int) -> str:
    fin = "null" if finish is None else json.dumps(finish)
    return (
        f'{_HEAD}"choices":[{{"index":0,"delta":{delta},"logprobs":null,'
        f'"finish_reason":{fin}}}],"usage":null,"obfuscation":"{_OBFUSCATION[i % 5]}"}}'
    )


def stream_body(n: int) -> bytes:
    """The whole chunked-encoded SSE body for ``n`` text chunks."""
    events = [_event(_chunk_json('{"role":"assistant","content":"","refusal":null}', None, 0))]
    for i in range(n):
        word = json.dumps(_WORDS[i % len(_WORDS)], ensure_ascii=False)
        events.append(_event(_chunk_json(f'{{"content":{word}}}', None, i + 1)))
    events.append(_event(_chunk_json("{}", "stop", n + 1)))
    usage = (
        f'{_HEAD}"choices":[],"usage":{{"prompt_tokens":20,"completion_tokens":{n},'
        f'"total_tokens":{n + 20},"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},'
        '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,'
        '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},'
        '"obfuscation":"eScNPVmGYP3"}'
    )
    events.append(_event(usage))
    events.append(_event("[DONE]"))
    events.append(b"0\r\n\r\n")
    return b"".join(events)


def object_document(n: int) -> str:
    """A JSON object (a list of records) of about ``4 * n`` characters, the answer of a
    structured-output stream of ``n`` deltas."""
    items: list[dict[str, object]] = []
    size = len('{"items":[]}')
    while size < 4 * n:
        k = len(items)
        item = {"id": k, "name": f"record number {k}", "tags": ["alpha", "beta"]}
        items.append(item)
        size += len(json.dumps(item, separators=(",", ":"))) + 1
    return json.dumps({"items": items}, separators=(",", ":"))


def object_deltas(n: int) -> list[str]:
    """The object's text cut into 4-character deltas (a token is about that long)."""
    text = object_document(n)
    return [text[i : i + 4] for i in range(0, len(text), 4)]


def object_stream_body(n: int) -> bytes:
    """A chunked SSE body whose content deltas spell `object_document` ``(n)``."""
    events = [_event(_chunk_json('{"role":"assistant","content":"","refusal":null}', None, 0))]
    deltas = object_deltas(n)
    for i, piece in enumerate(deltas):
        events.append(_event(_chunk_json(f'{{"content":{json.dumps(piece)}}}', None, i + 1)))
    events.append(_event(_chunk_json("{}", "stop", len(deltas) + 1)))
    events.append(
        _event(
            f'{_HEAD}"choices":[],"usage":{{"prompt_tokens":20,'
            f'"completion_tokens":{len(deltas)},"total_tokens":{len(deltas) + 20}}}}}'
        )
    )
    events.append(_event("[DONE]"))
    events.append(b"0\r\n\r\n")
    return b"".join(events)


_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"Connection: keep-alive\r\n\r\n"
)

COMPLETION = {
    "id": "chatcmpl-DuLdNdw7uV9aCzO1ikNXDOsW4h7B1",
    "object": "chat.completion",
    "created": 1782321901,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Olá! Como posso ajudar você hoje?",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 20,
        "completion_tokens": 9,
        "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_bbc23ca3d7",
}


def _plain(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body


_COMPLETION_RESPONSE = _plain(
    "200 OK", json.dumps(COMPLETION, ensure_ascii=False, separators=(",", ":")).encode()
)
_NOT_FOUND = _plain("404 Not Found", b'{"error":{"message":"not found","type":"invalid_request"}}')

_cache: dict[int, tuple[bytes, bytes]] = {}


def _stream_parts(n: int) -> tuple[bytes, bytes]:
    """The head and first event (the role chunk), and the rest, of a stream of ``n``."""
    cached = _cache.get(n)
    if cached is None:
        body = stream_body(n)
        first = body.index(b"\n\n\r\n") + 4  # the end of the first HTTP chunk
        cached = _cache[n] = (_STREAM_HEAD + body[:first], body[first:])
    return cached


_object_cache: dict[int, bytes] = {}


def _object_response(n: int) -> bytes:
    cached = _object_cache.get(n)
    if cached is None:
        cached = _object_cache[n] = _STREAM_HEAD + object_stream_body(n)
    return cached


def _stream_response(n: int) -> bytes:
    first, rest = _stream_parts(n)
    return first + rest


def _chunks_wanted(headers: dict[bytes, bytes], body: dict[str, object]) -> int:
    given = headers.get(b"x-bench-chunks")
    if given:
        return int(given)
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return 20


def _parse_head(head: bytes) -> tuple[list[bytes], dict[bytes, bytes]]:
    request_line, _, rest = head.partition(b"\r\n")
    headers: dict[bytes, bytes] = {}
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return request_line.split(), headers


QUIET = 0.5
"""Seconds without a new request after which a round's held streams go on anyway."""


class _Round:
    """The streams of one benchmark round (``X-Bench-Round``), held back (after their
    first event) until ``X-Bench-Hold`` of them have arrived, so that that many are in
    flight at once. A client that cannot open that many connections (a pool that queues
    the rest) sends no new request for `QUIET` seconds: then the held ones go on, and
    later arrivals are not held. ``peak`` is the most streams of the round in flight at
    once (arrived, not yet written out)."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.arrived = 0
        self.in_flight = 0
        self.peak = 0
        self.released = asyncio.Event()
        self.by_quiet = False
        self.timer: asyncio.TimerHandle | None = None

    def arrive(self) -> None:
        self.arrived += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.released.is_set():
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.arrived >= self.hold:
            self.released.set()
        else:
            self.timer = asyncio.get_running_loop().call_later(QUIET, self._quiet)

    def _quiet(self) -> None:
        self.by_quiet = True
        self.released.set()

    def stats(self) -> bytes:
        return json.dumps(
            {"arrived": self.arrived, "peak": self.peak, "released_by_quiet": self.by_quiet}
        ).encode()


_rounds: dict[bytes, _Round] = {}


async def _send_stream(writer: asyncio.StreamWriter, n: int, headers: dict[bytes, bytes]) -> None:
    first, rest = _stream_parts(n)
    round_id = headers.get(b"x-bench-round")
    if not round_id:
        writer.write(first + rest)
        await writer.drain()
        return
    state = _rounds.get(round_id)
    if state is None:
        state = _rounds[round_id] = _Round(int(headers.get(b"x-bench-hold") or 1))
    state.arrive()
    try:
        writer.write(first)
        await state.released.wait()
        writer.write(rest)
        await writer.drain()
    finally:
        state.in_flight -= 1


def _delay_of(path: bytes) -> float:
    """Seconds to wait before answering: a base URL ``.../delay/<ms>/v1`` asks for it
    (the time-to-first-token benchmark subtracts it), whatever client sends the request."""
    marker = path.find(b"/delay/")
    if marker < 0:
        return 0.0
    return int(path[marker + 7 :].split(b"/", 1)[0]) / 1000


async def _answer(
    writer: asyncio.StreamWriter, parts: list[bytes], headers: dict[bytes, bytes], body: bytes
) -> None:
    if len(parts) >= 2 and parts[0] == b"GET" and parts[1].startswith(b"/bench/round/"):
        state = _rounds.get(parts[1].rsplit(b"/", 1)[1])
        writer.write(_NOT_FOUND if state is None else _plain("200 OK", state.stats()))
        await writer.drain()
        return
    if len(parts) < 2 or parts[0] != b"POST" or not parts[1].endswith(b"/chat/completions"):
        writer.write(_NOT_FOUND)
        await writer.drain()
        return
    request = json.loads(body) if body else {}
    delay = _delay_of(parts[1])
    if delay:
        await asyncio.sleep(delay)
    if request.get("stream") and request.get("response_format"):
        writer.write(_object_response(_chunks_wanted(headers, request)))
        await writer.drain()
    elif request.get("stream"):
        await _send_stream(writer, _chunks_wanted(headers, request), headers)
    else:
        writer.write(_COMPLETION_RESPONSE)
        await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            parts, headers = _parse_head(head[:-4])
            length = int(headers.get(b"content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            await _answer(writer, parts, headers, body)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
        return
    finally:
        writer.close()


BACKLOG = 4096
"""The listen backlog (the kernel caps it at net.core.somaxconn): a thousand clients
connecting at once must not overflow it, or their SYNs are dropped and retried after
a second."""


def _raise_fd_limit() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_forever(port: int = 0) -> None:
    """Serve until killed; prints ``http://127.0.0.1:<port>/v1`` once listening.

    One asyncio event loop serves every connection, so a thousand concurrent streams
    cost it a thousand sockets, not a thousand threads."""
    _raise_fd_limit()

    async def main() -> None:
        server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=BACKLOG)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


SERVER_PIDS: list[int] = []
"""The process id of each server `serve` has running (to read its CPU time)."""


@contextlib.contextmanager
def serve(prewarm: tuple[int, ...] = ()) -> Iterator[str]:
    """Start the server in a subprocess; yield its base URL (``.../v1``); stop it after.

    ``prewarm`` lists stream lengths to build before the first request.
    """
    args = [sys.executable, os.path.abspath(__file__)]
    if prewarm:
        args += ["--prewarm", ",".join(str(n) for n in prewarm)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    SERVER_PIDS.append(proc.pid)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"benchmark server did not start (got {url!r})")
        yield url
    finally:
        SERVER_PIDS.remove(proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    port = 0
    argv = sys.argv[1:]
    if "--prewarm" in argv:
        for n in argv[argv.index("--prewarm") + 1].split(","):
            _stream_response(int(n))
    if "--port" in argv:
        port = int(argv[argv.index("--port") + 1])
    run_forever(port)


if __name__ == "__main__":
    main()
