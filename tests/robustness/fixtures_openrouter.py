"""OpenRouter's answers, as its API reference documents them beyond OpenAI's shape.

- ``usage`` with ``cost`` and token details (usage accounting);
- ``reasoning`` and ``reasoning_details`` (``reasoning.text`` with a ``signature``,
  ``reasoning.summary``, ``reasoning.encrypted``; formats ``anthropic-claude-v1``,
  ``openai-responses-v1``, ``google-gemini-v1``, ``unknown``), whole and in deltas;
- ``annotations``: ``url_citation`` (the web plugin, ``:online`` models) and ``file``
  (PDFs OpenRouter parsed: ``hash``, ``name``, ``content``), on the message and on
  deltas.
"""

from __future__ import annotations

from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

USAGE = {
    "prompt_tokens": 10,
    "completion_tokens": 5,
    "total_tokens": 15,
    "cost": 0.00042,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 1, "image_tokens": 0},
    "cost_details": {"upstream_inference_cost": None},
}
# Input excludes cached tokens; the gateways' total adds them back.
COUNTED = Usage(
    input_tokens=8, output_tokens=5, total_tokens=15, reasoning_tokens=1, cache_read_tokens=2
)


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "gen-1",
        "provider": "OpenAI",
        "model": "openai/gpt-4o",
        "object": "chat.completion.chunk",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", **delta},
                "finish_reason": finish,
                "native_finish_reason": finish,
                "logprobs": None,
            }
        ],
        **extra,
    }


def _usage_chunk() -> dict[str, Any]:
    return {**_chunk({"content": ""}), "choices": [], "usage": USAGE}


def _completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "gen-1",
        "provider": "OpenAI",
        "model": "openai/gpt-4o",
        "object": "chat.completion",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "refusal": None, "reasoning": None, **message},
                "finish_reason": finish,
                "native_finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": USAGE,
    }


def _claude(text: str, signature: str | None = None) -> dict[str, Any]:
    detail = {"type": "reasoning.text", "text": text, "format": "anthropic-claude-v1", "index": 0}
    if signature is not None:
        detail["signature"] = signature
    return detail


WEB = {
    "type": "url_citation",
    "url_citation": {
        "url": "https://example.com/rome",
        "title": "Rome weather",
        "content": "Sunny all week.",
        "start_index": 0,
        "end_index": 5,
    },
}
FILE = {
    "type": "file",
    "file": {
        "hash": "9f2c1b7e",
        "name": "report.pdf",
        "content": [{"type": "text", "text": '<file name="report.pdf">Q3 grew 4%.</file>'}],
    },
}

FIXTURES = [
    Fixture(
        name="text-with-cost",
        family="openrouter",
        whole=_completion({"content": "Hello"}),
        stream=sse(
            _chunk({"content": "Hel"}),
            _chunk({"content": "lo"}),
            _chunk({"content": ""}, "stop"),
            _usage_chunk(),
            done=True,
        ),
        expect=Expected(text="Hello", raw_finish_reason="stop", usage=COUNTED),
    ),
    Fixture(
        name="claude-reasoning-with-signature",
        family="openrouter",
        whole=_completion(
            {
                "content": "4",
                "reasoning": "2+2=4",
                "reasoning_details": [_claude("2+2=4", "sig-1")],
            }
        ),
        stream=sse(
            _chunk({"content": "", "reasoning": "2+2", "reasoning_details": [_claude("2+2")]}),
            _chunk({"content": "", "reasoning": "=4", "reasoning_details": [_claude("=4")]}),
            _chunk({"content": "", "reasoning_details": [_claude("", "sig-1")]}),
            _chunk({"content": "4"}),
            _chunk({"content": ""}, "stop"),
            _usage_chunk(),
            done=True,
        ),
        expect=Expected(text="4", reasoning="2+2=4", usage=COUNTED),
    ),
    Fixture(
        # OpenRouter keeps Claude's reasoning open for its signature; a stream that
        # ends without one used to lose the reasoning (the block never closed).
        name="claude-reasoning-without-signature",
        family="openrouter",
        stream=sse(
            _chunk({"content": "", "reasoning_details": [_claude("Think")]}),
            _chunk({"content": "", "reasoning_details": [_claude("ing")]}),
            _chunk({"content": "Done"}),
            _chunk({"content": ""}, "stop"),
            done=True,
        ),
        expect=Expected(text="Done", reasoning="Thinking"),
    ),
    Fixture(
        name="openai-encrypted-reasoning",
        family="openrouter",
        whole=_completion(
            {
                "content": "Hi",
                "reasoning_details": [
                    {
                        "type": "reasoning.summary",
                        "summary": "Greeting",
                        "format": "openai-responses-v1",
                        "index": 0,
                    },
                    {
                        "type": "reasoning.encrypted",
                        "data": "gAAAA",
                        "id": "rs_1",
                        "format": "openai-responses-v1",
                        "index": 0,
                    },
                ],
            }
        ),
        stream=sse(
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.summary",
                            "summary": "Greet",
                            "format": "openai-responses-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.summary",
                            "summary": "ing",
                            "format": "openai-responses-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.encrypted",
                            "data": "gAAAA",
                            "id": "rs_1",
                            "format": "openai-responses-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk({"content": "Hi"}, "stop"),
            done=True,
        ),
        expect=Expected(text="Hi", reasoning="Greeting"),
    ),
    Fixture(
        name="gemini-reasoning",
        family="openrouter",
        whole=_completion(
            {
                "content": "Hi",
                "reasoning_details": [
                    {
                        "type": "reasoning.text",
                        "text": "Say hi",
                        "format": "google-gemini-v1",
                        "index": 0,
                    },
                    {
                        "type": "reasoning.encrypted",
                        "data": "c2ln",
                        "id": "tool_1",
                        "format": "google-gemini-v1",
                        "index": 0,
                    },
                ],
            }
        ),
        stream=sse(
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.text",
                            "text": "Say",
                            "format": "google-gemini-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.text",
                            "text": " hi",
                            "format": "google-gemini-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk(
                {
                    "content": "",
                    "reasoning_details": [
                        {
                            "type": "reasoning.encrypted",
                            "data": "c2ln",
                            "id": "tool_1",
                            "format": "google-gemini-v1",
                            "index": 0,
                        }
                    ],
                }
            ),
            _chunk({"content": "Hi"}, "stop"),
            done=True,
        ),
        expect=Expected(text="Hi", reasoning="Say hi"),
    ),
    Fixture(
        name="web-search-citations",
        family="openrouter",
        whole=_completion({"content": "Sunny.", "annotations": [WEB]}),
        stream=sse(
            _chunk({"content": "Sunny."}),
            _chunk({"content": "", "annotations": [WEB]}),
            _chunk({"content": ""}, "stop"),
            done=True,
        ),
        expect=Expected(text="Sunny.", sources=["https://example.com/rome"]),
    ),
    Fixture(
        # PDFs OpenRouter parsed come back as file annotations.
        name="file-annotations",
        family="openrouter",
        whole=_completion({"content": "Q3 grew 4%.", "annotations": [FILE]}),
        stream=sse(
            _chunk({"content": "Q3 grew 4%."}),
            _chunk({"content": "", "annotations": [FILE]}),
            _chunk({"content": ""}, "stop"),
            done=True,
        ),
        expect=Expected(text="Q3 grew 4%.", sources=["9f2c1b7e"]),
    ),
    Fixture(
        name="tool-call",
        family="openrouter",
        whole=_completion(
            {
                "content": "",
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "index": 0,
                        "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
                    }
                ],
            },
            "tool_calls",
        ),
        stream=sse(
            _chunk(
                {
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": ""},
                        }
                    ],
                }
            ),
            _chunk(
                {"content": None, "tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}
            ),
            _chunk(
                {
                    "content": None,
                    "tool_calls": [{"index": 0, "function": {"arguments": 'ty":"Rome"}'}}],
                }
            ),
            _chunk({"content": ""}, "tool_calls"),
            _usage_chunk(),
            done=True,
        ),
        expect=Expected(
            tool_calls=[("toolu_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
            usage=COUNTED,
        ),
    ),
]
