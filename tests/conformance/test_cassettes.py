"""Replays every cassette of the Fantasy corpus through our code, strictly.

A cassette passes when every request we send matches the recorded one
(method, full URL, JSON-equal body), every recorded interaction is consumed,
and Fantasy's assertions on the result hold, through the sync face and the
async face each. Cassettes of provider families not built yet are expected
failures (strict: one that starts passing must be promoted); a cassette that
maps to no provider or scenario fails.
"""

from __future__ import annotations

import zlib

import pytest

from fantasy.testing import ReplayTransport
from tests.conformance.discovery import PLANNED_IN_ISSUE, Case, discover, provider_family
from tests.conformance.registry import BUILDERS, scenario_for_case

CASES = discover()


def _param(case: Case) -> object:
    family = provider_family(case)
    marks = []
    if family is not None and family not in BUILDERS and family in PLANNED_IN_ISSUE:
        marks.append(
            pytest.mark.xfail(
                reason=f"provider family {family!r} is not built yet "
                f"(issue #{PLANNED_IN_ISSUE[family]})",
                strict=True,
                raises=NotImplementedError,
            )
        )
    return pytest.param(case, id=case.id, marks=marks)


def replay(case: Case, face: str) -> None:
    family = provider_family(case)
    if family is None:
        pytest.fail(f"no provider mapping for cassette {case.id}")
    builder = BUILDERS.get(family)
    if builder is None:
        raise NotImplementedError(f"provider family {family} is not built yet")
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


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_cassette(case: Case) -> None:
    replay(case, "sync")
    replay(case, "async")
