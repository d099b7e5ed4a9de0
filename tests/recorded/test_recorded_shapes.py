"""Shapes from other projects' recordings that fantasy already read right, kept as
regressions, each over the loopback server, streamed at three chunk sizes.

- Groq (vercel/ai, packages/groq/src/__fixtures__/groq-tool-call.chunks.txt): a call
  whole in one chunk with ``"arguments": "{}"``, usage both under ``x_groq`` and at
  the top of the last chunk.
- Azure OpenAI's content filter: a first chunk with no choices and only
  ``prompt_filter_results`` (empty id and model), ``content_filter_results`` on each
  choice, then ``finish_reason: "content_filter"``.
- OpenAI Responses (vercel/ai, openai-response-failed-only.1.chunks.txt):
  ``response.failed`` straight after ``response.created``, its error a rate limit.
- Ollama (ollama/ollama, openai/openai.go): ``system_fingerprint: "fp_ollama"``,
  thinking in ``reasoning``, ``"content": ""`` on every chunk, usage in a last chunk
  without choices.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.errors import RateLimitError
from fantasy.types import FinishReason
from tests.faults.server import FaultServer
from tests.recorded.replay import SIZES, sse, streamed


def _chunk(model: str, choice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-b610d559",
        "object": "chat.completion.chunk",
        "created": 1770770843,
        "model": model,
        "choices": [choice],
        **extra,
    }


GROQ_USAGE = {
    "queue_time": 0.04,
    "prompt_tokens": 210,
    "prompt_time": 0.01,
    "completion_tokens": 15,
    "completion_time": 0.05,
    "total_tokens": 225,
    "total_time": 0.06,
}
GROQ = sse(
    _chunk(
        "llama-3.3-70b-versatile",
        {
            "index": 0,
            "delta": {"role": "assistant", "content": None},
            "logprobs": None,
            "finish_reason": None,
        },
        x_groq={"id": "req_01kh52nj5y"},
    ),
    _chunk(
        "llama-3.3-70b-versatile",
        {
            "index": 0,
            "delta": {
                "tool_calls": [
                    {
                        "id": "tk85n1k4m",
                        "type": "function",
                        "function": {"name": "weather", "arguments": "{}"},
                        "index": 0,
                    }
                ]
            },
            "logprobs": None,
            "finish_reason": None,
        },
    ),
    _chunk(
        "llama-3.3-70b-versatile",
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"},
        x_groq={"id": "req_01kh52nj5y", "usage": GROQ_USAGE},
        usage=GROQ_USAGE,
    ),
    done=True,
)

FILTERS = {
    "hate": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
AZURE = sse(
    {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": FILTERS}],
    },
    _chunk(
        "gpt-4o-2024-05-13",
        {
            "content_filter_results": {},
            "delta": {"content": "", "role": "assistant"},
            "finish_reason": None,
            "index": 0,
            "logprobs": None,
        },
        system_fingerprint="fp_abc",
    ),
    _chunk(
        "gpt-4o-2024-05-13",
        {
            "content_filter_results": FILTERS,
            "delta": {"content": "I can"},
            "finish_reason": None,
            "index": 0,
            "logprobs": None,
        },
        system_fingerprint="fp_abc",
    ),
    _chunk(
        "gpt-4o-2024-05-13",
        {
            "content_filter_results": {"violence": {"filtered": True, "severity": "high"}},
            "delta": {},
            "finish_reason": "content_filter",
            "index": 0,
            "logprobs": None,
        },
        system_fingerprint="fp_abc",
    ),
    done=True,
)

OLLAMA = sse(
    _chunk(
        "gpt-oss:20b",
        {
            "index": 0,
            "delta": {"role": "assistant", "content": "", "reasoning": "User says hi."},
            "finish_reason": None,
        },
        system_fingerprint="fp_ollama",
    ),
    _chunk(
        "gpt-oss:20b",
        {"index": 0, "delta": {"role": "assistant", "content": "Hello!"}, "finish_reason": None},
        system_fingerprint="fp_ollama",
    ),
    _chunk(
        "gpt-oss:20b",
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"},
        system_fingerprint="fp_ollama",
    ),
    {
        "id": "chatcmpl-b610d559",
        "object": "chat.completion.chunk",
        "created": 1770770843,
        "model": "gpt-oss:20b",
        "system_fingerprint": "fp_ollama",
        "choices": [],
        "usage": {"prompt_tokens": 68, "completion_tokens": 21, "total_tokens": 89},
    },
    done=True,
)


@pytest.mark.parametrize("size", SIZES)
def test_groq_call_whole_in_one_chunk(server: FaultServer, size: int) -> None:
    seen = streamed("openaicompat", server, GROQ, size)
    assert seen.errors == []
    assert seen.calls == [("weather", {})]
    assert seen.finish is FinishReason.TOOL_CALLS
    assert seen.usage is not None
    assert (seen.usage.input_tokens, seen.usage.output_tokens) == (210, 15)


@pytest.mark.parametrize("family", ["openai", "openaicompat"])
def test_azure_content_filter(server: FaultServer, family: str) -> None:
    for size in SIZES:
        seen = streamed(family, server, AZURE, size)
        assert seen.errors == []
        assert seen.text == "I can"
        assert seen.finish is FinishReason.CONTENT_FILTER
        assert seen.raw_finish == "content_filter"
        finish = seen.parts[-1]
        assert (finish.response_id, finish.response_model) == (
            "chatcmpl-b610d559",
            "gpt-4o-2024-05-13",
        )


@pytest.mark.parametrize("size", SIZES)
def test_ollama_reasoning_and_a_usage_chunk(server: FaultServer, size: int) -> None:
    seen = streamed("openaicompat", server, OLLAMA, size)
    assert seen.errors == []
    assert (seen.reasoning, seen.text) == ("User says hi.", "Hello!")
    assert seen.finish is FinishReason.STOP
    assert seen.usage is not None and seen.usage.total_tokens == 89


def test_responses_failed_at_once_is_the_rate_limit(server: FaultServer) -> None:
    response = {
        "id": "resp_test_failed_001",
        "object": "response",
        "created_at": 1763474589,
        "model": "gpt-4o-mini",
        "output": [],
        "usage": None,
    }
    body = sse(
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": {**response, "status": "in_progress", "error": None},
        },
        {
            "type": "response.failed",
            "sequence_number": 1,
            "response": {
                **response,
                "status": "failed",
                "error": {
                    "code": "rate_limit_exceeded",
                    "message": "Request too large for gpt-4o-mini in organization"
                    " on tokens per min (TPM): Limit 30000, Requested 35364.",
                },
            },
        },
        named=True,
    )
    seen = streamed("responses", server, body, 61)
    assert seen.text == "" and seen.finish is None
    assert len(seen.errors) == 1
    assert isinstance(seen.errors[0], RateLimitError)
    assert "Requested 35364" in str(seen.errors[0])
