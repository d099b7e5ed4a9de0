"""Conversations saved to JSON and loaded back go on exactly as if never saved.

For every cassette of the corpus with two or more interactions whose provider
family is registered, the scenario is replayed once on the real cassette while
every `Call` the model receives is saved with `fantasy.to_json`. Then:

- agent continuation (agent scenarios): the initial prompt plus the first step's
  messages go through JSON text into a fresh object graph, and a fresh agent
  given only ``messages=loaded`` (no prompt) must send every remaining recorded
  request, strictly matched and all consumed, and end with the same answer;
- call replay (every scenario, including the hand-written multi-turn ones): each
  saved call, loaded back, must make a fresh model send exactly its recorded request.

Along the way every stream part and response the model returned is saved and
loaded, and must save again to the same JSON.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

import fantasy
from fantasy.testing import Cassette, ReplayTransport
from tests.conformance.discovery import Case, discover, provider_family
from tests.conformance.registry import BUILDERS, scenario_for_case
from tests.conformance.scenarios import Scenario


def _multi_interaction(case: Case) -> bool:
    return len(Cassette.load(case.path).interactions) >= 2


CASES = [case for case in discover() if _multi_interaction(case)]


@dataclass
class SavedCall:
    stream: bool
    json: str


class RecordingModel(fantasy.BaseLanguageModel):
    """Wraps the model a builder made: saves each call it is given, and checks that
    each stream part and response it returns survives a save/load round trip."""

    def __init__(self, inner: fantasy.LanguageModel):
        self.inner = inner
        self.provider_name = inner.provider
        self.model_id = inner.model
        self.calls: list[SavedCall] = []

    async def agenerate(self, call: fantasy.Call) -> fantasy.Response:
        self.calls.append(SavedCall(False, fantasy.to_json(call)))
        response = await self.inner.agenerate(call)
        _assert_round_trip(response, fantasy.Response)
        return response

    async def astream(self, call: fantasy.Call) -> AsyncIterator[fantasy.StreamPart]:
        self.calls.append(SavedCall(True, fantasy.to_json(call)))
        async for part in self.inner.astream(call):
            _assert_round_trip(part, fantasy.StreamPart)
            yield part


def _assert_round_trip(value: Any, kind: Any) -> None:
    saved = fantasy.to_json(value)
    assert fantasy.to_json(fantasy.from_json(saved, kind)) == saved


def _builder_and_scenario(case: Case) -> Any:
    family = provider_family(case)
    builder = BUILDERS.get(family or "")
    if builder is None:
        pytest.fail(f"no builder for provider family {family!r} (cassette {case.id})")
    scenario = scenario_for_case(case)
    if scenario is None:
        pytest.fail(f"no scenario mapping for cassette {case.id}")
    return builder, scenario


def _seed(case: Case, what: str) -> int:
    return zlib.crc32(f"{case.id}/{what}".encode())


def _initial_prompt(scenario: Scenario) -> list[fantasy.Message]:
    """What the agent sent first, as a user would keep it: the system prompt, any
    earlier messages, then the prompt with its files."""
    prompt: list[fantasy.Message] = []
    system = scenario.agent_kwargs.get("system_prompt")
    if system:
        prompt.append(fantasy.system_message(system))
    prompt.extend(scenario.call_kwargs.get("messages") or ())
    prompt.append(fantasy.user_message(scenario.prompt, *(scenario.call_kwargs.get("files") or ())))
    return prompt


def _continue(
    case: Case, builder: Any, scenario: Scenario, loaded: list[fantasy.Message], face: str
) -> fantasy.AgentResult:
    """A fresh agent, given only the loaded history, against the remaining interactions."""
    rest = Cassette(interactions=Cassette.load(case.path).interactions[1:])
    transport = ReplayTransport(rest, seed=_seed(case, f"continue/{face}"))
    model, setup = builder(case, transport)
    # The system prompt is in the loaded history; giving it again would send it twice.
    agent_kwargs = {k: v for k, v in scenario.agent_kwargs.items() if k != "system_prompt"}
    agent = fantasy.Agent(model, **agent_kwargs)
    kwargs = {k: v for k, v in scenario.call_kwargs.items() if k not in ("files", "messages")}
    kwargs.update(
        messages=loaded, provider_options=setup.provider_options, prepare_step=setup.prepare_step
    )
    if face == "sync":
        result = agent.stream(**kwargs).result if scenario.stream else agent.generate(**kwargs)
    else:

        async def main() -> fantasy.AgentResult:
            if scenario.stream:
                return await agent.astream(**kwargs).collect()
            return await agent.agenerate(**kwargs)

        result = asyncio.run(main())
    transport.assert_all_used()
    return result


def _replay_call(case: Case, builder: Any, index: int, saved: SavedCall) -> None:
    """One saved call, loaded into a fresh graph, sent by a fresh model."""
    interaction = Cassette.load(case.path).interactions[index]
    transport = ReplayTransport(Cassette(interactions=[interaction]), seed=_seed(case, "call"))
    model, _ = builder(case, transport)
    call = fantasy.from_json(saved.json, fantasy.Call)
    assert fantasy.to_json(call) == saved.json
    if saved.stream:
        parts = list(model.stream(call))
        assert parts and parts[-1].type is not fantasy.StreamPartType.ERROR, parts[-1:]
    else:
        model.generate(call)
    transport.assert_all_used()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_continuation(case: Case) -> None:
    builder, scenario = _builder_and_scenario(case)
    transport = ReplayTransport(case.path, seed=_seed(case, "first"))
    model, setup = builder(case, transport)
    recorder = RecordingModel(model)
    result = scenario.run(recorder, setup, "sync")
    scenario.check(result)
    transport.assert_all_used()
    interactions = Cassette.load(case.path).interactions
    assert len(recorder.calls) == len(interactions), "one model call per recorded interaction"

    for index, saved in enumerate(recorder.calls):
        _replay_call(case, builder, index, saved)

    if type(scenario) is not Scenario:
        return  # a hand-written multi-turn scenario: its calls were replayed above
    history = [*_initial_prompt(scenario), *result.steps[0].messages]
    text = fantasy.to_json(history)
    loaded = fantasy.from_json(text, list[fantasy.Message])
    assert fantasy.to_json(loaded) == text
    for face in ("sync", "async"):
        continued = _continue(case, builder, scenario, loaded, face)
        assert len(continued.steps) == len(result.steps) - 1
        assert continued.response.content.text == result.response.content.text
