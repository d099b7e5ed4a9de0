"""Vercel AI Gateway: every documented shape through generate and stream."""

from __future__ import annotations

import pytest

from tests.robustness.fixtures_vercel import FIXTURES
from tests.robustness.harness import Fixture, check


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_nothing_is_lost(fixture: Fixture) -> None:
    check(fixture)
