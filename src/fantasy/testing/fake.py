"""A scripted language model: test an agent without HTTP, a provider or an API key.

`FakeModel` answers each model call with the next item of a script you wrote, and
records every `Call` it was given, so a test can pin both sides of the conversation:
what the agent sent (prompt, tools, tool choice, options) and what it did with the
answer. The builders below produce the responses and stream-part sequences a real
provider would, so the agent's assembly logic (text at ``text_end``, tool calls from
``tool_call`` parts, usage from ``finish``) is exercised as in production::

    from fantasy.testing import FakeModel, text_response, tool_call_response

    model = FakeModel([
        tool_call_response("weather", {"location": "Paris"}),
        text_response("It is sunny in Paris."),
    ])
    result = fantasy.Agent(model, tools=[weather]).generate("Weather in Paris?")
    assert result.text == "It is sunny in Paris."
    assert [t.name for t in model.calls[0].tools] == ["weather"]

A script item is consumed per call, by ``generate``/``agenerate`` and
``stream``/``astream`` alike; a `Response` may be streamed (it is turned into parts
with `stream_parts_for_response`), while a scripted part list can only be streamed.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.types import (
    FileContent,
    FinishReason,
    ProviderMetadata,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

__all__ = [
    "FakeModel",
    "FakeModelError",
    "RecordingSleep",
    "ScriptItem",
    "ScriptedStream",
    "ToolCallSpec",
    "error_part",
    "finish_part",
    "stream_parts_for_response",
    "stream_parts_for_text",
    "stream_parts_for_tool_calls",
    "text_response",
    "tool_call_response",
]

ScriptedStream: TypeAlias = Sequence[StreamPart | BaseException]
"""Parts to stream, in order. An exception in the list is raised when the stream reaches
it, as a connection dropping mid-response would (an ``error`` *part* is the other way a
provider reports failure)."""

ScriptItem: TypeAlias = (
    Response | ScriptedStream | BaseException | Callable[[Call], "Response | ScriptedStream"]
)
"""One model call's answer: a `Response`, a part list, an exception to raise (retries,
provider failures), or a function of the `Call` returning a response or part list, for
answers that depend on what was asked."""

ToolCallSpec: TypeAlias = (
    tuple[str, str, "str | Mapping[str, Any]"]
    | tuple[str, "str | Mapping[str, Any]"]
    | ToolCallContent
)
"""A tool call as ``(id, tool_name, input)``, ``(tool_name, input)`` (an id is made up) or a
ready `ToolCallContent`; ``input`` is JSON text or a dict."""


class FakeModelError(AssertionError):
    """The test's script and the agent's behaviour disagree (too many calls, wrong kind).

    An ``AssertionError`` so that pytest reports it as a test failure, not a crash.
    """


class FakeModel(BaseLanguageModel):
    """A language model that replays a script and records what it was asked.

    ``calls`` holds a copy of every `Call` in arrival order (the prompt, tools and
    option maps are copied, so later mutation by the caller cannot rewrite history).
    A call beyond the end of the script raises `FakeModelError`. Thread-safe, so it
    can serve agents run side by side.
    """

    def __init__(
        self,
        script: Iterable[ScriptItem] = (),
        *,
        provider: str = "fake",
        model: str = "fake-model",
    ):
        self.provider_name = provider
        self.model_id = model
        self.calls: list[Call] = []
        self._script: deque[ScriptItem] = deque(script)
        self._lock = threading.Lock()

    def add(self, *items: ScriptItem) -> FakeModel:
        """Append answers to the script; returns the model for chaining."""
        with self._lock:
            self._script.extend(items)
        return self

    @property
    def remaining(self) -> int:
        """Script items not yet consumed; assert it is 0 to check every answer was used."""
        with self._lock:
            return len(self._script)

    @property
    def last_call(self) -> Call:
        if not self.calls:
            raise FakeModelError("the fake model has not been called")
        return self.calls[-1]

    def _take(self, call: Call, method: str) -> Response | ScriptedStream | BaseException:
        with self._lock:
            self.calls.append(_snapshot(call))
            number = len(self.calls)
            if not self._script:
                raise FakeModelError(
                    f"{type(self).__name__}.{method} received call #{number} but the script "
                    f"had only {number - 1} answer(s)"
                )
            item = self._script.popleft()
        if callable(item) and not isinstance(item, BaseException):
            try:
                return item(call)
            except Exception as exc:
                return exc
        return item

    async def agenerate(self, call: Call) -> Response:
        item = self._take(call, "agenerate")
        if isinstance(item, BaseException):
            raise item
        if not isinstance(item, Response):
            raise FakeModelError(
                "the script holds stream parts for this call but the agent called agenerate; "
                "script a Response (see text_response / tool_call_response) instead"
            )
        return item

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        # Consumed now, not at first iteration, so the call is recorded in order even
        # if the consumer never iterates.
        item = self._take(call, "astream")
        return _replay(item)


def _snapshot(call: Call) -> Call:
    return dataclasses.replace(
        call,
        prompt=list(call.prompt),
        tools=list(call.tools),
        provider_options=dict(call.provider_options),
        headers=dict(call.headers),
    )


async def _replay(item: Response | ScriptedStream | BaseException) -> AsyncIterator[StreamPart]:
    if isinstance(item, BaseException):
        raise item
    parts: ScriptedStream = stream_parts_for_response(item) if isinstance(item, Response) else item
    for part in parts:
        if isinstance(part, BaseException):
            raise part
        yield part


# --------------------------------------------------------------------------- responses


_call_ids = itertools.count(1)

_TOOL_CALL_FORMS = (
    'tool_call_response("add", {"a": 1}), tool_call_response(("add", {"a": 1}), ...), '
    'tool_call_response(("call-1", "add", \'{"a": 1}\'), ...) or a fantasy.ToolCallContent'
)


def _tool_input(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "{}"
    return json.dumps(value)


def _tool_call(spec: Any) -> ToolCallContent:
    if isinstance(spec, ToolCallContent):
        return spec
    if isinstance(spec, tuple) and all(isinstance(v, str) for v in spec[:-1]):
        if len(spec) == 3:
            call_id, name, tool_input = spec
            return ToolCallContent(call_id, name, _tool_input(tool_input))
        if len(spec) == 2:
            name, tool_input = spec
            return ToolCallContent(f"call-{next(_call_ids)}", name, _tool_input(tool_input))
    raise TypeError(f"a tool call is written as {_TOOL_CALL_FORMS}; got {spec!r}")


def _tool_calls(calls: tuple[Any, ...]) -> list[ToolCallContent]:
    """The calls of `tool_call_response` and `stream_parts_for_tool_calls`: one call as
    ``("name", input)`` in the arguments themselves, or one spec per argument."""
    if calls and isinstance(calls[0], str):
        if len(calls) > 2 or (len(calls) == 2 and isinstance(calls[1], tuple | ToolCallContent)):
            raise TypeError(f"a tool call is written as {_TOOL_CALL_FORMS}; got {calls!r}")
        return [_tool_call((calls[0], calls[1] if len(calls) == 2 else None))]
    return [_tool_call(c) for c in calls]


def text_response(
    text: str,
    *,
    usage: Usage | None = None,
    finish_reason: FinishReason = FinishReason.STOP,
    reasoning: str = "",
    provider_metadata: ProviderMetadata | None = None,
) -> Response:
    """A plain answer: optional reasoning, then one text block, finishing with ``stop``."""
    content = ResponseContent()
    if reasoning:
        content.append(ReasoningContent(reasoning))
    content.append(TextContent(text))
    return Response(content, finish_reason, usage or Usage(), [], dict(provider_metadata or {}))


def tool_call_response(
    *calls: Any,
    text: str = "",
    usage: Usage | None = None,
    finish_reason: FinishReason = FinishReason.TOOL_CALLS,
) -> Response:
    """The model asking for tools: optional text, then the calls, finishing with ``tool-calls``.

    ``tool_call_response("add", {"a": 1})`` asks for one call (the id is made up);
    several calls are given as tuples, ``("add", {"a": 1})`` or ``("call-1", "add",
    '{"a": 1}')``, or as `ToolCallContent`.

    ``finish_reason`` can be changed to pin what the loop does when a provider reports
    tool calls with another reason (they still run, but the loop stops).
    """
    content = ResponseContent()
    if text:
        content.append(TextContent(text))
    content.extend(_tool_calls(calls))
    return Response(content, finish_reason, usage or Usage())


# --------------------------------------------------------------------------- stream parts


def finish_part(
    usage: Usage | None = None,
    finish_reason: FinishReason = FinishReason.STOP,
    provider_metadata: ProviderMetadata | None = None,
) -> StreamPart:
    """The last part of a healthy stream: it carries usage and the finish reason."""
    return StreamPart(
        StreamPartType.FINISH,
        usage=usage or Usage(),
        finish_reason=finish_reason,
        provider_metadata=provider_metadata,
    )


def error_part(error: BaseException) -> StreamPart:
    """How a provider reports a failure inside an open stream."""
    return StreamPart(StreamPartType.ERROR, error=error)


def _deltas(text: str | Sequence[str]) -> list[str]:
    return [text] if isinstance(text, str) else list(text)


def _text_parts(block_id: str, text: str | Sequence[str]) -> list[StreamPart]:
    return [
        StreamPart(StreamPartType.TEXT_START, id=block_id),
        *(StreamPart(StreamPartType.TEXT_DELTA, id=block_id, delta=d) for d in _deltas(text)),
        StreamPart(StreamPartType.TEXT_END, id=block_id),
    ]


def _reasoning_parts(block_id: str, text: str | Sequence[str]) -> list[StreamPart]:
    return [
        StreamPart(StreamPartType.REASONING_START, id=block_id),
        *(StreamPart(StreamPartType.REASONING_DELTA, id=block_id, delta=d) for d in _deltas(text)),
        StreamPart(StreamPartType.REASONING_END, id=block_id),
    ]


def _tool_call_parts(call: ToolCallContent) -> list[StreamPart]:
    # Providers stream the arguments in pieces before the complete call; two halves are
    # enough to show that the agent builds calls from the tool_call part, not the deltas.
    half = len(call.input) // 2
    pieces = [p for p in (call.input[:half], call.input[half:]) if p]
    return [
        StreamPart(
            StreamPartType.TOOL_INPUT_START, id=call.tool_call_id, tool_call_name=call.tool_name
        ),
        *(
            StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call.tool_call_id, delta=p)
            for p in pieces
        ),
        StreamPart(StreamPartType.TOOL_INPUT_END, id=call.tool_call_id),
        StreamPart.of_tool_call(call),
    ]


def stream_parts_for_text(
    text: str | Sequence[str],
    *,
    reasoning: str | Sequence[str] | None = None,
    usage: Usage | None = None,
    finish_reason: FinishReason = FinishReason.STOP,
    text_id: str = "text-0",
    reasoning_id: str = "reasoning-0",
) -> list[StreamPart]:
    """A streamed answer: [reasoning block], a text block, then ``finish``.

    A string is sent as one delta; a sequence of strings as one delta each, to pin
    how deltas are joined.
    """
    parts: list[StreamPart] = []
    if reasoning is not None:
        parts.extend(_reasoning_parts(reasoning_id, reasoning))
    parts.extend(_text_parts(text_id, text))
    parts.append(finish_part(usage, finish_reason))
    return parts


def stream_parts_for_tool_calls(
    *calls: Any,
    text: str | Sequence[str] | None = None,
    usage: Usage | None = None,
    finish_reason: FinishReason = FinishReason.TOOL_CALLS,
    text_id: str = "text-0",
) -> list[StreamPart]:
    """A streamed tool request: [text block], then per call ``tool_input_start``, the
    input in deltas, ``tool_input_end`` and ``tool_call``; then ``finish``."""
    parts: list[StreamPart] = []
    if text is not None:
        parts.extend(_text_parts(text_id, text))
    for call in _tool_calls(calls):
        parts.extend(_tool_call_parts(call))
    parts.append(finish_part(usage, finish_reason))
    return parts


def stream_parts_for_response(response: Response) -> list[StreamPart]:
    """The parts a provider would stream for ``response``, so one script serves both faces.

    Content keeps its order; text and reasoning become start/delta/end blocks (content
    metadata rides on the end part, where the agent reads it), tool calls become input
    parts plus ``tool_call``; sources (whole, as a provider sends a cited document),
    files and provider-executed results pass as their own parts.
    """
    parts: list[StreamPart] = []
    if response.warnings:
        parts.append(StreamPart(StreamPartType.WARNINGS, warnings=list(response.warnings)))
    for index, c in enumerate(response.content):
        if isinstance(c, TextContent):
            block = _text_parts(f"text-{index}", c.text)
            block[-1].provider_metadata = c.provider_metadata
            parts.extend(block)
        elif isinstance(c, ReasoningContent):
            block = _reasoning_parts(f"reasoning-{index}", c.text)
            block[-1].provider_metadata = c.provider_metadata
            parts.extend(block)
        elif isinstance(c, ToolCallContent):
            parts.extend(_tool_call_parts(c))
        elif isinstance(c, SourceContent):
            parts.append(StreamPart.of_source(c))
        elif isinstance(c, ToolResultContent):
            parts.append(StreamPart.of_tool_result(c))
        elif isinstance(c, FileContent):
            parts.append(StreamPart(StreamPartType.FILE, file=c))
    parts.append(finish_part(response.usage, response.finish_reason, response.provider_metadata))
    return parts


# --------------------------------------------------------------------------- sleeping


class RecordingSleep:
    """An async ``sleep`` that returns at once and remembers each delay.

    Pass it as ``fantasy.Agent(..., sleep=RecordingSleep())`` to test retries without
    waiting: ``sleep.delays`` then lists the backoff the agent chose, in order.
    """

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
