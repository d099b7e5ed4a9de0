"""Claude: Anthropic's API, Vertex AI and Bedrock.

Go: providertests/anthropic_test.go, bedrock_test.go, google_test.go (the
vertex-claude pairs) and image_upload_test.go. Thinking, web search and computer
use scenarios mirror the Go tests' prompts, tools, options and assertions,
including the cache-control prepare-step (addAnthropicCaching).
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, replace
from typing import Any

import fantasy
from fantasy.providers import anthropic, bedrock
from tests.conformance.discovery import Case
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import SYSTEM, Face, Scenario, Setup, weather

CLAUDE_SONNET_4 = "claude-sonnet-4-20250514"
ANTHROPIC_MODELS = {
    "claude-sonnet-4": CLAUDE_SONNET_4,
    "claude-opus-4-6": "claude-opus-4-6",
    # image upload pairs
    "anthropic-claude-sonnet-4": CLAUDE_SONNET_4,
    "anthropic-claude-sonnet-4-stream": CLAUDE_SONNET_4,
    # TestGoogleCommon: Claude on Vertex AI
    "vertex-claude-3-7-sonnet": "claude-3-7-sonnet@20250219",
}
FLAT_GROUP_MODELS = {"TestAnthropicWebSearch": CLAUDE_SONNET_4}

BEDROCK_HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
BEDROCK_MODELS = {
    "bedrock-anthropic-claude-sonnet-4-5": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "bedrock-anthropic-claude-opus-4-6": "us.anthropic.claude-opus-4-6-v1",
    "bedrock-anthropic-claude-haiku-4-5": BEDROCK_HAIKU,
}

THINKING = {
    anthropic.NAME: anthropic.ProviderOptions(
        thinking=anthropic.ThinkingOptions(budget_tokens=4000)
    )
}


def add_anthropic_caching(options: fantasy.PrepareStepOptions) -> fantasy.PrepareStepResult:
    """Go's addAnthropicCaching: message options cleared, then a cache breakpoint on the
    last system message before the first other message and on the last two messages."""
    messages = [replace(m, provider_options=None) for m in options.messages]
    last_system = 0
    system_updated = False
    for index, message in enumerate(messages):
        if message.role is fantasy.Role.SYSTEM:
            last_system = index
        elif not system_updated:
            messages[last_system] = replace(
                messages[last_system], provider_options=anthropic.cache_control()
            )
            system_updated = True
        if index > len(messages) - 3:
            messages[index] = replace(message, provider_options=anthropic.cache_control())
    return fantasy.PrepareStepResult(messages=messages)


def _setup(group: str) -> Setup:
    cached = group.endswith("WithCacheControl")
    thinking = group.startswith("TestAnthropicThinking")
    return Setup(
        provider_options=dict(THINKING) if thinking else {},
        prepare_step=add_anthropic_caching if cached else None,
    )


@builder("anthropic")
def build_anthropic(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    model_id = ANTHROPIC_MODELS.get(case.pair) or FLAT_GROUP_MODELS.get(case.group)
    if model_id is None:
        raise LookupError(f"no Claude model is mapped for pair {case.pair!r}")
    if case.pair.startswith("vertex-"):
        provider = anthropic.Provider(
            vertex_project=os.environ.get("FANTASY_VERTEX_PROJECT", "fantasy-playground-472418"),
            vertex_location=os.environ.get("FANTASY_VERTEX_LOCATION", "us-east5"),
            skip_auth=True,
            transport=transport,
        )
    else:
        provider = anthropic.Provider(api_key="test-key", transport=transport)
    return provider.language_model(model_id), _setup(case.group)


@builder("bedrock")
def build_bedrock(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    if case.group == "TestBedrockBasicAuth":
        provider = bedrock.Provider(
            api_key=os.environ.get("FANTASY_BEDROCK_API_KEY", ""),
            skip_auth=True,
            transport=transport,
        )
        return provider.language_model(BEDROCK_HAIKU), Setup()
    model_id = BEDROCK_MODELS.get(case.pair)
    if model_id is None:
        raise LookupError(f"no Bedrock model is mapped for pair {case.pair!r}")
    provider = bedrock.Provider(skip_auth=True, transport=transport)
    return provider.language_model(model_id), Setup()


# --------------------------------------------------------------------------- thinking


def check_anthropic_thinking(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert "Florence" in got and "40" in got, f"unexpected response: {got!r}"
    reasoning = signed = 0
    for step in result.steps:
        for message in step.messages:
            for part in message.content:
                if not isinstance(part, fantasy.ReasoningPart):
                    continue
                reasoning += 1
                metadata = (part.provider_options or {}).get(anthropic.NAME)
                if part.text and isinstance(metadata, anthropic.ReasoningMetadata):
                    assert metadata.signature, "a thinking block came back without its signature"
                    signed += 1
    assert reasoning > 0, "expected reasoning in the step messages"
    assert signed > 0, "expected signed reasoning"
    assert reasoning == signed, f"{reasoning} reasoning parts, {signed} signed"


def _thinking(stream: bool) -> Scenario:
    return Scenario(
        {"system_prompt": SYSTEM, "tools": [weather]},
        "What's the weather in Florence, Italy?",
        stream,
        check_anthropic_thinking,
    )


# --------------------------------------------------------------------------- web search

WEB_SEARCH_PROMPT = "What is the current population of Tokyo? Cite your source."


def _run_agent(
    agent: fantasy.Agent, prompt: str, stream: bool, face: Face, **kwargs: Any
) -> fantasy.AgentResult:
    if face == "sync":
        return agent.stream(prompt, **kwargs).result if stream else agent.generate(prompt, **kwargs)

    async def main() -> fantasy.AgentResult:
        if stream:
            return await agent.astream(prompt, **kwargs).collect()
        return await agent.agenerate(prompt, **kwargs)

    return asyncio.run(main())


def _provider_executed(result: fantasy.AgentResult) -> tuple[list[Any], list[Any], list[Any]]:
    calls, results, sources = [], [], []
    for step in result.steps:
        for c in step.content:
            if isinstance(c, fantasy.ToolCallContent) and c.provider_executed:
                calls.append(c)
            elif isinstance(c, fantasy.ToolResultContent) and c.provider_executed:
                results.append(c)
            elif isinstance(c, fantasy.SourceContent):
                sources.append(c)
    return calls, results, sources


def check_web_search(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert got, "should have a text response"
    assert "Tokyo" in got, f"response should mention Tokyo: {got!r}"
    calls, _, sources = _provider_executed(result)
    assert calls, "should have provider-executed tool calls"
    assert calls[0].tool_name == "web_search"
    assert sources, "should have source citations"
    assert sources[0].url, "source should have a URL"


def check_osaka(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert got, "turn 2 should have a text response"
    assert "Osaka" in got, f"turn 2 response should mention Osaka: {got!r}"


class WebSearchStreamScenario(Scenario):
    """Two streamed turns: the second replays the first turn's server tool use and its
    encrypted results from history."""

    def run(self, model: fantasy.LanguageModel, setup: Setup, face: Face) -> fantasy.AgentResult:
        agent = fantasy.Agent(model, **self.agent_kwargs)
        extra = {"provider_options": setup.provider_options, "prepare_step": setup.prepare_step}
        first = _run_agent(agent, self.prompt, True, face, max_output_tokens=4000, **extra)
        got = first.response.content.text
        assert got and "Tokyo" in got, f"unexpected response: {got!r}"
        calls, results, _ = _provider_executed(first)
        assert calls, "should have provider-executed tool calls"
        assert calls[0].tool_name == "web_search"
        assert results, "should have provider-executed tool results"
        history = [fantasy.user_message(self.prompt)]
        for step in first.steps:
            history.extend(step.messages)
        return _run_agent(
            agent,
            "How does that compare to Osaka?",
            True,
            face,
            messages=history,
            max_output_tokens=4000,
            **extra,
        )


def _web_search(name: str) -> Scenario | None:
    kwargs = {"system_prompt": SYSTEM, "provider_tools": [anthropic.web_search_tool()]}
    if name == "generate":
        return Scenario(
            kwargs, WEB_SEARCH_PROMPT, False, check_web_search, {"max_output_tokens": 4000}
        )
    if name == "stream":
        return WebSearchStreamScenario(kwargs, WEB_SEARCH_PROMPT, True, check_osaka)
    return None


# --------------------------------------------------------------------------- computer use

SCREENSHOT = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5E"
    "rkJggg=="
)
"""A 1x1 PNG, base64: Go's screenshotBase64."""
COMPUTER_USE_VERSIONS: dict[str, anthropic.ComputerUseToolVersion] = {
    "claude-sonnet-4": anthropic.COMPUTER_USE_20250124,
    "claude-opus-4-6": anthropic.COMPUTER_USE_20251124,
}


@dataclass
class ComputerUseOutcome:
    text: str


def check_desktop(outcome: ComputerUseOutcome) -> None:
    assert outcome.text, "expected text after the screenshot"
    assert "desktop" in outcome.text, f"unexpected response: {outcome.text!r}"


def _json_round_trip(tool: fantasy.ProviderDefinedTool) -> fantasy.ProviderDefinedTool:
    """As Go's jsonRoundTripTool: the arguments come back from JSON with numbers as floats."""
    return replace(tool, args=json.loads(json.dumps(tool.args), parse_int=float))


def _stream_call(model: fantasy.LanguageModel, call: fantasy.Call, face: Face) -> list[Any]:
    if face == "sync":
        return list(model.stream(call))

    async def main() -> list[Any]:
        return [part async for part in model.astream(call)]

    return asyncio.run(main())


def _generate_call(model: fantasy.LanguageModel, call: fantasy.Call, face: Face) -> Any:
    if face == "sync":
        return model.generate(call)
    return asyncio.run(model.agenerate(call))


class ComputerUseScenario(Scenario):
    """Two direct model calls (no agent, no tool choice, no max tokens): the model asks
    for a screenshot, then describes the one it is sent back."""

    def __init__(self, version: anthropic.ComputerUseToolVersion, stream: bool):
        super().__init__({}, "Take a screenshot of the desktop", stream, check_desktop)
        self.version = version

    def run(self, model: fantasy.LanguageModel, setup: Setup, face: Face) -> Any:
        tool = _json_round_trip(
            anthropic.computer_use_definition(
                display_width_px=1920, display_height_px=1080, tool_version=self.version
            )
        )
        prompt = [fantasy.system_message(SYSTEM), fantasy.user_message(self.prompt)]
        call_id, name, arguments = self._first_call(model, fantasy.Call(prompt, tools=[tool]), face)
        assert name == "computer"
        assert "screenshot" in arguments, arguments
        follow_up = [
            *prompt,
            fantasy.Message(
                fantasy.Role.ASSISTANT, [fantasy.ToolCallPart(call_id, name, arguments)]
            ),
            fantasy.Message(
                fantasy.Role.TOOL,
                [
                    fantasy.ToolResultPart(
                        call_id, fantasy.ToolResultOutputMedia(SCREENSHOT, "image/png")
                    )
                ],
            ),
        ]
        second = fantasy.Call(follow_up, tools=[tool])
        if self.stream:
            parts = _stream_call(model, second, face)
            text = "".join(p.delta for p in parts if p.type is fantasy.StreamPartType.TEXT_DELTA)
        else:
            text = _generate_call(model, second, face).content.text
        return ComputerUseOutcome(text)

    def _first_call(
        self, model: fantasy.LanguageModel, call: fantasy.Call, face: Face
    ) -> tuple[str, str, str]:
        if not self.stream:
            response = _generate_call(model, call, face)
            assert response.finish_reason is fantasy.FinishReason.TOOL_CALLS
            calls = response.content.tool_calls
            assert len(calls) == 1, calls
            return calls[0].tool_call_id, calls[0].tool_name, calls[0].input
        parts = _stream_call(model, call, face)
        calls = [p for p in parts if p.type is fantasy.StreamPartType.TOOL_CALL]
        finishes = [p for p in parts if p.type is fantasy.StreamPartType.FINISH]
        assert finishes and finishes[-1].finish_reason is fantasy.FinishReason.TOOL_CALLS, parts
        assert calls, parts
        last = calls[-1]
        return last.id, last.tool_call_name, last.tool_call_input


# --------------------------------------------------------------------------- resolver


def _computer_use(case: Case) -> Scenario | None:
    version = COMPUTER_USE_VERSIONS.get(case.pair)
    if version is None or case.scenario not in ("computer_use", "computer_use_streaming"):
        return None
    return ComputerUseScenario(version, case.scenario == "computer_use_streaming")


@scenarios
def anthropic_scenarios(case: Case) -> Scenario | None:
    if case.group in ("TestAnthropicThinking", "TestAnthropicThinkingWithCacheControl"):
        if case.scenario in ("thinking", "thinking-streaming"):
            return _thinking(case.scenario == "thinking-streaming")
        return None
    if case.group == "TestAnthropicWebSearch":
        return _web_search(case.scenario)
    if case.group == "TestAnthropicComputerUse":
        return _computer_use(case)
    return None
