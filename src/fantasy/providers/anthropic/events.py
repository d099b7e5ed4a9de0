"""Response bytes to Anthropic stream events, for each framing Claude is served in.

The direct API and Vertex send Server-Sent Events; Bedrock wraps each event,
base64-encoded, in an AWS event-stream frame. Both end up as the same event dicts
for `StreamTranslator`. ``ping`` is skipped; an event kind the Messages stream does
not define reaches the translator as ``{"type": <its name>}``, which reports it as a
warning (Anthropic's SDK skips it silently); an ``error`` event, a Bedrock exception
frame or a corrupt frame raises `ProviderError`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from fantasy import _json
from fantasy.errors import ProviderError
from fantasy.http import shape
from fantasy.http.eventstream import EventStreamDecoder, EventStreamError, EventStreamMessage
from fantasy.http.sse import SSEDecoder
from fantasy.providers.anthropic.errors import BEDROCK_TRANSIENT_EXCEPTIONS, stream_error
from fantasy.types import JSON

MESSAGE_EVENTS = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    }
)


def _invalid(message: str, provider: str, raw: bytes, *, transient: bool = False) -> ProviderError:
    return ProviderError(
        message,
        title="invalid provider response",
        provider=provider,
        response_body=raw,
        transient=transient,
    )


def _json_object(data: str | bytes, provider: str) -> JSON:
    try:
        value = _json.loads(data)
    except ValueError as exc:
        raw = data.encode() if isinstance(data, str) else data
        raise _invalid(f"stream event is not valid JSON: {exc}", provider, raw) from exc
    if not isinstance(value, dict):
        raw = data.encode() if isinstance(data, str) else data
        raise _invalid(f"expected a JSON object, got {type(value).__name__}", provider, raw)
    return value


class SSEEvents:
    """Server-Sent Events, dispatched on the event name (the payload's type if unnamed)."""

    def __init__(self, provider: str):
        self.provider = provider
        self._decoder = SSEDecoder()

    def end(self) -> list[JSON]:
        """Nothing is held back at the end: a cut stream shows in the translator's finish."""
        return []

    def feed(self, chunk: bytes) -> Iterator[JSON]:
        """The chunk's events, one at a time: the parts of those before a bad one are
        kept ahead of its error, however many events one network read holds."""
        for sse in self._decoder.events(chunk):
            name = sse.event
            if name == "ping":
                continue
            if name == "error":
                raise stream_error(sse.data, self.provider)
            if name and name not in MESSAGE_EVENTS:
                yield {"type": name}
                continue
            payload = _json_object(sse.data, self.provider)
            if not name and (
                payload.get("type") == "error" or ("type" not in payload and payload.get("error"))
            ):
                # Anthropic's error event, or a proxy's {"error": {...}} in its place.
                raise stream_error(sse.data, self.provider)
            yield payload


class BedrockEvents:
    """AWS event-stream frames whose ``chunk`` events carry ``{"bytes": <base64 event>}``."""

    def __init__(self, provider: str):
        self.provider = provider
        self._decoder = EventStreamDecoder()

    def end(self) -> list[JSON]:
        """Nothing is held back at the end: a cut stream shows in the translator's finish."""
        return []

    def feed(self, chunk: bytes) -> Iterator[JSON]:
        try:
            messages = self._decoder.feed(chunk)
        except EventStreamError as exc:
            # A checksum mismatch is damage in transit: worth another attempt.
            raise _invalid(
                f"corrupt event stream: {exc}", self.provider, b"", transient=True
            ) from exc
        for message in messages:
            event = self._event(message)
            if event is not None:
                yield event

    def _event(self, message: EventStreamMessage) -> JSON | None:
        kind = message.message_type
        if kind == "event":
            if message.event_type != "chunk":
                return {"type": f"bedrock {message.event_type}"}
            wrapper = _json_object(message.payload, self.provider)
            encoded = shape.text(wrapper, "bytes", "chunk")
            try:
                decoded = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _invalid(
                    f"event stream chunk is not valid base64: {exc}", self.provider, message.payload
                ) from exc
            event = _json_object(decoded, self.provider)
            name = shape.text(event, "type", "event")
            if name == "error":
                raise stream_error(decoded.decode("utf-8", errors="replace"), self.provider)
            return None if name == "ping" else event
        if kind == "exception":
            raise self._exception(message)
        if kind == "error":
            code = str(message.headers.get(":error-code") or "UnknownError")
            text = str(message.headers.get(":error-message") or code)
            raise ProviderError(
                f"received error {code}: {text}",
                title="stream error",
                provider=self.provider,
                response_body=message.payload,
            )
        raise _invalid("event stream frame has no :message-type header", self.provider, b"")

    def _exception(self, message: EventStreamMessage) -> ProviderError:
        info: JSON = {}
        if message.payload.strip():
            try:
                info = _json_object(message.payload, self.provider)
            except ProviderError:
                info = {}
        code = str(
            message.headers.get(":exception-type")
            or info.get("Code")
            or info.get("__type")
            or "UnknownError"
        )
        text = info.get("message") or info.get("Message") or code
        return ProviderError(
            f"received exception {code}: {text}",
            title="stream error",
            provider=self.provider,
            response_body=message.payload,
            transient=code in BEDROCK_TRANSIENT_EXCEPTIONS,
            error_type=code,
        )
