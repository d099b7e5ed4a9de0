"""Property-based tests of the decoders and of every provider's stream translation.

The claims: however the network splits a valid stream, the same parts come out; and
whatever a broken or hostile server sends (random bytes, flipped bytes, JSON of the
wrong shape), the stream ends with a clear error (a `FantasyError` in an error part)
or a finish, never another exception type and never a hang.

The streams run through the real provider code with an in-memory httpx transport
that delivers the body in the pieces hypothesis chose (the fault server would add
nothing here but time). `tests/unit/test_sse.py` and `tests/unit/test_eventstream.py`
already prove split invariance of the bare decoders on well-formed input; these add
arbitrary and corrupted input, and everything above the decoders.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fantasy.errors import (
    FantasyError,
    InvalidResponseError,
    ProviderError,
    StreamInterruptedError,
)
from fantasy.http.eventstream import (
    EventStreamDecoder,
    EventStreamError,
    EventStreamMessage,
    encode_message,
)
from fantasy.http.sse import SSEDecoder
from fantasy.types import StreamPart, StreamPartType
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import call
from tests.faults.wire import FAMILIES, Family

EXAMPLES = 300
"""Per decoder property; each translator property runs `PER_FAMILY` per family."""
PER_FAMILY = 80
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_FAMILY = settings(
    max_examples=PER_FAMILY, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)

_texts = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    min_size=1,
    max_size=6,
)
_cuts = st.lists(st.integers(0, 4000), max_size=25)
_arguments = st.dictionaries(
    st.text(max_size=5), st.integers() | st.text(max_size=6) | st.booleans(), max_size=3
).map(lambda d: json.dumps(d, ensure_ascii=False))
_tool = st.none() | _arguments
"""None: a text answer; else a text answer then a tool call with these arguments."""


def valid_stream(family: Family, texts: list[str], tool: str | None) -> list[bytes]:
    return family.stream(texts) if tool is None else family.tool_stream(texts, "weather", tool)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


class _Pieces(httpx.SyncByteStream):
    def __init__(self, pieces: list[bytes]):
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces


def _served(family: Family, pieces: list[bytes]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": family.content_type}, stream=_Pieces(pieces)
        )

    return httpx.MockTransport(handler)


def run_stream(family: Family, pieces: list[bytes]) -> list[StreamPart]:
    """The model's parts for this body, delivered in these pieces (sync face)."""
    model = family.make("http://fuzz.invalid", FAKE_KEY, transport=_served(family, pieces))
    return list(model.stream(call()))


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted(min(c, len(raw)) for c in cuts)
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


def comparable(parts: list[StreamPart]) -> list[tuple[Any, ...]]:
    """The parts as plain tuples; ids by order of appearance, since Gemini sends no call
    ids and the translator makes up random ones."""
    ids: dict[str, int] = {}
    out = []
    for p in parts:
        error = p.error
        out.append(
            (
                p.type,
                ids.setdefault(p.id, len(ids)),
                p.delta,
                p.tool_call_name,
                p.tool_call_input,
                p.finish_reason,
                p.usage,
                type(error).__name__ if error else None,
                getattr(error, "message", None),
            )
        )
    return out


READ_ON_PURPOSE = frozenset(
    {
        "anthropic",
        "bedrock",
        "google",
        "openai-chat",
        "openai-responses",
        "azure-chat",
        "openaicompat",
    }
)
"""Families whose translators and parsers read every field of provider JSON through
`fantasy.http.shape`: JSON of the wrong shape is an `InvalidResponseError` they raise
themselves, naming the field, never a bare ``TypeError`` (``KeyError``...) that the
shell's catch-all relabels."""

_BARE = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def assert_read_on_purpose(family: Family, error: BaseException) -> None:
    """For a `READ_ON_PURPOSE` family, ``error`` was raised on purpose: not a bare
    exception caught and relabelled by the shell."""
    if family.name not in READ_ON_PURPOSE:
        return
    assert isinstance(error, FantasyError), repr(error)
    assert not isinstance(error.cause, _BARE), repr(error.cause)
    assert "has an unexpected shape" not in error.message, error.message


def assert_well_ended(parts: list[StreamPart], family: Family) -> None:
    """A stream ends in exactly one way: a finish, or one error part that is ours."""
    assert parts, "a stream always says how it ended"
    last = parts[-1]
    assert last.type in (StreamPartType.FINISH, StreamPartType.ERROR), last.type
    errors = [p for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) <= 1
    if errors:
        assert errors[0] is last
        assert isinstance(last.error, FantasyError), repr(last.error)
        assert_read_on_purpose(family, last.error)


def assert_shape_error(family: Family, error: BaseException) -> None:
    """What JSON of the wrong shape may end in, for a `READ_ON_PURPOSE` family: an
    `InvalidResponseError`; or Gemini's "no response" when the answer lost its
    candidate; or, when the reshaping removed the event that ends the stream, the
    incomplete-stream error; or the provider's error, when it made an error object of
    another one (or, on the Responses API, an error or ``response.failed`` event)."""
    if family.name not in READ_ON_PURPOSE:
        return
    assert_read_on_purpose(family, error)
    if isinstance(error, InvalidResponseError):
        return
    assert isinstance(error, FantasyError), repr(error)
    if error.title == "no response":
        return
    assert isinstance(error, ProviderError), repr(error)
    if error.message == "unexpected EOF":
        assert isinstance(error, StreamInterruptedError), repr(error)
        return
    if family.name == "openai-responses" and error.title in ("response error", "response failed"):
        return
    assert b"error" in error.response_body, repr(error)


# --------------------------------------------------------------------------- decoders


@FUZZ
@given(st.binary(max_size=600), _cuts)
def test_the_sse_decoder_takes_any_bytes(raw: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    events = [e for piece in split_at(raw, cuts) for e in decoder.feed(piece)]
    whole = SSEDecoder().feed(raw)
    assert [e.data for e in events] == [e.data for e in whole]


def _frames() -> st.SearchStrategy[bytes]:
    message = st.tuples(
        st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
        st.binary(max_size=80),
    )
    return st.lists(message, min_size=1, max_size=4).map(
        lambda ms: b"".join(encode_message(h, p) for h, p in ms)
    )


@FUZZ
@given(_frames(), st.data())
def test_the_event_stream_decoder_rejects_corruption_cleanly(
    raw: bytes, data: st.DataObject
) -> None:
    corrupt = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(corrupt) - 1))
        corrupt[at] = data.draw(st.integers(0, 255))
    original = EventStreamDecoder().feed(raw)
    decoder = EventStreamDecoder()
    decoded: list[EventStreamMessage] = []
    try:
        for piece in split_at(bytes(corrupt), data.draw(_cuts)):
            decoded.extend(decoder.feed(piece))
    except EventStreamError:
        return
    # Survivors are frames whose checksums still hold: an unchanged byte was "flipped" to
    # itself, or the damaged frame is still incomplete (never handed on). Either way,
    # what came out is the original frames, never a damaged one.
    assert decoded == original[: len(decoded)]
    assert bytes(corrupt) == raw or len(decoded) < len(original)


@FUZZ
@given(st.binary(max_size=400), _cuts)
def test_the_event_stream_decoder_takes_any_bytes(raw: bytes, cuts: list[int]) -> None:
    decoder = EventStreamDecoder()
    try:
        for piece in split_at(raw, cuts):
            decoder.feed(piece)
    except EventStreamError:
        pass


# --------------------------------------------------------------------------- translators


@FAMILY
@FUZZ_FAMILY
@given(texts=_texts, tool=_tool, cuts=_cuts)
def test_any_split_of_a_valid_stream_gives_the_same_parts(
    family: Family, texts: list[str], tool: str | None, cuts: list[int]
) -> None:
    raw = b"".join(valid_stream(family, texts, tool))
    whole = run_stream(family, [raw])
    assert whole[-1].type is StreamPartType.FINISH
    if tool is not None:
        (call_part,) = [p for p in whole if p.type is StreamPartType.TOOL_CALL]
        assert json.loads(call_part.tool_call_input) == json.loads(tool)
    assert "".join(p.delta for p in whole if p.type is StreamPartType.TEXT_DELTA) == "".join(texts)
    assert comparable(run_stream(family, split_at(raw, cuts))) == comparable(whole)


@FAMILY
@FUZZ_FAMILY
@given(texts=_texts, tool=_tool, data=st.data())
def test_corrupted_bytes_end_in_a_clear_error(
    family: Family, texts: list[str], tool: str | None, data: st.DataObject
) -> None:
    raw = bytearray(b"".join(valid_stream(family, texts, tool)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "drop":
            del raw[at]
        else:
            raw[at:at] = data.draw(st.sampled_from([b"\n", b"\n\n", b"{", b'"', b"\xff", b"data:"]))
    assert_well_ended(run_stream(family, split_at(bytes(raw), data.draw(_cuts))), family)


@FAMILY
@FUZZ_FAMILY
@given(raw=st.binary(max_size=500))
def test_random_bytes_end_in_a_clear_error(family: Family, raw: bytes) -> None:
    assert_well_ended(run_stream(family, [raw]), family)


def _replace_somewhere(value: Any, data: st.DataObject) -> Any:
    """The value with one node (maybe the root) replaced by arbitrary JSON."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: _replace_somewhere(value[key], data)}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(value) - 1))
        return [*value[:at], _replace_somewhere(value[at], data), *value[at + 1 :]]
    return data.draw(_json)


_DATA_LINE = re.compile(rb"^data: (.*)$", re.M)


def _reshape_sse(chunk: bytes, data: st.DataObject) -> bytes:
    match = _DATA_LINE.search(chunk)
    if match is None or match.group(1) == b"[DONE]":
        return chunk
    event = _replace_somewhere(json.loads(match.group(1)), data)
    return chunk[: match.start(1)] + json.dumps(event).encode() + chunk[match.end(1) :]


def _reshape_frame(chunk: bytes, data: st.DataObject) -> bytes:
    (message,) = EventStreamDecoder().feed(chunk)
    outer = json.loads(message.payload)
    try:
        inner = json.loads(base64.b64decode(outer["bytes"]))
    except (TypeError, KeyError, ValueError):
        return chunk  # reshaped already
    if data.draw(st.booleans()):
        payload = json.dumps(
            {
                "bytes": base64.b64encode(
                    json.dumps(_replace_somewhere(inner, data)).encode()
                ).decode()
            }
        )
    else:
        payload = json.dumps(_replace_somewhere({"bytes": "x"}, data))
    headers = {k: v for k, v in message.headers.items() if isinstance(v, str)}
    return encode_message(headers, payload.encode())


@FAMILY
@settings(max_examples=PER_FAMILY * 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, tool=_tool, data=st.data())
def test_events_of_the_wrong_shape_end_in_a_clear_error(
    family: Family, texts: list[str], tool: str | None, data: st.DataObject
) -> None:
    """Valid JSON, valid framing, nonsense shapes: a field that is a list, a number,
    null, or missing. A translator may skip what it does not understand or fail with
    a clear error; it may not crash."""
    chunks = valid_stream(family, texts, tool)
    reshape = _reshape_frame if family.name == "bedrock" else _reshape_sse
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(chunks) - 1))
        chunks[at] = reshape(chunks[at], data)
    parts = run_stream(family, chunks)
    assert_well_ended(parts, family)
    if parts[-1].type is StreamPartType.ERROR:
        assert parts[-1].error is not None
        assert_shape_error(family, parts[-1].error)


@FAMILY
@FUZZ_FAMILY
@given(data=st.data())
def test_whole_answers_of_the_wrong_shape_give_a_clear_error(
    family: Family, data: st.DataObject
) -> None:
    body = json.dumps(_replace_somewhere(json.loads(family.whole("hi")), data)).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    model = family.make("http://fuzz.invalid", FAKE_KEY, transport=transport)
    # A response, or one of our errors: anything else escaping is the bug looked for.
    try:
        model.generate(call())
    except FantasyError as error:
        assert_shape_error(family, error)
