"""Gemini candidates that stop without content, as projects that use Gemini record them.

``{"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "finishMessage":
"Malformed function call: ...", "index": 0}]}`` (a call the model wrote as code
instead of JSON) and ``{"finishReason": "SAFETY", "safetyRatings": [...]}`` come with
no ``content`` at all. Fantasy's ``generate`` raises "no response from model" for
them; the error now says which finish reason and message the candidate gave, which
it dropped (a user retrying on MALFORMED_FUNCTION_CALL could not tell it from an
empty answer). The stream of the same answer finishes with that reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy.errors import FantasyError
from fantasy.types import FinishReason
from tests.faults.server import FaultServer
from tests.recorded.replay import sse, streamed, whole

MALFORMED: dict[str, Any] = {
    "candidates": [
        {
            "finishReason": "MALFORMED_FUNCTION_CALL",
            "finishMessage": (
                "Malformed function call: print(default_api.get_mod_details(mod_id=railways"
            ),
            "index": 0,
        }
    ],
    "usageMetadata": {"promptTokenCount": 3000, "totalTokenCount": 3000},
    "modelVersion": "gemini-2.5-flash",
    "responseId": "x1VaaeO1CoOmnvgPyMPQsQ0",
}

SAFETY: dict[str, Any] = {
    "candidates": [
        {
            "finishReason": "SAFETY",
            "index": 0,
            "safetyRatings": [
                {
                    "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                    "probability": "HIGH",
                    "blocked": True,
                }
            ],
        }
    ],
    "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
    "modelVersion": "gemini-2.5-flash",
}


def test_generate_says_the_call_was_malformed_and_how(server: FaultServer) -> None:
    with pytest.raises(FantasyError) as caught:
        whole("google", server, MALFORMED)
    message = str(caught.value)
    assert "no response from model" in message
    assert "MALFORMED_FUNCTION_CALL" in message
    assert "get_mod_details(mod_id=railways" in message


def test_generate_says_the_answer_was_blocked(server: FaultServer) -> None:
    with pytest.raises(FantasyError, match=r"finish reason SAFETY\)"):
        whole("google", server, SAFETY)


def test_a_long_finish_message_is_cut(server: FaultServer) -> None:
    data = json.loads(json.dumps(MALFORMED))
    data["candidates"][0]["finishMessage"] = "Malformed function call: " + "x" * 10_000
    with pytest.raises(FantasyError) as caught:
        whole("google", server, data)
    assert len(str(caught.value)) < 700


@pytest.mark.parametrize(
    ("data", "finish"),
    [(MALFORMED, FinishReason.ERROR), (SAFETY, FinishReason.CONTENT_FILTER)],
    ids=["malformed", "safety"],
)
def test_the_stream_finishes_with_the_reason(
    server: FaultServer, data: dict[str, Any], finish: FinishReason
) -> None:
    seen = streamed("google", server, sse(data), 61)
    assert seen.errors == []
    assert seen.finish is finish
    assert seen.raw_finish == data["candidates"][0]["finishReason"]
    assert seen.usage is not None
    assert seen.usage.input_tokens == data["usageMetadata"]["promptTokenCount"]
