"""MCP servers over HTTP: Streamable HTTP, and the older HTTP+SSE transport."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from fantasy.errors import InvalidArgumentError
from fantasy.mcp._connection import Connection
from fantasy.mcp.servers import (
    DEFAULT_START_TIMEOUT,
    DEFAULT_TIMEOUT,
    MCPServerBase,
    ServerApproval,
)

if TYPE_CHECKING:
    import httpx2

    from fantasy.model import LanguageModel

AuthHook: TypeAlias = "Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]] | httpx2.Auth"
"""``auth=`` of an HTTP server: a function giving the headers to add to each request (a
fresh token, say; sync or async), or an ``httpx2.Auth`` such as the SDK's OAuth provider."""


class _HeaderAuth:
    """An ``auth=`` function as an ``httpx2.Auth``: its headers are added to each request."""

    def __init__(self, hook: Callable[[], Any]):
        self.hook = hook

    def build(self) -> Any:
        import httpx2

        hook = self.hook

        class HookAuth(httpx2.Auth):
            async def async_auth_flow(self, request: Any) -> Any:
                headers = hook()
                if hasattr(headers, "__await__"):
                    headers = await headers
                for key, value in dict(headers or {}).items():
                    request.headers[key] = value
                yield request

        return HookAuth()


class _HTTPBase(MCPServerBase):
    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        auth: AuthHook | None,
        where: str,
        **options: Any,
    ):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidArgumentError(f"{where}: url must be an http:// or https:// URL")
        super().__init__(**options)
        self.url = url
        self._headers = dict(headers or {})
        self._auth = auth

    def secrets(self) -> list[str]:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        found = [v for v in self._headers.values() if isinstance(v, str)]
        found.extend(p for p in (parts.password, parts.username, parts.query) if p)
        for header in found[: len(self._headers)]:
            scheme, _, token = header.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                found.append(token)
        return found

    def describe(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return repr(f"{parts.scheme}://{host}{port}{parts.path}")

    def _httpx_auth(self) -> Any:
        auth = self._auth
        if auth is None:
            return None
        import httpx2

        if isinstance(auth, httpx2.Auth):
            return auth
        if callable(auth):
            return _HeaderAuth(auth).build()
        raise InvalidArgumentError(
            "MCP server: auth must be a function giving headers or an httpx2.Auth"
        )


class MCPServerHTTP(_HTTPBase):
    """A server over Streamable HTTP at ``url`` (``http://host:port/mcp``).

    ``headers`` go with every request (never shown in a repr or an error); ``auth`` adds
    more per request (see `AuthHook`). ``protocol='legacy'`` forces the initialize
    handshake (sessions with an ``Mcp-Session-Id``) instead of the 2026-07-28 protocol's
    discovery; the default, ``'auto'``, uses the newest the server speaks.
    """

    kind = "http"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: AuthHook | None = None,
        name: str | None = None,
        prefix: str | None = None,
        allow: Collection[str] | None = None,
        deny: Collection[str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        needs_approval: ServerApproval = False,
        sampling_model: LanguageModel | str | None = None,
        protocol: str = "auto",
    ):
        super().__init__(
            url,
            headers=headers,
            auth=auth,
            where="MCPServerHTTP",
            name=name,
            prefix=prefix,
            allow=allow,
            deny=deny,
            timeout=timeout,
            start_timeout=start_timeout,
            needs_approval=needs_approval,
            sampling_model=sampling_model,
            protocol=protocol,
        )

    def transport(self, connection: Connection) -> Any:
        return self._streams()

    @contextlib.asynccontextmanager
    async def _streams(self) -> AsyncIterator[Any]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        http = httpx2.AsyncClient(
            headers=self._headers,
            auth=self._httpx_auth(),
            timeout=httpx2.Timeout(30.0, read=300.0),
        )
        async with http, streamable_http_client(self.url, http_client=http) as streams:
            yield streams


class MCPServerSSE(_HTTPBase):
    """A server over the older HTTP+SSE transport (``http://host:port/sse``), which the
    SDK still offers; always the initialize handshake."""

    kind = "sse"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: AuthHook | None = None,
        name: str | None = None,
        prefix: str | None = None,
        allow: Collection[str] | None = None,
        deny: Collection[str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        needs_approval: ServerApproval = False,
        sampling_model: LanguageModel | str | None = None,
    ):
        super().__init__(
            url,
            headers=headers,
            auth=auth,
            where="MCPServerSSE",
            name=name,
            prefix=prefix,
            allow=allow,
            deny=deny,
            timeout=timeout,
            start_timeout=start_timeout,
            needs_approval=needs_approval,
            sampling_model=sampling_model,
            protocol="legacy",
        )

    def transport(self, connection: Connection) -> Any:
        from mcp.client.sse import sse_client

        return sse_client(self.url, headers=self._headers, auth=self._httpx_auth())
