"""The connection pool of the transport's own async clients (`fantasy.http.pool`), over
loopback: every stream in flight at once up to its limit, the same bookkeeping per
request however many are in flight, one connection per waiter (never the same one
to all), connections kept and reused, and waits that end (pool timeout, cancelling)
without losing a connection. No timing: each test counts.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest

from fantasy import Agent
from fantasy.http.pool import POOL_LIMITS, FairConnectionPool, async_client
from tests.faults.conftest import FAKE_KEY
from tests.faults.server import FaultServer, Reply, Stall, Stream
from tests.faults.wire import OPENAI_CHAT

TIMEOUT = httpx.Timeout(10.0)
QUERIES = ("is_idle", "is_available", "has_expired", "is_closed", "can_handle_request")
"""What a pool asks a connection about its state: httpcore's pool asks every
connection on every request and every release."""


def _pool(client: httpx.AsyncClient) -> FairConnectionPool:
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, FairConnectionPool)
    return pool


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often connections were asked about their state, and asked to send."""
    counter: Counter[str] = Counter()

    def counting(name: str) -> Callable[..., Any]:
        original = getattr(httpcore.AsyncHTTPConnection, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            counter[name] += 1
            return original(self, *args, **kwargs)

        return wrapper

    for name in (*QUERIES, "handle_async_request"):
        monkeypatch.setattr(httpcore.AsyncHTTPConnection, name, counting(name))
    yield counter


def _stream(hold_until: int = 0) -> Stream:
    return Stream([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"], hold_until=hold_until)


async def _read(client: httpx.AsyncClient, url: str, **kwargs: Any) -> bytes:
    async with client.stream("POST", url, content=b"{}", **kwargs) as response:
        return await response.aread()


def test_a_provider_pools_its_connections_in_the_fair_pool(server: FaultServer) -> None:
    server.responder = lambda request: Stream(OPENAI_CHAT.stream(["hi"]))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    transport = model.transport  # type: ignore[attr-defined]

    async def main() -> FairConnectionPool:
        try:
            await Agent(model, max_retries=0).astream("hello").collect()
            return _pool(transport._async())
        finally:
            await transport.aclose()

    pool = asyncio.run(main())
    assert (pool._limit, pool._keep) == (POOL_LIMITS.max_connections, 1000)


def _agent_streams(server: FaultServer, streams: int) -> list[str]:
    """``streams`` agent streams at once on one provider's own pool, all in flight
    together (the server holds each last event until all are open)."""
    server.responder = lambda request: Stream(OPENAI_CHAT.stream(["a", "b"]), hold_until=streams)
    server.peak_open_streams = 0
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    transport = model.transport  # type: ignore[attr-defined]

    async def main() -> list[str]:
        agent = Agent(model, max_retries=0)
        try:
            results = await asyncio.gather(
                *(agent.astream(f"stream #{i}").collect() for i in range(streams))
            )
        finally:
            await transport.aclose()
        return [r.text for r in results]

    return asyncio.run(main())


def test_bookkeeping_per_request_does_not_grow_with_the_streams_in_flight(
    server: FaultServer, calls: Counter[str]
) -> None:
    """httpcore's own pool asks every connection about its state on each request and
    each release (and every queued request about every connection), so 150 streams at
    once cost each request ~100x what 10 do; this pool asks about the connections it
    hands out, and the coldest idle one."""
    per_request: dict[int, float] = {}
    for streams in (10, 150):
        calls.clear()
        assert _agent_streams(server, streams) == ["ab"] * streams
        assert server.peak_open_streams == streams
        assert calls["handle_async_request"] == streams, "each request sent once"
        per_request[streams] = sum(calls[q] for q in QUERIES) / streams
    assert per_request[150] <= per_request[10] * 1.5 + 2, per_request


def test_beyond_max_connections_requests_wait_and_each_release_serves_one(
    server: FaultServer, calls: Counter[str]
) -> None:
    server.responder = lambda request: _stream(hold_until=3)

    async def main() -> list[bytes]:
        client = async_client(TIMEOUT, httpx.Limits(max_connections=3))
        try:
            return await asyncio.gather(*(_read(client, server.url) for _ in range(12)))
        finally:
            await client.aclose()

    bodies = asyncio.run(main())
    assert len(bodies) == 12 and len(set(bodies)) == 1
    assert server.peak_open_streams == 3, "never more than max_connections at once"
    # httpcore hands a freed connection to every queued request; all but one fail with
    # ConnectionNotAvailable and send again. Here each request is sent exactly once.
    assert calls["handle_async_request"] == 12
    assert len(server.requests) == 12


def test_idle_connections_are_reused_by_the_next_burst(server: FaultServer) -> None:
    server.responder = lambda request: _stream(hold_until=20)

    async def main() -> tuple[set[object], set[object]]:
        client = async_client(TIMEOUT)
        try:
            await asyncio.gather(*(_read(client, server.url) for _ in range(20)))
            first = set(_pool(client).connections)
            await asyncio.gather(*(_read(client, server.url) for _ in range(20)))
            return first, set(_pool(client).connections)
        finally:
            await client.aclose()

    first, second = asyncio.run(main())
    assert len(first) == 20, "all twenty kept alive (httpx's default keeps 20 of 100)"
    assert second == first, "the second burst opened no connection"
    assert server.wait_connections_closed()


def test_idle_connections_beyond_max_keepalive_are_closed(server: FaultServer) -> None:
    server.responder = lambda request: _stream(hold_until=6)

    async def main() -> int:
        limits = httpx.Limits(max_connections=10, max_keepalive_connections=2)
        client = async_client(TIMEOUT, limits)
        try:
            await asyncio.gather(*(_read(client, server.url) for _ in range(6)))
            deadline = time.monotonic() + 5
            while server.open_connections > 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return len(_pool(client).connections)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == 2
    assert server.open_connections == 0 or server.wait_connections_closed()


def test_an_expired_idle_connection_is_closed_and_replaced(server: FaultServer) -> None:
    server.responder = lambda request: Reply(200, b"{}")

    async def main() -> tuple[object, object]:
        client = async_client(TIMEOUT, httpx.Limits(keepalive_expiry=0.05))
        try:
            await client.post(server.url, content=b"{}")
            (first,) = _pool(client).connections
            await asyncio.sleep(0.2)
            await client.post(server.url, content=b"{}")
            (second,) = _pool(client).connections
            return first, second
        finally:
            await client.aclose()

    first, second = asyncio.run(main())
    assert first is not second
    assert first.is_closed()  # type: ignore[attr-defined]


def test_a_connection_the_server_closes_is_not_reused(server: FaultServer) -> None:
    server.responder = lambda request: Reply(200, b"{}", headers={"Connection": "close"})

    async def main() -> list[int]:
        client = async_client(TIMEOUT, httpx.Limits(max_connections=1))
        try:
            return [(await client.post(server.url, content=b"{}")).status_code for _ in range(3)]
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [200, 200, 200]


def test_a_wait_that_times_out_or_is_cancelled_loses_no_connection(
    server: FaultServer,
) -> None:
    server.script(Stall())
    server.responder = lambda request: Reply(200, b"{}")

    async def main() -> int:
        client = async_client(TIMEOUT, httpx.Limits(max_connections=1))
        pool = _pool(client)
        try:
            stalled = asyncio.create_task(client.post(server.url, content=b"{}"))
            while not server.requests:
                await asyncio.sleep(0.005)
            with pytest.raises(httpx.PoolTimeout):
                await client.post(server.url, content=b"{}", timeout=httpx.Timeout(5, pool=0.05))
            waiting = asyncio.create_task(client.post(server.url, content=b"{}"))
            while pool.waiting == 0:
                await asyncio.sleep(0.005)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert pool.waiting == 0
            stalled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stalled
            # The only connection's room is free again: the next request gets it.
            return (await client.post(server.url, content=b"{}")).status_code
        finally:
            await client.aclose()

    assert asyncio.run(main()) == 200
    assert server.wait_connections_closed()


def test_a_full_pool_makes_room_for_another_origin(server: FaultServer) -> None:
    other = FaultServer(max_wait=10.0).start()
    try:
        server.responder = lambda request: _stream(hold_until=1)
        other.responder = lambda request: Reply(200, b"{}")

        async def main() -> list[object]:
            client = async_client(TIMEOUT, httpx.Limits(max_connections=1))
            pool = _pool(client)
            try:
                # Idle for one origin: closed to open one for the other.
                await _read(client, server.url)
                (first,) = pool.connections
                await client.post(other.url, content=b"{}")
                (second,) = pool.connections
                # In use for one origin: the other waits until the response ends, and
                # then gets its room (that connection is closed, not kept idle).
                results = await asyncio.gather(
                    _read(client, server.url), client.post(other.url, content=b"{}")
                )
                (third,) = pool.connections
                assert results[1].status_code == 200
                return [first, second, third]
            finally:
                await client.aclose()

        first, second, third = asyncio.run(main())
        assert first is not second and second is not third
        assert first.is_closed() and second.is_closed()  # type: ignore[attr-defined]
        assert len(server.requests) == 2 and len(other.requests) == 2
    finally:
        other.stop()


def test_proxies_from_the_environment_are_still_used(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client is httpx's own, with only its direct pool replaced: an HTTP_PROXY
    from the environment still carries plain-HTTP requests (here the fault server is
    the proxy), through a pool of httpx's that keeps few idle connections."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.responder = lambda request: Reply(200, b'{"via": "proxy"}')

    async def main() -> tuple[bytes, list[Any]]:
        client = async_client(TIMEOUT)
        try:
            response = await client.post("http://api.example.invalid/v1/x", content=b"{}")
            pools = [t._pool for t in client._mounts.values() if t is not None]  # type: ignore[attr-defined]
            return response.content, pools
        finally:
            await client.aclose()

    body, pools = asyncio.run(main())
    assert body == b'{"via": "proxy"}'
    assert server.requests[0].path == "http://api.example.invalid/v1/x"
    assert pools and all(isinstance(p, httpcore.AsyncHTTPProxy) for p in pools)
    assert all(p._max_keepalive_connections == 20 for p in pools)
