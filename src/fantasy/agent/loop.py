"""The agent: a model, tools, and the loop that lets the model use them.

One step is one model call, then the tool calls it asked for. The loop goes on
while the model finishes with ``tool-calls``, asked for at least one client
tool, no tool said ``stop_turn``, and no stop condition holds. The loop is
written once, async; `Agent.generate` and `Agent.stream` run the same code
blocking (see `fantasy._runtime`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import UnionType
from typing import TYPE_CHECKING, Any, Generic, Unpack, overload

from fantasy import _runtime
from fantasy._options import check_values
from fantasy.agent.observe import AgentObserver, RunStart, agent_observers, observed, start_run
from fantasy.agent.run import Run, StepSetup
from fantasy.agent.run_types import (
    AgentResult,
    CallOptions,
    OutputT,
    PrepareStep,
    PrepareStepOptions,
    PrepareStepResult,
    StepResult,
    StreamCallbacks,
    StreamOptions,
)
from fantasy.agent.steps import (
    RepairToolCall,
    ToolCallRepairOptions,
    response_messages,
    validate_tool_call,
)
from fantasy.agent.stream import AgentStream, AsyncAgentStream, StreamRun
from fantasy.agent.toolsets import Toolset, check_toolsets, enter_all, exit_all
from fantasy.call_settings import CallSettings, merge
from fantasy.errors import InvalidArgumentError
from fantasy.model import LanguageModel, Response
from fantasy.retry import OnRetry, retry
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool, ExecutableProviderTool, PendingCall, tool
from fantasy.types import (
    Message,
    ProviderDefinedTool,
    ProviderOptions,
    ResponseContent,
    ToolCallContent,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from fantasy.agent.approval import Approve
    from fantasy.agent.output import OutputSpec
    from fantasy.limiter import RequestLimiter
    from fantasy.usage_limits import UsageLimits

    T = TypeVar("T")

DEFAULT_MAX_STEPS = 20
"""A run that reaches this many steps while the model still calls tools raises
`fantasy.MaxStepsExceededError` instead of looping (and paying) forever."""

__all__ = [
    "Agent",
    "AgentResult",
    "AgentStream",
    "AsyncAgentStream",
    "CallOptions",
    "PrepareStepOptions",
    "PrepareStepResult",
    "StepResult",
    "StreamCallbacks",
    "ToolCallRepairOptions",
]


_NOT_OPTIONS = frozenset(
    ("self", "model", "tools", "provider_tools", "toolsets", "output_type", "name", "telemetry")
)


class Agent(Generic[OutputT]):
    """A model with a system prompt, tools, and defaults for every call.

    ``None`` means "not set" for every option, so ``temperature=0`` is sent
    as 0. Per-call keyword arguments override these defaults. The generation
    settings (``temperature``, ``max_output_tokens``, ...) are kept together as
    ``agent.settings``, a `fantasy.CallSettings`. Options are checked
    here: a wrong type raises `InvalidArgumentError` now, not at the first call.

    ``tools`` takes `AgentTool`s (``@fantasy.tool`` functions) and plain typed
    functions, which are made into tools as ``@fantasy.tool`` would. ``max_steps``
    bounds a run (default 20); ``None`` lets it go on as long as the model calls
    tools, as Fantasy does.

    ``output_type`` (a pydantic model, dataclass, TypedDict, scalar, list, or a union
    of models) makes every run end with a validated value of that type in
    ``result.output`` (``AgentResult[OutputType]`` for type checkers); see
    `fantasy.agent.output` for ``output_mode`` and ``output_retries``. For a union,
    mypy needs the type spelled out: ``Agent[A | B](model, output_type=A | B)``.

    ``name`` names the agent in traces; ``telemetry`` (a `fantasy.telemetry.Telemetry`,
    or a list of observers) traces this agent's runs, beside what
    `fantasy.telemetry.instrument` traces for every agent.
    """

    def __init__(
        self,
        model: LanguageModel | str,
        *,
        system_prompt: str = "",
        tools: Sequence[AgentTool | Callable[..., Any]] = (),
        provider_tools: Sequence[ProviderDefinedTool | ExecutableProviderTool] = (),
        toolsets: Sequence[Toolset] = (),
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        tool_choice: str | None = None,
        stop_when: Sequence[StopCondition] | StopCondition = (),
        max_steps: int | None = DEFAULT_MAX_STEPS,
        prepare_step: PrepareStep | None = None,
        repair_tool_call: RepairToolCall | None = None,
        max_retries: int | None = None,
        on_retry: OnRetry | None = None,
        headers: dict[str, str] | None = None,
        user_agent: str = "",
        provider_options: ProviderOptions | None = None,
        retry_initial_delay: float = 5.0,
        retry_backoff_factor: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        tool_timeout: float | None = None,
        usage_limits: UsageLimits | None = None,
        limiter: RequestLimiter | None = None,
        output_type: type[OutputT] | UnionType | None = None,
        output_mode: str | None = None,
        output_retries: int | None = None,
        approve: Approve | None = None,
        approval_timeout: float | None = None,
        name: str = "",
        telemetry: AgentObserver | Sequence[AgentObserver] | None = None,
    ):
        # locals() holds the parameters only: every option but the model and the tools.
        options = {k: v for k, v in locals().items() if k not in _NOT_OPTIONS}
        checked = check_values("Agent", options)
        if isinstance(model, str):  # a name, "openai:gpt-4o"
            from fantasy.model_names import language_model

            model = language_model(model)
        if not _is_model(model):
            raise InvalidArgumentError(
                f"Agent: model must be a language model (provider.language_model(...)) or "
                f"a name ('openai:gpt-4o'), got {type(model).__name__}"
            )
        self.model = model
        self.system_prompt = system_prompt
        self.tools = _agent_tools(tools)
        names = [t.info.name for t in self.tools]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"tool names must be unique, got {names}")
        _check_tool_schemas(model, self.tools)
        self.toolsets = check_toolsets(toolsets)
        """Tools listed at each step (MCP servers: `fantasy.mcp`), started for each run
        unless the agent is entered (``with agent`` / ``async with agent``)."""
        self.provider_tools: list[ProviderDefinedTool] = []
        self.executable_provider_tools: list[ExecutableProviderTool] = []
        if isinstance(provider_tools, ProviderDefinedTool | ExecutableProviderTool):
            provider_tools = [provider_tools]
        for index, pt in enumerate(provider_tools):
            if isinstance(pt, ExecutableProviderTool):
                self.executable_provider_tools.append(pt)
                self.provider_tools.append(pt.definition)
            elif isinstance(pt, ProviderDefinedTool):
                self.provider_tools.append(pt)
            else:
                raise InvalidArgumentError(
                    f"Agent: provider_tools[{index}] must be a provider-defined tool "
                    f"(e.g. openai.web_search_tool()), got {type(pt).__name__}; "
                    "functions go in tools="
                )
        self.settings: CallSettings = merge(CallSettings(), checked)
        """The generation settings' defaults; a call's own settings win over them."""
        self.tool_choice = tool_choice
        self.stop_when: list[StopCondition] = checked["stop_when"]
        self.max_steps = max_steps
        self.prepare_step = prepare_step
        self.repair_tool_call = repair_tool_call
        self.max_retries = max_retries
        self.on_retry = on_retry
        self.headers = dict(headers or {})
        self.user_agent = user_agent
        self.provider_options = dict(provider_options or {})
        self.retry_initial_delay = retry_initial_delay
        self.retry_backoff_factor = retry_backoff_factor
        self.sleep = sleep
        # Seconds any tool run may take, for tools that set no ``timeout`` of their own.
        self.tool_timeout = tool_timeout
        self.usage_limits = usage_limits
        """Most a run may use (requests, tokens, cost); see `fantasy.UsageLimits`."""
        self.limiter = limiter
        """Shared with other agents: caps their requests in flight (and per minute)."""
        self.output_type = output_type
        self.output_mode = output_mode
        self.output_retries = output_retries
        self.approve = approve
        """Answers tool calls that need approval at once (see `fantasy.agent.approval`);
        without it a run pauses for them, to be resumed with ``approvals=``."""
        self.approval_timeout = approval_timeout
        """Seconds ``approve`` may take for one call before the call is denied."""
        if not isinstance(name, str):
            raise InvalidArgumentError(f"Agent: name must be a string, got {type(name).__name__}")
        self.name = name
        """Names the agent in traces (``gen_ai.agent.name``); empty by default."""
        self.telemetry = agent_observers(telemetry)
        """This agent's own observers (`fantasy.telemetry.Telemetry`), beside the global ones."""
        self.output_spec: OutputSpec | None = None
        """The typed output, checked against the model now (None: the output is the text)."""
        if output_type is not None and output_type is not str:  # str: the output is the text
            from fantasy.agent.output import OutputSpec

            self.output_spec = OutputSpec(output_type, output_mode, output_retries, "Agent")
            self.output_spec.check(model, bool(self.tools or self.provider_tools))
        elif output_type is None and (output_mode is not None or output_retries is not None):
            raise InvalidArgumentError("Agent: output_mode and output_retries need output_type")

    # ------------------------------------------------------------------ toolsets

    async def __aenter__(self) -> Agent[OutputT]:
        """Start the agent's toolsets (MCP servers) for every run inside the block."""
        await enter_all(self.toolsets)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await exit_all(self.toolsets)

    def __enter__(self) -> Agent[OutputT]:
        """The sync face of ``async with agent``."""
        _runtime.run_sync(enter_all(self.toolsets))
        return self

    def __exit__(self, *exc: object) -> None:
        _runtime.run_sync(exit_all(self.toolsets))

    # ------------------------------------------------------------------ generate

    @overload
    def generate(
        self, prompt: str = "", *, output_type: type[T], **options: Unpack[CallOptions]
    ) -> AgentResult[T]: ...
    @overload
    def generate(
        self, prompt: str = "", *, output_type: UnionType, **options: Unpack[CallOptions]
    ) -> AgentResult[Any]: ...
    @overload
    def generate(
        self, prompt: str = "", **options: Unpack[CallOptions]
    ) -> AgentResult[OutputT]: ...
    def generate(
        self, prompt: str = "", *, output_type: Any = None, **options: Unpack[CallOptions]
    ) -> AgentResult[Any]:
        """Run the agent to completion, blocking.

        ``output_type=`` replaces the agent's output type for this run."""
        return _runtime.run_sync(self._agenerate(prompt, output_type, options))

    @overload
    async def agenerate(
        self, prompt: str = "", *, output_type: type[T], **options: Unpack[CallOptions]
    ) -> AgentResult[T]: ...
    @overload
    async def agenerate(
        self, prompt: str = "", *, output_type: UnionType, **options: Unpack[CallOptions]
    ) -> AgentResult[Any]: ...
    @overload
    async def agenerate(
        self, prompt: str = "", **options: Unpack[CallOptions]
    ) -> AgentResult[OutputT]: ...
    async def agenerate(
        self, prompt: str = "", *, output_type: Any = None, **options: Unpack[CallOptions]
    ) -> AgentResult[Any]:
        """Run the agent to completion.

        An exception that ends the run carries the steps completed before it as
        ``err.partial_result`` (an `AgentResult`), so the work done can be saved.
        """
        return await self._agenerate(prompt, output_type, options)

    async def _agenerate(
        self, prompt: str, output_type: Any, options: CallOptions
    ) -> AgentResult[Any]:
        given: dict[str, Any] = dict(options)
        if output_type is not None:
            given["output_type"] = output_type
        run = Run(self, prompt, given, "Agent.generate")  # type: ignore[arg-type]
        steps: list[StepResult] = []
        run.observer = observer = start_run(self.telemetry, lambda: RunStart(self, False))
        try:
            steps_run = self._generate_steps(run, steps)
            # Observed, the run is current while it runs: spans the user's callbacks open
            # nest under it.
            result = await (steps_run if observer is None else observed(observer, steps_run))
        except BaseException as err:
            if isinstance(err, Exception):
                run.keep_partial(err, steps)
            if observer is not None:
                observer.end(None, err)
            raise
        if observer is not None:
            observer.end(result, None)
        return result

    async def _generate_steps(self, run: Run, steps: list[StepResult]) -> AgentResult[Any]:
        try:
            return await self._generate_loop(run, steps)
        finally:  # however the run ends: the toolsets it started stop
            await run.toolsets.close()

    async def _generate_loop(self, run: Run, steps: list[StepResult]) -> AgentResult[Any]:
        # Loaded with the first run, not with the library.
        from fantasy.agent.approval import (
            mark_pending,
            settle_step,
            triage,
            with_provider_requests,
        )

        history: list[Message] = []
        await run.resume_pending()
        if run.resumed_stop:
            return run.result(steps)
        while True:
            setup = await run.setup_step(steps, history)

            async def attempt(setup: StepSetup = setup) -> Response:
                return await run.model_for_attempt(setup).agenerate(setup.call)

            response = await retry(attempt, run.retry)
            content = ResponseContent()
            calls: list[ToolCallContent] = []
            finals: list[ToolCallContent] = []
            for c in response.content:
                if isinstance(c, ToolCallContent) and not c.provider_executed:
                    if run.is_final_call(c):
                        finals.append(c)
                    else:
                        c = await validate_tool_call(
                            c, setup.tools, run.repair, setup.system, setup.messages
                        )
                        calls.append(c)
                content.append(c)
            gated = with_provider_requests(calls, content)
            approvals = await settle_step(
                gated, await triage(gated, setup.tools), setup.tools, run.gate
            )
            content.extend(approvals.results)
            retry_messages = run.settle_output(content, calls, finals)
            step = StepResult(
                content,
                response.finish_reason,
                response.usage,
                response.warnings,
                response.provider_metadata,
                [*response_messages(content), *retry_messages],
                response.raw_finish_reason,
                response_id=response.response_id,
                response_model=response.response_model,
                turn_paused=response.turn_paused,
            )
            step.model = run.step_model
            if approvals.pending:
                step.pending = approvals.pending
                step.messages = mark_pending(step.messages, approvals.pending)
            steps.append(step)
            history.extend(step.messages)
            if not run.should_continue(steps):
                return run.result(steps)

    def pending(self, messages: Sequence[Message]) -> list[PendingCall]:
        """The tool calls a paused run's saved conversation waits on (for approval, or
        deferred), with their input validated by this agent's tools: what to show the
        person who decides, in the process that resumes the run."""
        from fantasy.agent.approval import pending_in
        from fantasy.agent.steps import tools_by_name

        checked = check_values("Agent.pending", {"messages": messages})["messages"]
        return pending_in(checked, tools_by_name(self.tools, self.executable_provider_tools, None))

    # ------------------------------------------------------------------ stream

    @overload
    def stream(
        self, prompt: str = "", *, output_type: type[T], **options: Unpack[StreamOptions]
    ) -> AgentStream[T]: ...
    @overload
    def stream(
        self, prompt: str = "", *, output_type: UnionType, **options: Unpack[StreamOptions]
    ) -> AgentStream[Any]: ...
    @overload
    def stream(
        self, prompt: str = "", **options: Unpack[StreamOptions]
    ) -> AgentStream[OutputT]: ...
    def stream(
        self, prompt: str = "", *, output_type: Any = None, **options: Unpack[StreamOptions]
    ) -> AgentStream[Any]:
        """Stream the run, blocking: iterate for parts, then read ``.result``."""
        return AgentStream(
            StreamRun(self, prompt, _with_output(options, output_type), "Agent.stream")
        )

    @overload
    def astream(
        self, prompt: str = "", *, output_type: type[T], **options: Unpack[StreamOptions]
    ) -> AsyncAgentStream[T]: ...
    @overload
    def astream(
        self, prompt: str = "", *, output_type: UnionType, **options: Unpack[StreamOptions]
    ) -> AsyncAgentStream[Any]: ...
    @overload
    def astream(
        self, prompt: str = "", **options: Unpack[StreamOptions]
    ) -> AsyncAgentStream[OutputT]: ...
    def astream(
        self, prompt: str = "", *, output_type: Any = None, **options: Unpack[StreamOptions]
    ) -> AsyncAgentStream[Any]:
        """Stream the run: ``async for part in ...``, then ``.result`` (or ``await .collect()``)."""
        return AsyncAgentStream(
            StreamRun(self, prompt, _with_output(options, output_type), "Agent.astream")
        )


def _with_output(options: StreamOptions, output_type: Any) -> StreamOptions:
    if output_type is None:
        return options
    given: dict[str, Any] = {**options, "output_type": output_type}
    return given  # type: ignore[return-value]


def _check_tool_schemas(model: object, tools: Sequence[AgentTool]) -> None:
    """A tool whose input the provider cannot express fails now, naming the field,
    rather than as a 400 at the first call (see `BaseLanguageModel.check_schema`); so
    does one nested too deep for any provider."""
    if not tools:
        return
    from fantasy.schema import tool_input_schema
    from fantasy.schema_dialects import check_depth

    check = getattr(model, "check_schema", None)
    for t in tools:
        check_depth(t.info.parameters, f'tool "{t.info.name}"')
        if check is not None:
            check(tool_input_schema(t.info.parameters, t.info.required), f'tool "{t.info.name}"')


def _is_model(model: object) -> bool:
    return callable(getattr(model, "agenerate", None)) and callable(getattr(model, "astream", None))


def _agent_tools(tools: object) -> list[AgentTool]:
    """Tools as given; a plain function becomes a tool as ``@fantasy.tool`` would make it."""
    if isinstance(tools, AgentTool) or callable(tools) or isinstance(tools, str):
        tools = [tools]
    if not isinstance(tools, Sequence):
        raise InvalidArgumentError(f"Agent: tools must be a list, got {type(tools).__name__}")
    out: list[AgentTool] = []
    for index, item in enumerate(tools):
        if isinstance(item, AgentTool):
            out.append(item)
        elif isinstance(item, ExecutableProviderTool | ProviderDefinedTool):
            raise InvalidArgumentError(
                f"Agent: tools[{index}] is a provider-defined tool; pass it as provider_tools="
            )
        elif callable(item):
            try:
                out.append(tool(item))
            except TypeError as exc:
                raise InvalidArgumentError(
                    f"Agent: tools[{index}] ({getattr(item, '__name__', item)!r}) cannot be "
                    f"made into a tool: {exc}"
                ) from exc
        else:
            raise InvalidArgumentError(
                f"Agent: tools[{index}] must be a function or a fantasy.AgentTool, "
                f"got {type(item).__name__}"
            )
    return out
