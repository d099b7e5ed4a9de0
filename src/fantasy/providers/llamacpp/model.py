"""A local GGUF model as a `LanguageModel`: a `Call` becomes the chat template's prompt
and a grammar, the engine's text becomes stream parts, and both faces share it.

The engine blocks, so the async face runs it on a thread of its own and receives its
text through the event loop; the sync face runs it inline. Either way, a caller that
stops listening (a cancelled task, a stream closed early, a timeout) sets the
generation's stop flag and llama.cpp stops before its next token.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, ProviderError
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.providers.llamacpp import grammar as grammars
from fantasy.providers.llamacpp.engine import Engine, ModelInfo, Outcome, Request
from fantasy.providers.llamacpp.formats import HERMES, CallFormat, call_format
from fantasy.providers.llamacpp.hooks import DEFAULT_HOOKS, LocalHooks, provider_options
from fantasy.providers.llamacpp.options import NAME, ProviderMetadata
from fantasy.providers.llamacpp.output import (
    Event,
    OutputReader,
    Reasoning,
    ReasoningEnd,
    Text,
    ToolCall,
)
from fantasy.providers.llamacpp.prompt import (
    CHATML_TEMPLATE,
    render,
    template_knows_tools,
    without_native_tools,
)
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FinishReason,
    FunctionTool,
    ReasoningContent,
    ResponseContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.objects import ObjectMode


@dataclass(slots=True)
class Sampling:
    """The provider's sampling defaults, used where a call sets nothing."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    seed: int | None = None


@dataclass(slots=True)
class _Plan:
    """A call checked and translated, everything but the prompt text (which needs the
    loaded model's template)."""

    call: Call
    tools: list[FunctionTool]
    tool_choice: str
    warnings: list[CallWarning] = field(default_factory=list)
    with_calls: bool = False
    call_format: CallFormat = HERMES
    """The template's (known once the model has loaded)."""


class LlamaCppLanguageModel(BaseLanguageModel):
    """A GGUF model run in this process by llama.cpp (see `fantasy.providers.llamacpp`)."""

    native_object_output = True
    native_output_with_tools = True

    def __init__(
        self,
        engine: Engine,
        model_id: str,
        *,
        provider_name: str,
        object_mode: ObjectMode | str,
        sampling: Sampling,
        chat_template: str | None,
        template_variables: Mapping[str, Any],
        parallel_tool_calls: bool = True,
        hooks: LocalHooks = DEFAULT_HOOKS,
    ):
        self.engine = engine
        self.model_id = model_id
        self.provider_name = provider_name
        self.object_mode = object_mode
        self.sampling = sampling
        self.chat_template = chat_template
        self.template_variables = dict(template_variables)
        self.parallel_tool_calls = parallel_tool_calls
        self.hooks = DEFAULT_HOOKS.merged(hooks)

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        """Raise `SchemaError` when llama.cpp's converter cannot make a grammar of
        ``schema`` (an agent checks its tools and output type when it is built)."""
        from fantasy.schema_dialects import SchemaError

        try:
            grammars.schema_rules(schema, "check-", where)
        except InvalidArgumentError as exc:
            raise SchemaError(str(exc), provider="llama.cpp") from exc

    # ------------------------------------------------------------------ planning

    def _plan(self, call: Call) -> _Plan:
        options = provider_options(call)
        tools: list[FunctionTool] = []
        warnings: list[CallWarning] = []
        for tool in call.tools:
            if isinstance(tool, FunctionTool):
                tools.append(tool)
            else:
                warnings.append(
                    CallWarning(
                        CallWarningType.UNSUPPORTED_TOOL,
                        tool=tool,
                        message="tool is not supported",
                    )
                )
        tool_choice = call.tool_choice or "auto"
        plan = _Plan(call, tools, tool_choice, warnings)
        plan.with_calls = bool(tools) and tool_choice != "none"
        if options.grammar is None:
            # Built now, so a schema llama.cpp cannot express fails before any work.
            grammars.output_grammar(tools, tool_choice, _answer_schema(call), thinks=False)
        return plan

    def _request(self, plan: _Plan, info: ModelInfo) -> Request:
        call, hooks = plan.call, self.hooks
        assert hooks.to_prompt and hooks.prepare_call  # merged over the defaults
        template = self.chat_template or info.chat_template or CHATML_TEMPLATE
        native = template_knows_tools(template)
        plan.call_format = call_format(template) if native else HERMES
        messages, prompt_warnings = hooks.to_prompt(call.prompt, self.provider_name, self.model_id)
        plan.warnings.extend(prompt_warnings)
        if not native:
            messages = without_native_tools(messages, plan.tools)
        sampling = self.sampling
        request = Request(
            prompt="",
            max_tokens=call.max_output_tokens,
            temperature=_pick(call.temperature, sampling.temperature),
            top_k=_pick(call.top_k, sampling.top_k),
            top_p=_pick(call.top_p, sampling.top_p),
            min_p=sampling.min_p,
            repeat_penalty=sampling.repeat_penalty,
            frequency_penalty=_pick(call.frequency_penalty, 0.0),
            presence_penalty=_pick(call.presence_penalty, 0.0),
            seed=sampling.seed,
            deadline=None if call.timeout is None else time.monotonic() + call.timeout,
            template_variables=dict(self.template_variables),
        )
        plan.warnings.extend(hooks.prepare_call(self, request, call))
        request.prompt = render(
            template,
            messages,
            plan.tools if native else [],
            bos_token=info.bos_token,
            eos_token=info.eos_token,
            variables=request.template_variables,
        )
        if request.grammar is None:
            request.grammar = grammars.output_grammar(
                plan.tools,
                plan.tool_choice,
                _answer_schema(call),
                thinks="<think>" in template,
                parallel_calls=self.parallel_tool_calls,
                call_format=plan.call_format,
            )
        return request

    # ------------------------------------------------------------------ running

    def _run_inline(self, plan: _Plan, stop: threading.Event) -> Iterator[str | Outcome]:
        return self.engine.run(lambda info: self._request(plan, info), stop)

    async def _engine_items(self, plan: _Plan) -> AsyncIterator[str | Outcome]:
        """The engine's text and outcome: inline on the sync face, from a thread of its
        own on the async face. Leaving early stops the generation."""
        from fantasy import _runtime

        stop = threading.Event()
        if _runtime.is_sync():
            items = self._run_inline(plan, stop)
            try:
                for item in items:
                    yield item
            finally:
                stop.set()
                close = getattr(items, "close", None)
                if close is not None:
                    close()
            return
        import asyncio
        import contextlib

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def put(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        def work() -> None:
            try:
                for item in self._run_inline(plan, stop):
                    put("item", item)
            except BaseException as exc:
                put("error", exc)
            finally:
                put("done", None)

        worker = threading.Thread(target=work, daemon=True, name="fantasy-llamacpp")
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()

    async def _parts(self, plan: _Plan) -> AsyncIterator[StreamPart]:
        """Stream parts of the generation; its failures are one ``error`` part."""
        from fantasy import _runtime

        reader: OutputReader | None = None
        writer = _PartWriter()
        outcome: Outcome | None = None
        warned = False
        try:
            async with _runtime.closing(self._engine_items(plan)) as items:
                async for item in items:
                    if reader is None:
                        # The request is made: its warnings and call format are known.
                        reader = OutputReader(plan.call_format if plan.with_calls else None)
                        warned = True
                        if plan.warnings:
                            yield _warnings(plan)
                    if isinstance(item, Outcome):
                        outcome = item
                        events = reader.finish()
                    else:
                        events = reader.feed(item)
                    for part in writer.parts(events):
                        yield part
        except (ProviderError, InvalidArgumentError, TimeoutError) as exc:
            if not warned and plan.warnings:
                yield _warnings(plan)
            yield StreamPart(StreamPartType.ERROR, error=_provider_error(exc))
            return
        for part in writer.close():
            yield part
        if outcome is None:  # stopped: the provider closed under this generation
            if not warned and plan.warnings:
                yield _warnings(plan)
            yield StreamPart(
                StreamPartType.ERROR,
                error=ProviderError(
                    "the generation was stopped before it finished",
                    title="llama.cpp generation stopped",
                    provider=self.provider_name,
                ),
            )
            return
        # The token limit wins: an answer cut short says so, even after complete calls.
        raw = "tool_calls" if writer.calls and outcome.finish == "stop" else outcome.finish
        assert self.hooks.map_finish_reason is not None  # merged over the defaults
        yield StreamPart(
            StreamPartType.FINISH,
            usage=_usage(outcome),
            finish_reason=self.hooks.map_finish_reason(raw),
            raw_finish_reason=raw,
            provider_metadata={NAME: self._metadata(outcome)},
            # No server names the answer: an id of its own, as llama.cpp's server and
            # Kronk's give theirs, and the model it was asked of.
            response_id=f"chatcmpl-{uuid.uuid4().hex}",
            response_model=self.model_id,
        )

    def _metadata(self, outcome: Outcome) -> ProviderMetadata:
        info = self.engine.info
        return ProviderMetadata(
            model=self.model_id,
            model_description=info.description if info else "",
            model_type=info.architecture if info else "",
            model_size_bytes=info.size_bytes if info else 0,
            cached_input_tokens=outcome.cached_tokens,
            output_tokens=outcome.output_tokens,
            tokens_per_second=outcome.tokens_per_second,
            time_to_first_token_ms=outcome.time_to_first_token_ms,
        )

    # ------------------------------------------------------------------ the faces

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; a call llama.cpp cannot run as given (options, schemas) raises
        here, failures while it runs arrive as one ``error`` part."""
        return self._parts(self._plan(call))

    async def agenerate(self, call: Call) -> Response:
        from fantasy import _runtime

        response = Response()
        texts: list[str] = []
        reasoning: list[str] = []
        async with _runtime.closing(self._parts(self._plan(call))) as parts:
            async for part in parts:
                kind = part.type
                if kind == StreamPartType.WARNINGS:
                    response.warnings = list(part.warnings or [])
                elif kind == StreamPartType.TEXT_DELTA:
                    texts.append(part.delta)
                elif kind == StreamPartType.REASONING_DELTA:
                    reasoning.append(part.delta)
                elif kind == StreamPartType.TOOL_CALL:
                    response.content.append(
                        ToolCallContent(part.id, part.tool_call_name, part.tool_call_input)
                    )
                elif kind == StreamPartType.ERROR:
                    assert part.error is not None
                    raise part.error
                elif kind == StreamPartType.FINISH:
                    response.usage = part.usage or Usage()
                    response.finish_reason = part.finish_reason or FinishReason.UNKNOWN
                    response.raw_finish_reason = part.raw_finish_reason
                    response.provider_metadata = part.provider_metadata or {}
                    response.response_id = part.response_id
                    response.response_model = part.response_model
        content = ResponseContent()
        if reasoning:
            content.append(ReasoningContent("".join(reasoning)))
        if texts:
            content.append(TextContent("".join(texts)))
        content.extend(response.content)
        response.content = content
        return response


def _warnings(plan: _Plan) -> StreamPart:
    return StreamPart(StreamPartType.WARNINGS, warnings=list(plan.warnings))


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _answer_schema(call: Call) -> dict[str, Any] | None:
    return call.response_format.schema if call.response_format is not None else None


def _usage(outcome: Outcome) -> Usage:
    return Usage(
        input_tokens=outcome.prompt_tokens,
        output_tokens=outcome.output_tokens,
        total_tokens=outcome.prompt_tokens + outcome.output_tokens,
        cache_read_tokens=outcome.cached_tokens,
    )


class _PartWriter:
    """Reader events to stream parts: opens and closes the text and reasoning blocks."""

    def __init__(self) -> None:
        self.text_open = False
        self.reasoning_open = False
        self.calls = 0

    def parts(self, events: list[Event]) -> Iterator[StreamPart]:
        for event in events:
            if isinstance(event, Reasoning):
                if not self.reasoning_open:
                    self.reasoning_open = True
                    yield StreamPart(StreamPartType.REASONING_START, id="reasoning-0")
                yield StreamPart(
                    StreamPartType.REASONING_DELTA, id="reasoning-0", delta=event.delta
                )
            elif isinstance(event, ReasoningEnd):
                if self.reasoning_open:
                    self.reasoning_open = False
                    yield StreamPart(StreamPartType.REASONING_END, id="reasoning-0")
            elif isinstance(event, Text):
                if not self.text_open:
                    self.text_open = True
                    yield StreamPart(StreamPartType.TEXT_START, id="0")
                yield StreamPart(StreamPartType.TEXT_DELTA, id="0", delta=event.delta)
            else:
                if self.text_open:
                    self.text_open = False
                    yield StreamPart(StreamPartType.TEXT_END, id="0")
                self.calls += 1
                yield from _call_parts(event)

    def close(self) -> Iterator[StreamPart]:
        if self.reasoning_open:
            self.reasoning_open = False
            yield StreamPart(StreamPartType.REASONING_END, id="reasoning-0")
        if self.text_open:
            self.text_open = False
            yield StreamPart(StreamPartType.TEXT_END, id="0")


def _call_parts(call: ToolCall) -> list[StreamPart]:
    import uuid  # here: its import (platform) weighs on importing the provider

    call_id = f"call_{uuid.uuid4().hex[:24]}"
    return [
        StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=call.name),
        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=call.arguments),
        StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id),
        StreamPart(
            StreamPartType.TOOL_CALL,
            id=call_id,
            tool_call_name=call.name,
            tool_call_input=call.arguments,
        ),
    ]


def _provider_error(exc: BaseException) -> BaseException:
    if isinstance(exc, TimeoutError):
        return ProviderError(
            str(exc), title="llama.cpp generation deadline", provider=NAME, cause=exc
        )
    return exc
