"""``Response.response_id`` / ``response_model`` (and ``StepResult``'s) beside the older
fields: optional, kept by saving and pickling, absent from the JSON when unknown."""

from __future__ import annotations

import json
import pickle

import fantasy
from fantasy.agent.run_types import StepResult
from fantasy.types import FinishReason, ResponseContent, TextContent, Usage


def answer(**identity: str) -> fantasy.Response:
    return fantasy.Response(
        ResponseContent([TextContent("Hi")]), FinishReason.STOP, Usage(1, 2, 3), **identity
    )


def test_they_default_to_none_and_positional_construction_is_unchanged() -> None:
    response = fantasy.Response(ResponseContent(), FinishReason.STOP, Usage(), [], {}, "stop")
    assert response.response_id is None and response.response_model is None
    assert response == fantasy.Response(
        ResponseContent(), FinishReason.STOP, Usage(), [], {}, "stop"
    )


def test_saved_json_has_them_only_when_known() -> None:
    plain = json.loads(fantasy.to_json(answer()))
    assert "response_id" not in plain and "response_model" not in plain

    named = answer(response_id="chatcmpl-7", response_model="gpt-4o-2024-08-06")
    data = json.loads(fantasy.to_json(named))
    assert data["response_id"] == "chatcmpl-7"
    assert data["response_model"] == "gpt-4o-2024-08-06"
    assert fantasy.from_json(fantasy.to_json(named), fantasy.Response) == named
    assert fantasy.from_json(fantasy.to_json(answer()), fantasy.Response) == answer()


def test_a_saved_id_that_is_not_a_string_is_refused_by_name() -> None:
    data = json.loads(fantasy.to_json(answer()))
    data["response_id"] = 7
    try:
        fantasy.from_json(json.dumps(data), fantasy.Response)
    except fantasy.SerializationError as exc:
        assert "response_id" in str(exc)
    else:
        raise AssertionError("an id of 7 was accepted")


def test_they_survive_pickling_and_the_step_s_response_view() -> None:
    named = answer(response_id="msg_1", response_model="claude-sonnet-4-5-20250929")
    assert pickle.loads(pickle.dumps(named)) == named
    step = StepResult(
        named.content,
        named.finish_reason,
        named.usage,
        [],
        {},
        response_id="msg_1",
        response_model="claude-sonnet-4-5-20250929",
    )
    again = pickle.loads(pickle.dumps(step))
    assert (again.response_id, again.response_model) == ("msg_1", "claude-sonnet-4-5-20250929")
    assert step.response.response_id == "msg_1"
    assert step.response.response_model == "claude-sonnet-4-5-20250929"
