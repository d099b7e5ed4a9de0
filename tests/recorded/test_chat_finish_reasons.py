"""Finish reasons that OpenAI-compatible servers spell their own way.

OpenAI's Chat Completions finishes with ``stop``, ``length``, ``content_filter`` or
``tool_calls``. Servers that speak its format document more: Mistral ``model_length``
(the model's context is full) and ``error``; DeepSeek ``insufficient_system_resource``
(generation cut off for lack of capacity); vLLM ``abort``; Hugging Face TGI
``eos_token`` and ``stop_sequence``; and ``eos`` from servers that name the
end-of-sequence token (Fantasy's own tests send it). Fantasy reads every one of them as
``unknown``, so a truncated answer looked like neither a stop nor a cut. Each is now
mapped, and the server's word stays in ``raw_finish_reason``.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.types import FinishReason
from tests.faults.server import FaultServer
from tests.recorded.replay import SIZES, sse, streamed, whole

MAPPED = {
    "eos": FinishReason.STOP,
    "eos_token": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "model_length": FinishReason.LENGTH,
    "insufficient_system_resource": FinishReason.ERROR,
    "error": FinishReason.ERROR,
    "abort": FinishReason.ERROR,
}


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "cmpl-7f3a",
        "object": "chat.completion.chunk",
        "created": 1744000000,
        "model": "mistral-large-latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def answer(finish: str) -> dict[str, Any]:
    return {
        "id": "cmpl-7f3a",
        "object": "chat.completion",
        "created": 1744000000,
        "model": "mistral-large-latest",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "The answer is"},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }


@pytest.mark.parametrize("raw", sorted(MAPPED))
def test_a_whole_answer_maps_the_servers_finish_reason(server: FaultServer, raw: str) -> None:
    seen = whole("openaicompat", server, answer(raw))
    assert seen.text == "The answer is"
    assert (seen.finish, seen.raw_finish) == (MAPPED[raw], raw)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("raw", sorted(MAPPED))
def test_a_stream_maps_the_servers_finish_reason(server: FaultServer, raw: str, size: int) -> None:
    body = sse(
        chunk({"role": "assistant", "content": "The answer"}),
        chunk({"content": " is"}),
        chunk({}, finish=raw),
        done=True,
    )
    seen = streamed("openaicompat", server, body, size)
    assert not seen.errors
    assert seen.text == "The answer is"
    assert (seen.finish, seen.raw_finish) == (MAPPED[raw], raw)


def test_an_unknown_spelling_stays_unknown_with_its_word(server: FaultServer) -> None:
    seen = whole("openai", server, answer("end_of_turn"))
    assert (seen.finish, seen.raw_finish) == (FinishReason.UNKNOWN, "end_of_turn")
