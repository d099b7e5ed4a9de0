"""What a stream in flight costs the process while it waits for data, and how the
provider's own pool connects and times out its reads.

A server relaying a thousand streams keeps a thousand of them waiting at once. Every
object a waiting stream keeps alive that the cyclic collector tracks is promoted to
its oldest generation and scanned by each full collection, so their number per stream
is what a thousand streams pay (benchmarks/README.md, "Concurrent streams"). These
tests count them with the collector's own view (``gc.get_referents``), not with a
clock, and check that the lighter paths keep httpcore's behaviour: its exceptions
mapped to httpx's, a read timeout per read, a cancellation that stays one.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from fantasy import Agent, StreamPartType
from fantasy.http.pool import async_client
from tests.faults.conftest import FAKE_KEY
from tests.faults.server import FaultServer, Stream
from tests.faults.wire import OPENAI_CHAT

TEXTS = ["one ", "two ", "three"]

MOST_TRACKED_PER_STREAM = 105
"""Tracked objects one agent stream waiting for data may keep alive, its task and the
request's and response's layers included: 142 before the layers fantasy owns were
trimmed (httpx's two body generators above the pool's stream, httpcore's cancel scope
and context managers around each read, generator-based ``closing`` contexts,
closures), 109 after, 101 once the step's tool-call lists, the run's active tools and
toolsets and the OpenAI chat translator's logprobs, audio, citation and warning
collections were made on first use instead of empty for every stream."""


def _new_objects_reachable(root: object, known: set[int]) -> list[object]:
    """The tracked objects reachable from ``root`` that did not exist when ``known``
    (ids of every tracked object then, kept alive meanwhile) was taken."""
    found: list[object] = []
    seen = {id(root)}
    todo = [root]
    while todo:
        for ref in gc.get_referents(todo.pop()):
            if id(ref) in seen or id(ref) in known or not gc.is_tracked(ref):
                continue
            seen.add(id(ref))
            found.append(ref)
            todo.append(ref)
    return found


def _kind(obj: object) -> str:
    name = type(obj).__qualname__
    code = getattr(obj, "__qualname__", None)
    return f"{name} {code}" if isinstance(code, str) and name != "type" else name


def test_an_agent_stream_waiting_for_data_keeps_few_tracked_objects_alive(
    server: FaultServer,
) -> None:
    chunks = OPENAI_CHAT.stream(TEXTS)
    # A warm-up stream (its connection stays in the pool), then one held before its
    # last chunk until a second stream is open, then that second one.
    server.script(Stream(chunks), Stream(chunks, hold_until=2), Stream(chunks, hold_until=2))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    agent = Agent(model, max_retries=0)

    async def main() -> tuple[list[object], list[str]]:
        assert (await agent.astream("hi").collect()).text == "".join(TEXTS)
        seen: list[StreamPartType] = []

        async def consume() -> str:
            stream = agent.astream("hi")
            async for part in stream:
                seen.append(part.type)
            return stream.result.text

        gc.collect()
        before = gc.get_objects()
        known = {id(o) for o in before}
        task = asyncio.ensure_future(consume())
        for _ in range(1000):  # the held stream's text, within 10 s
            if seen.count(StreamPartType.TEXT_DELTA) == len(TEXTS) or task.done():
                break
            await asyncio.sleep(0.01)
        assert seen.count(StreamPartType.TEXT_DELTA) == len(TEXTS), seen
        await asyncio.sleep(0.1)  # back at the read, waiting for the held chunk
        assert not task.done()
        gc.collect()
        held = _new_objects_reachable(task, known)
        del before
        second = agent.astream("hi").collect()
        texts = [await task, (await second).text]
        await model.transport.aclose()  # type: ignore[attr-defined]
        return held, texts

    held, texts = asyncio.run(main())
    assert texts == ["".join(TEXTS)] * 2
    kinds = Counter(_kind(o) for o in held)
    assert len(held) <= MOST_TRACKED_PER_STREAM, (len(held), kinds.most_common(40))


async def _read(client: httpx.AsyncClient, url: str) -> bytes:
    async with client.stream("POST", url, content=b"{}") as response:
        return await response.aread()


def test_a_connection_to_an_ip_address_skips_the_happy_eyeballs_race(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """anyio's ``connect_tcp`` races the addresses of a host name (a task group, a task
    per address) even when there is one; the pool connects to an IP address directly,
    and a host name still goes through anyio."""
    raced: list[str] = []
    connect_tcp = anyio.connect_tcp

    async def counting(remote_host: Any, *args: Any, **kwargs: Any) -> Any:
        raced.append(str(remote_host))
        return await connect_tcp(remote_host, *args, **kwargs)

    monkeypatch.setattr(anyio, "connect_tcp", counting)
    server.responder = lambda request: Stream([b"data: 1\n\n", b"data: 2\n\n"])
    assert "//127.0.0.1:" in server.url
    by_name = server.url.replace("//127.0.0.1:", "//localhost:")

    async def main() -> list[bytes]:
        client = async_client(httpx.Timeout(10.0))
        try:
            return [await _read(client, server.url), await _read(client, by_name)]
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [b"data: 1\n\ndata: 2\n\n"] * 2
    assert raced == ["localhost"]


def test_a_refused_connection_to_an_ip_address_is_httpx_connect_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> None:
        client = async_client(httpx.Timeout(10.0))
        try:
            await _read(client, f"http://127.0.0.1:{port}/v1")
        finally:
            await client.aclose()

    with pytest.raises(httpx.ConnectError):
        asyncio.run(main())


def test_a_chunked_body_that_stalls_raises_httpx_read_timeout(server: FaultServer) -> None:
    server.responder = lambda request: Stream([b"data: 1\n\n"], ending="hang")

    async def main() -> None:
        client = async_client(httpx.Timeout(10.0, read=0.2))
        try:
            await _read(client, server.url)
        finally:
            await client.aclose()

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(main())
    assert server.wait_client_closed()


def test_the_read_timeout_bounds_each_read_not_the_whole_body(server: FaultServer) -> None:
    """Eight chunks 0.1 s apart take longer than the 0.3 s read timeout in all; no read
    waits that long, so the body arrives whole (one timer per body, set again for the
    read in progress when it fires)."""
    chunks = [b"data: %d\n\n" % i for i in range(8)]
    server.responder = lambda request: Stream(chunks, delay=0.1)

    async def main() -> bytes:
        client = async_client(httpx.Timeout(10.0, read=0.3))
        try:
            return await _read(client, server.url)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == b"".join(chunks)


def test_a_read_cancelled_from_outside_stays_cancelled(server: FaultServer) -> None:
    server.responder = lambda request: Stream([b"data: 1\n\n"], ending="hang")

    async def main() -> None:
        client = async_client(httpx.Timeout(10.0, read=5.0))
        try:
            task = asyncio.ensure_future(_read(client, server.url))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await client.aclose()

    asyncio.run(main())
    assert server.wait_client_closed()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fantasy test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _TLSChunkedServer:
    """HTTPS on 127.0.0.1: every POST gets the same chunked event stream, connections
    kept alive; counts the connections it accepted."""

    def __init__(self, cert: Path, key: Path, chunks: list[bytes]) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                reader = conn.makefile("rb")
                while True:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = reader.readline()
                        if not line:
                            return
                        head += line
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    reader.read(length)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + self.body
                    )
        except (OSError, ValueError, IndexError):
            return

    def close(self) -> None:
        self.listener.close()


def test_agent_streams_over_tls_to_an_ip_address_reuse_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The direct connection carries TLS as anyio's did (certificate checked against
    the IP address), and the chunked body is read from the TLS stream."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the pool's client trusts it
    tls = _TLSChunkedServer(cert, key, OPENAI_CHAT.stream(TEXTS))
    try:
        model = OPENAI_CHAT.make(f"https://127.0.0.1:{tls.port}/v1", FAKE_KEY)
        agent = Agent(model, max_retries=0)

        async def main() -> list[str]:
            try:
                return [(await agent.astream("hi").collect()).text for _ in range(3)]
            finally:
                await model.transport.aclose()  # type: ignore[attr-defined]

        assert asyncio.run(main()) == ["".join(TEXTS)] * 3
        assert tls.accepted == 1
    finally:
        tls.close()
