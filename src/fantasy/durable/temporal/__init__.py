"""Durable agent runs on Temporal (extra ``temporal``): the agent's loop runs in a
workflow, each model request and each tool run is an activity with its own timeout and
retry policy, so a run survives its worker and resumes elsewhere without repeating
what it already did.

A worker process::

    worker = create_worker(client, {"support": agent}, task_queue="agents")
    await worker.run()

Anywhere else::

    result = await run_agent(client, "support", "Where is my order?", task_queue="agents")

or, from sync code, ``run_agent_sync(...)`` (each client helper has a ``_sync`` twin).

See README, "Durable runs".
"""

from fantasy._runtime import SyncDriverError
from fantasy.durable.temporal.client import (
    DurableRunError,
    approve,
    pending_calls,
    run_agent,
    run_result,
    send_tool_result,
    start_run,
)
from fantasy.durable.temporal.registry import ActivityOptions, DurableAgent, StreamEvent
from fantasy.durable.temporal.sync import (
    approve_sync,
    pending_calls_sync,
    run_agent_sync,
    run_result_sync,
    send_tool_result_sync,
    start_run_sync,
)
from fantasy.durable.temporal.worker import create_worker, sandbox_runner
from fantasy.durable.temporal.workflow import AgentWorkflow, run_agent_in_workflow

__all__ = [
    "ActivityOptions",
    "AgentWorkflow",
    "DurableAgent",
    "DurableRunError",
    "StreamEvent",
    "SyncDriverError",
    "approve",
    "approve_sync",
    "create_worker",
    "pending_calls",
    "pending_calls_sync",
    "run_agent",
    "run_agent_in_workflow",
    "run_agent_sync",
    "run_result",
    "run_result_sync",
    "sandbox_runner",
    "send_tool_result",
    "send_tool_result_sync",
    "start_run",
    "start_run_sync",
]
