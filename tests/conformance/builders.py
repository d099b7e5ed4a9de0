"""How each recorded pair's language model is built (Go's builder functions).

Keys are never real: replay never reaches a provider, and the matcher does
not look at headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.scenarios import Setup

OPENAI_MODELS = {
    "openai-gpt-4o": "gpt-4o",
    "openai-gpt-4o-mini": "gpt-4o-mini",
    "openai-gpt-5": "gpt-5",
    "openai-o4-mini": "o4-mini",
}
OPENAI_IMAGE_MODELS = {"openai-gpt-5": "gpt-5", "openai-gpt-5-stream": "gpt-5"}


def build_openai(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
    from fantasy.providers import openai

    model_id = OPENAI_MODELS.get(case.pair) or OPENAI_IMAGE_MODELS.get(case.pair)
    if model_id is None:
        raise LookupError(f"no OpenAI model is mapped for pair {case.pair!r}")
    provider = openai.Provider(api_key="test-key", transport=transport)
    return provider.language_model(model_id), Setup()


BUILDERS: dict[str, Callable[[Case, Any], tuple[fantasy.LanguageModel, Setup]]] = {
    "openai": build_openai,
}
