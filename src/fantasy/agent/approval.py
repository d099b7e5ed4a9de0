"""Human in the loop: which of a step's tool calls may run, and resuming a paused run.

A tool that needs approval (``needs_approval``) is asked about before it runs: the
agent's ``approve`` callback answers at once (a yes, or `Denied`, which the model sees
as an error result), or, without one, the run pauses after the step with the call in
``result.pending_approvals``. A deferred tool always pauses the run (its result comes
from outside). The calls that needed nothing ran; the paused step's history marks the
waiting calls (``ToolCallPart.pending``), so a saved conversation says what it waits for.

Resuming (``messages=saved, approvals=..., tool_results=...``) settles the waiting
calls of the conversation's last assistant message and rebuilds its tool message with
every result in call order: the next request is the one an uninterrupted run sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, TypeAlias

from fantasy import _json, _runtime
from fantasy.agent.steps import StepTools, _output_of, execute_tools, response_messages
from fantasy.errors import InvalidArgumentError, ToolApprovalError
from fantasy.tools import (
    AgentTool,
    Denied,
    ExecutableProviderTool,
    PendingCall,
    ToolCall,
    as_response,
)
from fantasy.types import (
    Message,
    Role,
    StreamPart,
    StreamPartType,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)

Decision: TypeAlias = "bool | Denied"
"""An answer to an approval request: ``True`` runs the call, ``False`` or `Denied` does not."""

Approve: TypeAlias = "Callable[[PendingCall], Decision | Awaitable[Decision]]"
"""The inline approval callback: given the `PendingCall`, sync or async."""

APPROVAL: Final = "approval"
DEFERRED: Final = "deferred"


def denial_text(decision: Denied | bool) -> str:
    """What the model reads for a denied call."""
    reason = decision.reason if isinstance(decision, Denied) else ""
    return f"denied: {reason}" if reason else "denied: the call was not approved"


def denied_result(call_id: str, tool_name: str, decision: Denied | bool) -> ToolResultContent:
    return ToolResultContent(call_id, tool_name, ToolResultOutputError(denial_text(decision)))


def check_decision(value: Any, what: str) -> Decision:
    """``value`` as an approval decision, or `ToolApprovalError` naming ``what`` gave it."""
    if isinstance(value, bool | Denied):
        return value
    raise ToolApprovalError(
        f"{what} returned {type(value).__name__} {value!r:.60}; "
        "expected True, False or fantasy.Denied(reason)"
    )


# --------------------------------------------------------------------------- provider requests


def provider_request(options: Mapping[str, Any] | None) -> tuple[str, Any] | None:
    """A provider-executed call that waits for the client's approval (an OpenAI remote
    MCP server's ``mcp_approval_request``): the key and the metadata that can answer
    it (its ``approval_answer(approved, reason)``); None for any other call."""
    for key, value in (options or {}).items():
        if callable(getattr(value, "approval_answer", None)):
            return key, value
    return None


def provider_answer(
    call_id: str, tool_name: str, found: tuple[str, Any], decision: Decision
) -> ToolResultContent:
    """The result answering a provider's approval request: the provider's own answer
    data (sent in the provider's shape) on a result that reads as an approval."""
    key, metadata = found
    approved = decision is True
    reason = decision.reason if isinstance(decision, Denied) else ""
    output = (
        ToolResultOutputText("approved")
        if approved
        else ToolResultOutputError(denial_text(decision))
    )
    answer = metadata.approval_answer(approved, reason)
    return ToolResultContent(call_id, tool_name, output, provider_metadata={key: answer})


def with_provider_requests(
    calls: Sequence[ToolCallContent], content: Sequence[Any]
) -> list[ToolCallContent]:
    """A step's client calls and its provider approval requests, in the step's order."""
    client = {id(c) for c in calls}
    return [
        c
        for c in content
        if isinstance(c, ToolCallContent)
        and (id(c) in client or (c.provider_executed and provider_request(c.provider_metadata)))
    ]


# --------------------------------------------------------------------------- one step


@dataclass(slots=True)
class StepApprovals:
    """What the approval rules made of a step's calls."""

    results: list[ToolResultContent]
    """Every settled call's result (run, denied or invalid), in call order."""
    pending: list[PendingCall] = field(default_factory=list)
    """The calls the run pauses for, in call order."""


@dataclass(slots=True)
class Gate:
    """A run's approval settings: the inline callback and how long it may take."""

    approve: Approve | None = None
    timeout: float | None = None
    """Seconds the ``approve`` callback may take; past that the call is denied
    (``denied: no approval within Ns``), the model sees it, and the run goes on."""

    async def decide(self, request: PendingCall) -> Decision:
        """Ask the ``approve`` callback (which must be set) about one call."""
        assert self.approve is not None
        approve = self.approve

        async def ask() -> Any:
            if _runtime.is_coroutine_function(approve):
                return await _runtime.call_user(approve, request)
            # A plain function may block (waiting for a person): off the event loop.
            answer = await _runtime.run_in_worker(approve, request)
            if hasattr(answer, "__await__"):
                answer = await _runtime.call_user(lambda: answer)
            return answer

        try:
            answer = await _runtime.with_timeout(ask, self.timeout)
        except TimeoutError as exc:
            if self.timeout is None:  # the callback's own TimeoutError
                raise _callback_failed(request, exc) from exc
            return Denied(f"no approval within {self.timeout:g}s")
        except Exception as exc:
            raise _callback_failed(request, exc) from exc
        return check_decision(answer, f'the approve callback for tool "{request.tool_name}"')


def _callback_failed(request: PendingCall, exc: BaseException) -> ToolApprovalError:
    return ToolApprovalError(
        f'the approve callback failed for tool "{request.tool_name}" '
        f"(call {request.tool_call_id}): {type(exc).__name__}: {exc}",
        cause=exc,
    )


def _tool_for(call: ToolCallContent, tools: StepTools) -> AgentTool | ExecutableProviderTool | None:
    tool: AgentTool | ExecutableProviderTool | None = tools.agent_tools.get(call.tool_name)
    return tool if tool is not None else tools.provider_tools.get(call.tool_name)


async def pending_kind(
    call: ToolCallContent, tools: StepTools
) -> tuple[str, PendingCall | None, ToolResultContent | None]:
    """Whether ``call`` waits: (kind, request, None); ``("", None, None)`` when it just
    runs; ``("", None, result)`` for a deferred call whose input does not validate."""
    if call.provider_executed:
        if provider_request(call.provider_metadata) is None:
            return "", None, None
        try:
            value: Any = _json.loads(call.input) if call.input.strip() else {}
        except ValueError:
            value = call.input
        return APPROVAL, PendingCall(call.tool_call_id, call.tool_name, value, call.input), None
    if call.invalid:
        return "", None, None
    tool = _tool_for(call, tools)
    if tool is None:
        return "", None, None
    deferred = getattr(tool, "deferred", False)
    rule: Any = getattr(tool, "needs_approval", False)
    if not deferred and (rule is False or rule is None):
        return "", None, None
    if rule is not True and not deferred and not callable(rule):
        raise ToolApprovalError(
            f'tool "{call.tool_name}": needs_approval must be True, False or a function of '
            f"the call's input, got {type(rule).__name__}"
        )
    try:
        value = tool.parse_input(ToolCall(call.tool_call_id, call.tool_name, call.input))
    except ValueError as exc:
        if deferred:
            message = f"invalid parameters: {_short(exc)}"
            result = ToolResultContent(
                call.tool_call_id, call.tool_name, ToolResultOutputError(message)
            )
            return "", None, result
        return "", None, None  # it runs, and the model gets the validation error
    if deferred:
        return (
            DEFERRED,
            PendingCall(call.tool_call_id, call.tool_name, value, call.input, DEFERRED),
            None,
        )
    if rule is not True:
        try:
            needed = await _runtime.call_user(rule, value)
        except Exception as exc:
            raise ToolApprovalError(
                f'the needs_approval function of tool "{call.tool_name}" failed '
                f"(call {call.tool_call_id}): {type(exc).__name__}: {exc}",
                cause=exc,
            ) from exc
        if not isinstance(needed, bool):
            raise ToolApprovalError(
                f'the needs_approval function of tool "{call.tool_name}" returned '
                f"{type(needed).__name__}; expected a bool"
            )
        if not needed:
            return "", None, None
    return (
        APPROVAL,
        PendingCall(call.tool_call_id, call.tool_name, value, call.input),
        None,
    )


def _short(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        from fantasy.tools import _short_validation_error

        return _short_validation_error(exc)
    return str(exc)


@dataclass(slots=True)
class Triage:
    """A step's calls sorted by the approval rules, before anyone is asked."""

    early: dict[int, ToolResultContent] = field(default_factory=dict)
    """Calls settled without running (a deferred call whose input is invalid)."""
    requests: list[tuple[int, PendingCall]] = field(default_factory=list)
    """Calls that need approval or are deferred, by index in the step."""
    to_run: list[int] = field(default_factory=list)

    @property
    def approval_requests(self) -> list[PendingCall]:
        return [r for _, r in self.requests if r.kind == APPROVAL]


async def triage(calls: Sequence[ToolCallContent], tools: StepTools) -> Triage:
    """Which of a step's calls need approval, which are deferred, which just run."""
    out = Triage()
    for index, call in enumerate(calls):
        _, request, early = await pending_kind(call, tools)
        if early is not None:
            out.early[index] = early
        elif request is None:
            out.to_run.append(index)
        else:
            out.requests.append((index, request))
    return out


async def settle_step(
    calls: Sequence[ToolCallContent],
    sorted_calls: Triage,
    tools: StepTools,
    gate: Gate,
    on_result: Callable[[ToolResultContent], Awaitable[None]] | None = None,
) -> StepApprovals:
    """Run a step's calls under the approval rules: ask the ``approve`` callback about
    each call that needs approval (in call order), or pause for them without one; pause
    for deferred calls; run the rest as `execute_tools` does. Results come back in call
    order, denials among them; ``on_result`` hears the denials first, then each run."""
    settled = dict(sorted_calls.early)
    to_run = list(sorted_calls.to_run)
    pending: list[PendingCall] = []
    for index, request in sorted_calls.requests:
        if request.kind == DEFERRED or gate.approve is None:
            pending.append(request)
            continue
        decision = await gate.decide(request)
        found = provider_request(calls[index].provider_metadata)
        if found is not None and calls[index].provider_executed:
            settled[index] = provider_answer(
                request.tool_call_id, request.tool_name, found, decision
            )
        elif decision is True:
            to_run.append(index)
        else:
            settled[index] = denied_result(request.tool_call_id, request.tool_name, decision)
    if on_result is not None:
        for index in sorted(settled):
            await on_result(settled[index])
    to_run.sort()
    ran = await execute_tools([calls[i] for i in to_run], tools, on_result)
    settled.update(zip(to_run, ran, strict=True))
    return StepApprovals([settled[i] for i in sorted(settled)], pending)


def approval_part(request: PendingCall) -> StreamPart:
    """The stream part announcing an approval request."""
    return StreamPart(
        StreamPartType.TOOL_APPROVAL_REQUEST,
        id=request.tool_call_id,
        tool_call_name=request.tool_name,
        tool_call_input=request.raw_input,
        pending_call=request,
    )


def mark_pending(messages: list[Message], pending: Sequence[PendingCall]) -> list[Message]:
    """The step's history with each waiting call's part marked with why it waits."""
    if not pending:
        return messages
    kinds = {p.tool_call_id: p.kind for p in pending}
    out = []
    for message in messages:
        if message.role is Role.ASSISTANT:
            parts = [
                replace(part, pending=kinds[part.tool_call_id])
                if isinstance(part, ToolCallPart) and part.tool_call_id in kinds
                else part
                for part in message.content
            ]
            message = Message(message.role, parts, message.provider_options)
        out.append(message)
    return out


# --------------------------------------------------------------------------- resuming


@dataclass(slots=True)
class Resumption:
    """The waiting calls of a conversation's last assistant message and their answers."""

    assistant_index: int
    tool_index: int | None
    """Where the assistant message's tool message is (None: no call has a result yet)."""
    calls: list[ToolCallPart]
    """The assistant message's client calls, in order."""
    answered: dict[str, ToolResultPart]
    waiting: list[ToolCallPart]
    approvals: dict[str, Decision]
    tool_results: dict[str, Any]

    @property
    def ended_turn(self) -> bool:
        """A call that ran before the pause ended the run (``stop_turn``): an
        uninterrupted run would have stopped after this step, so the resumed one does."""
        return any(p.stop_turn for p in self.answered.values())


def check_approvals(where: str, value: Any) -> dict[str, Decision]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"{where}: approvals must be a dict of tool call ids to True, False or "
            f"fantasy.Denied, got {type(value).__name__}"
        )
    out: dict[str, Decision] = {}
    for key, decision in value.items():
        if not isinstance(key, str):
            raise InvalidArgumentError(
                f"{where}: approvals keys must be tool call ids (str), got {type(key).__name__}"
            )
        if not isinstance(decision, bool | Denied):
            raise InvalidArgumentError(
                f"{where}: approvals[{key!r}] must be True, False or fantasy.Denied, "
                f"got {type(decision).__name__}"
            )
        out[key] = decision
    return out


def check_tool_results(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidArgumentError(
            f"{where}: tool_results must be a dict of tool call ids (str) to results, "
            f"got {type(value).__name__}"
        )
    return dict(value)


def find_resumption(
    where: str,
    messages: Sequence[Message],
    approvals: dict[str, Decision],
    tool_results: dict[str, Any],
    can_ask: bool,
) -> Resumption | None:
    """The calls ``messages`` leave waiting, checked against their answers.

    None when nothing waits and nothing was answered. Every waiting call must be
    answered (one waiting for approval may instead be asked, when ``can_ask``);
    an answer for a call that does not wait is refused, as a typo would silently
    approve nothing."""
    found = _last_calls(messages)
    given = set(approvals) | set(tool_results)
    both = set(approvals) & set(tool_results)
    if both:
        raise InvalidArgumentError(
            f"{where}: {_ids(both)} answered in both approvals and tool_results"
        )
    if found is None:
        if given:
            raise InvalidArgumentError(
                f"{where}: no tool call waits in messages=, but {_ids(given)} "
                "answered (pass the paused run's result.all_messages())"
            )
        return None
    assistant_index, tool_index, calls, answered = found
    waiting = [c for c in calls if c.tool_call_id not in answered]
    waiting_ids = {c.tool_call_id for c in waiting}
    unknown = given - waiting_ids
    if unknown:
        listed = ", ".join(f"{c.tool_call_id} ({c.tool_name})" for c in waiting) or "none"
        raise InvalidArgumentError(
            f"{where}: {_ids(unknown)} not waiting in messages= (waiting: {listed})"
        )
    if not given and not any(c.pending for c in waiting):
        return None  # a conversation of another making: sent as it is, as before
    for call in waiting:
        cid = call.tool_call_id
        if call.provider_executed and cid in tool_results:
            raise InvalidArgumentError(
                f"{where}: {cid} ({call.tool_name}) is the provider's approval request: "
                "answer it in approvals=, not tool_results="
            )
        if call.pending == DEFERRED and cid in approvals:
            raise InvalidArgumentError(
                f"{where}: {cid} ({call.tool_name}) is a deferred tool call: give its "
                "result in tool_results=, not an approval"
            )
        if cid in given:
            continue
        if call.pending == APPROVAL and can_ask:
            continue
        need = "tool_results=" if call.pending == DEFERRED else "approvals= (or tool_results=)"
        raise InvalidArgumentError(
            f"{where}: tool call {cid} ({call.tool_name}) is still waiting"
            f"{' for approval' if call.pending == APPROVAL else ''}; answer it in {need}"
        )
    return Resumption(
        assistant_index, tool_index, calls, answered, waiting, approvals, tool_results
    )


def _ids(ids: set[str]) -> str:
    shown = sorted(ids)
    return ("tool call " if len(shown) == 1 else "tool calls ") + ", ".join(shown)


def _last_calls(
    messages: Sequence[Message],
) -> tuple[int, int | None, list[ToolCallPart], dict[str, ToolResultPart]] | None:
    """The last assistant message with client calls, when only its tool message (if
    any) follows it: its index, the tool message's, its calls and their results."""
    index = len(messages) - 1
    tool_index: int | None = None
    if index >= 0 and messages[index].role is Role.TOOL:
        tool_index = index
        index -= 1
    if index < 0 or messages[index].role is not Role.ASSISTANT:
        return None
    calls = [
        p
        for p in messages[index].content
        if isinstance(p, ToolCallPart)
        and (not p.provider_executed or provider_request(p.provider_options) is not None)
    ]
    if not calls:
        return None
    answered: dict[str, ToolResultPart] = {}
    if tool_index is not None:
        for part in messages[tool_index].content:
            if isinstance(part, ToolResultPart):
                answered[part.tool_call_id] = part
    ids = {c.tool_call_id for c in calls}
    if all(i in answered for i in ids) and not any(c.pending for c in calls):
        return None
    return index, tool_index, calls, answered


async def resume(
    resumption: Resumption,
    messages: Sequence[Message],
    tools: StepTools,
    gate: Gate,
    on_result: Callable[[ToolResultContent], Awaitable[None]] | None = None,
) -> tuple[list[Message], list[ToolResultContent]]:
    """Settle the waiting calls; the conversation completed (markers cleared, one tool
    message with every result in call order) and the new results, in call order."""
    new: dict[str, ToolResultContent] = {}
    to_run: list[ToolCallContent] = []
    for part in resumption.waiting:
        cid = part.tool_call_id
        call = ToolCallContent(
            cid, part.tool_name, part.input, part.provider_executed, part.provider_options
        )
        if cid in resumption.tool_results:
            new[cid] = _given_result(call, resumption.tool_results[cid])
            continue
        if cid in resumption.approvals:
            decision: Decision = resumption.approvals[cid]
        else:  # waiting for approval, and the run has an approve callback
            _, request, early = await pending_kind(call, tools)
            if early is not None:
                new[cid] = early
                continue
            decision = True if request is None else await gate.decide(request)
        found = provider_request(part.provider_options) if part.provider_executed else None
        if found is not None:
            new[cid] = provider_answer(cid, part.tool_name, found, decision)
        elif decision is True:
            to_run.append(call)
        else:
            new[cid] = denied_result(cid, part.tool_name, decision)
    if on_result is not None:
        for result in new.values():
            await on_result(result)
    for result in await execute_tools(to_run, tools, on_result):
        new[result.tool_call_id] = result
    ordered = [new[c.tool_call_id] for c in resumption.waiting]
    return _completed(resumption, messages, new), ordered


def _given_result(call: ToolCallContent, value: Any) -> ToolResultContent:
    """A result given from outside, as the model will see it (as a tool's return)."""
    if isinstance(value, Denied):
        return denied_result(call.tool_call_id, call.tool_name, value)
    if isinstance(value, ToolResultContent):
        return replace(value, tool_call_id=call.tool_call_id, tool_name=call.tool_name)
    try:
        response = as_response(value)
    except Exception as exc:
        raise InvalidArgumentError(
            f"tool_results[{call.tool_call_id!r}]: a result must be a str, a "
            f"fantasy.ToolResponse or JSON-serialisable, got {type(value).__name__}: {exc}"
        ) from exc
    return ToolResultContent(
        call.tool_call_id,
        call.tool_name,
        _output_of(response),
        client_metadata=response.metadata,
        stop_turn=response.stop_turn,
    )


def _completed(
    resumption: Resumption,
    messages: Sequence[Message],
    new: dict[str, ToolResultContent],
) -> list[Message]:
    out = list(messages)
    assistant = out[resumption.assistant_index]
    out[resumption.assistant_index] = Message(
        assistant.role,
        [
            replace(p, pending="") if isinstance(p, ToolCallPart) and p.pending else p
            for p in assistant.content
        ],
        assistant.provider_options,
    )
    fresh = {}
    for message in response_messages(list(new.values())):
        for part in message.content:
            if isinstance(part, ToolResultPart):
                fresh[part.tool_call_id] = part
    parts: list[ToolResultPart | Any] = []
    for call in resumption.calls:
        cid = call.tool_call_id
        parts.append(resumption.answered.get(cid) or fresh[cid])
    ids = {c.tool_call_id for c in resumption.calls}
    if resumption.tool_index is not None:
        old = out[resumption.tool_index]
        # Anything else the tool message held stays, after the calls' results.
        parts.extend(
            p for p in old.content if not (isinstance(p, ToolResultPart) and p.tool_call_id in ids)
        )
        out[resumption.tool_index] = Message(Role.TOOL, parts, old.provider_options)
    else:
        out.insert(resumption.assistant_index + 1, Message(Role.TOOL, parts))
    return out


def pending_in(messages: Sequence[Message], tools: StepTools) -> list[PendingCall]:
    """The calls a saved conversation waits on (its marked calls without a result), with
    their input validated by ``tools`` where one of them has the call's name."""
    found = _last_calls(messages)
    if found is None:
        return []
    _, _, calls, answered = found
    out = []
    for part in calls:
        if part.tool_call_id in answered or part.pending not in (APPROVAL, DEFERRED):
            continue
        call = ToolCall(part.tool_call_id, part.tool_name, part.input)
        tool: AgentTool | ExecutableProviderTool | None = tools.agent_tools.get(part.tool_name)
        tool = tool if tool is not None else tools.provider_tools.get(part.tool_name)
        try:
            value = tool.parse_input(call) if tool is not None else _json.loads(part.input)
        except ValueError:
            value = None
        kind: Literal["approval", "deferred"] = APPROVAL if part.pending == APPROVAL else DEFERRED
        out.append(PendingCall(part.tool_call_id, part.tool_name, value, part.input, kind))
    return out
