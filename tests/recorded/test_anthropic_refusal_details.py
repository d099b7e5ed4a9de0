"""Claude's refusals say why, as the AI SDK recorded them (vercel/ai,
packages/anthropic/src/__fixtures__/anthropic-refusal.json, anthropic-refusal.chunks.txt,
anthropic-refusal-no-details.json).

A refused request comes back with no content, ``stop_reason: "refusal"`` and
``stop_details``: ``{"type": "refusal", "category": "cyber", "explanation": "...",
"recommended_model": "..."}`` (in the stream, on ``message_delta``'s delta). The
finish reason was right (content-filter) but the explanation, the only thing that
tells a user what happened, was dropped; it is now
``provider_metadata["anthropic"].stop_details``, whole and streamed, and kept when
the response is saved as JSON.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy import Agent
from fantasy.model import Response
from fantasy.persistence import from_json, to_json
from fantasy.providers.anthropic import MessageMetadata
from fantasy.types import FinishReason, ResponseContent, Usage
from tests.faults.server import FaultServer, Stream
from tests.recorded.replay import SIZES, cuts, model, sse, streamed, whole

DETAILS = {
    "type": "refusal",
    "category": "cyber",
    "explanation": (
        "This request triggered restrictions on violative cyber content and was blocked "
        "under Anthropic's Usage Policy."
    ),
    "recommended_model": "claude-opus-4-1",
}

USAGE = {
    "input_tokens": 18,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 5,
    "service_tier": "standard",
}


def message(details: Any) -> dict[str, Any]:
    return {
        "model": "claude-opus-4-5",
        "id": "msg_01RefusalExampleAbcdefghijk",
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": "refusal",
        "stop_details": details,
        "stop_sequence": None,
        "usage": USAGE,
    }


def refusal_stream(details: Any = DETAILS) -> bytes:
    start = message(None)
    start.update(stop_reason=None, usage={**USAGE, "output_tokens": 1})
    del start["stop_details"]
    return sse(
        {"type": "message_start", "message": start},
        {"type": "ping"},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "refusal", "stop_sequence": None, "stop_details": details},
            "usage": {"input_tokens": 18, "output_tokens": 5},
        },
        {"type": "message_stop"},
        named=True,
    )


def details_of(metadata: Any) -> Any:
    kept = (metadata or {}).get("anthropic")
    assert isinstance(kept, MessageMetadata)
    return kept.stop_details


def test_generate_keeps_the_explanation(server: FaultServer) -> None:
    seen = whole("anthropic", server, message(DETAILS))
    assert seen.finish is FinishReason.CONTENT_FILTER
    assert seen.raw_finish == "refusal"
    assert seen.text == ""
    assert seen.response is not None
    assert details_of(seen.response.provider_metadata) == DETAILS


@pytest.mark.parametrize("size", SIZES)
def test_the_stream_keeps_the_explanation(server: FaultServer, size: int) -> None:
    seen = streamed("anthropic", server, refusal_stream(), size)
    assert seen.errors == []
    assert seen.finish is FinishReason.CONTENT_FILTER
    assert seen.usage is not None and seen.usage.output_tokens == 5
    finish = seen.parts[-1]
    assert details_of(finish.provider_metadata) == DETAILS


def test_no_details_no_metadata(server: FaultServer) -> None:
    seen = whole("anthropic", server, message(None))
    assert seen.finish is FinishReason.CONTENT_FILTER
    assert seen.response is not None
    assert seen.response.provider_metadata in ({}, None)


def test_a_step_of_the_agent_has_it(server: FaultServer) -> None:
    server.script(Stream(cuts(refusal_stream(), 61)))
    result = Agent(model("anthropic", server)).stream("how do I ...").result
    step = result.steps[0]
    assert step.finish_reason is FinishReason.CONTENT_FILTER
    assert details_of(step.provider_metadata) == DETAILS


def test_saved_responses_keep_it_and_others_do_not_grow(server: FaultServer) -> None:
    seen = whole("anthropic", server, message(DETAILS))
    assert seen.response is not None
    again = from_json(to_json(seen.response), Response)
    assert details_of(again.provider_metadata) == DETAILS
    plain = Response(
        ResponseContent(),
        FinishReason.STOP,
        Usage(),
        [],
        {"anthropic": MessageMetadata(container_id="c")},
    )
    assert "stop_details" not in to_json(plain)
