"""The I/O shell around an OpenAI-style event stream, shared by Chat Completions and
the Responses API (and through them every OpenAI-compatible provider): open the
request, turn an error status into an ``error`` part, decode SSE, parse each event
as a JSON object, stop at an ``{"error": ...}`` event, and hand the rest to the
codec's pure translator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol

from fantasy.errors import ProviderError
from fantasy.http.sse import SSEDecoder
from fantasy.http.transport import HttpTransport
from fantasy.providers._malformed import SHAPE_ERRORS, malformed_event
from fantasy.providers.openai.errors import error_from_stream_payload
from fantasy.types import StreamPart, StreamPartType


class Translator(Protocol):
    def start(self) -> list[StreamPart]: ...

    def feed(self, payload: dict[str, Any]) -> list[StreamPart]: ...

    def finish(self) -> list[StreamPart]: ...


def _error(error: BaseException) -> StreamPart:
    return StreamPart(StreamPartType.ERROR, error=error)


async def openai_event_stream(
    *,
    transport: HttpTransport,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float | None,
    provider: str,
    translator: Translator,
    http_error: Callable[[int, Mapping[str, str], bytes], ProviderError],
) -> AsyncIterator[StreamPart]:
    """Stream parts; every failure after the request was built arrives as one ``error`` part."""
    try:
        resp = await transport.post_stream(url, body, headers, timeout=timeout)
    except ProviderError as exc:
        yield _error(exc)
        return
    async with resp:
        if resp.status_code >= 400:
            yield _error(http_error(resp.status_code, resp.headers, resp.content))
            return
        for part in translator.start():
            yield part
        # pydantic_core's parser is about twice as fast as json.loads on stream events.
        from pydantic_core import from_json

        decoder = SSEDecoder()
        try:
            async for chunk in resp.aiter_bytes():
                for event in decoder.feed(chunk):
                    data = event.data
                    if data == "[DONE]":
                        continue
                    try:
                        payload = from_json(data)
                        if not isinstance(payload, dict):
                            raise ValueError(
                                f"expected a JSON object, got {type(payload).__name__}"
                            )
                    except ValueError as exc:
                        yield _error(
                            ProviderError(
                                f"stream event is not valid JSON: {exc}",
                                title="invalid provider response",
                                provider=provider,
                                url=url,
                                response_body=data.encode(),
                            )
                        )
                        return
                    if "error" in payload:
                        # OpenAI's error envelope; gateways send it mid-stream too.
                        yield _error(error_from_stream_payload(payload, data, provider))
                        return
                    for part in translator.feed(payload):
                        yield part
                        if part.type is StreamPartType.ERROR:
                            return
        except ProviderError as exc:
            yield _error(exc)
            return
        except SHAPE_ERRORS as exc:
            yield _error(malformed_event(exc, provider, url))
            return
        try:
            finished = translator.finish()
        except SHAPE_ERRORS as exc:
            finished = [_error(malformed_event(exc, provider, url))]
        for part in finished:
            yield part
