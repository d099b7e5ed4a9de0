"""A durable run keeps what each answer says of itself (its id, the model that wrote it):
through the activity's stream collector and through the workflow's JSON (no server
needed: both are plain code)."""

from __future__ import annotations

import json
from typing import Any

import fantasy
from fantasy.durable.temporal import codec
from fantasy.durable.temporal.activities import StreamCollector
from fantasy.model import Response
from fantasy.testing import FakeModel
from fantasy.types import FinishReason, StreamPart, StreamPartType, TextContent, Usage


def through_json(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value))  # type: ignore[no-any-return]


def named(text: str) -> Response:
    return Response(
        fantasy.ResponseContent([TextContent(text)]),
        FinishReason.STOP,
        Usage(1, 2, 3),
        response_id="msg_1",
        response_model="claude-sonnet-4-5-20250929",
    )


def test_a_streamed_answer_collected_keeps_its_id_and_model() -> None:
    collector = StreamCollector()
    for part in (
        StreamPart(StreamPartType.TEXT_START, id="0"),
        StreamPart(StreamPartType.TEXT_DELTA, id="0", delta="hi"),
        StreamPart(StreamPartType.TEXT_END, id="0"),
        StreamPart(
            StreamPartType.FINISH,
            usage=Usage(1, 2, 3),
            finish_reason=FinishReason.STOP,
            response_id="msg_1",
            response_model="claude-sonnet-4-5-20250929",
        ),
    ):
        collector.add(part)
    response = collector.response()
    assert (response.response_id, response.response_model) == (
        "msg_1",
        "claude-sonnet-4-5-20250929",
    )


def test_a_response_and_a_run_result_keep_them_through_json() -> None:
    response = named("hello")
    assert codec.response_from_json(through_json(codec.response_to_json(response))) == response

    result = fantasy.Agent(FakeModel([named("done")])).generate("go")
    back = codec.result_from_json(through_json(codec.result_to_json(result)))
    assert back.steps[0].response_id == "msg_1"
    assert back.steps[0].response_model == "claude-sonnet-4-5-20250929"
