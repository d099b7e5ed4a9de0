"""One agent run's settings and the per-step setup shared by the generating and the
streaming loop: option merging (the call wins), the initial prompt, prepare-step
overrides, the tools a step sends and may run, the continuation rule, the final result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from fantasy import _runtime
from fantasy._options import check_names, check_values
from fantasy._record import Record
from fantasy.agent.run_types import (
    AgentResult,
    CallOptions,
    PrepareStepOptions,
    PrepareStepResult,
    StepResult,
    StreamOptions,
)
from fantasy.agent.steps import (
    StepTools,
    merge_maps,
    tools_by_name,
)
from fantasy.agent.toolsets import RunToolsets, full_input_schema
from fantasy.call_settings import merge
from fantasy.call_settings import values as settings_values
from fantasy.errors import InvalidArgumentError, MaxStepsExceededError, ProviderTimeoutError
from fantasy.http.log import attempt as request_attempt
from fantasy.model import Call, LanguageModel, Response
from fantasy.retry import RetryOptions, mark_user_error
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool
from fantasy.types import (
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    Role,
    TextContent,
    Tool,
    Usage,
    system_message,
    user_message,
)

if TYPE_CHECKING:
    from fantasy.agent import Agent
    from fantasy.agent.observe import RunObserver
    from fantasy.agent.output import OutputState
    from fantasy.types import ResponseContent, ToolCallContent, ToolResultContent


def pick(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


class StepSetup(Record):
    __slots__ = ("model", "messages", "system", "call", "tools", "attempts")
    model: LanguageModel
    messages: list[Message]
    system: str
    call: Call
    tools: StepTools
    attempts: int
    """Requests made for this step so far (retries included)."""

    def __init__(
        self,
        model: LanguageModel,
        messages: list[Message],
        system: str,
        call: Call,
        tools: StepTools,
        attempts: int = 0,
    ) -> None:
        self.model = model
        self.messages = messages
        self.system = system
        self.call = call
        self.tools = tools
        self.attempts = attempts


# output_type is a keyword of its own (typed: generate(..., output_type=X) -> AgentResult[X]).
CALL_OPTION_NAMES = (CallOptions.__required_keys__ | CallOptions.__optional_keys__) | {
    "output_type"
}
STREAM_OPTION_NAMES = (StreamOptions.__required_keys__ | StreamOptions.__optional_keys__) | {
    "output_type"
}
TOOL_CHOICES = ("auto", "none", "required")


class Run:
    """One run's settings: the agent's defaults merged with the call's (call wins).

    Built when the call is made, so a wrong option fails at the call, not mid-run.
    """

    def __init__(self, agent: Agent[Any], prompt: str, options: StreamOptions, where: str):
        check_names(where, options, STREAM_OPTION_NAMES if "stream" in where else CALL_OPTION_NAMES)
        if prompt is None:  # generate(None, messages=...) reads as "no new prompt"
            prompt = ""
        if not isinstance(prompt, str):
            hint = " (pass a conversation as messages=)" if isinstance(prompt, list) else ""
            raise InvalidArgumentError(
                f"{where}: prompt must be a string, got {type(prompt).__name__}{hint}"
            )
        options = check_values(where, options)  # type: ignore[assignment]
        self.agent = agent
        self.options = options
        self.max_steps: int | None = pick(options.get("max_steps"), agent.max_steps)
        self.settings = merge(agent.settings, options)
        self.tool_choice = pick(options.get("tool_choice"), agent.tool_choice)
        self.active_tools: Sequence[str] = tuple(options.get("active_tools") or ())
        self.stop_when: list[StopCondition] = options.get("stop_when") or agent.stop_when  # type: ignore[assignment]
        self.prepare_step = pick(options.get("prepare_step"), agent.prepare_step)
        self.repair = pick(options.get("repair_tool_call"), agent.repair_tool_call)
        self.headers = merge_maps(agent.headers, options.get("headers"))
        self.provider_options = merge_maps(agent.provider_options, options.get("provider_options"))
        self.model_provider = options.get("model_provider")
        self.timeout = options.get("timeout")
        self.total_timeout: float | None = options.get("total_timeout")
        self.deadline = (
            None if self.total_timeout is None else _runtime.monotonic() + self.total_timeout
        )
        # What every step's Call shares, passed as one mapping (as fast as spelt out).
        self.call_fields: dict[str, Any] = settings_values(self.settings)
        self.call_fields["provider_options"] = self.provider_options
        self.call_fields["user_agent"] = agent.user_agent
        self.call_fields["headers"] = self.headers
        self.call_fields["timeout"] = self.timeout
        self.retry = RetryOptions(
            max_retries=pick(options.get("max_retries"), agent.max_retries, 3),
            initial_delay=agent.retry_initial_delay,
            backoff_factor=agent.retry_backoff_factor,
            on_retry=pick(options.get("on_retry"), agent.on_retry),
            on_auth_refresh=options.get("on_auth_refresh"),
            sleep=agent.sleep or _runtime.sleep,
            deadline=self.deadline,
        )
        # check_values has turned role/content dicts into Messages.
        self.input_messages: list[Message] = list(options.get("messages") or ())  # type: ignore[arg-type]
        self.prompt_messages: list[Message] = (
            [user_message(prompt, *(options.get("files") or ()))] if prompt else []
        )
        self._approvals(options, where)
        self.initial_prompt = self._initial_prompt(
            prompt, options.get("files") or (), self.input_messages
        )
        from fantasy.usage_limits import UsageMeter

        self.meter = UsageMeter(
            pick(options.get("usage_limits"), agent.usage_limits), self.max_steps
        )
        self.limiter = pick(options.get("limiter"), agent.limiter)
        self.toolsets = RunToolsets(agent.toolsets)
        """The agent's toolsets: entered by the first step, left when the run ends."""
        self.step_model: LanguageModel | None = None
        """The model of the latest attempt (the step's model, once it answered)."""
        self.observer: RunObserver | None = None
        """Who watches this run (`fantasy.agent.observe`); set when the run starts."""
        self._check_tool_names(where)
        self.output = self._output(options, where)

    def _output(self, options: StreamOptions, where: str) -> OutputState | None:
        """The run's typed output: the call's ``output_type`` (checked now), else the agent's."""
        agent = self.agent
        given = options.get("output_type")
        mode = pick(options.get("output_mode"), agent.output_mode)
        retries = pick(options.get("output_retries"), agent.output_retries)
        spec = agent.output_spec
        if given is str:  # plain text: the output is the text, as without an output type
            return None
        if given is not None or (spec is not None and (mode, retries) != (spec.mode, spec.retries)):
            from fantasy.agent.output import OutputSpec

            output_type = given if given is not None else agent.output_type
            spec = OutputSpec(output_type, mode, retries, where)
            spec.check(agent.model, bool(agent.tools or agent.provider_tools))
        if spec is None:
            if options.get("output_mode") is not None or options.get("output_retries") is not None:
                raise InvalidArgumentError(
                    f"{where}: output_mode and output_retries need output_type"
                )
            return None
        from fantasy.agent.output import OutputState

        return OutputState(spec)

    def _approvals(self, options: StreamOptions, where: str) -> None:
        """The run's approval settings, and the calls ``messages=`` leave waiting (a
        paused run being resumed), checked against ``approvals=``/``tool_results=``."""
        from fantasy.agent.approval import (
            Gate,
            check_approvals,
            check_tool_results,
            find_resumption,
        )

        agent = self.agent
        self.gate = Gate(
            pick(options.get("approve"), agent.approve),
            pick(options.get("approval_timeout"), agent.approval_timeout),
        )
        self.resumption = find_resumption(
            where,
            self.input_messages,
            check_approvals(where, options.get("approvals")),
            check_tool_results(where, options.get("tool_results")),
            self.gate.approve is not None,
        )
        self.resumed_stop = False
        """A result given on resuming said ``stop_turn``: the run ends without a step."""

    async def resume_pending(
        self, on_result: Callable[[ToolResultContent], Awaitable[None]] | None = None
    ) -> list[ToolResultContent]:
        """Settle the calls a resumed run's ``messages=`` left waiting (run the approved,
        deny the others, take the given results); the conversation then holds their
        results as an uninterrupted run's would. The new results, in call order."""
        if self.resumption is None:
            return []
        from fantasy.agent.approval import resume

        agent = self.agent
        # The agent's own tools and what its toolsets (MCP servers) offer now.
        listed = [*agent.tools, *await self.toolsets.tools(agent.tools)]
        tools = tools_by_name(listed, agent.executable_provider_tools, None)
        tools.default_timeout = agent.tool_timeout
        tools.observer = self.observer  # the settled calls are traced as the step's are
        messages, results = await resume(
            self.resumption, self.input_messages, tools, self.gate, on_result
        )
        ended = self.resumption.ended_turn
        self.resumption = None
        self.input_messages = messages
        system = [system_message(agent.system_prompt)] if agent.system_prompt else []
        self.initial_prompt = [*system, *messages, *self.prompt_messages]
        self.resumed_stop = ended or any(r.stop_turn for r in results)
        return results

    def _check_tool_names(self, where: str) -> None:
        """A tool named in tool_choice or active_tools must exist, or a typo silently
        disables a tool. Skipped when prepare_step or a toolset may bring tools of its own."""
        if self.prepare_step is not None or self.agent.toolsets:
            return
        known = {t.info.name for t in self.agent.tools} | {
            t.name for t in self.agent.provider_tools
        }
        if self.tool_choice is not None and self.tool_choice not in (*TOOL_CHOICES, *known):
            raise InvalidArgumentError(
                f"{where}: tool_choice must be 'auto', 'none', 'required' or a tool name "
                f"({', '.join(sorted(known)) or 'the agent has no tools'}), "
                f"got {self.tool_choice!r}"
            )
        unknown = [name for name in self.active_tools if name not in known]
        if unknown:
            raise InvalidArgumentError(
                f"{where}: active_tools names unknown tool(s) {', '.join(map(repr, unknown))} "
                f"(the agent's tools: {', '.join(sorted(known)) or 'none'})"
            )

    def _initial_prompt(
        self, prompt: str, files: Sequence[FilePart], messages: Sequence[Message]
    ) -> list[Message]:
        if not prompt:
            if not messages:
                raise InvalidArgumentError("prompt can't be empty when there are no messages")
            if files:
                raise InvalidArgumentError("prompt can't be empty when there are files")
            if messages[-1].role not in (Role.USER, Role.TOOL) and self.resumption is None:
                raise InvalidArgumentError(
                    "prompt can't be empty when the last message is not a user or tool message"
                )
        out: list[Message] = []
        if self.agent.system_prompt:
            out.append(system_message(self.agent.system_prompt))
        out.extend(messages)
        out.extend(self.prompt_messages)
        return out

    async def setup_step(self, steps: list[StepResult], history: list[Message]) -> StepSetup:
        agent = self.agent
        messages = [*self.initial_prompt, *history]
        model: LanguageModel = agent.model
        system = agent.system_prompt
        tool_choice = self.tool_choice or "auto"
        active = self.active_tools
        agent_tools: list[AgentTool] = [*agent.tools, *await self.toolsets.tools(agent.tools)]
        disable = False
        if self.prepare_step is not None:
            prepared = await _runtime.call_user(
                self.prepare_step,
                PrepareStepOptions(list(steps), len(steps), agent.model, messages),
            )
            if prepared is not None and not isinstance(prepared, PrepareStepResult):
                raise InvalidArgumentError(
                    "prepare_step must return a fantasy.PrepareStepResult or None, "
                    f"got {type(prepared).__name__}"
                )
            if prepared is not None:
                if prepared.messages is not None:
                    messages = list(prepared.messages)
                if prepared.model is not None:
                    model = prepared.model
                if prepared.system_prompt is not None and prepared.system_prompt != system:
                    messages = _with_system(messages, prepared.system_prompt)
                    system = prepared.system_prompt
                tool_choice = pick(prepared.tool_choice, tool_choice)
                active = list(prepared.active_tools or active)
                disable = prepared.disable_all_tools
                if prepared.tools is not None:
                    agent_tools = list(prepared.tools)
        step_tools = tools_by_name(agent_tools, agent.executable_provider_tools, active)
        step_tools.default_timeout = agent.tool_timeout
        step_tools.observer = self.observer
        wire_tools: list[Tool] = []
        if not disable:
            wire_tools = _wire_tools(agent_tools, agent.provider_tools, active)
        call = Call(prompt=messages, tools=wire_tools, tool_choice=tool_choice, **self.call_fields)
        if self.output is not None:
            self.output.spec.prepare(call, self.output.step_mode(model, bool(wire_tools)))
        return StepSetup(model, messages, system, call, step_tools)

    def is_final_call(self, call: ToolCallContent) -> bool:
        """A call of the typed output's final-answer tool (not a tool to run)."""
        return self.output is not None and self.output.is_final_call(call)

    def settle_output(
        self,
        content: ResponseContent,
        client_calls: Sequence[ToolCallContent],
        final_calls: Sequence[ToolCallContent],
    ) -> list[Message]:
        """Read a step's answer as the typed output: results for its final-tool calls
        join ``content``; the messages returned (a request to answer again) join the
        step's history. When the retries are spent, `should_continue` raises
        `NoObjectGeneratedError` (the step is kept in the partial result first)."""
        if self.output is None:
            return []
        text = None if client_calls or final_calls else content.text
        outcome = self.output.settle(final_calls, text)
        if outcome.content:
            content.extend(outcome.content)
        return [outcome.message] if outcome.message is not None else []

    def model_for_attempt(self, setup: StepSetup) -> LanguageModel:
        """The model for the next attempt, counted against the usage limits (each
        attempt is a request) and, with a limiter, taking a slot of it."""
        if self.deadline is not None:
            self._time_attempt(setup)
        model = setup.model
        try:
            if self.model_provider is not None:
                model = self.model_provider()
            self.meter.before_request(model)
        except Exception as exc:
            mark_user_error(exc)  # never retried
            raise
        self.step_model = model
        setup.attempts += 1
        request_attempt.set(setup.attempts)  # for fantasy.http's log records
        if self.limiter is not None:
            model = self.limiter.limit(model)
        return model if self.observer is None else self.observer.model(model, setup.call)

    def _time_attempt(self, setup: StepSetup) -> None:
        """Give the attempt what is left of ``total_timeout`` (or ``timeout``, if less)."""
        assert self.deadline is not None and self.total_timeout is not None
        left = self.deadline - _runtime.monotonic()
        if left <= 0:
            raise ProviderTimeoutError(
                f"the run's total_timeout of {self.total_timeout:g}s passed before the "
                "next model request",
                title="deadline exceeded",
            )
        setup.call.timeout = left if self.timeout is None else min(self.timeout, left)

    def should_continue(self, steps: list[StepResult]) -> bool:
        """Fantasy's rule for another step, then the step limit: reaching it while the
        model still wants to go on raises `MaxStepsExceededError`; a step that took the
        run over a usage limit raises `UsageLimitExceeded`."""
        last = steps[-1]
        self.meter.after_step(last.usage, last.cost if self.meter.wants_cost else None)
        output = self.output
        if output is not None and output.done:
            return False
        if output is not None and output.error is not None:
            raise output.error
        if any(cond(steps) for cond in self.stop_when):
            return False
        if last.pending:  # paused: waiting for approvals or deferred results
            return False
        if any(r.stop_turn for r in last.content.tool_results):
            return False
        client_calls = [c for c in last.content.tool_calls if not c.provider_executed]
        go_on = bool(client_calls) and last.finish_reason is FinishReason.TOOL_CALLS
        # A turn the provider paused goes on from the answer so far, sent back as it is.
        go_on = go_on or last.turn_paused
        if not go_on:  # answers to a provider's approval requests go back to the model
            asked = {c.tool_call_id for c in last.content.tool_calls if c.provider_executed}
            go_on = any(
                r.tool_call_id in asked and not r.provider_executed
                for r in last.content.tool_results
            )
        if output is not None and output.retry_pending:
            go_on = True
        if go_on and self.max_steps is not None and len(steps) >= self.max_steps:
            raise MaxStepsExceededError(self.max_steps)
        return go_on

    def result(self, steps: list[StepResult], partial: bool = False) -> AgentResult[Any]:
        """The run's result (or its partial result, when it failed).

        A typed run that ended without its output (a stop condition, a tool's
        ``stop_turn``) raises `NoObjectGeneratedError` with the last text."""
        result: AgentResult[Any] = final_result(steps)
        result.input_messages = self.input_messages
        result.prompt_messages = self.prompt_messages
        if self.output is not None:
            if self.output.done:
                result.typed_output = self.output.value
            elif result.paused:
                from fantasy.agent.run_types import PAUSED_OUTPUT

                result.typed_output = PAUSED_OUTPUT
            elif not partial:
                from fantasy.errors import NoObjectGeneratedError

                raise NoObjectGeneratedError(
                    "no output: the run ended before the model gave a valid output",
                    raw_text=result.text,
                )
        return result

    def keep_partial(self, err: BaseException, steps: list[StepResult]) -> None:
        """Attach what the run completed to the error that ends it, so it can be resumed."""
        if getattr(err, "partial_result", None) is None:
            # contextlib.suppress: an exception type that takes no new attributes.
            with contextlib.suppress(AttributeError):
                err.partial_result = self.result(list(steps), partial=True)  # type: ignore[attr-defined]


def _with_system(messages: list[Message], system: str) -> list[Message]:
    """Replace the system message (or add one); an empty system prompt removes it."""
    rest = messages[1:] if messages and messages[0].role is Role.SYSTEM else messages
    return [system_message(system), *rest] if system else list(rest)


def _wire_tools(
    agent_tools: Sequence[AgentTool],
    provider_tools: Sequence[ProviderDefinedTool],
    active: Sequence[str],
) -> list[Tool]:
    from fantasy.schema import tool_input_schema

    out: list[Tool] = []
    for t in agent_tools:
        if not active or t.info.name in active:
            info = t.info
            schema = full_input_schema(info)
            if schema is None:
                schema = tool_input_schema(info.parameters, info.required)
            out.append(FunctionTool(info.name, info.description, schema, t.provider_options))
    out.extend(p for p in provider_tools if not active or p.name in active)
    return out


def final_result(steps: list[StepResult]) -> AgentResult[Any]:
    total = Usage()
    for s in steps:
        total = total + s.usage
    chosen: StepResult | None = None
    for s in reversed(steps):
        if any(isinstance(c, TextContent) and c.text.strip() for c in s.content):
            chosen = s
            break
    if chosen is None and steps:
        chosen = steps[-1]
    response = chosen.response if chosen is not None else Response()
    return AgentResult(steps, response, total)
