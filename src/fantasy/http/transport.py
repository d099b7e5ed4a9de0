"""The one HTTP layer every provider uses, for the sync and the async face alike.

It knows URLs, headers, JSON bodies and byte streams, nothing about models.
Network failures become retryable `ProviderError`s here, so the retry policy
sees one kind of error whichever provider or face is in use. httpx is
imported when the first transport is built, not when `fantasy` is imported.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
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


class StreamingHttpResponse:
    """An open response whose body arrives as byte chunks; always close it (``async with``)."""

    def __init__(self, response: httpx.Response, url: str):
        self._response = response
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self.url = url

    @property
    def content(self) -> bytes:
        """The body of an error response, which `HttpTransport.post_stream` has read in full."""
        return self._response.content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        import httpx

        try:
            if _runtime.is_sync():
                for chunk in self._response.iter_bytes():
                    yield chunk
            else:
                async for chunk in self._response.aiter_bytes():
                    yield chunk
        except httpx.TransportError as exc:
            raise _network_error(exc, self.url, "stream transport error") from exc

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
    return ProviderError(message, title=title, url=url, transient=True, cause=exc)


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
    ):
        self.headers = resolve_headers(headers, user_agent)
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
    ) -> HttpResponse:
        import httpx

        try:
            if _runtime.is_sync():
                r = self._sync_client().post(url, content=body, headers=headers)
            else:
                r = await self._async().post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise _network_error(exc, url, "network error") from exc
        return HttpResponse(r.status_code, dict(r.headers), r.content, url)

    async def post_stream(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
    ) -> StreamingHttpResponse:
        """Open a streamed POST; an error status is read in full so it can be reported."""
        import httpx

        try:
            if _runtime.is_sync():
                client = self._sync_client()
                r = client.send(
                    client.build_request("POST", url, content=body, headers=headers), stream=True
                )
                if r.status_code >= 400:
                    r.read()
            else:
                aclient = self._async()
                r = await aclient.send(
                    aclient.build_request("POST", url, content=body, headers=headers), stream=True
                )
                if r.status_code >= 400:
                    await r.aread()
        except httpx.TransportError as exc:
            raise _network_error(exc, url, "network error") from exc
        return StreamingHttpResponse(r, url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()
