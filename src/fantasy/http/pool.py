"""The async connection pool of the transport's own clients: constant work per request.

httpcore's pool (under every ``httpx.AsyncClient``), each time a request starts or a
response is closed, looks at every connection (and, for each idle one, counts them
all again) and matches every queued request against every connection; it also hands
a freed connection to every queued request at once, so that all but one fail and
look again. With more
streams than ``max_connections`` (100 by default) the cost of each request grows with
the number in flight, and a thousand concurrent agents pay for it many times over.

`FairConnectionPool` keeps the same connections (``httpcore.AsyncHTTPConnection``,
made by httpcore's own ``create_connection``) and the same limits, with bookkeeping
that makes each event cost the same whatever the number of streams:

- idle connections wait in a most-recently-used order per origin: a request takes
  the warmest one, the coldest expire first (``keepalive_expiry``) and are the first
  closed when more than ``max_keepalive_connections`` are idle;
- a request that finds neither an idle connection nor room for a new one waits in
  line (first come, first served, bounded by the ``pool`` timeout), and a released
  connection, or the room a closed one leaves, goes to exactly one waiter.

HTTP/1.1 only (the transport never asks for HTTP/2): one request per connection at a
time. Everything happens on the event loop that owns the pool, so there is no lock.
"""

from __future__ import annotations

import sys
from collections import OrderedDict, deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

import anyio
import httpcore
import httpx

from fantasy.http.chunked import ChunkedBody, take_over

_Key = tuple[bytes, bytes, int]
"""An origin as a dict key (``httpcore.Origin`` compares but does not hash)."""

_SLOT = object()
"""Handed to a waiter instead of a connection: room to open its own."""


def _key(origin: httpcore.Origin) -> _Key:
    return (origin.scheme, origin.host, origin.port)


class _Waiter:
    __slots__ = ("event", "given", "key")

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.event = anyio.Event()
        self.given: object = None
        """A connection for ``key``, or `_SLOT`; None until served."""


class FairConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's async pool with the same connections and limits, and constant work
    per request (see the module's docstring)."""

    def __init__(
        self,
        *,
        max_connections: int | None,
        max_keepalive_connections: int | None,
        **options: Any,
    ) -> None:
        super().__init__(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            http2=False,
            **options,
        )
        self._limit = sys.maxsize if max_connections is None else max_connections
        keep = sys.maxsize if max_keepalive_connections is None else max_keepalive_connections
        self._keep = min(keep, self._limit)
        self._all: dict[httpcore.AsyncConnectionInterface, _Key] = {}
        """Every connection open or opening, idle or in use, with its origin."""
        self._idle: dict[_Key, OrderedDict[httpcore.AsyncConnectionInterface, None]] = {}
        """Idle connections per origin, least recently used first."""
        self._idle_count = 0
        self._waiters: deque[_Waiter] = deque()
        self._granted = 0
        """Room given to waiters that have not opened their connection yet."""

    @property
    def connections(self) -> list[httpcore.AsyncConnectionInterface]:
        return list(self._all)

    @property
    def waiting(self) -> int:
        """Requests waiting for a connection (for tests and benchmarks)."""
        return sum(1 for w in self._waiters if w.given is None)

    # ------------------------------------------------------------------ requests

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        scheme = request.url.scheme.decode()
        if scheme == "":
            raise httpcore.UnsupportedProtocol(
                "Request URL is missing an 'http://' or 'https://' protocol."
            )
        if scheme not in ("http", "https", "ws", "wss"):
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
            )
        timeouts = request.extensions.get("timeout", {})
        origin = request.url.origin
        while True:
            connection = await self._acquire(origin, timeouts.get("pool"))
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                # Taken in the meantime (it cannot be here) or gone: drop it, try again.
                await self._release(connection, discard=True)
                continue
            except BaseException:
                await self._release(connection)
                raise
            assert isinstance(response.stream, AsyncIterable)
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_PoolStream(response.stream, self, connection, request),
                extensions=response.extensions,
            )

    async def _acquire(
        self, origin: httpcore.Origin, timeout: float | None
    ) -> httpcore.AsyncConnectionInterface:
        closing: list[httpcore.AsyncConnectionInterface] = []
        try:
            self._expire_coldest(closing)
            connection = self._take_idle(origin, closing)
            if connection is not None:
                return connection
            if not self._has_room() and self._idle_count:
                # Full, but some are idle for other origins: close the coldest.
                closing.append(self._pop_coldest())
            if self._has_room():
                return self._open(origin)
        finally:
            await _close(closing)
        return await self._wait(origin, timeout)

    async def _wait(
        self, origin: httpcore.Origin, timeout: float | None
    ) -> httpcore.AsyncConnectionInterface:
        waiter = _Waiter(_key(origin))
        self._waiters.append(waiter)
        try:
            with anyio.fail_after(timeout):
                await waiter.event.wait()
        except BaseException as exc:
            given, waiter.given = waiter.given, _SLOT  # never served from now on
            if given is _SLOT:
                self._granted -= 1
                self._give_room()
            elif given is not None:
                await self._release(given)  # type: ignore[arg-type]
            if isinstance(exc, TimeoutError):
                raise httpcore.PoolTimeout(
                    f"no connection free within {timeout} s (max_connections={self._limit})"
                ) from None
            raise
        if waiter.given is _SLOT:
            self._granted -= 1
            return self._open(origin)
        return waiter.given  # type: ignore[return-value]

    def _has_room(self) -> bool:
        return len(self._all) + self._granted < self._limit

    def _open(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        connection = self.create_connection(origin)
        self._all[connection] = _key(origin)
        return connection

    def _take_idle(
        self, origin: httpcore.Origin, closing: list[httpcore.AsyncConnectionInterface]
    ) -> httpcore.AsyncConnectionInterface | None:
        idle = self._idle.get(_key(origin))
        while idle:
            connection, _ = idle.popitem(last=True)  # the warmest
            self._idle_count -= 1
            if connection.is_available() and not connection.has_expired():
                return connection
            del self._all[connection]
            closing.append(connection)
        return None

    def _expire_coldest(self, closing: list[httpcore.AsyncConnectionInterface]) -> None:
        """Close idle connections whose keep-alive has run out (or that the server
        closed), the coldest of each origin first: each event looks at no more of them
        than it closes, plus one."""
        for idle in self._idle.values():
            while idle:
                connection = next(iter(idle))
                if not (connection.is_closed() or connection.has_expired()):
                    break
                del idle[connection]
                self._idle_count -= 1
                del self._all[connection]
                closing.append(connection)

    def _pop_coldest(self) -> httpcore.AsyncConnectionInterface:
        for idle in self._idle.values():
            if idle:
                coldest, _ = idle.popitem(last=False)
                self._idle_count -= 1
                del self._all[coldest]
                return coldest
        raise AssertionError("no idle connection")

    # ------------------------------------------------------------------ releasing

    async def _release(
        self, connection: httpcore.AsyncConnectionInterface, *, discard: bool = False
    ) -> None:
        """A response was closed, or a request failed: the connection goes to the first
        waiter for its origin, else is kept idle; or it is closed, and its room goes to
        the first waiter."""
        if connection not in self._all:
            return  # the pool was closed meanwhile
        closing: list[httpcore.AsyncConnectionInterface] = []
        try:
            if not discard and connection.is_available() and self._reuse(connection, closing):
                return
            del self._all[connection]
            if not connection.is_closed():
                closing.append(connection)
            self._give_room()
        finally:
            await _close(closing)

    def _reuse(
        self,
        connection: httpcore.AsyncConnectionInterface,
        closing: list[httpcore.AsyncConnectionInterface],
    ) -> bool:
        """Hand an idle connection to a waiter for its origin, or keep it; False when
        it should be closed instead (expired, or only other origins wait)."""
        key = self._all[connection]
        waiters = self._waiters
        while waiters and waiters[0].given is not None:
            waiters.popleft()  # served, timed out or cancelled
        if not waiters:
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle[key] = OrderedDict()
            idle[connection] = None
            self._idle_count += 1
            while self._idle_count > self._keep:
                closing.append(self._pop_coldest())
            return True
        for waiter in waiters:
            if waiter.given is None and waiter.key == key:
                if connection.has_expired():
                    return False
                _serve(waiter, connection)
                return True
        return False

    def _give_room(self) -> None:
        """The room a closed connection left goes to the first waiter (it opens its own)."""
        waiters = self._waiters
        while waiters and self._has_room():
            waiter = waiters.popleft()
            if waiter.given is None:
                _serve(waiter, _SLOT)
                self._granted += 1

    # ------------------------------------------------------------------ closing

    async def aclose(self) -> None:
        """Close every connection, idle or in use; the pool can be used again after."""
        closing = list(self._all)
        self._all.clear()
        self._idle.clear()
        self._idle_count = 0
        await _close(closing)
        self._give_room()

    def __repr__(self) -> str:
        active = len(self._all) - self._idle_count
        return (
            f"<{type(self).__name__} [Requests: {active} active, {self.waiting} queued | "
            f"Connections: {active} active, {self._idle_count} idle]>"
        )


class DirectConnect:
    """The pool's network backend: httpcore's own (``AutoBackend``: anyio's, or trio's),
    except that on asyncio a connection to an IP address is opened with one
    ``create_connection`` under one timeout.

    anyio's ``connect_tcp`` runs Happy Eyeballs (RFC 6555) for every connection: a
    task group, a task per address and a cancel scope, even when there is one address
    to try. That costs about three times the connection itself in CPU, and a few
    hundred short-lived objects the cyclic collector tracks, for each of a thousand
    streams that connect at once (benchmarks/README.md, "Concurrent streams"). With an
    IP address there is nothing to race, so the connection is the same one without the
    race; a host name (which may resolve to IPv6 and IPv4 addresses), a local address
    to bind, or another event loop go through httpcore's backend as before."""

    def __init__(self) -> None:
        from httpcore._backends.auto import AutoBackend

        self._auto = AutoBackend()
        self._literal: dict[str, bool] = {}
        """Per host: is it an IP address?"""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        if local_address is None and self._is_address(host):
            connect = _asyncio_connect()
            if connect is not None:
                return await connect(host, port, timeout, socket_options)
        return await self._auto.connect_tcp(host, port, timeout, local_address, socket_options)

    def _is_address(self, host: str) -> bool:
        known = self._literal.get(host)
        if known is None:
            import ipaddress

            try:
                ipaddress.ip_address(host)
                known = True
            except ValueError:
                known = False
            if len(self._literal) < 256:
                self._literal[host] = known
        return known

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        return await self._auto.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._auto.sleep(seconds)


def _asyncio_connect() -> Any:
    """`_connect_on_asyncio` when the running loop is asyncio's and anyio's asyncio
    backend is the one expected; None otherwise."""
    import sniffio

    try:
        if sniffio.current_async_library() != "asyncio":
            return None
        from anyio._backends._asyncio import AsyncIOBackend
        from httpcore._backends.anyio import AnyIOStream  # noqa: F401 (there, as expected)
    except (ImportError, sniffio.AsyncLibraryNotFoundError):
        return None
    if not callable(getattr(AsyncIOBackend, "connect_tcp", None)):
        return None
    return _connect_on_asyncio


async def _connect_on_asyncio(
    host: str, port: int, timeout: float | None, socket_options: Iterable[Any] | None
) -> Any:
    """httpcore's ``AnyIOBackend.connect_tcp`` to one address: the same stream (anyio's
    socket stream, TCP_NODELAY as asyncio sets it, then ``socket_options``) and the
    same errors (``ConnectTimeout``, ``ConnectError``), without the race."""
    import asyncio

    from anyio._backends._asyncio import AsyncIOBackend
    from httpcore._backends.anyio import AnyIOStream

    try:
        async with asyncio.timeout(timeout):
            stream = await AsyncIOBackend.connect_tcp(host, port)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
    except OSError as exc:
        raise httpcore.ConnectError(exc) from exc
    for option in socket_options or ():
        stream._raw_socket.setsockopt(*option)
    return AnyIOStream(stream)


def _serve(waiter: _Waiter, given: object) -> None:
    waiter.given = given
    waiter.event.set()


async def _close(connections: list[httpcore.AsyncConnectionInterface]) -> None:
    if not connections:
        return
    with anyio.CancelScope(shield=True):
        for connection in connections:
            await connection.aclose()


class _PoolStream:
    """A response body that gives its connection back to the pool when closed.

    An iterator object rather than an async generator: it is one more step for every
    chunk of every stream, and a generator's frame costs more than a method call."""

    __slots__ = (
        "_closed",
        "_connection",
        "_httpx_errors",
        "_iterator",
        "_pool",
        "_request",
        "_stream",
    )

    def __init__(
        self,
        stream: AsyncIterable[bytes],
        pool: FairConnectionPool,
        connection: httpcore.AsyncConnectionInterface,
        request: httpcore.Request,
    ) -> None:
        self._stream = stream
        self._pool = pool
        self._connection = connection
        self._request = request
        self._closed = False
        self._iterator: AsyncIterator[bytes] | None = None
        self._httpx_errors = False
        """Read by `direct_body`, past httpx's layers: raise httpx's exceptions as they would."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        # A chunked body is read without h11 where it can be (`fantasy.http.chunked`).
        self._iterator = take_over(self._stream, self._request) or aiter(self._stream)
        return self

    async def __anext__(self) -> bytes:
        assert self._iterator is not None
        try:
            return await anext(self._iterator)
        except StopAsyncIteration:
            raise
        except BaseException as exc:
            await self.aclose()
            if self._httpx_errors and isinstance(exc, Exception):
                _raise_as_httpx(exc)
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if type(self._iterator) is ChunkedBody:
            self._iterator.close()
        with anyio.CancelScope(shield=True):
            aclose = getattr(self._stream, "aclose", None)
            if aclose is not None:
                await aclose()
            await self._pool._release(self._connection)


def _raise_as_httpx(exc: Exception) -> None:
    """Raise httpx's exception for httpcore's ``exc``, as httpx's response stream does
    (``exc`` itself if it is not httpcore's)."""
    from httpx._transports.default import map_httpcore_exceptions

    with map_httpcore_exceptions():
        raise exc


def direct_body(response: httpx.Response) -> AsyncIterator[bytes] | None:
    """The body of a response from a `FairConnectionPool`, read from the pool's own
    stream rather than through httpx's two async generators above it (its client's
    and its transport's, the second mapping httpcore's exceptions to httpx's, which
    `_PoolStream` then does itself). Each is, with its context manager and the event
    loop's weak reference to it, a few objects that a stream in flight keeps alive
    and the cyclic collector tracks, for each of a thousand streams
    (benchmarks/README.md, "Concurrent streams"). None when the response is not
    held as expected; its body is then read through httpx. Closing the response
    closes the body as before."""
    try:
        from httpx._client import BoundAsyncStream
        from httpx._transports.default import AsyncResponseStream
    except ImportError:  # another version of httpx: read through its layers
        return None
    bound = response.stream
    if type(bound) is not BoundAsyncStream:
        return None
    inner = getattr(bound, "_stream", None)
    if type(inner) is not AsyncResponseStream:
        return None
    body = getattr(inner, "_httpcore_stream", None)
    if type(body) is not _PoolStream or body._iterator is not None:
        return None
    body._httpx_errors = True
    return aiter(body)


POOL_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=5.0
)
"""The limits of the pool a provider makes for itself on each event loop: up to 1,000
connections per provider and loop (one per stream or call in flight; more wait for a
free one, within the ``pool`` timeout), all kept for reuse while idle for less than
5 s. httpx's defaults (100 connections, 20 kept) would make the 101st concurrent
stream wait for another to finish, and reconnect all but 20 after each burst."""


STOCK_KEEPALIVE = 20
"""The idle connections kept by a pool of httpx's own that `async_client` makes."""


def async_client(
    timeout: httpx.Timeout | float, limits: httpx.Limits = POOL_LIMITS
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` as httpx makes it by default (TLS verified with its
    certificates, the environment's proxy and certificate settings honoured) whose
    direct connections go through a `FairConnectionPool` with ``limits``.

    The pools that stay httpx's (those of proxies set in the environment, or every
    one should httpx ever keep its pool elsewhere: ``tests/faults/test_pool.py``
    checks that it does not) get as many connections but keep at most 20 idle:
    httpx's pool compares every idle connection with every other on each request,
    so more idle ones cost more than reconnecting (see the README's "Networking")."""
    ssl_context = httpx.create_ssl_context()
    kept = limits.max_keepalive_connections
    stock = httpx.Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=STOCK_KEEPALIVE if kept is None else min(kept, STOCK_KEEPALIVE),
        keepalive_expiry=limits.keepalive_expiry,
    )
    client = httpx.AsyncClient(timeout=timeout, limits=stock, verify=ssl_context)
    transport = getattr(client, "_transport", None)
    if type(transport) is httpx.AsyncHTTPTransport and (
        type(getattr(transport, "_pool", None)) is httpcore.AsyncConnectionPool
    ):
        transport._pool = FairConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DirectConnect(),
        )
    return client
