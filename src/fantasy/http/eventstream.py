"""An incremental decoder for the AWS event-stream binary framing (``vnd.amazon.eventstream``).

Bedrock streams model output in these frames rather than SSE. Each frame is::

    total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | CRC32 (4)

Bytes go in as the network delivers them; whole, checksum-verified messages come
out. The decoder keeps the unconsumed tail in one growing buffer and looks at a
frame only once its prelude or its last byte has arrived, so a response split into
thousands of reads still costs linear time. A frame whose checksums do not match
raises `EventStreamError`: a corrupt frame is never handed on as data.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from fantasy._record import Record

PRELUDE_LENGTH = 12
"""Total length, headers length and the prelude's CRC32."""
MINIMUM_MESSAGE_LENGTH = PRELUDE_LENGTH + 4
MAXIMUM_MESSAGE_LENGTH = 16 * 1024 * 1024
"""The protocol's limit; a larger length means the stream is not event-stream at all."""
MAXIMUM_HEADERS_LENGTH = 128 * 1024

_PRELUDE = struct.Struct(">III")
_FIXED_WIDTH = {2: ">b", 3: ">h", 4: ">i", 5: ">q"}


class EventStreamError(ValueError):
    """The bytes are not a well-formed, intact event stream (bad length or checksum)."""


class EventStreamMessage(Record, factories={"headers": dict}):
    __slots__ = ("headers", "payload")
    headers: dict[str, Any]
    payload: bytes

    def __init__(self, headers: dict[str, Any] | None = None, payload: bytes = b"") -> None:
        self.headers = {} if headers is None else headers
        self.payload = payload

    @property
    def message_type(self) -> str:
        """``event``, ``exception`` or ``error`` (the ``:message-type`` header)."""
        value = self.headers.get(":message-type")
        return value if isinstance(value, str) else ""

    @property
    def event_type(self) -> str:
        value = self.headers.get(":event-type")
        return value if isinstance(value, str) else ""


class EventStreamDecoder:
    """Feed bytes with `feed`; whole messages come out. A frame cut off at the end of
    input is never handed on: the stream's translator reports the missing end (no
    ``message_stop``) as the retryable incomplete-stream error."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[EventStreamMessage]:
        buffer = self._buffer
        buffer += chunk
        messages: list[EventStreamMessage] = []
        start = 0
        end = len(buffer)
        while end - start >= PRELUDE_LENGTH:
            total, headers_length = _check_prelude(buffer, start)
            if end - start < total:
                break
            messages.append(_message(buffer, start, total, headers_length))
            start += total
        if start:
            # One move per read, of less than one frame: consumed frames are never
            # shifted more than once.
            del buffer[:start]
        return messages


def _check_prelude(buffer: bytearray, start: int) -> tuple[int, int]:
    total, headers_length, crc = _PRELUDE.unpack_from(buffer, start)
    with memoryview(buffer) as view:
        intact = zlib.crc32(view[start : start + 8]) == crc
    if not intact:
        raise EventStreamError("event stream prelude checksum mismatch: the frame is corrupt")
    if not MINIMUM_MESSAGE_LENGTH <= total <= MAXIMUM_MESSAGE_LENGTH:
        raise EventStreamError(f"event stream frame length {total} is out of range")
    if headers_length > MAXIMUM_HEADERS_LENGTH or headers_length > total - MINIMUM_MESSAGE_LENGTH:
        raise EventStreamError(f"event stream headers length {headers_length} is out of range")
    return total, headers_length


def _message(buffer: bytearray, start: int, total: int, headers_length: int) -> EventStreamMessage:
    # The view is released before returning: a bytearray with a live export cannot grow.
    (crc,) = struct.unpack_from(">I", buffer, start + total - 4)
    headers_start = start + PRELUDE_LENGTH
    payload_start = headers_start + headers_length
    with memoryview(buffer) as view:
        if zlib.crc32(view[start : start + total - 4]) != crc:
            raise EventStreamError("event stream message checksum mismatch: the frame is corrupt")
        raw_headers = bytes(view[headers_start:payload_start])
        payload = bytes(view[payload_start : start + total - 4])
    return EventStreamMessage(_headers(raw_headers), payload)


def _headers(raw: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    pos = 0
    try:
        while pos < len(raw):
            name_length = raw[pos]
            name = raw[pos + 1 : pos + 1 + name_length].decode("utf-8")
            pos += 1 + name_length
            kind = raw[pos]
            pos += 1
            value, pos = _header_value(raw, pos, kind)
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise EventStreamError(f"event stream headers are malformed: {exc}") from exc
    return headers


def _header_value(raw: bytes, pos: int, kind: int) -> tuple[Any, int]:
    if kind == 0:
        return True, pos
    if kind == 1:
        return False, pos
    fmt = _FIXED_WIDTH.get(kind)
    if fmt is not None:
        size = struct.calcsize(fmt)
        _need(raw, pos, size)
        return struct.unpack_from(fmt, raw, pos)[0], pos + size
    if kind in (6, 7):
        _need(raw, pos, 2)
        (length,) = struct.unpack_from(">H", raw, pos)
        pos += 2
        _need(raw, pos, length)
        data = raw[pos : pos + length]
        return (data.decode("utf-8") if kind == 7 else data), pos + length
    # Timestamps and UUIDs never occur in Bedrock's frames: their modules load on demand.
    if kind == 8:
        from datetime import UTC, datetime

        _need(raw, pos, 8)
        (millis,) = struct.unpack_from(">q", raw, pos)
        return datetime.fromtimestamp(millis / 1000, tz=UTC), pos + 8
    if kind == 9:
        import uuid

        _need(raw, pos, 16)
        return uuid.UUID(bytes=raw[pos : pos + 16]), pos + 16
    raise EventStreamError(f"event stream header value type {kind} is unknown")


def _need(raw: bytes, pos: int, size: int) -> None:
    if pos + size > len(raw):
        raise EventStreamError("event stream header value runs past the headers")


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One frame with string headers: what tests and local servers need to speak the format."""
    encoded = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        encoded += bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value))
        encoded += raw_value
    total = PRELUDE_LENGTH + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    frame = bytearray(prelude)
    frame += struct.pack(">I", zlib.crc32(prelude))
    frame += encoded
    frame += payload
    frame += struct.pack(">I", zlib.crc32(frame))
    return bytes(frame)
