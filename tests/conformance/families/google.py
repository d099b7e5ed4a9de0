"""Gemini on the Gemini API and on Vertex AI (Go: providertests/google_test.go,
image_upload_test.go). Claude on Vertex belongs to the Anthropic family."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.registry import builder, scenarios
from tests.conformance.scenarios import SYSTEM, Scenario, Setup, weather

GEMINI_MODELS = {
    "gemini-3-pro-preview": "gemini-3-pro-preview",
    "gemini-2.5-flash": "gemini-2.5-flash",
    "gemini-2.5-pro": "gemini-2.5-pro",
    # image upload pairs
    "gemini-2.5-pro-stream": "gemini-2.5-pro",
}

VERTEX_MODELS = {
    "vertex-gemini-2-5-flash": "gemini-2.5-flash",
    "vertex-gemini-2-5-pro": "gemini-2.5-pro",
}

IMAGE_GROUPS = {"TestImageUploadAgent", "TestImageUploadAgentStreaming"}


def id_counter() -> Callable[[], str]:
    """Go's generateIDMock: "1", "2", ... fresh for each model the test builds."""
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return str(count)

    return next_id


def thinking_options(model_id: str) -> fantasy.types.ProviderOptions:
    from fantasy.providers import google

    if model_id.startswith("gemini-2"):
        config = google.ThinkingConfig(thinking_budget=100, include_thoughts=True)
    else:
        config = google.ThinkingConfig(
            thinking_level=google.THINKING_LEVEL_HIGH, include_thoughts=True
        )
    return {google.NAME: google.ProviderOptions(thinking_config=config)}


@builder("google")
def build_google(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import google

    # The image-upload builder gives no id function; the others count from 1.
    ids = None if case.group in IMAGE_GROUPS else id_counter()
    if case.pair in VERTEX_MODELS:
        model_id = VERTEX_MODELS[case.pair]
        provider = google.Provider(
            vertex=True,
            project=os.environ.get("FANTASY_VERTEX_PROJECT") or "fantasy-playground-472418",
            location=os.environ.get("FANTASY_VERTEX_LOCATION") or "us-east5",
            skip_auth=True,
            transport=transport,
            tool_call_id=ids,
        )
    elif case.pair in GEMINI_MODELS:
        model_id = GEMINI_MODELS[case.pair]
        provider = google.Provider(api_key="test-key", transport=transport, tool_call_id=ids)
    else:
        raise LookupError(f"no Google model is mapped for pair {case.pair!r}")
    setup = Setup()
    if case.group == "TestGoogleThinking":
        setup = Setup(provider_options=thinking_options(model_id))
    return provider.language_model(model_id), setup


def check_google_thinking(result: fantasy.AgentResult) -> None:
    got = result.response.content.text
    assert "Florence" in got and "40" in got, f"unexpected response: {got!r}"
    reasoning = [
        part
        for step in result.steps
        for message in step.messages
        for part in message.content
        if isinstance(part, fantasy.ReasoningPart)
    ]
    assert reasoning, "expected at least one reasoning part in the step messages"


@scenarios
def google_thinking(case: Case) -> Scenario | None:
    """Go's testThinking with testGoogleThinking: no max tokens, a space after the comma."""
    if case.group != "TestGoogleThinking" or case.scenario not in (
        "thinking",
        "thinking-streaming",
    ):
        return None
    return Scenario(
        {"system_prompt": SYSTEM, "tools": [weather]},
        "What's the weather in Florence, Italy?",
        case.scenario == "thinking-streaming",
        check_google_thinking,
    )
