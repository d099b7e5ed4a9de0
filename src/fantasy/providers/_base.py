"""What every HTTP provider has in common: a name, a base URL, credentials sent as
headers, and one shared `HttpTransport`. Providers add only what is theirs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import MissingAPIKeyError
from fantasy.http.transport import HttpTransport

if TYPE_CHECKING:
    import httpx


def api_key_from(api_key: str | None, env_var: str, label: str) -> str:
    """The key given, else the environment's; a missing key names the variable to set."""
    key = api_key if api_key is not None else os.environ.get(env_var)
    if not key:
        raise MissingAPIKeyError(
            f"no {label} API key: pass api_key= or set the {env_var} environment variable"
        )
    return key


class HTTPProvider:
    """Base of the providers; holds the transport and never shows the credentials."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        credentials: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
    ):
        self._name = name
        self.base_url = base_url.rstrip("/")
        merged = dict(headers or {})
        # The credentials given to the provider win over any header of the same name
        # (in any case), so a stray Authorization header never rides along beside them.
        secret_names = {k.lower() for k in credentials}
        for key in [k for k in merged if k.lower() in secret_names]:
            del merged[key]
        merged.update(credentials)
        self.transport = HttpTransport(
            headers=merged,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            secrets=credentials.values(),
        )

    @property
    def name(self) -> str:
        return self._name

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()

    def __enter__(self) -> HTTPProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> HTTPProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        cls = type(self)
        return f"{cls.__module__}.{cls.__name__}(name={self._name!r}, base_url={self.base_url!r})"
