"""The sync face of the durable-run client (`fantasy.durable.temporal.client`).

The Temporal SDK is asyncio through and through, so these cannot run the client's
coroutines without a loop the way the rest of fantasy's sync face does
(`fantasy._runtime.run_sync`): each call runs its coroutine to the end on a private
event loop (``asyncio.run``), so Ctrl-C cancels it as it would an async caller's. A
Temporal ``Client`` is not tied to the loop that connected it, so the same client (and
the handles made from it) serve both faces.

Called from inside a running event loop they refuse with `SyncDriverError`: blocking
that loop would stall everything else on it (a worker sharing it would never run the
very workflow being waited for); such code awaits the async functions instead. The
names follow fantasy's other async-first helpers (``stream_events`` /
``stream_events_sync``): the async function's name, then ``_sync``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from fantasy._runtime import SyncDriverError
from fantasy.durable.temporal import client as aio

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from fantasy.tools import PendingCall

T = TypeVar("T")


def _drive(coro: Coroutine[Any, Any, T], name: str) -> T:
    """``coro`` run to the end on a private loop; refused inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise SyncDriverError(
        f"{name}_sync was called inside a running event loop, which it would block while "
        f"it waits for Temporal; use `await {name}(...)` there"
    )


def start_run_sync(
    client: Client,
    agent: str,
    prompt: str = "",
    *,
    task_queue: str,
    id: str | None = None,
    start_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> WorkflowHandle[Any, Any]:
    """`start_run` from sync code: the handle of the run started."""
    coro = aio.start_run(
        client,
        agent,
        prompt,
        task_queue=task_queue,
        id=id,
        start_options=start_options,
        **options,
    )
    return _drive(coro, "start_run")


def run_result_sync(handle: WorkflowHandle[Any, Any], output_type: Any = None) -> Any:
    """`run_result` from sync code: blocks until the run ends."""
    return _drive(aio.run_result(handle, output_type), "run_result")


def run_agent_sync(
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
    """`run_agent` from sync code: the run's `fantasy.AgentResult`."""
    coro = aio.run_agent(
        client,
        agent,
        prompt,
        task_queue=task_queue,
        id=id,
        output_type=output_type,
        start_options=start_options,
        **options,
    )
    return _drive(coro, "run_agent")


def pending_calls_sync(handle: WorkflowHandle[Any, Any]) -> list[PendingCall]:
    """`pending_calls` from sync code."""
    return _drive(aio.pending_calls(handle), "pending_calls")


def approve_sync(
    handle: WorkflowHandle[Any, Any], tool_call_id: str, approved: bool = True, reason: str = ""
) -> None:
    """`approve` from sync code."""
    _drive(aio.approve(handle, tool_call_id, approved, reason), "approve")


def send_tool_result_sync(
    handle: WorkflowHandle[Any, Any], tool_call_id: str, result: Any, *, is_error: bool = False
) -> None:
    """`send_tool_result` from sync code."""
    _drive(
        aio.send_tool_result(handle, tool_call_id, result, is_error=is_error), "send_tool_result"
    )
