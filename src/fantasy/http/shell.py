"""The one I/O shell every provider's model goes through.

A provider's model reads as: build the request, hand it to this shell, translate
what comes back. The shell does the rest, the same way for every provider and
both faces: authorize (sign) the request if the platform must, post it, turn an
error status into the provider's `ProviderError`, and then either

* parse a whole answer (`post_json`): a JSON object handed to the provider's
  parser, or
* stream one (`open_stream`): the body's bytes fed to an `EventSource` (the
  framing: SSE, Gemini's, AWS event stream), each event to the provider's
  `StreamTranslator`, and every failure after the request was built delivered as
  one ``error`` part, with the response closed on every exit path.

Translators read provider JSON on purpose (`fantasy.http.shape`): an answer of a
shape the provider never sends (a proxy's, a broken server's) is an
`InvalidResponseError` naming the JSON path. Nothing else is caught and relabelled
here, so a bug in a translator surfaces as the bug it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from fantasy import _json
from fantasy._record import Record
from fantasy.errors import ProviderError, redact_text
from fantasy.http.limits import DEFAULT_LIMITS, HttpLimits, clip_body
from fantasy.http.log import DEBUG, provider_logger
from fantasy.http.transport import HttpTransport
from fantasy.http.unexpected import SSE
from fantasy.model import Response
from fantasy.types import JSON, CallWarning, StreamPart, StreamPartType

E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)
E_co = TypeVar("E_co", covariant=True)

HttpErrorMapper = Callable[[int, Mapping[str, str], bytes], ProviderError]
"""The provider's reading of an error status: (status, headers, body) -> its error."""


class EventSource(Protocol[E_co]):
    """A framing: bytes in as the network delivers them, whole events out. A framing
    problem (an event that is not JSON, a bad checksum) raises `ProviderError`."""

    def feed(self, chunk: bytes) -> Iterable[E_co]: ...

    def end(self) -> Iterable[E_co]:
        """The body is complete: flush what is left (or raise if it was cut short)."""
        ...


class StreamTranslator(Protocol[E_contra]):
    """A provider's stream logic: events in, stream parts out. An ``error`` part ends
    the stream; `finish` gives the closing parts (or the error of a stream cut short)."""

    def start(self) -> list[StreamPart]: ...

    def feed(self, event: E_contra) -> list[StreamPart]: ...

    def finish(self) -> list[StreamPart]: ...


class Exchange(Record):
    """One request of a provider's model, ready to send."""

    __slots__ = (
        "transport",
        "url",
        "body",
        "headers",
        "provider",
        "http_error",
        "timeout",
        "authorize",
        "expect",
    )

    transport: HttpTransport
    url: str
    body: bytes
    headers: dict[str, str]
    provider: str
    http_error: HttpErrorMapper
    timeout: float | None
    authorize: Callable[[], Awaitable[None]] | None
    """Signs or adds credentials to ``headers`` just before sending (Vertex, SigV4)."""
    expect: str
    """The stream's media type: an event stream unless the platform says otherwise."""

    def __init__(
        self,
        transport: HttpTransport,
        url: str,
        body: bytes,
        headers: dict[str, str],
        provider: str,
        http_error: HttpErrorMapper,
        timeout: float | None = None,
        authorize: Callable[[], Awaitable[None]] | None = None,
        expect: str = SSE,
    ) -> None:
        self.transport = transport
        self.url = url
        self.body = body
        self.headers = headers
        self.provider = provider
        self.http_error = http_error
        self.timeout = timeout
        self.authorize = authorize
        self.expect = expect


class ErrorReader(Protocol):
    """A provider's ``error_from_response``: an error status and body to its error."""

    def __call__(
        self,
        *,
        provider: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        url: str,
        request_body: bytes = b"",
    ) -> ProviderError: ...


def status_errors(
    read: ErrorReader, provider: str, url: str, request_body: bytes
) -> HttpErrorMapper:
    """The `Exchange.http_error` of one request: the provider's reader, told where."""
    return _StatusErrors(read, provider, url, request_body)


class _StatusErrors:
    """`status_errors`'s mapper: one object, where a closure over the same four values
    is six that every stream in flight keeps (benchmarks/README.md, "Concurrent
    streams")."""

    __slots__ = ("provider", "read", "request_body", "url")

    def __init__(self, read: ErrorReader, provider: str, url: str, request_body: bytes):
        self.read = read
        self.provider = provider
        self.url = url
        self.request_body = request_body

    def __call__(self, status: int, headers: Mapping[str, str], content: bytes) -> ProviderError:
        return self.read(
            provider=self.provider,
            status=status,
            headers=headers,
            body=content,
            url=self.url,
            request_body=self.request_body,
        )


async def post_json(
    ex: Exchange, parse: Callable[[JSON], Response], warnings: list[CallWarning]
) -> Response:
    """Send the request, parse the JSON answer with the provider's ``parse``."""
    try:
        if ex.authorize is not None:
            await ex.authorize()
        resp = await ex.transport.post(ex.url, ex.body, ex.headers, timeout=ex.timeout)
        if resp.status_code >= 400:
            raise ex.http_error(resp.status_code, resp.headers, resp.content)
        data = resp.json_object(ex.provider)
        try:
            response = parse(data)
        except ProviderError as exc:
            # A failure the API reported inside a well-formed answer: say where it came from.
            exc.status_code = exc.status_code or resp.status_code
            exc.response_body = exc.response_body or resp.content
            raise
    except ProviderError as exc:
        _placed(exc, ex)
        _log_failure(ex, exc)
        raise
    # What the request could not carry first, then what the answer held that the
    # provider's parser could not read.
    response.warnings = [*warnings, *response.warnings]
    logger = provider_logger(ex.provider)
    if logger.isEnabledFor(DEBUG):
        logger.debug(
            "answer from %s: finish %s, %s, %d warning(s)",
            redact_text(ex.url),
            response.finish_reason,
            response.usage,
            len(response.warnings),
        )
    return response


def _log_failure(ex: Exchange, exc: ProviderError) -> None:
    """The provider's error, at DEBUG: the caller gets it raised (or as an error part)
    and decides whether it matters (the agent may retry it)."""
    logger = provider_logger(ex.provider)
    if logger.isEnabledFor(DEBUG):
        logger.debug(
            "request to %s failed: %s",
            redact_text(ex.url),
            redact_text(f"{type(exc).__name__}: {exc}"),
        )


def _placed(exc: ProviderError, ex: Exchange) -> ProviderError:
    """The error, saying which provider and URL it came from if it does not yet, with
    no more of the body than `HttpLimits.max_error_body_bytes`."""
    exc.url = exc.url or ex.url
    exc.provider = exc.provider or ex.provider
    exc.response_body = clip_body(exc.response_body, ex.transport.limits.max_error_body_bytes)
    return exc


def _error(error: BaseException) -> StreamPart:
    return StreamPart(StreamPartType.ERROR, error=error)


class StreamPump(Generic[E]):
    """The pure middle of a stream, no I/O: bytes in, parts out, through a source and a
    translator. A failure becomes one ``error`` part and sets `done`; nothing follows."""

    __slots__ = (
        "done",
        "max_error_body_bytes",
        "max_event_bytes",
        "pending",
        "provider",
        "source",
        "translator",
        "url",
    )

    def __init__(
        self,
        source: EventSource[E],
        translator: StreamTranslator[E],
        provider: str,
        url: str,
        limits: HttpLimits = DEFAULT_LIMITS,
    ):
        self.source = source
        self.translator = translator
        self.provider = provider
        self.url = url
        self.done = False
        self.max_event_bytes = limits.max_event_bytes
        self.max_error_body_bytes = limits.max_error_body_bytes
        self.pending = 0
        """Bytes fed since the last whole event: the framing holds at most these."""

    def start(self) -> list[StreamPart]:
        return self.translator.start()

    def feed(self, chunk: bytes) -> list[StreamPart]:
        """The parts of the events this chunk completes (a source may yield them lazily,
        so the parts of the events before a bad one are kept, ahead of its error)."""
        return list(self.parts(chunk))

    def parts(self, chunk: bytes) -> Iterator[StreamPart]:
        """`feed`'s parts, each event read and translated only when its parts are asked
        for: a network read can hold hundreds of events, and a stream handing parts on
        across awaits would otherwise keep all of them alive at once (a thousand
        streams in flight then fill the collector's old generation, see
        benchmarks/README.md)."""
        self.pending += len(chunk)
        try:
            for event in self.source.feed(chunk):
                self.pending = 0
                new = self.translator.feed(event)
                if new and new[-1].type is StreamPartType.ERROR:
                    self.done = True
                    self._bound(new[-1].error)
                    yield from new
                    return
                yield from new
            if self.pending > self.max_event_bytes:
                raise self._event_too_large()
        except Exception as exc:
            yield from self._failed(exc)

    def _event_too_large(self) -> ProviderError:
        return ProviderError(
            f"the stream sent {self.pending:,} bytes without completing an event, more "
            f"than HttpLimits.max_event_bytes ({self.max_event_bytes:,}); what it held "
            "was dropped",
            title="invalid provider response",
        )

    def finish(self) -> list[StreamPart]:
        """The body ended: the last events, then the translator's closing parts."""
        parts: list[StreamPart] = []
        if self.done:
            return parts
        try:
            self._translate(self.source.end(), parts)
            if not self.done:
                parts.extend(self.translator.finish())
        except Exception as exc:
            parts.extend(self._failed(exc))
        return parts

    def _translate(self, events: Iterable[E], parts: list[StreamPart]) -> None:
        for event in events:
            self.pending = 0
            new = self.translator.feed(event)
            parts.extend(new)
            if new and new[-1].type is StreamPartType.ERROR:
                self.done = True
                self._bound(new[-1].error)
                return

    def _failed(self, exc: Exception) -> list[StreamPart]:
        self.done = True
        self.source = _Drained()
        if isinstance(exc, ProviderError):
            self._bound(exc)
            return [_error(exc)]
        raise exc

    def _bound(self, error: BaseException | None) -> None:
        """Say where a stream's error came from; keep a bounded part of its body."""
        if isinstance(error, ProviderError):
            error.url = error.url or self.url
            error.provider = error.provider or self.provider
            error.response_body = clip_body(error.response_body, self.max_error_body_bytes)


async def open_stream(
    ex: Exchange, source: EventSource[E], translator: StreamTranslator[E]
) -> AsyncIterator[StreamPart]:
    """Stream parts; every failure after the request was built arrives as one ``error``
    part, after the parts that arrived before it."""
    try:
        if ex.authorize is not None:
            await ex.authorize()
        resp = await ex.transport.post_stream(
            ex.url, ex.body, ex.headers, timeout=ex.timeout, expect=ex.expect
        )
    except ProviderError as exc:
        _log_failure(ex, _placed(exc, ex))
        yield _error(exc)
        return
    try:  # not ``async with``: one object fewer for every stream in flight
        if resp.status_code >= 400:
            error = _placed(ex.http_error(resp.status_code, resp.headers, resp.content), ex)
            _log_failure(ex, error)
            yield _error(error)
            return
        logger = provider_logger(ex.provider)
        if logger.isEnabledFor(DEBUG):
            logger.debug("streaming from %s", redact_text(ex.url))
        pump = StreamPump(source, translator, ex.provider, ex.url, ex.transport.limits)
        for part in pump.start():
            yield part
        try:
            async for chunk in resp.aiter_bytes():
                for part in pump.parts(chunk):
                    # Only data that made parts counts against the idle limit: comments,
                    # pings and empty deltas keep a connection warm but do not advance.
                    resp.progressed()
                    yield part
                if pump.done:
                    return
        except ProviderError as exc:  # the transport's: a cut connection, a deadline
            yield _error(_placed(exc, ex))
            return
        for part in pump.finish():
            yield part
    finally:
        await resp.aclose()


class _Drained(Generic[E]):
    """The source of a pump that failed: nothing more comes out of it (what it held
    is let go at once, not when the stream is closed)."""

    def feed(self, chunk: bytes) -> list[E]:
        return []

    def end(self) -> list[E]:
        return []


class JsonEventSource(Generic[E]):
    """Server-Sent Events whose data are JSON objects (OpenAI's framing, and every
    OpenAI-compatible server's): ``[DONE]`` is skipped, anything but a JSON object is
    an invalid response, and an ``{"error": ...}`` event (or vLLM's ``{"object":
    "error", ...}``) becomes the provider's error through ``on_error_event`` (gateways
    send one mid-stream too)."""

    __slots__ = ("_decoder", "_on_error_event", "_provider", "_url")

    def __init__(
        self,
        provider: str,
        url: str,
        on_error_event: Callable[[JSON, str], ProviderError] | None = None,
    ):
        from fantasy.http.sse import SSEDecoder

        self._decoder = SSEDecoder()
        self._provider = provider
        self._url = url
        self._on_error_event = on_error_event

    def feed(self, chunk: bytes) -> Iterator[JSON]:
        for event in self._decoder.events(chunk):
            data = event.data
            if data == "[DONE]":
                continue
            try:
                payload = _json.loads(data)
            except ValueError as exc:
                raise self._invalid(f"stream event is not valid JSON: {exc}", data) from None
            if not isinstance(payload, dict):
                raise self._invalid(f"expected a JSON object, got {type(payload).__name__}", data)
            if self._on_error_event is not None and (
                "error" in payload or payload.get("object") == "error"
            ):
                raise self._on_error_event(payload, data)
            yield payload

    def end(self) -> list[JSON]:
        return []

    def _invalid(self, message: str, data: str) -> ProviderError:
        return ProviderError(
            message,
            title="invalid provider response",
            provider=self._provider,
            url=self._url,
            response_body=data.encode(),
        )
