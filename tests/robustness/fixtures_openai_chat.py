"""Chat Completions answers as OpenAI documents them (and as compatible servers send them).

From the API reference of ``POST /v1/chat/completions``: the chat completion object
(``choices[].message`` with ``content``, ``refusal``, ``tool_calls``, ``annotations``,
``audio``, the deprecated ``function_call``; ``finish_reason`` ``stop``, ``length``,
``tool_calls``, ``content_filter``, ``function_call``; ``logprobs``; ``usage`` with its
token details; ``system_fingerprint``, ``service_tier``) and the chunk object
(``choices[].delta`` with ``role``, ``content``, ``refusal``, ``tool_calls`` in pieces,
``function_call``; ``logprobs``; a last chunk with empty ``choices`` and ``usage``
when ``stream_options.include_usage`` is set; ``obfuscation`` on chunks).
"""

from __future__ import annotations

import base64
from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

MODEL = "gpt-4o-mini"


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "system_fingerprint": "fp_1",
        "service_tier": "default",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def _usage_chunk(usage: dict[str, Any]) -> dict[str, Any]:
    return {**_chunk({}), "choices": [], "usage": usage}


def _completion(
    message: dict[str, Any], finish: str = "stop", usage: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "system_fingerprint": "fp_1",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": None, **message},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": usage or USAGE,
        **extra,
    }


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
PLAIN = Usage(input_tokens=10, output_tokens=5, total_tokens=15)

DETAILED_USAGE = {
    "prompt_tokens": 100,
    "completion_tokens": 40,
    "total_tokens": 140,
    "prompt_tokens_details": {"cached_tokens": 60, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 12,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 3,
        "rejected_prediction_tokens": 1,
    },
}
DETAILED = Usage(
    input_tokens=40, output_tokens=40, total_tokens=140, reasoning_tokens=12, cache_read_tokens=60
)


def _call(index: int, id: str = "", name: str = "", args: str = "") -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id:
        call["id"] = id
        call["type"] = "function"
        call["function"]["name"] = name
    return call


def _logprob(token: str) -> dict[str, Any]:
    return {
        "token": token,
        "logprob": -0.1,
        "bytes": list(token.encode()),
        "top_logprobs": [{"token": token, "logprob": -0.1, "bytes": list(token.encode())}],
    }


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(24)
PCM_1 = bytes(range(30))
PCM_2 = bytes(range(30, 64))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


CITATION = {
    "type": "url_citation",
    "url_citation": {
        "url": "https://example.com/rome",
        "title": "Rome weather",
        "start_index": 0,
        "end_index": 5,
    },
}

FIXTURES = [
    Fixture(
        name="text",
        family="openai-chat",
        whole=_completion({"content": "Hello there"}),
        stream=sse(
            _chunk({"role": "assistant", "content": "", "refusal": None}),
            _chunk({"content": "Hello"}),
            _chunk({"content": " there"}),
            _chunk({}, "stop"),
            _usage_chunk(USAGE),
            done=True,
        ),
        expect=Expected(
            text="Hello there",
            finish_reason=FinishReason.STOP,
            raw_finish_reason="stop",
            usage=PLAIN,
        ),
    ),
    Fixture(
        # OpenAI adds "obfuscation" to chunks; a chunk after the usage chunk (without
        # usage) used to reset usage to zero.
        name="usage-then-a-chunk-without-usage",
        family="openai-chat",
        stream=sse(
            _chunk({"role": "assistant", "content": "Hi"}, obfuscation="a1b2"),
            _chunk({}, "stop", obfuscation="c3"),
            _usage_chunk(DETAILED_USAGE),
            {**_chunk({}), "choices": [], "usage": None, "obfuscation": "zz9"},
            done=True,
        ),
        expect=Expected(text="Hi", raw_finish_reason="stop", usage=DETAILED),
    ),
    Fixture(
        name="every-usage-detail",
        family="openai-chat",
        whole=_completion({"content": "Fine."}, usage=DETAILED_USAGE),
        stream=sse(
            _chunk({"role": "assistant", "content": "Fine."}),
            _chunk({}, "stop"),
            _usage_chunk(DETAILED_USAGE),
            done=True,
        ),
        expect=Expected(text="Fine.", raw_finish_reason="stop", usage=DETAILED),
    ),
    Fixture(
        name="parallel-tool-calls-out-of-order",
        family="openai-chat",
        whole=_completion(
            {
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "time", "arguments": '{"tz":"CET"}'},
                    },
                ]
            },
            "tool_calls",
        ),
        # Streamed in pieces; the second call starts before the first is complete, and
        # the first one's arguments continue after it (servers that interleave).
        stream=sse(
            _chunk({"role": "assistant", "content": None}),
            _chunk({"tool_calls": [_call(0, "call_a", "weather", "")]}),
            _chunk({"tool_calls": [_call(0, args='{"ci')]}),
            _chunk({"tool_calls": [_call(1, "call_b", "time", '{"tz"')]}),
            _chunk({"tool_calls": [_call(0, args='ty":"Rome"}')]}),
            _chunk({"tool_calls": [_call(1, args=':"CET"}')]}),
            _chunk({}, "tool_calls"),
            _usage_chunk(USAGE),
            done=True,
        ),
        expect=Expected(
            tool_calls=[("call_a", "weather", {"city": "Rome"}), ("call_b", "time", {"tz": "CET"})],
            finish_reason=FinishReason.TOOL_CALLS,
            raw_finish_reason="tool_calls",
            usage=PLAIN,
        ),
    ),
    Fixture(
        name="tool-call-indexes-out-of-order",
        family="openai-chat",
        stream=sse(
            _chunk({"tool_calls": [_call(1, "call_b", "time", '{"tz":"CET"}')]}),
            _chunk({"tool_calls": [_call(0, "call_a", "weather", '{"city":"Rome"}')]}),
            _chunk({}, "tool_calls"),
            done=True,
        ),
        expect=Expected(
            tool_calls=[("call_a", "weather", {"city": "Rome"}), ("call_b", "time", {"tz": "CET"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    Fixture(
        name="text-then-tool-call",
        family="openai-chat",
        whole=_completion(
            {
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": "{}"},
                    }
                ],
            },
            "tool_calls",
        ),
        stream=sse(
            _chunk({"content": "Let me "}),
            _chunk({"content": "check."}),
            _chunk({"tool_calls": [_call(0, "call_1", "weather", "")]}),
            _chunk({}, "tool_calls"),
            done=True,
        ),
        expect=Expected(
            text="Let me check.",
            tool_calls=[("call_1", "weather", {})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    Fixture(
        # A refusal is the answer: kept as text (it used to be dropped).
        name="refusal",
        family="openai-chat",
        whole=_completion({"refusal": "I can't help with that."}),
        stream=sse(
            _chunk({"role": "assistant", "content": None, "refusal": ""}),
            _chunk({"refusal": "I can't "}),
            _chunk({"refusal": "help with that."}),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="I can't help with that.", raw_finish_reason="stop"),
    ),
    Fixture(
        name="logprobs",
        family="openai-chat",
        whole={
            **_completion({"content": "Hi!"}),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hi!"},
                    "logprobs": {"content": [_logprob("Hi"), _logprob("!")], "refusal": None},
                    "finish_reason": "stop",
                }
            ],
        },
        stream=sse(
            {
                **_chunk({}),
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "Hi"},
                        "logprobs": {"content": [_logprob("Hi")], "refusal": None},
                        "finish_reason": None,
                    }
                ],
            },
            {
                **_chunk({}),
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "!"},
                        "logprobs": {"content": [_logprob("!")], "refusal": None},
                        "finish_reason": "stop",
                    }
                ],
            },
            done=True,
        ),
        expect=Expected(text="Hi!", raw_finish_reason="stop"),
    ),
    Fixture(
        name="length",
        family="openai-chat",
        whole=_completion({"content": "Once upon a"}, "length"),
        stream=sse(_chunk({"content": "Once upon a"}), _chunk({}, "length"), done=True),
        expect=Expected(
            text="Once upon a", finish_reason=FinishReason.LENGTH, raw_finish_reason="length"
        ),
    ),
    Fixture(
        name="content-filter",
        family="openai-chat",
        whole=_completion({"content": ""}, "content_filter"),
        stream=sse(_chunk({"role": "assistant"}), _chunk({}, "content_filter"), done=True),
        expect=Expected(
            finish_reason=FinishReason.CONTENT_FILTER, raw_finish_reason="content_filter"
        ),
    ),
    Fixture(
        # n=2: a whole answer is read from choices[0]; a stream sends each choice's
        # deltas with its index, and only the first answer is read there too.
        name="two-choices",
        family="openai-chat",
        whole={
            **_completion({"content": "First"}),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "First"},
                    "finish_reason": "stop",
                },
                {
                    "index": 1,
                    "message": {"role": "assistant", "content": "Second"},
                    "finish_reason": "stop",
                },
            ],
        },
        stream=sse(
            {**_chunk({}), "choices": [{"index": 0, "delta": {"content": "Fir"}}]},
            {**_chunk({}), "choices": [{"index": 1, "delta": {"content": "Sec"}}]},
            {**_chunk({}), "choices": [{"index": 1, "delta": {"content": "ond"}}]},
            {**_chunk({}), "choices": [{"index": 0, "delta": {"content": "st"}}]},
            {**_chunk({}), "choices": [{"index": 1, "delta": {}, "finish_reason": "length"}]},
            {**_chunk({}), "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            done=True,
        ),
        expect=Expected(text="First", raw_finish_reason="stop"),
    ),
    Fixture(
        # Web search models (gpt-4o-search-preview) cite with url_citation annotations.
        name="url-citations",
        family="openai-chat",
        whole=_completion({"content": "Rome is sunny.", "annotations": [CITATION]}),
        stream=sse(
            _chunk({"role": "assistant", "content": "Rome is sunny."}),
            _chunk({"annotations": [CITATION]}),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(
            text="Rome is sunny.", sources=["https://example.com/rome"], raw_finish_reason="stop"
        ),
    ),
    Fixture(
        # An annotation type this translator does not know is reported, not dropped.
        name="unknown-annotation",
        family="openai-chat",
        whole=_completion(
            {"content": "See file.", "annotations": [{"type": "file_path", "file_path": {}}]}
        ),
        stream=sse(
            _chunk({"content": "See file."}),
            _chunk({"annotations": [{"type": "file_path", "file_path": {}}]}),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="See file.", warnings=["annotation of type 'file_path'"]),
    ),
    Fixture(
        # Audio output (modalities ["text", "audio"]): the transcript is the text, the
        # audio a generated file. A stream sends pcm16 in base64 pieces.
        name="audio",
        family="openai-chat",
        whole=_completion(
            {
                "audio": {
                    "id": "audio_1",
                    "data": _b64(WAV),
                    "expires_at": 1700000000,
                    "transcript": "Hello!",
                }
            }
        ),
        stream=sse(
            _chunk({"role": "assistant", "content": None}),
            _chunk({"audio": {"id": "audio_1", "transcript": "Hel"}}),
            _chunk({"audio": {"transcript": "lo!"}}),
            _chunk({"audio": {"data": _b64(PCM_1)}}),
            _chunk({"audio": {"data": _b64(PCM_2), "expires_at": 1700000000}}),
            _chunk({}, "stop"),
            done=True,
        ),
        expect=Expected(text="Hello!", files=["audio/wav"]),
        stream_expect=Expected(text="Hello!", files=["audio/pcm"]),
    ),
    Fixture(
        # The deprecated function_call (only when a request sends "functions", which
        # fantasy never does) is reported, not read.
        name="deprecated-function-call",
        family="openai-chat",
        whole=_completion(
            {"function_call": {"name": "weather", "arguments": "{}"}}, "function_call"
        ),
        stream=sse(
            _chunk({"function_call": {"name": "weather", "arguments": ""}}),
            _chunk({"function_call": {"arguments": "{}"}}),
            _chunk({}, "function_call"),
            done=True,
        ),
        expect=Expected(
            finish_reason=FinishReason.TOOL_CALLS,
            raw_finish_reason="function_call",
            warnings=["function_call"],
        ),
    ),
]
