"""A Temporal worker that runs fantasy agents durably."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from fantasy.durable.temporal.activities import model_request, tool_run, toolset_tools
from fantasy.durable.temporal.registry import register
from fantasy.durable.temporal.workflow import AgentWorkflow

PASSTHROUGH_MODULES = ("fantasy", "httpx", "httpcore", "json_repair", "genai_prices", "sniffio")
"""Imported once, outside the sandbox: the workflow reads the registered agents (real
objects of this process) and fantasy's loop is deterministic by construction in a
workflow (its clock is Temporal's, its model and tools are activities)."""


def sandbox_runner() -> SandboxedWorkflowRunner:
    """Temporal's sandbox with fantasy (and what it imports) passed through: give it to
    your own `Worker` (``workflow_runner=``) when it runs workflows that call
    `run_agent_in_workflow`."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def create_worker(
    client: Client, agents: Mapping[str, Any], *, task_queue: str, **worker_options: Any
) -> Worker:
    """A worker for ``task_queue`` that runs ``agents`` (name to `fantasy.Agent` or
    `DurableAgent`): the agent workflow and the model-request and tool-run activities.

    Run it with ``await worker.run()`` or ``async with worker: ...``. Every worker of a
    task queue must be given the same agents, by the same names. ``worker_options`` go
    to `temporalio.worker.Worker` (``workflows=`` and ``activities=`` add your own).
    """
    register(agents)
    workflows = [AgentWorkflow, *worker_options.pop("workflows", ())]
    activities = [model_request, tool_run, toolset_tools, *worker_options.pop("activities", ())]
    worker_options.setdefault("workflow_runner", sandbox_runner())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        **worker_options,
    )
