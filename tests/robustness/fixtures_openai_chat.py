"""Chat Completions answers as OpenAI documents them (and as compatible servers send them)."""

from __future__ import annotations

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse


def _chunk(delta: dict, finish: str | None = None, **extra: object) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}

FIXTURES = [
    Fixture(
        name="text",
        family="openai-chat",
        whole={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello there"},
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
        },
        stream=sse(
            _chunk({"role": "assistant", "content": ""}),
            _chunk({"content": "Hello"}),
            _chunk({"content": " there"}),
            _chunk({}, "stop"),
            {**_chunk({}), "choices": [], "usage": USAGE},
            done=True,
        ),
        expect=Expected(
            text="Hello there",
            finish_reason=FinishReason.STOP,
            raw_finish_reason="stop",
            usage=Usage(input_tokens=10, output_tokens=5, total_tokens=15),
        ),
    ),
]
