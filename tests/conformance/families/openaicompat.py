"""OpenAI-compatible servers (Go: providertests/openaicompat_test.go)."""

from __future__ import annotations

from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import Scenario, Setup, check_has_reasoning, thinking_scenario

# pair -> (base URL, model id)
SERVERS = {
    "xai-grok-4-fast": ("https://api.x.ai/v1", "grok-4-fast"),
    "xai-grok-code-fast": ("https://api.x.ai/v1", "grok-code-fast-1"),
    "xai-grok-3-mini": ("https://api.x.ai/v1", "grok-3-mini"),
    "groq-kimi-k2": ("https://api.groq.com/openai/v1", "moonshotai/kimi-k2-instruct-0905"),
    "zai-glm-4-7-flash": ("https://api.z.ai/api/coding/paas/v4", "glm-4.7-flash"),
    "huggingface-kimi-k2": (
        "https://router.huggingface.co/v1",
        "moonshotai/Kimi-K2-Instruct-0905:groq",
    ),
    "llama-cpp-gpt-oss": ("http://localhost:8080/v1", "openai/gpt-oss-20b"),
    "avian-kimi": ("https://api.avian.io/v1", "moonshotai/kimi-k2.5"),
}
NO_KEY = {"llama-cpp-gpt-oss"}


@builder("openaicompat")
def build_openaicompat(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import openai, openaicompat

    base_url, model_id = SERVERS[case.pair]
    provider = openaicompat.Provider(
        base_url, None if case.pair in NO_KEY else "test-key", transport=transport
    )
    setup = Setup()
    if case.group == "TestOpenAICompatibleThinking" and not case.pair.startswith("avian-"):
        effort: openai.ReasoningEffort = "high"
        setup.provider_options = {
            openaicompat.NAME: openaicompat.ProviderOptions(reasoning_effort=effort)
        }
    return provider.language_model(model_id), setup


@scenarios
def compat_thinking(case: Case) -> Scenario | None:
    if case.group != "TestOpenAICompatibleThinking":
        return None
    return thinking_scenario(case.scenario, check_has_reasoning)
