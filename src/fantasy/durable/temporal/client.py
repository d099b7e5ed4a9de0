"""Start a durable agent run and get its result, from any process with a Temporal client."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from fantasy.durable.temporal import codec
from fantasy.durable.temporal.workflow import (
    APPROVE_SIGNAL,
    PENDING_QUERY,
    TOOL_RESULT_SIGNAL,
    WORKFLOW_NAME,
)
from fantasy.errors import FantasyError, InvalidArgumentError

if TYPE_CHECKING:
    from fantasy.tools import PendingCall


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
    start_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> WorkflowHandle[Any, Any]:
    """Start running the agent registered as ``agent`` and return the workflow's handle
    (``handle.id`` finds the run again; `run_result` waits for it). ``options`` are the
    agent's call options that are JSON (``messages``, ``max_steps``, ``temperature``...);
    an option that is Python code is refused with the reason. ``start_options`` go to
    Temporal's ``client.start_workflow`` (``execution_timeout``, ``id_reuse_policy``,
    ``search_attributes``...)."""
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
        **dict(start_options or {}),
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
    start_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """Run the agent registered as ``agent`` durably and return its `fantasy.AgentResult`
    (`start_run`, then `run_result`)."""
    handle = await start_run(
        client,
        agent,
        prompt,
        task_queue=task_queue,
        id=id,
        start_options=start_options,
        **options,
    )
    return await run_result(handle, output_type)


async def pending_calls(handle: WorkflowHandle[Any, Any]) -> list[PendingCall]:
    """The tool calls a durable run waits on: calls that need approval (``kind``
    ``"approval"``) and deferred tools' calls (``"deferred"``). ``input`` is the JSON
    the model sent, decoded (the worker validates it with the tool)."""
    from fantasy import _json
    from fantasy.tools import PendingCall

    calls = await handle.query(PENDING_QUERY, result_type=list)
    out: list[PendingCall] = []
    for call in calls:
        raw = call["raw_input"]
        try:
            value = _json.loads(raw) if raw.strip() else {}
        except ValueError:
            value = raw
        out.append(PendingCall(call["tool_call_id"], call["tool_name"], value, raw, call["kind"]))
    return out


async def approve(
    handle: WorkflowHandle[Any, Any], tool_call_id: str, approved: bool = True, reason: str = ""
) -> None:
    """Answer a durable run's call that waits for approval: ``approved=False`` denies it,
    and the model gets ``denied: <reason>``. Sent as the ``fantasy.approve`` signal; an
    id the run does not wait on for approval is refused, listing those it does."""
    await _check_waiting(handle, tool_call_id, "approval")
    answer = {"tool_call_id": tool_call_id, "approved": approved, "reason": reason}
    await handle.signal(APPROVE_SIGNAL, answer)


async def send_tool_result(
    handle: WorkflowHandle[Any, Any], tool_call_id: str, result: Any, *, is_error: bool = False
) -> None:
    """Give a durable run the result of a deferred tool's call (a string or any JSON
    value; ``is_error=True`` makes it an error the model sees). Sent as the
    ``fantasy.tool_result`` signal."""
    await _check_waiting(handle, tool_call_id, "deferred")
    answer = {"tool_call_id": tool_call_id, "result": result, "is_error": is_error}
    await handle.signal(TOOL_RESULT_SIGNAL, answer)


async def _check_waiting(handle: WorkflowHandle[Any, Any], tool_call_id: str, kind: str) -> None:
    waiting = [c.tool_call_id for c in await pending_calls(handle) if c.kind == kind]
    if tool_call_id not in waiting:
        what = "approval" if kind == "approval" else "a deferred result"
        raise InvalidArgumentError(
            f"the run {handle.id!r} is not waiting for {what} of call {tool_call_id!r} "
            f"(it waits on: {', '.join(waiting) or 'none'})"
        )


def _run_error(err: WorkflowFailureError) -> DurableRunError:
    """The run's failure: the error the run raised (an `ApplicationError` the workflow
    made of it, with the partial result), or what ended the workflow from outside (a
    cancellation, a termination, its ``execution_timeout``), named by its type."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        partial = None
        if cause.details:
            partial = codec.result_from_json(cause.details[0])
        return DurableRunError(cause.message, cause.type or "Error", partial)
    if cause is None:
        return DurableRunError(str(err), type(err).__name__)
    return DurableRunError(str(cause) or type(cause).__name__, type(cause).__name__)
