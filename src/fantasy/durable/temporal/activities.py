"""The activities of a durable run: one model request, one tool run, and the listing of
the tools the agent's toolsets (MCP servers) offer for a step.

Everything a run does that is not deterministic happens here, in the worker, outside
the workflow: the HTTP request, the tool's side effects, the clock a timeout reads.
Temporal records each one's result in the workflow's history, so a run resumed on
another worker gets it from there instead of doing it again.

Errors: a provider error the agent would not retry (a 400, a bad key, a context
window) fails the activity for good; one it would retry (a 503, a 429, a dropped
stream) is retried by Temporal under the activity's retry policy, after the
provider's ``Retry-After`` when it sent one.
"""

from __future__ import annotations

import time
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from fantasy import _runtime
from fantasy.durable.temporal import codec
from fantasy.durable.temporal.registry import DurableAgent, StreamEvent, lookup
from fantasy.errors import ToolExecutionError
from fantasy.model import LanguageModel, Response
from fantasy.types import (
    CallWarning,
    FinishReason,
    ProviderMetadata,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

MODEL_REQUEST = "fantasy.model_request"
TOOL_RUN = "fantasy.tool_run"
TOOLSET_TOOLS = "fantasy.toolset_tools"
TOOL_ERROR_TYPE = "ToolExecutionError"


def _agent(payload: dict[str, Any]) -> DurableAgent:
    return lookup(payload["agent"])


def failure(err: BaseException) -> ApplicationError:
    """``err`` as the activity's failure: retryable exactly when the agent's own retry
    policy would retry it, after the provider's ``Retry-After`` if it gave one."""
    from fantasy.retry import header_delay, is_retryable

    delay = header_delay(err, 0.0, time.time()) if isinstance(err, Exception) else None
    return ApplicationError(
        str(err) or type(err).__name__,
        type=type(err).__name__,
        non_retryable=not is_retryable(err),
        next_retry_delay=None if delay is None else _timedelta(delay),
    )


def _timedelta(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


@activity.defn(name=MODEL_REQUEST)
async def model_request(payload: dict[str, Any]) -> dict[str, Any]:
    """One attempt of one model request: the registered agent's model, the call the
    workflow built. Streams to the agent's ``on_stream`` when it has one."""
    entry = _agent(payload)
    agent = entry.agent
    call = codec.call_from_json(payload["call"])
    if agent.headers:  # kept out of the workflow's history; the call's own win
        call.headers = {**agent.headers, **call.headers}
    model: LanguageModel = agent.model
    if agent.limiter is not None:
        model = agent.limiter.limit(model)
    try:
        if entry.on_stream is None:
            response = await model.agenerate(call)
        else:
            response = await _streamed(model, call, entry, payload)
    except Exception as err:
        raise failure(err) from err
    return codec.response_to_json(response)


async def _streamed(
    model: LanguageModel, call: Any, entry: DurableAgent, payload: dict[str, Any]
) -> Response:
    info = activity.info()
    on_stream = entry.on_stream
    assert on_stream is not None
    collector = StreamCollector()
    async with _runtime.closing(model.astream(call)) as parts:
        async for part in parts:
            # A stream that is still flowing is an activity that is alive: with a
            # heartbeat_timeout, a worker lost mid-stream is noticed that soon.
            activity.heartbeat()
            collector.add(part)
            event = StreamEvent(
                payload["agent"],
                info.workflow_id or "",
                info.workflow_run_id or "",
                int(payload.get("request", 0)),
                info.attempt,
                part,
            )
            await _deliver(on_stream, event)
    return collector.response()


async def _deliver(on_stream: Any, event: StreamEvent) -> None:
    """Give ``event`` to ``on_stream``: awaited when it is async, else on a thread, so a
    slow consumer does not hold the worker's event loop (its other activities, its
    workflows, the heartbeats)."""
    if _runtime.is_coroutine_function(on_stream):
        await on_stream(event)
        return
    import asyncio

    result = await asyncio.to_thread(on_stream, event)
    if hasattr(result, "__await__"):
        await result


@activity.defn(name=TOOL_RUN)
async def tool_run(payload: dict[str, Any]) -> dict[str, Any]:
    """One tool call, run as the agent runs it (its timeout, its error results); a
    `fantasy.ToolCriticalError` fails the activity for good, and the run with it."""
    from fantasy.agent.steps import execute_tool, tools_by_name

    agent = _agent(payload).agent
    own = list(agent.tools)
    if payload["name"] not in {t.info.name for t in own}:
        own.extend(await _toolset_tools(agent))  # an MCP server's tool, say
    tools = tools_by_name(own, agent.executable_provider_tools, None)
    tools.default_timeout = agent.tool_timeout
    call = ToolCallContent(payload["id"], payload["name"], payload["input"])
    try:
        result = await execute_tool(call, tools)
    except ToolExecutionError as err:
        raise ApplicationError(str(err), type=TOOL_ERROR_TYPE, non_retryable=True) from err
    return codec.tool_result_to_json(result)


@activity.defn(name=TOOLSET_TOOLS)
async def toolset_tools(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The tools the agent's toolsets (MCP servers) offer now, as the workflow lists them
    for each step: what the model is told of each, and whether a call needs approval."""
    agent = _agent(payload).agent
    try:
        tools = await _toolset_tools(agent)
    except Exception as err:
        raise failure(err) from err
    out = []
    for tool in tools:
        info = tool.info
        needs = getattr(tool, "needs_approval", False)
        out.append(
            {
                "name": info.name,
                "description": info.description,
                "parameters": info.parameters,
                "required": list(info.required),
                "parallel": info.parallel,
                "schema": getattr(info, "schema", None),
                # A function of the input cannot travel: every call of such a tool asks.
                "needs_approval": needs is not None and needs is not False,
            }
        )
    return out


_ENTERED: list[Any] = []
"""Toolsets this worker process started (a server's subprocess, its connection): they
stay up for the process's life, shared by every run's activities."""


async def _toolset_tools(agent: Any) -> list[Any]:
    toolsets = list(getattr(agent, "toolsets", None) or ())
    if not toolsets:
        return []
    from fantasy.agent.toolsets import RunToolsets

    for toolset in toolsets:
        if not any(toolset is entered for entered in _ENTERED):
            await toolset.__aenter__()
            _ENTERED.append(toolset)
    listing = RunToolsets(toolsets)
    try:
        return await listing.tools(agent.tools)
    finally:
        await listing.close()


class StreamCollector:
    """A streamed answer put together as the `Response` ``agenerate`` would have given."""

    def __init__(self) -> None:
        self.content = ResponseContent()
        self.texts: dict[str, tuple[list[str], ProviderMetadata | None]] = {}
        self.reasonings: dict[str, tuple[list[str], ProviderMetadata | None]] = {}
        self.warnings: list[CallWarning] = []
        self.usage = Usage()
        self.finish_reason = FinishReason.UNKNOWN
        self.raw_finish_reason = ""
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.turn_paused = False
        self.metadata: ProviderMetadata = {}

    def add(self, part: StreamPart) -> None:
        t = part.type
        if t is StreamPartType.TEXT_START:
            self.texts[part.id] = ([], part.provider_metadata)
        elif t is StreamPartType.TEXT_DELTA:
            self.texts.setdefault(part.id, ([], None))[0].append(part.delta)
        elif t is StreamPartType.TEXT_END:
            texts, metadata = self.texts.pop(part.id, ([], None))
            self.content.append(TextContent("".join(texts), part.provider_metadata or metadata))
        elif t is StreamPartType.REASONING_START:
            self.reasonings[part.id] = ([part.delta], part.provider_metadata)
        elif t is StreamPartType.REASONING_DELTA:
            texts, metadata = self.reasonings.setdefault(part.id, ([], None))
            texts.append(part.delta)
            if part.provider_metadata:
                self.reasonings[part.id] = (texts, part.provider_metadata)
        elif t is StreamPartType.REASONING_END:
            texts, metadata = self.reasonings.pop(part.id, ([], None))
            self.content.append(
                ReasoningContent("".join(texts), part.provider_metadata or metadata)
            )
        elif t is StreamPartType.TOOL_CALL:
            self.content.append(
                ToolCallContent(
                    part.id,
                    part.tool_call_name,
                    part.tool_call_input,
                    part.provider_executed,
                    part.provider_metadata,
                )
            )
        elif t is StreamPartType.TOOL_RESULT and part.provider_executed:
            self.content.append(
                part.tool_result
                or ToolResultContent(
                    part.id,
                    part.tool_call_name,
                    None,
                    provider_executed=True,
                    provider_metadata=part.provider_metadata,
                )
            )
        elif t is StreamPartType.SOURCE:
            self.content.append(
                part.source
                or SourceContent(
                    part.source_type or SourceType.URL,
                    part.id,
                    url=part.url,
                    title=part.title,
                    provider_metadata=part.provider_metadata,
                )
            )
        elif t is StreamPartType.FILE and part.file is not None:
            self.content.append(part.file)
        elif t is StreamPartType.WARNINGS:
            self.warnings.extend(part.warnings or ())
        elif t is StreamPartType.FINISH:
            self.usage = part.usage or Usage()
            self.finish_reason = part.finish_reason or FinishReason.UNKNOWN
            self.raw_finish_reason = part.raw_finish_reason
            self.response_id = part.response_id
            self.response_model = part.response_model
            self.turn_paused = part.turn_paused
            self.metadata = part.provider_metadata or {}
        elif t is StreamPartType.ERROR:
            error = part.error
            if isinstance(error, Exception):
                raise error
            raise RuntimeError(f"stream error: {error}")

    def response(self) -> Response:
        return Response(
            self.content,
            self.finish_reason,
            self.usage,
            self.warnings,
            self.metadata,
            self.raw_finish_reason,
            self.response_id,
            self.response_model,
            self.turn_paused,
        )
