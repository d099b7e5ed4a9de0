"""Fixtures of the batch suite: a fresh loopback batch server per test, and models of
each provider pointed at it over the real transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.batch.server import ANTHROPIC_KEY, GEMINI_KEY, OPENAI_KEY, BatchServer

ModelFactory = Callable[[BatchServer], Any]


@pytest.fixture
def server() -> Iterator[BatchServer]:
    srv = BatchServer().start()
    try:
        yield srv
    finally:
        srv.stop()


def openai_chat(server: BatchServer) -> Any:
    from fantasy.providers import openai

    provider = openai.Provider(api_key=OPENAI_KEY, base_url=f"{server.url}/v1")
    return provider.language_model("gpt-4o-mini")


def openai_responses(server: BatchServer) -> Any:
    from fantasy.providers import openai

    provider = openai.Provider(
        api_key=OPENAI_KEY, base_url=f"{server.url}/v1", use_responses_api=True
    )
    return provider.language_model("gpt-4o-mini")


def anthropic_messages(server: BatchServer) -> Any:
    from fantasy.providers import anthropic

    return anthropic.Provider(api_key=ANTHROPIC_KEY, base_url=server.url).language_model(
        "claude-sonnet-4-20250514"
    )


def gemini(server: BatchServer) -> Any:
    from fantasy.providers import google

    return google.Provider(api_key=GEMINI_KEY, base_url=server.url).language_model(
        "gemini-2.5-flash"
    )


MODELS: dict[str, ModelFactory] = {
    "openai-chat": openai_chat,
    "openai-responses": openai_responses,
    "anthropic": anthropic_messages,
    "gemini": gemini,
}


@pytest.fixture(params=sorted(MODELS))
def make_model(request: pytest.FixtureRequest) -> ModelFactory:
    return MODELS[request.param]
