"""A loopback server per test, and every model a test built closed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.server import FaultServer
from tests.recorded.replay import BUILT


@pytest.fixture
def server() -> Iterator[FaultServer]:
    srv = FaultServer(max_wait=10.0).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True)
def close_models() -> Iterator[None]:
    yield
    while BUILT:
        transport = getattr(BUILT.pop(), "transport", None)
        if transport is not None:
            transport.close()
