"""The incremental SSE decoder: line endings, fields, splitting, and linear buffering."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fantasy.http.sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [e.data for e in events]


# --------------------------------------------------------------------------- line endings


def test_lf_line_endings() -> None:
    events = decode(b'data: {"a":1}\n\ndata: {"b":2}\n\n')
    assert datas(events) == ['{"a":1}', '{"b":2}']


def test_crlf_line_endings() -> None:
    events = decode(b'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n')
    assert datas(events) == ['{"a":1}', '{"b":2}']


def test_cr_line_endings() -> None:
    events = decode(b'data: {"a":1}\r\rdata: {"b":2}\r\r')
    assert datas(events) == ['{"a":1}', '{"b":2}']


def test_mixed_line_endings() -> None:
    events = decode(b"data: a\r\n\ndata: b\n\r\ndata: c\r\r")
    assert datas(events) == ["a", "b", "c"]


def test_crlf_split_across_feeds_is_one_line_ending() -> None:
    # "data: a\r" + "\ndata: b\r\n\r\n": the LF completes the CRLF, it is not a blank line,
    # so "a" and "b" belong to the same event.
    events = decode(b"data: a\r", b"\ndata: b\r\n\r\n")
    assert datas(events) == ["a\nb"]


def test_crlf_split_with_blank_line_after() -> None:
    events = decode(b"data: a\r\n\r", b"\n", b"data: b\r\n\r\n")
    assert datas(events) == ["a", "b"]


def test_cr_then_cr_in_next_feed_is_a_blank_line() -> None:
    events = decode(b"data: a\r", b"\rdata: b\r\r")
    assert datas(events) == ["a", "b"]


def test_empty_feed_between_cr_and_lf_does_not_break_crlf() -> None:
    events = decode(b"data: a\r", b"", b"\ndata: b\r\n\r\n")
    assert datas(events) == ["a\nb"]


def test_every_byte_fed_alone() -> None:
    stream = b"data: one\r\n\r\n: comment\r\nevent: e\r\ndata: two\r\n\r\n"
    events = decode(*(stream[i : i + 1] for i in range(len(stream))))
    assert [(e.event, e.data) for e in events] == [("", "one"), ("e", "two")]


# --------------------------------------------------------------------------- fields


def test_comments_are_ignored() -> None:
    events = decode(b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: {}\n\n")
    assert datas(events) == ["{}"]


def test_comment_inside_an_event() -> None:
    events = decode(b"data: a\n: keep-alive\ndata: b\n\n")
    assert datas(events) == ["a\nb"]


def test_multi_line_data_joined_with_newline() -> None:
    events = decode(b"data: first\ndata: second\ndata: third\n\n")
    assert datas(events) == ["first\nsecond\nthird"]


def test_empty_data_lines_are_kept() -> None:
    events = decode(b"data: a\ndata:\ndata: b\n\n")
    assert datas(events) == ["a\n\nb"]


def test_event_id_and_retry_fields() -> None:
    events = decode(b"event: message_start\nid: 42\nretry: 1500\ndata: {}\n\n")
    assert events == [ServerSentEvent(data="{}", event="message_start", id="42", retry=1500)]


def test_event_name_resets_but_id_and_retry_persist() -> None:
    events = decode(b"event: a\nid: 1\nretry: 10\ndata: x\n\ndata: y\n\n")
    assert events[1] == ServerSentEvent(data="y", event="", id="1", retry=10)


def test_retry_must_be_digits() -> None:
    events = decode(b"retry: soon\ndata: x\n\n")
    assert events[0].retry is None


def test_id_with_nul_is_ignored() -> None:
    events = decode(b"id: 7\ndata: x\n\nid: a\x00b\ndata: y\n\n")
    assert [e.id for e in events] == ["7", "7"]


def test_data_without_space() -> None:
    events = decode(b'data:{"a":1}\n\n')
    assert datas(events) == ['{"a":1}']


def test_only_one_leading_space_is_removed() -> None:
    events = decode(b"data:  two spaces\n\n")
    assert datas(events) == [" two spaces"]


def test_colon_inside_value_is_kept() -> None:
    events = decode(b"data: a: b: c\n\n")
    assert datas(events) == ["a: b: c"]


def test_field_without_colon_is_a_field_with_empty_value() -> None:
    events = decode(b"data\ndata: x\n\n")
    assert datas(events) == ["\nx"]


def test_unknown_fields_are_ignored() -> None:
    events = decode(b"foo: bar\ndata: x\n\n")
    assert datas(events) == ["x"]


def test_event_without_data_is_not_dispatched() -> None:
    # SSE spec (and openai-go): an empty data buffer dispatches nothing, and the event
    # name does not leak into the next event.
    events = decode(b"event: ping\n\ndata: {}\n\n")
    assert events == [ServerSentEvent(data="{}", event="")]


def test_id_only_block_still_sets_the_last_event_id() -> None:
    events = decode(b"id: 5\n\ndata: x\n\n")
    assert events == [ServerSentEvent(data="x", id="5")]


def test_blank_lines_without_fields_dispatch_nothing() -> None:
    assert decode(b"\n\n\n\r\n\r\r") == []


def test_an_event_without_its_blank_line_is_never_dispatched() -> None:
    """Per the SSE spec (and Go's readers) an unterminated last event is discarded;
    only the blank line that ends it would dispatch it."""
    decoder = SSEDecoder()
    assert datas(decoder.feed(b"data: done\n\ndata: partial\n")) == ["done"]
    assert decoder.feed(b"") == []
    assert datas(decoder.feed(b"\n")) == ["partial"]


def test_an_unterminated_final_line_is_never_dispatched() -> None:
    assert datas(decode(b"data: done\n\ndata: part")) == ["done"]


def test_done_marker_is_an_ordinary_event() -> None:
    assert datas(decode(b"data: [DONE]\n\n")) == ["[DONE]"]


def test_utf8_split_inside_a_character() -> None:
    raw = "data: café 日本語 🎉\n\n".encode()
    cut = raw.index("日".encode()) + 1
    assert datas(decode(raw[:cut], raw[cut:])) == ["café 日本語 🎉"]


def test_feed_returns_events_as_soon_as_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert datas(decoder.feed(b"\ndata: b\n\ndata: c")) == ["a", "b"]
    assert datas(decoder.feed(b"\n\n")) == ["c"]


# --------------------------------------------------------------------------- properties

_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=12,
)
_name = st.text(alphabet="abcdefgh_.", min_size=1, max_size=8)


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """A well-formed stream with one line ending throughout, and the events it holds."""
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    last_retry: int | None = None
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            lines.append(":" + draw(_value))
        event = draw(st.one_of(st.just(""), _name))
        if event:
            lines.append(f"event: {event}")
        if draw(st.booleans()):
            last_id = draw(_value)
            lines.append(f"id: {last_id}")
        if draw(st.booleans()):
            last_retry = draw(st.integers(0, 10_000))
            lines.append(f"retry: {last_retry}")
        data_lines = draw(st.lists(_value, min_size=1, max_size=4))
        for value in data_lines:
            sep = draw(st.sampled_from(["data: ", "data:"]))
            if sep == "data:" and value.startswith(" "):
                sep = "data: "  # "data:" + " x" would lose the space
            lines.append(sep + value)
        lines.append("")
        expected.append(ServerSentEvent("\n".join(data_lines), event, last_id, last_retry))
    text = "".join(line + ending for line in lines)
    return text.encode(), expected


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted(min(c, len(raw)) for c in cuts)
    pieces = []
    start = 0
    for p in points:
        pieces.append(raw[start:p])
        start = p
    pieces.append(raw[start:])
    return pieces


@settings(max_examples=300, deadline=None)
@given(sse_streams(), st.lists(st.integers(0, 400), max_size=30))
def test_any_split_yields_the_same_events(
    stream: tuple[bytes, list[ServerSentEvent]], cuts: list[int]
) -> None:
    raw, expected = stream
    whole = decode(raw)
    assert whole == expected
    # Cuts may repeat (empty pieces) and fall inside multi-byte UTF-8 characters.
    assert decode(*split_at(raw, cuts)) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"data: x", b"data:", b"\r", b"\n", b"\r\n", b":c", b"event: e", b"\xc3\xa9"]
        ),
        max_size=40,
    ),
    st.lists(st.integers(0, 200), max_size=20),
)
def test_split_invariance_on_arbitrary_line_ending_soup(
    pieces: list[bytes], cuts: list[int]
) -> None:
    raw = b"".join(pieces)
    assert decode(*split_at(raw, cuts)) == decode(raw)


# --------------------------------------------------------------------------- linear buffering


def test_one_megabyte_line_in_ten_thousand_pieces() -> None:
    payload = bytes(ord("a") + i % 26 for i in range(1_000_000 - len(b"data: ")))
    raw = b"data: " + payload
    assert len(raw) == 1_000_000
    pieces = [raw[i : i + 100] for i in range(0, len(raw), 100)]
    assert len(pieces) == 10_000
    decoder = SSEDecoder()
    for piece in pieces:
        assert decoder.feed(piece) == []
    # Unfinished input is kept as the pieces themselves, not re-joined on every feed
    # (which would make a long line cost quadratic time).
    assert isinstance(decoder._lines._pending, list)
    assert len(decoder._lines._pending) == 10_000
    events = decoder.feed(b"\n\n")
    assert len(events) == 1
    assert events[0].data == payload.decode()
    assert decoder._lines._pending == []
