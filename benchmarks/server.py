"""A tiny OpenAI-compatible ``/v1/chat/completions`` server for the benchmarks.

Standard library only. It binds 127.0.0.1 on a free port, sets ``TCP_NODELAY``,
keeps HTTP/1.1 connections alive, and answers:

- a non-streamed request with a small ``chat.completion`` JSON body;
- a streamed request (``"stream": true``) with N ``chat.completion.chunk`` SSE
  events of text (shaped like the ones OpenAI sends, see the cassette
  ``TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml``), then a chunk
  with ``finish_reason: "stop"``, a usage chunk with ``choices: []``, and
  ``data: [DONE]``. Each SSE event travels as its own HTTP/1.1 chunk
  (``Transfer-Encoding: chunked``), as with a real server.

N comes from the ``X-Bench-Chunks`` request header, else from the body's
``max_tokens`` / ``max_completion_tokens``, else 20.

Every response is built once per N and cached as bytes, and the server runs in
its own process (`serve`), so it costs the measured client no CPU time while
the client parses: what the benchmarks time is the client.

Run it by hand with ``python benchmarks/server.py`` (prints the base URL).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
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

_cache: dict[int, bytes] = {}
_cache_lock = threading.Lock()


def _stream_response(n: int) -> bytes:
    cached = _cache.get(n)
    if cached is None:
        with _cache_lock:
            cached = _cache.get(n)
            if cached is None:
                cached = _cache[n] = _STREAM_HEAD + stream_body(n)
    return cached


def _chunks_wanted(headers: dict[bytes, bytes], body: dict[str, object]) -> int:
    given = headers.get(b"x-bench-chunks")
    if given:
        return int(given)
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return 20


def _respond(head: bytes, body: bytes) -> bytes:
    request_line, _, rest = head.partition(b"\r\n")
    parts = request_line.split()
    headers: dict[bytes, bytes] = {}
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if len(parts) < 2 or parts[0] != b"POST" or not parts[1].endswith(b"/chat/completions"):
        return _NOT_FOUND
    request = json.loads(body) if body else {}
    if request.get("stream"):
        return _stream_response(_chunks_wanted(headers, request))
    return _COMPLETION_RESPONSE


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _handle(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            end = buf.find(b"\r\n\r\n")
            while end < 0:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                end = buf.find(b"\r\n\r\n")
            head, buf = buf[:end], buf[end + 4 :]
            length = _content_length(head)
            while len(buf) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            body, buf = buf[:length], buf[length:]
            conn.sendall(_respond(head, body))
    except (ConnectionError, OSError):
        return
    finally:
        conn.close()


def run_forever(port: int = 0) -> None:
    """Serve until killed; prints ``http://127.0.0.1:<port>/v1`` once listening."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    print(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_handle, args=(conn,), daemon=True).start()


@contextlib.contextmanager
def serve(prewarm: tuple[int, ...] = ()) -> Iterator[str]:
    """Start the server in a subprocess; yield its base URL (``.../v1``); stop it after.

    ``prewarm`` lists stream lengths to build before the first request.
    """
    args = [sys.executable, os.path.abspath(__file__)]
    if prewarm:
        args += ["--prewarm", ",".join(str(n) for n in prewarm)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"benchmark server did not start (got {url!r})")
        yield url
    finally:
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
