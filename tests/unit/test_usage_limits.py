"""Usage limits per run (requests, tokens, cost), on every face of the agent.

Each limit is checked before a request (against what the run has used) and after each
step; going over raises `fantasy.UsageLimitExceeded` carrying the partial run.
"""

from __future__ import annotations

import asyncio
import pickle
from decimal import Decimal
from typing import Any

import pytest

import fantasy
from fantasy import Agent, ProviderError, Usage, UsageLimitExceeded, UsageLimits
from fantasy.testing import FakeModel, RecordingSleep, text_response, tool_call_response

FACES = ["generate", "agenerate", "stream", "astream"]


@fantasy.tool
def add(a: int, b: int) -> str:
    """Add two numbers."""
    return str(a + b)


def run(face: str, agent: Agent[Any], prompt: str = "add", **options: Any) -> Any:
    """Run ``agent`` through one of its four faces; the result or the exception raised."""
    if face == "generate":
        return agent.generate(prompt, **options)
    if face == "agenerate":
        return asyncio.run(agent.agenerate(prompt, **options))
    if face == "stream":
        stream = agent.stream(prompt, **options)
        for _ in stream:
            pass
        return stream.result

    async def go() -> Any:
        stream = agent.astream(prompt, **options)
        async for _ in stream:
            pass
        return stream.result

    return asyncio.run(go())


def usage(input_tokens: int = 100, output_tokens: int = 10) -> Usage:
    return Usage(input_tokens, output_tokens, input_tokens + output_tokens)


def tool_steps(n: int, step_usage: Usage | None = None) -> list[Any]:
    return [
        tool_call_response("add", {"a": i, "b": 1}, usage=step_usage or usage()) for i in range(n)
    ]


@pytest.mark.parametrize("face", FACES)
def test_max_requests_stops_mid_run_with_the_completed_steps(face: str) -> None:
    model = FakeModel([*tool_steps(5), text_response("done")])
    agent = Agent(model, tools=[add], usage_limits=UsageLimits(max_requests=3))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    err = caught.value
    assert (err.limit, err.value, err.used) == ("max_requests", 3, 4)
    assert "max_requests=3" in str(err)
    assert isinstance(err, fantasy.FantasyError)
    # Three requests made, three steps completed with their tool results; no fourth.
    assert len(model.calls) == 3
    partial = err.partial_result
    assert len(partial.steps) == 3
    assert [r.result.text for s in partial.steps for r in s.content.tool_results] == [
        "1",
        "2",
        "3",
    ]
    assert partial.total_usage.output_tokens == 30


@pytest.mark.parametrize("face", FACES)
def test_max_output_tokens_checked_after_each_step(face: str) -> None:
    model = FakeModel([*tool_steps(3, usage(100, 60)), text_response("done")])
    agent = Agent(model, tools=[add], usage_limits=UsageLimits(max_output_tokens=100))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    err = caught.value
    assert (err.limit, err.value, err.used) == ("max_output_tokens", 100, 120)
    # The step that went over finished (its tool ran), so the run can be resumed.
    assert len(model.calls) == 2
    assert len(err.partial_result.steps) == 2
    assert err.partial_result.steps[-1].content.tool_results
    history = err.partial_result.all_messages()
    assert history[-1].role is fantasy.Role.TOOL


@pytest.mark.parametrize("face", FACES)
def test_a_limit_used_up_exactly_stops_before_the_next_request(face: str) -> None:
    model = FakeModel([*tool_steps(2, usage(50, 10)), text_response("done")])
    agent = Agent(model, tools=[add], usage_limits=UsageLimits(max_total_tokens=60))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    assert (caught.value.limit, caught.value.used) == ("max_total_tokens", 60)
    assert "no further request" in str(caught.value)
    assert len(model.calls) == 1  # the second request was never sent


@pytest.mark.parametrize("face", FACES)
def test_input_token_limit(face: str) -> None:
    model = FakeModel([*tool_steps(3, usage(400, 5)), text_response("done")])
    agent = Agent(model, tools=[add])
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent, usage_limits=UsageLimits(max_input_tokens=1000))  # per call
    assert (caught.value.limit, caught.value.used) == ("max_input_tokens", 1200)
    assert len(caught.value.partial_result.steps) == 3


@pytest.mark.parametrize("face", FACES)
def test_the_final_answer_over_a_limit_raises_with_the_answer_in_the_partial_result(
    face: str,
) -> None:
    model = FakeModel([text_response("a long answer", usage=usage(10, 500))])
    agent = Agent(model, usage_limits=UsageLimits(max_output_tokens=100))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    assert caught.value.partial_result.text == "a long answer"


@pytest.mark.parametrize("face", FACES)
def test_within_the_limits_nothing_changes(face: str) -> None:
    model = FakeModel([*tool_steps(2), text_response("done")])
    limits = UsageLimits(max_requests=3, max_output_tokens=30, max_total_tokens=330)
    result = run(face, Agent(model, tools=[add], usage_limits=limits))
    assert result.text == "done"


@pytest.mark.parametrize("face", FACES)
def test_retries_count_as_requests(face: str) -> None:
    rate_limited = ProviderError("slow down", status_code=429)
    model = FakeModel([rate_limited, rate_limited, text_response("done")])
    sleep = RecordingSleep()
    agent = Agent(model, sleep=sleep, usage_limits=UsageLimits(max_requests=2))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    # Raised as itself, not wrapped in a RetryError, and never retried.
    assert type(caught.value) is UsageLimitExceeded
    assert (caught.value.limit, caught.value.used) == ("max_requests", 3)
    assert model.remaining == 1
    assert len(sleep.delays) == 2


@pytest.mark.parametrize("face", FACES)
def test_the_default_request_limit_is_max_steps_plus_30(face: str) -> None:
    rate_limited = ProviderError("slow down", status_code=429)
    model = FakeModel([rate_limited] * 40 + [text_response("done")])
    agent = Agent(model, max_steps=2, max_retries=100, sleep=RecordingSleep())
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    assert (caught.value.limit, caught.value.value) == ("max_requests", 32)
    assert "max_steps + 30" in str(caught.value)
    assert len(model.calls) == 32


def test_no_default_request_limit_when_the_loop_is_unbounded() -> None:
    rate_limited = ProviderError("slow down", status_code=429)
    model = FakeModel([rate_limited] * 60 + [text_response("done")])
    agent = Agent(model, max_steps=None, max_retries=100, sleep=RecordingSleep())
    assert agent.generate("hi").text == "done"
    assert fantasy.usage_limits.RETRY_ALLOWANCE + fantasy.DEFAULT_MAX_STEPS == 50


@pytest.mark.parametrize("face", FACES)
def test_max_cost_stops_when_the_price_table_says_so(face: str) -> None:
    # gpt-4o: $2.50 per million input tokens, $10 per million output tokens.
    step_usage = Usage(input_tokens=100_000, output_tokens=10_000, total_tokens=110_000)
    model = FakeModel(
        [*tool_steps(3, step_usage), text_response("done")], provider="openai", model="gpt-4o"
    )
    agent = Agent(model, tools=[add], usage_limits=UsageLimits(max_cost=0.6))
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    err = caught.value
    assert err.limit == "max_cost"
    assert err.used == Decimal("0.70")  # two steps of $0.35
    assert len(err.partial_result.steps) == 2
    assert err.partial_result.total_cost.amount == Decimal("0.70")


@pytest.mark.parametrize("face", FACES)
def test_max_cost_on_an_unpriced_model_fails_before_any_request(face: str) -> None:
    model = FakeModel([text_response("done")], provider="my-server", model="local")
    agent = Agent(model, usage_limits=UsageLimits(max_cost=1))
    with pytest.raises(fantasy.InvalidArgumentError, match="cannot be enforced") as caught:
        run(face, agent)
    assert "my-server" in str(caught.value)
    assert model.calls == []


def test_limits_are_checked_when_given() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="max_requests"):
        UsageLimits(max_requests=0)
    with pytest.raises(fantasy.InvalidArgumentError, match="max_cost"):
        UsageLimits(max_cost=-1)
    with pytest.raises(fantasy.InvalidArgumentError, match="max_output_tokens"):
        UsageLimits(max_output_tokens=1.5)  # type: ignore[arg-type]
    model = FakeModel([])
    with pytest.raises(fantasy.InvalidArgumentError, match="usage_limits must be a fantasy"):
        Agent(model, usage_limits={"max_requests": 3})  # type: ignore[arg-type]
    with pytest.raises(fantasy.InvalidArgumentError, match="usage_limits must be a fantasy"):
        Agent(model).generate("hi", usage_limits=3)  # type: ignore[typeddict-item]


def test_the_error_pickles_with_its_fields() -> None:
    err = UsageLimitExceeded("max_requests", 3, 4, "max_requests=3 reached")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UsageLimitExceeded
    assert (back.limit, back.value, back.used, str(back)) == (
        "max_requests",
        3,
        4,
        str(err),
    )


@pytest.mark.parametrize("face", FACES)
def test_max_cost_with_a_fallback_model_prices_the_model_that_answered(face: str) -> None:
    overloaded = ProviderError("overloaded", status_code=529)
    step_usage = Usage(input_tokens=100_000, output_tokens=10_000, total_tokens=110_000)
    primary = FakeModel([overloaded] * 3, provider="openai", model="gpt-4o")
    # claude-sonnet-4: $3 input, $15 output per million: $0.45 a step.
    backup = FakeModel(
        tool_steps(3, step_usage), provider="anthropic", model="claude-sonnet-4-20250514"
    )
    agent = Agent(
        fantasy.FallbackModel(primary, backup),
        tools=[add],
        usage_limits=UsageLimits(max_cost=0.5),
        sleep=RecordingSleep(),
    )
    with pytest.raises(UsageLimitExceeded) as caught:
        run(face, agent)
    assert caught.value.used == Decimal("0.90")
    assert len(caught.value.partial_result.steps) == 2


def test_max_cost_with_a_fallback_model_needs_every_model_priced() -> None:
    primary = FakeModel([], provider="openai", model="gpt-4o")
    local = FakeModel([text_response("hi")], provider="my-server", model="local")
    agent = Agent(fantasy.FallbackModel(primary, local), usage_limits=UsageLimits(max_cost=1))
    with pytest.raises(fantasy.InvalidArgumentError, match="my-server"):
        agent.generate("hi")
    assert primary.calls == [] and local.calls == []
