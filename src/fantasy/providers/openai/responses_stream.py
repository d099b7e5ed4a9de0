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
from fantasy.http.shape import integer, label, obj, objects, text
from fantasy.providers.openai.responses_items import (
    Unknowns,
    annotation_source,
    arguments,
    failure,
    is_known_annotation,
    map_finish_reason,
    reasoning_text,
    reasoning_texts,
    usage_from_responses,
)
from fantasy.providers.openai.responses_options import (
    ResponsesReasoningMetadata,
)
from fantasy.providers.openai.responses_tools import (
    PROVIDER_ITEM_TYPES,
    ItemReader,
    PartialImage,
    decode_image,
    image_media_type,
)
from fantasy.providers.openai.web_search import (
    WEB_SEARCH_TOOL_ID,
    web_search_call_metadata,
)
from fantasy.types import (
    JSON,
    CallWarning,
    Content,
    FileContent,
    FinishReason,
    ReasoningContent,
    SourceContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.providers.openai.responses import ResponsesCodec


# --------------------------------------------------------------------------- streaming


class _Reasoning:
    """A reasoning item being streamed: its metadata, each summary's pieces and the raw
    reasoning text's pieces, joined once at the end so a long summary costs linear time."""

    __slots__ = ("metadata", "pieces", "raw", "streamed")

    def __init__(self, metadata: ResponsesReasoningMetadata):
        self.metadata = metadata
        self.pieces: list[list[str]] = []
        self.raw: list[str] = []
        self.streamed = False
        """Whether any reasoning delta was sent for it."""


class ResponsesStreamTranslator:
    """Turns decoded stream events into stream parts, keeping the state one stream needs.

    Only a terminal event (``response.completed`` or ``response.incomplete``)
    finishes the stream; without one, `finish` reports a retryable
    incomplete-stream error.

    Parts of one output item share one id, the one it was announced with
    (``output_item.added``), found again by ``output_index``: some servers (GitHub
    Copilot's) send a new ``item_id`` on every event. Without an index, the item id
    is used.
    """

    def __init__(self, codec: ResponsesCodec, warnings: list[CallWarning]):
        self.codec = codec
        self.warnings = warnings
        self.response_id = ""
        self.response_model: str | None = None
        """The answering model, from ``response.created`` and again at the end."""
        self.terminal = False
        self.finish_reason = FinishReason.UNKNOWN
        self.raw_finish_reason = ""
        self.usage = Usage()
        self.has_function_call = False
        self.function_calls: dict[int, tuple[str, str]] = {}
        """Open function calls by output index: (call id, name)."""
        self.ids: dict[int, str] = {}
        """The part id of each output item, by output index."""
        self.reasoning: dict[str, _Reasoning] = {}
        """Open reasoning items by part id."""
        self.closed: set[str] = set()
        """Reasoning items closed before their done event (text or a call began)."""
        self.texts: dict[str, bool] = {}
        """Open text items by part id: whether any text was streamed for it."""
        self.annotated: set[str] = set()
        """Text items whose citations were streamed (``annotation.added``)."""
        self.tool_inputs: dict[int, str] = {}
        """Open tool inputs of hosted and custom tool calls, by output index."""
        self.reader = ItemReader(codec.metadata_key)
        self.items_seen = False
        """Whether any output_item event came (else the terminal response is read whole)."""
        self.unknowns = Unknowns()

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, event: JSON) -> list[StreamPart]:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            # The hot path: most events of a stream are text deltas.
            index = event.get("output_index")
            if type(index) is int:
                part_id = self.ids.get(index)
            else:
                index = integer(event, "output_index", _TEXT_DELTA, -1)
                part_id = None
            if part_id is None:
                part_id = text(event, "item_id", _TEXT_DELTA)
            delta = StreamPart(
                StreamPartType.TEXT_DELTA, id=part_id, delta=text(event, "delta", _TEXT_DELTA)
            )
            if self.texts.get(part_id):
                return [delta]
            return [*self._open_text(part_id, index), delta]
        if type(kind) is not str:
            kind = text(event, "type", "event")
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return handler(self, event)
        if kind in _IGNORED:
            return []
        return self._unknown("stream event", kind)

    # ------------------------------------------------------------------ helpers

    def _unknown(self, what: str, kind: str) -> list[StreamPart]:
        warning = self.unknowns.add(what, kind)
        if warning is None:
            return []
        return [StreamPart(StreamPartType.WARNINGS, warnings=[warning])]

    def _part_id(self, event: JSON, where: str) -> str:
        """The id of the item an event belongs to: by its output index, else its item id."""
        known = self.ids.get(integer(event, "output_index", where, -1))
        return known if known is not None else text(event, "item_id", where)

    def _remember(self, index: object, part_id: str) -> None:
        """The part id of the item at ``index`` (none when the event had no index)."""
        if type(index) is int and index >= 0:
            self.ids[index] = part_id

    def _open_text(self, part_id: str, index: object) -> list[StreamPart]:
        """A text item's first delta: start it (and close any reasoning still open) if
        its ``output_item.added`` was not seen."""
        if part_id in self.texts:
            self.texts[part_id] = True
            return []
        self.texts[part_id] = True
        self._remember(index, part_id)
        return [*self._close_reasoning(), StreamPart(StreamPartType.TEXT_START, id=part_id)]

    def _close_reasoning(self, keep: str = "") -> list[StreamPart]:
        """Close every open reasoning item (but ``keep``): text or a call began, or the
        stream ended, without its ``output_item.done``."""
        parts: list[StreamPart] = []
        for part_id in [k for k in self.reasoning if k != keep]:
            self.closed.add(part_id)
            parts.extend(self._end_reasoning(self.reasoning.pop(part_id), part_id, None))
        return parts

    def _end_reasoning(
        self, state: _Reasoning, part_id: str, item: JSON | None
    ) -> list[StreamPart]:
        """A reasoning item's end: its final metadata (the done item's encrypted content,
        which replaces the provisional one of ``output_item.added``), and its text when
        none was streamed."""
        metadata = state.metadata
        parts: list[StreamPart] = []
        metadata.summary = ["".join(p) for p in state.pieces]
        metadata.content = ["".join(state.raw)] if state.raw else []
        if item is not None:
            where = _ITEM_DONE_ITEM
            metadata.encrypted_content = (
                text(item, "encrypted_content", where) or metadata.encrypted_content
            )
            if not state.streamed:
                metadata.summary = [
                    text(s, "text", f"{where}.summary[{i}]")
                    for i, s in enumerate(objects(item, "summary", where))
                ]
                metadata.content = reasoning_texts(item, where)
                whole = reasoning_text(metadata)
                if whole:
                    parts.append(
                        StreamPart(StreamPartType.REASONING_DELTA, id=part_id, delta=whole)
                    )
        parts.append(
            StreamPart(
                StreamPartType.REASONING_END,
                id=part_id,
                provider_metadata={self.codec.metadata_key: metadata},
            )
        )
        return parts

    def _reasoning_state(self, part_id: str, item_id: str) -> tuple[_Reasoning, list[StreamPart]]:
        """The open reasoning item ``part_id``, started now if its ``output_item.added``
        was not seen."""
        state = self.reasoning.get(part_id)
        if state is not None:
            return state, []
        state = _Reasoning(ResponsesReasoningMetadata(item_id=item_id or part_id))
        self.reasoning[part_id] = state
        return state, [
            StreamPart(
                StreamPartType.REASONING_START,
                id=part_id,
                provider_metadata={self.codec.metadata_key: state.metadata},
            )
        ]

    def _content_parts(self, content: list[Content]) -> list[StreamPart]:
        """Whole content of a hosted-tool item as the stream parts that carry it."""
        parts: list[StreamPart] = []
        for c in content:
            if isinstance(c, ToolCallContent):
                parts.append(StreamPart.of_tool_call(c))
            elif isinstance(c, ToolResultContent):
                parts.append(StreamPart.of_tool_result(c, provider_executed=True))
            elif isinstance(c, FileContent):
                parts.append(StreamPart(StreamPartType.FILE, file=c))
            elif isinstance(c, SourceContent):
                parts.append(StreamPart.of_source(c))
        return parts

    # ------------------------------------------------------------------ events

    def _created(self, event: JSON) -> list[StreamPart]:
        where = "event(response.created)"
        response = obj(event, "response", where)
        self.response_id = text(response, "id", f"{where}.response") or self.response_id
        self.response_model = label(response, "model") or self.response_model
        return []

    def _item_added(self, event: JSON) -> list[StreamPart]:
        self.items_seen = True
        item = obj(event, "item", _ITEM_ADDED)
        where = _ITEM_ADDED_ITEM
        kind = text(item, "type", where)
        item_id = text(item, "id", where)
        index = integer(event, "output_index", _ITEM_ADDED, -1)
        if kind == "reasoning":
            self._remember(index, item_id)
            # Provisional: the done event's encrypted content replaces it.
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
        parts = self._close_reasoning()
        if kind == "message":
            self._remember(index, item_id)
            self.texts[item_id] = False
            parts.append(StreamPart(StreamPartType.TEXT_START, id=item_id))
        elif kind == "function_call":
            call_id, name = text(item, "call_id", where), text(item, "name", where)
            self.function_calls[index] = (call_id, name)
            self._remember(index, call_id)
            parts.append(
                StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name)
            )
        elif kind == "web_search_call":
            self._remember(index, item_id)
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_INPUT_START,
                    id=item_id,
                    tool_call_name=WEB_SEARCH_TOOL_ID,
                    provider_executed=True,
                )
            )
        else:
            started = self.reader.start(item, kind, where)
            if started is not None:
                call_id, name, provider_executed = started
                self._remember(index, call_id)
                self.tool_inputs[index] = call_id
                parts.append(
                    StreamPart(
                        StreamPartType.TOOL_INPUT_START,
                        id=call_id,
                        tool_call_name=name,
                        provider_executed=provider_executed,
                    )
                )
            elif kind not in PROVIDER_ITEM_TYPES:
                parts.extend(self._unknown("output item", kind))
        return parts

    def _item_done(self, event: JSON) -> list[StreamPart]:
        self.items_seen = True
        item = obj(event, "item", _ITEM_DONE)
        where = _ITEM_DONE_ITEM
        kind = text(item, "type", where)
        item_id = text(item, "id", where)
        index = integer(event, "output_index", _ITEM_DONE, -1)
        part_id = self.ids.get(index, item_id)
        if kind == "message":
            return self._message_done(item, part_id)
        if kind == "function_call":
            self.has_function_call = True
            call_id = text(item, "call_id", where)
            name = text(item, "name", where)
            parts = []
            if self.function_calls.pop(index, None) is None:
                # Announced by no output_item.added (a server that sends whole items):
                # the call is whole here.
                parts.append(
                    StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name)
                )
            return [
                *parts,
                StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id),
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=call_id,
                    tool_call_name=name,
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
            state = self.reasoning.pop(part_id, None)
            if state is None:
                if part_id in self.closed:
                    return []
                state, parts = self._reasoning_state(part_id, item_id)
                self.reasoning.pop(part_id, None)
                return [*parts, *self._end_reasoning(state, part_id, item)]
            return self._end_reasoning(state, part_id, item)
        content = self.reader.read(item, kind, where)
        if content is None:
            return self._unknown("output item", kind)
        parts = []
        open_input = self.tool_inputs.pop(index, None)
        if open_input is not None:
            parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=open_input))
        if self.reader.is_client_call(item, kind):
            self.has_function_call = True
        parts.extend(self._content_parts(content))
        return parts

    def _message_done(self, item: JSON, part_id: str) -> list[StreamPart]:
        """A message's end; its text and citations from the done item when they were not
        streamed (servers that send the whole item only)."""
        streamed = self.texts.pop(part_id, None)
        parts: list[StreamPart] = []
        if streamed is None:
            parts.extend(self._close_reasoning())
            parts.append(StreamPart(StreamPartType.TEXT_START, id=part_id))
        before = len(self.unknowns.warnings)
        whole = self.codec._message_content(item, _ITEM_DONE_ITEM, self.unknowns)
        if len(self.unknowns.warnings) > before:
            parts.append(
                StreamPart(StreamPartType.WARNINGS, warnings=self.unknowns.warnings[before:])
            )
        if not streamed:
            joined = "".join(c.text for c in whole if isinstance(c, TextContent))
            if joined:
                parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=part_id, delta=joined))
        if part_id not in self.annotated:
            parts.extend(StreamPart.of_source(c) for c in whole if isinstance(c, SourceContent))
        parts.append(StreamPart(StreamPartType.TEXT_END, id=part_id))
        return parts

    def _arguments_delta(self, event: JSON) -> list[StreamPart]:
        call = self.function_calls.get(integer(event, "output_index", _ARGUMENTS_DELTA))
        if call is None:
            return []
        delta = text(event, "delta", _ARGUMENTS_DELTA)
        return [StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call[0], delta=delta)]

    def _custom_input_delta(self, event: JSON) -> list[StreamPart]:
        where = "event(response.custom_tool_call_input.delta)"
        call_id = self.tool_inputs.get(integer(event, "output_index", where, -1))
        if call_id is None:
            return []
        delta = text(event, "delta", where)
        return [StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=delta)]

    def _annotation(self, event: JSON) -> list[StreamPart]:
        where = "event(response.output_text.annotation.added)"
        annotation = obj(event, "annotation", where)
        self.annotated.add(self._part_id(event, where))
        source = annotation_source(annotation, f"{where}.annotation")
        if source is None:
            if is_known_annotation(annotation):
                return []
            return self._unknown("annotation", text(annotation, "type", f"{where}.annotation"))
        return [StreamPart.of_source(source)]

    def _refusal_delta(self, event: JSON) -> list[StreamPart]:
        """A refusal is what the model said instead of an answer: streamed as its text."""
        where = "event(response.refusal.delta)"
        part_id = self._part_id(event, where)
        delta = StreamPart(StreamPartType.TEXT_DELTA, id=part_id, delta=text(event, "delta", where))
        if self.texts.get(part_id):
            return [delta]
        return [*self._open_text(part_id, integer(event, "output_index", where, -1)), delta]

    def _summary_part(self, event: JSON) -> list[StreamPart]:
        """A new summary paragraph; Fantasy starts each with a newline, the first too."""
        where = "event(response.reasoning_summary_part.added)"
        part_id = self._part_id(event, where)
        state, parts = self._reasoning_state(part_id, text(event, "item_id", where))
        state.pieces.append([])
        state.streamed = True
        parts.append(StreamPart(StreamPartType.REASONING_DELTA, id=part_id, delta="\n"))
        return parts

    def _summary_delta(self, event: JSON) -> list[StreamPart]:
        part_id = self._part_id(event, _SUMMARY_DELTA)
        state, parts = self._reasoning_state(part_id, text(event, "item_id", _SUMMARY_DELTA))
        delta = text(event, "delta", _SUMMARY_DELTA)
        index = integer(event, "summary_index", _SUMMARY_DELTA)
        if index == len(state.pieces):
            state.pieces.append([])  # a summary whose part.added was not sent
        if 0 <= index < len(state.pieces):
            state.pieces[index].append(delta)
        state.streamed = True
        parts.append(StreamPart(StreamPartType.REASONING_DELTA, id=part_id, delta=delta))
        return parts

    def _reasoning_text_delta(self, event: JSON) -> list[StreamPart]:
        """Raw reasoning (``reasoning_text``), as compatible servers stream it; after
        summaries, on a line of its own."""
        where = "event(response.reasoning_text.delta)"
        part_id = self._part_id(event, where)
        state, parts = self._reasoning_state(part_id, text(event, "item_id", where))
        delta = text(event, "delta", where)
        if not state.raw and any(state.pieces):
            delta = "\n" + delta
            state.raw.append(delta[1:])
        else:
            state.raw.append(delta)
        state.streamed = True
        parts.append(StreamPart(StreamPartType.REASONING_DELTA, id=part_id, delta=delta))
        return parts

    def _partial_image(self, event: JSON) -> list[StreamPart]:
        """A partial image: a ``file`` part without ``file`` (the agent keeps only the
        final image), the picture in its metadata."""
        where = "event(response.image_generation_call.partial_image)"
        part_id = self._part_id(event, where)
        partial = PartialImage(
            item_id=text(event, "item_id", where),
            index=integer(event, "partial_image_index", where),
            data=decode_image(
                text(event, "partial_image_b64", where), f"{where}.partial_image_b64"
            ),
            media_type=image_media_type(text(event, "output_format", where)),
        )
        return [
            StreamPart(
                StreamPartType.FILE,
                id=part_id,
                provider_metadata={self.codec.metadata_key: partial},
            )
        ]

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
        self.response_model = label(response, "model") or self.response_model
        parts: list[StreamPart] = []
        if not (self.items_seen or self.ids or self.texts) and response.get("output"):
            # A server that streams nothing but the finished response: read it whole.
            parts = self._whole(response)
        details = obj(response, "incomplete_details", where)
        reason = text(details, "reason", f"{where}.incomplete_details")
        self.finish_reason = map_finish_reason(reason, self.has_function_call)
        self.raw_finish_reason = reason or text(response, "status", where)
        self.usage = usage_from_responses(obj(response, "usage", where), f"{where}.usage")
        return parts

    def _whole(self, response: JSON) -> list[StreamPart]:
        whole = self.codec.parse_response(response)
        parts: list[StreamPart] = []
        if whole.warnings:
            parts.append(StreamPart(StreamPartType.WARNINGS, warnings=list(whole.warnings)))
        for i, c in enumerate(whole.content):
            part_id = f"item-{i}"
            if isinstance(c, TextContent):
                parts.append(StreamPart(StreamPartType.TEXT_START, id=part_id))
                parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=part_id, delta=c.text))
                parts.append(StreamPart(StreamPartType.TEXT_END, id=part_id))
            elif isinstance(c, ReasoningContent):
                meta = c.provider_metadata
                parts.append(
                    StreamPart(StreamPartType.REASONING_START, id=part_id, provider_metadata=meta)
                )
                parts.append(StreamPart(StreamPartType.REASONING_DELTA, id=part_id, delta=c.text))
                parts.append(
                    StreamPart(StreamPartType.REASONING_END, id=part_id, provider_metadata=meta)
                )
            else:
                if isinstance(c, ToolCallContent) and not c.provider_executed:
                    self.has_function_call = True
                parts.extend(self._content_parts([c]))
        return parts

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
        """End of stream: finish with usage and reason, or report that it was cut short.
        Items the server never finished (no ``output_item.done``) are closed first."""
        if not self.terminal:
            return [self._error(incomplete_stream_error(self.codec.provider_name))]
        parts = self._close_reasoning()
        parts.extend(StreamPart(StreamPartType.TEXT_END, id=t) for t in self.texts)
        self.texts.clear()
        return [
            *parts,
            StreamPart(
                StreamPartType.FINISH,
                usage=self.usage,
                finish_reason=self.finish_reason,
                provider_metadata=self.codec.response_metadata(self.response_id),
                raw_finish_reason=self.raw_finish_reason,
                response_id=self.response_id or None,
                response_model=self.response_model,
            ),
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
    "response.reasoning_text.delta": ResponsesStreamTranslator._reasoning_text_delta,
    "response.refusal.delta": ResponsesStreamTranslator._refusal_delta,
    "response.custom_tool_call_input.delta": ResponsesStreamTranslator._custom_input_delta,
    "response.image_generation_call.partial_image": ResponsesStreamTranslator._partial_image,
    "response.completed": ResponsesStreamTranslator._completed,
    "response.incomplete": ResponsesStreamTranslator._incomplete,
    "response.failed": ResponsesStreamTranslator._failed,
    "error": ResponsesStreamTranslator._error_event,
}
"""The events that carry something."""

_IGNORED = frozenset(
    {
        # Progress of the response: its id comes with response.created, the outcome with
        # the terminal event.
        "response.in_progress",
        "response.queued",
        # Parts and *.done events repeat what the deltas said; the whole item follows
        # in output_item.done.
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.refusal.done",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.done",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
        # Progress of hosted tools: each call and its result arrive whole with the
        # item's output_item.done (code, arguments, commands and their output too).
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        # An apply_patch call's diff also comes whole with its output_item.done.
        "response.apply_patch_call_operation_diff.delta",
        "response.apply_patch_call_operation_diff.done",
        # A heartbeat (about every 30 s while the backend has nothing to say; the Codex
        # backend and gateways in front of the API send it): no output, no warning.
        "keepalive",
    }
)
"""Documented events that carry nothing the parts do not get elsewhere. Any other
event is reported once per type as a warning part (audio events among them: this
library asks for no audio output)."""
