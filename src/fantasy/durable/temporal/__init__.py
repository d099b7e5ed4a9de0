"""Durable agent runs on Temporal (extra ``temporal``): the agent's loop runs in a
workflow, each model request and each tool run is an activity with its own timeout and
retry policy, so a run survives its worker and resumes elsewhere without repeating
what it already did.

A worker process::

    worker = create_worker(client, {"support": agent}, task_queue="agents")
    await worker.run()

Anywhere else::

    result = await run_agent(client, "support", "Where is my order?", task_queue="agents")

See README, "Durable runs".
"""

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
from fantasy.durable.temporal.worker import create_worker, sandbox_runner
from fantasy.durable.temporal.workflow import AgentWorkflow, run_agent_in_workflow

__all__ = [
    "ActivityOptions",
    "AgentWorkflow",
    "DurableAgent",
    "DurableRunError",
    "StreamEvent",
    "approve",
    "create_worker",
    "pending_calls",
    "run_agent",
    "run_agent_in_workflow",
    "run_result",
    "sandbox_runner",
    "send_tool_result",
    "start_run",
]
