"""The async connection pool a provider makes for itself lives and dies with its event
loop. ``asyncio.run`` after ``asyncio.run`` on one model (or several threads, each with
its loop) closes each loop's connections as that loop ends: nothing is left open, no
``ResourceWarning``, no error in any loop, without the caller closing anything.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from typing import Any

import httpx
import pytest

from fantasy.model import LanguageModel
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import answer, call
from tests.faults.server import FaultServer
from tests.faults.wire import OPENAI_CHAT

STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])


async def _one_call(model: LanguageModel, streaming: bool, loop_errors: list[Any]) -> None:
    asyncio.get_running_loop().set_exception_handler(
        lambda loop, context: loop_errors.append(context)
    )
    if streaming:
        parts = [part async for part in model.astream(call())]
        assert parts[-1].type is StreamPartType.FINISH
    else:
        response = await model.agenerate(call())
        assert response.content.text == "Olá"


@STREAMING
def test_each_event_loop_closes_its_connections_as_it_ends(
    server: FaultServer, streaming: bool
) -> None:
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    loop_errors: list[Any] = []
    gc.collect()  # sockets an earlier test left to the collector warn here, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            server.script(answer(OPENAI_CHAT, ["Olá"], streaming))
            asyncio.run(_one_call(model, streaming, loop_errors))
            assert server.wait_connections_closed(), "the loop ended with a connection open"
        del model
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert loop_errors == []
    assert len(server.requests) == 3


def test_threads_with_their_own_loops_share_a_model(server: FaultServer) -> None:
    """Each loop gets a pool of its own: one thread's loop ending never closes the
    connection another thread's loop is using."""
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    server.responder = lambda request: answer(OPENAI_CHAT, ["Olá"], True)
    loop_errors: list[Any] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                asyncio.run(_one_call(model, True, loop_errors))
        except BaseException as exc:
            failures.append(exc)

    gc.collect()  # sockets an earlier test left to the collector warn here, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert server.wait_connections_closed()
        gc.collect()
    assert failures == []
    assert loop_errors == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert len(server.requests) == 12


@STREAMING
def test_a_dropped_model_closes_its_sync_connections(server: FaultServer, streaming: bool) -> None:
    """The sync face's pool (the transport's own httpx client) is closed when the model
    goes away: a program that makes a model per request leaves no socket to the
    collector and no ``ResourceWarning``."""
    gc.collect()  # sockets an earlier test left to the collector warn here, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            model = OPENAI_CHAT.build(server.url, FAKE_KEY)  # not kept by the test harness
            server.script(answer(OPENAI_CHAT, ["Olá"], streaming))
            if streaming:
                assert list(model.stream(call()))[-1].type is StreamPartType.FINISH
            else:
                assert model.generate(call()).content.text == "Olá"
            del model
            gc.collect()
            assert server.wait_connections_closed(), "the model went, its connection stayed"
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert len(server.requests) == 3


def test_a_dropped_model_leaves_a_callers_transport_open(server: FaultServer) -> None:
    """A transport the caller passed (shared by two models here) stays the caller's:
    one model going away does not close it under the other."""
    shared = httpx.HTTPTransport()
    first = OPENAI_CHAT.build(server.url, FAKE_KEY, transport=shared)
    second = OPENAI_CHAT.build(server.url, FAKE_KEY, transport=shared)
    server.responder = lambda request: answer(OPENAI_CHAT, ["Olá"], False)
    assert first.generate(call()).content.text == "Olá"
    del first
    gc.collect()
    assert second.generate(call()).content.text == "Olá"
    shared.close()
