"""Fixtures of the fault suite: a fresh fault server per test, and a sleep that never sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.server import FaultServer
from tests.faults.wire import CREATED

FAKE_KEY = "sk-fault-suite-SECRET-0123456789"
"""A fake key, distinctive enough that finding it anywhere means it leaked."""


@pytest.fixture
def server() -> Iterator[FaultServer]:
    srv = FaultServer(max_wait=10.0).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True)
def close_models() -> Iterator[None]:
    """Close the sync clients of every model a test built (async ones close in `drive`)."""
    yield
    while CREATED:
        transport = getattr(CREATED.pop(), "transport", None)
        if transport is not None:
            transport.close()


class RecordingSleep:
    """Injected as the retry policy's sleep: records each delay, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()
