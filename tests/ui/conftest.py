"""Loopback servers and scripted agents shared by the UI tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

import fantasy
from fantasy import StreamPart, StreamPartType
from fantasy.testing import FakeModel, finish_part
from fantasy.types import FileContent, FinishReason, SourceContent, SourceType, Usage


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` on a loopback port in a thread of its own (a real uvicorn server); yields
    its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    else:  # pragma: no cover - only when the server cannot start
        raise RuntimeError("the loopback server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@fantasy.tool
def weather(city: str) -> str:
    """The weather in a city."""
    return json.dumps({"city": city, "forecast": "sunny", "celsius": 21})


def full_turn_parts() -> list[StreamPart]:
    """A first step with everything a provider streams: reasoning, text, a source, a
    file, and a tool call whose input arrives in pieces."""
    return [
        StreamPart(StreamPartType.REASONING_START, id="r1"),
        StreamPart(StreamPartType.REASONING_DELTA, id="r1", delta="The user wants "),
        StreamPart(StreamPartType.REASONING_DELTA, id="r1", delta="the weather."),
        StreamPart(StreamPartType.REASONING_END, id="r1"),
        StreamPart(StreamPartType.TEXT_START, id="t1"),
        StreamPart(StreamPartType.TEXT_DELTA, id="t1", delta="Let me "),
        StreamPart(StreamPartType.TEXT_DELTA, id="t1", delta="check."),
        StreamPart(StreamPartType.TEXT_END, id="t1"),
        StreamPart(
            StreamPartType.SOURCE,
            id="src-1",
            source_type=SourceType.URL,
            url="https://weather.example/paris",
            title="Paris forecast",
        ),
        StreamPart(
            StreamPartType.SOURCE,
            id="src-2",
            source=SourceContent(
                SourceType.DOCUMENT, "src-2", title="Almanac", media_type="application/pdf"
            ),
        ),
        StreamPart(StreamPartType.FILE, file=FileContent(b"\x89PNG fake", "image/png")),
        StreamPart(StreamPartType.TOOL_INPUT_START, id="call-1", tool_call_name="weather"),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id="call-1", delta='{"city": '),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id="call-1", delta='"Paris"}'),
        StreamPart(StreamPartType.TOOL_INPUT_END, id="call-1"),
        StreamPart(
            StreamPartType.TOOL_CALL,
            id="call-1",
            tool_call_name="weather",
            tool_call_input='{"city": "Paris"}',
        ),
        finish_part(Usage(10, 5, 15), FinishReason.TOOL_CALLS),
    ]


def answer_parts(text: str = "It is sunny in Paris, 21 °C.") -> list[StreamPart]:
    words = text.split(" ")
    deltas = [w + " " for w in words[:-1]] + [words[-1]]
    return [
        StreamPart(StreamPartType.TEXT_START, id="t1"),
        *(StreamPart(StreamPartType.TEXT_DELTA, id="t1", delta=d) for d in deltas),
        StreamPart(StreamPartType.TEXT_END, id="t1"),
        finish_part(Usage(20, 8, 28), FinishReason.STOP),
    ]


@pytest.fixture
def weather_agent() -> tuple[fantasy.Agent[Any], FakeModel]:
    model = FakeModel([full_turn_parts(), answer_parts()])
    return fantasy.Agent(model, tools=[weather]), model
