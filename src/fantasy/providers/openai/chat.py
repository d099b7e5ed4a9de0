"""Chat Completions translation: `Call` to request body, response body to `Response`.
Pure code, no I/O. Stream chunks are `chat_stream`'s; finish reasons and usage are
`chat_response`'s.

The OpenAI-compatible providers reuse this by subclassing `ChatCodec` and
overriding its small named hooks (`provider_options`, `apply_options`,
`assistant_message`, `provider_tool`, `usage`, `extra_content`,
`chunk_reasoning_metadata`, `stream_extension`), so each provider's differences stay
visible in its own module. What every server may send beyond a string of text
(content chunk lists, annotations, Perplexity's citations, audio) is read here, for
all of them (`chat_response`).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fantasy._typecheck import check_fields
from fantasy.errors import FantasyError, InvalidArgumentError, ProviderError
from fantasy.http.shape import arr, as_object, integer, label, obj, objects, text
from fantasy.model import Call, Response
from fantasy.providers.openai.chat_response import (
    ChunkPiece,
    annotation_source,
    audio_media_type,
    content_chunks,
    decode_base64,
    extra_usage_fields,
    map_finish_reason,
    search_sources,
    usage_from_openai,
)
from fantasy.providers.openai.chat_stream import (
    FUNCTION_CALL_NOT_READ,
    ChatStreamExtension,
    ChatStreamTranslator,
)
from fantasy.providers.openai.hooks import ChatHooks
from fantasy.providers.openai.models import CHAT, ModelCapabilities, capabilities
from fantasy.providers.openai.options import (
    NAME,
    REASONING_EFFORTS,
    FileOptions,
    ProviderMetadata,
    ProviderOptions,
)
from fantasy.providers.openai.tool_call_extras import ToolCallExtraContent, extra_content_of
from fantasy.schema_dialects import check_tool_root, refs_to_defs
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    Content,
    FileContent,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningContent,
    ResponseContent,
    Role,
    TextContent,
    TextPart,
    Tool,
    ToolCallContent,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
)
from fantasy.types import ProviderMetadata as ProviderMetadataMap


def _unsupported(setting: str, details: str = "", message: str = "") -> CallWarning:
    return CallWarning(
        CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details, message=message
    )


def _other(message: str) -> CallWarning:
    return CallWarning(CallWarningType.OTHER, message=message)


DROPPED_EMPTY_USER = (
    "dropping empty user message (contains neither user-facing content nor tool results)"
)
DROPPED_EMPTY_ASSISTANT = (
    "dropping empty assistant message (contains neither user-facing content nor tool calls)"
)


_CHOICE = "choices[0]"
_MESSAGE = "choices[0].message"


def _b64(data: bytes) -> str:
    import base64  # with the first file part, not at import (issue 23)

    return base64.b64encode(data).decode("ascii")


OptionsT = TypeVar("OptionsT")


class ChatCodecBase(Generic[OptionsT]):
    """Translates for one model on the Chat Completions path, whoever serves it.

    ``OptionsT`` is the provider's own options class (``options_type``), found under
    ``options_key`` in a call's provider options, checked, and handed to
    `apply_options` typed: OpenAI's `ChatCodec`, the OpenAI-compatible and the gateway
    codecs each fill it with theirs.
    """

    options_type: type[OptionsT]
    options_path: str = ""
    """How an error names the options class (default: its module and name)."""

    provider_name = NAME
    options_key = NAME
    """Where this provider's `ProviderOptions` are found in ``call.provider_options``."""
    file_options_key = NAME
    """Where a file part's `FileOptions` (image detail) are found."""
    metadata_key = NAME
    """Where response metadata is put; Fantasy keeps ``"openai"`` for every provider on
    this path, whatever its name."""
    native_object_output = True
    """Structured output uses ``response_format`` (OpenAI, Azure); OpenAI-compatible
    servers turn it off and get objects through a forced tool call, as in Fantasy."""

    hooks: ChatHooks | None = None
    """The model's hooks (`fantasy.providers.openai.hooks`): steps that replace this
    codec's own; None for none."""
    language_model: Any = None
    """The model this codec translates for, handed to a ``prepare_call`` hook."""

    def __init__(self, model_id: str):
        self.model_id = model_id

    @property
    def caps(self) -> ModelCapabilities:
        """What the model accepts here, by Fantasy's Chat Completions rules."""
        return capabilities(self.model_id, CHAT)

    # ================================================================== request

    def build_body(self, call: Call, *, stream: bool) -> tuple[JSON, list[CallWarning]]:
        hooks = self.hooks
        if hooks is not None and hooks.to_prompt is not None:
            messages, given = hooks.to_prompt(call.prompt, self.provider_name, self.model_id)
            warnings = list(given)
        else:
            messages, warnings = self.to_messages(call.prompt)
        body: JSON = {"model": self.model_id, "messages": messages}
        if call.top_k is not None:
            warnings.append(_unsupported("top_k"))
        self._sampling(body, call, warnings)
        options: OptionsT | None = None
        if hooks is not None and hooks.prepare_call is not None:
            warnings.extend(hooks.prepare_call(self.language_model, body, call))
        else:
            options = self.prepare_options(body, call, warnings)
        if call.tools:
            tools, choice, tool_warnings = self.tools(call.tools, call.tool_choice)
            if tools:
                body["tools"] = tools
            if choice is not None:
                body["tool_choice"] = choice
            warnings.extend(tool_warnings)
            for tool in call.tools:
                if isinstance(tool, ProviderDefinedTool) and not self.provider_tool(
                    body, tool, warnings
                ):
                    warnings.append(
                        CallWarning(
                            CallWarningType.UNSUPPORTED_TOOL,
                            tool=tool,
                            message="tool is not supported",
                        )
                    )
        if call.response_format is not None and self.native_object_output:
            from fantasy.providers.openai.structured import chat_response_format

            body["response_format"] = chat_response_format(call.response_format)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        # A provider's ``extra_body`` goes over the finished body, as the SDK's extra fields
        # do in Fantasy, so it can override any field but ``stream``.
        extra = getattr(options, "extra_body", None)
        if extra:
            body.update(extra)
            if stream:
                body["stream"] = True
        return body, warnings

    def prepare_options(
        self,
        body: JSON,
        call: Call,
        warnings: list[CallWarning],
        *,
        merge_extra_body: bool = False,
    ) -> OptionsT | None:
        """This provider's options from the call, put on the body: the default
        ``prepare_call`` step. An ``extra_body`` is merged at the end of `build_body`
        (over the tools too); with ``merge_extra_body`` (a hook calling the default)
        it is merged here, over what the body has so far."""
        options = self.provider_options(call)
        if options is not None:
            self.apply_options(body, options, warnings)
            extra = getattr(options, "extra_body", None)
            if merge_extra_body and extra:
                body.update(extra)
        return options

    def finish_reason(self, raw: str) -> FinishReason:
        """A ``finish_reason`` as a `FinishReason`: the hook's mapping, else Fantasy's."""
        hooks = self.hooks
        if hooks is not None and hooks.map_finish_reason is not None:
            return hooks.map_finish_reason(raw)
        return map_finish_reason(raw)

    def read_usage(self, data: JSON) -> tuple[Usage, Any]:
        """A response's usage and metadata: the hook's reading, else `usage`."""
        hooks = self.hooks
        if hooks is not None and hooks.usage is not None:
            return hooks.usage(data)
        return self.usage(data)

    def read_stream_usage(self, chunk: JSON) -> tuple[Usage, Any] | None:
        hooks = self.hooks
        if hooks is not None and hooks.stream_usage is not None:
            return hooks.stream_usage(chunk)
        return self.stream_usage(chunk)

    def read_extra_content(self, choice: JSON) -> list[Content]:
        hooks = self.hooks
        if hooks is not None and hooks.extra_content is not None:
            return hooks.extra_content(choice)
        return self.extra_content(choice)

    def open_stream_extension(self) -> ChatStreamExtension | None:
        hooks = self.hooks
        if hooks is not None and hooks.stream_extra is not None:
            return hooks.stream_extra()
        return self.stream_extension()

    def _sampling(self, body: JSON, call: Call, warnings: list[CallWarning]) -> None:
        caps = self.caps
        if call.max_output_tokens is not None:
            body[caps.max_tokens_key] = call.max_output_tokens
        sampling = (
            ("temperature", "temperature", call.temperature),
            ("top_p", "TopP", call.top_p),
            ("frequency_penalty", "FrequencyPenalty", call.frequency_penalty),
            ("presence_penalty", "PresencePenalty", call.presence_penalty),
        )
        for key, setting, value in sampling:
            if value is None:
                continue
            if key in caps.dropped_settings:
                warnings.append(
                    _unsupported(setting, f"{setting} is not supported for reasoning models")
                )
            elif key == "temperature" and caps.search_preview:
                warnings.append(
                    _unsupported(
                        "temperature",
                        "temperature is not supported for the search preview models "
                        "and has been removed.",
                    )
                )
            else:
                body[key] = value

    def provider_options(self, call: Call) -> OptionsT | None:
        """This provider's options from the call, type-checked; `default_options` when
        absent."""
        value = call.provider_options.get(self.options_key)
        if value is None:
            return self.default_options(call)
        cls = self.options_type
        if not isinstance(value, cls):
            where = self.options_path or f"{cls.__module__}.{cls.__name__}"
            raise InvalidArgumentError(f"{self.options_label} provider options should be {where}")
        check_fields(value, f"{self.options_key} provider options")
        return value

    @property
    def options_label(self) -> str:
        return self.options_key

    def default_options(self, call: Call) -> OptionsT | None:
        """The options of a call that gives none: the defaults (some are always sent)."""
        return self.options_type()

    def apply_options(self, body: JSON, opts: OptionsT, warnings: list[CallWarning]) -> None:
        """Put this provider's options on the request body."""

    # ------------------------------------------------------------------ messages

    def to_messages(self, prompt: list[Message]) -> tuple[list[JSON], list[CallWarning]]:
        """The prompt as Chat Completions messages; each role has a hook returning 0..n."""
        out: list[JSON] = []
        warnings: list[CallWarning] = []
        for message in prompt:
            if message.role is Role.SYSTEM:
                out.extend(self.system_messages(message, warnings))
            elif message.role is Role.USER:
                out.extend(self.user_messages(message, warnings))
            elif message.role is Role.ASSISTANT:
                out.extend(self.assistant_messages(message, warnings))
            elif message.role is Role.TOOL:
                out.extend(self.tool_messages(message, warnings))
        return out, warnings

    def system_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """Non-blank text parts joined with newlines into one system message."""
        texts: list[str] = []
        for part in message.content:
            if not isinstance(part, TextPart):
                warnings.append(_other("system prompt can only have text content"))
                continue
            if part.text.strip():
                texts.append(part.text)
        if not texts:
            warnings.append(_other("system prompt has no text parts"))
            return []
        return [{"role": "system", "content": "\n".join(texts)}]

    def user_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """A lone text part is sent as a string; anything else as an array of parts."""
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            return [{"role": "user", "content": content[0].text}]
        parts: list[JSON] = []
        for part in content:
            if isinstance(part, TextPart):
                parts.append(self.user_text(part, message))
            elif isinstance(part, FilePart):
                wire = self.user_file(part, len(parts), warnings)
                if wire is not None:
                    parts.append(wire)
        if not parts:
            warnings.append(_other(DROPPED_EMPTY_USER))
            return []
        return [{"role": "user", "content": parts}]

    def user_text(self, part: TextPart, message: Message) -> JSON:
        return {"type": "text", "text": part.text}

    def user_file(self, part: FilePart, index: int, warnings: list[CallWarning]) -> JSON | None:
        mt = part.media_type
        if mt.startswith("image/"):
            image: JSON = {"url": f"data:{mt};base64,{_b64(part.data)}"}
            opts = (part.provider_options or {}).get(self.file_options_key)
            if isinstance(opts, FileOptions) and opts.image_detail:
                image["detail"] = opts.image_detail
            return {"type": "image_url", "image_url": image}
        if mt.startswith("text/"):
            return {"type": "file", "file": {"file_data": _b64(part.data)}}
        if mt == "audio/wav":
            return {
                "type": "input_audio",
                "input_audio": {"data": _b64(part.data), "format": "wav"},
            }
        if mt in ("audio/mpeg", "audio/mp3"):
            return {
                "type": "input_audio",
                "input_audio": {"data": _b64(part.data), "format": "mp3"},
            }
        if mt == "application/pdf":
            if part.data.startswith(b"file-"):
                return {"type": "file", "file": {"file_id": part.data.decode()}}
            return {
                "type": "file",
                "file": {
                    "filename": part.filename or f"part-{index}.pdf",
                    "file_data": f"data:application/pdf;base64,{_b64(part.data)}",
                },
            }
        warnings.append(_other(f"file part media type {mt} not supported"))
        return None

    def assistant_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        assistant = self.assistant_message(message, warnings)
        if assistant is None:
            warnings.append(_other(DROPPED_EMPTY_ASSISTANT))
            return []
        return [assistant]

    def assistant_message(self, message: Message, warnings: list[CallWarning]) -> JSON | None:
        """OpenAI keeps the last text part; reasoning and files are not sent back."""
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            return {"role": "assistant", "content": content[0].text}
        wire: JSON = {"role": "assistant"}
        tool_calls: list[JSON] = []
        for part in content:
            if isinstance(part, TextPart):
                wire["content"] = part.text
            elif isinstance(part, ToolCallPart):
                tool_calls.append(self.tool_call(part))
        if tool_calls:
            wire["tool_calls"] = tool_calls
        if "content" not in wire and not tool_calls:
            return None
        return wire

    def tool_call(self, part: ToolCallPart) -> JSON:
        wire: JSON = {
            "id": part.tool_call_id,
            "type": "function",
            "function": {"name": part.tool_name, "arguments": part.input},
        }
        kept = (part.provider_options or {}).get(self.options_key)
        if isinstance(kept, ToolCallExtraContent):
            # The server's own fields on this call (Gemini's thought signature), back to it.
            wire["extra_content"] = kept.extra_content
        return wire

    def tool_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """One tool message per result; media results add a user message after theirs."""
        out: list[JSON] = []
        for part in message.content:
            if not isinstance(part, ToolResultPart):
                warnings.append(_other("tool message can only have tool result content"))
                continue
            output = part.output
            if isinstance(output, ToolResultOutputMedia):
                out.extend(self.media_result(part.tool_call_id, output, warnings))
                continue
            if isinstance(output, ToolResultOutputText):
                text = output.text
            elif isinstance(output, ToolResultOutputError):
                text = output.error
            else:
                text = ""
            out.append({"role": "tool", "tool_call_id": part.tool_call_id, "content": text})
        return out

    def media_result(
        self, call_id: str, media: ToolResultOutputMedia, warnings: list[CallWarning]
    ) -> list[JSON]:
        """Tool messages carry text only, so media goes in a synthetic user message after it."""
        mt = media.media_type
        text = media.text or f"The tool returned {mt} content; see the following user message."
        messages: list[JSON] = [{"role": "tool", "tool_call_id": call_id, "content": text}]
        if mt.startswith("image/"):
            part: JSON = {
                "type": "image_url",
                "image_url": {"url": f"data:{mt};base64,{media.data}"},
            }
        elif mt == "audio/wav":
            part = {"type": "input_audio", "input_audio": {"data": media.data, "format": "wav"}}
        elif mt in ("audio/mpeg", "audio/mp3"):
            part = {"type": "input_audio", "input_audio": {"data": media.data, "format": "mp3"}}
        else:
            warnings.append(
                _other(f"tool result media type {mt} not supported, sending text placeholder only")
            )
            return messages
        messages.append({"role": "user", "content": [part]})
        return messages

    # ------------------------------------------------------------------ tools

    def tools(
        self, tools: list[Tool], choice: str | None
    ) -> tuple[list[JSON], Any, list[CallWarning]]:
        wire: list[JSON] = []
        warnings: list[CallWarning] = []
        for tool in tools:
            if isinstance(tool, FunctionTool):
                wire.append(self.function_tool(tool))
        wire_choice: Any = None
        if choice is not None:
            if choice in ("auto", "none", "required"):
                wire_choice = choice
            else:
                wire_choice = {"type": "function", "function": {"name": choice}}
        return wire, wire_choice, warnings

    def provider_tool(
        self, body: JSON, tool: ProviderDefinedTool, warnings: list[CallWarning]
    ) -> bool:
        """Ask for a provider-hosted tool on the request body (Chat Completions has no
        hosted tools in ``tools``: each server asks for them its own way). False when
        this server has no such tool (the caller warns)."""
        return False

    def function_tool(self, tool: FunctionTool) -> JSON:
        function: JSON = {"name": tool.name, "description": tool.description, "strict": False}
        if tool.input_schema is not None:
            check_tool_root(tool.input_schema, f'tool "{tool.name}"', "OpenAI")
            # Recursive types point into $defs, the form OpenAI documents.
            function["parameters"] = refs_to_defs(tool.input_schema)
        return {"type": "function", "function": function}

    # ================================================================== response

    def parse_response(self, data: JSON) -> Response:
        choices = arr(data, "choices")
        if not choices:
            raise FantasyError("no response generated", title="no response")
        choice = as_object(choices[0], _CHOICE)
        if choice.get("error") is not None:
            raise _choice_error(choice, self.provider_name)
        message = obj(choice, "message", _CHOICE)
        content = ResponseContent()
        warnings: list[CallWarning] = []
        raw_content = message.get("content")
        if isinstance(raw_content, list):
            self._chunk_content(
                content_chunks(raw_content, f"{_MESSAGE}.content"), content, warnings
            )
        else:
            answer = text(message, "content", _MESSAGE)
            if answer:
                content.append(TextContent(answer))
        refusal = text(message, "refusal", _MESSAGE)
        if refusal:
            # A refusal is the model's answer: kept as text (Fantasy drops it).
            content.append(TextContent(refusal))
        audio = obj(message, "audio", _MESSAGE)
        if audio:
            self._audio(audio, content)
        content.extend(self.read_extra_content(choice))
        if message.get("function_call") is not None:
            warnings.append(_other(FUNCTION_CALL_NOT_READ.format(f"{_MESSAGE}.function_call")))
        tool_calls = objects(message, "tool_calls", _MESSAGE)
        for i, tc in enumerate(tool_calls):
            where = f"{_MESSAGE}.tool_calls[{i}]"
            fn = obj(tc, "function", where)
            fn_where = f"{where}.function"
            extra = extra_content_of(tc, where)
            content.append(
                ToolCallContent(
                    text(tc, "id", where),
                    text(fn, "name", fn_where),
                    text(fn, "arguments", fn_where),
                    provider_metadata=(
                        None
                        if extra is None
                        else {self.options_key: ToolCallExtraContent(extra_content=extra)}
                    ),
                )
            )
        for i, annotation in enumerate(arr(message, "annotations", _MESSAGE)):
            piece = annotation_source(annotation, f"{_MESSAGE}.annotations[{i}]")
            if piece is not None:
                self._chunk_content([piece], content, warnings)
        content.extend(search_sources(data, "", set()))
        usage, metadata = self.read_usage(data)
        raw = text(choice, "finish_reason", _CHOICE)
        finish = self.finish_reason(raw)
        if tool_calls:
            finish = FinishReason.TOOL_CALLS
        provider_metadata = {} if metadata is None else {self.metadata_key: metadata}
        return Response(
            content,
            finish,
            usage,
            warnings,
            provider_metadata,
            raw,
            response_id=label(data, "id"),
            response_model=label(data, "model"),
        )

    def _chunk_content(
        self, pieces: list[ChunkPiece], content: ResponseContent, warnings: list[CallWarning]
    ) -> None:
        """Pieces of a content chunk list as content: consecutive texts (and thoughts)
        joined into one part each."""
        for piece in pieces:
            kind = piece.kind
            last = content[-1] if content else None
            if kind == "text":
                if isinstance(last, TextContent) and last.provider_metadata is None:
                    last.text += piece.text
                elif piece.text:
                    content.append(TextContent(piece.text))
            elif kind == "reasoning":
                if isinstance(last, ReasoningContent):
                    last.text += piece.text
                else:
                    content.append(ReasoningContent(piece.text, self.chunk_reasoning_metadata()))
            elif piece.source is not None:
                content.append(piece.source)
            else:
                warnings.append(_other(piece.text))

    def chunk_reasoning_metadata(self) -> ProviderMetadataMap | None:
        """The metadata of reasoning read from a ``thinking`` content chunk: what lets a
        codec send it back the same way (none here: OpenAI sends no chunks)."""
        return None

    @staticmethod
    def _audio(audio: JSON, content: ResponseContent) -> None:
        """Generated audio as a file, its transcript as text when there is no other."""
        where = f"{_MESSAGE}.audio"
        data = text(audio, "data", where)
        transcript = text(audio, "transcript", where)
        if transcript and not any(isinstance(c, TextContent) for c in content):
            content.append(TextContent(transcript))
        if data:
            raw = decode_base64(data, f"{where}.data")
            content.append(FileContent(raw, audio_media_type(raw)))

    def extra_content(self, choice: JSON) -> list[Content]:
        """Content beyond text and tool calls (reasoning, for compatible servers), from the
        first choice (``choices[0]``)."""
        return []

    def usage(self, data: JSON) -> tuple[Usage, Any]:
        raw = obj(data, "usage")
        usage = usage_from_openai(raw)
        metadata = ProviderMetadata(extra_fields=extra_usage_fields(raw))
        choices = arr(data, "choices")
        if choices:
            logprobs = obj(as_object(choices[0], _CHOICE), "logprobs", _CHOICE)
            tokens = arr(logprobs, "content", f"{_CHOICE}.logprobs")
            if tokens:
                metadata.logprobs = tokens
        details = obj(raw, "completion_tokens_details", "usage")
        where = "usage.completion_tokens_details"
        metadata.accepted_prediction_tokens = integer(details, "accepted_prediction_tokens", where)
        metadata.rejected_prediction_tokens = integer(details, "rejected_prediction_tokens", where)
        return usage, metadata

    def stream_usage(self, chunk: JSON) -> tuple[Usage, Any] | None:
        """Usage from one chunk, or None when it carries none (the running value resets)."""
        raw = obj(chunk, "usage", "chunk")
        if not integer(raw, "total_tokens", "chunk.usage"):
            return None
        details = obj(raw, "completion_tokens_details", "chunk.usage")
        where = "chunk.usage.completion_tokens_details"
        metadata = ProviderMetadata(
            accepted_prediction_tokens=integer(details, "accepted_prediction_tokens", where),
            rejected_prediction_tokens=integer(details, "rejected_prediction_tokens", where),
            extra_fields=extra_usage_fields(raw),
        )
        return usage_from_openai(raw, "chunk.usage"), metadata

    def stream_extension(self) -> ChatStreamExtension | None:
        """A new stream's handler of parts beyond text and tool calls, with its own state
        (reasoning, for compatible servers and gateways); none for OpenAI itself."""
        return None

    def stream_metadata(self, state: ChatStreamTranslator) -> Any:
        """The metadata of the finish part: the last usage chunk's, with the logprobs."""
        metadata = state.metadata if state.metadata is not None else ProviderMetadata()
        if isinstance(metadata, ProviderMetadata) and state.logprobs:
            metadata.logprobs = state.logprobs
        return metadata

    def new_stream(self, warnings: list[CallWarning]) -> ChatStreamTranslator:
        return ChatStreamTranslator(self, warnings)


def _choice_error(choice: JSON, provider: str) -> ProviderError:
    """A choice that failed (OpenRouter: ``"finish_reason": "error"`` with an ``error``
    object, as in its streams), as the error it reports."""
    import json

    from fantasy.http.unexpected import (
        bounded,
        error_fields,
        is_transient_code,
        is_transient_kind,
    )

    error = choice.get("error")
    message, kind, code = "", "", 0
    if isinstance(error, dict):
        said = error.get("message")
        message = said if isinstance(said, str) else ""
        _, kind, code = error_fields(error)
        kind = kind or str(error.get("code") or "")
    elif isinstance(error, str):
        message = error
    raw = json.dumps(choice, ensure_ascii=False)
    return ProviderError(
        bounded(message or f"the answer failed: {raw}"),
        title="provider error",
        provider=provider,
        response_body=raw.encode(errors="replace"),
        transient=is_transient_kind(kind) or is_transient_code(code),
        error_type=kind,
    )


def chat_web_search(tool: ProviderDefinedTool) -> tuple[JSON, list[str]]:
    """`web_search_tool`'s options as Chat Completions' ``web_search_options``, and the
    settings it has no place for (``allowed_domains``)."""
    from fantasy.providers.openai.web_search import user_location_fields

    args = tool.args or {}
    options: JSON = {}
    size = args.get("search_context_size")
    if isinstance(size, str) and size:
        options["search_context_size"] = size
    where = user_location_fields(args.get("user_location"))
    if where:
        options["user_location"] = {"type": "approximate", "approximate": where}
    unsupported = ["allowed_domains"] if args.get("allowed_domains") else []
    return options, unsupported


class ChatCodec(ChatCodecBase[ProviderOptions]):
    """OpenAI's Chat Completions (and Azure's): `ProviderOptions` under ``"openai"``."""

    options_type = ProviderOptions
    options_path = "fantasy.providers.openai.ProviderOptions"

    def provider_tool(
        self, body: JSON, tool: ProviderDefinedTool, warnings: list[CallWarning]
    ) -> bool:
        """`web_search_tool` as ``web_search_options`` on the search models
        (``gpt-4o-search-preview``, ``gpt-5-search-api``, ...): their citations come back
        as URL sources. Other models take no web search here (Fantasy's warning)."""
        # Web search's module (its dataclasses) loads with the first provider tool.
        from fantasy.providers.openai.web_search import WEB_SEARCH_TOOL_IDS

        if tool.id not in WEB_SEARCH_TOOL_IDS or "search" not in self.model_id.lower():
            return False
        options, unsupported = chat_web_search(tool)
        body["web_search_options"] = options
        for setting in unsupported:
            warnings.append(
                _unsupported(setting, f"{setting} is not supported by Chat Completions' web search")
            )
        return True

    def default_options(self, call: Call) -> ProviderOptions | None:
        # As in Fantasy: the defaults only when the call gives other providers' options.
        return ProviderOptions() if call.provider_options else None

    def apply_options(self, body: JSON, opts: ProviderOptions, warnings: list[CallWarning]) -> None:
        caps = self.caps
        logprobs = None if opts.top_logprobs is not None else opts.logprobs
        simple: tuple[tuple[str, object], ...] = (
            ("user", opts.user),
            ("parallel_tool_calls", opts.parallel_tool_calls),
            ("max_completion_tokens", opts.max_completion_tokens),
            ("verbosity", opts.text_verbosity),
            ("store", opts.store),
            ("prompt_cache_key", opts.prompt_cache_key),
            ("safety_identifier", opts.safety_identifier),
        )
        for key, value in simple:
            if value is not None:
                body[key] = value
        if opts.prediction is not None and isinstance(opts.prediction.get("content"), str):
            body["prediction"] = {"type": "content", "content": opts.prediction["content"]}
        if opts.metadata is not None:
            body["metadata"] = {k: v for k, v in opts.metadata.items() if isinstance(v, str)}
        if opts.reasoning_effort is not None and caps.reasoning_options:
            if opts.reasoning_effort not in REASONING_EFFORTS:
                raise InvalidArgumentError(
                    f"reasoning effort {opts.reasoning_effort!r} not supported; "
                    f"use one of {sorted(REASONING_EFFORTS)}"
                )
            body["reasoning_effort"] = opts.reasoning_effort
        if caps.drops_logprobs:
            dropped: tuple[tuple[str, object], ...] = (
                ("LogitBias", opts.logit_bias),
                ("Logprobs", logprobs),
                ("TopLogprobs", opts.top_logprobs),
            )
            for setting, flag in dropped:
                if flag is not None:
                    warnings.append(
                        _unsupported(
                            setting, message=f"{setting} is not supported for reasoning models"
                        )
                    )
        else:
            if opts.logit_bias is not None:
                body["logit_bias"] = opts.logit_bias
            if logprobs is not None:
                body["logprobs"] = logprobs
            if opts.top_logprobs is not None:
                body["top_logprobs"] = opts.top_logprobs
        tier = opts.service_tier
        if tier is not None:
            if tier == "flex" and not caps.flex:
                warnings.append(
                    _unsupported(
                        "ServiceTier",
                        "flex processing is only available for o3, o4-mini, and gpt-5 models",
                    )
                )
            elif tier == "priority" and not caps.priority:
                warnings.append(
                    _unsupported(
                        "ServiceTier",
                        "priority processing is only available for supported models (gpt-4, "
                        "gpt-5, gpt-5-mini, o3, o4-mini) and requires Enterprise access. "
                        "gpt-5-nano is not supported",
                    )
                )
            else:
                body["service_tier"] = tier


__all__ = [
    "ChatCodec",
    "ChatCodecBase",
    "ChatStreamExtension",
    "ChatStreamTranslator",
    "map_finish_reason",
    "usage_from_openai",
]
