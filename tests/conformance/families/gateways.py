"""OpenRouter and Vercel's AI Gateway (Go: providertests/openrouter_test.go, vercel_test.go)."""

from __future__ import annotations

from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import (
    Scenario,
    Setup,
    add_anthropic_caching,
    check_anthropic_signatures,
    check_has_reasoning,
    thinking_scenario,
)

OPENROUTER_MODELS = {
    "anthropic": "anthropic/claude-haiku-4.5",
    "openai": "openai/gpt-5.4-nano",
    "gemini": "google/gemini-3.1-flash-lite-preview",
    "grok": "x-ai/grok-4.1-fast",
    "glm": "z-ai/glm-5-turbo",
    "kimi": "moonshotai/kimi-k2.5",
}
VERCEL_MODELS = {
    "claude-sonnet-4": "anthropic/claude-sonnet-4",
    "claude-sonnet-4-sig": "anthropic/claude-sonnet-4",
    "gemini-2.5-flash": "google/gemini-2.5-flash",
    "gpt-5": "openai/gpt-5",
    "gemini-3-pro-preview": "google/gemini-3-pro-preview",
}
CACHE_GROUPS = {"TestOpenRouterCommonWithAnthropicCache", "TestVercelCommonWithAnthropicCache"}


@builder("openrouter")
def build_openrouter(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import openrouter

    provider = openrouter.Provider("test-key", transport=transport)
    setup = Setup()
    if case.group in CACHE_GROUPS:
        setup.prepare_step = add_anthropic_caching
    if case.group == "TestOpenRouterThinking":
        setup.provider_options = {
            openrouter.NAME: openrouter.ProviderOptions(
                reasoning=openrouter.ReasoningOptions(effort="medium")
            )
        }
    return provider.language_model(OPENROUTER_MODELS[case.pair]), setup


@builder("vercel")
def build_vercel(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import vercel

    provider = vercel.Provider("test-key", transport=transport)
    setup = Setup()
    if case.group in CACHE_GROUPS:
        setup.prepare_step = add_anthropic_caching
    if case.group == "TestVercelThinking":
        setup.provider_options = {
            vercel.NAME: vercel.ProviderOptions(reasoning=vercel.ReasoningOptions(enabled=True))
        }
    return provider.language_model(VERCEL_MODELS[case.pair]), setup


@scenarios
def gateway_thinking(case: Case) -> Scenario | None:
    if case.group == "TestOpenRouterThinking":
        # Go runs the plain and the signature checks on the same anthropic cassette.
        return thinking_scenario(case.scenario, check_anthropic_signatures)
    if case.group == "TestVercelThinking":
        signed = case.pair == "claude-sonnet-4-sig"
        check = check_anthropic_signatures if signed else check_has_reasoning
        return thinking_scenario(case.scenario, check)
    return None
