"""The AI SDK's UI message stream (protocol v1), the one `useChat` reads.

An agent stream's parts become the protocol's chunks (``start``, ``start-step``,
``text-start``/``-delta``/``-end``, ``reasoning-*``, ``tool-input-start``/``-delta``/
``-available``, ``tool-output-available``/``-error``, ``source-url``/``-document``,
``file``, ``finish-step``, ``finish``, ``error``, ``abort``), each one SSE ``data:``
event, the stream closed by ``data: [DONE]``. The response carries the
``x-vercel-ai-ui-message-stream: v1`` header (`HEADERS`).

Fantasy's steps end with the model's ``finish`` part and then the step's tool results,
so a step's ``finish-step`` is sent when the next step's first part (or the end of
the run) shows it is over: the tool outputs stay inside the step that called them, as
the client expects. `UIMessageStreamEncoder` is the pure translation (a part in, chunks
out); `stream_chunks` / `stream_events` drive it over an agent stream.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
)
from typing import Any

from fantasy.types import (
    JSON,
    FileContent,
    FinishReason,
    ProviderMetadata,
    SourceType,
    StreamPart,
    StreamPartType,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    Usage,
)
from fantasy.ui._errors import ErrorText, error_text, logger
from fantasy.ui._sse import DONE, sse_event

HEADERS: dict[str, str] = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "connection": "keep-alive",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
"""The response headers of a UI message stream (the last one stops nginx buffering)."""

MessageMetadata = Callable[[Usage, FinishReason, int], Any]
"""``(total usage, last finish reason, steps) -> JSON value``: the ``finish`` chunk's
``messageMetadata`` (``message.metadata`` on the client)."""

_FINISH_REASONS = {"stop", "length", "content-filter", "tool-calls", "error", "other"}


def default_metadata(usage: Usage, finish_reason: FinishReason, steps: int) -> JSON:
    """Usage under the AI SDK's names, the finish reason and the number of steps."""
    return {
        "finishReason": _finish_reason(finish_reason),
        "steps": steps,
        "usage": {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "totalTokens": usage.total_tokens,
            "reasoningTokens": usage.reasoning_tokens,
            "cachedInputTokens": usage.cache_read_tokens,
        },
    }


def _finish_reason(reason: FinishReason | None) -> str:
    value = str(reason) if reason is not None else "other"
    return value if value in _FINISH_REASONS else "other"


def json_or_text(text: str) -> Any:
    """A tool's text output as the client best renders it: a JSON object or array
    decoded, anything else (plain text, a bare number) kept as the text it is."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def tool_output(result: ToolResultContent) -> tuple[str, Any]:
    """``("error", text)`` for a failed call, else ``("output", value)``."""
    output = result.result
    if isinstance(output, ToolResultOutputError):
        return "error", output.error
    if isinstance(output, ToolResultOutputText):
        return "output", json_or_text(output.text)
    if isinstance(output, ToolResultOutputMedia):
        media: JSON = {"type": "media", "mediaType": output.media_type, "data": output.data}
        if output.text:
            media["text"] = output.text
        return "output", media
    return "output", None


def _data_url(file: FileContent) -> str:
    return f"data:{file.media_type};base64,{base64.b64encode(file.data).decode('ascii')}"


def _jsonable(value: Any) -> Any:
    """A typed output (a pydantic model, a dataclass...) as JSON data."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


class UIMessageStreamEncoder:
    """One response message's chunks, built part by part.

    Call `start` once, `encode` for each agent stream part, then `finish` (or `fail`
    with the run's exception, or `abort`). Each returns the chunks to send, as dicts.
    """

    def __init__(
        self,
        *,
        message_id: str | None = None,
        metadata: MessageMetadata | None = default_metadata,
        on_error: ErrorText | None = None,
        denied_calls: Collection[str] = (),
    ) -> None:
        self.message_id = message_id or f"msg-{new_id()}"
        self._denied = frozenset(denied_calls)
        """Calls the user denied (approvals answered no): their result is sent as
        ``tool-output-denied``, so the page shows a denial, not a failure."""
        self._metadata = metadata
        self._on_error = on_error
        self._in_step = False
        self._model_done = False
        """The step's model call has finished: what follows is its tool results."""
        self._steps = 0
        self._usage = Usage()
        self._finish_reason: FinishReason | None = None
        self._started_inputs: set[str] = set()
        self._reasoning_metadata: dict[str, ProviderMetadata | None] = {}
        self._asked: dict[str, JSON] = {}
        """Approval requests held until the step ends: a call the server's ``approve``
        decides gets its result first and the page is never asked (it would show Allow
        and Deny until the result replaced them); the rest are sent when the run
        pauses, as AG-UI's interrupt outcome is."""

    def start(self) -> list[JSON]:
        return [{"type": "start", "messageId": self.message_id}]

    def encode(self, part: StreamPart) -> list[JSON]:
        t = part.type
        if t is StreamPartType.WARNINGS:
            return []  # what the provider could not honour is the server's business
        out: list[JSON] = []
        belongs_to_step = (
            t is StreamPartType.TOOL_RESULT and not part.provider_executed
        ) or t is StreamPartType.TOOL_APPROVAL_REQUEST
        if not belongs_to_step and t is not StreamPartType.OUTPUT:
            if self._in_step and self._model_done:
                out.extend(self._pending_approvals())
                out.append({"type": "finish-step"})
                self._in_step = False
            if not self._in_step:
                out.append({"type": "start-step"})
                self._in_step, self._model_done = True, False
                self._steps += 1
        out.extend(self._chunks(part))
        return out

    def _chunks(self, part: StreamPart) -> list[JSON]:
        t = part.type
        if t is StreamPartType.TEXT_DELTA:
            return (
                [{"type": "text-delta", "id": part.id, "delta": part.delta}] if part.delta else []
            )
        if t is StreamPartType.TEXT_START:
            return [{"type": "text-start", "id": part.id}]
        if t is StreamPartType.TEXT_END:
            return [_with_metadata({"type": "text-end", "id": part.id}, part.provider_metadata)]
        if t is StreamPartType.REASONING_START:
            self._reasoning_metadata[part.id] = part.provider_metadata
            out: list[JSON] = [{"type": "reasoning-start", "id": part.id}]
            if part.delta:
                out.append({"type": "reasoning-delta", "id": part.id, "delta": part.delta})
            return out
        if t is StreamPartType.REASONING_DELTA:
            if part.provider_metadata:
                self._reasoning_metadata[part.id] = part.provider_metadata
            if not part.delta:
                return []
            return [{"type": "reasoning-delta", "id": part.id, "delta": part.delta}]
        if t is StreamPartType.REASONING_END:
            # As the agent keeps it: the end's metadata, else the latest seen before it.
            kept = self._reasoning_metadata.pop(part.id, None)
            chunk = {"type": "reasoning-end", "id": part.id}
            return [_with_metadata(chunk, part.provider_metadata or kept)]
        if t is StreamPartType.TOOL_INPUT_START:
            self._started_inputs.add(part.id)
            return [self._tool({"type": "tool-input-start", "toolCallId": part.id}, part)]
        if t is StreamPartType.TOOL_INPUT_DELTA:
            if not part.delta or part.id not in self._started_inputs:
                return []
            return [
                {"type": "tool-input-delta", "toolCallId": part.id, "inputTextDelta": part.delta}
            ]
        if t is StreamPartType.TOOL_INPUT_END:
            return []  # the complete call follows as tool-input-available
        if t is StreamPartType.TOOL_CALL:
            self._started_inputs.discard(part.id)
            chunk = {
                "type": "tool-input-available",
                "toolCallId": part.id,
                "input": _input_value(part.tool_call_input),
            }
            return [_with_metadata(self._tool(chunk, part), part.provider_metadata)]
        if t is StreamPartType.TOOL_RESULT:
            self._asked.pop(part.id, None)  # decided on the server: nothing to ask
            return [self._tool_result(part)]
        if t is StreamPartType.TOOL_APPROVAL_REQUEST:
            # The client answers with the tool part in state "approval-responded".
            self._asked[part.id] = {
                "type": "tool-approval-request",
                "approvalId": approval_id(part.id),
                "toolCallId": part.id,
            }
            return []
        if t is StreamPartType.SOURCE:
            return [_source(part)]
        if t is StreamPartType.FILE:
            if part.file is None:
                return []
            chunk = {"type": "file", "url": _data_url(part.file), "mediaType": part.file.media_type}
            return [_with_metadata(chunk, part.file.provider_metadata)]
        if t is StreamPartType.FINISH:
            self._model_done = True
            if part.usage is not None:
                self._usage = self._usage + part.usage
            self._finish_reason = part.finish_reason
            return []
        if t is StreamPartType.OUTPUT:
            # The typed output as it grows: one data part the client updates in place.
            return [{"type": "data-output", "id": "output", "data": _jsonable(part.output)}]
        return []  # ERROR parts never reach here: the agent raises them

    @staticmethod
    def _tool(chunk: JSON, part: StreamPart) -> JSON:
        chunk["toolName"] = part.tool_call_name
        if part.provider_executed:
            chunk["providerExecuted"] = True
        return chunk

    def _tool_result(self, part: StreamPart) -> JSON:
        result = part.tool_result or ToolResultContent(
            part.id, part.tool_call_name, None, provider_executed=part.provider_executed
        )
        kind, value = tool_output(result)
        if kind == "error" and result.tool_call_id in self._denied:
            return {"type": "tool-output-denied", "toolCallId": result.tool_call_id}
        chunk: JSON = (
            {"type": "tool-output-error", "toolCallId": result.tool_call_id, "errorText": value}
            if kind == "error"
            else {
                "type": "tool-output-available",
                "toolCallId": result.tool_call_id,
                "output": value,
            }
        )
        if result.provider_executed or part.provider_executed:
            chunk["providerExecuted"] = True
        return chunk

    def _pending_approvals(self) -> list[JSON]:
        """The approval requests no result answered: the calls the run pauses for."""
        asked = list(self._asked.values())
        self._asked.clear()
        return asked

    def _close_step(self) -> list[JSON]:
        if not self._in_step:
            return []
        self._in_step = False
        return [*self._pending_approvals(), {"type": "finish-step"}]

    def finish(self) -> list[JSON]:
        """The run ended normally: the last step closed, then ``finish`` with metadata."""
        chunk: JSON = {"type": "finish", "finishReason": _finish_reason(self._finish_reason)}
        if self._metadata is not None:
            chunk["messageMetadata"] = self._metadata(
                self._usage, self._finish_reason or FinishReason.UNKNOWN, self._steps
            )
        return [*self._close_step(), chunk]

    def fail(self, error: BaseException) -> list[JSON]:
        """The run failed: an ``error`` chunk whose text is `on_error`'s (by default a
        sentence naming the kind of failure; never the exception's text)."""
        return [{"type": "error", "errorText": error_text(error, self._on_error)}]

    def abort(self, reason: str) -> list[JSON]:
        """The server stopped the run (a time limit, a shutdown)."""
        return [{"type": "abort", "reason": reason}]


def new_id() -> str:
    """A random id (128 bits, hex) for a message; os.urandom rather than uuid, whose
    import loads platform and subprocess."""
    return os.urandom(16).hex()


def approval_id(tool_call_id: str) -> str:
    """The approval request's id for a tool call (the client sends it back)."""
    return f"approval-{tool_call_id}"


def _with_metadata(chunk: JSON, metadata: ProviderMetadata | None) -> JSON:
    """``chunk`` with the provider's metadata as ``providerMetadata``, in fantasy's JSON
    (each provider's value as ``{"type", "data"}``, as `fantasy.to_json` saves it): the
    client keeps it on the part and sends it back, so a reasoning signature or an item
    id reaches the provider again on the next turn."""
    if not metadata:
        return chunk
    from fantasy.errors import SerializationError
    from fantasy.persistence.encode import provider_data

    try:
        encoded = provider_data(metadata, "providerMetadata")
    except SerializationError as error:
        logger.warning("provider metadata not sent to the client: %s", error)
        return chunk
    if encoded:
        chunk["providerMetadata"] = encoded
    return chunk


def _input_value(text: str) -> Any:
    """The call's arguments decoded; text that is not JSON is sent as the string it is."""
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _source(part: StreamPart) -> JSON:
    source = part.cited()
    if source.source_type is SourceType.DOCUMENT:
        chunk: JSON = {
            "type": "source-document",
            "sourceId": source.id,
            "mediaType": source.media_type or "application/octet-stream",
            "title": source.title or source.filename,
        }
        if source.filename:
            chunk["filename"] = source.filename
        return chunk
    chunk = {"type": "source-url", "sourceId": source.id or source.url, "url": source.url}
    if source.title:
        chunk["title"] = source.title
    return chunk


async def stream_chunks(
    parts: AsyncIterable[StreamPart], encoder: UIMessageStreamEncoder | None = None
) -> AsyncGenerator[JSON, None]:
    """The chunks of an agent stream (``agent.astream(...)``), ending with ``finish``, or
    with ``error`` when the run fails (the exception is logged, not sent)."""
    encoder = encoder or UIMessageStreamEncoder()
    for chunk in encoder.start():
        yield chunk
    iterator = aiter(parts)
    try:
        async for part in iterator:
            for chunk in encoder.encode(part):
                yield chunk
    except Exception as error:
        for chunk in encoder.fail(error):
            yield chunk
        return
    finally:
        await close_parts(iterator)
    for chunk in encoder.finish():
        yield chunk


async def close_parts(iterator: AsyncIterator[StreamPart]) -> None:
    """Close the agent's stream now, not when it is garbage: a response that ends early
    (a client gone, a time limit) must stop the model's HTTP stream and the tools."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def stream_chunks_sync(
    parts: Iterable[StreamPart], encoder: UIMessageStreamEncoder | None = None
) -> Iterator[JSON]:
    """`stream_chunks` for the blocking face (``agent.stream(...)``), for WSGI servers."""
    encoder = encoder or UIMessageStreamEncoder()
    yield from encoder.start()
    try:
        for part in parts:
            yield from encoder.encode(part)
    except Exception as error:
        yield from encoder.fail(error)
        return
    yield from encoder.finish()


async def stream_events(
    parts: AsyncIterable[StreamPart], encoder: UIMessageStreamEncoder | None = None
) -> AsyncGenerator[bytes, None]:
    """The response body: each chunk as an SSE event, then ``data: [DONE]``."""
    async with contextlib.aclosing(stream_chunks(parts, encoder)) as chunks:
        async for chunk in chunks:
            yield sse_event(chunk)
    yield DONE


def stream_events_sync(
    parts: Iterable[StreamPart], encoder: UIMessageStreamEncoder | None = None
) -> Iterator[bytes]:
    """`stream_events` for the blocking face."""
    for chunk in stream_chunks_sync(parts, encoder):
        yield sse_event(chunk)
    yield DONE
