"""AG-UI: the same agent stream as AG-UI events, each an SSE ``data:`` event.

``RUN_STARTED``, then per step ``STEP_STARTED`` ... ``STEP_FINISHED`` around the
model's text (``TEXT_MESSAGE_START``/``_CONTENT``/``_END``), reasoning
(``REASONING_START``, ``REASONING_MESSAGE_START``/``_CONTENT``/``_END``,
``REASONING_END``), tool calls (``TOOL_CALL_START``/``_ARGS``/``_END``) and their
results (``TOOL_CALL_RESULT``); a typed output as ``STATE_SNAPSHOT``
(``{"output": ...}``); sources and files as ``CUSTOM`` events (``fantasy.source``,
``fantasy.file``); ``RUN_FINISHED`` with the run's token usage, or ``RUN_ERROR``.
A run that paused for tool approvals finishes with an ``interrupt`` outcome, one
interrupt per call (``reason: "tool_approval"``); the next run's ``resume`` answers them.

Message ids are made unique per run (providers reuse ids such as ``0`` in each step),
and a tool call the model sent whole (no input parts) still gets its start, args and
end events, so a client sees the same sequence from every provider.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator
from typing import Any

from fantasy.types import (
    JSON,
    StreamPart,
    StreamPartType,
    ToolResultContent,
    Usage,
)
from fantasy.ui._errors import ErrorText, error_text
from fantasy.ui._sse import sse_event
from fantasy.ui.ai_sdk import _jsonable, approval_id, close_parts, new_id, tool_output

HEADERS: dict[str, str] = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "connection": "keep-alive",
    "x-accel-buffering": "no",
}


APPROVAL_SCHEMA: JSON = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["approved"],
}
"""The answer a tool-approval interrupt expects in its resume entry's ``payload``."""


class AGUIEncoder:
    """One run's AG-UI events, built part by part: `start`, `encode` per part, then
    `finish`, or `fail` with the run's exception."""

    def __init__(
        self,
        thread_id: str,
        run_id: str,
        *,
        on_error: ErrorText | None = None,
        model: str | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self._on_error = on_error
        self._model = model
        self._step = 0
        self._in_step = False
        self._model_done = False
        self._ids: dict[tuple[str, str], str] = {}
        self._open_calls: set[str] = set()
        self._started_calls: set[str] = set()
        self._usage = Usage()
        self._last_text: list[str] = []
        self._awaiting: dict[str, str] = {}
        """Calls waiting for approval (id to tool name): the run pauses for them."""

    def start(self) -> list[JSON]:
        return [{"type": "RUN_STARTED", "threadId": self.thread_id, "runId": self.run_id}]

    def _message_id(self, kind: str, part_id: str) -> str:
        key = (kind, part_id)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = f"{kind}-{new_id()}"
        return found

    def _step_name(self) -> str:
        return f"step-{self._step}"

    def encode(self, part: StreamPart) -> list[JSON]:
        t = part.type
        if t is StreamPartType.WARNINGS:
            return []
        out: list[JSON] = []
        belongs_to_step = (
            t is StreamPartType.TOOL_RESULT and not part.provider_executed
        ) or t is StreamPartType.TOOL_APPROVAL_REQUEST
        if not belongs_to_step and t is not StreamPartType.OUTPUT:
            if self._in_step and self._model_done:
                out.extend(self._close_step())
            if not self._in_step:
                self._step += 1
                self._in_step, self._model_done = True, False
                self._ids.clear()
                self._last_text = []
                out.append({"type": "STEP_STARTED", "stepName": self._step_name()})
        out.extend(self._events(part))
        return out

    def _events(self, part: StreamPart) -> list[JSON]:
        t = part.type
        if t is StreamPartType.TEXT_START:
            mid = self._message_id("text", part.id)
            return [{"type": "TEXT_MESSAGE_START", "messageId": mid, "role": "assistant"}]
        if t is StreamPartType.TEXT_DELTA:
            if not part.delta:
                return []  # AG-UI requires a non-empty delta
            self._last_text.append(part.delta)
            mid = self._message_id("text", part.id)
            return [{"type": "TEXT_MESSAGE_CONTENT", "messageId": mid, "delta": part.delta}]
        if t is StreamPartType.TEXT_END:
            return [{"type": "TEXT_MESSAGE_END", "messageId": self._message_id("text", part.id)}]
        if t is StreamPartType.REASONING_START:
            mid = self._message_id("reasoning", part.id)
            out: list[JSON] = [
                {"type": "REASONING_START", "messageId": mid},
                {"type": "REASONING_MESSAGE_START", "messageId": mid, "role": "reasoning"},
            ]
            if part.delta:
                out.append(
                    {"type": "REASONING_MESSAGE_CONTENT", "messageId": mid, "delta": part.delta}
                )
            return out
        if t is StreamPartType.REASONING_DELTA:
            if not part.delta:
                return []
            mid = self._message_id("reasoning", part.id)
            return [{"type": "REASONING_MESSAGE_CONTENT", "messageId": mid, "delta": part.delta}]
        if t is StreamPartType.REASONING_END:
            mid = self._message_id("reasoning", part.id)
            return [
                {"type": "REASONING_MESSAGE_END", "messageId": mid},
                {"type": "REASONING_END", "messageId": mid},
            ]
        if t is StreamPartType.TOOL_INPUT_START:
            self._open_calls.add(part.id)
            self._started_calls.add(part.id)
            return [self._call_start(part)]
        if t is StreamPartType.TOOL_INPUT_DELTA:
            if not part.delta or part.id not in self._open_calls:
                return []
            return [{"type": "TOOL_CALL_ARGS", "toolCallId": part.id, "delta": part.delta}]
        if t is StreamPartType.TOOL_INPUT_END:
            if part.id not in self._open_calls:
                return []
            self._open_calls.discard(part.id)
            return [{"type": "TOOL_CALL_END", "toolCallId": part.id}]
        if t is StreamPartType.TOOL_CALL:
            return self._whole_call(part)
        if t is StreamPartType.TOOL_APPROVAL_REQUEST:
            # Answered at the run's end: RUN_FINISHED's interrupt outcome, if it paused.
            self._awaiting[part.id] = part.tool_call_name
            return []
        if t is StreamPartType.TOOL_RESULT:
            self._awaiting.pop(part.id, None)
            return [self._result(part)]
        if t is StreamPartType.SOURCE:
            return [{"type": "CUSTOM", "name": "fantasy.source", "value": _source(part)}]
        if t is StreamPartType.FILE:
            if part.file is None:
                return []
            value = {
                "mediaType": part.file.media_type,
                "data": base64.b64encode(part.file.data).decode("ascii"),
            }
            return [{"type": "CUSTOM", "name": "fantasy.file", "value": value}]
        if t is StreamPartType.FINISH:
            self._model_done = True
            if part.usage is not None:
                self._usage = self._usage + part.usage
            return []
        if t is StreamPartType.OUTPUT:
            return [{"type": "STATE_SNAPSHOT", "snapshot": {"output": _jsonable(part.output)}}]
        return []

    def _call_start(self, part: StreamPart) -> JSON:
        return {
            "type": "TOOL_CALL_START",
            "toolCallId": part.id,
            "toolCallName": part.tool_call_name,
        }

    def _whole_call(self, part: StreamPart) -> list[JSON]:
        """A call's events not yet sent: all three for a call that arrived whole, the
        end for one whose input parts stopped short of it."""
        out: list[JSON] = []
        if part.id not in self._started_calls:
            self._started_calls.add(part.id)
            out.append(self._call_start(part))
            if part.tool_call_input:
                out.append(
                    {"type": "TOOL_CALL_ARGS", "toolCallId": part.id, "delta": part.tool_call_input}
                )
            out.append({"type": "TOOL_CALL_END", "toolCallId": part.id})
        elif part.id in self._open_calls:
            self._open_calls.discard(part.id)
            out.append({"type": "TOOL_CALL_END", "toolCallId": part.id})
        return out

    def _result(self, part: StreamPart) -> JSON:
        result = part.tool_result or ToolResultContent(
            part.id, part.tool_call_name, None, provider_executed=part.provider_executed
        )
        kind, value = tool_output(result)
        content = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        event: JSON = {
            "type": "TOOL_CALL_RESULT",
            "messageId": f"tool-{new_id()}",
            "toolCallId": result.tool_call_id,
            "content": content,
            "role": "tool",
        }
        if kind == "error":
            event["metadata"] = {"fantasy": {"error": True}}
        return event

    def _close_step(self) -> list[JSON]:
        if not self._in_step:
            return []
        self._in_step = False
        out: list[JSON] = [
            {"type": "TOOL_CALL_END", "toolCallId": call_id} for call_id in sorted(self._open_calls)
        ]
        self._open_calls.clear()
        out.append({"type": "STEP_FINISHED", "stepName": self._step_name()})
        return out

    def finish(self) -> list[JSON]:
        """``RUN_FINISHED`` with the last step's text as the result and the run's usage."""
        usage: JSON = {
            "inputTokens": self._usage.input_tokens,
            "outputTokens": self._usage.output_tokens,
            "totalTokens": self._usage.total_tokens,
            "reasoningTokens": self._usage.reasoning_tokens,
            "cachedInputTokens": self._usage.cache_read_tokens,
            "cacheWriteInputTokens": self._usage.cache_creation_tokens,
        }
        if self._model:
            usage["model"] = self._model
        event: JSON = {
            "type": "RUN_FINISHED",
            "threadId": self.thread_id,
            "runId": self.run_id,
            "result": "".join(self._last_text),
            "outcome": self._outcome(),
            "usage": [usage],
        }
        return [*self._close_step(), event]

    def _outcome(self) -> JSON:
        """Success, or an interrupt per call waiting for approval; a new run answers
        each in ``resume`` (``{"interruptId", "status": "resolved", "payload":
        {"approved": bool, "reason"?: str}}``)."""
        if not self._awaiting:
            return {"type": "success"}
        interrupts = [
            {
                "id": approval_id(call_id),
                "reason": "tool_approval",
                "toolCallId": call_id,
                "message": f"Allow the {name} tool call?",
                "responseSchema": APPROVAL_SCHEMA,
            }
            for call_id, name in self._awaiting.items()
        ]
        return {"type": "interrupt", "interrupts": interrupts}

    def fail(self, error: BaseException) -> list[JSON]:
        """``RUN_ERROR`` with `on_error`'s text (by default a sentence naming the kind of
        failure) and the exception's class name as the code."""
        return [
            {
                "type": "RUN_ERROR",
                "message": error_text(error, self._on_error),
                "code": type(error).__name__,
            }
        ]


def _source(part: StreamPart) -> JSON:
    source = part.cited()
    value: dict[str, Any] = {"sourceType": str(source.source_type), "id": source.id}
    for key, field_value in (
        ("url", source.url),
        ("title", source.title),
        ("mediaType", source.media_type),
        ("filename", source.filename),
    ):
        if field_value:
            value[key] = field_value
    return value


async def stream_events(
    parts: AsyncIterable[StreamPart], encoder: AGUIEncoder
) -> AsyncGenerator[bytes, None]:
    """The response body: every event of the run as SSE; a failure ends it with
    ``RUN_ERROR`` (the exception is logged, not sent)."""
    for event in encoder.start():
        yield sse_event(event)
    iterator = aiter(parts)
    try:
        async for part in iterator:
            for event in encoder.encode(part):
                yield sse_event(event)
    except Exception as error:
        for event in encoder.fail(error):
            yield sse_event(event)
        return
    finally:
        await close_parts(iterator)
    for event in encoder.finish():
        yield sse_event(event)


def stream_events_sync(parts: Iterable[StreamPart], encoder: AGUIEncoder) -> Iterator[bytes]:
    """`stream_events` for the blocking face (``agent.stream(...)``)."""
    yield from (sse_event(e) for e in encoder.start())
    try:
        for part in parts:
            yield from (sse_event(e) for e in encoder.encode(part))
    except Exception as error:
        yield from (sse_event(e) for e in encoder.fail(error))
        return
    yield from (sse_event(e) for e in encoder.finish())
