"""Typed output with tools on every provider family, over each provider's real HTTP
API (the README's stub provider): the request body asks for the output the way the
provider documents (native structured output beside tools where the provider allows
it, else a final-answer tool), in both faces and streamed with partial outputs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel
from tests.docs.stub_provider import StubProvider
from tests.docs.test_stub_provider import MODELS

import fantasy
from fantasy.agent.output import FINAL_TOOL_NAME
from fantasy.types import StreamPartType


class Invoice(BaseModel):
    number: str
    total: float


def lookup(number: str) -> str:
    """Look up an invoice."""
    return f"invoice {number}: 12.5 EUR"


NATIVE = {"openai-chat", "openai-responses", "azure"}
"""Families whose documented API takes structured output together with tools:
Chat Completions ``response_format`` (json_schema) and Responses ``text.format``."""


def tool_names(body: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for t in body.get("tools") or []:
        if isinstance(t.get("function"), dict):
            names.append(t["function"]["name"])  # Chat Completions
        elif "name" in t:
            names.append(t["name"])  # Responses, Anthropic
        for d in t.get("functionDeclarations") or []:
            names.append(d["name"])  # Gemini
    return names


def final_tool_schema(body: dict[str, Any]) -> Any:
    """The final-answer tool's input schema, where each dialect documents it: Chat
    Completions ``tools[].function.parameters``, Anthropic (and Claude on Bedrock and
    Vertex) ``tools[].input_schema``, Gemini ``tools[].functionDeclarations[].parameters``
    (or ``parametersJsonSchema``)."""
    for t in body.get("tools") or []:
        function = t.get("function")
        if isinstance(function, dict) and function.get("name") == FINAL_TOOL_NAME:
            assert t["type"] == "function"
            return function["parameters"]
        if t.get("name") == FINAL_TOOL_NAME:
            return t["input_schema"]
        for d in t.get("functionDeclarations") or []:
            if d["name"] == FINAL_TOOL_NAME:
                return d.get("parameters") or d.get("parametersJsonSchema")
    return None


def native_format(body: dict[str, Any]) -> Any:
    """The native structured-output request of any dialect, or None."""
    if "response_format" in body:
        return body["response_format"]["json_schema"]["schema"]
    fmt = (body.get("text") or {}).get("format")
    if fmt is not None:
        return fmt["schema"]
    return (body.get("generationConfig") or {}).get("responseJsonSchema")


def run(agent: fantasy.Agent[Invoice], face: str) -> tuple[Invoice, list[Any]]:
    if face == "generate":
        return agent.generate("Total of A1?").output, []
    if face == "agenerate":
        return asyncio.run(agent.agenerate("Total of A1?")).output, []
    if face == "stream":
        stream = agent.stream("Total of A1?")
        partials = list(stream.partial_outputs())
        return stream.result.output, partials

    async def astream() -> tuple[Invoice, list[Any]]:
        stream = agent.astream("Total of A1?")
        partials = [p async for p in stream.partial_outputs()]
        return (await stream.collect()).output, partials

    return asyncio.run(astream())


@pytest.mark.parametrize("face", ["generate", "agenerate", "stream", "astream"])
@pytest.mark.parametrize("family", sorted(MODELS))
def test_typed_output_with_tools_on_every_family(family: str, face: str) -> None:
    stub = StubProvider()
    agent = fantasy.Agent(MODELS[family](stub.transport()), tools=[lookup], output_type=Invoice)
    output, partials = run(agent, face)
    assert isinstance(output, Invoice)
    first, last = stub.exchanges[0].body, stub.exchanges[-1].body
    assert "lookup" in tool_names(first)
    if family in NATIVE:
        assert FINAL_TOOL_NAME not in tool_names(first)
        schema = native_format(first)
        assert set(schema["properties"]) == {"number", "total"}
        assert schema["additionalProperties"] is False
        if family != "openai-responses":
            assert first["response_format"]["type"] == "json_schema"
            assert first["response_format"]["json_schema"]["name"] == "Invoice"
        else:
            assert first["text"]["format"]["type"] == "json_schema"
            assert first["text"]["format"]["name"] == "Invoice"
        assert [e.answer.kind for e in stub.exchanges if e.answer] == ["tool", "json"]
    else:
        assert native_format(first) is None
        assert tool_names(first)[-1] == FINAL_TOOL_NAME
        schema = final_tool_schema(first)
        assert schema["type"] == "object" or schema["type"] == "OBJECT"
        assert set(schema["properties"]) == {"number", "total"}
        assert set(schema["required"]) == {"number", "total"}
        assert stub.exchanges[-1].answer is not None
        assert stub.exchanges[-1].answer.tool == FINAL_TOOL_NAME
        assert tool_names(last)[-1] == FINAL_TOOL_NAME
    if face in ("stream", "astream"):
        assert partials and partials[-1] == output
        assert all(isinstance(p, Invoice) for p in partials)


def test_gemini_3_combines_its_response_schema_with_function_calling() -> None:
    from fantasy.providers import google

    stub = StubProvider()
    model = google.Provider(api_key="k", transport=stub.transport()).language_model(
        "gemini-3-pro-preview"
    )
    agent = fantasy.Agent(model, tools=[lookup], output_type=Invoice)
    stream = agent.stream("Total of A1?")
    parts = list(stream)
    assert isinstance(stream.result.output, Invoice)
    body = stub.exchanges[0].body
    assert tool_names(body) == ["lookup"]
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert set(body["generationConfig"]["responseJsonSchema"]["properties"]) == {
        "number",
        "total",
    }
    assert any(p.type is StreamPartType.OUTPUT for p in parts)


def test_gemini_2_uses_the_final_tool_with_tools_and_native_without() -> None:
    from fantasy.providers import google

    stub = StubProvider()
    model = google.Provider(api_key="k", transport=stub.transport()).language_model(
        "gemini-2.5-flash"
    )
    assert not model.native_output_with_tools
    fantasy.Agent(model, tools=[lookup], output_type=Invoice).generate("A1?")
    assert tool_names(stub.exchanges[0].body)[-1] == FINAL_TOOL_NAME
    stub.exchanges.clear()
    result = fantasy.Agent(model, output_type=Invoice).generate("A1?")
    assert isinstance(result.output, Invoice)
    assert native_format(stub.exchanges[0].body) is not None
    assert "tools" not in stub.exchanges[0].body


@pytest.mark.parametrize("family", ["openai-chat", "anthropic", "gemini"])
def test_forced_text_mode_puts_the_schema_in_the_system_prompt(family: str) -> None:
    stub = StubProvider()
    agent = fantasy.Agent(
        MODELS[family](stub.transport()), tools=[lookup], output_type=Invoice, output_mode="text"
    )
    assert isinstance(agent.generate("A1?").output, Invoice)
    body = stub.exchanges[0].body
    assert native_format(body) is None
    assert FINAL_TOOL_NAME not in tool_names(body)
    assert "You must respond with valid JSON that matches this schema" in str(body)
