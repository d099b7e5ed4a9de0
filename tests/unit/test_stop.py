"""Stop conditions as units: predicates over the steps so far (Fantasy's agent_test.go).

Each looks at the last step only, except the counters (step count, tokens), and each
is false on an empty history (the token budget only when it is positive).
"""

from __future__ import annotations

import pytest

import fantasy
from fantasy import (
    ContentType,
    FinishReason,
    ReasoningContent,
    ResponseContent,
    StepResult,
    TextContent,
    ToolCallContent,
    Usage,
)
from fantasy.types import Content


def step(
    *content: Content,
    finish_reason: FinishReason = FinishReason.STOP,
    total_tokens: int = 0,
) -> StepResult:
    return StepResult(
        ResponseContent(content), finish_reason, Usage(total_tokens=total_tokens), [], {}
    )


def call(name: str, *, invalid: bool = False, provider_executed: bool = False) -> ToolCallContent:
    return ToolCallContent(
        f"id-{name}", name, "{}", provider_executed=provider_executed, invalid=invalid
    )


@pytest.mark.parametrize(
    "condition",
    [
        fantasy.step_count_is(1),
        fantasy.has_tool_call("search"),
        fantasy.has_content(ContentType.TEXT),
        fantasy.finish_reason_is(FinishReason.STOP),
        fantasy.max_tokens_used(1),
    ],
)
def test_every_condition_is_false_without_steps(condition: fantasy.StopCondition) -> None:
    assert condition([]) is False


@pytest.mark.parametrize(("n", "expected"), [(0, True), (-1, True)])
def test_max_tokens_used_with_no_positive_budget_is_met_without_steps(
    n: int, expected: bool
) -> None:
    assert fantasy.max_tokens_used(n)([]) is expected


@pytest.mark.parametrize(("steps", "expected"), [(1, False), (2, True), (3, True)])
def test_step_count_is_met_at_or_beyond_the_count(steps: int, expected: bool) -> None:
    assert fantasy.step_count_is(2)([step() for _ in range(steps)]) is expected


def test_step_count_is_zero_is_met_at_once() -> None:
    assert fantasy.step_count_is(0)([]) is True


def test_has_tool_call_looks_at_the_last_step_only() -> None:
    condition = fantasy.has_tool_call("search")

    assert condition([step(call("search"))]) is True
    assert condition([step(call("search")), step(TextContent("done"))]) is False
    assert condition([step(TextContent("x")), step(call("other"), call("search"))]) is True
    assert condition([step(call("other"))]) is False


@pytest.mark.parametrize(
    "found", [call("search", invalid=True), call("search", provider_executed=True)]
)
def test_has_tool_call_counts_invalid_and_provider_executed_calls(
    found: ToolCallContent,
) -> None:
    assert fantasy.has_tool_call("search")([step(found)]) is True


def test_has_content_looks_at_the_last_step_only() -> None:
    condition = fantasy.has_content(ContentType.REASONING)

    assert condition([step(ReasoningContent("hmm"))]) is True
    assert condition([step(ReasoningContent("hmm")), step(TextContent("x"))]) is False
    assert condition([step(TextContent("x"), ReasoningContent("later"))]) is True


def test_has_content_accepts_the_wire_name_of_the_type() -> None:
    assert fantasy.has_content("tool-call")([step(call("x"))]) is True
    assert fantasy.has_content("text")([step(call("x"))]) is False


def test_has_content_rejects_an_unknown_type() -> None:
    with pytest.raises(ValueError):
        fantasy.has_content("picture")


def test_finish_reason_is_looks_at_the_last_step_only() -> None:
    condition = fantasy.finish_reason_is(FinishReason.LENGTH)

    assert condition([step(finish_reason=FinishReason.LENGTH)]) is True
    assert (
        condition([step(finish_reason=FinishReason.LENGTH), step(finish_reason=FinishReason.STOP)])
        is False
    )
    assert fantasy.finish_reason_is("tool-calls")([step(finish_reason=FinishReason.TOOL_CALLS)])


def test_max_tokens_used_sums_total_tokens_over_all_steps() -> None:
    condition = fantasy.max_tokens_used(100)

    assert condition([step(total_tokens=60)]) is False
    assert condition([step(total_tokens=60), step(total_tokens=39)]) is False
    assert condition([step(total_tokens=60), step(total_tokens=40)]) is True
    assert condition([step(total_tokens=60), step(total_tokens=90)]) is True


def test_max_tokens_used_counts_total_tokens_as_reported_not_input_plus_output() -> None:
    reported = StepResult(ResponseContent(), FinishReason.STOP, Usage(80, 80, 10), [], {})

    assert fantasy.max_tokens_used(100)([reported]) is False
