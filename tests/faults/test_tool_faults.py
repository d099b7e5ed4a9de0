"""Tools that misbehave (raise, hang, return what cannot be sent) give the model an error
result and the run goes on: the next request, as the server received it, carries the error.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import fantasy
from fantasy import Agent
from fantasy.types import ToolResultOutputError
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import MODES, closing_after, run_agent
from tests.faults.server import FaultServer, Stream
from tests.faults.wire import OPENAI_CHAT, chat_tool_stream

MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets a hanging sync tool finish once the test is over, so no thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


def _script_tool_round(server: FaultServer, tool_name: str, streaming: bool) -> None:
    from tests.faults.drive import answer

    first = Stream(chat_tool_stream("call_1", tool_name, '{"city":"Lisbon"}'))
    if not streaming:
        from tests.faults.server import Reply

        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": tool_name, "arguments": '{"city":"Lisbon"}'},
                            }
                        ],
                    },
                }
            ],
        }
        server.script(Reply(body=json.dumps(body).encode()))
    else:
        server.script(first)
    server.script(answer(OPENAI_CHAT, ["All done."], streaming))


def _tool_error_sent_back(server: FaultServer) -> str:
    """The tool message of the second request, as the model would read it."""
    assert len(server.requests) == 2
    body = json.loads(server.requests[1].body)
    tool_messages = [m for m in body["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 1
    content = tool_messages[0]["content"]
    return content if isinstance(content, str) else json.dumps(content)


def _run(server: FaultServer, tool: Any, mode: str, streaming: bool, **kw: Any) -> Any:
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), tools=[tool])
    result = run_agent(agent, mode, streaming, **kw)
    assert result.text == "All done.", "the run went on after the tool failed"
    (tool_result,) = result.steps[0].content.tool_results
    assert isinstance(tool_result.result, ToolResultOutputError)
    return tool_result.result


@MODE
@STREAMING
def test_a_tool_that_raises_gives_the_model_an_error(
    mode: str, streaming: bool, server: FaultServer
) -> None:
    @fantasy.tool
    def weather(city: str) -> str:
        raise RuntimeError(f"no weather station in {city}")

    _script_tool_round(server, "weather", streaming)
    output = _run(server, weather, mode, streaming)
    assert "no weather station in Lisbon" in str(output.error)
    assert "no weather station in Lisbon" in _tool_error_sent_back(server)


@MODE
@STREAMING
def test_a_sync_tool_that_hangs_times_out_and_the_run_goes_on(
    mode: str, streaming: bool, server: FaultServer, release: threading.Event
) -> None:
    @fantasy.tool(timeout=0.1)
    def weather(city: str) -> str:
        release.wait(10)
        return "sunny"

    _script_tool_round(server, "weather", streaming)
    # The abandoned thread is a daemon in both faces: asyncio.run does not wait for it.
    output = _run(server, weather, mode, streaming)
    assert 'tool "weather" timed out after 0.1s' in str(output.error)
    assert "timed out after 0.1s" in _tool_error_sent_back(server)
    assert not release.is_set(), "the run ended while the tool still hung"


@MODE
@STREAMING
def test_an_async_tool_that_hangs_times_out_and_the_run_goes_on(
    mode: str, streaming: bool, server: FaultServer, release: threading.Event
) -> None:
    cancelled: list[bool] = []

    @fantasy.tool(timeout=0.1)
    async def weather(city: str) -> str:
        try:
            while not release.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return "sunny"

    _script_tool_round(server, "weather", streaming)
    output = _run(server, weather, mode, streaming)
    assert 'tool "weather" timed out after 0.1s' in str(output.error)
    if mode == "async":
        assert cancelled == [True], "the hung coroutine was cancelled, not left running"
    # The sync face ran it on its own loop in a daemon thread, abandoned (see with_timeout).


def test_a_tool_without_timeout_may_take_its_time(server: FaultServer) -> None:
    @fantasy.tool
    async def weather(city: str) -> str:
        await asyncio.sleep(0.05)
        return "sunny"

    _script_tool_round(server, "weather", True)
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), tools=[weather])
    result = run_agent(agent, "async", True)
    assert result.steps[0].content.tool_results[0].result.text == "sunny"  # type: ignore[union-attr]


@MODE
@STREAMING
def test_a_tool_that_returns_something_unserialisable_gives_the_model_an_error(
    mode: str, streaming: bool, server: FaultServer
) -> None:
    @fantasy.tool
    def weather(city: str) -> Any:
        return {"station": object()}

    _script_tool_round(server, "weather", streaming)
    output = _run(server, weather, mode, streaming)
    assert 'tool "weather" failed' in str(output.error)
    assert "weather" in _tool_error_sent_back(server)


@MODE
def test_a_tool_that_raises_timeout_error_itself_is_reported_as_a_failure(
    mode: str, server: FaultServer
) -> None:
    @fantasy.tool
    def weather(city: str) -> str:
        raise TimeoutError("the station did not answer")

    _script_tool_round(server, "weather", True)
    output = _run(server, weather, mode, True)
    assert "the station did not answer" in str(output.error)


@MODE
def test_the_agents_tool_timeout_covers_tools_without_their_own(
    mode: str, server: FaultServer
) -> None:
    @fantasy.tool
    async def weather(city: str) -> str:
        await asyncio.sleep(10)
        return "sunny"

    _script_tool_round(server, "weather", True)
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), tools=[weather], tool_timeout=0.1)
    if mode == "sync":
        # The sync face runs the coroutine on a daemon thread's own loop: abandoned there.
        result = agent.stream("Say hi").result
    else:
        result = asyncio.run(closing_after(agent.model, agent.astream("Say hi").collect()))
    (tool_result,) = result.steps[0].content.tool_results
    assert isinstance(tool_result.result, ToolResultOutputError)
    assert tool_result.result.error == 'tool "weather" timed out after 0.1s'
    assert result.text == "All done."


def test_a_tools_own_timeout_wins_over_the_agents(server: FaultServer) -> None:
    @fantasy.tool(timeout=5)
    async def weather(city: str) -> str:
        await asyncio.sleep(0.2)
        return "sunny"

    _script_tool_round(server, "weather", True)
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), tools=[weather], tool_timeout=0.05)
    result = asyncio.run(closing_after(agent.model, agent.astream("Say hi").collect()))
    assert result.steps[0].content.tool_results[0].result.text == "sunny"  # type: ignore[union-attr]
