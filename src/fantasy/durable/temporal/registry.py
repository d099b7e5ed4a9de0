"""The agents a worker runs, by name, and how their activities are scheduled.

Temporal sends a workflow and its activities only names and JSON, never objects, so
a model or a tool function has to be found again in whichever worker process picks up
the work. Each worker process registers its agents here (`create_worker` does it); the workflow
and the activities look them up by name (a name is one agent per process). Every
worker of a task queue must register the same agents under the same names, as every
worker must run the same workflow code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.common import RetryPolicy

from fantasy.errors import InvalidArgumentError

if TYPE_CHECKING:
    from fantasy.agent import Agent
    from fantasy.types import StreamPart


@dataclass(slots=True)
class ActivityOptions:
    """How Temporal schedules one kind of activity (model requests or tool runs)."""

    start_to_close_timeout: timedelta = timedelta(minutes=10)
    """Longest one attempt may take; past it (or when its worker died) Temporal starts
    another attempt, on any worker."""
    retry_policy: RetryPolicy | None = None
    """None: for model requests, one built from the agent's ``max_retries``,
    ``retry_initial_delay`` and ``retry_backoff_factor``; for tools, 3 attempts."""
    heartbeat_timeout: timedelta | None = None


@dataclass(slots=True, frozen=True)
class StreamEvent:
    """One streamed part of a durable run's model request, given to ``on_stream``.

    It is called in the activity, as the part arrives. A retried request streams again
    from the start: ``attempt`` (from 1) grows, and a consumer should drop what it showed
    of ``(workflow_id, request)`` for an earlier attempt."""

    agent: str
    workflow_id: str
    run_id: str
    request: int
    """The model request's number in the run (0 for the first)."""
    attempt: int
    part: StreamPart


OnStream = Callable[[StreamEvent], "Awaitable[None] | None"]


@dataclass(slots=True)
class DurableAgent:
    """An agent as a worker runs it durably: the agent, and its activities' options."""

    agent: Agent[Any]
    model_activity: ActivityOptions = field(default_factory=ActivityOptions)
    tool_activity: ActivityOptions = field(default_factory=ActivityOptions)
    on_stream: OnStream | None = None
    """Set: each model request streams, and every part is given to this function in the
    activity (to push to a queue, a pub/sub channel, a websocket hub; a workflow cannot
    hold a socket), in order; an ``async def`` is awaited, a plain function runs on a
    thread. The run's result is the same as without it."""


_AGENTS: dict[str, DurableAgent] = {}


def register(agents: Mapping[str, Any]) -> dict[str, DurableAgent]:
    """Record ``agents`` (`Agent`s or `DurableAgent`s, by name) for this process's
    workflows and activities; a name registered again names the new agent."""
    from fantasy.agent import Agent

    if not agents:
        raise InvalidArgumentError("create_worker: agents is empty: give at least one agent")
    entries: dict[str, DurableAgent] = {}
    for name, value in agents.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"create_worker: agent names must be strings, got {name!r}")
        if isinstance(value, Agent):
            value = DurableAgent(value)
        if not isinstance(value, DurableAgent):
            raise InvalidArgumentError(
                f"create_worker: agents[{name!r}] must be a fantasy.Agent or a DurableAgent, "
                f"got {type(value).__name__}"
            )
        entries[name] = value
    _AGENTS.update(entries)
    return entries


def lookup(name: str) -> DurableAgent:
    entry = _AGENTS.get(name)
    if entry is None:
        known = ", ".join(sorted(_AGENTS)) or "none (create the worker with create_worker)"
        raise InvalidArgumentError(f"unknown agent {name!r}: this worker runs {known}")
    return entry
