"""The agent: a model, tools, and the loop that lets the model use them.

One step is one model call, then the tool calls it asked for. The loop goes on
while the model finishes with ``tool-calls``, asked for at least one client
tool, no tool said ``stop_turn``, and no stop condition holds. The loop is
written once, async; `Agent.generate` and `Agent.stream` run the same code
blocking (see `fantasy._runtime`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from fantasy import _runtime
from fantasy._steps import (
    RepairToolCall,
    StepTools,
    ToolCallRepairOptions,
    execute_tools,
    merge_maps,
    response_messages,
    tools_by_name,
    validate_tool_call,
)
from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, LanguageModel, Response
from fantasy.retry import OnAuthRefresh, OnRetry, RetryController, RetryOptions, retry
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool, ExecutableProviderTool
from fantasy.types import (
    CallWarning,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ProviderMetadata,
    ProviderOptions,
    ReasoningContent,
    ResponseContent,
    Role,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    Tool,
    ToolCallContent,
    ToolResultContent,
    Usage,
    system_message,
    user_message,
)

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


@dataclass(slots=True)
class StepResult:
    """One model call and its tool runs; ``messages`` is what it added to the history."""

    content: ResponseContent
    finish_reason: FinishReason
    usage: Usage
    warnings: list[CallWarning]
    provider_metadata: ProviderMetadata
    messages: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def response(self) -> Response:
        return Response(
            self.content, self.finish_reason, self.usage, self.warnings, self.provider_metadata
        )


@dataclass(slots=True)
class AgentResult:
    steps: list[StepResult]
    response: Response
    """The latest step whose text is not blank (else the last step); its usage is that step's."""
    total_usage: Usage

    @property
    def text(self) -> str:
        return self.response.content.text

    @property
    def messages(self) -> list[Message]:
        """Every message the run added to the conversation, ready to pass back as ``messages=``."""
        return [m for s in self.steps for m in s.messages]


@dataclass(slots=True)
class PrepareStepOptions:
    steps: list[StepResult]
    step_number: int
    model: LanguageModel
    messages: list[Message]


@dataclass(slots=True)
class PrepareStepResult:
    """Per-step overrides; ``None`` (or an empty list for active_tools) keeps the default."""

    model: LanguageModel | None = None
    messages: list[Message] | None = None
    system: str | None = None
    tool_choice: str | None = None
    active_tools: list[str] | None = None
    disable_all_tools: bool = False
    tools: list[AgentTool] | None = None


PrepareStep = Callable[
    [PrepareStepOptions], "PrepareStepResult | Awaitable[PrepareStepResult | None] | None"
]


class CallOptions(TypedDict, total=False):
    """Per-call settings; each overrides the agent's default when given (and not None)."""

    files: Sequence[FilePart]
    messages: Sequence[Message]
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    active_tools: Sequence[str] | None
    tool_choice: str | None
    headers: dict[str, str] | None
    provider_options: ProviderOptions | None
    stop_when: Sequence[StopCondition] | None
    prepare_step: PrepareStep | None
    repair_tool_call: RepairToolCall | None
    max_retries: int | None
    on_retry: OnRetry | None
    on_auth_refresh: OnAuthRefresh | None
    model_provider: Callable[[], LanguageModel] | None
    """Called before every attempt to get the model (e.g. with refreshed credentials)."""


class StreamCallbacks(TypedDict, total=False):
    """Fantasy's streaming callbacks, sync or async. An exception raised in one fails the run."""

    on_agent_start: Callable[[], Any]
    on_agent_finish: Callable[[AgentResult], Any]
    on_step_start: Callable[[int], Any]
    on_step_finish: Callable[[StepResult], Any]
    on_finish: Callable[[AgentResult], Any]
    on_error: Callable[[BaseException], Any]
    on_chunk: Callable[[StreamPart], Any]
    on_warnings: Callable[[list[CallWarning]], Any]
    on_text_start: Callable[[str], Any]
    on_text_delta: Callable[[str, str], Any]
    on_text_end: Callable[[str], Any]
    on_reasoning_start: Callable[[str, ReasoningContent], Any]
    on_reasoning_delta: Callable[[str, str], Any]
    on_reasoning_end: Callable[[str, ReasoningContent], Any]
    on_tool_input_start: Callable[[str, str], Any]
    on_tool_input_delta: Callable[[str, str], Any]
    on_tool_input_end: Callable[[str], Any]
    on_tool_call: Callable[[ToolCallContent], Any]
    on_tool_result: Callable[[ToolResultContent], Any]
    on_source: Callable[[SourceContent], Any]
    on_stream_finish: Callable[[Usage, FinishReason, ProviderMetadata], Any]


class StreamOptions(CallOptions, StreamCallbacks, total=False):
    pass


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


@dataclass(slots=True)
class _StepSetup:
    model: LanguageModel
    messages: list[Message]
    system: str
    call: Call
    tools: StepTools


class _Run:
    """One run's settings: the agent's defaults merged with the call's (call wins)."""

    def __init__(self, agent: Agent, prompt: str, options: StreamOptions):
        self.agent = agent
        self.options = options
        self.max_output_tokens = _first(options.get("max_output_tokens"), agent.max_output_tokens)
        self.temperature = _first(options.get("temperature"), agent.temperature)
        self.top_p = _first(options.get("top_p"), agent.top_p)
        self.top_k = _first(options.get("top_k"), agent.top_k)
        self.presence_penalty = _first(options.get("presence_penalty"), agent.presence_penalty)
        self.frequency_penalty = _first(options.get("frequency_penalty"), agent.frequency_penalty)
        self.tool_choice = _first(options.get("tool_choice"), agent.tool_choice)
        self.active_tools = list(options.get("active_tools") or ())
        self.stop_when = list(options.get("stop_when") or agent.stop_when)
        self.prepare_step = _first(options.get("prepare_step"), agent.prepare_step)
        self.repair = _first(options.get("repair_tool_call"), agent.repair_tool_call)
        self.headers = merge_maps(agent.headers, options.get("headers"))
        self.provider_options = merge_maps(agent.provider_options, options.get("provider_options"))
        self.model_provider = options.get("model_provider")
        self.retry = RetryOptions(
            max_retries=_first(options.get("max_retries"), agent.max_retries, 3),
            initial_delay=agent.retry_initial_delay,
            backoff_factor=agent.retry_backoff_factor,
            on_retry=_first(options.get("on_retry"), agent.on_retry),
            on_auth_refresh=options.get("on_auth_refresh"),
            sleep=agent.sleep or _runtime.sleep,
        )
        self.initial_prompt = self._initial_prompt(
            prompt, options.get("files") or (), options.get("messages") or ()
        )

    def _initial_prompt(
        self, prompt: str, files: Sequence[FilePart], messages: Sequence[Message]
    ) -> list[Message]:
        if not prompt:
            if not messages:
                raise InvalidArgumentError("prompt can't be empty when there are no messages")
            if files:
                raise InvalidArgumentError("prompt can't be empty when there are files")
            if messages[-1].role not in (Role.USER, Role.TOOL):
                raise InvalidArgumentError(
                    "prompt can't be empty when the last message is not a user or tool message"
                )
        out: list[Message] = []
        if self.agent.system_prompt:
            out.append(system_message(self.agent.system_prompt))
        out.extend(messages)
        if prompt:
            out.append(user_message(prompt, *files))
        return out

    async def setup_step(self, steps: list[StepResult], history: list[Message]) -> _StepSetup:
        agent = self.agent
        messages = [*self.initial_prompt, *history]
        model: LanguageModel = agent.model
        system = agent.system_prompt
        tool_choice = self.tool_choice or "auto"
        active = self.active_tools
        agent_tools: list[AgentTool] = list(agent.tools)
        disable = False
        if self.prepare_step is not None:
            prepared = await _runtime.call_user(
                self.prepare_step,
                PrepareStepOptions(list(steps), len(steps), agent.model, messages),
            )
            if prepared is not None:
                if prepared.messages is not None:
                    messages = list(prepared.messages)
                if prepared.model is not None:
                    model = prepared.model
                if prepared.system is not None and prepared.system != system:
                    messages = _with_system(messages, prepared.system)
                    system = prepared.system
                tool_choice = _first(prepared.tool_choice, tool_choice)
                active = list(prepared.active_tools or active)
                disable = prepared.disable_all_tools
                if prepared.tools is not None:
                    agent_tools = list(prepared.tools)
        step_tools = tools_by_name(agent_tools, agent.executable_provider_tools, active)
        wire_tools: list[Tool] = []
        if not disable:
            wire_tools = _wire_tools(agent_tools, agent.provider_tools, active)
        call = Call(
            prompt=messages,
            max_output_tokens=self.max_output_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            tools=wire_tools,
            tool_choice=tool_choice,
            provider_options=self.provider_options,
            user_agent=agent.user_agent,
            headers=self.headers,
        )
        return _StepSetup(model, messages, system, call, step_tools)

    def model_for_attempt(self, setup: _StepSetup) -> LanguageModel:
        return self.model_provider() if self.model_provider is not None else setup.model

    def should_continue(self, steps: list[StepResult]) -> bool:
        last = steps[-1]
        if any(cond(steps) for cond in self.stop_when):
            return False
        if any(r.stop_turn for r in last.content.tool_results):
            return False
        client_calls = [c for c in last.content.tool_calls if not c.provider_executed]
        return bool(client_calls) and last.finish_reason is FinishReason.TOOL_CALLS


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
            out.append(
                FunctionTool(
                    info.name,
                    info.description,
                    tool_input_schema(info.parameters, info.required),
                    t.provider_options,
                )
            )
    out.extend(p for p in provider_tools if not active or p.name in active)
    return out


def _final(steps: list[StepResult]) -> AgentResult:
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


class Agent:
    """A model with a system prompt, tools, and defaults for every call.

    ``None`` means "not set" for every option, so ``temperature=0`` is sent
    as 0. Per-call keyword arguments override these defaults.
    """

    def __init__(
        self,
        model: LanguageModel,
        *,
        system_prompt: str = "",
        tools: Sequence[AgentTool] = (),
        provider_tools: Sequence[ProviderDefinedTool | ExecutableProviderTool] = (),
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        tool_choice: str | None = None,
        stop_when: Sequence[StopCondition] = (),
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
    ):
        self.model = model
        self.system_prompt = system_prompt
        self.tools = list(tools)
        names = [t.info.name for t in self.tools]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"tool names must be unique, got {names}")
        self.provider_tools: list[ProviderDefinedTool] = []
        self.executable_provider_tools: list[ExecutableProviderTool] = []
        for pt in provider_tools:
            if isinstance(pt, ExecutableProviderTool):
                self.executable_provider_tools.append(pt)
                self.provider_tools.append(pt.definition)
            else:
                self.provider_tools.append(pt)
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.presence_penalty = presence_penalty
        self.frequency_penalty = frequency_penalty
        self.tool_choice = tool_choice
        self.stop_when = list(stop_when)
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

    # ------------------------------------------------------------------ generate

    def generate(self, prompt: str = "", **options: Unpack[CallOptions]) -> AgentResult:
        """Run the agent to completion, blocking."""
        return _runtime.run_sync(self.agenerate(prompt, **options))

    async def agenerate(self, prompt: str = "", **options: Unpack[CallOptions]) -> AgentResult:
        """Run the agent to completion."""
        run = _Run(self, prompt, options)  # type: ignore[arg-type]
        steps: list[StepResult] = []
        history: list[Message] = []
        while True:
            setup = await run.setup_step(steps, history)

            async def attempt(setup: _StepSetup = setup) -> Response:
                return await run.model_for_attempt(setup).agenerate(setup.call)

            response = await retry(attempt, run.retry)
            content = ResponseContent()
            calls: list[ToolCallContent] = []
            for c in response.content:
                if isinstance(c, ToolCallContent) and not c.provider_executed:
                    c = await validate_tool_call(
                        c, setup.tools, run.repair, setup.system, setup.messages
                    )
                    calls.append(c)
                content.append(c)
            content.extend(await execute_tools(calls, setup.tools))
            step = StepResult(
                content,
                response.finish_reason,
                response.usage,
                response.warnings,
                response.provider_metadata,
                response_messages(content),
            )
            steps.append(step)
            history.extend(step.messages)
            if not run.should_continue(steps):
                return _final(steps)

    # ------------------------------------------------------------------ stream

    def stream(self, prompt: str = "", **options: Unpack[StreamOptions]) -> AgentStream:
        """Stream the run, blocking: iterate for parts, then read ``.result``."""
        return AgentStream(_StreamRun(self, prompt, options))

    def astream(self, prompt: str = "", **options: Unpack[StreamOptions]) -> AsyncAgentStream:
        """Stream the run: ``async for part in ...``, then ``.result`` (or ``await .collect()``)."""
        return AsyncAgentStream(_StreamRun(self, prompt, options))


class _Callbacks:
    """The user's callbacks, each awaited if it returns an awaitable; missing ones cost nothing."""

    def __init__(self, options: StreamOptions):
        self.fns: dict[str, Callable[..., Any]] = {
            k: v for k, v in options.items() if k.startswith("on_") and callable(v)
        }

    def has(self, name: str) -> bool:
        return name in self.fns

    async def __call__(self, name: str, *args: Any) -> None:
        fn = self.fns.get(name)
        if fn is not None:
            await _runtime.call_user(fn, *args)


class _StepState:
    """What a streamed step has assembled so far."""

    def __init__(self) -> None:
        self.content = ResponseContent()
        self.texts: dict[str, list[str]] = {}
        self.reasonings: dict[str, tuple[list[str], ProviderMetadata | None]] = {}
        self.calls: list[ToolCallContent] = []
        self.warnings: list[CallWarning] = []
        self.usage = Usage()
        self.finish_reason = FinishReason.UNKNOWN
        self.metadata: ProviderMetadata = {}


class _StreamRun:
    def __init__(self, agent: Agent, prompt: str, options: StreamOptions):
        self.agent = agent
        self.prompt = prompt
        self.options = options
        self.result: AgentResult | None = None
        self.error: BaseException | None = None

    def outcome(self) -> AgentResult:
        """The finished run's result; its error again if it failed."""
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError("the agent stream was closed before the run finished")
        return self.result

    async def parts(self) -> AsyncIterator[StreamPart]:
        cb = _Callbacks(self.options)
        try:
            run = _Run(self.agent, self.prompt, self.options)
            await cb("on_agent_start")
            steps: list[StepResult] = []
            history: list[Message] = []
            while True:
                setup = await run.setup_step(steps, history)
                await cb("on_step_start", len(steps))
                controller = RetryController(run.retry)
                while True:
                    state = _StepState()
                    try:
                        async with _runtime.closing(self._step(run, setup, state, cb)) as parts:
                            async for part in parts:
                                yield part
                        break
                    except Exception as err:
                        await controller.failed(err)
                step = StepResult(
                    state.content,
                    state.finish_reason,
                    state.usage,
                    state.warnings,
                    state.metadata,
                    response_messages(state.content),
                )
                await cb("on_step_finish", step)
                steps.append(step)
                history.extend(step.messages)
                if not run.should_continue(steps):
                    break
            result = _final(steps)
            self.result = result
            await cb("on_finish", result)
            await cb("on_agent_finish", result)
        except Exception as err:
            self.error = err
            await cb("on_error", err)
            raise

    async def _step(
        self, run: _Run, setup: _StepSetup, state: _StepState, cb: _Callbacks
    ) -> AsyncIterator[StreamPart]:
        model = run.model_for_attempt(setup)
        on_chunk = cb.has("on_chunk")
        # Closed as soon as the step ends or fails, so a retried or abandoned attempt
        # releases its HTTP response at once.
        async with _runtime.closing(model.astream(setup.call)) as model_parts:
            async for part in model_parts:
                if on_chunk:
                    await cb("on_chunk", part)
                await self._handle(part, run, setup, state, cb)
                yield part

        async def on_result(result: ToolResultContent) -> None:
            await cb("on_tool_result", result)

        results = await execute_tools(state.calls, setup.tools, on_result)
        state.content.extend(results)
        for r in results:
            yield StreamPart(
                StreamPartType.TOOL_RESULT,
                id=r.tool_call_id,
                tool_call_name=r.tool_name,
                tool_result=r,
            )

    async def _handle(
        self, part: StreamPart, run: _Run, setup: _StepSetup, state: _StepState, cb: _Callbacks
    ) -> None:
        t = part.type
        if t is StreamPartType.TEXT_DELTA:
            buf = state.texts.get(part.id)
            if buf is not None:
                buf.append(part.delta)
            await cb("on_text_delta", part.id, part.delta)
        elif t is StreamPartType.TEXT_START:
            state.texts[part.id] = []
            await cb("on_text_start", part.id)
        elif t is StreamPartType.TEXT_END:
            buf = state.texts.pop(part.id, None)
            if buf is not None:
                state.content.append(TextContent("".join(buf), part.provider_metadata))
            await cb("on_text_end", part.id)
        elif t is StreamPartType.REASONING_START:
            state.reasonings[part.id] = ([part.delta], part.provider_metadata)
            await cb(
                "on_reasoning_start", part.id, ReasoningContent(part.delta, part.provider_metadata)
            )
        elif t is StreamPartType.REASONING_DELTA:
            open_reasoning = state.reasonings.get(part.id)
            if open_reasoning is not None:
                open_reasoning[0].append(part.delta)
                if part.provider_metadata:
                    state.reasonings[part.id] = (open_reasoning[0], part.provider_metadata)
            await cb("on_reasoning_delta", part.id, part.delta)
        elif t is StreamPartType.REASONING_END:
            open_reasoning = state.reasonings.pop(part.id, None)
            if open_reasoning is not None:
                texts, metadata = open_reasoning
                reasoning = ReasoningContent("".join(texts), part.provider_metadata or metadata)
                state.content.append(reasoning)
                await cb("on_reasoning_end", part.id, reasoning)
        elif t is StreamPartType.TOOL_INPUT_START:
            await cb("on_tool_input_start", part.id, part.tool_call_name)
        elif t is StreamPartType.TOOL_INPUT_DELTA:
            await cb("on_tool_input_delta", part.id, part.delta)
        elif t is StreamPartType.TOOL_INPUT_END:
            await cb("on_tool_input_end", part.id)
        elif t is StreamPartType.TOOL_CALL:
            call = ToolCallContent(
                part.id,
                part.tool_call_name,
                part.tool_call_input,
                part.provider_executed,
                part.provider_metadata,
            )
            if not call.provider_executed:
                call = await validate_tool_call(
                    call, setup.tools, run.repair, setup.system, setup.messages
                )
                state.calls.append(call)
            state.content.append(call)
            await cb("on_tool_call", call)
        elif t is StreamPartType.TOOL_RESULT:
            if part.provider_executed:
                result = part.tool_result or ToolResultContent(
                    part.id,
                    part.tool_call_name,
                    None,
                    provider_executed=True,
                    provider_metadata=part.provider_metadata,
                )
                state.content.append(result)
                await cb("on_tool_result", result)
        elif t is StreamPartType.SOURCE:
            source = SourceContent(
                part.source_type or SourceType.URL,
                part.id,
                url=part.url,
                title=part.title,
                provider_metadata=part.provider_metadata,
            )
            state.content.append(source)
            await cb("on_source", source)
        elif t is StreamPartType.FINISH:
            state.usage = part.usage or Usage()
            state.finish_reason = part.finish_reason or FinishReason.UNKNOWN
            state.metadata = part.provider_metadata or {}
            await cb("on_stream_finish", state.usage, state.finish_reason, state.metadata)
        elif t is StreamPartType.WARNINGS:
            state.warnings = list(part.warnings or ())
            await cb("on_warnings", state.warnings)
        elif t is StreamPartType.ERROR:
            error = part.error
            if isinstance(error, Exception):
                raise error
            raise RuntimeError(f"stream error: {error}")


class AgentStream:
    """A blocking stream of parts; ``result`` runs it to the end if you have not."""

    def __init__(self, run: _StreamRun):
        self._run = run
        self._iterator: Iterator[StreamPart] | None = None

    def __iter__(self) -> Iterator[StreamPart]:
        if self._iterator is not None:
            raise RuntimeError("an agent stream can be iterated once")
        self._iterator = _runtime.iterate_sync(self._run.parts())
        return self._iterator

    @property
    def result(self) -> AgentResult:
        if self._iterator is None:
            for _ in self:
                pass
        else:
            for _ in self._iterator:
                pass
        return self._run.outcome()

    def collect(self) -> AgentResult:
        return self.result

    def close(self) -> None:
        """Stop the run now: the HTTP response is closed and running tools are abandoned."""
        if self._iterator is not None:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> AgentStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAgentStream:
    """An async stream of parts; ``await collect()`` runs it to the end and returns the result."""

    def __init__(self, run: _StreamRun):
        self._run = run
        self._iterator: AsyncIterator[StreamPart] | None = None

    def __aiter__(self) -> AsyncIterator[StreamPart]:
        if self._iterator is not None:
            raise RuntimeError("an agent stream can be iterated once")
        self._iterator = self._run.parts()
        return self._iterator

    async def collect(self) -> AgentResult:
        if self._iterator is None:
            self.__aiter__()
        assert self._iterator is not None
        async for _ in self._iterator:
            pass
        return self._run.outcome()

    @property
    def result(self) -> AgentResult:
        if self._run.result is None and self._run.error is None:
            raise RuntimeError("the stream has not finished; iterate it or await collect()")
        return self._run.outcome()

    def __await__(self) -> Any:
        return self.collect().__await__()

    async def aclose(self) -> None:
        """Stop the run now: the HTTP response is closed and running tools are cancelled."""
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncAgentStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
