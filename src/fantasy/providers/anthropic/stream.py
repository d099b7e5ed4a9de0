"""Messages API stream events to `StreamPart`s. Pure code: events in, parts out.

Text and thinking blocks are identified by their block index (``"0"``, ``"1"``...),
tool calls by their tool-use id. A thinking block's signature arrives in deltas and
is attached to its ``reasoning_end`` part, which is what history sends back; a
text block's citations arrive in ``citations_delta``s and ride on its ``text_end``
part, followed by one ``source`` part each. Hosted tool results arrive whole in
``content_block_start`` and are reported at the block's end.

Every delta and stop names the block it belongs to by index: one that names no open
block, or a block of another kind (a tool's input under a text block's index), is an
`InvalidResponseError` naming the index, never a silent drop. Event, block and delta
types the stream does not document are reported once each as a warning part.

The stream is complete when ``message_stop`` arrived after a stop reason, or when
``message_start`` already carried the whole message with its stop reason (some
proxies send it so); anything less is a retryable incomplete-stream error, never a
silent finish. Blocks still open at a complete end are closed, as is a thinking
block still open when the next block begins.
"""

from __future__ import annotations

import json
from typing import Any

from fantasy.errors import ProviderError, incomplete_stream_error
from fantasy.http.shape import as_list, as_object, integer, join, label, shape_error, text
from fantasy.providers.anthropic.blocks import (
    CALL_BLOCKS,
    RESULT_TOOL_NAMES,
    caller_metadata,
    citations,
    mcp_call,
    other,
    unknown_block,
)
from fantasy.providers.anthropic.errors import stream_error
from fantasy.providers.anthropic.options import NAME, MessageMetadata, ReasoningMetadata
from fantasy.providers.anthropic.response import (
    PAUSE_TURN,
    BlockReader,
    map_finish_reason,
    message_metadata,
    reasoning_metadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
    Content,
    ReasoningContent,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

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

_DELTA_BLOCKS = {
    "text_delta": frozenset({"text"}),
    "citations_delta": frozenset({"text"}),
    "thinking_delta": frozenset({"thinking"}),
    "signature_delta": frozenset({"thinking"}),
    "input_json_delta": CALL_BLOCKS,
}
"""Each documented delta and the block kinds it may belong to."""

_KNOWN_BLOCKS = frozenset(
    {"text", "thinking", "redacted_thinking", "web_search_tool_result"}
    | CALL_BLOCKS
    | RESULT_TOOL_NAMES.keys()
)

T = StreamPartType


class _Block:
    """One open content block: its kind and what its deltas have added so far."""

    __slots__ = ("citations", "data", "id", "kind", "name", "pieces", "raw", "signature", "start")

    def __init__(self, kind: str, raw: JSON):
        self.kind = kind
        self.raw = raw
        self.id = ""
        self.name = ""
        self.data = ""
        self.start = ""
        """A tool's input as given whole in ``content_block_start`` (empty when ``{}``)."""
        self.pieces: list[str] = []
        """Tool input fragments, joined once at the block's end."""
        self.signature: list[str] = []
        self.citations: list[Any] = []


def _index(event: JSON, path: str) -> int:
    """The block index every content block event carries."""
    index = event.get("index")
    if type(index) is int:
        return index
    if index is None:
        raise shape_error(join(path, "index"), "an integer", index)
    return integer(event, "index", path)


def _mismatch(message: str) -> ProviderError:
    return ProviderError(message, title="invalid provider response")


def content_parts(content: list[Content], prefix: str) -> list[StreamPart]:
    """Whole content as the parts a stream would have given for it."""
    parts: list[StreamPart] = []
    for n, item in enumerate(content):
        part_id = f"{prefix}{n}"
        if isinstance(item, TextContent):
            parts += [
                StreamPart(T.TEXT_START, id=part_id),
                StreamPart(T.TEXT_DELTA, id=part_id, delta=item.text),
                StreamPart(T.TEXT_END, id=part_id, provider_metadata=item.provider_metadata),
            ]
        elif isinstance(item, ReasoningContent):
            parts += [
                StreamPart(T.REASONING_START, id=part_id),
                StreamPart(T.REASONING_DELTA, id=part_id, delta=item.text),
                StreamPart(T.REASONING_END, id=part_id, provider_metadata=item.provider_metadata),
            ]
        elif isinstance(item, ToolCallContent):
            executed = item.provider_executed
            parts += [
                StreamPart(
                    T.TOOL_INPUT_START,
                    id=item.tool_call_id,
                    tool_call_name=item.tool_name,
                    provider_executed=executed,
                ),
                StreamPart(T.TOOL_INPUT_END, id=item.tool_call_id, provider_executed=executed),
                StreamPart.of_tool_call(item),
            ]
        elif isinstance(item, SourceContent):
            parts.append(_source_part(item))
        elif isinstance(item, ToolResultContent):
            parts.append(StreamPart.of_tool_result(item, provider_executed=True))
    return parts


def _source_part(source: SourceContent) -> StreamPart:
    """A web search result stays a plain URL source part; a citation travels whole."""
    plain = source.source_type is SourceType.URL and source.provider_metadata is None
    return StreamPart.of_source(source, whole=not plain)


class StreamTranslator:
    """The state of one streamed response."""

    def __init__(self, provider: str, warnings: list[CallWarning]):
        self.provider = provider
        self.warnings = warnings
        self.blocks: dict[int, _Block] = {}
        self.closed_early: set[int] = set()
        """Thinking blocks closed because another block began before their stop."""
        self.reader = BlockReader()
        self.reported: set[str] = set()
        """Unknown event, block and delta types already warned about."""
        self.message_id = ""
        self.model: str | None = None
        """The answering model, as ``message_start`` names it."""
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_creation_tokens = 0
        self.cache_read_tokens = 0
        self.stop_reason = ""
        self.saw_message_stop = False
        self.whole_message = False
        """message_start carried the whole message, stop reason included."""
        self.metadata: dict[str, Any] = {}

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(T.WARNINGS, warnings=self.warnings)]
        return []

    def _warn_once(self, key: str, message: str) -> list[StreamPart]:
        if key in self.reported:
            return []
        self.reported.add(key)
        return [StreamPart(T.WARNINGS, warnings=[other(message)])]

    def _reader_warnings(self) -> list[StreamPart]:
        if not self.reader.warnings:
            return []
        found, self.reader.warnings = self.reader.warnings, []
        return [StreamPart(T.WARNINGS, warnings=found)]

    def feed(self, event: JSON) -> list[StreamPart]:
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "content_block_start":
            return self._start(event)
        if kind == "content_block_stop":
            return self._stop(event)
        if kind == "message_start":
            return self._message_start(event)
        if kind == "message_delta":
            self._message_delta(event)
        elif kind == "message_stop":
            self.saw_message_stop = True
        elif kind == "ping":
            pass
        elif kind == "error":
            raise stream_error(json.dumps(event), self.provider)
        elif type(kind) is not str:
            raise shape_error("event.type", "a string", kind)
        else:
            return self._warn_once(f"event:{kind}", f"unsupported stream event {kind!r} skipped")
        return []

    # ------------------------------------------------------------------ message events

    def _message_start(self, event: JSON) -> list[StreamPart]:
        message = as_object(event.get("message"), _MESSAGE)
        self.message_id = text(message, "id", _MESSAGE)
        self.model = label(message, "model")
        usage = as_object(message.get("usage"), _MESSAGE_USAGE)
        self.input_tokens = integer(usage, "input_tokens", _MESSAGE_USAGE)
        self.output_tokens = integer(usage, "output_tokens", _MESSAGE_USAGE)
        self.cache_creation_tokens = integer(usage, "cache_creation_input_tokens", _MESSAGE_USAGE)
        self.cache_read_tokens = integer(usage, "cache_read_input_tokens", _MESSAGE_USAGE)
        self._container(message.get("container"), join(_MESSAGE, "container"))
        # A proxy may send the whole message here: its content, then its stop reason.
        content: list[Content] = []
        where = join(_MESSAGE, "content")
        for i, block in enumerate(as_list(message.get("content"), where)):
            at = join(where, i)
            content.extend(self.reader.read(as_object(block, at), at))
        parts = self._reader_warnings() + content_parts(content, "message-")
        stop_reason = text(message, "stop_reason", _MESSAGE)
        if stop_reason:
            self.stop_reason = stop_reason
            self.whole_message = True
        return parts

    def _message_delta(self, event: JSON) -> None:
        delta = as_object(event.get("delta"), _MESSAGE_DELTA)
        stop_reason = text(delta, "stop_reason", _MESSAGE_DELTA)
        if stop_reason:
            self.stop_reason = stop_reason
        self._container(delta.get("container"), join(_MESSAGE_DELTA, "container"))
        details = delta.get("stop_details")
        if details is not None:
            # A refusal says why (its category and explanation), beside the container.
            metadata = self.metadata.get(NAME) or MessageMetadata()
            metadata.stop_details = as_object(details, join(_MESSAGE_DELTA, "stop_details"))
            self.metadata = {NAME: metadata}
        usage = as_object(event.get("usage"), _MESSAGE_DELTA_USAGE)
        # The counts are cumulative: each one given replaces the running value, and one
        # left out (a proxy that sends no output_tokens) keeps message_start's. Go's SDK
        # reads a missing output_tokens as 0 and loses the count.
        for key, attr in _CUMULATIVE:
            if usage.get(key) is not None:
                setattr(self, attr, integer(usage, key, _MESSAGE_DELTA_USAGE))

    def _container(self, container: Any, path: str) -> None:
        if container is not None:
            self.metadata = message_metadata(container, path)

    # ------------------------------------------------------------------ content blocks

    def _start(self, event: JSON) -> list[StreamPart]:
        index = _index(event, _START)
        raw = event.get("content_block")
        if raw is None:
            return []
        raw = as_object(raw, _BLOCK)
        if index in self.blocks:
            raise _mismatch(
                f"content_block_start for index {index}, whose block "
                f"({self.blocks[index].kind}) is still open"
            )
        block = _Block(text(raw, "type", _BLOCK), raw)
        parts = self._close_thinking() if block.kind != "thinking" else []
        self.blocks[index] = block
        self.closed_early.discard(index)
        block_id = str(index)
        # Text and thinking start empty; a proxy may put some (or all) of it here.
        if block.kind == "text":
            parts.append(StreamPart(T.TEXT_START, id=block_id))
            if given_text := text(raw, "text", _BLOCK):
                parts.append(StreamPart(T.TEXT_DELTA, id=block_id, delta=given_text))
            block.citations.extend(as_list(raw.get("citations"), join(_BLOCK, "citations")))
            return parts
        if block.kind == "thinking":
            parts.append(StreamPart(T.REASONING_START, id=block_id))
            if given_text := text(raw, "thinking", _BLOCK):
                parts.append(StreamPart(T.REASONING_DELTA, id=block_id, delta=given_text))
            if signature := text(raw, "signature", _BLOCK):
                block.signature.append(signature)
            return parts
        if block.kind == "redacted_thinking":
            block.data = text(raw, "data", _BLOCK)
            return [
                *parts,
                StreamPart(
                    T.REASONING_START,
                    id=block_id,
                    provider_metadata=reasoning_metadata(redacted_data=block.data),
                ),
            ]
        if block.kind in CALL_BLOCKS:
            block.id = text(raw, "id", _BLOCK)
            block.name = text(raw, "name", _BLOCK)
            given = raw.get("input")
            if given:
                # The whole input may come here, with no deltas after it.
                given = as_object(given, join(_BLOCK, "input"))
                block.start = json.dumps(
                    given,
                    ensure_ascii=False,
                    separators=(",", ":"),
                    sort_keys=block.kind == "server_tool_use",
                )
            return [
                *parts,
                StreamPart(
                    T.TOOL_INPUT_START,
                    id=block.id,
                    tool_call_name=block.name,
                    provider_executed=block.kind != "tool_use",
                ),
            ]
        if block.kind not in _KNOWN_BLOCKS:
            self.reader.warnings.append(unknown_block(block.kind, raw))
            return parts + self._reader_warnings()
        return parts  # a hosted tool's result: reported whole at its end

    def _close_thinking(self) -> list[StreamPart]:
        """Another block begins: a thinking block whose stop never came ends here."""
        parts: list[StreamPart] = []
        for index, block in list(self.blocks.items()):
            if block.kind in ("thinking", "redacted_thinking"):
                del self.blocks[index]
                self.closed_early.add(index)
                parts.extend(self._end(index, block))
        return parts

    def _delta(self, event: JSON) -> list[StreamPart]:
        index = event.get("index")
        if type(index) is not int:
            index = _index(event, _DELTA)
        delta = event.get("delta")
        if type(delta) is not dict:
            delta = as_object(delta, _DELTA_BODY)
        kind = delta.get("type")
        block = self.blocks.get(index)
        if block is None:
            raise _mismatch(
                f"content_block_delta ({kind}) for index {index}, where no content block is open"
            )
        if kind == "text_delta" and block.kind == "text":
            return [StreamPart(T.TEXT_DELTA, id=str(index), delta=text(delta, "text", _DELTA_BODY))]
        if kind == "thinking_delta" and block.kind == "thinking":
            return [
                StreamPart(
                    T.REASONING_DELTA,
                    id=str(index),
                    delta=text(delta, "thinking", _DELTA_BODY),
                )
            ]
        if block.kind not in _KNOWN_BLOCKS:
            return []  # its block was reported as unsupported
        allowed = _DELTA_BLOCKS.get(kind) if isinstance(kind, str) else None
        if allowed is None:
            if kind is not None and type(kind) is not str:
                raise shape_error(join(_DELTA_BODY, "type"), "a string", kind)
            return self._warn_once(f"delta:{kind}", f"unsupported delta type {kind!r} skipped")
        if block.kind not in allowed:
            raise _mismatch(
                f"content_block_delta ({kind}) for index {index}, whose block is a "
                f"{block.kind} block"
            )
        if kind == "signature_delta":
            signature = text(delta, "signature", _DELTA_BODY)
            block.signature.append(signature)
            return [
                StreamPart(
                    T.REASONING_DELTA,
                    id=str(index),
                    provider_metadata={NAME: ReasoningMetadata(signature=signature)},
                )
            ]
        if kind == "citations_delta":
            raw = as_object(delta.get("citation"), join(_DELTA_BODY, "citation"))
            block.citations.append(raw)
            return []
        fragment = text(delta, "partial_json", _DELTA_BODY)
        if not fragment:
            return []
        block.pieces.append(fragment)
        return [
            StreamPart(
                T.TOOL_INPUT_DELTA,
                id=block.id,
                delta=fragment,
                tool_call_input=fragment,
                provider_executed=block.kind != "tool_use",
            )
        ]

    def _stop(self, event: JSON) -> list[StreamPart]:
        index = _index(event, _STOP)
        block = self.blocks.pop(index, None)
        if block is None:
            if index in self.closed_early:
                self.closed_early.discard(index)
                return []
            raise _mismatch(f"content_block_stop for index {index}, where no block is open")
        return self._end(index, block)

    def _end(self, index: int, block: _Block) -> list[StreamPart]:
        block_id = str(index)
        if block.kind == "text":
            return self._text_end(block_id, block)
        if block.kind == "thinking":
            return [
                StreamPart(
                    T.REASONING_END,
                    id=block_id,
                    provider_metadata=reasoning_metadata(signature="".join(block.signature)),
                )
            ]
        if block.kind == "redacted_thinking":
            return [
                StreamPart(
                    T.REASONING_END,
                    id=block_id,
                    provider_metadata=reasoning_metadata(redacted_data=block.data),
                )
            ]
        if block.kind in CALL_BLOCKS:
            return self._call_end(block)
        if block.kind in _KNOWN_BLOCKS:  # a hosted tool's result, whole
            content = self.reader.read(block.raw, _BLOCK)
            return self._reader_warnings() + content_parts(content, f"{block_id}-")
        return []

    def _text_end(self, block_id: str, block: _Block) -> list[StreamPart]:
        if not block.citations:
            return [StreamPart(T.TEXT_END, id=block_id)]
        metadata, sources = self._citations(block.citations)
        parts = [StreamPart(T.TEXT_END, id=block_id, provider_metadata=metadata)]
        parts.extend(_source_part(source) for source in sources)
        return self._reader_warnings() + parts

    def _citations(self, raw: list[Any]) -> tuple[Any, list[SourceContent]]:
        return citations({"citations": raw}, _DELTA_BODY, self.reader.warnings)

    def _call_end(self, block: _Block) -> list[StreamPart]:
        executed = block.kind != "tool_use"
        # The start event's input stands until the first fragment replaces it.
        arguments = "".join(block.pieces) or block.start or "{}"
        if block.kind == "mcp_tool_use":
            metadata = mcp_call(block.raw, _BLOCK, arguments).provider_metadata
        else:
            metadata = caller_metadata(block.raw, _BLOCK)
        if executed:
            self.reader.call_names[block.id] = block.name
        return [
            StreamPart(T.TOOL_INPUT_END, id=block.id, provider_executed=executed),
            StreamPart(
                T.TOOL_CALL,
                id=block.id,
                tool_call_name=block.name,
                tool_call_input=arguments,
                provider_executed=executed,
                provider_metadata=metadata,
            ),
        ]

    # ------------------------------------------------------------------ end

    def finish(self) -> list[StreamPart]:
        """The finish part, or an incomplete-stream error if the message never ended."""
        complete = self.whole_message or (self.saw_message_stop and self.stop_reason)
        if not complete:
            return [StreamPart(T.ERROR, error=incomplete_stream_error(self.provider))]
        parts: list[StreamPart] = []
        for index in sorted(self.blocks):
            parts.extend(self._end(index, self.blocks.pop(index)))
        usage = Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
            cache_creation_tokens=self.cache_creation_tokens,
            cache_read_tokens=self.cache_read_tokens,
        )
        parts.append(
            StreamPart(
                T.FINISH,
                id=self.message_id,
                usage=usage,
                finish_reason=map_finish_reason(self.stop_reason),
                raw_finish_reason=self.stop_reason,
                provider_metadata=self.metadata,
                response_id=self.message_id or None,
                response_model=self.model,
                turn_paused=self.stop_reason == PAUSE_TURN,
            )
        )
        return parts
