"""Azure OpenAI on Chat Completions and the Responses API (Go: azure*_test.go)."""

from __future__ import annotations

from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.families.openai_responses import summary_thinking_options
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import Scenario, Setup, thinking_scenario

BASE_URL = "https://fantasy-playground-resource.openai.azure.com"
MODELS = {"azure-o4-mini": "o4-mini", "azure-gpt-5-mini": "gpt-5-mini"}


@builder("azure")
def build_azure(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import azure, openai

    provider = azure.Provider(BASE_URL, "test-key", transport=transport)
    setup = Setup()
    if case.group == "TestAzureThinking":
        setup.provider_options = {"openai": openai.ProviderOptions(reasoning_effort="high")}
    return provider.language_model(MODELS[case.pair]), setup


def check_reasoning_tokens(result: fantasy.AgentResult) -> None:
    assert result.response.usage.reasoning_tokens > 0, "expected reasoning tokens, got none"


@scenarios
def azure_thinking(case: Case) -> Scenario | None:
    if case.group != "TestAzureThinking":
        return None
    return thinking_scenario(case.scenario, check_reasoning_tokens)


@builder("azure-responses")
def build_azure_responses(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import azure

    provider = azure.Provider(BASE_URL, "test-key", transport=transport, use_responses_api=True)
    setup = Setup()
    if case.group == "TestAzureResponsesWithSummaryThinking":
        setup.provider_options = summary_thinking_options()
    return provider.language_model(MODELS[case.pair]), setup
