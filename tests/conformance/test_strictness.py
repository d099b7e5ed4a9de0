"""The replay is only worth something if it notices a wrong request.

For a few representative OpenAI cassettes, every value of every recorded
request body is changed in turn (and every top-level key removed, and one
added); the scenario must then fail with a cassette mismatch, at the request
that was changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from fantasy.testing import Cassette, CassetteMismatchError, ReplayTransport
from tests.conformance.discovery import Case, discover, provider_family
from tests.conformance.registry import BUILDERS, scenario_for_case

SAMPLES = (
    "TestOpenAICommon/openai-gpt-4o-mini/multi_tool_streaming",
    "TestOpenAICommon/openai-gpt-4o/tool",
    "TestOpenAICommon/openai-gpt-5/simple",
    "TestImageUploadAgent/openai-gpt-5/openai-gpt-5",
)

JSONPath = tuple[str | int, ...]


def _leaves(value: Any, path: JSONPath = ()) -> Iterator[JSONPath]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return "x"


def _set(body: Any, path: JSONPath, new: Any) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


def _get(body: Any, path: JSONPath) -> Any:
    for key in path:
        body = body[key]
    return body


def mutations(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in _leaves(body):
        mutated = copy.deepcopy(body)
        _set(mutated, path, _changed(_get(body, path)))
        yield f"change {'.'.join(map(str, path))}", mutated
    for key in body:
        mutated = copy.deepcopy(body)
        del mutated[key]
        yield f"remove {key}", mutated
    yield "add a key", {**body, "seed": 1}


def _case(case_id: str) -> Case:
    for case in discover():
        if case.id == case_id:
            return case
    pytest.skip(f"cassette {case_id} is not in this corpus")


@pytest.mark.parametrize("case_id", SAMPLES)
def test_any_changed_request_value_fails_the_replay(case_id: str) -> None:
    case = _case(case_id)
    scenario = scenario_for_case(case)
    family = provider_family(case)
    assert scenario is not None and family is not None
    original = Cassette.load(case.path)
    tried = 0
    for index, interaction in enumerate(original.interactions):
        body = json.loads(interaction.request.body)
        for what, mutated in mutations(body):
            cassette = copy.deepcopy(original)
            cassette.interactions[index].request.body = json.dumps(mutated)
            model, setup = BUILDERS[family](case, ReplayTransport(cassette))
            try:
                scenario.run(model, setup, "sync")
            except CassetteMismatchError:
                tried += 1
            else:
                pytest.fail(f"the replay did not notice: {what} in request {index}")
    assert tried >= 5, "the sample should exercise many values"
