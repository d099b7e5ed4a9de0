"""The scenarios of Fantasy's providertests, as Python agents.

Each mirrors a Go subtest (common_test.go, image_upload_test.go): the same
system prompt, prompt, tools and call options, so that the requests we send
are the ones recorded, and the same assertions on the result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

import fantasy

Face = Literal["sync", "async"]


class WeatherInput(BaseModel):
    location: str = Field(description="the city")


class CalculatorInput(BaseModel):
    a: int = Field(description="first number")
    b: int = Field(description="second number")


@fantasy.tool(name="weather", description="Get weather information for a location")
def weather(inp: WeatherInput) -> fantasy.ToolResponse:
    return fantasy.ToolResponse.text("40 C")


@fantasy.tool(name="add", description="Add two numbers")
def add(inp: CalculatorInput) -> fantasy.ToolResponse:
    return fantasy.ToolResponse.text(str(inp.a + inp.b).strip())


@fantasy.tool(name="multiply", description="Multiply two numbers")
def multiply(inp: CalculatorInput) -> fantasy.ToolResponse:
    return fantasy.ToolResponse.text(str(inp.a * inp.b).strip())


@dataclass
class Setup:
    """What a builder adds to every agent call of a test pair (Go's builderPair)."""

    provider_options: fantasy.types.ProviderOptions = field(default_factory=dict)
    prepare_step: Any = None


@dataclass
class Scenario:
    agent_kwargs: dict[str, Any]
    prompt: str
    stream: bool
    check: Callable[[fantasy.AgentResult], None]
    call_kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self, model: fantasy.LanguageModel, setup: Setup, face: Face) -> fantasy.AgentResult:
        agent = fantasy.Agent(model, **self.agent_kwargs)
        kwargs: dict[str, Any] = dict(self.call_kwargs)
        kwargs["provider_options"] = setup.provider_options
        kwargs["prepare_step"] = setup.prepare_step
        if face == "sync":
            if self.stream:
                return agent.stream(self.prompt, **kwargs).result
            return agent.generate(self.prompt, **kwargs)

        async def main() -> fantasy.AgentResult:
            if self.stream:
                return await agent.astream(self.prompt, **kwargs).collect()
            return await agent.agenerate(self.prompt, **kwargs)

        return asyncio.run(main())


def _contains_any(text: str, *options: str) -> bool:
    return any(o in text for o in options)


def check_simple(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert _contains_any(got, "Oi", "oi", "Olá", "olá"), f"unexpected response: {got!r}"


def _step_tool_calls(result: fantasy.AgentResult) -> list[fantasy.ToolCallContent]:
    calls = result.steps[0].content.tool_calls
    for call in calls:
        assert not call.invalid, f"invalid tool call: {call}"
    return calls


def check_tool(result: fantasy.AgentResult) -> None:
    assert len(result.steps) >= 2
    calls = _step_tool_calls(result)
    assert len(calls) == 1 and calls[0].tool_name == "weather"
    got = result.response.content.text
    assert "Florence" in got and "40" in got, f"unexpected response: {got!r}"


def check_multi_tool(result: fantasy.AgentResult) -> None:
    assert len(result.steps) == 2
    assert len(_step_tool_calls(result)) == 2
    got = result.response.content.text
    assert "5" in got and "6" in got, f"unexpected response: {got!r}"


def check_not_empty(result: fantasy.AgentResult) -> None:
    assert result.response.content.text, "expected a non-empty description"


SYSTEM = "You are a helpful assistant"
MAX_TOKENS = {"max_output_tokens": 4000}


def _common(name: str) -> Scenario | None:
    stream = name.endswith("_streaming")
    base = name.removesuffix("_streaming")
    if base == "simple":
        return Scenario(
            {"system_prompt": SYSTEM}, "Say hi in Portuguese", stream, check_simple, MAX_TOKENS
        )
    if base == "tool":
        return Scenario(
            {"system_prompt": SYSTEM, "tools": [weather]},
            "What's the weather in Florence,Italy?",
            stream,
            check_tool,
            MAX_TOKENS,
        )
    if base == "multi_tool":
        system = (
            "You are a helpful assistant. Always use both add and multiply at the same time."
            if stream
            else "You are a helpful assistant. CRITICAL: Always use both add and multiply at the "
            "same time ALWAYS."
        )
        return Scenario(
            {"system_prompt": system, "tools": [add, multiply]},
            "Add and multiply the number 2 and 3",
            stream,
            check_multi_tool,
            MAX_TOKENS,
        )
    return None


def wish_png() -> bytes:
    """The image Fantasy's image-upload tests send; it lives beside the cassettes."""
    from tests.conformance.discovery import cassette_root

    return (cassette_root() / "wish.png").read_bytes()


def _image_upload(stream: bool) -> Scenario:
    file = fantasy.FilePart(wish_png(), "image/png", filename="wish.png")
    return Scenario(
        {"system_prompt": SYSTEM},
        "Describe the image briefly in English.",
        stream,
        check_not_empty,
        {"files": [file], **MAX_TOKENS},
    )


COMMON_GROUP_SCENARIOS = frozenset(
    {"simple", "simple_streaming", "tool", "tool_streaming", "multi_tool", "multi_tool_streaming"}
)


def scenario_for(group: str, name: str) -> Scenario | None:
    """The scenario a cassette records, or None when this suite does not define it yet."""
    if group == "TestImageUploadAgent":
        return _image_upload(stream=False)
    if group == "TestImageUploadAgentStreaming":
        return _image_upload(stream=True)
    if name in COMMON_GROUP_SCENARIOS:
        return _common(name)
    return None


def thinking_scenario(
    name: str, think_check: Callable[[fantasy.AgentResult], None]
) -> Scenario | None:
    """Go's testThinking: the weather tool without a token limit, then the family's checks."""
    if name not in ("thinking", "thinking-streaming"):
        return None

    def check(result: fantasy.AgentResult) -> None:
        got = result.response.content.text
        assert "Florence" in got and "40" in got, f"unexpected response: {got!r}"
        think_check(result)

    return Scenario(
        {"system_prompt": SYSTEM, "tools": [weather]},
        "What's the weather in Florence, Italy?",
        name == "thinking-streaming",
        check,
    )


def reasoning_parts(result: fantasy.AgentResult) -> list[fantasy.ReasoningPart]:
    """The reasoning parts of every message the run produced (Go walks step.Messages)."""
    return [
        part
        for step in result.steps
        for message in step.messages
        for part in message.content
        if isinstance(part, fantasy.ReasoningPart)
    ]


def check_has_reasoning(result: fantasy.AgentResult) -> None:
    assert reasoning_parts(result), "expected reasoning content, got none"


def add_anthropic_caching(options: fantasy.PrepareStepOptions) -> fantasy.PrepareStepResult:
    """Go's addAnthropicCaching prepare-step: cache the last system message before the
    conversation and the last two messages; every other message's options are cleared.

    Messages are copied, never changed in place, so the run's history keeps its own.
    """
    import dataclasses

    from fantasy.providers import anthropic

    cache = {
        "anthropic": anthropic.CacheControlOptions(
            cache_control=anthropic.CacheControl(type="ephemeral")
        )
    }
    messages = [dataclasses.replace(m, provider_options=None) for m in options.messages]
    last_system = 0
    system_marked = False
    for i, message in enumerate(messages):
        if message.role is fantasy.Role.SYSTEM:
            last_system = i
        elif not system_marked:
            messages[last_system] = dataclasses.replace(
                messages[last_system], provider_options=cache
            )
            system_marked = True
        if i > len(messages) - 3:
            messages[i] = dataclasses.replace(message, provider_options=cache)
    return fantasy.PrepareStepResult(messages=messages)


def check_anthropic_signatures(result: fantasy.AgentResult) -> None:
    """Go's testAnthropicThinking: every reasoning part with text carries a signature."""
    parts = reasoning_parts(result)
    signed = 0
    for part in parts:
        metadata = (part.provider_options or {}).get("anthropic")
        if part.text and metadata is not None and hasattr(metadata, "signature"):
            assert metadata.signature, "expected a reasoning signature"
            signed += 1
    assert parts, "expected reasoning content, got none"
    assert signed > 0, "expected signed reasoning"
    assert signed == len(parts), f"{len(parts)} reasoning parts but {signed} signed"
