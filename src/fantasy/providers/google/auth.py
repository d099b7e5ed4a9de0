"""Where Vertex AI's bearer token comes from.

Four sources, in this order: nothing (``skip_auth``, for tests and for proxies
that add their own credentials), a token string, a function that returns one
(sync or async), or google-auth credentials (given, or Application Default
Credentials found on first use). google-auth is the optional ``vertex`` extra
and is imported only on that last path. Its refresh does blocking HTTP, so it
runs through `fantasy._runtime.run_in_worker`: inline on the sync face, in a
worker thread on the async face.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from fantasy import _runtime
from fantasy.errors import FantasyError, ProviderError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

TokenProvider = Callable[[], "str | Awaitable[str]"]


class VertexAuth:
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

    async def headers(self, url: str) -> dict[str, str]:
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
        # By name, not by import statement: google-auth is optional and untyped for mypy.
        try:
            auth: Any = importlib.import_module("google.auth")
            transport: Any = importlib.import_module("google.auth.transport.requests")
            exceptions: Any = importlib.import_module("google.auth.exceptions")
        except ImportError as exc:
            raise FantasyError(
                "Vertex AI needs google-auth for its credentials: pip install 'fantasy[vertex]', "
                "or pass token= / token_provider=",
                title="missing dependency",
                cause=exc,
            ) from exc
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
