"""Retries never repeat work, and a failed run keeps what it did.

A retry covers the model call only. A tool that ran is never run again, whatever
an exception says about itself: a ``ConnectionError`` raised by the caller's own
callback is the caller's, not the provider's. When a run fails, the steps it
completed travel with the exception, so they can be saved and resumed.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import TYPE_CHECKING, Any

import pytest

import fantasy
from fantasy import Agent, ProviderError, Role
from fantasy.testing import (
    FakeModel,
    RecordingSleep,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
    text_response,
    tool_call_response,
)

if TYPE_CHECKING:
    from conftest import RunAgent


def charging_tool() -> tuple[fantasy.TypedTool, list[int]]:
    charges: list[int] = []

    @fantasy.tool
    def charge(amount: int) -> str:
        """Charge the card."""
        charges.append(amount)
        return "charged"

    return charge, charges


def test_a_connection_error_from_a_callback_does_not_rerun_a_tool(run_stream: RunAgent) -> None:
    charge, charges = charging_tool()
    model = FakeModel(
        [
            stream_parts_for_tool_calls(("c1", "charge", '{"amount": 100}')),
            stream_parts_for_text("done"),
            stream_parts_for_text("done"),
        ]
    )
    sleep = RecordingSleep()

    def on_tool_result(_: fantasy.ToolResultContent) -> None:
        raise ConnectionError("my dashboard is down")

    with pytest.raises(ConnectionError, match="my dashboard is down"):
        run_stream(Agent(model, tools=[charge], sleep=sleep), "pay", on_tool_result=on_tool_result)

    assert charges == [100], "the card was charged once"
    assert len(model.calls) == 1
    assert sleep.delays == []


@pytest.mark.parametrize("callback", ["on_text_delta", "on_chunk", "on_step_start"])
def test_a_transient_looking_error_from_any_callback_is_not_retried(
    run_stream: RunAgent, callback: str
) -> None:
    model = FakeModel([stream_parts_for_text("hello"), stream_parts_for_text("hello")])
    sleep = RecordingSleep()

    def fail(*_: Any) -> None:
        raise TimeoutError("the UI took too long")

    with pytest.raises(TimeoutError):
        run_stream(Agent(model, sleep=sleep), "hi", **{callback: fail})

    assert len(model.calls) <= 1
    assert sleep.delays == []


def test_a_model_factory_error_is_not_retried(run: RunAgent) -> None:
    sleep = RecordingSleep()
    asked: list[int] = []

    def factory() -> fantasy.LanguageModel:
        asked.append(1)
        raise ConnectionError("could not read my credentials file")

    with pytest.raises(ConnectionError):
        run(Agent(FakeModel(), sleep=sleep), "hi", model_provider=factory)

    assert asked == [1]
    assert sleep.delays == []


def test_the_model_call_is_still_retried_on_both_faces(run: RunAgent) -> None:
    charge, charges = charging_tool()
    model = FakeModel(
        [
            tool_call_response(("c1", "charge", '{"amount": 5}')),
            ProviderError("overloaded", status_code=503),
            text_response("paid"),
        ]
    )
    sleep = RecordingSleep()

    result = run(Agent(model, tools=[charge], sleep=sleep), "pay")

    assert result.text == "paid"
    assert charges == [5]
    assert sleep.delays == [5.0]


# --------------------------------------------------------------------------- partial runs


def test_a_failed_run_keeps_its_completed_steps(run: RunAgent) -> None:
    charge, charges = charging_tool()
    refused = ProviderError("invalid request", status_code=400)
    model = FakeModel(
        [
            tool_call_response(("c1", "charge", '{"amount": 1}')),
            tool_call_response(("c2", "charge", '{"amount": 2}')),
            refused,
        ]
    )

    with pytest.raises(ProviderError) as info:
        run(Agent(model, tools=[charge]), "pay twice")

    assert info.value is refused
    partial = info.value.partial_result
    assert isinstance(partial, fantasy.AgentResult)
    assert len(partial.steps) == 2
    assert info.value.steps == partial.steps
    assert info.value.all_messages() == partial.all_messages()
    assert charges == [1, 2]
    assert [m.role for m in partial.all_messages()] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.TOOL,
    ]


def test_a_failed_run_resumes_from_its_partial_result_without_rerunning_tools(
    run: RunAgent,
) -> None:
    charge, charges = charging_tool()
    model = FakeModel(
        [
            tool_call_response(("c1", "charge", '{"amount": 1}')),
            ProviderError("invalid request", status_code=400),
            text_response("all paid"),
        ]
    )
    agent = Agent(model, tools=[charge])
    with pytest.raises(ProviderError) as info:
        run(agent, "pay")

    saved = fantasy.to_json(info.value.partial_result.all_messages())
    result = run(agent, messages=fantasy.from_json(saved, list[fantasy.Message]))

    assert result.text == "all paid"
    assert charges == [1]
    assert model.calls[2].prompt == model.calls[1].prompt


def test_an_error_of_the_callers_own_carries_the_partial_run_too(run_stream: RunAgent) -> None:
    model = FakeModel([stream_parts_for_text("one"), stream_parts_for_text("two")])

    def on_step_finish(_: fantasy.StepResult) -> None:
        raise KeyError("bookkeeping")

    with pytest.raises(KeyError) as info:
        run_stream(Agent(model), "hi", on_step_finish=on_step_finish)

    partial = info.value.partial_result  # type: ignore[attr-defined]
    assert partial.steps == []
    assert partial.all_messages() == [fantasy.user_message("hi")]


# --------------------------------------------------------------------------- tools


def test_a_custom_tool_with_a_plain_run_method_works(run: RunAgent) -> None:
    class Clock(fantasy.AgentTool):
        info = fantasy.ToolInfo("clock", "The time.", {})

        def run(self, call: fantasy.ToolCall) -> fantasy.ToolResponse:  # type: ignore[override]
            return fantasy.ToolResponse.text("noon")

    model = FakeModel([tool_call_response("clock", {}), text_response("It is noon.")])

    result = run(Agent(model, tools=[Clock()]), "time?")

    assert result.steps[0].content.tool_results[0].result == fantasy.ToolResultOutputText("noon")


def test_a_custom_tool_may_return_plain_text(run: RunAgent) -> None:
    class Echo(fantasy.AgentTool):
        info = fantasy.ToolInfo("echo", "Echo.", {})

        async def run(self, call: fantasy.ToolCall) -> Any:
            return "echoed"

    model = FakeModel([tool_call_response("echo", {}), text_response("ok")])

    result = run(Agent(model, tools=[Echo()]), "go")

    assert result.steps[0].content.tool_results[0].result == fantasy.ToolResultOutputText("echoed")


REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def test_parallel_tools_see_the_callers_context_variables(run: RunAgent) -> None:
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    @fantasy.tool(parallel=True)
    def lookup(key: str) -> str:
        """Look a key up."""
        with lock:
            seen.append((key, REQUEST_ID.get()))
        return key

    calls = [(f"c{i}", "lookup", f'{{"key": "k{i}"}}') for i in range(3)]
    model = FakeModel([tool_call_response(*calls), text_response("done")])

    async def in_context() -> fantasy.AgentResult:
        REQUEST_ID.set("req-42")
        return await asyncio.to_thread(run, Agent(model, tools=[lookup]), "go")

    token = REQUEST_ID.set("req-42")
    try:
        if run.mode in ("agenerate", "astream"):
            asyncio.run(in_context())
        else:
            run(Agent(model, tools=[lookup]), "go")
    finally:
        REQUEST_ID.reset(token)

    assert sorted(seen) == [("k0", "req-42"), ("k1", "req-42"), ("k2", "req-42")]


# --------------------------------------------------------------------------- FakeModel


def test_fake_tool_calls_are_written_the_short_way() -> None:
    one = tool_call_response("add", {"a": 1, "b": 2})
    (call,) = one.content.tool_calls
    assert (call.tool_name, call.input) == ("add", '{"a": 1, "b": 2}')
    assert call.tool_call_id

    two = tool_call_response(("add", {"a": 1}), ("id-9", "mul", '{"b": 2}'))
    ids = [c.tool_call_id for c in two.content.tool_calls]
    assert ids[1] == "id-9" and ids[0] and ids[0] != "id-9"
    assert [c.input for c in two.content.tool_calls] == ['{"a": 1}', '{"b": 2}']

    no_input = tool_call_response("ping")
    assert no_input.content.tool_calls[0].input == "{}"

    parts = stream_parts_for_tool_calls("add", {"a": 1})
    assert parts[-2].tool_call_input == '{"a": 1}'


@pytest.mark.parametrize("spec", [("add",), ["add", "{}"], 42, ("a", "b", "c", "d")])
def test_a_malformed_fake_tool_call_says_how_to_write_one(spec: Any) -> None:
    with pytest.raises(TypeError, match=r"a tool call is written as tool_call_response\("):
        tool_call_response(spec)
