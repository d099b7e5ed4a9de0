"""The one HTTP layer every provider uses, for the sync and the async face alike.

It knows URLs, headers, JSON bodies and byte streams, nothing about models.
Network failures become retryable `ProviderError`s here, so the retry policy
sees one kind of error whichever provider or face is in use; a request that
cannot be sent as configured (no scheme, a bad header value, a certificate
that does not verify) becomes a `ProviderError` that is not retried. A redirect,
and a successful answer that is not what was asked for (an HTML page, a JSON
error object, a body that is not an event stream), are reported here too, by
`fantasy.http.unexpected`. httpx is imported when the first transport is built,
not when `fantasy` is imported. A client (or transport) of ``httpx2`` given by the
caller is used as it is, and its exceptions are read as httpx's are
(`fantasy.http.backend`).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from fantasy import __version__, _json, _runtime
from fantasy._record import Record, replaced
from fantasy.errors import ProviderError, SecretTokens, mask_userinfo
from fantasy.http import deadline, log
from fantasy.http.backend import default_library, error_kinds, library_of
from fantasy.http.deadline import AsyncWatch, ResponseClock
from fantasy.http.limits import DEFAULT_LIMITS, HttpLimits
from fantasy.http.secret_headers import SecretHeaders
from fantasy.http.unexpected import (
    SSE,
    StreamSniffer,
    json_body,
    redact,
    redirect_error,
)

if TYPE_CHECKING:
    import asyncio

    import httpx

DEFAULT_USER_AGENT = f"fantasy-python/{__version__}"


def resolve_headers(headers: Mapping[str, str] | None, user_agent: str | None) -> SecretHeaders:
    """Provider headers, one per name whatever its case (the later spelling wins), with
    exactly one User-Agent: explicit > given in headers > default."""
    by_name: dict[str, tuple[str, str]] = {}
    ua_from_headers = ""
    for key, value in (headers or {}).items():
        if key.lower() == "user-agent":
            ua_from_headers = ua_from_headers or value
        else:
            by_name[key.lower()] = (key, value)
    resolved = SecretHeaders(by_name.values())
    resolved["User-Agent"] = user_agent or ua_from_headers or DEFAULT_USER_AGENT
    return resolved


class HttpResponse(Record):
    """A whole (non-streamed) answer: status, headers and body bytes."""

    __slots__ = ("status_code", "headers", "content", "url", "secrets")

    status_code: int
    headers: dict[str, str]
    content: bytes
    url: str
    secrets: tuple[bytes, ...]
    """Credential values to hide when the body is quoted in an error."""

    def __init__(
        self,
        status_code: int,
        headers: dict[str, str],
        content: bytes,
        url: str,
        secrets: tuple[bytes, ...] = (),
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.url = url
        self.secrets = secrets

    def __repr__(self) -> str:
        # Shown as a local of a traceback's frame: neither the body nor the headers,
        # which may echo a credential, nor the credentials themselves.
        url = mask_userinfo(self.url)
        size = len(self.content)
        return f"HttpResponse(status_code={self.status_code}, url={url!r}, {size} bytes)"

    def json_object(self, provider: str) -> dict[str, Any]:
        """The body of a successful answer as a JSON object. Anything else is an invalid
        provider response that quotes what came (an HTML page, say); a JSON error object
        (``{"error": {...}}`` with status 200, as some servers and proxies send) is a
        `ProviderError` with the provider's message, retryable only if it says so."""
        return json_body(
            self.status_code, self.headers, self.content, self.url, provider, self.secrets
        )


class StreamingHttpResponse:
    """An open response whose body arrives as byte chunks; always close it (``async with``).

    Its `ResponseClock` holds it to the call's deadline and to the idle limit: the
    reader says when data advanced the stream (`progressed`), and a stream that goes
    past either bound ends with a timeout error, whether it trickles, keeps the
    connection warm with comments, or falls silent.
    """

    def __init__(
        self,
        response: httpx.Response,
        url: str,
        clock: ResponseClock,
        secrets: tuple[bytes, ...] = (),
        sniffer: StreamSniffer | None = None,
        error_body: bytes = b"",
    ):
        self._response = response
        self._secrets = secrets
        self._sniffer = sniffer
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self.url = url
        self._clock = clock
        self._error_body = error_body

    @property
    def content(self) -> bytes:
        """The body of an error response, which `HttpTransport.post_stream` has read."""
        return redact(self._error_body, self._secrets)

    def progressed(self) -> None:
        """Data that advances the stream arrived (not a comment or a ping); the idle
        limit counts afresh from the next read."""
        self._clock.advanced = True

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as it arrives. A successful body is first looked at (`StreamSniffer`):
        one that is not the expected stream raises a `ProviderError` saying what it is.

        Each face reads in its own loop, inline, since this runs for every chunk: the
        sync one cuts each socket wait to the clock's due time (`deadline.LOCAL`), the
        async one has an `AsyncWatch` cancel a read that outlives it."""
        kinds = error_kinds()
        clock = self._clock
        monotonic = time.monotonic
        try:
            if _runtime.is_sync():
                local = deadline.LOCAL
                chunks = _body_chunks(self._response)
                while True:
                    now = monotonic()
                    clock.note_progress(now)
                    due = clock.due()
                    if due <= now:
                        raise self._timed_out(None)
                    local.due = due
                    try:
                        chunk = next(chunks, None)
                    finally:
                        local.due = math.inf
                    if chunk is None:
                        break
                    if self._sniffer is not None:
                        chunk = self._sniff(chunk)
                        if not chunk:
                            continue
                    yield chunk
            else:
                import asyncio

                watch = AsyncWatch(clock)
                achunks = _abody_chunks(self._response)
                try:
                    while True:
                        now = monotonic()
                        clock.note_progress(now)
                        if clock.due() <= now:
                            raise self._timed_out(None)
                        watch.reading = True
                        try:
                            chunk = await anext(achunks)
                        except StopAsyncIteration:
                            break
                        except asyncio.CancelledError:
                            if watch.timed_out():
                                raise self._timed_out(None) from None
                            raise
                        finally:
                            watch.reading = False
                        if self._sniffer is not None:
                            chunk = self._sniff(chunk)
                            if not chunk:
                                continue
                        yield chunk
                finally:
                    watch.close()
            if self._sniffer is not None:
                rest = self._sniffer.finish()
                self._sniffer = None
                if rest:
                    yield rest
        except kinds.timeout as exc:
            raise self._timed_out(exc) from exc
        except kinds.transport as exc:
            raise _network_error(exc, self.url, "stream transport error") from exc
        except kinds.decoding as exc:
            raise undecodable_body(exc, self.url, "") from exc

    def _sniff(self, chunk: bytes) -> bytes:
        """Held back (``b""``) until the sniffer has judged the body; then all it held."""
        assert self._sniffer is not None
        released = self._sniffer.feed(chunk)
        if released is None:
            return b""
        self._sniffer = None
        return released

    def _timed_out(self, exc: Exception | None) -> ProviderError:
        why = self._clock.expired()
        if not why:
            assert exc is not None
            return _network_error(exc, self.url, "stream transport error")
        return ProviderError(
            f"request timed out: {why} while the stream was being read",
            title="deadline exceeded",
            url=self.url,
            transient=True,
        )

    async def aclose(self) -> None:
        if _runtime.is_sync():
            self._response.close()
        else:
            await self._response.aclose()

    async def __aenter__(self) -> StreamingHttpResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _plain_httpx_body(response: Any) -> bool:
    """An httpx response whose body is not encoded, not yet read: its stream holds the
    body's bytes as they are."""
    import httpx

    return (
        type(response) is httpx.Response
        and "content-encoding" not in response.headers
        and not response.is_stream_consumed
        and not response.is_closed
    )


def _body_chunks(response: Any) -> Iterator[bytes]:
    """The body's bytes as they arrive (sync). A body with no Content-Encoding is read
    from the response's stream itself: ``iter_bytes`` would pass each chunk through
    ``iter_raw``, an identity decoder and two chunkers, for every SSE event of a stream
    (httpx yields one chunk per HTTP chunk). Encoded bodies, and other client
    libraries, go through ``iter_bytes``."""
    if _plain_httpx_body(response):
        from fantasy.http.chunked import take_over_sync

        # A chunked body is read without h11 where it can be (`fantasy.http.chunked`).
        take_over_sync(response)
        response.is_stream_consumed = True
        return iter(response.stream)
    return response.iter_bytes()  # type: ignore[no-any-return]


def _abody_chunks(response: Any) -> AsyncIterator[bytes]:
    """The async face of `_body_chunks`; a body from the transport's own pool is read
    from the pool's stream (`fantasy.http.pool.direct_body`)."""
    if _plain_httpx_body(response):
        from fantasy.http.pool import direct_body

        response.is_stream_consumed = True
        return direct_body(response) or aiter(response.stream)
    return response.aiter_bytes()  # type: ignore[no-any-return]


def undecodable_body(exc: Exception, url: str, provider: str) -> ProviderError:
    """A body whose Content-Encoding does not decode (a broken proxy, a lying gzip
    header): an invalid response, not retried, never a bare httpx error."""
    return ProviderError(
        f"the response body could not be decoded ({type(exc).__name__}: {exc})",
        title="invalid provider response",
        provider=provider,
        url=url,
        cause=exc,
    )


def _network_error(exc: Exception, url: str, title: str) -> ProviderError:
    problem = _configuration_problem(exc, url)
    if problem is not None:
        # Sending again cannot help: the request is wrong as configured.
        return ProviderError(problem, title="invalid request", url=url, cause=exc)
    message = str(exc) or type(exc).__name__
    if _is_timeout(exc):
        # httpx's timeout messages are often empty or bare ("timed out"): say which wait.
        message = f"request timed out ({type(exc).__name__}: {message})"
    return ProviderError(message, title=title, url=url, transient=True, cause=exc)


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _configuration_problem(exc: Exception, url: str) -> str | None:
    """What is wrong with a request httpx refused to send, or that no retry can mend;
    None for a network failure worth another try."""
    import socket
    import ssl
    from urllib.parse import urlsplit

    kinds = error_kinds()
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, kinds.unsupported_protocol):
        return f"cannot send a request to {url!r} ({detail}); base_url must start with https://"
    if isinstance(exc, kinds.invalid_url):
        return f"the URL {url!r} is invalid ({detail}); check base_url and the model id"
    if isinstance(exc, kinds.local_protocol):
        # h11 quotes the offending value, which may be a key: keep only what it says.
        detail = re.sub(r"""b?(['"]).*?\1""", "<value hidden>", detail, flags=re.S)
        return (
            f"httpx refused to send the request ({detail}); a header name or value is "
            "probably invalid (a line break or a non-ASCII character in headers=, a "
            "per-call header or a key?)"
        )
    if isinstance(exc, UnicodeEncodeError):
        return (
            f"a header value is not ASCII ({detail}); HTTP headers (headers=, per-call "
            "headers, keys) must be ASCII"
        )
    host = urlsplit(url).hostname or url
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = getattr(cause, "verify_message", "") or cause
            return (
                f"the TLS certificate of {host!r} did not verify ({reason}); "
                "check base_url, or give an http_client= that trusts the certificate"
            )
        if (
            isinstance(cause, ssl.SSLError)
            and getattr(cause, "reason", "") == "WRONG_VERSION_NUMBER"
        ):
            return (
                f"{host!r} does not speak TLS on that port ({cause}); "
                "use http:// in base_url for a plain-HTTP server"
            )
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            return f"the host {host!r} does not exist ({cause}); check base_url"
    return None


def secret_tokens(values: Iterable[str]) -> tuple[bytes, ...]:
    """Credential header values as the strings to hide, longest first: whole, without a
    scheme (``Bearer <key>`` hides ``<key>`` too) and in every other form they may be
    echoed in (`fantasy.errors.secret_forms`). While the tokens live (the transport
    keeps them), every error built in the process is redacted against them."""
    return SecretTokens.of(values)


def _limits_for(timeout: Any) -> HttpLimits:
    """The default limits, the idle one following a provider's read timeout: waiting
    for data is what it bounds, and keep-alives are not data."""
    if timeout is None:
        return DEFAULT_LIMITS
    read = timeout if isinstance(timeout, int | float) else getattr(timeout, "read", 600.0)
    return replaced(DEFAULT_LIMITS, stream_idle_timeout=read)


def _timeout_at(clock: ResponseClock) -> contextlib.AbstractAsyncContextManager[object]:
    """``asyncio.timeout_at`` the clock's due time, or nothing when it has none."""
    import asyncio

    when = deadline.loop_deadline(clock, asyncio.get_running_loop())
    if when is None:
        return contextlib.nullcontext()
    return asyncio.timeout_at(when)


def _is_timeout(exc: Exception) -> bool:
    return isinstance(exc, error_kinds().timeout)


def _per_call(timeout: float | None) -> dict[str, Any]:
    """httpx keyword arguments for a per-call timeout: each wait (connect, write, every
    read) bounded by it; none when the call leaves the transport's timeout alone."""
    if timeout is None:
        return {}
    # A number: httpx and httpx2 both read it as a timeout for every wait.
    return {"timeout": float(timeout)}


def _timeout_for(library: Any, timeout: Any) -> Any:
    """``timeout`` as ``library`` takes it: a number as it is, a ``Timeout`` of the other
    client library rebuilt from its four waits."""
    if timeout is None or isinstance(timeout, int | float | library.Timeout):
        return timeout
    return library.Timeout(
        connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
    )


class HttpTransport:
    """Sync and async httpx clients behind one interface, created on first use.

    Pass ``http_client`` / ``async_http_client`` to share your own clients, or
    ``transport`` (an httpx transport implementing either or both interfaces)
    to route requests, e.g. through `fantasy.testing.ReplayTransport`. Clients and
    transports of ``httpx2`` work the same; a transport of it gets ``httpx2``
    clients. What the transport builds for itself is httpx's (`backend.DEFAULT`).

    The async connection pool this transport makes for itself is bound to an event
    loop, so each loop gets its own, closed when that loop finalizes its async
    generators before closing (``asyncio.run``, ``asyncio.Runner``, ``anyio.run`` and
    pytest-asyncio all do), or by `aclose` on that loop. Clients and transports given
    by the caller are the caller's to close (`aclose` closes them too).
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        secrets: Iterable[str] = (),
        provider: str = "",
        base_url: str = "",
        limits: HttpLimits | None = None,
    ):
        """``limits``: the size and idle bounds of responses (`HttpLimits`).
        ``secrets``: credential values; an error body that echoes one (some APIs quote
        the key they refused) has it replaced by ``[REDACTED]`` before anyone sees it.
        ``provider`` and ``base_url`` name the provider in errors raised here and let a
        redirect's error say which base_url would reach its target."""
        self.headers = resolve_headers(headers, user_agent)
        self.limits = limits or _limits_for(timeout)
        self._secrets = secret_tokens(secrets)
        self.provider = provider
        self.base_url = base_url
        self._client = http_client
        self._async_client = async_http_client
        """The caller's async client, or the one wrapping the caller's ``transport``."""
        self._loop_clients: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        """The async clients with a pool of our own, one per event loop."""
        self._transport = transport
        self._timeout = timeout
        self._transport_library = library_of(transport) if transport is not None else None
        """The client library of the caller's transport (None: the default's)."""
        log.hide_credentials_from_httpx()

    # ------------------------------------------------------------------ clients

    def _library(self) -> Any:
        """The client library of the clients this transport builds."""
        return self._transport_library or default_library()

    def _timeout_value(self) -> Any:
        library = self._library()
        if self._timeout is None:
            # Models think for minutes; the read timeout bounds the gap between chunks.
            return library.Timeout(600.0, connect=10.0)
        return _timeout_for(library, self._timeout)

    def _sync_client(self) -> httpx.Client:
        if self._client is None:
            library = self._library()
            self._client = library.Client(transport=self._transport, timeout=self._timeout_value())
            if self._transport is None:
                deadline.install(self._client)
                # The pool is ours (a caller's transport stays the caller's to close): it
                # closes when this transport goes (a model made per request), not when
                # the collector finds its sockets and warns.
                weakref.finalize(self, self._client.close)
        return self._client

    def _async(self) -> httpx.AsyncClient:
        if self._async_client is not None:
            return self._async_client
        if self._transport is not None:
            # The caller's transport holds the connections (if any): one client will do.
            self._async_client = self._library().AsyncClient(
                transport=self._transport, timeout=self._timeout_value()
            )
            return self._async_client
        import asyncio

        loop = asyncio.get_running_loop()
        entry = self._loop_clients.get(loop)
        if entry is None:
            entry = self._new_loop_client(loop)
        return entry.client

    def _new_loop_client(self, loop: asyncio.AbstractEventLoop) -> _LoopClient:
        """A pooled client for this loop (its connections belong to it), closed on it at
        its end. Clients left by loops that closed without finalizing their async
        generators are dropped here: with their loop gone they cannot be closed."""
        from fantasy.http.pool import async_client

        for dead in [other for other in self._loop_clients if other.is_closed()]:
            del self._loop_clients[dead]
        client = async_client(self._timeout_value())
        entry = _LoopClient(client, _closer(client, loop, self._loop_clients))
        self._loop_clients[loop] = entry
        return entry

    def request_headers(
        self, extra: Mapping[str, str] | None, user_agent: str = ""
    ) -> SecretHeaders:
        """The headers of one request; their repr never shows a credential."""
        headers = SecretHeaders(self.headers)
        headers["Accept"] = "application/json"
        headers["Content-Type"] = "application/json"
        # Header names are case-insensitive: a per-call "user-agent" replaces "User-Agent"
        # rather than going out as a second header.
        overrides = dict(extra or {})
        if user_agent:
            overrides["User-Agent"] = user_agent
        for key, value in overrides.items():
            for existing in [k for k in headers if k.lower() == key.lower()]:
                del headers[existing]
            headers[key] = value
        return headers

    # ------------------------------------------------------------------ requests

    @staticmethod
    def encode_json(body: Any) -> bytes:
        """The request body as UTF-8 JSON. Text holding a lone surrogate is sent with
        U+FFFD in its place (`fantasy._json.encode`), never a ``UnicodeEncodeError``."""
        return _json.encode(json.dumps(body, ensure_ascii=False, separators=(",", ":")))

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> HttpResponse:
        """``timeout`` (seconds) bounds this request as a whole: connecting, sending,
        the headers and the whole body, however slowly the server sends them."""
        return await self.send("POST", url, body, headers, timeout=timeout)

    async def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> HttpResponse:
        """`post` for any method (a batch API's ``GET`` of a status or a results file),
        bounded and reported the same way; ``body`` None sends none."""
        clock = ResponseClock(timeout, None)
        started = time.perf_counter()
        try:
            r, content = await self._exchange(
                url, body, headers, clock, stream=False, method=method
            )
        except ProviderError as exc:
            log.failed(method, url, exc, started, self.provider)
            raise
        log.answered(method, url, r.status_code, started, self.provider)
        if 300 <= r.status_code < 400:
            raise self._redirect(r, url)
        if r.status_code >= 400:
            content = redact(content, self._secrets)
        return HttpResponse(r.status_code, dict(r.headers), content, url, self._secrets)

    async def post_stream(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
        expect: str = SSE,
    ) -> StreamingHttpResponse:
        """Open a streamed POST; an error status is read in full so it can be reported.

        ``timeout`` (seconds) bounds the whole request, the stream included; the
        provider's `HttpLimits.stream_idle_timeout` bounds the time between two pieces
        of data that advance the stream. ``expect`` is the media type of the stream
        (Server-Sent Events unless said otherwise): a successful body that is something
        else (an HTML page, a JSON error object) raises a `ProviderError` from
        `StreamingHttpResponse.aiter_bytes`.
        """
        clock = ResponseClock(timeout, self.limits.stream_idle_timeout)
        started = time.perf_counter()
        try:
            r, error_body = await self._exchange(url, body, headers, clock, stream=True)
        except ProviderError as exc:
            log.failed("POST", url, exc, started, self.provider)
            raise
        log.answered("POST", url, r.status_code, started, self.provider)
        if 300 <= r.status_code < 400:
            raise self._redirect(r, url)
        sniffer = None
        if r.status_code < 300:
            sniffer = StreamSniffer(
                r.status_code, dict(r.headers), url, self.provider, expect, self._secrets
            )
        return StreamingHttpResponse(r, url, clock, self._secrets, sniffer, error_body)

    async def _exchange(
        self,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        clock: ResponseClock,
        *,
        stream: bool,
        method: str = "POST",
    ) -> tuple[httpx.Response, bytes]:
        """Send the request and read what must be read before handing it back: a whole
        answer, or an error's body (bounded by `HttpLimits.max_response_bytes`), all
        within the clock's due time. A streamed success comes back open, unread; any
        other response comes back closed, also when reading fails or is cancelled."""
        kinds = error_kinds()
        extra = _per_call(clock.timeout)
        try:
            if _runtime.is_sync():
                client = self._sync_client()
                with deadline.reading(clock.due()):
                    request = client.build_request(
                        method, url, content=body, headers=headers, **extra
                    )
                    r = client.send(request, stream=True)
                    if stream and r.status_code < 300:
                        return r, b""
                    try:
                        return r, self._read_sync(r, clock, url)
                    finally:
                        r.close()
            aclient = self._async()
            async with _timeout_at(clock):
                request = aclient.build_request(method, url, content=body, headers=headers, **extra)
                r = await aclient.send(request, stream=True)
                if stream and r.status_code < 300:
                    return r, b""
                try:
                    return r, await self._read_async(r, clock, url)
                finally:
                    await r.aclose()
        except TimeoutError as exc:  # asyncio.timeout_at's: the call's deadline passed
            raise self._deadline_error(clock, url, exc) from None
        except kinds.timeout as exc:
            if clock.expired():
                raise self._deadline_error(clock, url, exc) from exc
            raise self._failed(exc, url, "network error") from exc
        except kinds.network as exc:
            raise self._failed(exc, url, "network error") from exc
        except kinds.decoding as exc:
            raise undecodable_body(exc, url, self.provider) from exc

    def _read_sync(self, r: httpx.Response, clock: ResponseClock, url: str) -> bytes:
        if 300 <= r.status_code < 400:
            return b""  # a redirect's body is not wanted
        limit = self._check_length(r, url)
        parts: list[bytes] = []
        size = 0
        for chunk in r.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(r, url)
            parts.append(chunk)
            if clock.due() <= time.monotonic():
                raise self._deadline_error(clock, url, None)
        return b"".join(parts)

    async def _read_async(self, r: httpx.Response, clock: ResponseClock, url: str) -> bytes:
        if 300 <= r.status_code < 400:
            return b""
        limit = self._check_length(r, url)
        parts: list[bytes] = []
        size = 0
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(r, url)
            parts.append(chunk)
        return b"".join(parts)

    def _check_length(self, r: httpx.Response, url: str) -> int:
        """The most the body may hold; a declared length past it is refused unread."""
        limit = self.limits.max_response_bytes
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit and "content-encoding" not in r.headers:
            raise self._too_large(r, url)
        return limit

    def _too_large(self, r: httpx.Response, url: str) -> ProviderError:
        return ProviderError(
            f"the response body (HTTP {r.status_code}) is larger than "
            f"HttpLimits.max_response_bytes ({self.limits.max_response_bytes:,} bytes, "
            "after decompression); nothing of it was kept",
            title="invalid provider response",
            provider=self.provider,
            url=url,
            status_code=r.status_code if r.status_code >= 400 else 0,
            response_headers=dict(r.headers),
        )

    def _deadline_error(
        self, clock: ResponseClock, url: str, exc: Exception | None
    ) -> ProviderError:
        why = clock.expired() or f"the call's timeout of {clock.timeout:.3g}s passed"
        return ProviderError(
            f"request timed out: {why} before the response was complete",
            title="deadline exceeded",
            provider=self.provider,
            url=url,
            transient=True,
            cause=exc,
        )

    def _failed(self, exc: Exception, url: str, title: str) -> ProviderError:
        error = _network_error(exc, url, title)
        error.provider = self.provider
        return error

    def _redirect(self, r: httpx.Response, url: str) -> ProviderError:
        return redirect_error(
            r.status_code, dict(r.headers), url, provider=self.provider, base_url=self.base_url
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the caller's async client (if any) and this loop's own pool; another
        loop's pool is closed at that loop's end."""
        if self._async_client is not None:
            await self._async_client.aclose()
        if self._loop_clients:
            import asyncio

            entry = self._loop_clients.get(asyncio.get_running_loop())
            if entry is not None:
                await entry.client.aclose()


class _LoopClient(Record):
    """An HTTP client and the event loop it was made on."""

    __slots__ = ("client", "closer")

    client: httpx.AsyncClient
    closer: AsyncGenerator[None, None]
    """Kept here so that it lives as long as the client: see `_closer`."""

    def __init__(self, client: httpx.AsyncClient, closer: AsyncGenerator[None, None]) -> None:
        self.client = client
        self.closer = closer


def _closer(
    client: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
    registry: dict[asyncio.AbstractEventLoop, _LoopClient],
) -> AsyncGenerator[None, None]:
    """An async generator, started on ``loop`` and left suspended, that closes ``client``
    when it is finalized: by ``loop.shutdown_asyncgens()`` before the loop closes, or on
    the loop if the transport is garbage-collected first. Closing the pool on its own
    loop is the only clean way: once that loop is closed, its sockets cannot be closed
    without errors or ``ResourceWarning``s."""

    async def close_with_loop() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            registry.pop(loop, None)
            await client.aclose()

    closer = close_with_loop()
    # Its first step registers it with the running loop's async-generator hooks and
    # stops at the ``yield`` without waiting for anything.
    with contextlib.suppress(StopIteration):
        closer.asend(None).send(None)
    return closer
