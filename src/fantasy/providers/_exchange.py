"""The one way a provider's model turns a request body into an `Exchange` for the shell.

Every HTTP provider sends the same thing around its body: the JSON encoded once, the
transport's headers with the call's, the provider's reading of an error status told the
URL and the body, the call's timeout; only a signing step (SigV4, Vertex OAuth) and the
stream's media type differ. Building it here keeps those in step across providers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping

from fantasy.http.shell import ErrorReader, Exchange, post_json, status_errors
from fantasy.http.transport import HttpTransport
from fantasy.http.unexpected import SSE
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.types import JSON, CallWarning

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


class ExchangeModel(BaseLanguageModel):
    """A model whose whole answer is one POST through the shell. It says how to build
    its request (`_exchange`) and read the answer (`parse_response`); `build_request` and
    `agenerate` follow, and a batch API (`fantasy.batch`) uses the same two seams, so a
    batched call is the live one. Streaming stays the model's own: its framing and
    translator are typed together there."""

    def _exchange(self, call: Call, *, stream: bool) -> tuple[Exchange, list[CallWarning]]:
        raise NotImplementedError

    def parse_response(self, data: JSON) -> Response:
        """A whole answer's body read as `agenerate` reads it."""
        raise NotImplementedError

    def build_request(self, call: Call) -> tuple[Exchange, list[CallWarning]]:
        """The request `agenerate` sends for ``call``, built and not sent."""
        return self._exchange(call, stream=False)

    async def agenerate(self, call: Call) -> Response:
        exchange, warnings = self.build_request(call)
        return await post_json(exchange, self.parse_response, warnings)
