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


# Vertex AI with Model Armor, as pydantic-ai recorded it (tests/models/cassettes/
# test_google/test_google_model_armor_response_template_real_block.yaml and
# test_google_model_armor_prompt_template_text_gets_blocked.yaml): the answer blocked
# (finishReason MODEL_ARMOR, which mapped to unknown) and the prompt blocked (its
# blockReasonMessage, which the error dropped).

ARMOR_ANSWER: dict[str, Any] = {
    "candidates": [
        {
            "avgLogprobs": -1.11,
            "finishMessage": (
                "The response violated Responsible AI Safety settings "
                "(Hate Speech, Harassment, Dangerous) filters."
            ),
            "finishReason": "MODEL_ARMOR",
        }
    ],
    "createTime": "2026-07-22T23:37:37.029264Z",
    "modelVersion": "gemini-2.5-flash",
    "responseId": "QVRhatDkAeqe7dcPlP-i8QM",
    "usageMetadata": {
        "candidatesTokenCount": 6,
        "promptTokenCount": 19,
        "thoughtsTokenCount": 27,
        "totalTokenCount": 52,
        "trafficType": "ON_DEMAND",
    },
}

ARMOR_PROMPT: dict[str, Any] = {
    "createTime": "2026-05-27T16:53:45.443719Z",
    "modelVersion": "gemini-2.5-flash",
    "promptFeedback": {
        "blockReason": "MODEL_ARMOR",
        "blockReasonMessage": "The prompt violated Prompt Injection and Jailbreak filters.",
    },
    "responseId": "mSEXaseKG-P51PIPwv66qQs",
    "usageMetadata": {"trafficType": "ON_DEMAND"},
}


def test_model_armor_on_the_answer(server: FaultServer) -> None:
    with pytest.raises(FantasyError, match=r"finish reason MODEL_ARMOR: The response violated"):
        whole("google", server, ARMOR_ANSWER)
    seen = streamed("google", server, sse(ARMOR_ANSWER), 61)
    assert seen.errors == []
    assert seen.finish is FinishReason.CONTENT_FILTER
    assert seen.raw_finish == "MODEL_ARMOR"


def test_model_armor_on_the_prompt_says_which_filter(server: FaultServer) -> None:
    said = r"prompt blocked: MODEL_ARMOR: The prompt violated Prompt Injection"
    with pytest.raises(FantasyError, match=said):
        whole("google", server, ARMOR_PROMPT)
    seen = streamed("google", server, sse(ARMOR_PROMPT), 61)
    assert len(seen.errors) == 1
    assert isinstance(seen.errors[0], FantasyError)
    assert "The prompt violated Prompt Injection and Jailbreak filters." in str(seen.errors[0])
