"""Chat Completions stream chunks to `StreamPart`s, keeping the state one stream needs.
Pure code, no I/O: the shared shell (`fantasy.http.shell`) feeds it decoded chunks."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fantasy.errors import FantasyError, incomplete_stream_error
from fantasy.providers.openai import chat as chat_module
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
    from fantasy.providers.openai.chat import ChatCodec


class _ToolCallBuffer:
    __slots__ = ("arguments", "finished", "id", "name")

    def __init__(self, id: str, name: str, arguments: str):
        self.id = id
        self.name = name
        self.arguments = arguments
        self.finished = False


_TEXT_ID = "0"


class ChatStreamTranslator:
    """Turns decoded chunks into stream parts, keeping the state one stream needs."""

    def __init__(self, codec: ChatCodec, warnings: list[CallWarning]):
        self.codec = codec
        self.warnings = warnings
        self.text_active = False
        self.tool_calls: dict[int, _ToolCallBuffer] = {}
        self.usage: Usage | None = None
        self.metadata: Any = None
        self._has_extra = type(codec).stream_extra is not chat_module.ChatCodec.stream_extra
        self.finish_reason = ""
        self.logprobs: list[Any] = []
        self.extra: dict[str, Any] = {}
        """Scratch space for `ChatCodec.stream_extra` hooks (reasoning state and such)."""

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, chunk: JSON) -> list[StreamPart]:
        # Each chunk's usage replaces the running one (a chunk without usage resets it), so
        # the final usage-only chunk wins; nothing is built for the chunks in between.
        usage = self.codec.stream_usage(chunk) if chunk.get("usage") else None
        self.usage, self.metadata = usage if usage is not None else (None, None)
        choices = chunk.get("choices")
        if not choices:
            return []
        parts: list[StreamPart] = []
        annotated = False
        for choice in choices:
            reason = choice.get("finish_reason")
            if reason:
                self.finish_reason = reason
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                if not self.text_active:
                    self.text_active = True
                    parts.append(StreamPart(StreamPartType.TEXT_START, id=_TEXT_ID))
                parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=_TEXT_ID, delta=text))
            tool_deltas = delta.get("tool_calls")
            if tool_deltas:
                if self.text_active:
                    self.text_active = False
                    parts.append(StreamPart(StreamPartType.TEXT_END, id=_TEXT_ID))
                for tool_delta in tool_deltas:
                    if self._tool_delta(tool_delta, parts):
                        return parts
            logprobs = choice.get("logprobs")
            if logprobs and logprobs.get("content"):
                self.logprobs.extend(logprobs["content"])
            if self._has_extra:
                parts.extend(self.codec.stream_extra(chunk, self))
            annotated = annotated or "annotations" in delta
        if not annotated:
            return parts
        for choice in choices:
            for annotation in (choice.get("delta") or {}).get("annotations") or ():
                cite = annotation.get("url_citation") or {}
                url, title = cite.get("url"), cite.get("title")
                if annotation.get("type") == "url_citation" and isinstance(url, str):
                    parts.append(
                        StreamPart(
                            StreamPartType.SOURCE,
                            id=str(uuid.uuid4()),
                            source_type=SourceType.URL,
                            url=url,
                            title=title if isinstance(title, str) else "",
                        )
                    )
        return parts

    def _tool_delta(self, tool_delta: JSON, parts: list[StreamPart]) -> bool:
        """Handle one tool-call delta; True when the stream must stop (an error part was added)."""
        index = tool_delta.get("index") or 0
        fn = tool_delta.get("function") or {}
        args = fn.get("arguments") or ""
        existing = self.tool_calls.get(index)
        if existing is not None:
            if not existing.finished and args:
                existing.arguments += args
                parts.append(
                    StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=existing.id, delta=args)
                )
            return False
        name = fn.get("name") or ""
        if not name and not args:
            return False  # some servers (Ollama) send empty calls; nothing to open yet
        if (tool_delta.get("type") or "function") != "function":
            parts.append(
                StreamPart(
                    StreamPartType.ERROR,
                    error=FantasyError(
                        "expected 'function' type.", title="invalid provider response"
                    ),
                )
            )
            return True
        call_id = tool_delta.get("id") or f"tool-call-{index}"
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
        parts = self.codec.stream_extra_end(self)
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
