"""What happens to a step's tool calls: validation, repair, execution, and the history
messages the step leaves behind. Shared by the generating and the streaming loop, so
both treat tools identically.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fantasy import _json, _runtime
from fantasy._record import Record, replaced
from fantasy.errors import ToolCriticalError, ToolExecutionError
from fantasy.tools import AgentTool, ExecutableProviderTool, ToolCall, ToolResponse, as_response
from fantasy.types import (
    Content,
    FileContent,
    FilePart,
    Message,
    MessagePart,
    ReasoningContent,
    ReasoningPart,
    Role,
    TextContent,
    TextPart,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutput,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

if TYPE_CHECKING:
    from fantasy.agent.observe import RunObserver

logger = logging.getLogger("fantasy.agent")

MAX_PARALLEL_TOOLS = 5


class ToolCallRepairOptions(Record):
    """Given to a repair function: the failed call, why it failed, and the context."""

    __slots__ = (
        "original_tool_call",
        "validation_error",
        "available_tools",
        "system_prompt",
        "messages",
    )

    original_tool_call: ToolCallContent
    validation_error: str
    available_tools: list[AgentTool]
    system_prompt: str
    messages: list[Message]

    def __init__(
        self,
        original_tool_call: ToolCallContent,
        validation_error: str,
        available_tools: list[AgentTool],
        system_prompt: str,
        messages: list[Message],
    ) -> None:
        self.original_tool_call = original_tool_call
        self.validation_error = validation_error
        self.available_tools = available_tools
        self.system_prompt = system_prompt
        self.messages = messages


RepairToolCall = Callable[
    [ToolCallRepairOptions], "ToolCallContent | Awaitable[ToolCallContent | None] | None"
]


class StepTools(Record):
    """The tools one step can run, by name."""

    __slots__ = ("agent_tools", "provider_tools", "default_timeout", "observer")

    agent_tools: dict[str, AgentTool]
    provider_tools: dict[str, ExecutableProviderTool]
    default_timeout: float | None
    """The agent's ``tool_timeout``, for tools without a ``timeout`` of their own."""
    observer: RunObserver | None
    """The run's observer (`fantasy.agent.observe`), which hears each tool run."""

    def __init__(
        self,
        agent_tools: dict[str, AgentTool],
        provider_tools: dict[str, ExecutableProviderTool],
        default_timeout: float | None = None,
        observer: RunObserver | None = None,
    ) -> None:
        self.agent_tools = agent_tools
        self.provider_tools = provider_tools
        self.default_timeout = default_timeout
        self.observer = observer

    def names(self) -> list[str]:
        return [*self.agent_tools, *self.provider_tools]


# --------------------------------------------------------------------------- validation


def validation_error(call: ToolCallContent, tools: StepTools) -> str | None:
    """Fantasy's shallow check: the tool exists, the input is a JSON object, and the
    required keys are present. Types are left to the tool's own validation."""
    tool = tools.agent_tools.get(call.tool_name)
    provider_tool = tools.provider_tools.get(call.tool_name)
    if tool is None and provider_tool is None:
        return f"tool not found: {call.tool_name}. Available tools: {', '.join(tools.names())}"
    if provider_tool is not None and provider_tool.free_form_input:
        return None
    try:
        value = _json.loads(call.input)
    except ValueError as exc:
        return f"invalid JSON input: {exc}"
    if value is not None and not isinstance(value, dict):
        return f"invalid JSON input: expected a JSON object, got {type(value).__name__}"
    if tool is not None:
        for name in tool.info.required:
            if not value or name not in value:
                return f"missing required parameter: {name}"
    return None


async def validate_tool_call(
    call: ToolCallContent,
    tools: StepTools,
    repair: RepairToolCall | None,
    system_prompt: str,
    messages: list[Message],
) -> ToolCallContent:
    """The call as it will run: valid, repaired, or flagged invalid with the first error."""
    error = validation_error(call, tools)
    if error is None:
        return call
    if repair is not None:
        options = ToolCallRepairOptions(
            call, error, list(tools.agent_tools.values()), system_prompt, messages
        )
        try:
            repaired = await _runtime.call_user(repair, options)
        except Exception:
            logger.warning("tool-call repair function failed", exc_info=True)
            repaired = None
        if isinstance(repaired, ToolCallContent) and validation_error(repaired, tools) is None:
            return repaired
    else:
        fixed = _repair_json(call.input)
        if fixed and fixed != call.input:
            candidate = replaced(call, input=fixed)
            if validation_error(candidate, tools) is None:
                return candidate
    return replaced(call, invalid=True, validation_error=error)


def _repair_json(text: str) -> str:
    if not text.strip():
        return ""
    import json_repair

    try:
        fixed = json_repair.repair_json(text)
    except Exception:
        return ""
    return fixed if isinstance(fixed, str) else ""


# --------------------------------------------------------------------------- execution


def _output_of(response: ToolResponse) -> ToolResultOutput:
    if response.is_error:
        return ToolResultOutputError(response.content)
    if response.type in ("image", "media"):
        return ToolResultOutputMedia(response.media_base64, response.media_type, response.content)
    return ToolResultOutputText(response.content)


def _error_result(call: ToolCallContent, message: str) -> ToolResultContent:
    return ToolResultContent(call.tool_call_id, call.tool_name, ToolResultOutputError(message))


async def execute_tool(call: ToolCallContent, tools: StepTools) -> ToolResultContent:
    """Run one call. Any exception becomes an error result the model sees, except
    `ToolCriticalError`, which is raised as `ToolExecutionError` to stop the run."""
    if tools.observer is not None:
        kind = "extension" if call.tool_name in tools.provider_tools else "function"
        return await tools.observer.tool(call, kind, lambda: _execute_tool(call, tools))
    return await _execute_tool(call, tools)


async def _execute_tool(call: ToolCallContent, tools: StepTools) -> ToolResultContent:
    if call.invalid:
        return _error_result(call, call.validation_error or "invalid tool call")
    tool: AgentTool | ExecutableProviderTool | None = tools.agent_tools.get(call.tool_name)
    if tool is None:
        tool = tools.provider_tools.get(call.tool_name)
    if tool is None:
        return _error_result(call, f"tool not found: {call.tool_name}")
    timeout = getattr(tool, "timeout", None)
    if timeout is None:
        timeout = tools.default_timeout
    tool_call = ToolCall(call.tool_call_id, call.tool_name, call.input)
    try:
        response = await _runtime.with_timeout(lambda: _run_tool(tool, tool_call), timeout)
    except ToolCriticalError as exc:
        raise ToolExecutionError(
            f'tool "{call.tool_name}" stopped the run: {exc}', title="tool error", cause=exc
        ) from exc
    except TimeoutError as exc:
        if timeout is None:
            return _error_result(call, f'tool "{call.tool_name}" failed: TimeoutError: {exc}')
        logger.info("tool %r timed out after %gs", call.tool_name, timeout)
        return _error_result(call, f'tool "{call.tool_name}" timed out after {timeout:g}s')
    except Exception as exc:
        logger.info("tool %r raised", call.tool_name, exc_info=True)
        return _error_result(call, f'tool "{call.tool_name}" failed: {type(exc).__name__}: {exc}')
    if not isinstance(response, ToolResponse):
        try:
            response = as_response(response)
        except Exception as exc:
            return _error_result(
                call,
                f'tool "{call.tool_name}" returned {type(response).__name__}, which is neither '
                f"a ToolResponse, a string nor JSON-serialisable: {exc}",
            )
    return ToolResultContent(
        call.tool_call_id,
        call.tool_name,
        _output_of(response),
        client_metadata=response.metadata,
        stop_turn=response.stop_turn,
    )


async def _run_tool(tool: AgentTool | ExecutableProviderTool, call: ToolCall) -> Any:
    """A tool's ``run``, async or plain: a custom `AgentTool` may define either. A plain
    one runs in a worker thread on the async face, so it cannot stall the event loop."""
    run = tool.run
    if _runtime.is_coroutine_function(run):
        return await run(call)
    result: Any = await _runtime.run_in_worker(run, call)
    if hasattr(result, "__await__"):
        result = await result
    return result


def _is_parallel(call: ToolCallContent, tools: StepTools) -> bool:
    tool = tools.agent_tools.get(call.tool_name)
    return tool is not None and tool.info.parallel


async def execute_tools(
    calls: Sequence[ToolCallContent],
    tools: StepTools,
    on_result: Callable[[ToolResultContent], Awaitable[None]] | None = None,
) -> list[ToolResultContent]:
    """Run a step's calls: parallel-safe tools side by side (at most five at once), the
    others one at a time in model order. Results come back in call order, whatever order
    they finished in; ``on_result`` hears each one as it finishes."""
    results: dict[int, ToolResultContent] = {}
    batch: list[int] = []

    async def run_batch() -> None:
        jobs = [_indexed(i, calls[i], tools) for i in batch]
        # aclosing: if a callback raises, the tools still running are cancelled now,
        # not whenever the generator happens to be collected.
        async with contextlib.aclosing(_runtime.as_completed(jobs, MAX_PARALLEL_TOOLS)) as done:
            async for index, result in done:
                results[index] = result
                if on_result is not None:
                    await on_result(result)
        batch.clear()

    for index, call in enumerate(calls):
        if _is_parallel(call, tools) and not call.invalid:
            batch.append(index)
            continue
        if batch:
            await run_batch()
        result = await execute_tool(call, tools)
        results[index] = result
        if on_result is not None:
            await on_result(result)
    if batch:
        await run_batch()
    return [results[i] for i in range(len(calls))]


def _indexed(index: int, call: ToolCallContent, tools: StepTools) -> Callable[[], Any]:
    async def job() -> tuple[int, ToolResultContent]:
        return index, await execute_tool(call, tools)

    return job


# --------------------------------------------------------------------------- history


def response_messages(content: Sequence[Content]) -> list[Message]:
    """The history a step leaves: one assistant message, then one tool message.

    Content metadata becomes part options, so provider data such as reasoning
    signatures travels back to the provider on the next request. Sources are
    not sent back.
    """
    assistant: list[MessagePart] = []
    tool_results: list[MessagePart] = []
    for c in content:
        if isinstance(c, TextContent):
            assistant.append(TextPart(c.text, c.provider_metadata))
        elif isinstance(c, ReasoningContent):
            assistant.append(ReasoningPart(c.text, c.provider_metadata))
        elif isinstance(c, ToolCallContent):
            assistant.append(
                ToolCallPart(
                    c.tool_call_id, c.tool_name, c.input, c.provider_executed, c.provider_metadata
                )
            )
        elif isinstance(c, FileContent):
            assistant.append(FilePart(c.data, c.media_type, provider_options=c.provider_metadata))
        elif isinstance(c, ToolResultContent):
            part = ToolResultPart(
                c.tool_call_id,
                c.result,
                c.provider_executed,
                c.provider_metadata,
                c.client_metadata,
                c.stop_turn,
            )
            (assistant if c.provider_executed else tool_results).append(part)
    messages = []
    if assistant:
        messages.append(Message(Role.ASSISTANT, assistant))
    if tool_results:
        messages.append(Message(Role.TOOL, tool_results))
    return messages


def tools_by_name(
    agent_tools: Sequence[AgentTool],
    provider_tools: Sequence[ExecutableProviderTool],
    active: Sequence[str] | None,
) -> StepTools:
    def allowed(name: str) -> bool:
        return not active or name in active

    return StepTools(
        {t.name: t for t in agent_tools if allowed(t.name)},
        {t.name: t for t in provider_tools if allowed(t.name)},
    )


def merge_maps(
    base: Mapping[str, Any] | None, override: Mapping[str, Any] | None
) -> dict[str, Any]:
    merged = dict(base or {})
    merged.update(override or {})
    return merged
