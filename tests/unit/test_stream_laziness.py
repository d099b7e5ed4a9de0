"""One network read can hold hundreds of stream events (a fast server, a loopback
proxy, a burst after a stall). The shell hands their parts on one at a time, across
the consumer's awaits; it must not decode and translate the whole read first, or
every stream in flight keeps hundreds of objects alive between its awaits, which a
server with a thousand streams pays for in cyclic-collector passes
(benchmarks/README.md, "Concurrency"). These tests fail if either step is eager."""

from __future__ import annotations

import json
from typing import Any

from fantasy.errors import ProviderError
from fantasy.http.shell import JsonEventSource, StreamPump
from fantasy.http.sse import ServerSentEvent, SSEDecoder
from fantasy.providers.openai import ChatCodec
from fantasy.types import JSON, StreamPart, StreamPartType

URL = "https://api.example/v1/chat/completions"


def chunk_event(text: str) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def read_of(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)


class Recording:
    """A translator that says how many events it has been given so far."""

    def __init__(self) -> None:
        self.fed: list[JSON] = []

    def start(self) -> list[StreamPart]:
        return []

    def feed(self, event: JSON) -> list[StreamPart]:
        self.fed.append(event)
        return [StreamPart(StreamPartType.TEXT_DELTA, id="0", delta=str(event["n"]))]

    def finish(self) -> list[StreamPart]:
        return []


def test_sse_events_are_decoded_only_when_asked_for() -> None:
    decoder = SSEDecoder()
    events = decoder.events(b"".join(b"data: %d\n\n" % i for i in range(100)))
    assert next(events).data == "0"
    assert next(events).data == "1"
    assert [e.data for e in events] == [str(i) for i in range(2, 100)]
    # The decoder goes on where the read ended, as with `feed`.
    assert [e.data for e in decoder.events(b"data: x\n")] == []
    assert decoder.feed(b"\n") == [ServerSentEvent("x", "", None, None)]


def test_a_read_of_a_hundred_events_is_translated_one_part_at_a_time() -> None:
    translator = Recording()
    pump = StreamPump(JsonEventSource("openai", URL), translator, "openai", URL)
    parts = pump.parts(read_of([{"n": i} for i in range(100)]))
    first = next(parts)
    assert first.delta == "0"
    assert len(translator.fed) == 1
    assert [p.delta for p in parts] == [str(i) for i in range(1, 100)]
    assert len(translator.fed) == 100


def test_lazy_parts_equal_the_whole_reads_parts_including_a_bad_event_last() -> None:
    """The parts of the events before a bad one come first, then its error, as `feed`
    gives them; the pump is done after it."""
    codec = ChatCodec("gpt-4o-mini")
    raw = (
        read_of([chunk_event("a"), chunk_event("b")])
        + b"data: [1, 2]\n\n"
        + read_of([chunk_event("never")])
    )
    lazy_pump = StreamPump(JsonEventSource("openai", URL), codec.new_stream([]), "openai", URL)
    whole_pump = StreamPump(JsonEventSource("openai", URL), codec.new_stream([]), "openai", URL)
    lazy = lazy_pump.start() + list(lazy_pump.parts(raw))
    whole = whole_pump.start() + whole_pump.feed(raw)
    assert [(p.type, p.delta) for p in lazy] == [(p.type, p.delta) for p in whole]
    assert [p.delta for p in lazy if p.type is StreamPartType.TEXT_DELTA] == ["a", "b"]
    error = lazy[-1].error
    assert lazy[-1].type is StreamPartType.ERROR and isinstance(error, ProviderError)
    assert (error.provider, error.url) == ("openai", URL)
    assert "expected a JSON object, got list" in str(error)
    assert lazy_pump.done and whole_pump.done
