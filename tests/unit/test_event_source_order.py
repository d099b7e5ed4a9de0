"""An event source hands on the events before a bad one in the same network read.

One read often holds many events (a fast server, a busy client, a proxy that
buffers): the events before the bad one must reach the stream ahead of its error, as
they would had each come in a read of its own."""

from __future__ import annotations

import json

import pytest

from fantasy.errors import ProviderError
from fantasy.http.shell import StreamPump
from fantasy.providers.anthropic.events import SSEEvents
from fantasy.providers.anthropic.stream import StreamTranslator as AnthropicTranslator
from fantasy.types import StreamPartType


def _sse(name: str, payload: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()


START = _sse(
    "message_start",
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [],
            "usage": {"input_tokens": 1, "output_tokens": 0},
        },
    },
)
BLOCK = _sse(
    "content_block_start",
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
)
DELTA = _sse(
    "content_block_delta",
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
)
ERROR = _sse("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})


def test_anthropic_events_before_an_error_event_in_the_same_read_come_first() -> None:
    source = SSEEvents("anthropic")
    events = source.feed(START + BLOCK + DELTA + ERROR)
    assert next(iter(events))["type"] == "message_start"


@pytest.mark.parametrize("tail", [ERROR, b"event: content_block_delta\ndata: {not json\n\n"])
def test_a_pump_keeps_the_text_read_with_the_failure(tail: bytes) -> None:
    pump = StreamPump(SSEEvents("anthropic"), AnthropicTranslator("anthropic", []), "a", "u")
    parts = pump.start() + pump.feed(START + BLOCK + DELTA + tail)
    texts = [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA]
    assert texts == ["Hi"]
    assert parts[-1].type is StreamPartType.ERROR
    assert isinstance(parts[-1].error, ProviderError)
