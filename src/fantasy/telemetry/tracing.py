"""Spans and metrics for agent runs, as the OpenTelemetry GenAI conventions name them.

`Telemetry` is an agent observer (`fantasy.agent.observe`): each run becomes an
``invoke_agent`` span; each model request of it (every attempt: a retried step shows
one ``chat {model}`` span per attempt, numbered) a child ``chat`` span; each tool run
an ``execute_tool {name}`` span. A `fantasy.FallbackModel` that switched models adds
a ``fantasy.fallback`` event per model that failed. Streamed requests' spans last
until the stream ends and note the time to the first chunk.

Spans are parented explicitly (not through the ambient context), so a stream read
across yields, threads or the sync face keeps its tree. For the user's own spans the
run's span is made current while the run's code runs (`RunTrace.activate`: a whole
generate, each part of a stream), so spans opened in ``prepare_step``, callbacks or
stop conditions nest under ``invoke_agent``; the model and tool spans are made current
while a request (a whole one, or each part of a stream) or a tool runs, so spans the
user's code or HTTP instrumentation opens there nest under them.

A `TracedModel` also traces direct model calls (`fantasy.telemetry.direct`), with a
`DirectCalls` in place of the run. While a traced request runs, `IN_CHAT` is set, so
that the models it calls in turn (a fallback model's members, a limiter's model, a
provider model's parent class) are not traced a second time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from fantasy import __version__
from fantasy.errors import redact_text
from fantasy.telemetry import semconv as sc
from fantasy.telemetry.content import (
    DEFAULT_MAX_LENGTH,
    ContentPolicy,
    Redact,
    input_messages,
    output_messages,
    tool_result,
)
from fantasy.types import (
    FinishReason,
    ResponseContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.agent.observe import RunStart
    from fantasy.agent.run_types import AgentResult
    from fantasy.model import Call, LanguageModel, Response

__all__ = ["Telemetry"]

ERROR_TEXT_LIMIT = 1000
"""Characters kept of an error's text in a span's status or event."""

IN_CHAT: ContextVar[bool] = ContextVar("fantasy_telemetry_in_chat", default=False)
"""True while a traced model request runs (a whole one, or each step of a stream)."""


class Telemetry:
    """Traces and metrics of agent runs, sent to OpenTelemetry providers.

    Give it to one agent (``Agent(..., telemetry=Telemetry())``) or to every agent
    (`fantasy.telemetry.instrument`). ``tracer_provider`` / ``meter_provider`` default
    to OpenTelemetry's global ones. ``capture_content`` records prompts, answers, tool
    arguments and results (off by default: they may hold personal data); each value
    is passed to ``redact(attribute, text)`` if given, cleaned of every credential
    fantasy knows (always, whatever the hook does) and cut to ``max_content_length``
    characters. ``cost`` adds ``fantasy.cost.usd`` where the cost extra knows the price.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool = False,
        max_content_length: int = DEFAULT_MAX_LENGTH,
        redact: Redact | None = None,
        cost: bool = True,
    ):
        if redact is not None and not callable(redact):
            raise TypeError(f"redact must be a function, got {type(redact).__name__}")
        self.content = ContentPolicy(bool(capture_content), max_content_length, redact)
        self.cost = cost
        self.tracer = trace.get_tracer(
            "fantasy", __version__, tracer_provider=tracer_provider, schema_url=sc.SCHEMA_URL
        )
        meter = metrics.get_meter(
            "fantasy", __version__, meter_provider=meter_provider, schema_url=sc.SCHEMA_URL
        )
        self.token_usage = meter.create_histogram(
            sc.GEN_AI_CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_USAGE_BUCKETS),
        )
        self.duration = meter.create_histogram(
            sc.GEN_AI_CLIENT_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self.time_to_first_chunk = meter.create_histogram(
            sc.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )

    def start_run(self, start: RunStart) -> RunTrace:
        return RunTrace(self, start)


def provider_name(model: Any) -> str:
    name = str(getattr(model, "provider", "") or "")
    return sc.PROVIDER_NAMES.get(name, name)


def _inner(model: Any) -> Any:
    """The model under a limiter's wrapper, and a fallback model's primary."""
    model = getattr(model, "wrapped", model)
    members = getattr(model, "models", None)
    if isinstance(members, list) and members:
        return _inner(members[0])
    return model


def _server(model: Any) -> dict[str, Any]:
    url = getattr(model, "url", None)
    if not isinstance(url, str) or "://" not in url:
        return {}
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    if host:
        out[sc.SERVER_ADDRESS] = host
        out[sc.SERVER_PORT] = port or (443 if parts.scheme == "https" else 80)
    return out


def _error_text(error: BaseException) -> str:
    text = redact_text(f"{type(error).__name__}: {error}")
    return text if len(text) <= ERROR_TEXT_LIMIT else text[: ERROR_TEXT_LIMIT - 3] + "..."


def _record_error(span: trace.Span, error: BaseException) -> str:
    """Mark ``span`` failed by ``error``; its credentials redacted. Returns error.type."""
    import traceback

    kind = type(error).__qualname__
    span.set_attribute(sc.ERROR_TYPE, kind)
    span.set_status(Status(StatusCode.ERROR, _error_text(error)))
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    span.add_event(
        "exception",
        {
            "exception.type": f"{type(error).__module__}.{kind}",
            "exception.message": redact_text(str(error))[:ERROR_TEXT_LIMIT],
            "exception.stacktrace": redact_text(stack),
        },
    )
    return kind


def _usage_attributes(usage: Usage) -> dict[str, Any]:
    """Input and output counts always; cached and reasoning counts where there are any."""
    out = {
        sc.GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
    }
    for name, count in (
        (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cache_read_tokens),
        (sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_creation_tokens),
        (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens),
    ):
        if count:
            out[name] = count
    return out


_SETTINGS = (
    ("max_output_tokens", sc.GEN_AI_REQUEST_MAX_TOKENS),
    ("temperature", sc.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", sc.GEN_AI_REQUEST_TOP_P),
    ("top_k", sc.GEN_AI_REQUEST_TOP_K),
    ("presence_penalty", sc.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", sc.GEN_AI_REQUEST_FREQUENCY_PENALTY),
)


class RunTrace:
    """One run's ``invoke_agent`` span and the spans under it."""

    def __init__(self, telemetry: Telemetry, start: RunStart):
        self.telemetry = telemetry
        agent = start.agent
        name = str(getattr(agent, "name", "") or "")
        model = _inner(agent.model)
        attributes: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OPERATION_INVOKE_AGENT,
            sc.GEN_AI_PROVIDER_NAME: provider_name(model),
            sc.GEN_AI_REQUEST_MODEL: str(getattr(model, "model", "") or ""),
            sc.FANTASY_RUN_ID: uuid.uuid4().hex,
            sc.GEN_AI_REQUEST_STREAM: start.stream,
        }
        if name:
            attributes[sc.GEN_AI_AGENT_NAME] = name
        self.span = telemetry.tracer.start_span(
            f"invoke_agent {name}" if name else "invoke_agent",
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        self.context = trace.set_span_in_context(self.span)
        self._call: Call | None = None
        self._attempt = 0
        self.requests = 0
        self.cost: float | None = 0.0

    # ------------------------------------------------------------------ RunObserver

    def activate(self) -> Callable[[], None]:
        """Make the run's span current here; the function that undoes it (called by the
        loop in the same context, so the token never crosses tasks)."""
        return partial(otel_context.detach, otel_context.attach(self.context))

    def model(self, model: LanguageModel, call: Call) -> LanguageModel:
        if call is self._call:
            self._attempt += 1
        else:
            self._call, self._attempt = call, 1
        self.requests += 1
        return TracedModel(self, model, self._attempt)

    async def tool(
        self,
        call: ToolCallContent,
        tool_type: str,
        execute: Callable[[], Awaitable[ToolResultContent]],
    ) -> ToolResultContent:
        content = self.telemetry.content
        attributes: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OPERATION_EXECUTE_TOOL,
            sc.GEN_AI_TOOL_NAME: call.tool_name,
            sc.GEN_AI_TOOL_CALL_ID: call.tool_call_id,
            sc.GEN_AI_TOOL_TYPE: tool_type,
        }
        if content.capture:
            attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = content.clean(
                sc.GEN_AI_TOOL_CALL_ARGUMENTS, call.input
            )
        span = self.telemetry.tracer.start_span(
            f"execute_tool {call.tool_name}",
            context=self.context,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=False):
                result = await execute()
        except BaseException as error:
            _record_error(span, error)
            span.end()
            raise
        output = result.result
        if isinstance(output, ToolResultOutputError):
            # The tool failed (or the call was invalid); the model is told, the run goes on.
            span.set_attribute(
                sc.ERROR_TYPE, "ToolError" if not call.invalid else "InvalidToolCall"
            )
            text = redact_text(output.error)
            span.set_status(Status(StatusCode.ERROR, text[:ERROR_TEXT_LIMIT]))
        if content.capture:
            span.set_attribute(
                sc.GEN_AI_TOOL_CALL_RESULT,
                content.clean(sc.GEN_AI_TOOL_CALL_RESULT, tool_result(result)),
            )
        span.end()
        return result

    def end(self, result: AgentResult[Any] | None, error: BaseException | None) -> None:
        span = self.span
        if result is not None:
            span.set_attribute(sc.FANTASY_RUN_STEPS, len(result.steps))
            span.set_attributes(_usage_attributes(result.total_usage))
            if result.steps:
                reason = str(result.steps[-1].finish_reason)
                span.set_attribute(sc.GEN_AI_RESPONSE_FINISH_REASONS, [reason])
        if self.cost is not None and self.requests and self.telemetry.cost:
            span.set_attribute(sc.FANTASY_COST_USD, self.cost)
        if error is not None:
            partial = getattr(error, "partial_result", None)
            steps = getattr(partial, "steps", None)
            if isinstance(steps, list):
                span.set_attribute(sc.FANTASY_RUN_STEPS, len(steps))
            _record_error(span, error)
        elif result is None:
            span.add_event("fantasy.run.closed", {"reason": "closed before the run finished"})
        span.end()

    def add_cost(self, cost: float | None) -> None:
        if cost is None or self.cost is None:
            self.cost = None
        else:
            self.cost += cost


class DirectCalls:
    """What a direct model call (outside an agent) has in place of a run: the caller's
    current span as the parent of its ``chat`` span, and no run to add its cost to."""

    __slots__ = ("telemetry",)

    context = None

    def __init__(self, telemetry: Telemetry):
        self.telemetry = telemetry

    def add_cost(self, cost: float | None) -> None:
        pass


class TracedModel:
    """A model whose requests are ``chat`` spans and duration and token metrics.
    ``attempt`` numbers a run's attempts of one step; 0 for a direct call (not set)."""

    def __init__(self, run: RunTrace | DirectCalls, model: LanguageModel, attempt: int):
        self._run = run
        self._model = model
        self._attempt = attempt

    @property
    def provider(self) -> str:
        return self._model.provider

    @property
    def model(self) -> str:
        return self._model.model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    # ------------------------------------------------------------------ spans

    def _start(self, call: Call, stream: bool) -> tuple[trace.Span, dict[str, Any]]:
        run = self._run
        inner = _inner(self._model)
        request_model = str(getattr(inner, "model", "") or "")
        common: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OPERATION_CHAT,
            sc.GEN_AI_PROVIDER_NAME: provider_name(inner),
            sc.GEN_AI_REQUEST_MODEL: request_model,
            **_server(inner),
        }
        attributes = dict(common)
        attributes[sc.GEN_AI_REQUEST_STREAM] = stream
        if self._attempt:
            attributes[sc.FANTASY_REQUEST_ATTEMPT] = self._attempt
        for field, name in _SETTINGS:
            value = getattr(call, field, None)
            if value is not None:
                attributes[name] = value
        content = run.telemetry.content
        if content.capture:
            system, chat = input_messages(call.prompt)
            if system:
                attributes[sc.GEN_AI_SYSTEM_INSTRUCTIONS] = content.clean(
                    sc.GEN_AI_SYSTEM_INSTRUCTIONS, system
                )
            if chat:
                attributes[sc.GEN_AI_INPUT_MESSAGES] = content.clean(sc.GEN_AI_INPUT_MESSAGES, chat)
        span = run.telemetry.tracer.start_span(
            f"chat {request_model}" if request_model else "chat",
            context=run.context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        return span, common

    def _finish(
        self,
        span: trace.Span,
        common: dict[str, Any],
        started: float,
        content: ResponseContent | None,
        finish_reason: FinishReason | None,
        usage: Usage | None,
        metadata: Any,
        error: BaseException | None,
        answer: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """End a request's span; ``answer`` is the provider's id of its answer and the
        model that answered, as the answer named them."""
        run = self._run
        telemetry = run.telemetry
        metric_attributes = dict(common)
        answered = _answering(self._model, metadata)
        if answered is not None:
            answered_provider = provider_name(answered)
            answered_model = str(getattr(answered, "model", "") or "")
            span.set_attribute(sc.GEN_AI_PROVIDER_NAME, answered_provider)
            span.set_attribute(sc.GEN_AI_RESPONSE_MODEL, answered_model)
            metric_attributes[sc.GEN_AI_PROVIDER_NAME] = answered_provider
            metric_attributes[sc.GEN_AI_RESPONSE_MODEL] = answered_model
        response_id, response_model = answer
        if response_model:
            span.set_attribute(sc.GEN_AI_RESPONSE_MODEL, response_model)
            metric_attributes[sc.GEN_AI_RESPONSE_MODEL] = response_model
        _fallback_events(span, metadata, error)
        response_id = response_id or _response_id(metadata)
        if response_id:
            span.set_attribute(sc.GEN_AI_RESPONSE_ID, response_id)
        if finish_reason is not None:
            span.set_attribute(sc.GEN_AI_RESPONSE_FINISH_REASONS, [str(finish_reason)])
        if usage is not None:
            span.set_attributes(_usage_attributes(usage))
            if usage.input_tokens or usage.output_tokens:
                for kind, count in (
                    (sc.TOKEN_TYPE_INPUT, usage.input_tokens),
                    (sc.TOKEN_TYPE_OUTPUT, usage.output_tokens),
                ):
                    telemetry.token_usage.record(
                        count, {**metric_attributes, sc.GEN_AI_TOKEN_TYPE: kind}
                    )
            if telemetry.cost:
                cost = _cost(usage, self._model, metadata)
                run.add_cost(cost)
                if cost is not None:
                    span.set_attribute(sc.FANTASY_COST_USD, cost)
        if error is not None:
            metric_attributes[sc.ERROR_TYPE] = _record_error(span, error)
            run.add_cost(None)  # what a failed request cost is not known
        elif content is not None and telemetry.content.capture:
            text = output_messages(content, str(finish_reason or FinishReason.UNKNOWN))
            span.set_attribute(
                sc.GEN_AI_OUTPUT_MESSAGES, telemetry.content.clean(sc.GEN_AI_OUTPUT_MESSAGES, text)
            )
        telemetry.duration.record(time.perf_counter() - started, metric_attributes)
        span.end()

    # ------------------------------------------------------------------ the model

    async def agenerate(self, call: Call) -> Response:
        span, common = self._start(call, stream=False)
        started = time.perf_counter()
        inside = IN_CHAT.set(True)
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=False):
                response = await self._model.agenerate(call)
        except BaseException as error:
            self._finish(span, common, started, None, None, None, None, error)
            raise
        finally:
            IN_CHAT.reset(inside)
        self._finish(
            span,
            common,
            started,
            response.content,
            response.finish_reason,
            response.usage,
            response.provider_metadata,
            None,
            (response.response_id, response.response_model),
        )
        return response

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        return self.stream_of(call, None)

    async def stream_of(
        self, call: Call, parts: AsyncIterator[StreamPart] | None
    ) -> AsyncIterator[StreamPart]:
        """The traced stream of ``call``: ``parts`` when the model's stream was opened
        already (a direct call, where a refused call raises at once), else opened here."""
        span, common = self._start(call, stream=True)
        started = time.perf_counter()
        first = True
        capture = self._run.telemetry.content.capture
        texts: list[str] = []
        content = ResponseContent() if capture else None
        finish: StreamPart | None = None
        failed: BaseException | None = None
        if parts is None:
            inside = IN_CHAT.set(True)
            try:
                parts = self._model.astream(call)
            finally:
                IN_CHAT.reset(inside)
        produced = _current_while_producing(parts, span)
        try:
            async for part in produced:
                if first:
                    first = False
                    waited = time.perf_counter() - started
                    span.set_attribute(sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, waited)
                    span.add_event(sc.FANTASY_FIRST_CHUNK_EVENT)
                    self._run.telemetry.time_to_first_chunk.record(waited, common)
                kind = part.type
                if content is not None:
                    if kind is StreamPartType.TEXT_DELTA:
                        texts.append(part.delta)
                    elif kind is StreamPartType.TEXT_END:
                        content.append(TextContent("".join(texts)))
                        texts.clear()
                    elif kind is StreamPartType.TOOL_CALL:
                        content.append(
                            ToolCallContent(part.id, part.tool_call_name, part.tool_call_input)
                        )
                if kind is StreamPartType.FINISH:
                    finish = part
                elif kind is StreamPartType.ERROR:
                    err = part.error
                    failed = err if isinstance(err, BaseException) else RuntimeError(str(err))
                yield part
        except BaseException as error:
            if isinstance(error, GeneratorExit) and failed is None and finish is None:
                span.add_event("fantasy.stream.closed", {"reason": "closed before it finished"})
            elif not isinstance(error, GeneratorExit):
                failed = error
            if failed is None:
                self._end_stream(span, common, started, content, finish)
            else:
                self._finish(span, common, started, None, None, None, None, failed)
            raise
        finally:  # closed early too: the model's stream (its HTTP response) closes now
            await produced.aclose()
        if failed is not None:
            self._finish(span, common, started, None, None, None, None, failed)
        else:
            self._end_stream(span, common, started, content, finish)

    def _end_stream(
        self,
        span: trace.Span,
        common: dict[str, Any],
        started: float,
        content: ResponseContent | None,
        finish: StreamPart | None,
    ) -> None:
        if finish is None:
            self._finish(span, common, started, content, None, None, None, None)
            return
        self._finish(
            span,
            common,
            started,
            content,
            finish.finish_reason,
            finish.usage,
            finish.provider_metadata,
            None,
            (finish.response_id, finish.response_model),
        )


async def _current_while_producing(
    parts: AsyncIterator[StreamPart], span: trace.Span
) -> AsyncGenerator[StreamPart, None]:
    """``parts`` with ``span`` current while each one is produced (so spans the model's
    own code or HTTP instrumentation opens nest under it), never across a yield: the
    context is attached and detached within one step of this generator."""
    context = trace.set_span_in_context(span)
    try:
        while True:
            token = otel_context.attach(context)
            inside = IN_CHAT.set(True)
            try:
                part = await parts.__anext__()
            except StopAsyncIteration:
                return
            finally:
                IN_CHAT.reset(inside)
                otel_context.detach(token)
            yield part
    finally:
        aclose = getattr(parts, "aclose", None)
        if aclose is not None:
            await aclose()


def _answering(model: Any, metadata: Any) -> Any:
    """The member of a fallback model that answered, if it says so."""
    if not isinstance(metadata, dict) or "fallback" not in metadata:
        return None
    from fantasy.cost import answering_model

    return answering_model(getattr(model, "wrapped", model), metadata)


def _fallback_events(span: trace.Span, metadata: Any, error: BaseException | None) -> None:
    failures: list[tuple[str, str, str]] = []
    answered = metadata.get("fallback") if isinstance(metadata, dict) else None
    for failure in getattr(answered, "failures", None) or ():
        failures.append((failure.provider, failure.model, failure.error))
    errors = getattr(error, "errors", None)
    names = getattr(error, "models", None)
    if isinstance(errors, list) and isinstance(names, list):
        for name, failed in zip(names, errors, strict=False):
            provider, _, model = str(name).partition(":")
            failures.append((provider, model, f"{type(failed).__name__}: {failed}"))
    for provider, model, text in failures:
        span.add_event(
            sc.FANTASY_FALLBACK_EVENT,
            {
                sc.FANTASY_FALLBACK_FAILED_PROVIDER: sc.PROVIDER_NAMES.get(provider, provider),
                sc.FANTASY_FALLBACK_FAILED_MODEL: model,
                sc.FANTASY_FALLBACK_ERROR: redact_text(text)[:ERROR_TEXT_LIMIT],
            },
        )


def _response_id(metadata: Any) -> str:
    """The provider's id of its answer, where its metadata carries one."""
    if not isinstance(metadata, dict):
        return ""
    for value in metadata.values():
        found = getattr(value, "response_id", None)
        if isinstance(found, str) and found:
            return found
    return ""


def _cost(usage: Usage, model: Any, metadata: Any) -> float | None:
    from fantasy.cost import answering_model, cost_of

    try:
        cost = cost_of(usage, answering_model(getattr(model, "wrapped", model), metadata))
    except Exception:  # pricing never breaks a request
        return None
    return float(cost.amount) if cost.amount is not None else None
