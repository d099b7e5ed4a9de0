"""The provider's own finish reason travels next to the mapped one, whole and streamed,
for every provider family (a ``MAX_TOKENS`` or ``end_turn`` a caller may need to see)."""

from __future__ import annotations

import pytest

from fantasy import Agent, FinishReason, StreamPartType
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import MODES, answer, generate, run_agent, stream_parts
from tests.faults.server import FaultServer
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)

RAW = {
    "openai-chat": "stop",
    "azure-chat": "stop",
    "openaicompat": "stop",
    "openai-responses": "completed",
    "anthropic": "end_turn",
    "bedrock": "end_turn",
    "google": "STOP",
}


@FAMILY
@MODE
def test_a_streamed_finish_carries_the_providers_own_reason(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(answer(family, ["Hi"], streaming=True))

    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)

    finish = parts[-1]
    assert finish.type is StreamPartType.FINISH
    assert finish.finish_reason is FinishReason.STOP
    assert finish.raw_finish_reason == RAW[family.name]


@FAMILY
@MODE
def test_a_whole_answer_carries_the_providers_own_reason(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(answer(family, ["Hi"], streaming=False))

    response = generate(family.make(server.url, FAKE_KEY), mode)

    assert response.finish_reason is FinishReason.STOP
    assert response.raw_finish_reason == RAW[family.name]


@FAMILY
@MODE
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_an_agent_step_keeps_the_providers_own_reason(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    server.script(answer(family, ["Hi"], streaming=streaming))

    result = run_agent(Agent(family.make(server.url, FAKE_KEY)), mode, streaming)

    assert result.steps[0].raw_finish_reason == RAW[family.name]
    assert result.response.raw_finish_reason == RAW[family.name]
