"""OpenAI-compatible servers' answers, as each documents them where it differs from OpenAI.

- DeepSeek (``deepseek-reasoner``) and Alibaba Qwen (DashScope's compatible mode):
  ``reasoning_content`` on the message and on deltas, ``null`` on every chunk that is
  not reasoning.
- Ollama, LM Studio, llama.cpp, vLLM (newer): ``reasoning`` instead.
- Mistral (Magistral): ``content`` as a list of chunks: ``text``, ``thinking`` (a list
  of ``text`` items), ``reference`` (``reference_ids`` of documents a tool returned),
  and in a stream ``delta.content`` as such a list too.
- Perplexity (Sonar): top-level ``citations`` (URLs) and ``search_results`` (with
  titles), repeated on every chunk of a stream.
"""

from __future__ import annotations

from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
PLAIN = Usage(input_tokens=10, output_tokens=5, total_tokens=15)


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "model",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def _completion(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": USAGE,
        **extra,
    }


def _thinking(*texts: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": [{"type": "text", "text": t} for t in texts]}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


SEARCH_RESULTS = [
    {
        "title": "Rome forecast",
        "url": "https://example.com/rome",
        "date": "2025-06-01",
        "last_updated": "2025-06-02",
        "snippet": "Sunny.",
        "source": "web",
    },
    {"title": "Weather", "url": "https://example.org/w", "date": None},
]
CITATIONS = ["https://example.com/rome", "https://example.org/w"]

FIXTURES = [
    Fixture(
        # DeepSeek: "reasoning_content": null on every answer chunk used to open a
        # reasoning block that never closed, so the agent kept no reasoning.
        name="deepseek-reasoning-null-on-answer-chunks",
        family="openaicompat",
        whole=_completion({"content": "4", "reasoning_content": "2+2 is 4."}),
        stream=sse(
            _chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            _chunk({"content": None, "reasoning_content": "2+2"}),
            _chunk({"content": None, "reasoning_content": " is 4."}),
            _chunk({"content": "4", "reasoning_content": None}),
            _chunk({"content": "", "reasoning_content": None}, "stop"),
            {**_chunk({}), "choices": [], "usage": USAGE},
            done=True,
        ),
        expect=Expected(text="4", reasoning="2+2 is 4.", raw_finish_reason="stop", usage=PLAIN),
    ),
    Fixture(
        name="deepseek-no-reasoning",
        family="openaicompat",
        whole=_completion({"content": "Hi", "reasoning_content": None}),
        stream=sse(
            _chunk({"role": "assistant", "content": "", "reasoning_content": None}),
            _chunk({"content": "Hi", "reasoning_content": None}),
            _chunk({"content": "", "reasoning_content": None}, "stop"),
            done=True,
        ),
        expect=Expected(text="Hi"),
    ),
    Fixture(
        # Qwen (DashScope): reasoning, then a tool call; null reasoning on the call chunks.
        name="qwen-reasoning-then-tool-call",
        family="openaicompat",
        whole=_completion(
            {
                "content": "",
                "reasoning_content": "Need the weather.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "index": 0,
                        "function": {"name": "weather", "arguments": '{"city": "Rome"}'},
                    }
                ],
            },
            "tool_calls",
        ),
        stream=sse(
            _chunk({"role": "assistant", "content": None, "reasoning_content": "Need the"}),
            _chunk({"content": None, "reasoning_content": " weather."}),
            _chunk(
                {
                    "content": None,
                    "reasoning_content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": ""},
                        }
                    ],
                }
            ),
            _chunk(
                {
                    "content": None,
                    "reasoning_content": None,
                    "tool_calls": [{"index": 0, "id": "", "function": {"arguments": '{"city": '}}],
                }
            ),
            _chunk(
                {
                    "content": None,
                    "reasoning_content": None,
                    "tool_calls": [{"index": 0, "function": {"arguments": '"Rome"}'}}],
                }
            ),
            _chunk({"content": None, "reasoning_content": None}, "tool_calls"),
            done=True,
        ),
        expect=Expected(
            reasoning="Need the weather.",
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
            raw_finish_reason="tool_calls",
        ),
    ),
    Fixture(
        # A stream that ends while reasoning (max tokens): the block closes at the end.
        name="reasoning-until-the-end",
        family="openaicompat",
        whole=_completion({"content": None, "reasoning_content": "Thinking..."}, "length"),
        stream=sse(
            _chunk({"reasoning_content": "Thinking"}),
            _chunk({"reasoning_content": "..."}, "length"),
            done=True,
        ),
        expect=Expected(
            reasoning="Thinking...", finish_reason=FinishReason.LENGTH, raw_finish_reason="length"
        ),
    ),
    Fixture(
        # Ollama, LM Studio: "reasoning" instead of "reasoning_content".
        name="ollama-reasoning-field",
        family="openaicompat",
        whole=_completion({"content": "Yes.", "reasoning": "Is it? Yes."}),
        stream=sse(
            _chunk({"role": "assistant", "content": "", "reasoning": "Is it?"}),
            _chunk({"content": "", "reasoning": " Yes."}),
            _chunk({"content": "Yes.", "reasoning": None}),
            _chunk({"content": ""}, "stop"),
            done=True,
        ),
        expect=Expected(text="Yes.", reasoning="Is it? Yes."),
    ),
    Fixture(
        # Mistral (Magistral): content as a list of typed chunks. It used to be an
        # InvalidResponseError ("expected a string").
        name="mistral-thinking-chunks",
        family="openaicompat",
        whole=_completion(
            {"content": [_thinking("Let me ", "think."), _text("It is "), _text("42.")]}
        ),
        stream=sse(
            _chunk({"role": "assistant", "content": ""}),
            _chunk({"content": [_thinking("Let me ")]}),
            _chunk({"content": [_thinking("think.")]}),
            _chunk({"content": [_text("It is ")]}),
            _chunk({"content": "42."}),
            _chunk({"content": ""}, "stop"),
            {**_chunk({}), "choices": [], "usage": USAGE},
            done=True,
        ),
        expect=Expected(text="It is 42.", reasoning="Let me think.", usage=PLAIN),
    ),
    Fixture(
        # Mistral's reference chunks cite the documents a tool returned, by id.
        name="mistral-references",
        family="openaicompat",
        whole=_completion(
            {
                "content": [
                    _text("Rome is sunny"),
                    {"type": "reference", "reference_ids": [0, 2]},
                    _text("."),
                ]
            }
        ),
        stream=sse(
            _chunk({"content": [_text("Rome is sunny")]}),
            _chunk({"content": [{"type": "reference", "reference_ids": [0, 2]}]}),
            _chunk({"content": [_text(".")]}, "stop"),
            done=True,
        ),
        expect=Expected(text="Rome is sunny.", sources=["0", "2"]),
    ),
    Fixture(
        # A chunk type the translator does not read is reported, never dropped silently.
        name="mistral-unread-chunk-type",
        family="openaicompat",
        whole=_completion(
            {"content": [_text("See "), {"type": "document_url", "document_url": "https://d"}]}
        ),
        stream=sse(
            _chunk({"content": [_text("See ")]}),
            _chunk({"content": [{"type": "document_url", "document_url": "https://d"}]}),
            _chunk({"content": ""}, "stop"),
            done=True,
        ),
        expect=Expected(text="See ", warnings=["content chunk of type 'document_url'"]),
    ),
    Fixture(
        # Perplexity: citations and search results beside the choices; a stream repeats
        # them on every chunk, each URL is one source.
        name="perplexity-citations",
        family="openaicompat",
        whole=_completion(
            {"content": "Sunny [1][2]."}, citations=CITATIONS, search_results=SEARCH_RESULTS
        ),
        stream=sse(
            _chunk(
                {"role": "assistant", "content": "Sunny "},
                citations=CITATIONS,
                search_results=SEARCH_RESULTS,
            ),
            _chunk({"content": "[1][2]."}, citations=CITATIONS, search_results=SEARCH_RESULTS),
            _chunk({"content": ""}, "stop", citations=CITATIONS, search_results=SEARCH_RESULTS),
            {**_chunk({}), "choices": [], "usage": USAGE, "citations": CITATIONS},
            done=True,
        ),
        expect=Expected(
            text="Sunny [1][2].",
            sources=CITATIONS,
            usage=PLAIN,
        ),
    ),
    Fixture(
        name="perplexity-search-results-only",
        family="openaicompat",
        whole=_completion({"content": "Sunny."}, search_results=SEARCH_RESULTS[:1]),
        stream=sse(
            _chunk({"content": "Sunny."}, search_results=SEARCH_RESULTS[:1]),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="Sunny.", sources=["https://example.com/rome"]),
    ),
]
