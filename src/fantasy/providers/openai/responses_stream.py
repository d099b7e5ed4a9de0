"""Responses API stream events to `StreamPart`s, keeping the state one stream needs.
Pure code, no I/O: the shared shell (`fantasy.http.shell`) feeds it decoded events.

The Responses API speaks in items rather than messages: the prompt becomes a
list of input items (messages, function calls, their outputs) and the answer
is a list of output items (messages, function calls, reasoning, web searches),
each streamed as ``response.output_item.added`` ... ``response.output_item.done``.
Item ids become the stream part ids, so parts of concurrent items never mix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fantasy.errors import (
    FantasyError,
    incomplete_stream_error,
)
from fantasy.http.shape import integer, obj, text
from fantasy.providers.openai.responses_items import (
    annotation_source,
    arguments,
    failure,
    map_finish_reason,
    usage_from_responses,
)
from fantasy.providers.openai.responses_options import (
    ResponsesReasoningMetadata,
)
from fantasy.providers.openai.web_search import (
    WEB_SEARCH_TOOL_ID,
    web_search_call_metadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
    FinishReason,
    StreamPart,
    StreamPartType,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.providers.openai.responses import ResponsesCodec


# --------------------------------------------------------------------------- streaming


class _Reasoning:
    """A reasoning item being streamed: its metadata and each summary's pieces, joined
    once at the end so a long summary costs linear time."""

    __slots__ = ("metadata", "pieces")

    def __init__(self, metadata: ResponsesReasoningMetadata):
        self.metadata = metadata
        self.pieces: list[list[str]] = []


class ResponsesStreamTranslator:
    """Turns decoded stream events into stream parts, keeping the state one stream needs.

    Only a terminal event (``response.completed`` or ``response.incomplete``)
    finishes the stream; without one, `finish` reports a retryable
    incomplete-stream error.
    """

    def __init__(self, codec: ResponsesCodec, warnings: list[CallWarning]):
        self.codec = codec
        self.warnings = warnings
        self.response_id = ""
        self.terminal = False
        self.finish_reason = FinishReason.UNKNOWN
        self.raw_finish_reason = ""
        self.usage = Usage()
        self.has_function_call = False
        self.function_calls: dict[int, tuple[str, str]] = {}
        """Open function calls by output index: (call id, name)."""
        self.reasoning: dict[str, _Reasoning] = {}

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, event: JSON) -> list[StreamPart]:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            # The hot path: most events of a stream are text deltas.
            return [
                StreamPart(
                    StreamPartType.TEXT_DELTA,
                    id=text(event, "item_id", _TEXT_DELTA),
                    delta=text(event, "delta", _TEXT_DELTA),
                )
            ]
        if type(kind) is not str:
            kind = text(event, "type", "event")
        handler = _HANDLERS.get(kind)
        return handler(self, event) if handler is not None else []

    # ------------------------------------------------------------------ events

    def _created(self, event: JSON) -> list[StreamPart]:
        where = "event(response.created)"
        response = obj(event, "response", where)
        self.response_id = text(response, "id", f"{where}.response") or self.response_id
        return []

    def _item_added(self, event: JSON) -> list[StreamPart]:
        item = obj(event, "item", _ITEM_ADDED)
        where = _ITEM_ADDED_ITEM
        kind = text(item, "type", where)
        item_id = text(item, "id", where)
        if kind == "message":
            return [StreamPart(StreamPartType.TEXT_START, id=item_id)]
        if kind == "function_call":
            call_id, name = text(item, "call_id", where), text(item, "name", where)
            self.function_calls[integer(event, "output_index", _ITEM_ADDED)] = (call_id, name)
            return [StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name)]
        if kind == "web_search_call":
            return [
                StreamPart(
                    StreamPartType.TOOL_INPUT_START,
                    id=item_id,
                    tool_call_name=WEB_SEARCH_TOOL_ID,
                    provider_executed=True,
                )
            ]
        if kind == "reasoning":
            # The encrypted content of the *added* event is kept, as Fantasy does.
            metadata = ResponsesReasoningMetadata(
                item_id=item_id, encrypted_content=text(item, "encrypted_content", where) or None
            )
            self.reasoning[item_id] = _Reasoning(metadata)
            return [
                StreamPart(
                    StreamPartType.REASONING_START,
                    id=item_id,
                    provider_metadata={self.codec.metadata_key: metadata},
                )
            ]
        return []

    def _item_done(self, event: JSON) -> list[StreamPart]:
        item = obj(event, "item", _ITEM_DONE)
        where = _ITEM_DONE_ITEM
        kind = text(item, "type", where)
        item_id = text(item, "id", where)
        if kind == "message":
            return [StreamPart(StreamPartType.TEXT_END, id=item_id)]
        if kind == "function_call":
            output_index = integer(event, "output_index", _ITEM_DONE)
            if self.function_calls.pop(output_index, None) is None:
                return []
            self.has_function_call = True
            call_id = text(item, "call_id", where)
            return [
                StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id),
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=call_id,
                    tool_call_name=text(item, "name", where),
                    tool_call_input=arguments(item, where),
                ),
            ]
        if kind == "web_search_call":
            metadata = {self.codec.metadata_key: web_search_call_metadata(item, where)}
            return [
                StreamPart(StreamPartType.TOOL_INPUT_END, id=item_id),
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=item_id,
                    tool_call_name=WEB_SEARCH_TOOL_ID,
                    provider_executed=True,
                ),
                StreamPart(
                    StreamPartType.TOOL_RESULT,
                    id=item_id,
                    tool_call_name=WEB_SEARCH_TOOL_ID,
                    provider_executed=True,
                    provider_metadata=metadata,
                ),
            ]
        if kind == "reasoning":
            state = self.reasoning.pop(item_id, None)
            if state is None:
                return []
            state.metadata.summary = ["".join(p) for p in state.pieces]
            return [
                StreamPart(
                    StreamPartType.REASONING_END,
                    id=item_id,
                    provider_metadata={self.codec.metadata_key: state.metadata},
                )
            ]
        return []

    def _arguments_delta(self, event: JSON) -> list[StreamPart]:
        call = self.function_calls.get(integer(event, "output_index", _ARGUMENTS_DELTA))
        if call is None:
            return []
        delta = text(event, "delta", _ARGUMENTS_DELTA)
        return [StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call[0], delta=delta)]

    def _annotation(self, event: JSON) -> list[StreamPart]:
        where = "event(response.output_text.annotation.added)"
        annotation = obj(event, "annotation", where)
        source = annotation_source(annotation, f"{where}.annotation")
        if source is None:
            return []
        return [
            StreamPart(
                StreamPartType.SOURCE,
                id=source.id,
                source_type=source.source_type,
                url=source.url,
                title=source.title,
            )
        ]

    def _summary_part(self, event: JSON) -> list[StreamPart]:
        """A new summary paragraph; Fantasy starts each with a newline, the first too."""
        item_id = text(event, "item_id", "event(response.reasoning_summary_part.added)")
        state = self.reasoning.get(item_id)
        if state is None:
            return []
        state.pieces.append([])
        return [StreamPart(StreamPartType.REASONING_DELTA, id=item_id, delta="\n")]

    def _summary_delta(self, event: JSON) -> list[StreamPart]:
        item_id = text(event, "item_id", _SUMMARY_DELTA)
        state = self.reasoning.get(item_id)
        if state is None:
            return []
        delta = text(event, "delta", _SUMMARY_DELTA)
        index = integer(event, "summary_index", _SUMMARY_DELTA)
        if 0 <= index < len(state.pieces):
            state.pieces[index].append(delta)
        return [StreamPart(StreamPartType.REASONING_DELTA, id=item_id, delta=delta)]

    def _completed(self, event: JSON) -> list[StreamPart]:
        return self._terminal(event, "event(response.completed)")

    def _incomplete(self, event: JSON) -> list[StreamPart]:
        return self._terminal(event, "event(response.incomplete)")

    def _terminal(self, event: JSON, where: str) -> list[StreamPart]:
        """``response.completed`` or ``response.incomplete`` (``where``): the answer is
        whole."""
        response = obj(event, "response", where)
        where = f"{where}.response"
        self.terminal = True
        self.response_id = text(response, "id", where) or self.response_id
        details = obj(response, "incomplete_details", where)
        reason = text(details, "reason", f"{where}.incomplete_details")
        self.finish_reason = map_finish_reason(reason, self.has_function_call)
        self.raw_finish_reason = reason or text(response, "status", where)
        self.usage = usage_from_responses(obj(response, "usage", where), f"{where}.usage")
        return []

    def _failed(self, event: JSON) -> list[StreamPart]:
        where = "event(response.failed).response"
        error = obj(obj(event, "response", "event(response.failed)"), "error", where)
        failed = failure("response failed", error, self.codec.provider_name, f"{where}.error")
        return [self._error(failed)]

    def _error_event(self, event: JSON) -> list[StreamPart]:
        failed = failure("response error", event, self.codec.provider_name, "event(error)")
        return [self._error(failed)]

    @staticmethod
    def _error(error: FantasyError) -> StreamPart:
        return StreamPart(StreamPartType.ERROR, error=error)

    def finish(self) -> list[StreamPart]:
        """End of stream: finish with usage and reason, or report that it was cut short."""
        if not self.terminal:
            return [self._error(incomplete_stream_error(self.codec.provider_name))]
        return [
            StreamPart(
                StreamPartType.FINISH,
                usage=self.usage,
                finish_reason=self.finish_reason,
                provider_metadata=self.codec.response_metadata(self.response_id),
                raw_finish_reason=self.raw_finish_reason,
            )
        ]


_TEXT_DELTA = "event(response.output_text.delta)"
_ITEM_ADDED = "event(response.output_item.added)"
_ITEM_ADDED_ITEM = f"{_ITEM_ADDED}.item"
_ITEM_DONE = "event(response.output_item.done)"
_ITEM_DONE_ITEM = f"{_ITEM_DONE}.item"
_ARGUMENTS_DELTA = "event(response.function_call_arguments.delta)"
_SUMMARY_DELTA = "event(response.reasoning_summary_text.delta)"
"""Where the fields of the frequent events are, for error messages: made once."""

_HANDLERS = {
    "response.created": ResponsesStreamTranslator._created,
    "response.output_item.added": ResponsesStreamTranslator._item_added,
    "response.output_item.done": ResponsesStreamTranslator._item_done,
    "response.function_call_arguments.delta": ResponsesStreamTranslator._arguments_delta,
    "response.output_text.annotation.added": ResponsesStreamTranslator._annotation,
    "response.reasoning_summary_part.added": ResponsesStreamTranslator._summary_part,
    "response.reasoning_summary_text.delta": ResponsesStreamTranslator._summary_delta,
    "response.completed": ResponsesStreamTranslator._completed,
    "response.incomplete": ResponsesStreamTranslator._incomplete,
    "response.failed": ResponsesStreamTranslator._failed,
    "error": ResponsesStreamTranslator._error_event,
}
"""The events that matter; the rest (in_progress, *.done of text and arguments,
content_part.*, web_search_call.*) carry nothing new and are skipped."""
