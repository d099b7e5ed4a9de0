"""The AWS event-stream decoder: framing, headers, checksums, splitting, and linear work."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fantasy.http import eventstream
from fantasy.http.eventstream import (
    EventStreamDecoder,
    EventStreamError,
    EventStreamMessage,
    encode_message,
)

CHUNK_HEADERS = {
    ":event-type": "chunk",
    ":content-type": "application/json",
    ":message-type": "event",
}


def chunk_frame(event: dict[str, object], padding: str = "abc") -> bytes:
    """A Bedrock ``chunk`` frame carrying one Anthropic event, as Bedrock sends it."""
    wrapped = base64.b64encode(json.dumps(event).encode()).decode()
    return encode_message(CHUNK_HEADERS, json.dumps({"bytes": wrapped, "p": padding}).encode())


def decode(*chunks: bytes) -> list[EventStreamMessage]:
    decoder = EventStreamDecoder()
    messages: list[EventStreamMessage] = []
    for chunk in chunks:
        messages.extend(decoder.feed(chunk))
    return messages


def with_header(kind: int, name: bytes, value: bytes) -> bytes:
    """A frame with one hand-encoded header of the given value type."""
    headers = bytes([len(name)]) + name + bytes([kind]) + value
    total = 12 + len(headers) + 4
    prelude = struct.pack(">II", total, len(headers))
    frame = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers
    return frame + struct.pack(">I", zlib.crc32(frame))


# --------------------------------------------------------------------------- framing


def test_one_frame() -> None:
    [message] = decode(encode_message({":message-type": "event"}, b'{"a":1}'))
    assert message.headers == {":message-type": "event"}
    assert message.payload == b'{"a":1}'
    assert message.message_type == "event"
    assert message.event_type == ""


def test_frames_back_to_back_in_one_read() -> None:
    frames = [chunk_frame({"type": "ping", "n": i}) for i in range(3)]
    messages = decode(b"".join(frames))
    assert [m.event_type for m in messages] == ["chunk"] * 3
    bodies = [json.loads(base64.b64decode(json.loads(m.payload)["bytes"])) for m in messages]
    assert [b["n"] for b in bodies] == [0, 1, 2]


def test_frame_split_into_single_bytes() -> None:
    frame = encode_message({":message-type": "event"}, b"payload")
    messages = decode(*[frame[i : i + 1] for i in range(len(frame))])
    assert [m.payload for m in messages] == [b"payload"]


def test_empty_payload_and_no_headers() -> None:
    [message] = decode(encode_message({}, b""))
    assert message.headers == {}
    assert message.payload == b""


def test_an_unfinished_frame_waits_for_its_last_bytes() -> None:
    frame = encode_message({":message-type": "event"}, b"payload")
    second = encode_message({":message-type": "event"}, b"second")
    decoder = EventStreamDecoder()
    assert decoder.feed(frame[:-3]) == []
    assert decoder.feed(b"") == []
    assert [m.payload for m in decoder.feed(frame[-3:] + second[:5])] == [b"payload"]
    assert [m.payload for m in decoder.feed(second[5:])] == [b"second"]


def test_a_recorded_bedrock_stream_decodes() -> None:
    from tests.conformance.discovery import cassette_root

    from fantasy.testing import Cassette

    path = cassette_root() / "TestBedrockBasicAuth" / "simple_streaming.yaml"
    if not path.exists():
        pytest.skip("the cassette corpus is not available")

    body = Cassette.load(path).interactions[0].response.body
    assert isinstance(body, bytes)
    messages = decode(body)
    events = [json.loads(base64.b64decode(json.loads(m.payload)["bytes"])) for m in messages]
    assert events[0]["type"] == "message_start"
    assert events[-1]["type"] == "message_stop"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_split_gives_the_same_messages(data: st.DataObject) -> None:
    frames = b"".join(
        chunk_frame({"type": "content_block_delta", "text": "héllo " * i}) for i in range(5)
    )
    cuts = sorted(data.draw(st.sets(st.integers(1, len(frames) - 1), max_size=40)))
    pieces = [frames[a:b] for a, b in zip([0, *cuts], [*cuts, len(frames)], strict=True)]
    assert decode(*pieces) == decode(frames)


# --------------------------------------------------------------------------- header types


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (0, b"", True),
        (1, b"", False),
        (2, struct.pack(">b", -3), -3),
        (3, struct.pack(">h", 300), 300),
        (4, struct.pack(">i", -70000), -70000),
        (5, struct.pack(">q", 2**40), 2**40),
        (6, struct.pack(">H", 3) + b"\x00\x01\x02", b"\x00\x01\x02"),
        (7, struct.pack(">H", 2) + "é".encode(), "é"),
    ],
)
def test_header_value_types(kind: int, raw: bytes, expected: object) -> None:
    [message] = decode(with_header(kind, b"h", raw))
    assert message.headers == {"h": expected}


def test_timestamp_and_uuid_headers() -> None:
    [stamp] = decode(with_header(8, b"t", struct.pack(">q", 1_700_000_000_000)))
    assert stamp.headers["t"].timestamp() == 1_700_000_000
    raw = bytes(range(16))
    [ident] = decode(with_header(9, b"u", raw))
    assert ident.headers["u"].bytes == raw


def test_unknown_header_type_is_an_error() -> None:
    with pytest.raises(EventStreamError, match="type 42"):
        decode(with_header(42, b"h", b""))


def test_header_running_past_its_block_is_an_error() -> None:
    with pytest.raises(EventStreamError, match="past the headers"):
        decode(with_header(7, b"h", struct.pack(">H", 50) + b"short"))


# --------------------------------------------------------------------------- corruption


def test_corrupt_payload_fails_the_message_checksum() -> None:
    frame = bytearray(encode_message({":message-type": "event"}, b"payload"))
    frame[-6] ^= 0xFF
    with pytest.raises(EventStreamError, match="message checksum"):
        decode(bytes(frame))


def test_corrupt_length_fails_the_prelude_checksum_before_waiting_for_it() -> None:
    frame = bytearray(encode_message({":message-type": "event"}, b"payload"))
    frame[3] ^= 0x01
    decoder = EventStreamDecoder()
    # The prelude alone is enough to know: no waiting for a length that is a lie.
    with pytest.raises(EventStreamError, match="prelude checksum"):
        decoder.feed(bytes(frame[:12]))


def test_lengths_out_of_range_are_refused() -> None:
    prelude = struct.pack(">II", 8, 0)
    with pytest.raises(EventStreamError, match="length 8"):
        decode(prelude + struct.pack(">I", zlib.crc32(prelude)))
    prelude = struct.pack(">II", 32, 20)
    with pytest.raises(EventStreamError, match="headers length 20"):
        decode(prelude + struct.pack(">I", zlib.crc32(prelude)))


def test_text_is_not_an_event_stream() -> None:
    with pytest.raises(EventStreamError):
        decode(b'{"message": "this is a JSON error body, not frames"}')


# --------------------------------------------------------------------------- linear work


_crc32 = zlib.crc32


class _CountingCrc:
    """Counts the bytes checksummed: the decoder's work is proportional to it."""

    def __init__(self) -> None:
        self.bytes = 0

    def __call__(self, data: bytes | memoryview) -> int:
        self.bytes += len(data)
        return _crc32(data)


def test_large_frame_in_many_pieces_is_checksummed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"x" * 1_000_000
    frame = encode_message({":message-type": "event"}, payload)
    pieces = [frame[i : i + 100] for i in range(0, len(frame), 100)]
    crc = _CountingCrc()
    monkeypatch.setattr(eventstream.zlib, "crc32", crc)
    decoder = EventStreamDecoder()
    messages = []
    for piece in pieces:
        messages.extend(decoder.feed(piece))
    assert [m.payload for m in messages] == [payload]
    # The whole frame once, plus the 8-byte prelude per read: no re-scanning.
    assert crc.bytes <= len(frame) + 8 * len(pieces)


def test_many_frames_in_one_read_cost_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [encode_message({":message-type": "event"}, b"p" * 50) for _ in range(5_000)]
    raw = b"".join(frames)
    crc = _CountingCrc()
    monkeypatch.setattr(eventstream.zlib, "crc32", crc)
    decoder = EventStreamDecoder()
    assert len(decoder.feed(raw)) == 5_000
    assert crc.bytes <= len(raw) + 8 * len(frames)
