"""The agent's loop inside a Temporal workflow.

The workflow runs fantasy's own loop (`fantasy.Agent`), unchanged, on a copy of the
registered agent whose model and tools are stand-ins: each model request and each
tool run the loop makes becomes an activity (`activities.py`), and only their results
enter the workflow. What remains in the workflow is deterministic: building the
prompt, validating tool calls, the continuation rule, the usage limits, the typed
output's validation. Timers (a run's ``total_timeout``) read Temporal's clock through
`fantasy._runtime.clock`, so a replayed run takes the same decisions.

What runs in the workflow must stay deterministic: an agent's ``prepare_step``,
``stop_when`` and ``repair_tool_call`` run here, so they must not do I/O or read the
clock (a ``prepare_step`` may switch to the agent's own model and tools only).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from fantasy import _runtime
from fantasy.durable.temporal import codec
from fantasy.durable.temporal.activities import (
    MODEL_REQUEST,
    TOOL_ERROR_TYPE,
    TOOL_RUN,
    TOOLSET_TOOLS,
)
from fantasy.durable.temporal.registry import ActivityOptions, DurableAgent, lookup
from fantasy.errors import InvalidArgumentError, ToolCriticalError
from fantasy.model import Call, Response
from fantasy.tools import AgentTool, ExecutableProviderTool, ToolCall, ToolResponse

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from fantasy.agent import Agent, AgentResult
    from fantasy.types import StreamPart

WORKFLOW_NAME = "fantasy.AgentWorkflow"

DEFAULT_TOOL_RETRY = RetryPolicy(maximum_attempts=3)
"""Tool runs are retried when the activity itself failed (a worker lost, a timeout);
a tool's own exception is an error result the model sees, not a failure."""


APPROVE_SIGNAL = "fantasy.approve"
TOOL_RESULT_SIGNAL = "fantasy.tool_result"
PENDING_QUERY = "fantasy.pending"


@workflow.defn(name=WORKFLOW_NAME)
class AgentWorkflow:
    """One durable agent run: ``{"agent": name, "prompt": ..., "options": {...}}`` in,
    the run's result (`codec.result_to_json`) out. A run that fails ends the workflow
    with an `ApplicationError` of the error's type, its partial result as details.

    A call of a tool that needs approval pauses the run, as without Temporal; here the
    workflow then waits (for days if need be: a wait costs nothing and survives every
    worker) for an answer by signal, ``fantasy.approve`` (``{"tool_call_id",
    "approved", "reason"}``), or for a deferred tool's result, ``fantasy.tool_result``
    (``{"tool_call_id", "result", "is_error"}``), and resumes the run with them. The
    ``fantasy.pending`` query lists the calls it waits on. With ``approval_timeout``
    (the agent's or the run's), a call not answered in time is denied."""

    def __init__(self) -> None:
        self._answers: dict[str, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._requests = [0]
        """The number of the run's next model request, across its pauses."""

    @workflow.signal(name=APPROVE_SIGNAL)
    def approve(self, answer: dict[str, Any]) -> None:
        self._answers[str(answer["tool_call_id"])] = {"kind": "approval", **answer}

    @workflow.signal(name=TOOL_RESULT_SIGNAL)
    def tool_result(self, answer: dict[str, Any]) -> None:
        self._answers[str(answer["tool_call_id"])] = {"kind": "deferred", **answer}

    @workflow.query(name=PENDING_QUERY)
    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending)

    @workflow.run
    async def run(self, request: dict[str, Any]) -> dict[str, Any]:
        options = codec.options_from_json(request.get("options") or {})
        name = request["agent"]
        try:
            result = await _run(name, request.get("prompt", ""), options, self._requests)
            while result.paused:
                result = _joined(result, await self._resume(name, result, options))
        except Exception as err:
            raise _failure(err) from err
        typed = result.typed_output is not _text_output()
        output = None
        if typed:
            from pydantic_core import to_jsonable_python

            output = to_jsonable_python(result.typed_output)
        data = codec.result_to_json(result, output)
        data["typed"] = typed
        return data

    async def _resume(
        self, name: str, paused: AgentResult[Any], options: dict[str, Any]
    ) -> AgentResult[Any]:
        """Wait for the answers the paused run needs, then run on with them."""
        from fantasy.tools import Denied

        # Lists, in the calls' order: a set of strings iterates in an order that differs
        # from one process to the next, and a replay must build the same answers.
        approvals = [p.tool_call_id for p in paused.pending_approvals]
        deferred = [p.tool_call_id for p in paused.pending_calls]
        self._pending = [
            {
                "tool_call_id": p.tool_call_id,
                "tool_name": p.tool_name,
                "raw_input": p.raw_input,
                "kind": p.kind,
            }
            for p in [*paused.pending_approvals, *paused.pending_calls]
        ]
        timeout = options.get("approval_timeout")
        if timeout is None:
            timeout = lookup(name).agent.approval_timeout
        # Calls not answered in time are denied, as an approve callback's are.
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: set(approvals) <= self._answered("approval"), timeout=timeout
            )
        await workflow.wait_condition(lambda: set(deferred) <= self._answered("deferred"))
        answers: dict[str, Any] = {}
        for call_id in approvals:
            answer = self._answers.pop(call_id, None)
            if answer is None:
                answers[call_id] = Denied(f"no approval within {timeout:g}s")
            elif answer.get("approved"):
                answers[call_id] = True
            else:
                answers[call_id] = Denied(str(answer.get("reason") or ""))
        results: dict[str, Any] = {}
        for call_id in deferred:
            answer = self._answers.pop(call_id)
            value = answer.get("result")
            if answer.get("is_error"):
                value = ToolResponse.error(value if isinstance(value, str) else str(value))
            results[call_id] = value
        self._pending = []
        rest = {k: v for k, v in options.items() if k not in ("messages", "files")}
        return await _run(
            name,
            "",
            {
                **rest,
                "messages": paused.all_messages(),
                "approvals": answers,
                "tool_results": results,
            },
            self._requests,
        )

    def _answered(self, kind: str) -> set[str]:
        return {k for k, v in self._answers.items() if v["kind"] == kind}


def _joined(paused: AgentResult[Any], resumed: AgentResult[Any]) -> AgentResult[Any]:
    """One result for a run that paused and went on: every step of both parts, so
    ``steps``, usage and cost are the whole run's. The resumed part began from the
    paused conversation with its last step's tool message completed (the answers'
    results in call order): that step takes the completed messages, so
    ``all_messages()`` is the resumed part's. Should the conversation not start as
    the paused one did, the resumed part alone is the result."""
    from fantasy.agent.run import final_result

    if not paused.steps:
        return resumed
    *earlier, last = paused.steps
    start = [*paused.input_messages, *paused.prompt_messages]
    before = [*start, *(m for s in earlier for m in s.messages)]
    history = resumed.input_messages
    if history[: len(before)] != before:
        return resumed
    messages = history[len(before) :]
    completed = dataclasses.replace(
        last, content=_with_results(last.content, messages), messages=messages, pending=[]
    )
    joined = final_result([*earlier, completed, *resumed.steps])
    joined.input_messages = paused.input_messages
    joined.prompt_messages = paused.prompt_messages
    joined.typed_output = resumed.typed_output
    return joined


def _with_results(content: Any, messages: list[Any]) -> Any:
    """The paused step's content with the results its answers brought (the approved
    calls' results, the denials, the deferred results), in call order."""
    from fantasy.types import ResponseContent, Role, ToolResultContent, ToolResultPart

    names = {c.tool_call_id: c.tool_name for c in content.tool_calls}
    known = {r.tool_call_id for r in content.tool_results}
    added = [
        ToolResultContent(
            part.tool_call_id,
            names.get(part.tool_call_id, ""),
            part.output,
            client_metadata=part.client_metadata,
            stop_turn=part.stop_turn,
        )
        for m in messages
        if m.role is Role.TOOL
        for part in m.content
        if isinstance(part, ToolResultPart) and part.tool_call_id not in known
    ]
    if not added:
        return content
    order = {call_id: i for i, call_id in enumerate(names)}
    results = sorted(
        [*content.tool_results, *added], key=lambda r: order.get(r.tool_call_id, len(order))
    )
    rest = [c for c in content if not isinstance(c, ToolResultContent) or c.provider_executed]
    client_results = [r for r in results if not r.provider_executed]
    return ResponseContent([*rest, *client_results])


async def run_agent_in_workflow(
    name: str, prompt: str, options: dict[str, Any]
) -> AgentResult[Any]:
    """Run the agent registered as ``name`` from workflow code: its model requests and
    tool runs are activities. For use in your own workflows, on a worker built by
    `create_worker` (which registers the activities and the agents). A call that needs
    approval pauses the run (``result.paused``): resume it with ``messages=`` and
    ``approvals=`` as without Temporal (`AgentWorkflow` waits for signals to do so)."""
    return await _run(name, prompt, options, [0])


async def _run(
    name: str, prompt: str, options: dict[str, Any], requests: list[int]
) -> AgentResult[Any]:
    entry = lookup(name)
    options = dict(options)
    max_retries = options.pop("max_retries", None)
    options.pop("approval_timeout", None)  # the wait for a signal, not for a callback
    shadow = _shadow(name, entry, max_retries, requests)
    with _runtime.clock(workflow.time):
        return await shadow.agenerate(prompt, **options)


def _text_output() -> Any:
    from fantasy.agent.run_types import TEXT_OUTPUT

    return TEXT_OUTPUT


def _shadow(
    name: str, entry: DurableAgent, max_retries: int | None, requests: list[int]
) -> Agent[Any]:
    """A copy of the agent whose model and tools are activities; retries are Temporal's."""
    agent = entry.agent
    attempts = 1 + (max_retries if max_retries is not None else _pick(agent.max_retries, 3))
    model_retry = entry.model_activity.retry_policy or RetryPolicy(
        initial_interval=timedelta(seconds=agent.retry_initial_delay),
        backoff_coefficient=agent.retry_backoff_factor,
        maximum_attempts=attempts,
    )
    proxy = ActivityModel(name, agent.model, entry.model_activity, model_retry, requests)
    tool_retry = entry.tool_activity.retry_policy or DEFAULT_TOOL_RETRY
    tools: dict[str, AgentTool] = {
        t.info.name: ActivityTool(name, t, entry.tool_activity, tool_retry) for t in agent.tools
    }
    shadow = copy.copy(agent)
    shadow.model = proxy
    shadow.tools = list(tools.values())
    shadow.executable_provider_tools = [
        _provider_tool(name, t, entry.tool_activity, tool_retry)
        for t in agent.executable_provider_tools
    ]
    shadow.max_retries = 0  # each attempt is the activity's: Temporal retries it
    shadow.limiter = None  # taken in the activity, around the request itself
    shadow.tool_timeout = None  # enforced in the activity, where the tool runs
    shadow.sleep = None
    # The agent's own headers (credentials, often) stay in the worker: the model-request
    # activity adds them back, so the workflow's history never holds them.
    shadow.headers = {}
    # Approval comes by signal (AgentWorkflow): a callback asking a person would be I/O
    # in the workflow, so the run pauses for such calls instead.
    if hasattr(shadow, "approve"):
        shadow.approve = None
    if getattr(agent, "toolsets", None):
        shadow.toolsets = [ActivityToolset(name, entry.tool_activity, tool_retry)]
    if agent.prepare_step is not None:
        shadow.prepare_step = _durable_prepare_step(agent, proxy, tools)
    return shadow


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value


class ActivityModel:
    """The agent's model, as the workflow sees it: a request is an activity. Reads its
    identity and capabilities (provider, model id, what it supports) from the real one."""

    def __init__(
        self,
        agent: str,
        model: Any,
        options: ActivityOptions,
        retry_policy: RetryPolicy,
        requests: list[int],
    ):
        self._agent = agent
        self._model = model
        self._options = options
        self._retry_policy = retry_policy
        self._requests = requests
        """``[n]``: the number of the run's next request, shared by its parts."""

    @property
    def provider(self) -> str:
        return str(self._model.provider)

    @property
    def model(self) -> str:
        return str(self._model.model)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._model, name)

    async def agenerate(self, call: Call) -> Response:
        payload = {
            "agent": self._agent,
            "call": codec.call_to_json(call),
            "request": self._requests[0],
        }
        self._requests[0] += 1
        result = await workflow.execute_activity(
            MODEL_REQUEST,
            payload,
            start_to_close_timeout=self._options.start_to_close_timeout,
            heartbeat_timeout=self._options.heartbeat_timeout,
            retry_policy=self._retry_policy,
            result_type=dict,
        )
        return codec.response_from_json(result)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        raise InvalidArgumentError(
            "a durable run's loop does not stream in the workflow; give the DurableAgent an "
            "on_stream function to receive each request's parts in the activity"
        )

    def generate(self, call: Call) -> Response:
        raise InvalidArgumentError("a durable run's model is called from the workflow (async)")

    def stream(self, call: Call) -> Iterator[StreamPart]:
        raise InvalidArgumentError("a durable run's model is called from the workflow (async)")


async def _tool_activity(
    agent: str, call: ToolCall, options: ActivityOptions, retry_policy: RetryPolicy
) -> ToolResponse:
    try:
        result = await workflow.execute_activity(
            TOOL_RUN,
            {"agent": agent, "id": call.id, "name": call.name, "input": call.input},
            start_to_close_timeout=options.start_to_close_timeout,
            heartbeat_timeout=options.heartbeat_timeout,
            retry_policy=retry_policy,
            result_type=dict,
        )
    except ActivityError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == TOOL_ERROR_TYPE:
            raise ToolCriticalError(cause.message) from err
        raise
    return codec.tool_response_from_json(result)


class ActivityTool(AgentTool):
    """A registered tool, as the workflow sees it: its definition, and a run that is an
    activity (the real tool runs there, with its timeout)."""

    def __init__(
        self, agent: str, tool: AgentTool, options: ActivityOptions, retry_policy: RetryPolicy
    ):
        self.info = tool.info
        self.provider_options = tool.provider_options
        self.timeout = None
        self._agent = agent
        self._tool = tool
        self._options = options
        self._retry_policy = retry_policy
        # Whatever else the loop reads of a tool before running it (approval, deferral).
        for attr in ("needs_approval", "deferred"):
            if hasattr(tool, attr):
                setattr(self, attr, getattr(tool, attr))

    def parse_input(self, call: ToolCall) -> Any:
        return self._tool.parse_input(call)

    async def run(self, call: ToolCall) -> ToolResponse:
        return await _tool_activity(self._agent, call, self._options, self._retry_policy)


class ActivityToolset:
    """The agent's toolsets (MCP servers), as the workflow sees them: the tools of a step
    are listed by an activity (a server may change them between steps), and each call
    of one is a tool-run activity. The servers run in the workers."""

    label = "the agent's toolsets"

    def __init__(self, agent: str, options: ActivityOptions, retry_policy: RetryPolicy):
        self._agent = agent
        self._options = options
        self._retry_policy = retry_policy

    async def __aenter__(self) -> ActivityToolset:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_tools(self) -> list[AgentTool]:
        specs = await workflow.execute_activity(
            TOOLSET_TOOLS,
            {"agent": self._agent},
            start_to_close_timeout=self._options.start_to_close_timeout,
            heartbeat_timeout=self._options.heartbeat_timeout,
            retry_policy=self._retry_policy,
            result_type=list,
        )
        return [RemoteTool(self._agent, spec, self._options, self._retry_policy) for spec in specs]


class RemoteTool(AgentTool):
    """A toolset's tool in the workflow: its definition as the worker listed it, and a
    run that is a tool-run activity."""

    def __init__(
        self, agent: str, spec: dict[str, Any], options: ActivityOptions, retry: RetryPolicy
    ):
        from fantasy.tools import ToolInfo

        self.info = ToolInfo(
            spec["name"],
            spec["description"],
            spec["parameters"],
            spec["required"],
            parallel=bool(spec.get("parallel")),
            schema=spec.get("schema"),
        )
        self.needs_approval = bool(spec.get("needs_approval"))
        self._agent = agent
        self._options = options
        self._retry_policy = retry

    async def run(self, call: ToolCall) -> ToolResponse:
        return await _tool_activity(self._agent, call, self._options, self._retry_policy)


def _provider_tool(
    agent: str, tool: ExecutableProviderTool, options: ActivityOptions, retry_policy: RetryPolicy
) -> ExecutableProviderTool:
    async def run(call: ToolCall) -> ToolResponse:
        return await _tool_activity(agent, call, options, retry_policy)

    proxy = copy.copy(tool)
    proxy._run = run
    return proxy


def _durable_prepare_step(
    agent: Agent[Any], proxy: ActivityModel, tools: dict[str, AgentTool]
) -> Any:
    """The agent's ``prepare_step``, with the model and tools it returns mapped to their
    activity stand-ins; a model or tool the worker did not register is refused."""
    from fantasy.agent.run_types import PrepareStepResult

    user = agent.prepare_step
    assert user is not None

    async def prepare(options: Any) -> Any:
        prepared = await _runtime.call_user(user, options)
        if not isinstance(prepared, PrepareStepResult):
            return prepared
        changes: dict[str, Any] = {}
        if prepared.model is not None and prepared.model is not proxy:
            if prepared.model is not agent.model:
                raise InvalidArgumentError(
                    "prepare_step: a durable run can only use its agent's model; register "
                    "another agent for another model"
                )
            changes["model"] = proxy
        if prepared.tools is not None:
            unknown = [t.info.name for t in prepared.tools if t.info.name not in tools]
            if unknown:
                raise InvalidArgumentError(
                    f"prepare_step: a durable run can only use its agent's tools, got "
                    f"{', '.join(map(repr, unknown))}"
                )
            changes["tools"] = [tools[t.info.name] for t in prepared.tools]
        return dataclasses.replace(prepared, **changes) if changes else prepared

    return prepare


def _failure(err: Exception) -> ApplicationError:
    """The error that ended a run, as the workflow's failure: its type's name, its
    message, and the steps completed before it as details."""
    partial = getattr(err, "partial_result", None)
    type_name, message = type(err).__name__, str(err) or type(err).__name__
    cause = err.cause if isinstance(err, ActivityError) else None
    if isinstance(cause, ApplicationError):
        type_name, message = cause.type or type_name, cause.message
    details: list[Any] = []
    if partial is not None:
        try:
            details.append(codec.result_to_json(partial))
        except Exception:  # a partial result that cannot be saved is not worth a lost error
            details = []
    return ApplicationError(message, *details, type=type_name, non_retryable=True)
