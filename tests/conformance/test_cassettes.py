"""Replays every cassette of the Fantasy corpus through our code, strictly.

A cassette passes when every request we send matches the recorded one
(method, full URL, JSON-equal body), every recorded interaction is consumed,
and Fantasy's assertions on the result hold, through the sync face and the
async face each. A cassette that maps to no provider, builder or scenario fails.
"""

from __future__ import annotations

import zlib

import pytest

from fantasy.testing import ReplayTransport
from tests.conformance.discovery import Case, discover, provider_family
from tests.conformance.registry import BUILDERS, scenario_for_case

CASES = discover()


def replay(case: Case, face: str) -> None:
    family = provider_family(case)
    if family is None:
        pytest.fail(f"no provider mapping for cassette {case.id}")
    builder = BUILDERS.get(family)
    if builder is None:
        pytest.fail(f"no builder for provider family {family!r} (cassette {case.id})")
    scenario = scenario_for_case(case)
    if scenario is None:
        pytest.fail(f"no scenario mapping for cassette {case.id}")
    transport = ReplayTransport(case.path, seed=zlib.crc32(f"{case.id}/{face}".encode()))
    model, setup = builder(case, transport)
    result = scenario.run(model, setup, face)  # type: ignore[arg-type]
    scenario.check(result)
    transport.assert_all_used()


def test_corpus_is_present() -> None:
    assert CASES, "no cassettes found: set FANTASY_CASSETTES to the corpus folder"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_cassette(case: Case) -> None:
    replay(case, "sync")
    replay(case, "async")
