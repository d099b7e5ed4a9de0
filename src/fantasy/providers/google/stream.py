"""``streamGenerateContent?alt=sse`` bytes to `StreamPart`s. Pure code, no I/O.

Framing follows Google's SDK rather than the SSE spec: events are split on
blank lines, a ``data:`` event holds one JSON response, any other line that is
a JSON ``{"error": ...}`` object is an error (and any other line at all is
garbage, except SSE comments, which proxies send as keep-alives), and a last
event that arrives without its blank line is still read (a cut one is an
incomplete stream).

Block ids for text and reasoning come from one counter (``"0"``, ``"1"``, ...),
as in Fantasy. A thought signature closes the reasoning it belongs to; one that
arrives with no reasoning open gets an empty reasoning block of its own, so the
agent keeps it for the next request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from fantasy import _json
from fantasy.errors import ProviderError, incomplete_stream_error
from fantasy.http.shape import as_object, boolean, join, shape_error, text
from fantasy.http.sse import LineSplitter
from fantasy.providers.google.answer import (
    AnswerReader,
    code_call_input,
    code_call_metadata,
    code_result,
    inline_file,
    part_kind,
    unknown_part_message,
)
from fantasy.providers.google.errors import error_from_stream_payload, error_object
from fantasy.providers.google.options import NAME, ReasoningMetadata
from fantasy.providers.google.partial_args import StreamedCall
from fantasy.providers.google.provider_tools import CODE_EXECUTION_TOOL_NAME
from fantasy.providers.google.response import (
    count,
    first_candidate,
    function_call_input,
    map_finish_reason,
    map_usage,
    no_response,
)
from fantasy.types import JSON, CallWarning, FinishReason, StreamPart, StreamPartType, Usage

_CANDIDATES = "chunk.candidates"
_CANDIDATE = "chunk.candidates[0]"
_CONTENT = "chunk.candidates[0].content"
_PARTS = "chunk.candidates[0].content.parts"
_PART_PATHS = tuple(join(_PARTS, i) for i in range(8))
"""The paths of a chunk's first parts, made once (a chunk seldom has more)."""
_USAGE = "chunk.usageMetadata"
_PLAIN_CANDIDATE = frozenset({"content", "index", "finishReason"})


class EventDecoder:
    """Bytes in as the network delivers them, whole events (bytes) out: lines grouped
    up to a blank line, in linear time (the line splitting is the SSE decoder's)."""

    __slots__ = ("_lines", "_splitter")

    def __init__(self) -> None:
        self._splitter = LineSplitter()
        self._lines: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        events: list[bytes] = []
        for line in self._splitter.feed(chunk):
            self._line(line, events)
        return events

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if line:
            self._lines.append(line)
        elif self._lines:
            events.append(b"\n".join(self._lines))
            self._lines = []

    def close(self) -> list[bytes]:
        """End of input: what is left is one last event, read as Google's SDK reads it."""
        events: list[bytes] = []
        rest = self._splitter.rest()
        if rest:
            self._line(rest, events)
        self._line(b"", events)
        return events


class GeminiEventSource:
    """Gemini's framing as an event source for the shared shell: whole events split as
    Google's SDK splits them, each ``data:`` event a JSON response object; any other
    line must be a JSON ``{"error": ...}`` object (Google's in-stream error), SSE
    comments are skipped, and a last event cut short is an incomplete stream."""

    __slots__ = ("_decoder", "provider", "url")

    def __init__(self, provider: str = NAME, url: str = ""):
        self._decoder = EventDecoder()
        self.provider = provider
        self.url = url

    def feed(self, chunk: bytes) -> Iterator[JSON]:
        for event in self._decoder.feed(chunk):
            payload = self._event(event, last=False)
            if payload is not None:
                yield payload

    def end(self) -> Iterator[JSON]:
        for event in self._decoder.close():
            payload = self._event(event, last=True)
            if payload is not None:
                yield payload

    def _event(self, event: bytes, *, last: bool) -> JSON | None:
        if event.startswith(b":"):
            return None  # an SSE comment (a proxy's keep-alive); Google sends none
        prefix, _, data = event.partition(b":")
        if prefix == b"data":
            try:
                payload = _json.loads(data)
            except ValueError as exc:
                if last:
                    # A final event cut short is a truncated stream, which a retry can mend.
                    raise incomplete_stream_error(self.provider, self.url) from None
                raise self._invalid(f"stream event is not valid JSON: {exc}", data) from None
            if not isinstance(payload, dict):
                raise self._invalid(f"expected a JSON object, got {type(payload).__name__}", data)
            return payload
        try:
            payload = _json.loads(event)
        except ValueError:
            payload = None
        error = error_object(payload)
        if error is not None:
            text = event.decode("utf-8", errors="replace")
            raise error_from_stream_payload(error, text, self.provider, self.url)
        raise self._invalid("invalid stream chunk", event)

    def _invalid(self, message: str, raw: bytes) -> ProviderError:
        return ProviderError(
            message,
            title="invalid provider response",
            provider=self.provider,
            url=self.url,
            response_body=raw,
        )


class StreamTranslator:
    """The state of one streamed response: open blocks, tool calls, usage, finish."""

    def __init__(
        self,
        new_tool_call_id: Callable[[], str],
        warnings: list[CallWarning],
        *,
        provider: str = NAME,
        url: str = "",
    ):
        self.new_tool_call_id = new_tool_call_id
        self.warnings = warnings
        self.provider = provider
        self.url = url
        self.blocks = 0
        self.text_id = ""
        self.reasoning_id = ""
        self.text_active = False
        self.reasoning_active = False
        self.text_signature = ""
        """A signature that arrived on an empty part while text was open: the text's."""
        self.code_call_id = ""
        self.tool_calls = 0
        self.streamed_call: StreamedCall | None = None
        """A call whose arguments are arriving in pieces (``partialArgs``)."""
        self.usage: Usage | None = None
        self.finish_reason: FinishReason | None = None
        self.raw_finish_reason = ""
        self.answered = False
        self.reader = AnswerReader()

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    # ------------------------------------------------------------------ responses

    def _next_id(self) -> str:
        block = str(self.blocks)
        self.blocks += 1
        return block

    def _end_text(self, parts: list[StreamPart]) -> None:
        if self.text_active:
            self.text_active = False
            metadata = None
            if self.text_signature:
                metadata = {NAME: ReasoningMetadata(signature=self.text_signature)}
                self.text_signature = ""
            parts.append(
                StreamPart(StreamPartType.TEXT_END, id=self.text_id, provider_metadata=metadata)
            )

    def _end_reasoning(self, parts: list[StreamPart]) -> None:
        """Close the open reasoning (a part of another kind begins)."""
        if self.reasoning_active:
            self.reasoning_active = False
            parts.append(StreamPart(StreamPartType.REASONING_END, id=self.reasoning_id))

    def _signed(self, parts: list[StreamPart], metadata: ReasoningMetadata, signed: bool) -> None:
        """Close the open reasoning with this signature, or give a lone signature a block."""
        if self.reasoning_active:
            self.reasoning_active = False
        elif signed:
            parts.append(StreamPart(StreamPartType.REASONING_START, id=self.reasoning_id))
        else:
            return
        parts.append(
            StreamPart(
                StreamPartType.REASONING_END,
                id=self.reasoning_id,
                provider_metadata={NAME: metadata},
            )
        )

    def _warn(self, message: str, parts: list[StreamPart]) -> None:
        warning = self.reader.warn(message)
        if warning is not None:
            parts.append(StreamPart(StreamPartType.WARNINGS, warnings=[warning]))

    def feed(self, payload: JSON) -> list[StreamPart]:
        """The parts of one decoded response chunk."""
        error = payload.get("error")
        if error is not None:
            if type(error) is not dict:
                raise shape_error("chunk.error", "an object", error)
            raw = json.dumps(payload, ensure_ascii=False)
            return [
                StreamPart(
                    StreamPartType.ERROR,
                    error=error_from_stream_payload(error, raw, self.provider, self.url),
                )
            ]
        parts: list[StreamPart] = []
        candidate = first_candidate(payload, _CANDIDATES)
        if candidate is not None:
            content = candidate.get("content")
            if content is not None:
                self.answered = True
                if type(content) is not dict:
                    content = as_object(content, _CONTENT)
                wire_parts = content.get("parts")
                if wire_parts is not None:
                    if type(wire_parts) is not list:
                        raise shape_error(_PARTS, "an array", wire_parts)
                    for i, part in enumerate(wire_parts):
                        path = _PART_PATHS[i] if i < len(_PART_PATHS) else join(_PARTS, i)
                        if type(part) is not dict:
                            part = as_object(part, path)
                        self._part(part, path, parts)
            if any(key not in _PLAIN_CANDIDATE for key in candidate):
                # Sources and metadata (seldom: the common chunk skips this).
                warned = len(self.reader.warnings)
                sources = self.reader.candidate(candidate, _CANDIDATE)
                if len(self.reader.warnings) > warned:
                    new = self.reader.warnings[warned:]
                    parts.append(StreamPart(StreamPartType.WARNINGS, warnings=list(new)))
                parts.extend(StreamPart.of_source(source) for source in sources)
            reason = text(candidate, "finishReason", _CANDIDATE)
            if reason:
                self.finish_reason = map_finish_reason(reason)
                self.raw_finish_reason = reason
        self.reader.top(payload, "chunk")
        usage = payload.get("usageMetadata")
        if usage is not None:
            if type(usage) is not dict:
                usage = as_object(usage, _USAGE)
            if count(usage, "totalTokenCount", _USAGE):
                # Gemini's counts are running totals: the last chunk's are the answer's.
                # (Fantasy adds the output counts of every chunk and keeps the first
                # chunk's input count, which is not on the wire.)
                self.usage = map_usage(usage, _USAGE)
        return parts

    def _part(self, part: JSON, path: str, parts: list[StreamPart]) -> None:
        words = text(part, "text", path)
        signature = text(part, "thoughtSignature", path) or None
        if self.streamed_call is not None and (words or part_kind(part) != "functionCall"):
            self._end_streamed_call(parts)
        if words:
            if boolean(part, "thought", path):
                self._end_text(parts)
                if not self.reasoning_active:
                    self.reasoning_active = True
                    self.reasoning_id = self._next_id()
                    parts.append(StreamPart(StreamPartType.REASONING_START, id=self.reasoning_id))
                parts.append(
                    StreamPart(StreamPartType.REASONING_DELTA, id=self.reasoning_id, delta=words)
                )
                if signature:
                    self._signed(parts, ReasoningMetadata(signature=signature), True)
                return
            # The reasoning closes before the text opens (with the text's signature:
            # Fantasy keeps it there).
            self._signed(parts, ReasoningMetadata(signature=signature or ""), signature is not None)
            if not self.text_active:
                self.text_active = True
                self.text_id = self._next_id()
                parts.append(StreamPart(StreamPartType.TEXT_START, id=self.text_id))
            parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=self.text_id, delta=words))
            return
        kind = part_kind(part)
        if kind == "functionCall":
            self._function_call(part, path, signature, parts)
        elif kind == "executableCode":
            self._end_text(parts)
            self._end_reasoning(parts)
            call_id = self.code_call_id = self.new_tool_call_id()
            arguments = code_call_input(part, path)
            metadata = code_call_metadata(part, path)
            name = CODE_EXECUTION_TOOL_NAME
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_INPUT_START,
                    id=call_id,
                    tool_call_name=name,
                    provider_executed=True,
                )
            )
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_INPUT_DELTA,
                    id=call_id,
                    delta=arguments,
                    provider_executed=True,
                )
            )
            parts.append(
                StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id, provider_executed=True)
            )
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=call_id,
                    tool_call_name=name,
                    tool_call_input=arguments,
                    provider_executed=True,
                    provider_metadata=metadata,
                )
            )
        elif kind == "codeExecutionResult":
            self._end_text(parts)
            self._end_reasoning(parts)
            result = code_result(part, path, self.code_call_id or self.new_tool_call_id())
            self.code_call_id = ""
            parts.append(StreamPart.of_tool_result(result, provider_executed=True))
        elif kind == "inlineData":
            self._end_text(parts)
            self._end_reasoning(parts)
            file = inline_file(part, path)
            parts.append(StreamPart(StreamPartType.FILE, file=file))
        elif kind is None and (message := unknown_part_message(part)):
            self._warn(message, parts)
        elif kind is None and signature:
            # A signature on an empty part: the open text's (sent back on it), or the
            # open reasoning's, which it closes. After anything else Fantasy ignores
            # it, and so does this (it would have no part to go on).
            if self.text_active and not boolean(part, "thought", path):
                self.text_signature = signature
            elif self.reasoning_active:
                self._signed(parts, ReasoningMetadata(signature=signature), True)
        elif kind is not None:
            self._warn(f"google: {kind} part in the answer was skipped", parts)

    def _function_call(
        self, part: JSON, path: str, signature: str | None, parts: list[StreamPart]
    ) -> None:
        where = join(path, "functionCall")
        call = as_object(part["functionCall"], where)
        name = text(call, "name", where)
        more = boolean(call, "willContinue", where)
        streamed = self.streamed_call
        if streamed is not None:
            if not name:
                streamed.add(call, where)
                if not more:
                    self._end_streamed_call(parts)
                return
            self._end_streamed_call(parts)  # a new call begins: the open one is whole
        self._end_text(parts)
        # Fantasy draws an id for every call, even one that has its own.
        generated = self.new_tool_call_id()
        call_id = text(call, "id", where) or generated
        self._signed(
            parts,
            ReasoningMetadata(signature=signature or "", tool_id=call_id),
            signature is not None,
        )
        if more:
            # Its arguments follow in the next parts (streamFunctionCallArguments), on
            # top of any it came with.
            self.streamed_call = StreamedCall(call_id, name)
            self.streamed_call.start(call, where)
            parts.append(
                StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name)
            )
            return
        arguments = function_call_input(call, where)
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name))
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=arguments))
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id))
        parts.append(
            StreamPart(
                StreamPartType.TOOL_CALL,
                id=call_id,
                tool_call_name=name,
                tool_call_input=arguments,
            )
        )
        self.tool_calls += 1

    def _end_streamed_call(self, parts: list[StreamPart]) -> None:
        """The streamed call is whole: its arguments as one delta, then the call."""
        streamed = self.streamed_call
        if streamed is None:
            return
        self.streamed_call = None
        call_id, arguments = streamed.call_id, streamed.arguments()
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=arguments))
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id))
        parts.append(
            StreamPart(
                StreamPartType.TOOL_CALL,
                id=call_id,
                tool_call_name=streamed.name,
                tool_call_input=arguments,
            )
        )
        self.tool_calls += 1

    # ------------------------------------------------------------------ end

    def finish(self) -> list[StreamPart]:
        """End of input: open blocks closed, then finish (or an error)."""
        parts: list[StreamPart] = []
        self._end_streamed_call(parts)
        self._end_text(parts)
        self._end_reasoning(parts)
        if self.tool_calls:
            finish = FinishReason.TOOL_CALLS
        elif self.finish_reason is None:
            if self.reader.block_reason and not self.answered:
                # A blocked prompt: the same error as a whole answer gives, not a retry.
                error: BaseException = no_response(
                    self.reader.block_reason, reason_message=self.reader.block_message
                )
            else:
                error = incomplete_stream_error(self.provider, self.url)
            parts.append(StreamPart(StreamPartType.ERROR, error=error))
            return parts
        else:
            finish = self.finish_reason
        metadata = self.reader.metadata()
        parts.append(
            StreamPart(
                StreamPartType.FINISH,
                usage=self.usage or Usage(),
                finish_reason=finish,
                raw_finish_reason=self.raw_finish_reason,
                provider_metadata={NAME: metadata} if metadata is not None else None,
                response_id=metadata.response_id or None if metadata else None,
                response_model=metadata.model_version or None if metadata else None,
            )
        )
        return parts
