"""A batch's life: submit, poll with backoff, cancel, resume from its id, read results.

One async implementation; the sync methods drive the same coroutines
(`fantasy._runtime`), so sleeping between polls blocks the thread in the sync face
and yields to the event loop in the async one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from fantasy import _runtime
from fantasy.errors import FantasyError, InvalidArgumentError, ProviderError
from fantasy.model import Call, LanguageModel

from .progress import ProgressBar
from .requests import BatchRequest, PreparedRequest, as_requests, prepare, toolsets_held
from .status import BatchItemError, BatchResult, BatchResults, BatchState, BatchStatus
from .wire import BatchAPI, Outcome

Requests = Mapping[str, Call] | Iterable[BatchRequest | tuple[str, Call]]
ProgressCallback = Callable[[BatchStatus], Any]

DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_MAX_POLL_INTERVAL = 60.0
BACKOFF = 1.5
MAX_POLL_ERRORS = 5
"""Transient failures of status polls in a row before waiting gives up."""


class BatchNotFinishedError(FantasyError):
    """Waiting for a batch ran out of time; the batch goes on. ``status`` is the last
    look at it; `fantasy.batch.resume` with its id picks it up later."""

    def __init__(self, message: str, status: BatchStatus | None = None):
        super().__init__(message, title="batch not finished")
        self.status = status


def api_for(model: Any, completion_window: str = "24h") -> BatchAPI:
    """The batch endpoints of the provider ``model`` calls."""
    from fantasy.providers.anthropic.provider import MessagesLanguageModel
    from fantasy.providers.google.model import GeminiLanguageModel
    from fantasy.providers.openai.http_model import OpenAIHTTPModel

    if isinstance(model, OpenAIHTTPModel):
        from .openai_api import OpenAIBatchAPI

        return OpenAIBatchAPI(model, completion_window)
    if isinstance(model, MessagesLanguageModel):
        from .anthropic_api import AnthropicBatchAPI

        return AnthropicBatchAPI(model)
    if isinstance(model, GeminiLanguageModel):
        from .gemini_api import GeminiBatchAPI

        return GeminiBatchAPI(model)
    raise InvalidArgumentError(
        "fantasy.batch needs a model of the openai, anthropic or google provider (or an "
        f"OpenAI-compatible server with /files and /batches); got {model!r}"
    )


class BatchJob:
    """A submitted batch. Keep ``job.id`` to resume it after a restart."""

    def __init__(
        self,
        model: Any,
        api: BatchAPI,
        batch_id: str,
        requests: list[BatchRequest] | None = None,
        prepared: list[PreparedRequest] | None = None,
        status: BatchStatus | None = None,
    ):
        self.model = model
        self.api = api
        self.id = batch_id
        self.requests = {r.id: r for r in requests} if requests else {}
        self._prepared = {p.id: p for p in prepared} if prepared else {}
        self.last_status = status

    def __repr__(self) -> str:
        state = self.last_status.state.value if self.last_status else "unknown"
        return f"BatchJob(id={self.id!r}, provider={self.api.provider!r}, state={state!r})"

    # ------------------------------------------------------------------ one look

    async def apoll(self) -> BatchStatus:
        """The batch's status now (one request)."""
        self.last_status = await self.api.status(self.id)
        return self.last_status

    def poll(self) -> BatchStatus:
        return _runtime.run_sync(self.apoll())

    async def acancel(self) -> BatchStatus:
        """Ask the provider to stop the batch; requests already answered keep their
        results, which `result` returns once the batch has stopped."""
        self.last_status = await self.api.cancel(self.id)
        return self.last_status

    def cancel(self) -> BatchStatus:
        return _runtime.run_sync(self.acancel())

    # ------------------------------------------------------------------ waiting

    async def await_done(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        timeout: float | None = None,
        progress: bool | TextIO | None = False,
        on_progress: ProgressCallback | None = None,
    ) -> BatchStatus:
        """Poll until the batch ends: every ``poll_interval`` seconds at first, 1.5 times
        longer after each look, at most ``max_poll_interval``. ``progress=True`` draws a
        bar on stderr (or on the stream given); ``on_progress`` hears each status. Past
        ``timeout`` seconds, `BatchNotFinishedError` (the batch goes on)."""
        _check_seconds("poll_interval", poll_interval, allow_zero=True)
        _check_seconds("max_poll_interval", max_poll_interval, allow_zero=True)
        if timeout is not None:
            _check_seconds("timeout", timeout, allow_zero=True)
        bar = None
        if progress is True:
            bar = ProgressBar(sys.stderr)
        elif progress is not False and progress is not None:
            if not callable(getattr(progress, "write", None)):
                raise InvalidArgumentError(
                    f"progress must be True, False or a text stream, got {progress!r}"
                )
            bar = ProgressBar(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        errors = 0
        try:
            while True:
                try:
                    status = await self.apoll()
                    errors = 0
                except ProviderError as exc:
                    errors += 1
                    if not exc.retryable or errors >= MAX_POLL_ERRORS:
                        raise
                    status = None
                if status is not None:
                    if bar is not None:
                        bar.update(status)
                    if on_progress is not None:
                        await _runtime.call_user(on_progress, status)
                    if status.done:
                        return status
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        last = self.last_status
                        raise BatchNotFinishedError(
                            f"batch {self.id} is still {last.state.value if last else 'unknown'} "
                            f"after {timeout:g}s; resume it later with its id",
                            last or _unknown(self.id),
                        )
                    interval = min(interval, left)
                await _runtime.sleep(interval)
                interval = min(max(interval * BACKOFF, poll_interval), max_poll_interval)
        finally:
            if bar is not None:
                bar.close()

    def wait(self, **options: Any) -> BatchStatus:
        """The sync face of `await_done`."""
        return _runtime.run_sync(self.await_done(**options))

    # ------------------------------------------------------------------ results

    async def aresult(self, **wait_options: Any) -> BatchResults:
        """Wait for the batch to end (`await_done`'s options), then its results: one
        `BatchResult` per request, keyed by id."""
        status = await self.await_done(**wait_options)
        return await self._results(status)

    def result(self, **wait_options: Any) -> BatchResults:
        return _runtime.run_sync(self.aresult(**wait_options))

    async def _results(self, status: BatchStatus) -> BatchResults:
        outcomes: list[Outcome] = await self.api.outcomes(status)
        async with toolsets_held(self.requests.values()):
            if self.requests and not self._prepared:
                # Resumed with its requests: rebuilt to know each one's request warnings.
                for request in self.requests.values():
                    self._prepared[request.id] = await prepare(self.model, request)
            by_id = {o.id: o for o in outcomes}
            results: dict[str, BatchResult] = {}
            for id in self.requests:
                results[id] = await self._read(id, by_id.pop(id, None), status)
            for id, outcome in by_id.items():
                results[id] = await self._read(id, outcome, status)
        return BatchResults(status, results)

    async def _read(self, id: str, outcome: Outcome | None, status: BatchStatus) -> BatchResult:
        if outcome is None:
            return BatchResult(id, error=_unanswered(id, status))
        if outcome.error is not None:
            return BatchResult(id, error=outcome.error)
        try:
            response = self.model.parse_response(outcome.body)
        except ProviderError as exc:
            return BatchResult(id, error=exc)
        prepared = self._prepared.get(id)
        if prepared is not None:
            response.warnings = [*prepared.warnings, *response.warnings]
        request = self.requests.get(id)
        if request is None:
            return BatchResult(id, response=response)
        try:
            output = await request.read(self.model, response)
        except (FantasyError, ValueError) as exc:
            return BatchResult(id, response=response, error=exc)
        return BatchResult(id, response=response, output=output)


def _unanswered(id: str, status: BatchStatus) -> BatchItemError:
    reason = {
        BatchState.FAILED: "failed",
        BatchState.EXPIRED: "expired",
        BatchState.CANCELLED: "cancelled",
    }.get(status.state, "missing")
    why = f": {status.error}" if status.error else ""
    return BatchItemError(
        f"batch {status.id} ended {status.state.value} with no result for this request{why}",
        reason=reason,
        request_id=id,
    )


def _unknown(batch_id: str) -> BatchStatus:
    return BatchStatus(batch_id, BatchState.IN_PROGRESS, "", 0, 0, 0)


def _check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidArgumentError(f"{name} must be a number of seconds >= 0, got {value!r}")
    if not allow_zero and value == 0:
        raise InvalidArgumentError(f"{name} must be > 0, got {value!r}")


def _model(model: LanguageModel | str) -> Any:
    from fantasy.model_names import model_or_name

    return model_or_name(model)


async def asubmit(
    model: LanguageModel | str,
    requests: Requests,
    *,
    name: str = "fantasy-batch",
    completion_window: str = "24h",
) -> BatchJob:
    """Build every request as the live call would (same bodies), send them as one batch
    to ``model``'s provider, and return the job. ``requests``: ``{id: Call}``, ``(id,
    Call)`` pairs, or `request` / `object_request` / `agent_requests` items."""
    model = _model(model)
    items = as_requests(requests)
    api = api_for(model, completion_window)
    async with toolsets_held(items):
        prepared = [await prepare(model, item) for item in items]
    status = await api.create(prepared, name)
    return BatchJob(model, api, status.id, items, prepared, status)


def submit(
    model: LanguageModel | str,
    requests: Requests,
    *,
    name: str = "fantasy-batch",
    completion_window: str = "24h",
) -> BatchJob:
    """The sync face of `asubmit`."""
    return _runtime.run_sync(
        asubmit(model, requests, name=name, completion_window=completion_window)
    )


def resume(model: LanguageModel | str, batch_id: str, requests: Requests | None = None) -> BatchJob:
    """The job of a batch submitted earlier (by this process or another), from its id.
    Give the same ``requests`` to get typed objects and request warnings back; without
    them every result is the `Response` (or error) under its id. Sends nothing."""
    if not isinstance(batch_id, str) or not batch_id:
        raise InvalidArgumentError(f"batch_id must be a non-empty string, got {batch_id!r}")
    model = _model(model)
    items = as_requests(requests) if requests is not None else None
    return BatchJob(model, api_for(model), batch_id, items)


async def arun(model: LanguageModel | str, requests: Requests, **wait_options: Any) -> BatchResults:
    """Submit, wait (`BatchJob.await_done`'s options), and return the results."""
    job = await asubmit(model, requests)
    return await job.aresult(**wait_options)


def run(model: LanguageModel | str, requests: Requests, **wait_options: Any) -> BatchResults:
    """The sync face of `arun`."""
    return _runtime.run_sync(arun(model, requests, **wait_options))
