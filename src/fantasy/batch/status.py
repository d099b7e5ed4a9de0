"""What a batch is doing and what it gave: one vocabulary over three providers.

Each provider names its states its own way (OpenAI ``validating`` ...
``completed``, Anthropic ``in_progress`` / ``canceling`` / ``ended``, Gemini
``BATCH_STATE_*`` or ``JOB_STATE_*``); `BatchState` is what a caller decides on,
and `BatchStatus.provider_state` keeps the provider's own word.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fantasy.errors import FantasyError
from fantasy.model import Response


class BatchState(StrEnum):
    VALIDATING = "validating"
    """Accepted, not started: OpenAI checks the input file; Gemini's batch is pending."""
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    """OpenAI writes the output files."""
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    """The batch as a whole failed (OpenAI: its input did not validate)."""
    EXPIRED = "expired"
    """The completion window passed; what finished is still returned."""
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {BatchState.COMPLETED, BatchState.FAILED, BatchState.EXPIRED, BatchState.CANCELLED}
)


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """One look at a batch: its state and how many of its requests are done."""

    id: str
    """The provider's batch id (OpenAI ``batch_...``, Anthropic ``msgbatch_...``,
    Gemini ``batches/...``): keep it to resume after a restart (`fantasy.batch.resume`)."""
    state: BatchState
    provider_state: str
    total: int
    succeeded: int
    failed: int
    """Requests that ended without an answer (errored, expired, cancelled)."""
    error: str = ""
    """Why the batch as a whole failed, when it did."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The provider's batch object as last read."""

    @property
    def pending(self) -> int:
        return max(self.total - self.succeeded - self.failed, 0)

    @property
    def done(self) -> bool:
        return self.state.terminal

    def summary(self) -> str:
        """``"12/40 done, 1 failed, 27 pending (in_progress)"``."""
        return (
            f"{self.succeeded + self.failed}/{self.total} done, {self.failed} failed, "
            f"{self.pending} pending ({self.state.value})"
        )


class BatchItemError(FantasyError):
    """A request of a batch that has no answer for a reason of the batch's own:
    ``reason`` is ``"expired"``, ``"cancelled"``, ``"failed"`` (the batch failed) or
    ``"missing"`` (the provider returned nothing for it). A request the provider
    answered with an error gets that provider's `ProviderError` instead."""

    def __init__(self, message: str, *, reason: str, request_id: str, code: str = ""):
        super().__init__(message, title=f"batch request {reason}")
        self.reason = reason
        self.request_id = request_id
        self.code = code


@dataclass(slots=True)
class BatchResult:
    """One request's outcome: a `Response` read by the model's own parser, or the error."""

    id: str
    response: Response | None = None
    error: BaseException | None = None
    output: Any = None
    """For `fantasy.batch.object_request`: the typed `fantasy.ObjectResult`."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Response:
        """The response, or the request's error raised."""
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response


class BatchResults(Mapping[str, BatchResult]):
    """Results keyed by the ids the requests were given, in the requests' order
    where known."""

    def __init__(self, status: BatchStatus, results: dict[str, BatchResult]):
        self.status = status
        self._results = results

    def __getitem__(self, key: str) -> BatchResult:
        return self._results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    @property
    def succeeded(self) -> dict[str, BatchResult]:
        return {k: r for k, r in self._results.items() if r.ok}

    @property
    def failed(self) -> dict[str, BatchResult]:
        return {k: r for k, r in self._results.items() if not r.ok}

    def __repr__(self) -> str:
        return (
            f"BatchResults(id={self.status.id!r}, {len(self.succeeded)} succeeded, "
            f"{len(self.failed)} failed)"
        )
