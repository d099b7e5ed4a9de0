"""The typed layer: schema from a type, instances back, and the stream's views."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import fantasy
from fantasy.errors import NoObjectGeneratedError, ProviderError
from fantasy.testing import (
    FakeModel,
    error_part,
    stream_parts_for_text,
    text_response,
    tool_call_response,
)
from fantasy.types import Usage


class Person(BaseModel):
    name: str = Field(description="The person's name")
    age: int


@dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str


USAGE = Usage(input_tokens=1, output_tokens=2, total_tokens=3)


def native(script: list[Any]) -> FakeModel:
    model = FakeModel(script)
    model.native_object_output = True
    return model


def test_generate_object_returns_an_instance_and_sends_the_types_schema() -> None:
    model = native([text_response('{"name": "Alice", "age": 30}', usage=USAGE)])
    result = fantasy.generate_object(model, "Alice is 30", Person, system_prompt="Be exact.")
    assert result.object == Person(name="Alice", age=30)
    assert result.usage == USAGE
    assert result.raw_text == '{"name": "Alice", "age": 30}'
    sent = model.last_call
    assert sent.response_format is not None
    # No name of the type's: the provider's default, as Go's object.Generate[T] sends.
    assert sent.response_format.name == "response"
    assert sent.response_format.schema == fantasy.schema.schema_for(Person)
    assert sent.prompt[0].role is fantasy.Role.SYSTEM


def test_dataclass_typeddict_and_dict_schema() -> None:
    model = FakeModel(
        [
            tool_call_response(("1", "Point", '{"x": 1, "y": 2}')),
            tool_call_response(("2", "Movie", '{"title": "Up"}')),
            tool_call_response(("3", "generate_object", '{"k": 1}')),
        ]
    )
    assert fantasy.generate_object(model, "p", Point).object == Point(1, 2)
    assert fantasy.generate_object(model, "m", Movie).object == {"title": "Up"}
    schema = {"type": "object", "properties": {"k": {"type": "integer"}}}
    assert fantasy.generate_object(model, "k", schema).object == {"k": 1}
    assert model.last_call.tools[0].name == "generate_object"


def test_options_reach_the_call_and_unknown_ones_are_rejected() -> None:
    model = native([text_response('{"name": "A", "age": 1}')])
    fantasy.generate_object(
        model,
        [fantasy.user_message("hi")],
        Person,
        schema_name="P",
        schema_description="desc",
        max_output_tokens=5,
        temperature=0.1,
        top_p=0.2,
        top_k=3,
        presence_penalty=0.4,
        frequency_penalty=0.5,
        headers={"X-A": "1"},
        user_agent="ua",
        provider_options={"fake": {}},
    )
    sent = model.last_call
    assert sent.response_format is not None
    assert (sent.response_format.name, sent.response_format.description) == ("P", "desc")
    assert (sent.max_output_tokens, sent.top_k, sent.frequency_penalty) == (5, 3, 0.5)
    assert sent.headers == {"X-A": "1"} and sent.user_agent == "ua"
    with pytest.raises(TypeError, match="tools"):
        fantasy.generate_object(model, "x", Person, tools=[])


def test_an_object_that_does_not_fit_the_type_is_no_object_generated() -> None:
    schema_ok_type_not = '{"name": "A", "age": 1.5}'  # 1.5 is no int for pydantic
    model = FakeModel([tool_call_response(("1", "Person", schema_ok_type_not))])
    with pytest.raises(NoObjectGeneratedError):
        fantasy.generate_object(model, "x", Person)


def test_agenerate_object() -> None:
    model = native([text_response('{"name": "A", "age": 2}')])
    result = asyncio.run(fantasy.agenerate_object(model, "x", Person))
    assert result.object.age == 2


def test_stream_views_share_one_stream() -> None:
    deltas = ['{"name": "Al', 'ice", "age": 3', "0}"]
    model = native([stream_parts_for_text(deltas, usage=USAGE)])
    stream = fantasy.stream_object(model, "x", Person)
    partials = list(stream.partial_objects())
    assert partials == [Person(name="Alice", age=3), Person(name="Alice", age=30)]
    result = stream.result
    assert result.object == Person(name="Alice", age=30)
    assert result.usage == USAGE
    assert result.finish_reason is fantasy.FinishReason.STOP
    assert result.raw_text == "".join(deltas)


def test_stream_text_and_raw_parts() -> None:
    model = native([stream_parts_for_text(['{"name": "A", ', '"age": 1}'])] * 2)
    assert "".join(fantasy.stream_object(model, "x", Person).text_stream()) == (
        '{"name": "A", "age": 1}'
    )
    kinds = [p.type.value for p in fantasy.stream_object(model, "x", Person)]
    assert kinds[-1] == "finish"


def test_stream_object_drains_and_raises_stream_errors() -> None:
    boom = ProviderError("overloaded", status_code=529)
    model = native([[*stream_parts_for_text(['{"name": "A"'])[:-2], error_part(boom)]] * 2)
    with pytest.raises(ProviderError):
        fantasy.stream_object(model, "x", Person).object()
    raw = list(fantasy.stream_object(model, "x", Person))
    assert raw[-1].error is boom  # the raw parts report, the typed views raise


def test_astream_object() -> None:
    model = native([stream_parts_for_text(['{"name": "A", "age": 4}'])] * 2)

    async def main() -> tuple[list[Person], Person]:
        stream = fantasy.astream_object(model, "x", Person)
        partials = [p async for p in stream.partial_objects()]
        final = await fantasy.astream_object(model, "x", Person).object()
        return partials, final

    partials, final = asyncio.run(main())
    assert partials == [Person(name="A", age=4)]
    assert final == Person(name="A", age=4)


def test_import_fantasy_does_not_load_structured_output() -> None:
    import subprocess
    import sys

    code = "import sys, fantasy; print('fantasy.objects' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_timeout_option_reaches_the_model_call() -> None:
    from fantasy.testing import FakeModel, tool_call_response

    class City(BaseModel):
        name: str

    model = FakeModel([tool_call_response(("c1", "City", '{"name": "Paris"}'))])
    result = fantasy.generate_object(model, "A city", City, timeout=7.5)
    assert result.object == City(name="Paris")
    assert model.calls[0].timeout == 7.5


def test_unknown_option_is_refused() -> None:
    from fantasy.testing import FakeModel

    with pytest.raises(TypeError, match=r"argument 'timout'; did you mean 'timeout'\?"):
        fantasy.generate_object(FakeModel([]), "A city", {"type": "object"}, timout=3)
