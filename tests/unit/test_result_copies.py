"""A finished run's result keeps its meaning when copied or pickled (a cached or saved
result): ``output`` of a text run is still the text."""

from __future__ import annotations

import copy
import pickle

import fantasy
from fantasy.testing import FakeModel, text_response


def test_a_copied_or_pickled_text_result_still_gives_its_text() -> None:
    agent = fantasy.Agent(FakeModel([text_response("Ciao!")]))
    result = agent.generate("Say hello in Italian.")
    assert result.output == "Ciao!"
    for twin in (copy.copy(result), copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
        assert twin.output == "Ciao!"
        assert twin.text == "Ciao!"
    assert copy.deepcopy(result) == result
