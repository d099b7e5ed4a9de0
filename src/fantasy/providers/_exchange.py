"""The one way a provider's model turns a request body into an `Exchange` for the shell.

Every HTTP provider sends the same thing around its body: the JSON encoded once, the
transport's headers with the call's, the provider's reading of an error status told the
URL and the body, the call's timeout; only a signing step (SigV4, Vertex OAuth) and the
stream's media type differ. Building it here keeps those in step across providers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping

from fantasy.http.shell import ErrorReader, Exchange, status_errors
from fantasy.http.transport import HttpTransport
from fantasy.http.unexpected import SSE
from fantasy.model import Call
from fantasy.types import JSON

Signer = Callable[[str, bytes, MutableMapping[str, str]], Awaitable[None]]
"""Adds credentials to a request once it is final: ``(url, body bytes, headers)``."""


def build_exchange(
    transport: HttpTransport,
    call: Call,
    url: str,
    body: JSON,
    provider: str,
    read_error: ErrorReader,
    *,
    headers: Mapping[str, str] | None = None,
    sign: Signer | None = None,
    expect: str = SSE,
) -> Exchange:
    """The request of ``call`` to ``url``: ``headers`` are the extra ones to send (the
    call's own when not given); ``sign`` runs on the exact bytes and headers just before
    they are sent."""
    raw = HttpTransport.encode_json(body)
    sent = transport.request_headers(call.headers if headers is None else headers, call.user_agent)
    authorize: Callable[[], Awaitable[None]] | None = None
    if sign is not None:
        signer = sign

        async def authorize() -> None:
            await signer(url, raw, sent)

    return Exchange(
        transport,
        url,
        raw,
        sent,
        provider,
        http_error=status_errors(read_error, provider, url, raw),
        timeout=call.timeout,
        authorize=authorize,
        expect=expect,
    )
