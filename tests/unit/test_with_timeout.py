"""`_runtime.with_timeout`, the one way a bounded wait is spelled for both faces."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from fantasy import _runtime


async def _value() -> str:
    return "done"


async def _boom() -> str:
    raise LookupError("inner failure")


def test_no_limit_just_awaits() -> None:
    assert _runtime.run_sync(_runtime.with_timeout(_value, None)) == "done"
    assert asyncio.run(_runtime.with_timeout(_value, None)) == "done"


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_result_or_an_error_within_the_limit_comes_through(face: str) -> None:
    def run(job: Callable[[], Coroutine[Any, Any, str]]) -> str:
        coro = _runtime.with_timeout(job, 5)
        return _runtime.run_sync(coro) if face == "sync" else asyncio.run(coro)

    assert run(_value) == "done"
    with pytest.raises(LookupError, match="inner failure"):
        run(_boom)


def test_sync_face_gives_up_on_a_blocking_job_and_leaves_it_on_a_daemon_thread() -> None:
    release = threading.Event()
    threads: list[threading.Thread] = []

    async def blocked() -> str:
        threads.append(threading.current_thread())
        assert _runtime.is_sync(), "the job still runs under the sync face"
        release.wait(10)
        return "late"

    try:
        with pytest.raises(TimeoutError, match=r"timed out after 0\.05s"):
            _runtime.run_sync(_runtime.with_timeout(blocked, 0.05))
        assert threads and threads[0].daemon
    finally:
        release.set()


def test_async_face_cancels_the_job() -> None:
    cancelled: list[bool] = []

    async def slow() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return "late"

    with pytest.raises(TimeoutError):
        asyncio.run(_runtime.with_timeout(slow, 0.05))
    assert cancelled == [True]
