"""What OpenRouter and Vercel's AI Gateway share: both route to many upstream models
behind one Chat Completions endpoint, so both carry upstream-specific data through
OpenAI's wire format.

- Anthropic prompt caching travels as ``cache_control`` on messages, parts and tool
  calls (from ``provider_options["anthropic"]`` on a message or part).
- Reasoning travels as ``reasoning_details``: each upstream's reasoning (Anthropic
  signatures, OpenAI encrypted summaries, Gemini thought signatures) is parsed into
  reasoning content carrying that upstream's own metadata type, and replayed from it
  on the next request, so a conversation can even move between upstreams.
- Usage counts cached tokens in the total (input + output + cached).

The two gateways differ in small ways, all of them fields of one `GatewayDialect`
value that `fantasy.providers.openrouter` and `fantasy.providers.vercel` each set.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fantasy._record import Record
from fantasy.http.shape import arr, as_list, as_object, integer, join, obj, text
from fantasy.providers.openai.chat import (
    DROPPED_EMPTY_USER,
    ChatCodecBase,
    ChatStreamTranslator,
    OptionsT,
    _other,
)
from fantasy.providers.openai.chat_stream import choice_paths, delta_has_output
from fantasy.types import (
    JSON,
    CallWarning,
    Content,
    FilePart,
    Message,
    ProviderMetadata,
    ProviderOptions,
    ReasoningContent,
    ReasoningPart,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
)

# --------------------------------------------------------------------------- upstream metadata


def cache_control_type(options: ProviderOptions | None) -> str | None:
    """The Anthropic cache-control type set on a message or part, if any."""
    value = (options or {}).get("anthropic")
    control = getattr(value, "cache_control", None)
    if control is None and isinstance(value, dict):
        control = value.get("cache_control")
    kind = control.get("type") if isinstance(control, dict) else getattr(control, "type", None)
    return kind if isinstance(kind, str) and kind else None


def _anthropic_signature(options: ProviderOptions | None) -> str | None:
    signature = getattr((options or {}).get("anthropic"), "signature", None)
    return signature if isinstance(signature, str) else None


def _anthropic_metadata(signature: str) -> Any:
    from fantasy.providers.anthropic import ReasoningMetadata

    return ReasoningMetadata(signature=signature)


def _anthropic_redacted(data: str) -> Any:
    from fantasy.providers.anthropic import ReasoningMetadata

    return ReasoningMetadata(redacted_data=data)


def _redacted_block(data: str) -> list[StreamPart]:
    """Claude's redacted thinking, streamed: a block of its own, with no text."""
    return [
        StreamPart(StreamPartType.REASONING_START, id="0"),
        StreamPart(
            StreamPartType.REASONING_END,
            id="0",
            provider_metadata={"anthropic": _anthropic_redacted(data)},
        ),
    ]


def _google_metadata(signature: str = "", tool_id: str = "") -> Any:
    from fantasy.providers.google import ReasoningMetadata

    return ReasoningMetadata(signature=signature, tool_id=tool_id)


def _openai_metadata(summary: list[str], encrypted: str | None = None, item_id: str = "") -> Any:
    from fantasy.providers.openai.responses_options import ResponsesReasoningMetadata

    return ResponsesReasoningMetadata(item_id=item_id, encrypted_content=encrypted, summary=summary)


def _detail(kind: str, fmt: str, index: int = 0, **fields: str) -> JSON:
    """A reasoning detail as the gateways take it: empty strings left out, index always set."""
    detail: JSON = {"type": kind, "format": fmt, "index": index}
    detail.update({k: v for k, v in fields.items() if v})
    return detail


def _is_responses_format(fmt: str) -> bool:
    return fmt.startswith(("openai-responses", "xai-responses"))


# --------------------------------------------------------------------------- codec


class GatewayDialect(Record, frozen=True):
    """Where the gateways differ on one wire: each gateway's codec names one value."""

    __slots__ = (
        "drops_empty_user",
        "reads_plain_reasoning",
        "keeps_first_reasoning_text",
        "waits_for_claude_signature",
        "replays_xai_reasoning",
    )

    drops_empty_user: bool
    """Vercel drops a user message with nothing visible in it; OpenRouter sends it bare."""
    reads_plain_reasoning: bool
    """Vercel also reads the plain ``reasoning`` field; OpenRouter only
    ``reasoning_details``."""
    keeps_first_reasoning_text: bool
    """Vercel keeps the text of a first reasoning chunk that has no summary; OpenRouter
    streams the summary for all but Gemini and Claude, so that text is lost (as in
    Fantasy)."""
    waits_for_claude_signature: bool
    """OpenRouter keeps Claude's reasoning open past its text: the signature comes later."""
    replays_xai_reasoning: bool
    """OpenRouter has an ``xai/`` case (its own xAI ids are ``x-ai/``, so it rarely
    fires)."""

    def __init__(
        self,
        drops_empty_user: bool,
        reads_plain_reasoning: bool,
        keeps_first_reasoning_text: bool,
        waits_for_claude_signature: bool,
        replays_xai_reasoning: bool,
    ) -> None:
        object.__setattr__(self, "drops_empty_user", drops_empty_user)
        object.__setattr__(self, "reads_plain_reasoning", reads_plain_reasoning)
        object.__setattr__(self, "keeps_first_reasoning_text", keeps_first_reasoning_text)
        object.__setattr__(self, "waits_for_claude_signature", waits_for_claude_signature)
        object.__setattr__(self, "replays_xai_reasoning", replays_xai_reasoning)


class _Assistant(Record, factories={"tool_calls": list, "extra": dict}):
    """An assistant message being built from parts."""

    __slots__ = ("content", "tool_calls", "extra")

    content: str | None
    tool_calls: list[JSON]
    extra: JSON

    def __init__(
        self,
        content: str | None = None,
        tool_calls: list[JSON] | None = None,
        extra: JSON | None = None,
    ) -> None:
        self.content = content
        self.tool_calls = [] if tool_calls is None else tool_calls
        self.extra = {} if extra is None else extra

    def add_text(self, text: str) -> None:
        self.content = text if self.content is None else f"{self.content}\n{text}"


class GatewayCodec(ChatCodecBase[OptionsT]):
    """Chat Completions for a gateway to many upstream models."""

    native_object_output = False
    """Objects come from a forced tool call, Fantasy's default for gateways."""

    dialect: ClassVar[GatewayDialect]
    """How this gateway differs from the other."""

    # ------------------------------------------------------------------ messages

    def system_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        wire = super().system_messages(message, warnings)
        kind = cache_control_type(message.provider_options)
        if wire and kind:
            wire[0]["cache_control"] = {"type": kind}
        return wire

    def user_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            wire: JSON = {"role": "user", "content": content[0].text}
            kind = cache_control_type(message.provider_options)
            if kind:
                wire["cache_control"] = {"type": kind}
            return [wire]
        parts: list[JSON] = []
        last = len(content) - 1
        for i, part in enumerate(content):
            kind = cache_control_type(part.provider_options)
            if kind is None and i == last:
                kind = cache_control_type(message.provider_options)
            wire_part: JSON | None = None
            if isinstance(part, TextPart):
                wire_part = {"type": "text", "text": part.text}
            elif isinstance(part, FilePart):
                if part.media_type.startswith("text/"):
                    warnings.append(_other(f"file part media type {part.media_type} not supported"))
                else:
                    wire_part = self.user_file(part, len(parts), warnings)
            if wire_part is None:
                continue
            if kind:
                wire_part["cache_control"] = {"type": kind}
            parts.append(wire_part)
        if not parts:
            if self.dialect.drops_empty_user:
                warnings.append(_other(DROPPED_EMPTY_USER))
                return []
            return [{"role": "user"}]  # Fantasy's SDK omits an empty content union
        return [{"role": "user", "content": parts}]

    def assistant_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """Texts joined with newlines, reasoning as ``reasoning_details``; never dropped.

        Cache control reaches the message for a lone text, and the tool calls;
        on joined text it is lost, as in Fantasy (the SDK drops it there).
        """
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            wire: JSON = {"role": "assistant", "content": content[0].text}
            kind = cache_control_type(message.provider_options)
            if kind:
                wire["cache_control"] = {"type": kind}
            return [wire]
        built = _Assistant()
        last = len(content) - 1
        for i, part in enumerate(content):
            if isinstance(part, TextPart):
                built.add_text(part.text)
            elif isinstance(part, ReasoningPart):
                self._replay_reasoning(part, built)
            elif isinstance(part, ToolCallPart):
                call = self.tool_call(part)
                kind = cache_control_type(part.provider_options)
                if kind is None and i == last:
                    kind = cache_control_type(message.provider_options)
                if kind:
                    call["cache_control"] = {"type": kind}
                built.tool_calls.append(call)
        wire = {"role": "assistant"}
        if built.content is not None:
            wire["content"] = built.content
        if built.tool_calls:
            wire["tool_calls"] = built.tool_calls
        wire.update(built.extra)
        return [wire]

    def _replay_reasoning(self, part: ReasoningPart, built: _Assistant) -> None:
        """Each reasoning part replaces the extra fields of the one before: the last wins."""
        model = self.model_id
        options = part.provider_options
        text = part.text
        if model.startswith("anthropic/"):
            redacted = getattr((options or {}).get("anthropic"), "redacted_data", "")
            if isinstance(redacted, str) and redacted:
                details = [_detail("reasoning.encrypted", "anthropic-claude-v1", data=redacted)]
                built.extra = {"reasoning_details": details}
                return
        if model.startswith("anthropic/") and text:
            signature = _anthropic_signature(options)
            if signature is None:
                built.add_text(f"<thoughts>{text}</thoughts>")
                return
            details = [
                _detail("reasoning.text", "anthropic-claude-v1", text=text, signature=signature)
            ]
            built.extra = {"reasoning_details": details, "reasoning": text}
            return
        responses_prefix = "openai/" if model.startswith("openai/") else None
        if self.dialect.replays_xai_reasoning and model.startswith("xai/"):
            responses_prefix = "xai/"
        if responses_prefix is not None:
            metadata = (options or {}).get("openai")
            summary = getattr(metadata, "summary", None)
            if metadata is None or summary is None:
                built.add_text(f"<thoughts>{text}</thoughts>")
                return
            fmt = "openai-responses-v1" if responses_prefix == "openai/" else "xai-responses-v1"
            details = [
                _detail("reasoning.summary", fmt, index, summary=s)
                for index, s in enumerate(summary)
                if s
            ]
            encrypted = getattr(metadata, "encrypted_content", None)
            if encrypted is not None:
                details.append(
                    _detail(
                        "reasoning.encrypted",
                        fmt,
                        data=encrypted,
                        id=getattr(metadata, "item_id", "") or "",
                    )
                )
            built.extra = {"reasoning_details": details or None}
            return
        if model.startswith("google/"):
            metadata = (options or {}).get("google")
            if metadata is None or not hasattr(metadata, "signature"):
                built.add_text(f"<thoughts>{text}</thoughts>")
                return
            details = []
            if text:
                details.append(_detail("reasoning.text", "google-gemini-v1", text=text))
            details.append(
                _detail(
                    "reasoning.encrypted",
                    "google-gemini-v1",
                    data=getattr(metadata, "signature", "") or "",
                    id=getattr(metadata, "tool_id", "") or "",
                )
            )
            built.extra = {"reasoning_details": details}
            return
        built.extra = {"reasoning_details": [_detail("reasoning.text", "unknown", text=text)]}

    def tool_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """Text and error results only: the gateways take no media in tool results."""
        out: list[JSON] = []
        for part in message.content:
            if not isinstance(part, ToolResultPart):
                warnings.append(_other("tool message can only have tool result content"))
                continue
            output = part.output
            if isinstance(output, ToolResultOutputText):
                text = output.text
            elif isinstance(output, ToolResultOutputError):
                text = output.error
            else:
                continue
            out.append({"role": "tool", "tool_call_id": part.tool_call_id, "content": text})
        return out

    # ------------------------------------------------------------------ responses

    def extra_content(self, choice: JSON) -> list[Content]:
        """``reasoning_details`` grouped per upstream format into reasoning content."""
        message = obj(choice, "message", "choices[0]")
        where = "choices[0].message"
        details = arr(message, "reasoning_details", where)
        responses: dict[int, Any] = {}
        google: dict[int, tuple[str, Any]] = {}
        anthropic: list[ReasoningContent] = []
        other: list[str] = []
        for n, detail in enumerate(details):
            at = f"{where}.reasoning_details[{n}]"
            detail = as_object(detail, at)
            fmt = text(detail, "format", at)
            kind = text(detail, "type", at)
            index = integer(detail, "index", at)
            if _is_responses_format(fmt):
                block = responses.setdefault(index, _openai_metadata([]))
                if kind == "reasoning.summary":
                    block.summary.append(text(detail, "summary", at))
                elif kind == "reasoning.encrypted":
                    block.encrypted_content = text(detail, "data", at)
                item_id = text(detail, "id", at)
                if item_id:
                    block.item_id = item_id
            elif fmt.startswith("google-gemini"):
                thought, metadata = google.get(index) or ("", _google_metadata())
                if kind == "reasoning.text":
                    thought = text(detail, "text", at)
                elif kind == "reasoning.encrypted":
                    metadata.signature = text(detail, "data", at)
                    metadata.tool_id = text(detail, "id", at)
                google[index] = (thought, metadata)
            elif fmt.startswith("anthropic-claude"):
                if kind == "reasoning.encrypted":  # Claude's redacted thinking
                    redacted = _anthropic_redacted(text(detail, "data", at))
                    anthropic.append(ReasoningContent("", {"anthropic": redacted}))
                    continue
                anthropic.append(
                    ReasoningContent(
                        text(detail, "text", at),
                        {"anthropic": _anthropic_metadata(text(detail, "signature", at))},
                    )
                )
            else:
                other.append(text(detail, "text", at))
        plain_too = self.dialect.reads_plain_reasoning
        if plain_too and not details:
            plain = text(message, "reasoning", where)
            if plain:
                other.append(plain)
        content: list[Content] = []
        for block in responses.values():
            content.append(ReasoningContent("\n".join(block.summary or [""]), {"openai": block}))
        content.extend(anthropic)
        for thought, metadata in google.values():
            content.append(ReasoningContent(thought, {"google": metadata}))
        content.extend(ReasoningContent(thought) for thought in other if thought or not plain_too)
        return content

    def usage(self, data: JSON) -> tuple[Usage, Any]:
        if not arr(data, "choices"):
            return Usage(), None
        raw = obj(data, "usage")
        return gateway_usage(raw, "usage"), self.metadata_from(data, raw)

    def stream_usage(self, chunk: JSON) -> tuple[Usage, Any] | None:
        raw = obj(chunk, "usage", "chunk")
        if not integer(raw, "total_tokens", "chunk.usage"):
            return None
        return gateway_usage(raw, "chunk.usage"), self.metadata_from(chunk, raw)

    def metadata_from(self, body: JSON, usage: JSON) -> Any:
        """This gateway's own metadata (upstream provider, cost) from a body and its usage."""
        return None

    def stream_metadata(self, state: ChatStreamTranslator) -> Any:
        return state.metadata

    def stream_extension(self) -> _ReasoningStream:
        return _ReasoningStream(self.dialect)


class _ReasoningStream:
    """Upstream reasoning from the first choice's delta, one block open at a time."""

    __slots__ = ("current", "dialect")

    def __init__(self, dialect: GatewayDialect) -> None:
        self.dialect = dialect
        self.current: _StreamReasoning | None = None

    def feed(self, chunk: JSON, first_delta: JSON) -> list[StreamPart]:
        if self.current is None:
            return self._start(first_delta, _FIRST_DELTA)
        return self._continue(first_delta, _FIRST_DELTA, self.current)

    def close(self) -> list[StreamPart]:
        """End of stream: a block still open (Claude's, waiting for a signature that
        never came; any other the server never ended) closes with what it has."""
        if self.current is None:
            return []
        self.current = None
        return [StreamPart(StreamPartType.REASONING_END, id="0")]

    def _start(self, delta: JSON, where: str) -> list[StreamPart]:
        details = delta.get("reasoning_details")
        details = as_list(details, f"{where}.reasoning_details") if details is not None else ()
        plain = text(delta, "reasoning", where) if self.dialect.reads_plain_reasoning else ""
        if not details and not plain:
            return []
        current = _StreamReasoning()
        metadata: ProviderMetadata | None = None
        first_delta = plain
        if details:
            at = f"{where}.reasoning_details[0]"
            detail = as_object(details[0], at)
            fmt = text(detail, "format", at)
            summary = text(detail, "summary", at)
            thought = text(detail, "text", at)
            current.format = fmt
            if _is_responses_format(fmt):
                current.openai = _openai_metadata([summary])
                metadata = {"openai": current.openai}
                data = text(detail, "data", at)
                if data:
                    end_metadata = _openai_metadata([summary], data, text(detail, "id", at))
                    return [
                        StreamPart(
                            StreamPartType.REASONING_START,
                            id="0",
                            delta=summary,
                            provider_metadata=metadata,
                        ),
                        StreamPart(
                            StreamPartType.REASONING_END,
                            id="0",
                            provider_metadata={"openai": end_metadata},
                        ),
                    ]
            if fmt.startswith("anthropic-claude") and text(detail, "type", at) == (
                "reasoning.encrypted"
            ):
                return _redacted_block(text(detail, "data", at))
            if fmt.startswith("google-gemini"):
                if text(detail, "type", at) == "reasoning.encrypted":
                    signature = _google_metadata(text(detail, "data", at), text(detail, "id", at))
                    return [
                        StreamPart(StreamPartType.REASONING_START, id="0"),
                        StreamPart(
                            StreamPartType.REASONING_END,
                            id="0",
                            provider_metadata={"google": signature},
                        ),
                    ]
                current.google = _google_metadata()
                metadata = {"google": current.google}
            first_delta = self._first_delta(fmt, summary, thought)
        self.current = current
        parts = [StreamPart(StreamPartType.REASONING_START, id="0", provider_metadata=metadata)]
        if first_delta:
            parts.append(StreamPart(StreamPartType.REASONING_DELTA, id="0", delta=first_delta))
        return parts

    def _first_delta(self, fmt: str, summary: str, thought: str) -> str:
        if fmt.startswith(("google-gemini", "anthropic-claude")):
            return thought
        if self.dialect.keeps_first_reasoning_text:
            return summary or thought
        return summary

    def _continue(self, delta: JSON, where: str, reasoning: _StreamReasoning) -> list[StreamPart]:
        details = delta.get("reasoning_details")
        details = as_list(details, f"{where}.reasoning_details") if details is not None else ()
        plain = text(delta, "reasoning", where) if self.dialect.reads_plain_reasoning else ""
        if not details:
            if plain:
                return [StreamPart(StreamPartType.REASONING_DELTA, id="0", delta=plain)]
            if self.dialect.waits_for_claude_signature and reasoning.format.startswith(
                "anthropic-claude"
            ):
                return []
            if delta_has_output(delta, where):
                self.current = None
                return [StreamPart(StreamPartType.REASONING_END, id="0")]
            return []
        at = f"{where}.reasoning_details[0]"
        detail = as_object(details[0], at)
        fmt = text(detail, "format", at)
        thought = text(detail, "text", at)
        if _is_responses_format(fmt) and reasoning.openai is not None:
            block = reasoning.openai
            data = text(detail, "data", at)
            if data:
                block.encrypted_content = data
                block.item_id = text(detail, "id", at)
                self.current = None
                return [
                    StreamPart(
                        StreamPartType.REASONING_END, id="0", provider_metadata={"openai": block}
                    )
                ]
            summary = text(detail, "summary", at)
            index = integer(detail, "index", at)
            if index < len(block.summary):
                block.summary[index] += summary
                piece = summary
            else:
                block.summary.append(summary)
                piece = "\n" + summary
            return [
                StreamPart(
                    StreamPartType.REASONING_DELTA,
                    id="0",
                    delta=piece,
                    provider_metadata={"openai": block},
                )
            ]
        if fmt.startswith("anthropic-claude"):
            if text(detail, "type", at) == "reasoning.encrypted":
                # Redacted thinking after a block: that block ends, this one is apart.
                self.current = None
                return [
                    StreamPart(StreamPartType.REASONING_END, id="0"),
                    *_redacted_block(text(detail, "data", at)),
                ]
            signature = text(detail, "signature", at)
            if signature:
                self.current = None
                return [
                    StreamPart(
                        StreamPartType.REASONING_DELTA,
                        id="0",
                        delta=thought,
                        provider_metadata={"anthropic": _anthropic_metadata(signature)},
                    ),
                    StreamPart(StreamPartType.REASONING_END, id="0"),
                ]
            return [StreamPart(StreamPartType.REASONING_DELTA, id="0", delta=thought)]
        if fmt.startswith("google-gemini") and reasoning.google is not None:
            kind = text(detail, "type", at)
            if kind == "reasoning.text":
                return [StreamPart(StreamPartType.REASONING_DELTA, id="0", delta=thought)]
            if kind == "reasoning.encrypted":
                reasoning.google.signature = text(detail, "data", at)
                reasoning.google.tool_id = text(detail, "id", at)
                self.current = None
                return [
                    StreamPart(
                        StreamPartType.REASONING_END,
                        id="0",
                        provider_metadata={"google": reasoning.google},
                    )
                ]
        return [StreamPart(StreamPartType.REASONING_DELTA, id="0", delta=thought)]


_FIRST_DELTA = choice_paths(0).delta


class _StreamReasoning(Record):
    """The reasoning block a gateway stream has open."""

    __slots__ = ("format", "openai", "google")

    format: str
    openai: Any
    google: Any

    def __init__(self, format: str = "", openai: Any = None, google: Any = None) -> None:
        self.format = format
        self.openai = openai
        self.google = google


def gateway_usage(raw: JSON, path: str) -> Usage:
    """Input excludes cached tokens; unlike OpenAI's, the total adds them back. ``raw`` is
    the usage object, found at ``path``."""
    cached = integer(
        obj(raw, "prompt_tokens_details", path),
        "cached_tokens",
        join(path, "prompt_tokens_details"),
    )
    completion = integer(raw, "completion_tokens", path)
    input_tokens = max(integer(raw, "prompt_tokens", path) - cached, 0)
    reasoning = integer(
        obj(raw, "completion_tokens_details", path),
        "reasoning_tokens",
        join(path, "completion_tokens_details"),
    )
    return Usage(
        input_tokens=input_tokens,
        output_tokens=completion,
        total_tokens=input_tokens + completion + cached,
        reasoning_tokens=reasoning,
        cache_read_tokens=cached,
    )
