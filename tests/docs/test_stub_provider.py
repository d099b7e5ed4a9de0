"""The stub provider speaks every provider's wire: real agents and object generation run
through the real translators against it, on both faces, whole and streamed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

import fantasy
from fantasy.model import LanguageModel
from tests.docs.stub_provider import TEXT, StubProvider, example_value


class Person(BaseModel):
    name: str = Field(description="The person's name")
    age: int = Field(description="The person's age")
    city: str = Field(description="The city where the person lives")


class Address(BaseModel):
    street: str
    number: int


class Household(BaseModel):
    """Nested models ($defs / $ref), a list, an optional field, an enum and a float."""

    people: list[Person]
    address: Address
    size: float
    kind: str = Field(json_schema_extra={"enum": ["flat", "house"]})
    note: str | None = None
    pets: bool = False


def _openai(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(api_key="k", transport=t).language_model("gpt-4o-mini")


def _responses(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import openai

    provider = openai.Provider(api_key="k", transport=t, use_responses_api=True)
    return provider.language_model("gpt-4o-mini")


def _anthropic(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import anthropic

    return anthropic.Provider(api_key="k", transport=t).language_model("claude-sonnet-4")


def _gemini(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import google

    return google.Provider(api_key="k", transport=t).language_model("gemini-2.5-flash")


def _bedrock(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import bedrock

    provider = bedrock.Provider(api_key="k", region="us-east-1", transport=t)
    return provider.language_model("us.anthropic.claude-haiku-4-5-20251001-v1:0")


def _azure(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import azure

    provider = azure.Provider("https://r.openai.azure.com", api_key="k", transport=t)
    return provider.language_model("gpt-5-mini")


def _compat(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import openaicompat

    provider = openaicompat.Provider("https://api.groq.com/openai/v1", transport=t)
    return provider.language_model("llama-3")


def _openrouter(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import openrouter

    return openrouter.Provider(api_key="k", transport=t).language_model("anthropic/claude-4.5")


def _vercel(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import vercel

    return vercel.Provider(api_key="k", transport=t).language_model("openai/gpt-5")


def _vertex_claude(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import anthropic

    provider = anthropic.Provider(
        vertex_project="p", vertex_location="us-east5", skip_auth=True, transport=t
    )
    return provider.language_model("claude-3-7-sonnet@20250219")


def _vertex_gemini(t: httpx.MockTransport) -> LanguageModel:
    from fantasy.providers import google

    provider = google.Provider(project="p", location="us-east5", skip_auth=True, transport=t)
    return provider.language_model("gemini-2.5-pro")


MODELS: dict[str, Callable[[httpx.MockTransport], LanguageModel]] = {
    "openai-chat": _openai,
    "openai-responses": _responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "bedrock": _bedrock,
    "azure": _azure,
    "openaicompat": _compat,
    "openrouter": _openrouter,
    "vercel": _vercel,
    "vertex-claude": _vertex_claude,
    "vertex-gemini": _vertex_gemini,
}
FACES = ["generate", "stream", "agenerate", "astream"]


@pytest.fixture(params=list(MODELS))
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stub() -> StubProvider:
    return StubProvider()


@pytest.fixture
def model(family: str, stub: StubProvider) -> LanguageModel:
    return MODELS[family](stub.transport())


async def _run(agent: fantasy.Agent, face: str, prompt: str) -> fantasy.AgentResult:
    if face == "generate":
        return agent.generate(prompt)
    if face == "stream":
        stream = agent.stream(prompt)
        parts = list(stream)
        assert parts, "the stream yielded no parts"
        return stream.result
    if face == "agenerate":
        return await agent.agenerate(prompt)
    return await agent.astream(prompt).collect()


@pytest.mark.parametrize("face", FACES)
async def test_agent_calls_the_tool_then_answers(
    model: LanguageModel, stub: StubProvider, face: str
) -> None:
    seen: list[tuple[str, int]] = []

    @fantasy.tool
    def weather(location: str, days: int) -> str:
        """Get the weather for a location."""
        seen.append((location, days))
        return "40 C"

    agent = fantasy.Agent(model, system_prompt="You are a helpful assistant.", tools=[weather])
    result = await _run(agent, face, "What's the weather in Florence?")

    assert seen == [("Florence", 2)]
    assert result.text == TEXT
    assert len(result.steps) == 2
    assert result.total_usage.output_tokens > 0
    assert [e.status for e in stub.exchanges] == [200, 200]
    first, second = (e.answer for e in stub.exchanges)
    assert first is not None and first.kind == "tool"
    assert second is not None and second.kind == "text"


@pytest.mark.parametrize("face", FACES)
async def test_agent_without_tools_answers_text(
    model: LanguageModel, stub: StubProvider, face: str
) -> None:
    result = await _run(fantasy.Agent(model), face, "Say hi")
    assert result.text == TEXT
    assert len(stub.exchanges) == 1


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("sync", [True, False])
async def test_objects_validate(model: LanguageModel, streamed: bool, sync: bool) -> None:
    prompt = "Generate a person."
    if sync and not streamed:
        person = fantasy.generate_object(model, prompt, Person).object
    elif sync:
        stream = fantasy.stream_object(model, prompt, Person)
        partials = list(stream.partial_objects())
        assert partials
        person = stream.object()
    elif not streamed:
        person = (await fantasy.agenerate_object(model, prompt, Person)).object
    else:
        person = await fantasy.astream_object(model, prompt, Person).object()
    assert person == Person(name="Florence", age=2, city="Florence")


def test_nested_object(model: LanguageModel) -> None:
    household = fantasy.generate_object(model, "Describe a household.", Household).object
    assert isinstance(household, Household)
    assert household.people == [Person(name="Florence", age=2, city="Florence")]
    assert household.address == Address(street="Florence", number=2)
    assert household.kind == "flat"


@pytest.mark.parametrize("mode", ["text", "tool"])
def test_object_modes(mode: str, stub: StubProvider) -> None:
    model = _openai(stub.transport())
    model.object_mode = mode  # type: ignore[attr-defined]
    assert fantasy.generate_object(model, "A person.", Person).object.age == 2


def test_tool_choice_is_followed(stub: StubProvider) -> None:
    calls: list[str] = []

    @fantasy.tool
    def first(city: str) -> str:
        """First."""
        calls.append("first")
        return "1"

    @fantasy.tool
    def second(city: str) -> str:
        """Second."""
        calls.append("second")
        return "2"

    model = _anthropic(stub.transport())
    agent = fantasy.Agent(model, tools=[first, second])
    agent.generate("Go", tool_choice="second", stop_when=[fantasy.step_count_is(1)])
    assert calls == ["second"]
    assert agent.generate("Go", tool_choice="none").text == TEXT
    assert calls == ["second"]


def test_unknown_url_is_a_404_naming_it(stub: StubProvider) -> None:
    from fantasy.providers import openai

    model = openai.Provider(
        api_key="k", base_url="https://stub.example/v9/nowhere", transport=stub.transport()
    ).language_model("gpt-4o-mini")
    model_url = "https://stub.example/v9/nowhere/chat/completions"
    stub_route = stub.handle(httpx.Request("POST", "https://stub.example/v1/whatever", json={}))
    assert stub_route.status_code == 404
    assert "https://stub.example/v1/whatever" in stub_route.json()["error"]["message"]
    # A known route still answers, wherever its base URL points.
    assert fantasy.Agent(model).generate("hi").text == TEXT
    assert stub.urls[-1] == model_url


def test_non_json_body_is_refused(stub: StubProvider) -> None:
    response = stub.handle(
        httpx.Request("POST", "https://api.openai.com/v1/chat/completions", content=b"nope")
    )
    assert response.status_code == 400
    assert "not a JSON object" in response.json()["message"]


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "string"}, "Florence"),
        ({"type": "string", "enum": ["b", "a"]}, "b"),
        ({"type": "integer"}, 2),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "number"}, 2.5),
        ({"type": "boolean"}, True),
        ({"type": "array", "items": {"type": "integer"}}, [2]),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 2),
        ({"type": ["null", "boolean"]}, True),
        ({"const": 7}, 7),
        ({"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}, {"a": "Florence"}),
        (
            {
                "type": "object",
                "properties": {"p": {"$ref": "#/$defs/P"}},
                "$defs": {"P": {"type": "object", "properties": {"n": {"type": "number"}}}},
            },
            {"p": {"n": 2.5}},
        ),
    ],
)
def test_example_value(schema: dict[str, Any], value: Any) -> None:
    assert example_value(schema) == value


def test_recursive_schema_ends() -> None:
    schema = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert json.dumps(example_value(schema))  # finite
