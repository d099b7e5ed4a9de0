"""Chat Completions stream chunks to `StreamPart`s, keeping the state one stream needs.
Pure code, no I/O: the shared shell (`fantasy.http.shell`) feeds it decoded chunks."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Protocol

from fantasy.errors import ProviderError, incomplete_stream_error
from fantasy.http.shape import arr, as_list, as_object, integer, obj, text
from fantasy.providers.openai.chat_response import map_finish_reason
from fantasy.types import (
    JSON,
    CallWarning,
    FinishReason,
    SourceType,
    StreamPart,
    StreamPartType,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.providers.openai.chat import ChatCodecBase


class _ToolCallBuffer:
    __slots__ = ("arguments", "finished", "id", "name")

    def __init__(self, id: str, name: str, arguments: str):
        self.id = id
        self.name = name
        self.arguments = arguments
        self.finished = False


_TEXT_ID = "0"


class ChoicePaths:
    """The JSON paths of choice ``i`` of a chunk, for error messages; made once per index,
    so reading a chunk builds no string."""

    __slots__ = ("choice", "delta", "first_tool", "logprobs", "tool_calls")

    def __init__(self, i: int):
        self.choice = f"chunk.choices[{i}]"
        self.delta = f"{self.choice}.delta"
        self.tool_calls = f"{self.delta}.tool_calls"
        first = f"{self.tool_calls}[0]"
        self.first_tool = (first, f"{first}.function")
        self.logprobs = f"{self.choice}.logprobs"

    def tool(self, j: int) -> tuple[str, str]:
        """Where tool-call delta ``j`` of this choice and its function are."""
        if j == 0:
            return self.first_tool
        where = f"{self.tool_calls}[{j}]"
        return where, f"{where}.function"


_KEPT = 4
_PATHS = tuple(ChoicePaths(i) for i in range(_KEPT))


def choice_paths(i: int) -> ChoicePaths:
    """The paths of choice ``i`` of a chunk (the stream hooks of compatible servers use
    them too)."""
    return _PATHS[i] if i < _KEPT else ChoicePaths(i)


def chunk_choices(chunk: JSON) -> list[Any]:
    """The choices of a chunk (``[]`` when missing or null)."""
    return as_list(chunk.get("choices"), "chunk.choices")


def delta_of(choice: Any, where: ChoicePaths) -> JSON:
    """The delta of a choice of a chunk, the choice and the delta checked."""
    return as_object(as_object(choice, where.choice).get("delta"), where.delta)


class ChatStreamExtension(Protocol):
    """What a compatible server or gateway streams beyond text and tool calls (reasoning,
    mostly), with the typed state it keeps for one stream.

    A codec makes one per stream (`ChatCodecBase.stream_extension`); the translator
    hands it every chunk's choices, after its own parts for each choice.
    """

    def feed(self, chunk: JSON, first_delta: JSON) -> list[StreamPart]:
        """Parts for this chunk; ``first_delta`` is ``chunk.choices[0].delta``, already
        checked to be an object."""
        ...


class ChatStreamTranslator:
    """Turns decoded chunks into stream parts, keeping the state one stream needs."""

    def __init__(self, codec: ChatCodecBase[Any], warnings: list[CallWarning]):
        self.codec = codec
        self.warnings = warnings
        self.text_active = False
        self.tool_calls: dict[int, _ToolCallBuffer] = {}
        self.usage: Usage | None = None
        self.metadata: Any = None
        self.extension = codec.stream_extension()
        self.finish_reason = ""
        self.logprobs: list[Any] = []

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, chunk: JSON) -> list[StreamPart]:
        # Each chunk's usage replaces the running one (a chunk without usage resets it), so
        # the final usage-only chunk wins; nothing is built for the chunks in between.
        usage = self.codec.stream_usage(chunk) if chunk.get("usage") is not None else None
        self.usage, self.metadata = usage if usage is not None else (None, None)
        # Every chunk comes this way: the common type is checked inline first (as the
        # readers do), the reader called only for anything else (to default or to fail),
        # and the paths are made once (ChoicePaths).
        choices = chunk.get("choices")
        if type(choices) is not list:
            choices = as_list(choices, "chunk.choices")
        if not choices:
            return []
        parts: list[StreamPart] = []
        annotated = False
        extension = self.extension
        first_delta: JSON = {}
        for i, choice in enumerate(choices):
            where = _PATHS[i] if i < _KEPT else ChoicePaths(i)
            if type(choice) is not dict:
                choice = as_object(choice, where.choice)
            if choice.get("finish_reason") is not None:
                reason = text(choice, "finish_reason", where.choice)
                if reason:
                    self.finish_reason = reason
            delta = choice.get("delta")
            if type(delta) is not dict:
                delta = as_object(delta, where.delta)
            content = delta.get("content")
            if type(content) is not str:
                content = text(delta, "content", where.delta)
            if content:
                if not self.text_active:
                    self.text_active = True
                    parts.append(StreamPart(StreamPartType.TEXT_START, id=_TEXT_ID))
                parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=_TEXT_ID, delta=content))
            tool_deltas = delta.get("tool_calls")
            if tool_deltas is not None and as_list(tool_deltas, where.tool_calls):
                if self.text_active:
                    self.text_active = False
                    parts.append(StreamPart(StreamPartType.TEXT_END, id=_TEXT_ID))
                for j, tool_delta in enumerate(tool_deltas):
                    if self._tool_delta(tool_delta, where.tool(j), parts):
                        return parts
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                tokens = arr(as_object(logprobs, where.logprobs), "content", where.logprobs)
                if tokens:
                    self.logprobs.extend(tokens)
            if extension is not None:
                if i == 0:
                    first_delta = delta
                parts.extend(extension.feed(chunk, first_delta))
            annotated = annotated or "annotations" in delta
        if not annotated:
            return parts
        for i, choice in enumerate(choices):
            where = choice_paths(i)
            delta = delta_of(choice, where)
            listed = f"{where.delta}.annotations"
            for k, annotation in enumerate(as_list(delta.get("annotations"), listed)):
                at = f"{listed}[{k}]"
                annotation = as_object(annotation, at)
                if text(annotation, "type", at) != "url_citation":
                    continue
                cite = obj(annotation, "url_citation", at)
                if cite.get("url") is None:
                    continue
                cite_at = f"{at}.url_citation"
                parts.append(
                    StreamPart(
                        StreamPartType.SOURCE,
                        id=str(uuid.uuid4()),
                        source_type=SourceType.URL,
                        url=text(cite, "url", cite_at),
                        title=text(cite, "title", cite_at),
                    )
                )
        return parts

    def _tool_delta(self, tool_delta: Any, paths: tuple[str, str], parts: list[StreamPart]) -> bool:
        """Handle one tool-call delta (``paths``: where it and its function are); True when
        the stream must stop (an error part was added)."""
        where, fn_where = paths
        tool_delta = as_object(tool_delta, where)
        index = integer(tool_delta, "index", where)
        fn = obj(tool_delta, "function", where)
        args = text(fn, "arguments", fn_where)
        existing = self.tool_calls.get(index)
        if existing is not None:
            if not existing.finished and args:
                existing.arguments += args
                parts.append(
                    StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=existing.id, delta=args)
                )
            return False
        name = text(fn, "name", fn_where)
        if not name and not args:
            return False  # some servers (Ollama) send empty calls; nothing to open yet
        if (text(tool_delta, "type", where) or "function") != "function":
            parts.append(
                StreamPart(
                    StreamPartType.ERROR,
                    error=ProviderError(
                        "expected 'function' type.",
                        title="invalid provider response",
                        provider=self.codec.provider_name,
                    ),
                )
            )
            return True
        call_id = text(tool_delta, "id", where) or f"tool-call-{index}"
        # A new index means every earlier open call is complete.
        for idx in sorted(self.tool_calls):
            prior = self.tool_calls[idx]
            if idx < index and not prior.finished:
                self._close_input(prior, parts)
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name))
        self.tool_calls[index] = _ToolCallBuffer(call_id, name, args)
        if args:
            parts.append(StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=args))
        return False

    @staticmethod
    def _close_input(call: _ToolCallBuffer, parts: list[StreamPart]) -> None:
        if not call.arguments:
            call.arguments = "{}"
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=call.id))
        call.finished = True

    def finish(self) -> list[StreamPart]:
        """End of stream: close what is open, emit the tool calls, then finish (or an error)."""
        parts: list[StreamPart] = []
        if self.text_active:
            self.text_active = False
            parts.append(StreamPart(StreamPartType.TEXT_END, id=_TEXT_ID))
        for idx in sorted(self.tool_calls):
            call = self.tool_calls[idx]
            if not call.finished:
                self._close_input(call, parts)
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=call.id,
                    tool_call_name=call.name,
                    tool_call_input=call.arguments,
                )
            )
        finish = map_finish_reason(self.finish_reason)
        if self.tool_calls:
            finish = FinishReason.TOOL_CALLS
        if not self.finish_reason and finish is not FinishReason.TOOL_CALLS:
            parts.append(
                StreamPart(
                    StreamPartType.ERROR, error=incomplete_stream_error(self.codec.provider_name)
                )
            )
            return parts
        metadata = self.codec.stream_metadata(self)
        parts.append(
            StreamPart(
                StreamPartType.FINISH,
                usage=self.usage or Usage(),
                finish_reason=finish,
                provider_metadata={} if metadata is None else {self.codec.metadata_key: metadata},
                raw_finish_reason=self.finish_reason,
            )
        )
        return parts
