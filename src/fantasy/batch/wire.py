"""The I/O every batch API shares: JSON requests and file downloads over the provider's
own `HttpTransport` (its keys, headers, base URL, limits and error reading), and the
one shape an answered request takes before the model's parser reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fantasy import _json
from fantasy.errors import InvalidResponseError, ProviderError
from fantasy.http.shell import ErrorReader
from fantasy.http.transport import HttpResponse, HttpTransport
from fantasy.types import JSON

from .requests import PreparedRequest
from .status import BatchStatus


@dataclass(slots=True)
class Outcome:
    """One request as the batch answered it: the answer's body (what the live call
    would have received), or the error that took its place."""

    id: str
    body: JSON | None = None
    error: BaseException | None = None


class BatchAPI(Protocol):
    """One provider's batch endpoints."""

    provider: str

    async def create(self, items: list[PreparedRequest], name: str) -> BatchStatus: ...

    async def status(self, batch_id: str) -> BatchStatus: ...

    async def cancel(self, batch_id: str) -> BatchStatus: ...

    async def outcomes(self, status: BatchStatus) -> list[Outcome]: ...


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class Wire:
    """Requests to a provider's batch endpoints, errors read by the provider's reader."""

    def __init__(self, transport: HttpTransport, provider: str, read_error: ErrorReader):
        self.transport = transport
        self.provider = provider
        self.read_error = read_error

    async def send(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        try:
            resp = await self.transport.send(
                method, url, body, self.transport.request_headers(headers)
            )
            if resp.status_code >= 400:
                raise self.read_error(
                    provider=self.provider,
                    status=resp.status_code,
                    headers=resp.headers,
                    body=resp.content,
                    url=url,
                    request_body=b"",
                )
        except ProviderError as exc:
            exc.url = exc.url or url
            exc.provider = exc.provider or self.provider
            raise
        return resp

    async def json(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        resp = await self.send(method, url, body, headers)
        return resp.json_object(self.provider)

    def item_error(self, status: int, body: Any) -> ProviderError:
        """A request the batch answered with an error status: the provider's own error,
        as the live call would have raised it."""
        return self.read_error(
            provider=self.provider, status=status, headers={}, body=encode(body), url=""
        )


def jsonl(content: bytes, provider: str, url: str) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines file; a line that is not a JSON object is an
    invalid response naming its line number."""
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = _json.loads(line)
        except ValueError as exc:
            raise InvalidResponseError(
                f"line {number} of the batch results is not JSON: {exc}",
                provider=provider,
                url=url,
            ) from None
        if not isinstance(value, dict):
            raise InvalidResponseError(
                f"line {number} of the batch results is not a JSON object",
                provider=provider,
                url=url,
            )
        yield value


def check_size(
    items: list[PreparedRequest], provider: str, max_requests: int, max_bytes: int
) -> None:
    from fantasy.errors import InvalidArgumentError

    if len(items) > max_requests:
        raise InvalidArgumentError(
            f"{provider} takes at most {max_requests:,} requests in one batch, got "
            f"{len(items):,}; split them into several batches"
        )
    size = sum(len(item.body) for item in items)
    if size > max_bytes:
        raise InvalidArgumentError(
            f"the requests' bodies come to {size:,} bytes, more than the {max_bytes:,} "
            f"{provider} takes in one batch; split them into several batches"
        )


def only_headers(items: list[PreparedRequest], allowed: frozenset[str], provider: str) -> None:
    """Per-request headers cannot ride in a batch: refuse them by name."""
    from fantasy.errors import InvalidArgumentError

    for item in items:
        extra = sorted(k for k in item.headers if k.lower() not in allowed)
        if extra:
            raise InvalidArgumentError(
                f"batch request {item.id!r} sets headers of its own ({', '.join(extra)}); "
                f"a {provider} batch sends one set of headers for all its requests: set "
                "them on the provider instead"
            )
