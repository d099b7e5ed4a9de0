"""Each batch API's documented lifecycle, over the real transport and a loopback server:
the states in order, partial failures, expiry, cancelling, a batch that fails
validation, transient status errors, backoff, a deadline, and the progress view."""

from __future__ import annotations

import io
from typing import Any

import pytest

from fantasy import Call, _runtime, batch, user_message
from fantasy.errors import (
    InvalidRequestError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from tests.batch.conftest import MODELS, ModelFactory
from tests.batch.server import BatchServer, Error

SCRIPTS = {
    "openai-chat": ["validating", "in_progress", "finalizing", "completed"],
    "openai-responses": ["validating", "in_progress", "finalizing", "completed"],
    "anthropic": ["in_progress", "in_progress", "ended"],
    "gemini": ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"],
}


def _name(make_model: ModelFactory) -> str:
    return next(k for k, v in MODELS.items() if v is make_model)


def _calls(*texts: str) -> dict[str, Call]:
    return {text: Call([user_message(text)]) for text in texts}


def _refuse(kind: str, body: dict[str, Any]) -> Any:
    from tests.batch.server import last_user_text

    text = last_user_text(kind, body)
    if text == "bad":
        return Error(400, "the prompt is not acceptable")
    if text == "busy":
        return Error(429, "slow down", "rate_limit_error")
    return f"echo: {text}"


def test_the_documented_states_come_in_order(server: BatchServer, make_model: ModelFactory) -> None:
    seen: list[batch.BatchStatus] = []
    job = batch.submit(make_model(server), _calls("one", "two"))
    results = job.result(poll_interval=0, on_progress=seen.append)
    assert [s.provider_state for s in seen] == SCRIPTS[_name(make_model)]
    assert [s.state for s in seen][-1] is batch.BatchState.COMPLETED
    assert results.status.done and results.status.total == 2
    assert results.status.succeeded == 2 and results.status.pending == 0
    assert list(results) == ["one", "two"]
    assert {k: r.unwrap().text for k, r in results.items()} == {
        "one": "echo: one",
        "two": "echo: two",
    }


def test_partial_failures_are_the_errors_the_live_call_would_raise(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.respond = _refuse
    model = make_model(server)
    with pytest.raises(InvalidRequestError) as live:
        model.generate(Call([user_message("bad")]))
    results = batch.submit(model, _calls("good", "bad", "busy")).result(poll_interval=0)
    assert results["good"].unwrap().text == "echo: good"
    bad = results["bad"].error
    assert isinstance(bad, InvalidRequestError)
    assert bad.status_code == 400 and "the prompt is not acceptable" in str(bad)
    assert type(bad) is type(live.value)
    assert isinstance(results["busy"].error, RateLimitError)
    assert set(results.failed) == {"bad", "busy"} and set(results.succeeded) == {"good"}
    with pytest.raises(InvalidRequestError):
        results["bad"].unwrap()
    assert results.status.failed == 2


EXPIRING = {
    "openai-chat": ["validating", "in_progress", "expired"],
    "openai-responses": ["validating", "in_progress", "expired"],
    "anthropic": ["in_progress", "ended"],
    "gemini": ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_EXPIRED"],
}


def test_an_expired_batch_returns_what_finished_and_says_which_expired(
    server: BatchServer, make_model: ModelFactory
) -> None:
    name = _name(make_model)
    server.openai_states = server.anthropic_states = server.gemini_states = EXPIRING[name]
    server.unfinished = {"slow"}
    results = batch.submit(make_model(server), _calls("fast", "slow")).result(poll_interval=0)
    slow = results["slow"].error
    assert isinstance(slow, batch.BatchItemError) and slow.reason == "expired"
    assert slow.request_id == "slow"
    if name == "gemini":
        # An expired Gemini batch returns no answers at all.
        assert results.status.state is batch.BatchState.EXPIRED
        assert isinstance(results["fast"].error, batch.BatchItemError)
    else:
        assert results["fast"].unwrap().text == "echo: fast"
    if name.startswith("openai"):
        assert results.status.state is batch.BatchState.EXPIRED
        assert slow.code == "batch_expired"


def test_cancel_stops_the_batch_and_keeps_what_was_answered(
    server: BatchServer, make_model: ModelFactory
) -> None:
    name = _name(make_model)
    server.unfinished = {"slow"}
    job = batch.submit(make_model(server), _calls("fast", "slow"))
    assert not job.poll().done
    cancelling = job.cancel()
    expected = {"anthropic": "canceling", "gemini": "BATCH_STATE_CANCELLED"}
    assert cancelling.provider_state == expected.get(name, "cancelling")
    results = job.result(poll_interval=0)
    assert results.status.state is batch.BatchState.CANCELLED
    slow = results["slow"].error
    assert isinstance(slow, batch.BatchItemError) and slow.reason == "cancelled"
    if name != "gemini":
        assert results["fast"].unwrap().text == "echo: fast"


def test_an_openai_batch_that_fails_validation_fails_every_request_with_the_reason(
    server: BatchServer,
) -> None:
    server.validation_error = "line 1: the model does not exist"
    results = batch.submit(MODELS["openai-chat"](server), _calls("a", "b")).result(poll_interval=0)
    assert results.status.state is batch.BatchState.FAILED
    assert results.status.error == "line 1: the model does not exist"
    for result in results.values():
        assert isinstance(result.error, batch.BatchItemError)
        assert result.error.reason == "failed"
        assert "line 1: the model does not exist" in str(result.error)


def test_transient_status_errors_are_polled_through(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.status_failures = 2
    results = batch.submit(make_model(server), _calls("a")).result(poll_interval=0)
    assert results["a"].unwrap().text == "echo: a"


def test_status_errors_that_persist_end_the_wait(
    server: BatchServer, make_model: ModelFactory
) -> None:
    job = batch.submit(make_model(server), _calls("a"))
    server.status_failures = 100
    with pytest.raises(ProviderError) as caught:
        job.result(poll_interval=0)
    assert caught.value.retryable
    assert isinstance(caught.value, ProviderUnavailableError) or caught.value.status_code == 529


def test_polls_back_off_up_to_the_maximum(
    server: BatchServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.openai_states = ["validating"] * 6 + ["completed"]
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(_runtime, "sleep", record)
    job = batch.submit(MODELS["openai-chat"](server), _calls("a"))
    job.result(poll_interval=2, max_poll_interval=5)
    assert delays == [2, 3, 4.5, 5, 5, 5]


def test_a_wait_past_its_timeout_leaves_the_batch_running_to_be_resumed(
    server: BatchServer, make_model: ModelFactory
) -> None:
    job = batch.submit(make_model(server), _calls("a", "b"))
    with pytest.raises(batch.BatchNotFinishedError) as caught:
        job.result(timeout=0, poll_interval=0)
    assert caught.value.status is not None and not caught.value.status.done
    assert job.id in str(caught.value)
    later = batch.resume(make_model(server), job.id)
    results = later.result(poll_interval=0)
    assert {k: r.unwrap().text for k, r in results.items()} == {"a": "echo: a", "b": "echo: b"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_redrawn_in_place_on_a_terminal(server: BatchServer) -> None:
    screen = _Terminal()
    batch.submit(MODELS["anthropic"](server), _calls("a", "b")).result(
        poll_interval=0, progress=screen
    )
    drawn = screen.getvalue()
    assert drawn.startswith("\r") and drawn.endswith("\n")
    frames = drawn.strip("\n").split("\r")[1:]
    assert "[" + "." * 24 + "] 0/2 done, 0 failed, 2 pending (in_progress)" in frames[0]
    assert "[" + "#" * 24 + "] 2/2 done, 0 failed, 0 pending (completed)" in frames[-1]


def test_progress_to_a_log_is_one_line_per_change(server: BatchServer) -> None:
    log = io.StringIO()
    batch.submit(MODELS["openai-chat"](server), _calls("a", "b")).result(
        poll_interval=0, progress=log
    )
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert [line.rsplit("(", 1)[1] for line in lines] == [
        "validating)",
        "in_progress)",
        "finalizing)",
        "completed)",
    ]
    assert lines[-1].endswith("2/2 done, 0 failed, 0 pending (completed)")


def test_progress_true_draws_on_stderr(
    server: BatchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    batch.submit(MODELS["gemini"](server), _calls("a")).result(poll_interval=0, progress=True)
    assert "1/1 done, 0 failed, 0 pending (completed)" in capsys.readouterr().err


def test_results_of_an_anthropic_batch_are_read_from_the_api_host_only(
    server: BatchServer,
) -> None:
    """A ``results_url`` on another host would receive the key: the documented path
    under the configured base URL is read instead."""
    server.results_url_base = "http://elsewhere.invalid:9"
    results = batch.submit(MODELS["anthropic"](server), _calls("a")).result(poll_interval=0)
    assert results["a"].unwrap().text == "echo: a"
    assert all("elsewhere" not in s.path for s in server.seen)


def test_a_request_the_results_leave_out_is_reported_missing(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.dropped = {"lost"}
    results = batch.submit(make_model(server), _calls("kept", "lost")).result(poll_interval=0)
    assert results["kept"].unwrap().text == "echo: kept"
    lost = results["lost"].error
    assert isinstance(lost, batch.BatchItemError) and lost.reason == "missing"
    assert "no result for this request" in str(lost)


def test_gemini_job_state_names_are_understood(server: BatchServer) -> None:
    """The SDKs' JOB_STATE_* names, as well as the REST API's BATCH_STATE_* ones."""
    server.gemini_states = ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"]
    seen: list[batch.BatchStatus] = []
    results = batch.submit(MODELS["gemini"](server), _calls("a")).result(
        poll_interval=0, on_progress=seen.append
    )
    assert [s.provider_state for s in seen] == server.gemini_states
    assert [s.state.value for s in seen] == ["validating", "in_progress", "completed"]
    assert results["a"].unwrap().text == "echo: a"
