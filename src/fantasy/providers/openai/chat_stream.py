"""Chat Completions stream chunks to `StreamPart`s, keeping the state one stream needs.
Pure code, no I/O: the shared shell (`fantasy.http.shell`) feeds it decoded chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from fantasy import _json
from fantasy.errors import ProviderError, incomplete_stream_error
from fantasy.http.shape import arr, as_list, as_object, integer, label, obj, text
from fantasy.providers.openai.chat_response import (
    ChunkPiece,
    annotation_source,
    audio_media_type,
    content_chunks,
    decode_base64,
    search_sources,
)
from fantasy.providers.openai.parallel_wrapper import WRAPPER, wrapped_calls
from fantasy.providers.openai.tool_call_extras import (
    ToolCallExtraContent,
    extra_content_of,
    merged,
)
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FileContent,
    FinishReason,
    SourceContent,
    StreamPart,
    StreamPartType,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.providers.openai.chat import ChatCodecBase

FUNCTION_CALL_NOT_READ = (
    '{}: the deprecated function_call (an answer to a request\'s "functions") not read; '
    "send tools instead"
)


class _ToolCallBuffer:
    __slots__ = ("arguments", "extra", "finished", "hidden", "id", "name", "named_again")

    def __init__(self, id: str, name: str, arguments: str):
        self.id = id
        self.name = name
        self.arguments = arguments
        self.finished = False
        self.named_again = False
        self.hidden = False
        """A ``multi_tool_use.parallel`` wrapper, unwrapped at the end: its own input
        parts are not shown (`fantasy.providers.openai.parallel_wrapper`)."""
        """A delta without id or index named a call again after this one's arguments were
        a whole object: the next arguments begin another call."""
        self.extra: dict[str, Any] | None = None
        """The call's ``extra_content`` (Gemini's thought signature), to send back."""


def _starts_another(existing: _ToolCallBuffer, new_id: str, name: str, args: str) -> bool:
    """A delta under the slot of ``existing`` begins another call: a named one with an id
    of its own, or (a server that sends neither index nor id) a named one after a call
    that already holds a whole JSON object, which no more arguments could extend. A name
    alone (no arguments yet) is remembered, so that a server repeating a call's name with
    nothing in it opens no empty call; the arguments after it open the new one."""
    if new_id:
        return bool(name) and new_id != existing.id
    if name and not args:
        existing.named_again = existing.named_again or _whole_object(existing.arguments)
        return False
    if not args or not (name or existing.named_again):
        return False
    return _whole_object(existing.arguments)


def _whole_object(arguments: str) -> bool:
    if not arguments.rstrip().endswith("}"):
        return False
    try:
        return isinstance(_json.loads(arguments), dict)
    except ValueError:
        return False


_TEXT_ID = "0"
_THINKING_ID = "thinking"


def _source_part(source: SourceContent) -> StreamPart:
    return StreamPart(
        StreamPartType.SOURCE,
        id=source.id,
        source_type=source.source_type,
        url=source.url,
        title=source.title,
        source=source,
    )


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

    def close(self) -> list[StreamPart]:
        """End of stream: the parts that close what it still has open (a reasoning
        block the server never ended)."""
        ...


def delta_has_output(delta: JSON, where: str) -> bool:
    """Whether a delta begins or continues the answer: text (a string, or a chunk list
    with text in it), a refusal, or tool calls. An open reasoning block ends there."""
    content = delta.get("content")
    if type(content) is str:
        if content:
            return True
    elif isinstance(content, list):
        if any(isinstance(c, dict) and c.get("type") == "text" and c.get("text") for c in content):
            return True
    elif content is not None:
        text(delta, "content", where)  # the shape error
    return bool(text(delta, "refusal", where) or arr(delta, "tool_calls", where))


class ChatStreamTranslator:
    """Turns decoded chunks into stream parts, keeping the state one stream needs."""

    def __init__(self, codec: ChatCodecBase[Any], warnings: list[CallWarning]):
        self.codec = codec
        self.warnings = warnings
        self.text_active = False
        self.reasoning_active = False
        """A reasoning block read from ``thinking`` content chunks is open."""
        self.tool_calls: dict[int, _ToolCallBuffer] = {}
        self.tool_slots: dict[int | None, int] = {}
        """The ``tool_calls`` key the latest call of each wire ``index`` went to (None:
        the index was left out). Ollama sends every call as index 0 (and, before 0.4.7,
        no index at all); a call with a new id there is a new call, not more of one."""
        self.usage: Usage | None = None
        self.metadata: Any = None
        self.extension = codec.open_stream_extension()
        self.finish_reason = ""
        self.logprobs: list[Any] | None = None
        """The tokens' logprobs, when any chunk has them. This and the collections below
        are made on first use: most streams never fill them, and every tracked object a
        stream keeps alive adds to the collector's work when thousands are in flight."""
        self.cited: set[str] | None = None
        """URLs already given as sources (Perplexity repeats its citations per chunk)."""
        self.warned: set[str] | None = None
        """What was already reported as not read, once per stream."""
        self.audio: list[bytes] | None = None
        self.response_id: str | None = None
        """The answer's ``id`` and ``model``, from the first chunk that has them (every
        chunk of OpenAI's repeats them)."""
        self.response_model: str | None = None
        self.unwrap_parallel = False
        """Read a ``multi_tool_use.parallel`` call as the calls it names (the request
        offered no tool of that name); set by the model."""

    def start(self) -> list[StreamPart]:
        if self.warnings:
            return [StreamPart(StreamPartType.WARNINGS, warnings=self.warnings)]
        return []

    def feed(self, chunk: JSON) -> list[StreamPart]:
        if self.response_id is None:
            self.response_id = label(chunk, "id")
            self.response_model = self.response_model or label(chunk, "model")
        # The last chunk that reports usage wins: OpenAI may send a chunk without usage
        # after it (an obfuscation or moderation chunk), which must not reset it.
        if chunk.get("usage") is not None:
            usage = self.codec.read_stream_usage(chunk)
            if usage is not None:
                self.usage, self.metadata = usage
        # Every chunk comes this way: the common type is checked inline first (as the
        # readers do), the reader called only for anything else (to default or to fail),
        # and the paths are made once (ChoicePaths).
        choices = chunk.get("choices")
        if type(choices) is not list:
            choices = as_list(choices, "chunk.choices")
        parts: list[StreamPart] = []
        if "citations" in chunk or "search_results" in chunk:
            if self.cited is None:
                self.cited = set()
            for source in search_sources(chunk, "chunk", self.cited):
                parts.append(_source_part(source))
        if not choices:
            return parts
        annotated = False
        extension = self.extension
        first_delta: JSON = {}
        for i, choice in enumerate(choices):
            where = _PATHS[i] if i < _KEPT else ChoicePaths(i)
            if type(choice) is not dict:
                choice = as_object(choice, where.choice)
            index = choice.get("index")
            if type(index) is int and index > 0:
                # Another of ``n`` answers: only the first is read, as a whole answer's
                # ``choices[0]`` (Fantasy mixes them all into one text).
                continue
            if choice.get("finish_reason") is not None:
                reason = text(choice, "finish_reason", where.choice)
                if reason:
                    self.finish_reason = reason
            delta = choice.get("delta")
            if type(delta) is not dict:
                delta = as_object(delta, where.delta)
            if extension is not None:
                # First, so that a reasoning block ends before the text or tool call
                # that ends it begins.
                if i == 0:
                    first_delta = delta
                parts.extend(extension.feed(chunk, first_delta))
            content = delta.get("content")
            if type(content) is str:
                if content:  # the hot path, inline: most chunks are text deltas
                    if not self.text_active:
                        self._text_start(parts)
                    parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=_TEXT_ID, delta=content))
            elif isinstance(content, list):
                self._chunks(content_chunks(content, f"{where.delta}.content"), parts)
            elif content is not None:
                text(delta, "content", where.delta)  # the shape error
            if delta.get("refusal") is not None:
                refusal = text(delta, "refusal", where.delta)
                if refusal:
                    # A refusal is the model's answer: kept as text (Fantasy drops it).
                    self._text(refusal, parts)
            if delta.get("function_call") is not None:
                self._warn(FUNCTION_CALL_NOT_READ.format(f"{where.delta}.function_call"), parts)
            if delta.get("audio") is not None:
                self._audio(obj(delta, "audio", where.delta), f"{where.delta}.audio", parts)
            tool_deltas = delta.get("tool_calls")
            if tool_deltas is not None and as_list(tool_deltas, where.tool_calls):
                self._end_reasoning(parts)
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
                    if self.logprobs is None:
                        self.logprobs = []
                    self.logprobs.extend(tokens)
            annotated = annotated or "annotations" in delta
        if not annotated:
            return parts
        for i, choice in enumerate(choices):
            where = choice_paths(i)
            delta = delta_of(choice, where)
            listed = f"{where.delta}.annotations"
            for k, annotation in enumerate(as_list(delta.get("annotations"), listed)):
                piece = annotation_source(annotation, f"{listed}[{k}]")
                if piece is not None:
                    self._chunks([piece], parts)
        return parts

    def _text_start(self, parts: list[StreamPart]) -> None:
        """Text begins: an open reasoning block ends first."""
        self._end_reasoning(parts)
        self.text_active = True
        parts.append(StreamPart(StreamPartType.TEXT_START, id=_TEXT_ID))

    def _text(self, content: str, parts: list[StreamPart]) -> None:
        if not self.text_active:
            self._text_start(parts)
        parts.append(StreamPart(StreamPartType.TEXT_DELTA, id=_TEXT_ID, delta=content))

    def _chunks(self, pieces: list[ChunkPiece], parts: list[StreamPart]) -> None:
        """Pieces of a content chunk list (or annotations) as parts."""
        for piece in pieces:
            kind = piece.kind
            if kind == "text":
                if piece.text:
                    self._text(piece.text, parts)
            elif kind == "reasoning":
                if not self.reasoning_active:
                    if self.text_active:  # thoughts after text: that text block ends
                        self.text_active = False
                        parts.append(StreamPart(StreamPartType.TEXT_END, id=_TEXT_ID))
                    self.reasoning_active = True
                    parts.append(
                        StreamPart(
                            StreamPartType.REASONING_START,
                            id=_THINKING_ID,
                            provider_metadata=self.codec.chunk_reasoning_metadata(),
                        )
                    )
                if piece.text:
                    parts.append(
                        StreamPart(
                            StreamPartType.REASONING_DELTA, id=_THINKING_ID, delta=piece.text
                        )
                    )
            elif piece.source is not None:
                parts.append(_source_part(piece.source))
            else:
                self._warn(piece.text, parts)

    def _warn(self, message: str, parts: list[StreamPart]) -> None:
        """Report what was not read, once per stream (a stream repeats itself)."""
        key = message.split(": ", 1)[-1]
        if self.warned is None:
            self.warned = set()
        elif key in self.warned:
            return
        self.warned.add(key)
        warning = CallWarning(CallWarningType.OTHER, message=message)
        parts.append(StreamPart(StreamPartType.WARNINGS, warnings=[warning]))

    def _end_reasoning(self, parts: list[StreamPart]) -> None:
        if self.reasoning_active:
            self.reasoning_active = False
            parts.append(StreamPart(StreamPartType.REASONING_END, id=_THINKING_ID))

    def _audio(self, audio: JSON, where: str, parts: list[StreamPart]) -> None:
        """Streamed audio: its transcript as text, its data (base64 pieces, each whole)
        kept for one file at the end."""
        transcript = text(audio, "transcript", where)
        if transcript:
            self._text(transcript, parts)
        data = text(audio, "data", where)
        if data:
            if self.audio is None:
                self.audio = []
            self.audio.append(decode_base64(data, f"{where}.data"))

    def _tool_delta(self, tool_delta: Any, paths: tuple[str, str], parts: list[StreamPart]) -> bool:
        """Handle one tool-call delta (``paths``: where it and its function are); True when
        the stream must stop (an error part was added)."""
        where, fn_where = paths
        tool_delta = as_object(tool_delta, where)
        wire_index = integer(tool_delta, "index", where) if "index" in tool_delta else None
        fn = obj(tool_delta, "function", where)
        args = text(fn, "arguments", fn_where)
        index = self.tool_slots.get(wire_index, 0 if wire_index is None else wire_index)
        existing = self.tool_calls.get(index)
        new_id = text(tool_delta, "id", where)
        if existing is not None and _starts_another(
            existing, new_id, text(fn, "name", fn_where), args
        ):
            # Another call under an index already used: a new one, after every other.
            index = max(self.tool_calls) + 1
            named = existing.name
            existing = None
        else:
            named = ""
        extra = extra_content_of(tool_delta, where)
        if existing is not None:
            if extra is not None:
                # Gemini may send a call's signature in a delta of its own, after the call.
                existing.extra = merged(existing.extra, extra)
            if args:
                existing.arguments += args
                # A call already closed (a later index began) still gets its arguments:
                # some servers interleave parallel calls. Only its input deltas are over.
                if not existing.finished and not existing.hidden:
                    parts.append(
                        StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=existing.id, delta=args)
                    )
            return False
        name = text(fn, "name", fn_where) or named
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
        self.tool_calls[index] = buffer = _ToolCallBuffer(call_id, name, args)
        buffer.extra = extra
        self.tool_slots[wire_index] = index
        if self.unwrap_parallel and name == WRAPPER:
            buffer.hidden = True  # its calls are shown when it is complete, at the end
            return False
        parts.append(StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name))
        if args:
            parts.append(StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=args))
        return False

    @staticmethod
    def _close_input(call: _ToolCallBuffer, parts: list[StreamPart]) -> None:
        if not call.hidden:
            parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=call.id))
        call.finished = True

    def _tool_call_parts(self, call: _ToolCallBuffer, parts: list[StreamPart]) -> None:
        """The ``tool_call`` part of a complete call; a wrapper's calls each with all
        their parts, or the wrapper as it came when it names none."""
        metadata = (
            None
            if call.extra is None
            else {self.codec.options_key: ToolCallExtraContent(extra_content=call.extra)}
        )
        # No arguments at all is an empty object; a call closed early (a later index
        # began) may still get its arguments after, so only now.
        arguments = call.arguments or "{}"
        calls = [(call.id, call.name, arguments)]
        if call.hidden:
            calls = wrapped_calls(call.id, arguments) or calls
        for call_id, name, args in calls:
            if call.hidden:
                parts.append(
                    StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=name)
                )
                parts.append(StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=args))
                parts.append(StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id))
            parts.append(
                StreamPart(
                    StreamPartType.TOOL_CALL,
                    id=call_id,
                    tool_call_name=name,
                    tool_call_input=args,
                    provider_metadata=metadata,
                )
            )

    def finish(self) -> list[StreamPart]:
        """End of stream: close what is open, emit the tool calls, then finish (or an error)."""
        parts: list[StreamPart] = []
        self._end_reasoning(parts)
        if self.extension is not None:
            parts.extend(self.extension.close())
        if self.text_active:
            self.text_active = False
            parts.append(StreamPart(StreamPartType.TEXT_END, id=_TEXT_ID))
        if self.audio:
            data = b"".join(self.audio)
            self.audio = None
            parts.append(
                StreamPart(StreamPartType.FILE, file=FileContent(data, audio_media_type(data)))
            )
        for idx in sorted(self.tool_calls):
            call = self.tool_calls[idx]
            if not call.finished:
                self._close_input(call, parts)
            self._tool_call_parts(call, parts)
        finish = self.codec.finish_reason(self.finish_reason)
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
                response_id=self.response_id,
                response_model=self.response_model,
            )
        )
        return parts
