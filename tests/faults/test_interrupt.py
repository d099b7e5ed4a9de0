"""Ctrl-C while sync tools run: the KeyboardInterrupt surfaces at once, in both faces.

A sync tool runs in a thread (parallel tools on the sync face, every sync tool on the
async face), and a thread cannot be stopped: it is abandoned, left to finish on a daemon
thread, and its result discarded. The interrupt must not wait for it.

The interrupt is a real SIGINT sent to the main thread once the tools are known to be
running (or a KeyboardInterrupt raised by a tool or a callback). Tools block on an Event
that only the test's teardown sets, so the assertions are on order: the interrupt
arrived while every tool was still blocked. The tools' wait is bounded, so a broken
build fails instead of hanging.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import fantasy
from fantasy import Agent
from fantasy.tools import AgentTool
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import MODES, run_agent
from tests.faults.server import FaultServer, Reply, Stall, Stream
from tests.faults.wire import OPENAI_CHAT, _chat_chunk, _sse

MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
BOUND = 20.0
"""Longest a tool waits for its release: only a broken build ever reaches it."""


class Tools:
    """Sync tools that block until the test ends, and the order things happened in."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.log: list[str] = []
        self._lock = threading.Lock()
        self._started = threading.Semaphore(0)
        self.sent = threading.Event()
        """Set once the SIGINT has been sent."""

    def note(self, what: str) -> None:
        with self._lock:
            self.log.append(what)

    def slow(self, *, parallel: bool) -> AgentTool:
        @fantasy.tool(name="slow", parallel=parallel)
        def slow(city: str) -> str:
            self.started("tool started")
            self.block()
            self.note("tool finished")
            return "sunny"

        return slow

    def block(self) -> None:
        """Wait for the release, in short waits as busy Python code would: a SIGINT that
        lands just as a thread goes to sleep is only seen once it wakes."""
        deadline = time.monotonic() + BOUND
        while not self.release.wait(0.05) and time.monotonic() < deadline:
            pass

    def started(self, what: str) -> None:
        self.note(what)
        self._started.release()

    def wait_started(self, count: int) -> None:
        for _ in range(count):
            assert self._started.acquire(timeout=BOUND), "the tools never started"

    def sigint_once_started(self, count: int) -> threading.Thread:
        """Send SIGINT to the main thread, as Ctrl-C does, once ``count`` tools run."""

        def interrupt() -> None:
            self.wait_started(count)
            self.note("SIGINT")
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            self.sent.set()

        thread = threading.Thread(target=interrupt, daemon=True, name="test-sigint")
        thread.start()
        return thread

    def interrupted(self) -> None:
        """Called where the KeyboardInterrupt arrived: every tool is still blocked."""
        self.note("KeyboardInterrupt")
        assert not self.release.is_set()
        assert "tool finished" not in self.log, self.log


@pytest.fixture
def tools() -> Iterator[Tools]:
    t = Tools()
    yield t
    t.release.set()  # the abandoned threads finish now, so none outlives the test


def _tool_calls(names: list[str], streaming: bool) -> Reply | Stream:
    """One answer calling these tools, each with ``{"city": "Lisbon"}``."""
    calls = [
        {
            "index": i,
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": '{"city":"Lisbon"}'},
        }
        for i, name in enumerate(names)
    ]
    if streaming:
        chunks = [_chat_chunk({"role": "assistant", "tool_calls": calls})]
        chunks += [_chat_chunk({}, "tool_calls"), _sse("[DONE]")]
        return Stream(chunks)
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
    }
    return Reply(body=json.dumps(body).encode())


def _agent(server: FaultServer, *agent_tools: AgentTool) -> Agent:
    return Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), tools=list(agent_tools))


def _nothing_more_was_asked(server: FaultServer) -> None:
    assert len(server.requests) == 1, "an interrupt is never retried, and no step follows it"
    assert server.pending == 0


# --------------------------------------------------------------------------- Ctrl-C


@MODE
@STREAMING
def test_ctrl_c_during_parallel_sync_tools_does_not_wait_for_them(
    mode: str, streaming: bool, server: FaultServer, tools: Tools
) -> None:
    slow = tools.slow(parallel=True)
    server.script(_tool_calls(["slow", "slow"], streaming))
    tools.sigint_once_started(2)
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow), mode, streaming)
    tools.interrupted()
    assert tools.log == ["tool started", "tool started", "SIGINT", "KeyboardInterrupt"]
    _nothing_more_was_asked(server)


@MODE
@STREAMING
def test_ctrl_c_during_one_slow_sync_tool_does_not_wait_for_it(
    mode: str, streaming: bool, server: FaultServer, tools: Tools
) -> None:
    # The sync face runs a lone sync tool in the caller's thread, where the
    # KeyboardInterrupt is raised inside the tool; the async face runs it in a thread.
    slow = tools.slow(parallel=False)
    server.script(_tool_calls(["slow"], streaming))
    tools.sigint_once_started(1)
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow), mode, streaming)
    tools.interrupted()
    assert tools.log == ["tool started", "SIGINT", "KeyboardInterrupt"]
    _nothing_more_was_asked(server)


@MODE
def test_ctrl_c_during_a_slow_sync_callback(mode: str, server: FaultServer, tools: Tools) -> None:
    server.script(_tool_calls(["slow"], True))
    slow = tools.slow(parallel=True)

    def on_tool_call(_call: Any) -> None:
        tools.started("callback started")
        if mode == "sync":
            tools.block()  # called in the caller's thread: interrupted inside
        else:
            # asyncio.run's first Ctrl-C only asks the main task to stop, which happens
            # at its next await: a sync callback blocking the event loop runs to its end.
            tools.sent.wait(BOUND)
        tools.note("callback finished")

    tools.sigint_once_started(1)
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow), mode, True, on_tool_call=on_tool_call)
    tools.note("KeyboardInterrupt")
    if mode == "sync":
        assert tools.log == ["callback started", "SIGINT", "KeyboardInterrupt"]
    else:  # and the tool the model asked for is not started after it
        assert tools.log == ["callback started", "SIGINT", "callback finished", "KeyboardInterrupt"]
    _nothing_more_was_asked(server)


@MODE
def test_ctrl_c_while_the_model_answers_closes_the_connection(
    mode: str, server: FaultServer, tools: Tools
) -> None:
    server.script(Stall())

    def interrupt() -> None:
        deadline = time.monotonic() + BOUND
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.005)
        tools.note("SIGINT")
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server), mode, streaming=True)
    assert tools.log == ["SIGINT"]
    assert server.wait_client_closed(1), "the server never saw the connection close"
    _nothing_more_was_asked(server)


# --------------------------------------------------------------------------- raised


@MODE
@STREAMING
def test_a_tool_raising_keyboard_interrupt_does_not_wait_for_the_others(
    mode: str, streaming: bool, server: FaultServer, tools: Tools
) -> None:
    slow = tools.slow(parallel=True)

    @fantasy.tool(parallel=True)
    def stop(city: str) -> str:
        tools.wait_started(1)
        tools.note("tool raised")
        raise KeyboardInterrupt

    server.script(_tool_calls(["slow", "stop"], streaming))
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow, stop), mode, streaming)
    tools.interrupted()
    assert tools.log == ["tool started", "tool raised", "KeyboardInterrupt"]
    _nothing_more_was_asked(server)


@MODE
def test_a_callback_raising_keyboard_interrupt_does_not_wait_for_running_tools(
    mode: str, server: FaultServer, tools: Tools
) -> None:
    slow = tools.slow(parallel=True)

    @fantasy.tool(parallel=True)
    def fast(city: str) -> str:
        tools.wait_started(1)
        return "done"

    def on_tool_result(_result: Any) -> None:
        tools.note("callback raised")
        raise KeyboardInterrupt

    server.script(_tool_calls(["slow", "fast"], True))
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow, fast), mode, True, on_tool_result=on_tool_result)
    tools.interrupted()
    assert tools.log == ["tool started", "callback raised", "KeyboardInterrupt"]
    _nothing_more_was_asked(server)


def test_an_abandoned_tools_late_result_is_discarded(
    server: FaultServer, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The threads finish after the run and its event loop are gone: nothing breaks.
    failures: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    slow = tools.slow(parallel=True)
    server.script(_tool_calls(["slow", "slow"], False))
    tools.sigint_once_started(2)
    with pytest.raises(KeyboardInterrupt):
        run_agent(_agent(server, slow), "async", False)
    tools.interrupted()
    running = [t for t in threading.enumerate() if t.daemon and t.name.startswith("fantasy")]
    tools.release.set()
    for thread in running:
        thread.join(BOUND)
    assert tools.log.count("tool finished") == 2
    assert failures == []
