"""Object generation on a scripted model: the modes, the fallbacks' requests, parsing,
validation, repair, and the object stream (partials, dedupe, finish, errors)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import fantasy
from fantasy.errors import NoObjectGeneratedError, ProviderError, incomplete_stream_error
from fantasy.objects import (
    ObjectCall,
    ObjectMode,
    ObjectStreamPart,
    ObjectStreamPartType,
    PartialObjects,
    parse_and_validate,
    parse_and_validate_with_repair,
    text_mode_instruction,
)
from fantasy.testing import (
    FakeModel,
    error_part,
    finish_part,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
    text_response,
    tool_call_response,
)
from fantasy.types import StreamPart, StreamPartType, Usage

PERSON: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
    },
    "required": ["name", "age"],
}
USAGE = Usage(input_tokens=3, output_tokens=4, total_tokens=7)


def call(**kwargs: Any) -> ObjectCall:
    return ObjectCall(prompt=[fantasy.user_message("Alice, 30")], schema=PERSON, **kwargs)


def native(model: FakeModel, mode: str = "auto") -> FakeModel:
    model.native_object_output = True
    model.object_mode = mode
    return model


def parts(stream: Any) -> list[ObjectStreamPart]:
    return list(stream)


def kinds(items: list[ObjectStreamPart]) -> list[str]:
    return [p.type.value for p in items]


# --------------------------------------------------------------------------- modes


def test_default_is_tool_mode_with_fantasys_names() -> None:
    model = FakeModel([tool_call_response(("c1", "generate_object", '{"name":"A","age":3}'))])
    response = model.generate_object(call(max_output_tokens=10, temperature=0.5, top_k=3))
    assert response.object == {"name": "A", "age": 3}
    assert response.raw_text == '{"name":"A","age":3}'
    sent = model.last_call
    assert [t.name for t in sent.tools] == ["generate_object"]
    assert sent.tools[0].description == "Generate a structured object matching the schema"
    assert sent.tools[0].input_schema == PERSON
    assert sent.tool_choice == "generate_object"
    assert (sent.max_output_tokens, sent.temperature, sent.top_k) == (10, 0.5, 3)
    assert sent.response_format is None


def test_tool_mode_uses_schema_name_and_description() -> None:
    model = FakeModel([tool_call_response(("c1", "Person", '{"name":"A","age":3}'))])
    model.generate_object(call(schema_name="Person", schema_description="A person"))
    assert model.last_call.tools[0].name == "Person"
    assert model.last_call.tools[0].description == "A person"
    assert model.last_call.tool_choice == "Person"


@pytest.mark.parametrize("mode", ["auto", "json", ObjectMode.AUTO])
def test_native_mode_sends_a_response_format(mode: str) -> None:
    model = native(FakeModel([text_response('{"name":"A","age":3}', usage=USAGE)]), mode)
    response = model.generate_object(call(schema_name="Person", schema_description="d"))
    assert response.object == {"name": "A", "age": 3}
    assert response.usage == USAGE
    fmt = model.last_call.response_format
    assert fmt is not None
    assert (fmt.schema, fmt.name, fmt.description) == (PERSON, "Person", "d")
    assert not model.last_call.tools


def test_native_mode_default_schema_name_is_response() -> None:
    model = native(FakeModel([text_response('{"name":"A","age":3}')]))
    model.generate_object(call())
    assert model.last_call.response_format is not None
    assert model.last_call.response_format.name == "response"


def test_tool_mode_wins_over_native_output_when_asked() -> None:
    model = native(
        FakeModel([tool_call_response(("c", "generate_object", '{"name":"A","age":1}'))]), "tool"
    )
    model.generate_object(call())
    assert model.last_call.response_format is None
    assert model.last_call.tool_choice == "generate_object"


def test_text_mode_adds_the_instruction_as_a_system_message() -> None:
    model = FakeModel([text_response('{"name":"A","age":3}')])
    model.object_mode = "text"
    model.generate_object(call())
    prompt = model.last_call.prompt
    assert prompt[0].role is fantasy.Role.SYSTEM
    assert prompt[0].content[0].text == text_mode_instruction(PERSON)
    assert text_mode_instruction(PERSON).startswith(
        'You must respond with valid JSON that matches this schema: {"type":"object"'
    )
    assert text_mode_instruction(PERSON).endswith(
        "\nRespond ONLY with the JSON object, no additional text or explanation."
    )
    assert prompt[1].role is fantasy.Role.USER


def test_text_mode_appends_to_every_system_message_keeping_its_first_text() -> None:
    model = FakeModel([text_response('{"name":"A","age":3}')])
    model.object_mode = ObjectMode.TEXT
    prompt = [
        fantasy.system_message("Be brief.", "dropped"),
        fantasy.user_message("hi"),
        fantasy.system_message("Again."),
    ]
    model.generate_object(ObjectCall(prompt=prompt, schema=PERSON))
    sent = model.last_call.prompt
    instruction = text_mode_instruction(PERSON)
    assert [p.text for p in sent[0].content] == [f"Be brief.\n\n{instruction}"]
    assert sent[2].content[0].text == f"Again.\n\n{instruction}"
    assert len(sent) == 3


def test_unknown_mode_is_rejected() -> None:
    model = FakeModel([])
    model.object_mode = "yaml"
    with pytest.raises(ValueError, match="unknown object mode"):
        model.generate_object(call())


# --------------------------------------------------------------------------- generate errors


def test_no_tool_call_is_no_object_generated() -> None:
    model = FakeModel([text_response("I won't", usage=USAGE)])
    with pytest.raises(NoObjectGeneratedError) as info:
        model.generate_object(call())
    assert info.value.raw_text == "I won't"
    assert info.value.usage == USAGE
    assert info.value.finish_reason is fantasy.FinishReason.STOP
    assert "no tool call generated" in str(info.value)


def test_empty_text_in_native_mode_is_no_object_generated() -> None:
    model = native(FakeModel([text_response("")]))
    with pytest.raises(NoObjectGeneratedError, match="no text content"):
        model.generate_object(call())


def test_validation_failure_carries_raw_text_usage_and_reason() -> None:
    model = native(FakeModel([text_response('{"name": "A"}', usage=USAGE)]))
    with pytest.raises(NoObjectGeneratedError) as info:
        model.generate_object(call())
    err = info.value
    assert err.raw_text == '{"name": "A"}'
    assert isinstance(err.validation_error, ValueError)
    assert "missing property 'age'" in str(err)
    assert err.usage == USAGE


def test_garbage_is_a_parse_error() -> None:
    with pytest.raises(NoObjectGeneratedError) as info:
        parse_and_validate("Sure, here it is", PERSON)
    assert info.value.parse_error is not None
    assert "failed to parse object" in str(info.value)


def test_truncated_json_is_completed_then_validated() -> None:
    assert parse_and_validate('{"name": "A", "age": 4', PERSON) == {"name": "A", "age": 4}


def test_provider_errors_pass_through() -> None:
    boom = ProviderError("overloaded", status_code=529)
    model = FakeModel([boom])
    with pytest.raises(ProviderError):
        model.generate_object(call())


def test_repair_fixes_a_parse_error_sync_and_async() -> None:
    seen: list[tuple[str, BaseException]] = []

    def repair(text: str, error: BaseException) -> str:
        seen.append((text, error))
        return '{"name": "A", "age": 1}'

    async def arepair(text: str, error: BaseException) -> str:
        return '{"name": "B", "age": 2}'

    assert asyncio.run(parse_and_validate_with_repair("nope", PERSON, repair))["age"] == 1
    assert seen[0][0] == "nope"
    assert asyncio.run(parse_and_validate_with_repair("nope", PERSON, arepair))["name"] == "B"
    model = FakeModel([tool_call_response(("c", "generate_object", "{oops"))])
    assert model.generate_object(call(repair_text=repair)).object == {"name": "A", "age": 1}


def test_failed_repair_of_invalid_object_raises_the_original_validation_error() -> None:
    with pytest.raises(NoObjectGeneratedError) as info:
        asyncio.run(parse_and_validate_with_repair('{"name": "A"}', PERSON, lambda t, e: "{}"))
    assert info.value.raw_text == '{"name": "A"}'
    assert "'age'" in str(info.value)


def test_a_repair_function_that_raises_keeps_the_original_error() -> None:
    def broken(text: str, error: BaseException) -> str:
        raise RuntimeError("no")

    with pytest.raises(NoObjectGeneratedError, match="failed to parse"):
        asyncio.run(parse_and_validate_with_repair("x", PERSON, broken))


# --------------------------------------------------------------------------- streaming


def test_native_stream_emits_valid_partials_once_each_then_finish() -> None:
    deltas = ['{"na', 'me": "Al', 'ice", "a', 'ge": 3', "0", "}"]
    model = native(FakeModel([stream_parts_for_text(deltas, usage=USAGE)]))
    got = parts(model.stream_object(call()))
    objects = [p.object for p in got if p.type is ObjectStreamPartType.OBJECT]
    # Only objects that validate against the full schema: both required keys present.
    assert objects == [{"name": "Alice", "age": 3}, {"name": "Alice", "age": 30}]
    assert "".join(p.delta for p in got if p.type is ObjectStreamPartType.TEXT_DELTA) == "".join(
        deltas
    )
    assert got[-1].type is ObjectStreamPartType.FINISH
    assert got[-1].usage == USAGE
    assert got[-1].finish_reason is fantasy.FinishReason.STOP


def test_tool_stream_parses_tool_input_deltas_and_ignores_prose() -> None:
    model = FakeModel(
        [stream_parts_for_tool_calls(("c", "generate_object", '{"name":"Bo","age":5}'), text="ok")]
    )
    got = parts(model.stream_object(call()))
    objects = [p.object for p in got if p.type is ObjectStreamPartType.OBJECT]
    assert objects[-1] == {"name": "Bo", "age": 5}
    assert len(objects) == len({repr(o) for o in objects})
    text = "".join(p.delta for p in got if p.type is ObjectStreamPartType.TEXT_DELTA)
    assert text == '{"name":"Bo","age":5}'
    assert got[-1].type is ObjectStreamPartType.FINISH
    assert got[-1].finish_reason is fantasy.FinishReason.TOOL_CALLS


def test_stream_error_is_forwarded_and_ends_without_finish() -> None:
    err = incomplete_stream_error("fake")
    model = native(
        FakeModel([[*stream_parts_for_text(['{"name": "A", "age": 1'])[:-2], error_part(err)]])
    )
    got = parts(model.stream_object(call()))
    assert kinds(got)[-1] == "error"
    assert got[-1].error is err
    assert "finish" not in kinds(got)


def test_stream_without_an_object_ends_with_no_object_generated() -> None:
    model = native(FakeModel([stream_parts_for_text(["I cannot"], usage=USAGE)]))
    got = parts(model.stream_object(call()))
    assert kinds(got)[-1] == "error"
    err = got[-1].error
    assert isinstance(err, NoObjectGeneratedError)
    assert err.raw_text == "I cannot"
    assert err.usage == USAGE
    assert "no valid object generated in stream" in str(err)


def test_stream_repair_runs_once_at_the_end() -> None:
    calls: list[str] = []

    def repair(text: str, error: BaseException) -> str:
        calls.append(text)
        return '{"name": "R", "age": 9}'

    model = native(FakeModel([stream_parts_for_text(["Here: ", "{}"])]))
    got = parts(model.stream_object(call(repair_text=repair)))
    assert calls == ["Here: {}"]
    assert [p.object for p in got if p.type is ObjectStreamPartType.OBJECT] == [
        {"name": "R", "age": 9}
    ]
    assert got[-1].type is ObjectStreamPartType.FINISH


def test_stream_keeps_warnings_and_last_metadata() -> None:
    warning = fantasy.CallWarning(fantasy.CallWarningType.OTHER, message="w")
    script = [
        StreamPart(StreamPartType.WARNINGS, warnings=[warning]),
        StreamPart(StreamPartType.TEXT_DELTA, id="0", delta='{"name":"A","age":1}'),
        finish_part(USAGE, provider_metadata={"fake": {"id": 1}}),
    ]
    model = native(FakeModel([script]))
    final = parts(model.stream_object(call()))[-1]
    assert final.warnings == [warning]
    assert final.provider_metadata == {"fake": {"id": 1}}


def test_async_stream_face() -> None:
    model = native(FakeModel([stream_parts_for_text(['{"name":"A","age":1}'])]))

    async def main() -> list[ObjectStreamPart]:
        return [p async for p in model.astream_object(call())]

    assert kinds(asyncio.run(main()))[-1] == "finish"


def test_partial_objects_skip_validation_of_completed_subtrees() -> None:
    schema = {"type": "array", "items": {"type": "object", "required": ["a"]}}
    tracker = PartialObjects(schema)
    emitted = [tracker.feed(d) for d in ['[{"a": 1}', ", ", '{"a": 2}', "]"]]
    assert emitted[0] == [{"a": 1}]
    first_item = emitted[0][0]
    assert emitted[2][0] is first_item
    assert tracker.last == [{"a": 1}, {"a": 2}]
