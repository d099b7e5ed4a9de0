"""The one HTTP layer every provider uses, for the sync and the async face alike.

It knows URLs, headers, JSON bodies and byte streams, nothing about models.
Network failures become retryable `ProviderError`s here, so the retry policy
sees one kind of error whichever provider or face is in use. httpx is
imported when the first transport is built, not when `fantasy` is imported.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fantasy import __version__, _runtime
from fantasy.errors import ProviderError

if TYPE_CHECKING:
    import asyncio

    import httpx

DEFAULT_USER_AGENT = f"fantasy-python/{__version__}"


def resolve_headers(headers: Mapping[str, str] | None, user_agent: str | None) -> dict[str, str]:
    """Provider headers, one per name whatever its case (the later spelling wins), with
    exactly one User-Agent: explicit > given in headers > default."""
    by_name: dict[str, tuple[str, str]] = {}
    ua_from_headers = ""
    for key, value in (headers or {}).items():
        if key.lower() == "user-agent":
            ua_from_headers = ua_from_headers or value
        else:
            by_name[key.lower()] = (key, value)
    resolved = dict(by_name.values())
    resolved["User-Agent"] = user_agent or ua_from_headers or DEFAULT_USER_AGENT
    return resolved


@dataclass(slots=True)
class HttpResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes
    url: str

    def json_object(self, provider: str) -> dict[str, Any]:
        """The body as a JSON object; anything else is an invalid provider response."""
        try:
            data = json.loads(self.content)
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        except ValueError as exc:
            raise ProviderError(
                f"response is not valid JSON: {exc}",
                title="invalid provider response",
                provider=provider,
                url=self.url,
                status_code=self.status_code,
                response_body=self.content,
            ) from exc
        return data


class StreamingHttpResponse:
    """An open response whose body arrives as byte chunks; always close it (``async with``)."""

    def __init__(
        self,
        response: httpx.Response,
        url: str,
        deadline: float | None = None,
        secrets: tuple[bytes, ...] = (),
    ):
        self._response = response
        self._secrets = secrets
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self.url = url
        # (monotonic end, seconds): a per-call timeout also bounds a stream that keeps
        # trickling, which the per-read timeout alone would let run forever.
        self._deadline = deadline

    @property
    def content(self) -> bytes:
        """The body of an error response, which `HttpTransport.post_stream` has read in full."""
        return _redact(self._response.content, self._secrets)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        import httpx

        try:
            if _runtime.is_sync():
                for chunk in self._response.iter_bytes():
                    self._check_deadline()
                    yield chunk
            else:
                async for chunk in self._response.aiter_bytes():
                    self._check_deadline()
                    yield chunk
        except httpx.TransportError as exc:
            raise _network_error(exc, self.url, "stream transport error") from exc

    def _check_deadline(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise ProviderError(
                "the stream did not finish within the call's timeout",
                title="stream transport error",
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


def _network_error(exc: Exception, url: str, title: str) -> ProviderError:
    message = str(exc) or type(exc).__name__
    if _is_timeout(exc):
        # httpx's timeout messages are often empty or bare ("timed out"): say which wait.
        message = f"request timed out ({type(exc).__name__}: {message})"
    return ProviderError(message, title=title, url=url, transient=True, cause=exc)


REDACTED = b"[REDACTED]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not worth hiding, and replacing them would mangle ordinary text."""


def secret_tokens(values: Iterable[str]) -> tuple[bytes, ...]:
    """Credential header values as the strings to hide: whole, and without a scheme
    (``Bearer <key>`` hides ``<key>`` too), longest first."""
    tokens: set[str] = set()
    for value in values:
        tokens.add(value)
        tokens.add(value.split(" ")[-1])
    kept = [t.encode() for t in tokens if len(t) >= MIN_SECRET_LENGTH]
    return tuple(sorted(kept, key=len, reverse=True))


def _redact(content: bytes, secrets: tuple[bytes, ...]) -> bytes:
    for secret in secrets:
        if secret in content:
            content = content.replace(secret, REDACTED)
    return content


def _is_timeout(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, httpx.TimeoutException)


def _per_call(timeout: float | None) -> dict[str, Any]:
    """httpx keyword arguments for a per-call timeout: each wait (connect, write, every
    read) bounded by it; none when the call leaves the transport's timeout alone."""
    if timeout is None:
        return {}
    import httpx

    return {"timeout": httpx.Timeout(timeout)}


class HttpTransport:
    """Sync and async httpx clients behind one interface, created on first use.

    Pass ``http_client`` / ``async_http_client`` to share your own clients, or
    ``transport`` (an httpx transport implementing either or both interfaces)
    to route requests, e.g. through `fantasy.testing.ReplayTransport`.
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
    ):
        """``secrets``: credential values; an error body that echoes one (some APIs quote
        the key they refused) has it replaced by ``[REDACTED]`` before anyone sees it."""
        self.headers = resolve_headers(headers, user_agent)
        self._secrets = secret_tokens(secrets)
        self._client = http_client
        self._async_client = async_http_client
        self._own_async = async_http_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._transport = transport
        self._timeout = timeout

    # ------------------------------------------------------------------ clients

    def _timeout_value(self) -> Any:
        import httpx

        if self._timeout is None:
            # Models think for minutes; the read timeout bounds the gap between chunks.
            return httpx.Timeout(600.0, connect=10.0)
        return self._timeout

    def _sync_client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(transport=self._transport, timeout=self._timeout_value())
        return self._client

    def _async(self) -> httpx.AsyncClient:
        import asyncio

        loop = asyncio.get_running_loop()
        if self._async_client is not None and (not self._own_async or self._async_loop is loop):
            return self._async_client
        import httpx

        # A pooled async client is bound to the loop that opened its connections; a new
        # loop (another asyncio.run) gets a fresh client instead of a broken pool.
        self._async_client = httpx.AsyncClient(
            transport=self._transport, timeout=self._timeout_value()
        )
        self._async_loop = loop
        return self._async_client

    def request_headers(
        self, extra: Mapping[str, str] | None, user_agent: str = ""
    ) -> dict[str, str]:
        headers = dict(self.headers)
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
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> HttpResponse:
        """``timeout`` (seconds) replaces the transport's timeout for this request only."""
        import httpx

        extra = _per_call(timeout)
        try:
            if _runtime.is_sync():
                r = self._sync_client().post(url, content=body, headers=headers, **extra)
            else:
                r = await self._async().post(url, content=body, headers=headers, **extra)
        except httpx.TransportError as exc:
            raise _network_error(exc, url, "network error") from exc
        content = r.content if r.status_code < 400 else _redact(r.content, self._secrets)
        return HttpResponse(r.status_code, dict(r.headers), content, url)

    async def post_stream(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> StreamingHttpResponse:
        """Open a streamed POST; an error status is read in full so it can be reported.

        ``timeout`` (seconds) bounds every wait of this request and, checked as chunks
        arrive, the whole stream; None leaves the transport's timeout in charge.
        """
        import httpx

        extra = _per_call(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            if _runtime.is_sync():
                client = self._sync_client()
                request = client.build_request("POST", url, content=body, headers=headers, **extra)
                r = client.send(request, stream=True)
                if r.status_code >= 400:
                    r.read()
            else:
                aclient = self._async()
                request = aclient.build_request("POST", url, content=body, headers=headers, **extra)
                r = await aclient.send(request, stream=True)
                if r.status_code >= 400:
                    await r.aread()
        except httpx.TransportError as exc:
            raise _network_error(exc, url, "network error") from exc
        return StreamingHttpResponse(r, url, deadline, self._secrets)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()
