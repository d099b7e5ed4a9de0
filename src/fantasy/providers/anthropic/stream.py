"""Messages API stream events to `StreamPart`s. Pure code: events in, parts out.

Text and thinking blocks are identified by their block index (``"0"``, ``"1"``...),
tool calls by their tool-use id. A thinking block's signature arrives in deltas and
is attached to its ``reasoning_end`` part, which is what history sends back. The
stream is complete only when ``message_stop`` arrived after a stop reason; anything
less is a retryable incomplete-stream error, never a silent finish.
"""

from __future__ import annotations

from fantasy.errors import incomplete_stream_error
from fantasy.http.shape import as_object, integer, join, shape_error, text
from fantasy.providers.anthropic.options import NAME, ReasoningMetadata
from fantasy.providers.anthropic.response import (
    map_finish_reason,
    reasoning_metadata,
    web_search_results,
)
from fantasy.types import JSON, CallWarning, SourceType, StreamPart, StreamPartType, Usage

_MESSAGE = "event(message_start).message"
_MESSAGE_USAGE = "event(message_start).message.usage"
_MESSAGE_DELTA = "event(message_delta).delta"
_MESSAGE_DELTA_USAGE = "event(message_delta).usage"
_START = "event(content_block_start)"
_BLOCK = "event(content_block_start).content_block"
_DELTA = "event(content_block_delta)"
_DELTA_BODY = "event(content_block_delta).delta"
_STOP = "event(content_block_stop)"

_CUMULATIVE = (
    ("output_tokens", "output_tokens"),
    ("input_tokens", "input_tokens"),
    ("cache_creation_input_tokens", "cache_creation_tokens"),
    ("cache_read_input_tokens", "cache_read_tokens"),
)
"""message_delta's usage keys and the running counts they replace."""


class _Block:
    """One open content block: its kind and what its deltas have added so far."""

    __slots__ = ("data", "id", "kind", "name", "pieces", "raw", "signature")

    def __init__(self, kind: str, raw: JSON):
        self.kind = kind
        self.raw = raw
        self.id = ""
        self.name = ""
        self.data = ""
        self.pieces: list[str] = []
        """Tool input fragments, joined once at the block's end."""
        self.signature: list[str] = []


def _index(event: JSON, path: str) -> int:
    """The block index every content block event carries."""
    index = event.get("index")
    if type(index) is int:
        return index
    if index is None:
        raise shape_error(join(path, "index"), "an integer", index)
    return integer(event, "index", path)


class StreamTranslator:
    """The state of one streamed response."""

    def __init__(self, provider: str, warnings: list[CallWarning]):
        self.provider = provider
        self.warnings = warnings
        self.blocks: dict[int, _Block] = {}
        self.message_id = ""
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_creation_tokens = 0
        self.cache_read_tokens = 0
        self.stop_reason = ""
        self.saw_message_stop = False

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, event: JSON) -> list[StreamPart]:
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "content_block_start":
            return self._start(event)
        if kind == "content_block_stop":
            return self._stop(event)
        if kind == "message_start":
            self._message_start(event)
        elif kind == "message_delta":
            self._message_delta(event)
        elif kind == "message_stop":
            self.saw_message_stop = True
        elif kind is not None and type(kind) is not str:
            raise shape_error("event.type", "a string", kind)
        # Event kinds the Messages stream does not define are skipped, as Anthropic's SDK does.
        return []

    # ------------------------------------------------------------------ message events

    def _message_start(self, event: JSON) -> None:
        message = as_object(event.get("message"), _MESSAGE)
        self.message_id = text(message, "id", _MESSAGE)
        usage = as_object(message.get("usage"), _MESSAGE_USAGE)
        self.input_tokens = integer(usage, "input_tokens", _MESSAGE_USAGE)
        self.output_tokens = integer(usage, "output_tokens", _MESSAGE_USAGE)
        self.cache_creation_tokens = integer(usage, "cache_creation_input_tokens", _MESSAGE_USAGE)
        self.cache_read_tokens = integer(usage, "cache_read_input_tokens", _MESSAGE_USAGE)

    def _message_delta(self, event: JSON) -> None:
        delta = as_object(event.get("delta"), _MESSAGE_DELTA)
        self.stop_reason = text(delta, "stop_reason", _MESSAGE_DELTA)
        usage = as_object(event.get("usage"), _MESSAGE_DELTA_USAGE)
        # The counts are cumulative: each one given replaces the running value, and one
        # left out (a proxy that sends no output_tokens) keeps message_start's. Go's SDK
        # reads a missing output_tokens as 0 and loses the count.
        for key, attr in _CUMULATIVE:
            if usage.get(key) is not None:
                setattr(self, attr, integer(usage, key, _MESSAGE_DELTA_USAGE))

    # ------------------------------------------------------------------ content blocks

    def _start(self, event: JSON) -> list[StreamPart]:
        index = _index(event, _START)
        raw = event.get("content_block")
        if raw is None:
            return []
        raw = as_object(raw, _BLOCK)
        block = _Block(text(raw, "type", _BLOCK), raw)
        self.blocks[index] = block
        block_id = str(index)
        if block.kind == "text":
            return [StreamPart(StreamPartType.TEXT_START, id=block_id)]
        if block.kind == "thinking":
            return [StreamPart(StreamPartType.REASONING_START, id=block_id)]
        if block.kind == "redacted_thinking":
            block.data = text(raw, "data", _BLOCK)
            return [
                StreamPart(
                    StreamPartType.REASONING_START,
                    id=block_id,
                    provider_metadata=reasoning_metadata(redacted_data=block.data),
                )
            ]
        if block.kind in ("tool_use", "server_tool_use"):
            block.id = text(raw, "id", _BLOCK)
            block.name = text(raw, "name", _BLOCK)
            return [
                StreamPart(
                    StreamPartType.TOOL_INPUT_START,
                    id=block.id,
                    tool_call_name=block.name,
                    provider_executed=block.kind == "server_tool_use",
                )
            ]
        return []

    def _delta(self, event: JSON) -> list[StreamPart]:
        index = event.get("index")
        if type(index) is not int:
            index = _index(event, _DELTA)
        delta = event.get("delta")
        if type(delta) is not dict:
            delta = as_object(delta, _DELTA_BODY)
        kind = delta.get("type")
        if kind == "text_delta":
            return [
                StreamPart(
                    StreamPartType.TEXT_DELTA, id=str(index), delta=text(delta, "text", _DELTA_BODY)
                )
            ]
        if kind == "thinking_delta":
            return [
                StreamPart(
                    StreamPartType.REASONING_DELTA,
                    id=str(index),
                    delta=text(delta, "thinking", _DELTA_BODY),
                )
            ]
        block = self.blocks.get(index)
        if kind == "signature_delta":
            signature = text(delta, "signature", _DELTA_BODY)
            if block is not None:
                block.signature.append(signature)
            return [
                StreamPart(
                    StreamPartType.REASONING_DELTA,
                    id=str(index),
                    provider_metadata={NAME: ReasoningMetadata(signature=signature)},
                )
            ]
        if kind == "input_json_delta":
            fragment = text(delta, "partial_json", _DELTA_BODY)
            if block is None or not fragment:
                return []
            block.pieces.append(fragment)
            return [
                StreamPart(
                    StreamPartType.TOOL_INPUT_DELTA,
                    id=block.id,
                    delta=fragment,
                    tool_call_input=fragment,
                    provider_executed=block.kind == "server_tool_use",
                )
            ]
        if kind is not None and type(kind) is not str:
            raise shape_error(join(_DELTA_BODY, "type"), "a string", kind)
        return []  # citations and unknown deltas carry nothing we report

    def _stop(self, event: JSON) -> list[StreamPart]:
        index = _index(event, _STOP)
        block = self.blocks.pop(index, None)
        if block is None:
            return []
        block_id = str(index)
        if block.kind == "text":
            return [StreamPart(StreamPartType.TEXT_END, id=block_id)]
        if block.kind == "thinking":
            return [
                StreamPart(
                    StreamPartType.REASONING_END,
                    id=block_id,
                    provider_metadata=reasoning_metadata(signature="".join(block.signature)),
                )
            ]
        if block.kind == "redacted_thinking":
            return [
                StreamPart(
                    StreamPartType.REASONING_END,
                    id=block_id,
                    provider_metadata=reasoning_metadata(redacted_data=block.data),
                )
            ]
        if block.kind in ("tool_use", "server_tool_use"):
            executed = block.kind == "server_tool_use"
            # The start event's input ({}) stands until the first fragment replaces it.
            arguments = "".join(block.pieces) or "{}"
            return [
                StreamPart(StreamPartType.TOOL_INPUT_END, id=block.id, provider_executed=executed),
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=block.id,
                    tool_call_name=block.name,
                    tool_call_input=arguments,
                    provider_executed=executed,
                ),
            ]
        if block.kind == "web_search_tool_result":
            return self._web_search(block.raw)
        return []

    @staticmethod
    def _web_search(raw: JSON) -> list[StreamPart]:
        sources, result = web_search_results(raw, _BLOCK)
        parts = [
            StreamPart(
                StreamPartType.SOURCE,
                id=source.id,
                source_type=SourceType.URL,
                url=source.url,
                title=source.title,
            )
            for source in sources
        ]
        parts.append(
            StreamPart(
                StreamPartType.TOOL_RESULT,
                id=result.tool_call_id,
                tool_call_name=result.tool_name,
                provider_executed=True,
                provider_metadata=result.provider_metadata,
                tool_result=result,
            )
        )
        return parts

    # ------------------------------------------------------------------ end

    def finish(self) -> list[StreamPart]:
        """The finish part, or an incomplete-stream error if the message never ended."""
        if not self.saw_message_stop or not self.stop_reason:
            return [StreamPart(StreamPartType.ERROR, error=incomplete_stream_error(self.provider))]
        usage = Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
            cache_creation_tokens=self.cache_creation_tokens,
            cache_read_tokens=self.cache_read_tokens,
        )
        return [
            StreamPart(
                StreamPartType.FINISH,
                id=self.message_id,
                usage=usage,
                finish_reason=map_finish_reason(self.stop_reason),
                raw_finish_reason=self.stop_reason,
                provider_metadata={},
            )
        ]
