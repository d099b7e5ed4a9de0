"""Fixtures for the agent-loop tests: run one scenario through each face of the agent.

The loop is written once (async) and exposed four ways: ``generate``, ``agenerate``,
``stream`` and ``astream``. Behaviour shared by all four is pinned once and run through
each, so a face that drifts from the others fails by name.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Protocol

import pytest

import fantasy

Mode = Literal["generate", "agenerate", "stream", "astream"]
MODES: tuple[Mode, ...] = ("generate", "agenerate", "stream", "astream")


class RunAgent(Protocol):
    """Run the agent to completion through one face and return its result."""

    mode: Mode

    def __call__(
        self, agent: fantasy.Agent, prompt: str = "", /, **options: Any
    ) -> fantasy.AgentResult: ...


class _Runner:
    def __init__(self, mode: Mode):
        self.mode: Mode = mode

    def __call__(
        self, agent: fantasy.Agent, prompt: str = "", /, **options: Any
    ) -> fantasy.AgentResult:
        # The async faces run on a fresh loop from a plain (sync) test, so the sync faces
        # are exercised the way a sync caller uses them: with no event loop running.
        if self.mode == "generate":
            return agent.generate(prompt, **options)
        if self.mode == "agenerate":
            return asyncio.run(agent.agenerate(prompt, **options))
        if self.mode == "stream":
            return agent.stream(prompt, **options).result
        return asyncio.run(agent.astream(prompt, **options).collect())

    def __repr__(self) -> str:
        return f"RunAgent({self.mode})"


@pytest.fixture(params=MODES)
def run(request: pytest.FixtureRequest) -> RunAgent:
    """Every face: generate, agenerate, stream, astream."""
    return _Runner(request.param)


@pytest.fixture(params=("generate", "agenerate"))
def run_generate(request: pytest.FixtureRequest) -> RunAgent:
    """The non-streaming faces only."""
    return _Runner(request.param)


@pytest.fixture(params=("stream", "astream"))
def run_stream(request: pytest.FixtureRequest) -> RunAgent:
    """The streaming faces only (callbacks are accepted as options)."""
    return _Runner(request.param)
