"""Google Cloud: where a Vertex AI location is served, and the OAuth bearer token of
a Vertex AI request.

Four sources, in this order: nothing (``skip``, for tests and for proxies that
add their own credentials), a token string, a function that returns one (sync
or async), or google-auth credentials (given, or Application Default Credentials
found on first use). google-auth is the optional ``vertex`` extra and is imported
only on that last path. Its refresh does blocking HTTP, so it runs through
`fantasy._runtime.run_in_worker`: inline on the sync face, in a worker thread on
the async face. Used by the Google provider (Gemini on Vertex) and by the
Anthropic provider's Vertex platform (Claude on Vertex).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fantasy import _runtime
from fantasy.errors import FantasyError, ProviderError
from fantasy.http.auth import Authenticator, import_optional

_MULTI_REGIONS = frozenset({"us", "eu"})


def vertex_base_url(location: str) -> str:
    """The Vertex AI host of a location: global, a multi-region, or a region."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in _MULTI_REGIONS:
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


__all__ = ["CLOUD_PLATFORM_SCOPE", "EXTRA", "TokenProvider", "VertexAuth"]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
EXTRA = "vertex"
"""The extra that installs google-auth."""

TokenProvider = Callable[[], "str | Awaitable[str]"]
"""A function (sync or async) returning a current OAuth access token."""


class VertexAuth(Authenticator):
    """Produces the auth headers of each Vertex request; never shows the token."""

    def __init__(
        self,
        *,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        credentials: Any = None,
        skip: bool = False,
    ):
        self._token = token
        self._token_provider = token_provider
        self._credentials = credentials
        self._skip = skip
        self._lock = threading.Lock()

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        headers.update(await self.headers(url))

    async def headers(self, url: str) -> dict[str, str]:
        """The headers that authenticate a request to ``url``."""
        if self._skip:
            return {}
        if self._token is not None:
            return {"Authorization": f"Bearer {self._token}"}
        if self._token_provider is not None:
            token = await _runtime.call_user(self._token_provider)
            if not isinstance(token, str) or not token:
                raise FantasyError(
                    "the Vertex token provider returned no token", title="authentication failed"
                )
            return {"Authorization": f"Bearer {token}"}
        return await _runtime.run_in_worker(self._credential_headers, url)

    def _credential_headers(self, url: str) -> dict[str, str]:
        purpose = "Getting Vertex AI credentials (without a token or token function)"
        auth = import_optional("google.auth", EXTRA, purpose, "google-auth")
        transport = import_optional("google.auth.transport.requests", EXTRA, purpose, "google-auth")
        exceptions = import_optional("google.auth.exceptions", EXTRA, purpose, "google-auth")
        headers: dict[str, str] = {}
        try:
            with self._lock:
                if self._credentials is None:
                    self._credentials, _ = auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
                # Refreshes the token when needed, then writes Authorization (and the quota
                # project header when the credentials name one).
                self._credentials.before_request(transport.Request(), "POST", url, headers)
        except exceptions.GoogleAuthError as exc:
            raise ProviderError(
                str(exc), title="authentication failed", auth_error=True, cause=exc
            ) from exc
        return headers

    def __repr__(self) -> str:
        if self._skip:
            source = "skipped"
        elif self._token is not None:
            source = "token"
        elif self._token_provider is not None:
            source = "token provider"
        else:
            source = "google-auth"
        return f"VertexAuth({source})"
