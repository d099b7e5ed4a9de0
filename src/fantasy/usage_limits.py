"""Usage limits per run: requests, tokens and cost, checked before each request and
after each step.

`UsageLimits` is what the caller sets (``Agent(usage_limits=...)`` or per call);
`UsageMeter` is one run's count against it, kept by the agent loop (both faces).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, UsageLimitExceeded
from fantasy.types import Usage

if TYPE_CHECKING:
    from decimal import Decimal

    from fantasy.cost import Cost

RETRY_ALLOWANCE = 30
"""With no ``max_requests`` given, a run may make one request per step of ``max_steps``
plus this many more (retries): 50 at the default 20 steps."""

_TOKEN_LIMITS = (
    ("max_input_tokens", "input_tokens", "input tokens"),
    ("max_output_tokens", "output_tokens", "output tokens"),
    ("max_total_tokens", "total_tokens", "total tokens"),
)


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """Most a run may use; ``None`` is no limit (``max_requests``: the default below).

    * ``max_requests``: model requests, every attempt counted (a retried request is
      two). Not given, it is ``max_steps + 30`` (50 with the default step limit), so a
      storm of retries stops too; with ``max_steps=None`` and no ``max_requests`` the
      run is unbounded, as asked.
    * ``max_input_tokens``, ``max_output_tokens``, ``max_total_tokens``: the run's
      `Usage` totals, as ``result.total_usage`` reports them.
    * ``max_cost``: US dollars, priced by `fantasy.cost` (needs ``fantasy[cost]``); a
      model the price table does not know fails before its first request.

    Checked before each request, against what the run has used (a run that has used
    all of a limit makes no further request), and after each step: a step whose
    answer went over a limit finishes (its tools run, so the partial result can be
    resumed) and the run raises `fantasy.UsageLimitExceeded`.
    """

    max_requests: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    max_cost: float | Decimal | None = None

    def __post_init__(self) -> None:
        for name in (
            "max_requests",
            "max_input_tokens",
            "max_output_tokens",
            "max_total_tokens",
        ):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise InvalidArgumentError(
                    f"UsageLimits: {name} must be a whole number of at least 1, got {value!r}"
                )
        cost = self.max_cost
        if cost is None:
            return
        from decimal import Decimal

        if isinstance(cost, bool) or not isinstance(cost, int | float | Decimal) or cost <= 0:
            raise InvalidArgumentError(
                f"UsageLimits: max_cost must be a positive number of dollars, got {cost!r}"
            )


def _dollars(value: float | Decimal) -> Decimal:
    from decimal import Decimal

    return Decimal(str(value))


class UsageMeter:
    """One run's usage against its limits."""

    __slots__ = ("cost", "limits", "max_requests", "requests", "usage")

    def __init__(self, limits: UsageLimits | None, max_steps: int | None):
        self.limits = limits or UsageLimits()
        self.max_requests = self.limits.max_requests
        if self.max_requests is None and max_steps is not None:
            self.max_requests = max_steps + RETRY_ALLOWANCE
        self.requests = 0
        self.usage = Usage()
        self.cost: Decimal | int = 0
        """Dollars so far (counted only with ``max_cost``; a Decimal once priced)."""

    def before_request(self, model: Any) -> None:
        """Count the request about to be made; raise instead if it may not be made."""
        limits = self.limits
        if self.max_requests is not None and self.requests + 1 > self.max_requests:
            default = "" if limits.max_requests is not None else " (the default: max_steps + 30)"
            raise UsageLimitExceeded(
                "max_requests",
                self.max_requests,
                self.requests + 1,
                f"max_requests={self.max_requests}{default} reached: the run has made "
                f"{self.requests} model requests (retries included) and would make another",
            )
        for name, field, words in _TOKEN_LIMITS:
            value = getattr(limits, name)
            used = getattr(self.usage, field)
            if value is not None and used >= value:
                raise UsageLimitExceeded(
                    name,
                    value,
                    used,
                    f"{name}={value} reached: the run has used {used} {words}, "
                    "so it makes no further request",
                )
        if limits.max_cost is not None:
            if self.cost >= _dollars(limits.max_cost):
                raise UsageLimitExceeded(
                    "max_cost",
                    limits.max_cost,
                    self.cost,
                    f"max_cost=${limits.max_cost} reached: the run has cost ${self.cost:f}, "
                    "so it makes no further request",
                )
            from fantasy.cost import check_priced

            reason = check_priced(model)
            if reason:
                raise InvalidArgumentError(
                    f"max_cost=${limits.max_cost} cannot be enforced: {reason}"
                )
        self.requests += 1

    def after_step(self, usage: Usage, cost: Cost | None) -> None:
        """Add a finished step's usage (and cost, when ``max_cost`` is set) and raise if
        the run is now over a limit."""
        self.usage = self.usage + usage
        limits = self.limits
        for name, field, words in _TOKEN_LIMITS:
            value = getattr(limits, name)
            used = getattr(self.usage, field)
            if value is not None and used > value:
                raise UsageLimitExceeded(
                    name, value, used, f"{name}={value} exceeded: the run has used {used} {words}"
                )
        if limits.max_cost is not None and cost is not None:
            if cost.amount is None:
                raise InvalidArgumentError(
                    f"max_cost=${limits.max_cost} cannot be enforced: {cost.reason}"
                )
            self.cost += cost.amount
            if self.cost > _dollars(limits.max_cost):
                raise UsageLimitExceeded(
                    "max_cost",
                    limits.max_cost,
                    self.cost,
                    f"max_cost=${limits.max_cost} exceeded: the run has cost ${self.cost:f}",
                )

    @property
    def wants_cost(self) -> bool:
        return self.limits.max_cost is not None
