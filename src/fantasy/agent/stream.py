"""The streaming face of the agent loop: a step's parts are handled as they arrive
(callbacks in Fantasy's order, text and reasoning assembled at their end parts,
tool calls validated as they complete), then the step's tools run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic

from fantasy import _runtime
from fantasy.agent.observe import ObservedParts, RunObserver, RunStart, start_run, watching
from fantasy.agent.run import Run, StepSetup
from fantasy.agent.run_types import AgentResult, OutputT, StepResult, StreamOptions
from fantasy.agent.steps import (
    response_messages,
    validate_tool_call,
)
from fantasy.retry import RetryController, is_user_error, mark_user_error
from fantasy.types import (
    CallWarning,
    FinishReason,
    Message,
    ProviderMetadata,
    ReasoningContent,
    ResponseContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.agent import Agent
    from fantasy.agent.output import StreamOutput


class _Callbacks:
    """The user's callbacks, each awaited if it returns an awaitable; missing ones cost nothing.

    An exception a callback raises is flagged as the caller's own (see
    `fantasy.retry.mark_user_error`), so it ends the run instead of being retried as
    if the provider had failed.
    """

    def __init__(self, options: StreamOptions):
        self.fns: dict[str, Callable[..., Any]] = {
            k: v for k, v in options.items() if k.startswith("on_") and callable(v)
        }

    def has(self, name: str) -> bool:
        return name in self.fns

    async def tool_result(self, result: ToolResultContent) -> None:
        await self("on_tool_result", result)

    async def __call__(self, name: str, *args: Any) -> None:
        fn = self.fns.get(name)
        if fn is not None:
            try:
                await _runtime.call_user(fn, *args)
            except Exception as exc:
                mark_user_error(exc)
                raise


class _StepState:
    """What a streamed step has assembled so far."""

    def __init__(self, run: Run | None = None) -> None:
        self.run = run
        self.reset()

    def reset(self) -> None:
        """Forget a failed attempt, before the next one."""
        self.content = ResponseContent()
        self.texts: dict[str, list[str]] = {}
        self.reasonings: dict[str, tuple[list[str], ProviderMetadata | None]] = {}
        self.calls: Sequence[ToolCallContent] = ()
        """The client tool calls, a list from the first (most steps call no tool, and
        each tracked object a stream keeps adds to the collector's work at scale)."""
        self.finals: Sequence[ToolCallContent] = ()
        """Calls of the typed output's final-answer tool."""
        self.output: StreamOutput | None = None
        """The typed output growing in this step (None without an output type)."""
        output = None if self.run is None else self.run.output
        if output is not None:
            from fantasy.agent.output import StreamOutput

            self.output = StreamOutput(output)
        self.warnings: list[CallWarning] = []
        self.usage = Usage()
        self.finish_reason = FinishReason.UNKNOWN
        self.raw_finish_reason = ""
        self.turn_paused = False
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.metadata: ProviderMetadata = {}
        self.delivered = False
        """Has any of the model's output reached the caller? Then it is not retried."""


def _added(calls: Sequence[ToolCallContent], call: ToolCallContent) -> list[ToolCallContent]:
    """``calls`` with ``call`` appended: the same list, or a new one for the empty tuple."""
    if isinstance(calls, list):
        calls.append(call)
        return calls
    return [*calls, call]


NOT_RETRIED_NOTE = (
    "not retried: part of this step's output had already been streamed to the caller, "
    "and a new attempt would deliver different output after it"
)


class StreamRun:
    def __init__(self, agent: Agent[Any], prompt: str, options: StreamOptions, where: str):
        # Built now, so a wrong option fails at agent.stream(...), not at the first part.
        self.run = Run(agent, prompt, options, where)
        self.result: AgentResult[Any] | None = None
        self.error: BaseException | None = None

    def outcome(self) -> AgentResult[Any]:
        """The finished run's result; its error again if it failed."""
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError("the agent stream was closed before the run finished")
        return self.result

    def parts(self) -> AsyncIterator[StreamPart]:
        """The run's parts; an agent with toolsets holds them until the stream ends.
        Observed, the run is current while each part is made (`ObservedParts`)."""
        agent = self.run.agent
        parts = self._run_parts() if not agent.toolsets else self._parts_holding_toolsets()
        if not watching(agent.telemetry):
            return parts
        return ObservedParts(parts, self._start_observer)

    def _start_observer(self) -> RunObserver | None:
        agent = self.run.agent
        self.run.observer = start_run(agent.telemetry, lambda: RunStart(agent, True))
        return self.run.observer

    async def _parts_holding_toolsets(self) -> AsyncIterator[StreamPart]:
        try:
            async with _runtime.closing(self._run_parts()) as parts:
                async for part in parts:
                    yield part
        finally:  # finished, failed, closed early or cancelled: the run's toolsets stop
            await self.run.toolsets.close()

    async def _run_parts(self) -> AsyncIterator[StreamPart]:
        from fantasy.agent.approval import (
            approval_part,
            mark_pending,
            settle_step,
            triage,
            with_provider_requests,
        )

        run = self.run
        cb = _Callbacks(run.options)
        steps: list[StepResult] = []
        observer = run.observer  # started by ObservedParts, when the run is observed
        try:
            await cb("on_agent_start")
            history: list[Message] = []
            for r in await run.resume_pending(cb.tool_result):
                yield _result_part(r)
            while not run.resumed_stop:
                setup = await run.setup_step(steps, history)
                await cb("on_step_start", len(steps))
                state = _StepState(run)
                output = self._model_output(run, setup, cb, state)
                async with _runtime.closing(output) as model_parts:
                    async for part in model_parts:
                        yield part

                # Outside the retry: a tool that ran is never run again.
                gated = with_provider_requests(state.calls, state.content)
                sorted_calls = await triage(gated, setup.tools)
                for request in sorted_calls.approval_requests:
                    yield approval_part(request)
                approvals = await settle_step(
                    gated, sorted_calls, setup.tools, run.gate, cb.tool_result
                )
                results = approvals.results
                state.content.extend(results)
                retry_messages: list[Message] = []
                if run.output is not None:
                    before = len(state.content)
                    retry_messages = run.settle_output(state.content, state.calls, state.finals)
                    # The final-answer tool's results, after the tools' own.
                    results = [*results, *state.content[before:]]  # type: ignore[list-item]
                for r in results:
                    yield StreamPart(
                        StreamPartType.TOOL_RESULT,
                        id=r.tool_call_id,
                        tool_call_name=r.tool_name,
                        tool_result=r,
                    )
                if run.output is not None and run.output.done and state.output is not None:
                    final = state.output.final(run.output.value)
                    if final is not None:
                        yield final
                step = StepResult(
                    state.content,
                    state.finish_reason,
                    state.usage,
                    state.warnings,
                    state.metadata,
                    [*response_messages(state.content), *retry_messages],
                    state.raw_finish_reason,
                    response_id=state.response_id,
                    response_model=state.response_model,
                    turn_paused=state.turn_paused,
                )
                step.model = run.step_model
                if approvals.pending:
                    step.pending = approvals.pending
                    step.messages = mark_pending(step.messages, approvals.pending)
                await cb("on_step_finish", step)
                steps.append(step)
                history.extend(step.messages)
                if not run.should_continue(steps):
                    break
            result = run.result(steps)
            self.result = result
            await cb("on_finish", result)
            await cb("on_agent_finish", result)
        except Exception as err:
            run.keep_partial(err, steps)
            self.error = err
            if observer is not None:
                observer.end(None, err)
                observer = None
            await cb("on_error", err)
            raise
        finally:
            if observer is not None:  # finished, or closed (or cancelled) before the end
                observer.end(self.result, None)

    async def _model_output(
        self, run: Run, setup: StepSetup, cb: _Callbacks, state: _StepState
    ) -> AsyncIterator[StreamPart]:
        """One step's model call, its parts handled as they arrive, retried while
        nothing of it has reached the caller.

        A failure before the first part (a 429, a refused connection, an error event
        first thing) is retried as in `generate`. Once text or a tool call has been
        streamed, a new attempt would stream different output after it, so the error
        is raised instead (with a note saying so). The caller's own exceptions are
        never retried. One generator does all of it: each layer costs every part.
        """
        controller = RetryController(run.retry)
        on_chunk = cb.has("on_chunk")
        on_text_delta = cb.has("on_text_delta")
        text_delta = StreamPartType.TEXT_DELTA
        warnings = StreamPartType.WARNINGS
        while True:
            try:
                model = run.model_for_attempt(setup)
                # Closed as soon as the attempt ends or fails, so a retried or abandoned
                # attempt releases its HTTP response at once.
                async with _runtime.closing(model.astream(setup.call)) as model_parts:
                    async for part in model_parts:
                        if on_chunk:
                            await cb("on_chunk", part)
                        if part.type is text_delta and not on_text_delta:
                            # The hot path: most parts of a stream are text deltas.
                            buf = state.texts.get(part.id)
                            if buf is not None:
                                buf.append(part.delta)
                        else:
                            await self._handle(part, run, setup, state, cb)
                        if part.type is not warnings:
                            state.delivered = True
                        yield part
                        if state.output is not None:
                            output_part = state.output.see(part)
                            if output_part is not None:
                                yield output_part
                return
            except Exception as err:
                if is_user_error(err):
                    raise
                if state.delivered:
                    err.add_note(NOT_RETRIED_NOTE)
                    raise
                await controller.failed(err)
                state.reset()

    async def _handle(
        self, part: StreamPart, run: Run, setup: StepSetup, state: _StepState, cb: _Callbacks
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
            if run.output is not None and run.is_final_call(call):
                state.finals = _added(state.finals, call)
            elif not call.provider_executed:
                call = await validate_tool_call(
                    call, setup.tools, run.repair, setup.system, setup.messages
                )
                state.calls = _added(state.calls, call)
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
            source = part.cited()
            state.content.append(source)
            await cb("on_source", source)
        elif t is StreamPartType.FILE:
            if part.file is not None:
                state.content.append(part.file)
                await cb("on_file", part.file)
        elif t is StreamPartType.FINISH:
            state.usage = part.usage or Usage()
            state.finish_reason = part.finish_reason or FinishReason.UNKNOWN
            state.raw_finish_reason = part.raw_finish_reason
            state.turn_paused = part.turn_paused
            state.response_id = part.response_id
            state.response_model = part.response_model
            state.metadata = part.provider_metadata or {}
            await cb("on_stream_finish", state.usage, state.finish_reason, state.metadata)
        elif t is StreamPartType.WARNINGS:
            # The first part says what the request could not carry; later ones, what the
            # answer held that the translator could not read: the step keeps them all.
            state.warnings.extend(part.warnings or ())
            await cb("on_warnings", list(part.warnings or ()))
        elif t is StreamPartType.ERROR:
            error = part.error
            if isinstance(error, Exception):
                raise error
            raise RuntimeError(f"stream error: {error}")


def _result_part(result: ToolResultContent) -> StreamPart:
    return StreamPart(
        StreamPartType.TOOL_RESULT,
        id=result.tool_call_id,
        tool_call_name=result.tool_name,
        tool_result=result,
    )


class AgentStream(Generic[OutputT]):
    """A blocking stream of parts; ``result`` runs it to the end if you have not.

    Iterate it for every part, or read one view: `text_deltas` (the text only) or
    `partial_outputs` (the typed output as it grows). All read the same stream, once.
    """

    def __init__(self, run: StreamRun):
        self._run = run
        self._iterator: Iterator[StreamPart] | None = None

    def __iter__(self) -> Iterator[StreamPart]:
        if self._iterator is not None:
            raise RuntimeError("an agent stream can be iterated once")
        self._iterator = _runtime.iterate_sync(self._run.parts())
        return self._iterator

    def _parts(self) -> Iterator[StreamPart]:
        return self._iterator if self._iterator is not None else iter(self)

    def text_deltas(self) -> Iterator[str]:
        """The text of every step as it arrives; the run's error is raised."""
        for part in self._parts():
            if part.type is StreamPartType.TEXT_DELTA and part.delta:
                yield part.delta

    def partial_outputs(self) -> Iterator[OutputT]:
        """The typed output as it grows (each value valid for ``output_type``), the
        validated final output last; the run's error is raised."""
        for part in self._parts():
            if part.type is StreamPartType.OUTPUT:
                yield part.output

    @property
    def result(self) -> AgentResult[OutputT]:
        if self._iterator is None:
            for _ in self:
                pass
        else:
            for _ in self._iterator:
                pass
        return self._run.outcome()

    def collect(self) -> AgentResult[OutputT]:
        return self.result

    def close(self) -> None:
        """Stop the run now: the HTTP response is closed and running tools are abandoned."""
        if self._iterator is not None:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> AgentStream[OutputT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAgentStream(Generic[OutputT]):
    """An async stream of parts; ``await collect()`` runs it to the end and returns the result.

    `text_deltas` and `partial_outputs` are views of the same stream, as on `AgentStream`.
    """

    def __init__(self, run: StreamRun):
        self._run = run
        self._iterator: AsyncIterator[StreamPart] | None = None

    def __aiter__(self) -> AsyncIterator[StreamPart]:
        if self._iterator is not None:
            raise RuntimeError("an agent stream can be iterated once")
        self._iterator = self._run.parts()
        return self._iterator

    def _parts(self) -> AsyncIterator[StreamPart]:
        return self._iterator if self._iterator is not None else self.__aiter__()

    async def text_deltas(self) -> AsyncIterator[str]:
        """The text of every step as it arrives; the run's error is raised."""
        async for part in self._parts():
            if part.type is StreamPartType.TEXT_DELTA and part.delta:
                yield part.delta

    async def partial_outputs(self) -> AsyncIterator[OutputT]:
        """The typed output as it grows, the validated final output last."""
        async for part in self._parts():
            if part.type is StreamPartType.OUTPUT:
                yield part.output

    async def collect(self) -> AgentResult[OutputT]:
        if self._iterator is None:
            self.__aiter__()
        assert self._iterator is not None
        async for _ in self._iterator:
            pass
        return self._run.outcome()

    @property
    def result(self) -> AgentResult[OutputT]:
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

    async def __aenter__(self) -> AsyncAgentStream[OutputT]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
