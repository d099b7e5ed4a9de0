"""What every HTTP provider has in common: a name, a base URL, credentials sent as
headers, and one shared `HttpTransport`. Providers add only what is theirs.

Configuration follows one rule in every provider: **an argument that is given wins
over the environment**, and the environment fills only what was left out. "Given"
means not None; for URLs and cloud settings (``base_url``, ``project``,
``location``, ``region``) an empty string counts as left out, as in Fantasy, while
an empty key is refused rather than quietly replaced by the environment's. A
credential header passed in ``headers=`` (``Authorization``, ``x-api-key``, ...)
counts as given too: it is sent as it is and the environment's key is not read.
Empty environment variables count as unset.

Settings that cannot work fail when the provider is built, with a message that
names the setting (or the environment variable it came from): a base URL without
``http://``/``https://`` or without a host, a header value with a line break.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError, mask_userinfo, url_credentials
from fantasy.http.limits import HttpLimits
from fantasy.http.secret_headers import CREDENTIAL_HEADERS
from fantasy.http.transport import HttpTransport

if TYPE_CHECKING:
    import httpx

SECRET_HEADERS = CREDENTIAL_HEADERS
"""Header names whose values are credentials, wherever they come from: hidden in errors."""

_LOCAL_HOSTS = ("localhost", "127.", "0.0.0.0", "[::1]", "host.docker.internal")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_NAME_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


def env(name: str) -> str | None:
    """An environment variable's value; unset and empty are both None."""
    return os.environ.get(name) or None


def env_label(name: str) -> str:
    """How an error names a setting that came from the environment."""
    return f"{name} (environment variable)"


def check_model_id(model_id: object) -> None:
    """A model id is a non-empty string; anything else fails here, not as a 404 later."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise InvalidArgumentError(
            f"model_id must be a non-empty string such as 'gpt-4o', got {model_id!r}"
        )


def check_http_settings(
    http_client: object, async_http_client: object, transport: object, timeout: object
) -> None:
    """The HTTP settings a provider takes, checked when it is built. Clients and timeouts
    may be httpx's or httpx2's (`fantasy.http.backend`); neither library is imported
    here: a value of one means the caller has imported it already."""
    from fantasy.http.backend import library_of

    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0
    ):
        library = library_of(timeout)
        if library is None or not isinstance(timeout, library.Timeout):
            raise InvalidArgumentError(
                "timeout must be a number of seconds > 0 or an httpx.Timeout (or "
                f"httpx2.Timeout), got {timeout!r}"
            )
    if http_client is not None:
        library = library_of(http_client)
        if library is None or not isinstance(http_client, library.Client):
            raise InvalidArgumentError(
                "http_client must be an httpx.Client or an httpx2.Client, got "
                f"{type(http_client).__name__}"
                + (
                    "; pass an AsyncClient as async_http_client"
                    if library is not None and isinstance(http_client, library.AsyncClient)
                    else ""
                )
            )
    if async_http_client is not None:
        library = library_of(async_http_client)
        if library is None or not isinstance(async_http_client, library.AsyncClient):
            raise InvalidArgumentError(
                "async_http_client must be an httpx.AsyncClient or an httpx2.AsyncClient, "
                f"got {type(async_http_client).__name__}"
            )
    if transport is not None and not (
        hasattr(transport, "handle_request") or hasattr(transport, "handle_async_request")
    ):
        raise InvalidArgumentError(
            "transport must be an httpx transport (with handle_request or "
            f"handle_async_request), got {type(transport).__name__}"
        )


def api_key_from(api_key: str | None, env_var: str, label: str) -> str:
    """The key given, else the environment's; a missing key names the variable."""
    if api_key is not None and not isinstance(api_key, str):
        raise InvalidArgumentError(f"api_key must be a string, got {type(api_key).__name__}")
    key = api_key if api_key is not None else os.environ.get(env_var)
    if not key:
        raise MissingAPIKeyError(
            f"no {label} API key: pass api_key= or set the {env_var} environment variable"
        )
    return key


def header_value(headers: Mapping[str, str] | None, *names: str) -> str | None:
    """The value of the first of ``names`` (any case) that ``headers`` carries."""
    lowered = {n.lower() for n in names}
    for key, value in (headers or {}).items():
        if key.lower() in lowered:
            return value
    return None


def key_credentials(
    api_key: str | None,
    *,
    env_var: str,
    label: str,
    header: str,
    headers: Mapping[str, str] | None,
    prefix: str = "",
    header_names: Iterable[str] = (),
) -> dict[str, str]:
    """``{header: prefix + key}`` for the key given or, when none is, for the
    environment's; nothing when no key is given and ``headers=`` already carries the
    credential (``header`` or one of ``header_names``), which is then sent as it is."""
    if api_key is None and header_value(headers, header, *header_names) is not None:
        return {}
    return {header: prefix + api_key_from(api_key, env_var, label)}


def resolve_setting(given: str | None, env_var: str | None, default: str) -> tuple[str, str]:
    """(value, where it came from) for a URL-like setting: the argument unless it is
    None or empty, else the environment variable, else ``default``."""
    if given:
        return given, ""
    if env_var is not None:
        value = env(env_var)
        if value is not None:
            return value, env_label(env_var)
    return default, ""


def _suggested(url: str) -> str:
    scheme = "http://" if url.lower().startswith(_LOCAL_HOSTS) else "https://"
    return scheme + url.lstrip("/")


def check_base_url(url: str, setting: str = "base_url") -> str:
    """``url`` without a trailing slash, if requests can be sent under it; otherwise an
    `InvalidArgumentError` naming ``setting`` and saying what to write instead."""
    if not url:
        raise InvalidArgumentError(f"{setting} is empty; give the API's URL, e.g. 'https://...'")
    if url != url.strip() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        stripped = url.strip()
        hint = f"; use {stripped!r}" if stripped and stripped != url else ""
        raise InvalidArgumentError(
            f"{setting} {url!r} contains whitespace or a control character{hint}"
        )
    from urllib.parse import urlsplit  # when a provider is built, not when it is imported

    if "://" not in url:
        scheme, colon, rest = url.partition(":")
        if colon and scheme.lower() in ("http", "https"):
            raise InvalidArgumentError(
                f"{setting} {url!r} is missing '//' after '{scheme}:'; "
                f"use '{scheme}://{rest.lstrip('/')}'"
            )
        raise InvalidArgumentError(f"{setting} {url!r} has no scheme; use {_suggested(url)!r}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidArgumentError(
            f"{setting} {url!r} has the scheme {parts.scheme!r}; use http:// or https://"
        )
    if not parts.hostname:
        raise InvalidArgumentError(
            f"{setting} {url!r} has no host; write it as '{scheme}://<host>/<path>'"
        )
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise InvalidArgumentError(f"{setting} {url!r} has an invalid port") from None
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidArgumentError(
            f"{setting} {url!r} has a query string or a fragment; paths are added after "
            "the base URL, so give only scheme, host and path"
        )
    return url.rstrip("/")


def check_name_like(value: str, setting: str, example: str) -> str:
    """A cloud region or location, which becomes part of a host name."""
    if not _NAME_LIKE.match(value):
        raise InvalidArgumentError(f"{setting} {value!r} is not valid; it looks like {example!r}")
    return value


def check_header(name: str, value: Any, what: str = "") -> None:
    """A header httpx can send: a token for a name, a one-line ASCII string for a value.
    The value is never quoted (it may be a key)."""
    label = what or f"header {name!r}"
    if not isinstance(name, str) or not _HEADER_NAME.match(name):
        raise InvalidArgumentError(f"header name {name!r} is not a valid HTTP header name")
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{label} must be a string, not {type(value).__name__}")
    if any(c in "\r\n\0" for c in value):
        raise InvalidArgumentError(
            f"{label} contains a line break; strip it (a key read from a file keeps its newline)"
        )
    if not value.isascii():
        raise InvalidArgumentError(
            f"{label} contains a non-ASCII character; HTTP headers are ASCII"
        )
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        raise InvalidArgumentError(f"{label} contains a control character")


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
        limits: HttpLimits | None = None,
        base_url_setting: str = "",
    ):
        """``base_url_setting`` names where ``base_url`` came from in an error about it
        ("base_url" unless a provider says it was an environment variable)."""
        self._name = name
        check_http_settings(http_client, async_http_client, transport, timeout)
        if limits is not None and not isinstance(limits, HttpLimits):
            raise InvalidArgumentError(f"limits must be a fantasy.HttpLimits, got {limits!r}")
        self.base_url = check_base_url(base_url, base_url_setting or "base_url")
        merged = dict(headers or {})
        # The credentials given to the provider win over any header of the same name
        # (in any case), so a stray Authorization header never rides along beside them.
        secret_names = {k.lower() for k in credentials}
        for key in [k for k in merged if k.lower() in secret_names]:
            del merged[key]
        for key, value in merged.items():
            check_header(key, value)
        for key, value in credentials.items():
            check_header(key, value, f"the credential sent as {key!r} (api_key or a token)")
        if user_agent is not None:
            check_header("User-Agent", user_agent, "user_agent")
        secrets = [v for k, v in merged.items() if k.lower() in SECRET_HEADERS]
        merged.update(credentials)
        self.transport = HttpTransport(
            headers=merged,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
            secrets=[*credentials.values(), *secrets, *url_credentials(self.base_url)],
            provider=name,
            base_url=self.base_url,
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
        base_url = mask_userinfo(self.base_url)
        return f"{cls.__module__}.{cls.__name__}(name={self._name!r}, base_url={base_url!r})"
