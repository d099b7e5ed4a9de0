"""Stop conditions: predicates over the steps so far, checked after every step.

There is no default step limit: without a condition the agent runs as long
as the model keeps calling tools. Several conditions are OR-ed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fantasy.types import ContentType, FinishReason, ToolCallContent

if TYPE_CHECKING:
    from fantasy.agent import StepResult

StopCondition = Callable[[Sequence["StepResult"]], bool]


def step_count_is(n: int) -> StopCondition:
    """Stop once ``n`` steps have run."""
    return lambda steps: len(steps) >= n


def has_tool_call(name: str) -> StopCondition:
    """Stop when the last step called the tool ``name`` (valid or not)."""

    def check(steps: Sequence[StepResult]) -> bool:
        return bool(steps) and any(
            isinstance(c, ToolCallContent) and c.tool_name == name for c in steps[-1].content
        )

    return check


def has_content(content_type: ContentType | str) -> StopCondition:
    """Stop when the last step produced content of this type (``"reasoning"``, ...)."""
    wanted = ContentType(content_type)
    return lambda steps: bool(steps) and any(c.type == wanted for c in steps[-1].content)


def finish_reason_is(reason: FinishReason | str) -> StopCondition:
    wanted = FinishReason(reason)
    return lambda steps: bool(steps) and steps[-1].finish_reason == wanted


def max_tokens_used(n: int) -> StopCondition:
    """Stop once the total tokens over all steps reach ``n``."""
    return lambda steps: sum(s.usage.total_tokens for s in steps) >= n
