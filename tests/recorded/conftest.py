"""A loopback server per test (the fault suite's fixture), and every model a test built
closed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.conftest import server  # noqa: F401  (a fixture: one server per test)
from tests.recorded.replay import BUILT


@pytest.fixture(autouse=True)
def close_models() -> Iterator[None]:
    yield
    while BUILT:
        transport = getattr(BUILT.pop(), "transport", None)
        if transport is not None:
            transport.close()
