"""Fantasy's public helpers, ported: ParseOptions for every provider, the reasoning and
cache-control getters, IsResponsesReasoningModel, ProviderMetadata.ExtraField, typed
OpenRouter usage and Vercel BYOK, the partial-JSON parser and schema validator, an object
stream from any object-part iterator, and the typed-object default schema name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import fantasy
from fantasy.errors import InvalidArgumentError
from fantasy.model import Call
from fantasy.objects import (
    ObjectStreamPart,
    ObjectStreamPartType,
    ParseState,
    PartialJSONParser,
    SchemaValidationError,
    parse_partial_json,
    validate_against_schema,
)
from fantasy.providers import anthropic, google, openai, openaicompat, openrouter, vercel
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import FinishReason, Message, ReasoningPart, Role, TextPart, Usage

# --------------------------------------------------------------------------- from_dict


def test_from_dict_for_every_provider_reads_fantasys_json_shape() -> None:
    o = openai.ProviderOptions.from_dict(
        {"reasoning_effort": "low", "log_probs": True, "top_log_probs": 3, "unknown": 1}
    )
    assert (o.reasoning_effort, o.logprobs, o.top_logprobs) == ("low", True, 3)
    r = openai.ResponsesProviderOptions.from_dict(
        {"reasoning_effort": "high", "reasoning_summary": "auto"}
    )
    assert (r.reasoning_effort, r.reasoning_summary) == ("high", "auto")
    c = openaicompat.ProviderOptions.from_dict({"user": "u", "extra_body": {"top_k": 2}})
    assert (c.user, c.extra_body) == ("u", {"top_k": 2})
    o_r = openrouter.ProviderOptions.from_dict(
        {
            "reasoning": {"effort": "low", "max_tokens": 100},
            "provider": {"order": ["anthropic"], "allow_fallbacks": False},
            "log_probs": True,
        }
    )
    assert o_r.reasoning == openrouter.ReasoningOptions(effort="low", max_tokens=100)
    assert o_r.provider == openrouter.ProviderRouting(order=["anthropic"], allow_fallbacks=False)
    assert o_r.logprobs is True
    v = vercel.ProviderOptions.from_dict(
        {
            "providerOptions": {"order": ["vertex"], "zeroDataRetention": True},
            "byok": {"anthropic": [{"apiKey": "k"}]},
        }
    )
    assert v.gateway == vercel.GatewayOptions(order=["vertex"], zero_data_retention=True)
    assert v.byok == {"anthropic": [{"apiKey": "k"}]}
    # Anthropic and Google had theirs already.
    assert anthropic.ProviderOptions.from_dict({"send_reasoning": True}).send_reasoning is True
    assert google.ProviderOptions.from_dict({}) == google.ProviderOptions()


@pytest.mark.parametrize(
    ("cls", "data", "where"),
    [
        (openai.ProviderOptions, {"reasoning_effort": 5}, "openai.reasoning_effort"),
        (openrouter.ProviderOptions, {"reasoning": {"effort": 1}}, "openrouter.reasoning.effort"),
        (vercel.ProviderOptions, {"user": ["x"]}, "vercel.user"),
        (openaicompat.ProviderOptions, {"extra_body": []}, "openai-compat.extra_body"),
    ],
)
def test_from_dict_names_a_wrong_value(cls: Any, data: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidArgumentError, match=where):
        cls.from_dict(data)
    with pytest.raises(InvalidArgumentError, match="should be an object"):
        cls.from_dict(["not", "an", "object"])


def test_parsed_options_go_on_the_wire() -> None:
    bodies: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        message = {"role": "assistant", "content": "ok"}
        return httpx.Response(
            200, json={"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        )

    model = openrouter.Provider("k", transport=httpx.MockTransport(server)).language_model("a/b")
    options = openrouter.ProviderOptions.from_dict({"reasoning": {"effort": "high"}})
    model.generate(
        Call(prompt=[fantasy.user_message("hi")], provider_options={"openrouter": options})
    )
    assert bodies[0]["reasoning"] == {"effort": "high"}


# --------------------------------------------------------------------------- getters


def test_reasoning_metadata_getters() -> None:
    meta = openai.ResponsesReasoningMetadata(item_id="rs_1", summary=["s"])
    assert openai.get_reasoning_metadata({"openai": meta}) is meta
    assert openai.get_reasoning_metadata({"openai": openai.ProviderOptions()}) is None
    assert openai.get_reasoning_metadata(None) is None
    signed = anthropic.ReasoningMetadata(signature="sig")
    part = ReasoningPart("thought", provider_options={"anthropic": signed})
    assert anthropic.get_reasoning_metadata(part.provider_options) is signed
    assert anthropic.get_reasoning_metadata({}) is None
    thought = google.ReasoningMetadata(signature="c2ln")
    assert google.get_reasoning_metadata({"google": thought}) is thought
    assert google.get_reasoning_metadata({"anthropic": signed}) is None


def test_cache_control_getter() -> None:
    control = anthropic.get_cache_control(anthropic.cache_control())
    assert control == anthropic.CacheControl(type="ephemeral")
    tool_options = {"anthropic": anthropic.ToolOptions(cache_control=True)}
    assert anthropic.get_cache_control(tool_options) == anthropic.CacheControl()
    assert anthropic.get_cache_control({"anthropic": anthropic.ToolOptions()}) is None
    assert anthropic.get_cache_control(None) is None
    message = Message(Role.USER, [TextPart("hi")], provider_options=anthropic.cache_control())
    assert anthropic.get_cache_control(message.provider_options) is not None


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("o4-mini", True),
        ("o3", True),
        ("gpt-5-mini", True),
        ("gpt-4o", True),
        ("gpt-3.5-turbo", False),
        ("o1-mini", False),
        ("llama-3", False),
    ],
)
def test_is_responses_reasoning_model(model_id: str, expected: bool) -> None:
    assert openai.is_responses_reasoning_model(model_id) is expected
    # Every Responses reasoning model is a Responses model.
    if expected:
        assert openai.is_responses_model(model_id)


@dataclass
class Credits:
    remaining: int


class Billing(BaseModel):
    plan: str


def test_provider_metadata_extra_field() -> None:
    meta = openai.ProviderMetadata(
        extra_fields={"cost": 2, "plan": {"plan": "pro"}, "credits": {"remaining": 3}, "n": "x"}
    )
    assert meta.extra_field("cost") == 2
    assert meta.extra_field("cost", float) == 2.0
    assert meta.extra_field("cost", str) is None
    assert meta.extra_field("missing") is None
    assert meta.extra_field("missing", int) is None
    assert meta.extra_field("credits", Credits) == Credits(remaining=3)
    assert meta.extra_field("plan", Billing) == Billing(plan="pro")
    assert meta.extra_field("n", Credits) is None
    assert meta.extra_field("n", Billing) is None


def test_extra_field_reads_a_servers_own_usage_field_from_a_response() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        message = {"role": "assistant", "content": "ok"}
        usage = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "cost": 0.5}
        return httpx.Response(
            200,
            json={
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            },
        )

    provider = openaicompat.Provider("http://c.test/v1", transport=httpx.MockTransport(server))
    response = provider.language_model("m").generate(Call(prompt=[fantasy.user_message("hi")]))
    metadata = response.provider_metadata["openai"]
    assert isinstance(metadata, openai.ProviderMetadata)
    assert metadata.extra_field("cost", float) == 0.5


# --------------------------------------------------------------------------- typed structures


def test_openrouter_usage_accounting_is_typed() -> None:
    usage = {
        "prompt_tokens": 690,
        "completion_tokens": 120,
        "total_tokens": 810,
        "cost": 0.00129,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 10},
        "cost_details": {
            "upstream_inference_cost": 0.00129,
            "upstream_inference_prompt_cost": 0.00069,
            "upstream_inference_completions_cost": 0.0006,
        },
        "completion_tokens_details": {"reasoning_tokens": 7},
    }
    accounting = openrouter.ProviderMetadata(
        provider="Amazon Bedrock", usage=usage
    ).usage_accounting
    assert accounting == openrouter.UsageAccounting(
        prompt_tokens=690,
        prompt_tokens_details=openrouter.PromptTokensDetails(cached_tokens=10),
        completion_tokens=120,
        completion_tokens_details=openrouter.CompletionTokensDetails(reasoning_tokens=7),
        total_tokens=810,
        cost=0.00129,
        cost_details=openrouter.CostDetails(
            upstream_inference_cost=0.00129,
            upstream_inference_prompt_cost=0.00069,
            upstream_inference_completions_cost=0.0006,
        ),
    )
    # Missing or odd values read as zero, never an exception.
    odd = openrouter.UsageAccounting.from_dict({"cost": "free", "cost_details": None})
    assert odd == openrouter.UsageAccounting()


def test_vercel_byok_is_typed_and_sent_in_the_gateways_shape() -> None:
    bodies: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        message = {"role": "assistant", "content": "ok"}
        return httpx.Response(
            200, json={"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        )

    byok = vercel.BYOKOptions(
        anthropic=[vercel.BYOKCredential(api_key="sk-ant")],
        bedrock=[
            vercel.BYOKCredential(fields={"accessKeyId": "AKIA", "region": "us-east-1"}),
        ],
    )
    options = vercel.ProviderOptions(byok=byok)
    model = vercel.Provider("vk", transport=httpx.MockTransport(server)).language_model("a/b")
    model.generate(Call(prompt=[fantasy.user_message("hi")], provider_options={"vercel": options}))
    assert bodies[0]["providerOptions"] == {
        "gateway": {
            "byok": {
                "anthropic": [{"apiKey": "sk-ant"}],
                "bedrock": [{"accessKeyId": "AKIA", "region": "us-east-1"}],
            }
        }
    }
    # Saved and loaded as the same JSON.
    saved = fantasy.persistence.to_dict({"vercel": options})
    loaded = fantasy.persistence.from_dict(saved, fantasy.types.ProviderOptions)
    assert loaded["vercel"].byok == byok.to_dict()


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "value", "state"),
    [
        ("", None, ParseState.UNDEFINED),
        ('{"a": 1}', {"a": 1}, ParseState.SUCCESSFUL),
        ('{"name": "John", "age": 25', {"name": "John", "age": 25}, ParseState.REPAIRED),
        ('[1, 2, {"x": "y', [1, 2, {"x": "y"}], ParseState.REPAIRED),
        ('{"a": 1,}', {"a": 1}, ParseState.REPAIRED),
        ("hello world", None, ParseState.FAILED),
    ],
)
def test_parse_partial_json(text: str, value: Any, state: ParseState) -> None:
    assert parse_partial_json(text) == (value, state)


def test_partial_json_parser_is_public_and_incremental() -> None:
    parser = PartialJSONParser()
    snapshots = []
    for piece in ['{"city": "Ro', 'me", "temps": [1', ", 2]}"]:
        parser.feed(piece)
        snapshots.append(parser.snapshot())
    parser.finish()
    assert snapshots == [
        {"city": "Ro"},
        {"city": "Rome", "temps": [1]},
        {"city": "Rome", "temps": [1, 2]},
    ]
    assert parser.done


def test_validate_against_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"age": {"type": "integer", "minimum": 0}},
        "required": ["age"],
    }
    validate_against_schema({"age": 3}, schema)
    with pytest.raises(SchemaValidationError, match="age"):
        validate_against_schema({"age": -1}, schema)
    with pytest.raises(SchemaValidationError, match="age"):
        validate_against_schema({}, schema)


# --------------------------------------------------------------------------- object streams


class City(BaseModel):
    name: str
    population: int = 0


def _parts() -> list[ObjectStreamPart]:
    return [
        ObjectStreamPart(ObjectStreamPartType.OBJECT, object={"name": "Ro"}),
        ObjectStreamPart(ObjectStreamPartType.OBJECT, object={"name": "Rome"}),
        ObjectStreamPart(ObjectStreamPartType.OBJECT, object={"name": "Rome", "population": 3}),
        ObjectStreamPart(
            ObjectStreamPartType.FINISH,
            usage=Usage(input_tokens=2, output_tokens=5),
            finish_reason=FinishReason.STOP,
        ),
    ]


def test_object_stream_from_any_iterator_sync() -> None:
    def produce() -> Iterator[ObjectStreamPart]:
        yield from _parts()

    stream = fantasy.ObjectStream.from_parts(produce(), City)
    partials = list(stream.partial_objects())
    assert partials == [City(name="Ro"), City(name="Rome"), City(name="Rome", population=3)]
    result = stream.result
    assert result.object == City(name="Rome", population=3)
    assert result.usage.output_tokens == 5 and result.finish_reason is FinishReason.STOP
    # Untyped: the decoded JSON as it came.
    raw = fantasy.ObjectStream.from_parts(_parts())
    assert raw.object() == {"name": "Rome", "population": 3}


def test_object_stream_from_any_iterator_async() -> None:
    async def produce() -> AsyncIterator[ObjectStreamPart]:
        for part in _parts():
            yield part

    async def main() -> tuple[list[City], City]:
        stream = fantasy.AsyncObjectStream.from_parts(produce(), City)
        partials = [p async for p in stream.partial_objects()]
        return partials, await stream.object()

    partials, final = asyncio.run(main())
    assert partials[-1] == final == City(name="Rome", population=3)


def test_object_stream_from_a_models_own_stream_object() -> None:
    model = FakeModel([text_response('{"name": "Rome", "population": 3}')])
    model.native_object_output = True
    call = fantasy.ObjectCall(
        prompt=[fantasy.user_message("a city")], schema=fantasy.schema.schema_for(City)
    )
    stream = fantasy.ObjectStream.from_parts(model.stream_object(call), City)
    assert stream.object() == City(name="Rome", population=3)


def test_an_error_part_raises_from_the_stream() -> None:
    boom = ObjectStreamPart(ObjectStreamPartType.ERROR, error=RuntimeError("boom"))
    stream = fantasy.ObjectStream.from_parts([_parts()[0], boom], City)
    with pytest.raises(RuntimeError, match="boom"):
        list(stream.partial_objects())


# --------------------------------------------------------------------------- schema name


def test_typed_object_default_schema_name_is_the_providers_as_in_go() -> None:
    # Tool mode: the tool is generate_object (Go's object.Generate[T] sends no name).
    model = FakeModel([tool_call_response(("1", "generate_object", '{"name": "Rome"}'))])
    assert fantasy.generate_object(model, "a city", City).object == City(name="Rome")
    assert model.last_call.tools[0].name == "generate_object"
    # Native mode: response_format named "response".
    native = FakeModel([text_response('{"name": "Rome"}')])
    native.native_object_output = True
    fantasy.generate_object(native, "a city", City)
    assert native.last_call.response_format is not None
    assert native.last_call.response_format.name == "response"
    # An explicit name is sent as given.
    named = FakeModel([tool_call_response(("1", "City", '{"name": "Rome"}'))])
    fantasy.generate_object(named, "a city", City, schema_name="City")
    assert named.last_call.tools[0].name == "City"


def test_typed_object_default_schema_name_on_the_wire() -> None:
    bodies: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        message = {"role": "assistant", "content": '{"name": "Rome", "population": 3}'}
        return httpx.Response(
            200, json={"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        )

    model = openai.Provider("k", transport=httpx.MockTransport(server)).language_model("gpt-4o")
    assert fantasy.generate_object(model, "a city", City).object.population == 3
    assert bodies[0]["response_format"]["json_schema"]["name"] == "response"
