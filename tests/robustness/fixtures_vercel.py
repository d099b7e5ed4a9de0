"""Vercel AI Gateway's answers (OpenAI-compatible ``/v1/chat/completions``), as its
reference documents them beyond OpenAI's shape: the plain ``reasoning`` field (and
``reasoning_details`` from upstreams that sign their reasoning), whole and in deltas,
``null`` on answer chunks; ``provider_metadata`` beside the choices; usage with
cached tokens; citations as ``annotations``.
"""

from __future__ import annotations

from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 6,
    "total_tokens": 18,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}
COUNTED = Usage(
    input_tokens=8, output_tokens=6, total_tokens=18, reasoning_tokens=2, cache_read_tokens=4
)
METADATA = {"gateway": {"routing": {"finalProvider": "anthropic"}, "cost": "0.0001"}}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "gen_1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "anthropic/claude-sonnet-4",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "gen_1",
        "object": "chat.completion",
        "created": 1,
        "model": "anthropic/claude-sonnet-4",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": finish,
            }
        ],
        "usage": USAGE,
        "provider_metadata": METADATA,
    }


def _claude(text: str, signature: str = "") -> dict[str, Any]:
    detail = {"type": "reasoning.text", "text": text, "format": "anthropic-claude-v1", "index": 0}
    if signature:
        detail["signature"] = signature
    return detail


FIXTURES = [
    Fixture(
        name="text-with-usage",
        family="vercel",
        whole=_completion({"content": "Hello"}),
        stream=sse(
            _chunk({"role": "assistant", "content": "Hel"}),
            _chunk({"content": "lo"}),
            _chunk({}, "stop"),
            {**_chunk({}), "choices": [], "usage": USAGE, "provider_metadata": METADATA},
            done=True,
        ),
        expect=Expected(text="Hello", raw_finish_reason="stop", usage=COUNTED),
    ),
    Fixture(
        # The plain reasoning field, null on the answer chunks.
        name="plain-reasoning-null-on-answer-chunks",
        family="vercel",
        whole=_completion({"content": "4", "reasoning": "2+2"}),
        stream=sse(
            _chunk({"role": "assistant", "content": "", "reasoning": "2+"}),
            _chunk({"content": "", "reasoning": "2"}),
            _chunk({"content": "4", "reasoning": None}),
            _chunk({"content": "", "reasoning": None}, "stop"),
            done=True,
        ),
        expect=Expected(text="4", reasoning="2+2"),
    ),
    Fixture(
        name="claude-reasoning-details",
        family="vercel",
        whole=_completion(
            {"content": "4", "reasoning": "2+2", "reasoning_details": [_claude("2+2", "sig")]}
        ),
        stream=sse(
            _chunk({"content": "", "reasoning_details": [_claude("2+")]}),
            _chunk({"content": "", "reasoning_details": [_claude("2", "sig")]}),
            _chunk({"content": "4"}),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="4", reasoning="2+2"),
    ),
    Fixture(
        # Reasoning the stream never ends (max tokens) closes at the end.
        name="reasoning-until-the-end",
        family="vercel",
        stream=sse(
            _chunk({"content": "", "reasoning": "Thinking"}),
            _chunk({"content": "", "reasoning": "..."}, "length"),
            done=True,
        ),
        expect=Expected(
            reasoning="Thinking...", finish_reason=FinishReason.LENGTH, raw_finish_reason="length"
        ),
    ),
    Fixture(
        name="citations",
        family="vercel",
        whole=_completion(
            {
                "content": "Sunny.",
                "annotations": [
                    {
                        "type": "url_citation",
                        "url_citation": {"url": "https://example.com/w", "title": "Weather"},
                    }
                ],
            }
        ),
        stream=sse(
            _chunk({"content": "Sunny."}),
            _chunk(
                {
                    "annotations": [
                        {
                            "type": "url_citation",
                            "url_citation": {"url": "https://example.com/w", "title": "Weather"},
                        }
                    ]
                }
            ),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="Sunny.", sources=["https://example.com/w"]),
    ),
    Fixture(
        name="tool-call-after-reasoning",
        family="vercel",
        whole=_completion(
            {
                "content": None,
                "reasoning": "Need weather.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
                    }
                ],
            },
            "tool_calls",
        ),
        stream=sse(
            _chunk({"content": "", "reasoning": "Need weather."}),
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"city":'},
                        }
                    ]
                }
            ),
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Rome"}'}}]}),
            _chunk({}, "tool_calls"),
            done=True,
        ),
        expect=Expected(
            reasoning="Need weather.",
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
]
