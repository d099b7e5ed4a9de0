"""Typed agent output (``Agent(..., output_type=...)``) with FakeModel: the modes, the
validation retries, every kind of output type, per-call override, both faces, streamed
partial outputs, and a saved run that resumes into its typed output."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

import fantasy
from fantasy.agent.output import DEFAULT_OUTPUT_RETRIES, FINAL_TOOL_NAME
from fantasy.errors import NoObjectGeneratedError
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.testing.fake import stream_parts_for_text
from fantasy.types import Role, StreamPartType, ToolResultOutputError


class Invoice(BaseModel):
    number: str
    total: float


class Refund(BaseModel):
    reason: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(TypedDict):
    a: str
    b: int


def lookup(number: str) -> str:
    """Look up an invoice."""
    return f"invoice {number}: 12.5"


def final(value: Any) -> Any:
    return tool_call_response(FINAL_TOOL_NAME, value)


def native_model(*items: Any) -> FakeModel:
    model = FakeModel(list(items))
    model.native_object_output = True
    model.native_output_with_tools = True
    return model


# --------------------------------------------------------------------------- modes


def test_tool_mode_runs_the_tools_then_returns_the_final_tools_input() -> None:
    model = FakeModel(
        [tool_call_response("lookup", {"number": "A1"}), final({"number": "A1", "total": 12.5})]
    )
    result = fantasy.Agent(model, tools=[lookup], output_type=Invoice).generate("A1?")
    assert result.output == Invoice(number="A1", total=12.5)
    assert [t.name for t in model.calls[0].tools] == ["lookup", FINAL_TOOL_NAME]
    assert model.calls[0].response_format is None
    # The final call is answered in the history, so the conversation can go on.
    last = result.all_messages()[-1]
    assert last.role is Role.TOOL


def test_native_mode_sends_the_response_format_beside_the_tools() -> None:
    model = native_model(
        tool_call_response("lookup", {"number": "A1"}), text_response('{"number":"A1","total":3}')
    )
    result = fantasy.Agent(model, tools=[lookup], output_type=Invoice).generate("A1?")
    assert result.output == Invoice(number="A1", total=3)
    assert model.calls[0].response_format is not None
    assert model.calls[0].response_format.name == "Invoice"
    assert [t.name for t in model.calls[0].tools] == ["lookup"]


def test_native_without_tools_support_falls_back_to_the_tool() -> None:
    model = FakeModel([final({"number": "A1", "total": 1})])
    model.native_object_output = True  # but not with tools
    fantasy.Agent(model, tools=[lookup], output_type=Invoice).generate("A1?")
    assert model.calls[0].response_format is None
    assert model.calls[0].tools[-1].name == FINAL_TOOL_NAME
    # Without tools the same model goes native.
    model.add(text_response('{"number":"A1","total":1}'))
    fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert model.calls[-1].response_format is not None


def test_text_mode_forced_reads_json_out_of_prose() -> None:
    model = native_model(text_response('Here:\n```json\n{"number": "A1", "total": 2}\n```'))
    agent = fantasy.Agent(model, output_type=Invoice, output_mode="text", system_prompt="Be brief.")
    assert agent.generate("A1?").output == Invoice(number="A1", total=2)
    system = model.calls[0].prompt[0]
    assert system.role is Role.SYSTEM
    assert "Be brief." in system.content[0].text  # type: ignore[union-attr]
    assert "You must respond with valid JSON" in system.content[0].text  # type: ignore[union-attr]
    assert model.calls[0].response_format is None and not model.calls[0].tools


def test_model_object_mode_tool_is_honoured() -> None:
    model = native_model(final({"number": "A1", "total": 1}))
    model.object_mode = "tool"
    fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert model.calls[0].tools[-1].name == FINAL_TOOL_NAME


def test_unknown_output_mode_is_refused_when_built() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="output_mode"):
        fantasy.Agent(FakeModel([]), output_type=Invoice, output_mode="json-ish")


def test_output_options_without_an_output_type_are_refused() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="need output_type"):
        fantasy.Agent(FakeModel([]), output_retries=1)
    with pytest.raises(fantasy.InvalidArgumentError, match="need output_type"):
        fantasy.Agent(FakeModel([])).generate("go", output_mode="tool")


def test_native_mode_forced_on_a_model_without_it_is_refused() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="no native structured output"):
        fantasy.Agent(FakeModel([]), output_type=Invoice, output_mode="native")
    agent = fantasy.Agent(FakeModel([]), output_type=Invoice)
    with pytest.raises(fantasy.InvalidArgumentError, match="no native structured output"):
        agent.generate("go", output_mode="native")


def test_a_schema_the_provider_cannot_express_fails_when_built() -> None:
    from fantasy.providers import openai
    from fantasy.schema_dialects import SchemaError

    class Loose(BaseModel):
        extra: dict[str, int]

    model = openai.Provider(api_key="k").language_model("gpt-4o")
    with pytest.raises(SchemaError, match="extra"):
        fantasy.Agent(model, tools=[lookup], output_type=Loose)


# --------------------------------------------------------------------------- retries


def test_an_invalid_final_call_goes_back_with_the_validation_message() -> None:
    model = FakeModel(
        [final({"number": "A1", "total": "lots"}), final({"number": "A1", "total": 4})]
    )
    result = fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert result.output.total == 4
    sent = model.calls[1].prompt[-1]
    assert sent.role is Role.TOOL
    error = sent.content[0].output  # type: ignore[union-attr]
    assert isinstance(error, ToolResultOutputError)
    assert "total" in error.error and FINAL_TOOL_NAME in error.error


def test_an_invalid_native_answer_goes_back_as_a_user_message() -> None:
    model = native_model(
        text_response('{"number": "A1"}'), text_response('{"number":"A1","total":1}')
    )
    result = fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert result.output.total == 1
    retry = model.calls[1].prompt[-1]
    assert retry.role is Role.USER and "total" in retry.content[0].text  # type: ignore[union-attr]
    # The retry request is part of the history, so a saved run replays it.
    assert retry in result.all_messages()


def test_a_text_answer_in_tool_mode_asks_for_the_final_tool() -> None:
    model = FakeModel([text_response("It is 12.5."), final({"number": "A1", "total": 12.5})])
    result = fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert result.output.total == 12.5
    assert FINAL_TOOL_NAME in model.calls[1].prompt[-1].content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("retries", [0, 1, DEFAULT_OUTPUT_RETRIES])
def test_retries_spent_raise_no_object_generated_with_the_last_text(retries: int) -> None:
    answers = [text_response(f"not json {i}") for i in range(retries + 1)]
    model = native_model(*answers)
    agent = fantasy.Agent(model, output_type=Invoice, output_retries=retries)
    with pytest.raises(NoObjectGeneratedError) as info:
        agent.generate("A1?")
    assert info.value.raw_text == f"not json {retries}"
    assert len(model.calls) == retries + 1
    assert model.remaining == 0
    # The run so far, the last answer included, so it can be saved and resumed.
    partial = info.value.partial_result  # type: ignore[attr-defined]
    assert len(partial.steps) == retries + 1
    assert partial.text == f"not json {retries}"


def test_a_run_stopped_before_its_output_raises() -> None:
    model = FakeModel([tool_call_response("lookup", {"number": "A1"})])
    agent = fantasy.Agent(model, tools=[lookup], output_type=Invoice, stop_when=lambda s: True)
    with pytest.raises(NoObjectGeneratedError, match="ended before"):
        agent.generate("A1?")


# --------------------------------------------------------------------------- output types


@pytest.mark.parametrize(
    ("output_type", "value", "expected"),
    [
        (Point, {"x": 1, "y": 2}, Point(1, 2)),
        (Pair, {"a": "x", "b": 2}, {"a": "x", "b": 2}),
        (int, {"result": 7}, 7),
        (list[int], {"result": [1, 2]}, [1, 2]),
        (Invoice | Refund, {"result": {"reason": "late"}}, Refund(reason="late")),
    ],
)
def test_every_kind_of_output_type(output_type: Any, value: Any, expected: Any) -> None:
    model = FakeModel([final(value)])
    result = fantasy.Agent(model, output_type=output_type).generate("go")
    assert result.output == expected
    schema = model.calls[0].tools[-1].input_schema
    assert schema["type"] == "object"  # scalars, lists and unions travel wrapped


def test_without_an_output_type_the_output_is_the_text() -> None:
    result = fantasy.Agent(FakeModel([text_response("hi")])).generate("go")
    assert result.output == "hi"


def test_per_call_output_type_overrides_the_agents() -> None:
    model = FakeModel([final({"reason": "late"}), text_response("plain")])
    agent = fantasy.Agent(model, output_type=Invoice)
    assert agent.generate("go", output_type=Refund).output == Refund(reason="late")
    assert agent.generate("go", output_type=str).output == "plain"  # str: the text


# --------------------------------------------------------------------------- faces


def test_agenerate_gives_the_same_typed_output() -> None:
    model = FakeModel(
        [tool_call_response("lookup", {"number": "A1"}), final({"number": "A1", "total": 12.5})]
    )
    agent = fantasy.Agent(model, tools=[lookup], output_type=Invoice)
    assert asyncio.run(agent.agenerate("A1?")).output == Invoice(number="A1", total=12.5)


def _native_stream() -> FakeModel:
    return native_model(
        tool_call_response("lookup", {"number": "A1"}),
        stream_parts_for_text(['{"number": "A', '1", "to', 'tal": 12', ".5}"]),
    )


def test_stream_yields_tools_text_and_growing_partial_outputs() -> None:
    agent = fantasy.Agent(_native_stream(), tools=[lookup], output_type=Invoice)
    stream = agent.stream("A1?")
    parts = list(stream)
    kinds = [p.type for p in parts]
    assert StreamPartType.TOOL_CALL in kinds and StreamPartType.TOOL_RESULT in kinds
    outputs = [p.output for p in parts if p.type is StreamPartType.OUTPUT]
    assert outputs == [Invoice(number="A1", total=12), Invoice(number="A1", total=12.5)]
    assert stream.result.output == outputs[-1]


def test_astream_partial_outputs_and_text_deltas() -> None:
    async def go() -> tuple[list[Invoice], Invoice, list[str]]:
        stream = fantasy.Agent(_native_stream(), tools=[lookup], output_type=Invoice).astream("A1?")
        partials = [p async for p in stream.partial_outputs()]
        texts = [
            t
            async for t in fantasy.Agent(_native_stream(), tools=[lookup], output_type=Invoice)
            .astream("A1?")
            .text_deltas()
        ]
        return partials, (await stream.collect()).output, texts

    partials, output, texts = asyncio.run(go())
    assert partials[-1] == output == Invoice(number="A1", total=12.5)
    assert "".join(texts) == '{"number": "A1", "total": 12.5}'


def test_streamed_tool_mode_grows_from_the_final_tools_input() -> None:
    model = FakeModel(
        [tool_call_response("lookup", {"number": "A1"}), final({"number": "A1", "total": 12.5})]
    )
    stream = fantasy.Agent(model, tools=[lookup], output_type=Invoice).stream("A1?")
    partials = list(stream.partial_outputs())
    assert partials[-1] == Invoice(number="A1", total=12.5)
    assert stream.result.output == partials[-1]
    results = [r.tool_name for r in stream.result.steps[-1].content.tool_results]
    assert results == [FINAL_TOOL_NAME]


def test_sync_text_deltas_are_the_text_only() -> None:
    model = FakeModel([tool_call_response("lookup", {"number": "A1"}), text_response("done")])
    assert list(fantasy.Agent(model, tools=[lookup]).stream("go").text_deltas()) == ["done"]


def test_stream_retries_an_invalid_answer_then_raises() -> None:
    model = native_model(text_response("nope"), text_response("still nope"))
    stream = fantasy.Agent(model, output_type=Invoice, output_retries=1).stream("go")
    with pytest.raises(NoObjectGeneratedError) as info:
        list(stream)
    assert info.value.raw_text == "still nope"
    assert len(info.value.partial_result.steps) == 2  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- persistence


def test_a_saved_run_resumes_into_its_typed_output() -> None:
    boom = fantasy.ProviderUnavailableError("down")
    model = FakeModel([final({"number": "A1", "total": "x"}), boom])
    agent = fantasy.Agent(model, output_type=Invoice, max_retries=0)
    with pytest.raises(fantasy.ProviderError) as info:
        agent.generate("A1?")
    partial = info.value.partial_result  # type: ignore[attr-defined]
    saved = fantasy.to_json(partial.all_messages())
    messages = fantasy.from_json(saved, list[fantasy.Message])
    model.add(final({"number": "A1", "total": 9}))
    result = agent.generate(messages=messages)
    assert result.output == Invoice(number="A1", total=9)
    assert json.loads(saved)  # the failed final call and its error travel as JSON
    assert model.calls[-1].prompt[-1].role is Role.TOOL
