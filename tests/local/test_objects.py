"""Structured output on the real engine: the schema becomes the grammar (the native
object mode), so the object parses and validates however noisy the model."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

import fantasy
from fantasy.objects import ObjectCall
from fantasy.objects.validate import Validator
from fantasy.providers import llamacpp
from fantasy.types import FinishReason, user_message
from tests.local.support import local_provider


class Person(BaseModel):
    name: str = Field(max_length=12)
    age: int
    city: typing.Literal["Paris", "Rome", "Oslo"]
    tags: list[typing.Literal["a", "b"]] = Field(max_length=3)
    member: bool


def options(seed: int) -> dict[str, object]:
    return {"llamacpp": llamacpp.ProviderOptions(seed=seed)}


@pytest.mark.parametrize("seed", range(4))
def test_generate_object_is_valid_for_the_type(provider: llamacpp.Provider, seed: int) -> None:
    result = fantasy.generate_object(
        provider.language_model(),
        "Alice, 30, from Paris",
        Person,
        max_output_tokens=600,
        provider_options=options(seed),
    )
    assert isinstance(result.object, Person)
    assert len(result.object.name) <= 12
    assert result.finish_reason == FinishReason.STOP
    assert result.usage.output_tokens > 0


async def test_async_and_streamed_objects_are_valid(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    result = await fantasy.agenerate_object(
        model, "Alice", Person, max_output_tokens=600, provider_options=options(1)
    )
    stream = fantasy.stream_object(
        model, "Alice", Person, max_output_tokens=600, provider_options=options(1)
    )
    partials = list(stream.partial_objects())
    assert partials and partials[-1] == result.object
    assert stream.object() == result.object
    astream = fantasy.astream_object(
        model, "Alice", Person, max_output_tokens=600, provider_options=options(1)
    )
    assert [partial async for partial in astream.partial_objects()] == partials
    assert await astream.object() == result.object


def test_the_untyped_object_call_matches_its_schema(provider: llamacpp.Provider) -> None:
    schema = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "level": {"type": "string", "enum": ["low", "high"]},
            "scores": {"type": "array", "items": {"type": "integer"}, "maxItems": 4},
        },
        "required": ["ok", "level", "scores"],
        "additionalProperties": False,
    }
    model = provider.language_model()
    for seed in range(3):
        call = ObjectCall(
            [user_message("go")], schema, max_output_tokens=400, provider_options=options(seed)
        )
        response = model.generate_object(call)
        assert Validator(schema).errors(response.object) == []


def test_tool_object_mode_goes_through_the_tool_grammar(tiny_model: Path) -> None:
    with local_provider(tiny_model, object_mode="tool", parallel_tool_calls=False) as provider:
        result = fantasy.generate_object(
            provider.language_model(),
            "Alice",
            Person,
            max_output_tokens=600,
            provider_options=options(2),
        )
    assert isinstance(result.object, Person)


class Answer(BaseModel):
    verdict: typing.Literal["yes", "no"]


def test_an_agent_with_tools_and_an_output_type(provider: llamacpp.Provider) -> None:
    calls: list[str] = []

    @fantasy.tool
    def lookup(topic: typing.Literal["cats", "dogs"]) -> str:
        """Look a topic up."""
        calls.append(topic)
        return "found"

    def prepare(step: fantasy.PrepareStepOptions) -> fantasy.PrepareStepResult | None:
        return fantasy.PrepareStepResult(
            tool_choice="required" if step.step_number == 0 else "none"
        )

    agent = fantasy.Agent(
        provider.language_model(),
        tools=[lookup],
        output_type=Answer,
        prepare_step=prepare,
        max_output_tokens=300,
        provider_options=options(3),
    )
    result = agent.generate("cats?")
    assert calls and isinstance(result.output, Answer)
