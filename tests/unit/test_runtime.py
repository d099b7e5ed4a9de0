"""The sync face drives the async core without an event loop; these pin how."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from fantasy import _runtime


async def _answer() -> int:
    await _runtime.sleep(0)
    return 42


def test_run_sync_returns_the_coroutine_result_and_sets_sync_mode() -> None:
    seen: list[bool] = []

    async def probe() -> int:
        seen.append(_runtime.is_sync())
        return await _answer()

    assert _runtime.run_sync(probe()) == 42
    assert seen == [True]
    assert not _runtime.is_sync()


def test_a_coroutine_that_needs_an_event_loop_is_reported_not_hung() -> None:
    async def needs_loop() -> None:
        await asyncio.sleep(0.01)

    with pytest.raises(_runtime.SyncDriverError, match="async API"):
        _runtime.run_sync(needs_loop())


def test_iterate_sync_yields_every_item_and_closes_the_source_on_break() -> None:
    closed: list[bool] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            for i in range(10):
                yield i
        finally:
            closed.append(True)

    got = []
    for n in _runtime.iterate_sync(numbers()):
        got.append(n)
        if n == 2:
            break
    assert got == [0, 1, 2]
    assert closed == [True]


def test_exceptions_propagate_through_iterate_sync() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(_runtime.iterate_sync(failing()))


def test_call_user_awaits_async_functions_from_the_sync_face() -> None:
    async def user(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    async def core() -> int:
        result: int = await _runtime.call_user(user, 21)
        return result

    assert _runtime.run_sync(core()) == 42


async def test_call_user_from_sync_face_inside_a_running_loop_uses_a_thread() -> None:
    async def user() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    async def core() -> str:
        result: str = await _runtime.call_user(user)
        return result

    # We are inside pytest-asyncio's loop: the sync face must not try to reuse it.
    name = _runtime.run_sync(core())
    assert name != threading.current_thread().name


@pytest.mark.parametrize("face", ["sync", "async"])
def test_as_completed_yields_results_as_jobs_finish(face: str) -> None:
    release_first = threading.Event()

    def make(i: int):  # type: ignore[no-untyped-def]
        async def job() -> int:
            if i == 0:
                # Job 0 waits until job 1 has finished: only possible if they overlap.
                await _runtime.run_in_worker(release_first.wait, 5)
            return i

        return job

    async def collect() -> list[int]:
        out = []
        async for value in _runtime.as_completed([make(0), make(1)], limit=2):
            out.append(value)
            release_first.set()
        return out

    result = _runtime.run_sync(collect()) if face == "sync" else asyncio.run(collect())
    assert result == [1, 0]
