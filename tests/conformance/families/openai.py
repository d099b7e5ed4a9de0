"""OpenAI on the Chat Completions path (Go: providertests/openai_test.go, image_upload_test.go)."""

from __future__ import annotations

from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.registry import builder
from tests.conformance.scenarios import Setup

OPENAI_MODELS = {
    "openai-gpt-4o": "gpt-4o",
    "openai-gpt-4o-mini": "gpt-4o-mini",
    "openai-gpt-5": "gpt-5",
    "openai-o4-mini": "o4-mini",
    # image upload pairs
    "openai-gpt-5-stream": "gpt-5",
}


@builder("openai")
def build_openai(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import openai

    model_id = OPENAI_MODELS.get(case.pair)
    if model_id is None:
        raise LookupError(f"no OpenAI model is mapped for pair {case.pair!r}")
    provider = openai.Provider(api_key="test-key", transport=transport)
    return provider.language_model(model_id), Setup()
