"""Cost from genai-prices: each provider's token counts priced as billed, per step and
per run, on every face; unknown models give a reason, never a guess."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import genai_prices
import pytest

import fantasy
from fantasy import Agent, Cost, StepResult, Usage, cost_of
from fantasy import cost as cost_module
from fantasy.testing import FakeModel, text_response, tool_call_response

FACES = ["generate", "agenerate", "stream", "astream"]

M = Decimal(1_000_000)


def model(provider: str, model_id: str) -> FakeModel:
    return FakeModel([], provider=provider, model=model_id)


def table(model_ref: str, provider_id: str, **usage: int) -> Decimal:
    """What genai-prices itself says for that usage."""
    return genai_prices.calc_price(
        genai_prices.Usage(**usage), model_ref, provider_id=provider_id
    ).total_price


def test_openai_cached_input_is_billed_at_its_own_rate() -> None:
    # Fantasy's input_tokens leave out the 200 cached ones: 1000 + 200 were read.
    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1300, cache_read_tokens=200)
    cost = cost_of(u, model("openai", "gpt-4o"))
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    assert cost.amount == (1000 * Decimal("2.5") + 200 * Decimal("1.25") + 100 * 10) / M
    assert cost.amount == Decimal("0.00375")
    assert cost.input == Decimal("0.00275") and cost.output == Decimal("0.001")
    assert cost.reason == "" and cost.known
    assert cost.amount == table(
        "gpt-4o", "openai", input_tokens=1200, cache_read_tokens=200, output_tokens=100
    )


def test_openai_reasoning_tokens_are_part_of_the_output() -> None:
    u = Usage(input_tokens=500, output_tokens=300, total_tokens=800, reasoning_tokens=200)
    cost = cost_of(u, model("openai", "o3-mini"))
    assert cost.amount == table(
        "o3-mini", "openai", input_tokens=500, output_tokens=300, output_reasoning_tokens=200
    )
    # o3-mini: $1.10 input, $4.40 output: the reasoning is not billed twice.
    assert cost.amount == (500 * Decimal("1.1") + 300 * Decimal("4.4")) / M


def test_anthropic_cache_reads_and_writes() -> None:
    u = Usage(
        input_tokens=1000,
        output_tokens=100,
        total_tokens=1100,
        cache_creation_tokens=2000,
        cache_read_tokens=3000,
    )
    cost = cost_of(u, model("anthropic", "claude-sonnet-4-20250514"))
    # claude-sonnet-4: $3 input, $3.75 cache write, $0.30 cache read, $15 output.
    expected = (1000 * 3 + 2000 * Decimal("3.75") + 3000 * Decimal("0.3") + 100 * 15) / M
    assert cost.amount == expected
    assert cost.amount == table(
        "claude-sonnet-4-20250514",
        "anthropic",
        input_tokens=6000,
        cache_write_tokens=2000,
        cache_read_tokens=3000,
        output_tokens=100,
    )


def test_gemini_counts_cached_input_inside_and_thoughts_apart() -> None:
    # Gemini's promptTokenCount holds the cached tokens; thoughts come on top of the output.
    u = Usage(
        input_tokens=1000,
        output_tokens=100,
        total_tokens=1150,
        reasoning_tokens=50,
        cache_read_tokens=200,
    )
    cost = cost_of(u, model("google", "gemini-2.5-flash"))
    # gemini-2.5-flash: $0.30 input, $0.03 cached input, $2.50 output.
    assert cost.amount == (800 * Decimal("0.3") + 200 * Decimal("0.03") + 150 * Decimal("2.5")) / M
    assert cost.amount == table(
        "gemini-2.5-flash",
        "google",
        input_tokens=1000,
        cache_read_tokens=200,
        output_tokens=150,
        output_reasoning_tokens=50,
    )


@pytest.mark.parametrize(
    ("provider", "model_id", "provider_id", "model_ref"),
    [
        ("bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", "aws", None),
        ("azure", "gpt-4o", "azure", None),
        ("openrouter", "anthropic/claude-sonnet-4", "openrouter", None),
        ("vercel", "anthropic/claude-sonnet-4", "anthropic", "claude-sonnet-4"),
        ("vercel", "openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("vercel", "xai/grok-4", "x-ai", "grok-4"),
    ],
)
def test_each_provider_maps_to_its_price_table(
    provider: str, model_id: str, provider_id: str, model_ref: str | None
) -> None:
    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1300, cache_read_tokens=200)
    cost = cost_of(u, model(provider, model_id))
    expected = table(
        model_ref or model_id,
        provider_id,
        input_tokens=1200,
        cache_read_tokens=200,
        output_tokens=100,
    )
    assert cost.amount == expected
    assert expected > 0


def test_an_openai_compatible_server_is_priced_by_its_url() -> None:
    from fantasy.providers import openaicompat

    groq = openaicompat.Provider(
        api_key="k", base_url="https://api.groq.com/openai/v1"
    ).language_model("llama-3.3-70b-versatile")
    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
    assert cost_of(u, groq).amount == table(
        "llama-3.3-70b-versatile", "groq", input_tokens=1000, output_tokens=100
    )
    local = openaicompat.Provider(api_key="k", base_url="http://127.0.0.1:8080/v1")
    unknown = cost_of(u, local.language_model("llama3.2"))
    assert unknown.amount is None
    assert "127.0.0.1" in unknown.reason


@pytest.mark.parametrize(
    ("provider", "model_id", "words"),
    [
        ("fake", "fake-model", "no price table for provider 'fake'"),
        ("openai", "gpt-does-not-exist", "genai-prices has no price for openai:gpt-does-not-exist"),
        ("azure", "my-deployment", "no price for azure:my-deployment"),
        ("vercel", "alibaba/qwen3", "Vercel AI Gateway upstream of 'alibaba/qwen3'"),
    ],
)
def test_unknown_models_have_no_cost_and_a_reason(provider: str, model_id: str, words: str) -> None:
    cost = cost_of(Usage(10, 10, 20), model(provider, model_id))
    assert cost.amount is None and cost.input is None and not cost.known
    assert words in cost.reason
    assert "unknown cost" in str(cost)


def test_without_the_package_the_reason_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost_module, "_cache", {})
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import fails
    cost = cost_of(Usage(10, 10, 20), model("openai", "gpt-4o"))
    assert cost.amount is None
    assert "fantasy[cost]" in cost.reason


def test_costs_add_up_and_an_unknown_part_makes_the_sum_unknown() -> None:
    a = Cost(Decimal("0.1"), input=Decimal("0.04"), output=Decimal("0.06"))
    b = Cost(Decimal("0.2"), input=Decimal("0.1"), output=Decimal("0.1"))
    assert (a + b).amount == Decimal("0.3")
    assert (a + b).input == Decimal("0.14")
    unknown = Cost(None, "no price")
    assert (a + unknown).amount is None and (a + unknown).reason == "no price"
    assert (unknown + a).reason == "no price"
    assert str(a) == "$0.1"


def _run(face: str, agent: Agent[Any]) -> Any:
    if face == "generate":
        return agent.generate("add")
    if face == "agenerate":
        return asyncio.run(agent.agenerate("add"))
    if face == "stream":
        stream = agent.stream("add")
        for _ in stream:
            pass
        return stream.result
    return asyncio.run(agent.astream("add").collect())


@fantasy.tool
def add(a: int, b: int) -> str:
    """Add two numbers."""
    return str(a + b)


@pytest.mark.parametrize("face", FACES)
def test_step_and_total_cost_of_a_run(face: str) -> None:
    u1 = Usage(input_tokens=1000, output_tokens=100, total_tokens=1300, cache_read_tokens=200)
    u2 = Usage(input_tokens=2000, output_tokens=50, total_tokens=2050)
    fake = FakeModel(
        [tool_call_response("add", {"a": 1, "b": 2}, usage=u1), text_response("3", usage=u2)],
        provider="openai",
        model="gpt-4o-mini",
    )
    result = _run(face, Agent(fake, tools=[add]))
    # gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million.
    first = (1000 * Decimal("0.15") + 200 * Decimal("0.075") + 100 * Decimal("0.6")) / M
    second = (2000 * Decimal("0.15") + 50 * Decimal("0.6")) / M
    assert [s.cost.amount for s in result.steps] == [first, second]
    assert result.total_cost.amount == first + second
    assert result.steps[0].model is fake


@pytest.mark.parametrize("face", FACES)
def test_total_cost_is_unknown_when_a_step_is(face: str) -> None:
    result = _run(face, Agent(FakeModel([text_response("hi", usage=Usage(1, 1, 2))])))
    assert result.total_cost.amount is None
    assert "no price table for provider 'fake'" in result.total_cost.reason


def test_a_run_without_steps_costs_nothing() -> None:
    result = fantasy.AgentResult([], fantasy.Response(), Usage())
    assert result.total_cost.amount == 0


def test_a_step_built_by_hand_has_no_model() -> None:
    step = StepResult(fantasy.ResponseContent(), fantasy.FinishReason.STOP, Usage(1, 1, 2), [], {})
    assert step.cost.amount is None and "not known" in step.cost.reason


def test_a_fallback_step_is_priced_by_the_model_that_answered() -> None:
    primary, backup = model("openai", "gpt-4o"), model("anthropic", "claude-sonnet-4-20250514")
    composite = SimpleNamespace(provider="fallback", model="x", models=[primary, backup])
    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
    step = StepResult(
        fantasy.ResponseContent(),
        fantasy.FinishReason.STOP,
        u,
        [],
        {"fallback": SimpleNamespace(provider="anthropic", model="claude", index=1)},
        model=composite,  # type: ignore[arg-type]
    )
    assert step.cost.amount == cost_of(u, backup).amount
    assert step.cost.amount != cost_of(u, primary).amount


def test_the_price_table_is_loaded_only_when_a_cost_is_asked_for() -> None:
    import subprocess

    code = (
        "import sys, fantasy\n"
        "from fantasy.testing import FakeModel, text_response\n"
        "m = FakeModel([text_response('hi')], provider='openai', model='gpt-4o')\n"
        "r = fantasy.Agent(m).generate('hi')\n"
        "assert 'genai_prices' not in sys.modules\n"
        "r.total_cost\n"
        "assert 'genai_prices' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("face", FACES)
def test_a_fallback_model_step_costs_what_the_answering_model_charges(face: str) -> None:
    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
    primary = FakeModel(
        [fantasy.ProviderError("overloaded", status_code=529)], provider="openai", model="gpt-4o"
    )
    backup = FakeModel(
        [text_response("hi", usage=u)], provider="anthropic", model="claude-sonnet-4-20250514"
    )
    result = _run(face, Agent(fantasy.FallbackModel(primary, backup)))
    assert result.steps[0].cost.amount == cost_of(u, backup).amount
    assert result.total_cost.amount == (1000 * 3 + 100 * 15) / M


def test_a_pickled_partial_result_keeps_its_steps_and_their_cost() -> None:
    """An error crossing a process pool keeps its partial result: each step's model
    (here a FakeModel, which does not pickle) travels as what prices it."""
    import pickle

    u = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
    fake = FakeModel(
        [tool_call_response("add", {"a": 1, "b": 2}, usage=u), text_response("3")],
        provider="openai",
        model="gpt-4o",
    )
    limits = fantasy.UsageLimits(max_requests=1)
    with pytest.raises(fantasy.UsageLimitExceeded) as caught:
        Agent(fake, tools=[add], usage_limits=limits).generate("add")
    back = pickle.loads(pickle.dumps(caught.value))
    step = back.partial_result.steps[0]
    assert (step.model.provider, step.model.model) == ("openai", "gpt-4o")
    assert step.cost.amount == Decimal("0.0035")  # 1000 x $2.50 + 100 x $10 per million
    assert back.partial_result.total_cost == caught.value.partial_result.total_cost
    assert caught.value.partial_result.steps[0].model is fake  # the original is untouched
