"""Start a durable agent run and get its result, from any process with a Temporal client."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from fantasy.durable.temporal import codec
from fantasy.durable.temporal.workflow import WORKFLOW_NAME
from fantasy.errors import FantasyError


class DurableRunError(FantasyError):
    """A durable run ended with an error. ``error_type`` names the error the run raised
    in the worker (``MaxStepsExceededError``, ``InvalidRequestError``...);
    ``partial_result`` holds the steps completed before it, as for a local run."""

    def __init__(self, message: str, error_type: str, partial_result: Any = None):
        super().__init__(message, title=f"durable run failed ({error_type})")
        self.error_type = error_type
        self.partial_result = partial_result


async def start_run(
    client: Client,
    agent: str,
    prompt: str = "",
    *,
    task_queue: str,
    id: str | None = None,
    **options: Any,
) -> WorkflowHandle[Any, Any]:
    """Start running the agent registered as ``agent`` and return the workflow's handle
    (``handle.id`` finds the run again; `run_result` waits for it). ``options`` are the
    agent's call options that are JSON (``messages``, ``max_steps``, ``temperature``...);
    an option that is Python code is refused with the reason."""
    payload = {
        "agent": agent,
        "prompt": prompt,
        "options": codec.options_to_json(options, "start_run"),
    }
    return await client.start_workflow(
        WORKFLOW_NAME,
        payload,
        id=id or f"fantasy-{agent}-{uuid.uuid4()}",
        task_queue=task_queue,
        result_type=dict,
    )


async def run_result(handle: WorkflowHandle[Any, Any], output_type: Any = None) -> Any:
    """Wait for a durable run and return its `fantasy.AgentResult`. A typed run's
    ``output`` is its JSON unless ``output_type`` is given, then it is validated into it.
    A failed run raises `DurableRunError`."""
    try:
        data = await handle.result()
    except WorkflowFailureError as err:
        raise _run_error(err) from err
    result = codec.result_from_json(data)
    if data.get("typed"):
        output = data.get("output")
        if output_type is not None:
            from pydantic import TypeAdapter

            output = TypeAdapter(output_type).validate_python(output)
        result.typed_output = output
    return result


async def run_agent(
    client: Client,
    agent: str,
    prompt: str = "",
    *,
    task_queue: str,
    id: str | None = None,
    output_type: Any = None,
    **options: Any,
) -> Any:
    """Run the agent registered as ``agent`` durably and return its `fantasy.AgentResult`
    (`start_run`, then `run_result`)."""
    handle = await start_run(client, agent, prompt, task_queue=task_queue, id=id, **options)
    return await run_result(handle, output_type)


def _run_error(err: WorkflowFailureError) -> Exception:
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        return err
    partial = None
    if cause.details:
        partial = codec.result_from_json(cause.details[0])
    return DurableRunError(cause.message, cause.type or "Error", partial)
