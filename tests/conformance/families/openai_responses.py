"""OpenAI on the Responses API (Go: providertests/openai_responses_test.go,
openai_web_search_test.go; the summary-thinking check is shared with azure_responses_test.go).
"""

from __future__ import annotations

from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import (
    MAX_TOKENS,
    SYSTEM,
    Scenario,
    Setup,
    reasoning_parts,
    thinking_scenario,
)

MODELS = {
    "openai-gpt-4o": "gpt-4o",
    "openai-gpt-4o-mini": "gpt-4o-mini",
    "openai-gpt-5": "gpt-5",
    "openai-o4-mini": "o4-mini",
}
WEB_SEARCH_MODEL = "gpt-4.1"
SUMMARY_THINKING_GROUPS = frozenset(
    {"TestOpenAIResponsesWithSummaryThinking", "TestAzureResponsesWithSummaryThinking"}
)


def summary_thinking_options() -> fantasy.types.ProviderOptions:
    """Go's options for the summary-thinking groups (OpenAI's and Azure's alike)."""
    from fantasy.providers import openai

    return {
        "openai": openai.ResponsesProviderOptions(
            include=[openai.INCLUDE_REASONING_ENCRYPTED_CONTENT],
            reasoning_effort="high",
            reasoning_summary="auto",
        )
    }


@builder("openai-responses")
def build_openai_responses(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import openai

    model_id = WEB_SEARCH_MODEL if case.group == "TestOpenAIWebSearch" else MODELS.get(case.pair)
    if model_id is None:
        raise LookupError(f"no OpenAI model is mapped for pair {case.pair!r}")
    provider = openai.Provider(api_key="test-key", transport=transport, use_responses_api=True)
    model = provider.language_model(model_id)
    assert isinstance(model, openai.ResponsesLanguageModel), f"{model_id} routed to {model!r}"
    setup = Setup()
    if case.group in SUMMARY_THINKING_GROUPS:
        setup.provider_options = summary_thinking_options()
    return model, setup


def check_summary_thinking(result: fantasy.AgentResult) -> None:
    """Every reasoning part of the history carries OpenAI reasoning metadata with
    encrypted content, and there is at least one."""
    from fantasy.providers import openai

    parts = reasoning_parts(result)
    encrypted = 0
    for part in parts:
        metadata = (part.provider_options or {}).get("openai")
        if isinstance(metadata, openai.ResponsesReasoningMetadata):
            assert metadata.encrypted_content, f"reasoning without encrypted content: {part}"
            encrypted += 1
    assert parts, "expected reasoning content, got none"
    assert encrypted > 0, "expected encrypted reasoning, got none"
    assert len(parts) == encrypted, f"{len(parts)} reasoning parts, {encrypted} with metadata"


def _web_search_content(
    result: fantasy.AgentResult,
) -> tuple[list[fantasy.ToolCallContent], list[fantasy.ToolResultContent], list[Any]]:
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


def check_web_search_generate(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert got, "should have a text response"
    assert "Tokyo" in got, f"response should mention Tokyo: {got!r}"
    calls, _, sources = _web_search_content(result)
    assert calls, "should have provider-executed tool calls"
    assert calls[0].tool_name == "web_search"
    for source in sources:
        assert source.url, f"source should have a URL: {source}"


def check_web_search_stream(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert got, "should have a text response"
    assert "Tokyo" in got, f"response should mention Tokyo: {got!r}"
    calls, results, _ = _web_search_content(result)
    assert calls, "should have provider-executed tool calls"
    assert calls[0].tool_name == "web_search"
    assert results, "should have provider-executed tool results"


def web_search_scenario(name: str) -> Scenario | None:
    """Go's TestOpenAIWebSearch subtests: the web search tool alone, 4000 tokens."""
    if name not in ("generate", "stream"):
        return None
    from fantasy.providers import openai

    stream = name == "stream"
    return Scenario(
        {"system_prompt": SYSTEM, "provider_tools": [openai.web_search_tool()]},
        "What is the current population of Tokyo? Cite your source.",
        stream,
        check_web_search_stream if stream else check_web_search_generate,
        MAX_TOKENS,
    )


@scenarios
def openai_responses_scenarios(case: Case) -> Scenario | None:
    if case.group in SUMMARY_THINKING_GROUPS:
        return thinking_scenario(case.scenario, check_summary_thinking)
    if case.group == "TestOpenAIWebSearch":
        return web_search_scenario(case.scenario)
    return None
