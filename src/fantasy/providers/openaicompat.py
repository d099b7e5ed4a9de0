"""Any OpenAI-compatible Chat Completions server: xAI, Groq, Hugging Face's router,
Z.ai, llama.cpp, vLLM, Ollama, Avian, ...

    from fantasy.providers import openaicompat
    provider = openaicompat.Provider("https://api.x.ai/v1", api_key=...)
    model = provider.language_model("grok-4-fast")

What differs from OpenAI's own provider, and lives here:
- options: only ``reasoning_effort``, ``user`` and ``extra_body`` (merged into the
  request body, where it overrides standard fields);
- reasoning in both directions: ``reasoning_content`` / ``reasoning`` fields of the
  response become reasoning content (null or empty is none), and reasoning in the
  history is sent back as ``reasoning_content`` on the assistant message; reasoning
  read from ``thinking`` content chunks (Mistral) goes back as such chunks
  (`ThinkingChunk`);
- `ContentExtraFields` on a text part (or its message) adds server-specific keys
  to that text block, which forces the array form of the message content.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fantasy._record import Record
from fantasy.errors import InvalidArgumentError
from fantasy.http.shape import obj, text
from fantasy.persistence.registry import persisted
from fantasy.providers._base import HTTPProvider, check_model_id
from fantasy.providers.openai.chat import (
    DROPPED_EMPTY_USER,
    ChatCodecBase,
    _other,
)
from fantasy.providers.openai.chat_stream import (
    choice_paths,
    chunk_choices,
    delta_has_output,
    delta_of,
)
from fantasy.providers.openai.hooks import ChatHooks, check_hooks, default_hooks
from fantasy.providers.openai.models import is_responses_model
from fantasy.providers.openai.options import REASONING_EFFORTS, ReasoningEffort
from fantasy.providers.openai.provider import ChatLanguageModel, routed_language_model
from fantasy.types import (
    JSON,
    CallWarning,
    Content,
    FilePart,
    Message,
    ObjectMode,
    ReasoningContent,
    ReasoningPart,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolCallPart,
)
from fantasy.types import (
    ProviderOptions as ProviderOptionsMap,
)

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits
    from fantasy.providers.openai.responses_model import ResponsesLanguageModel

NAME = "openai-compat"


@persisted("openai-compat.options", omit_empty=["extra_body"])
class ProviderOptions(Record):
    """Put under the provider's name: ``provider_options={"openai-compat": ...}``."""

    __slots__ = ("user", "reasoning_effort", "extra_body")

    user: str | None
    reasoning_effort: ReasoningEffort | None
    extra_body: dict[str, Any] | None
    """Merged into the top level of the request body last, so it can override any field."""

    def __init__(
        self,
        *,
        user: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.user = user
        self.reasoning_effort = reasoning_effort
        self.extra_body = extra_body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"reasoning_effort": "low", "extra_body": {...}}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "openai-compat")


@persisted("openai-compat.content_extra_fields")
class ContentExtraFields(Record):
    """Extra keys for a text block, e.g. a server's own cache hints.

    Put on a `TextPart` or on its `Message` (the part's wins) under the
    ``"openai-compat"`` key, whatever the provider is named (as in Fantasy).
    """

    __slots__ = ("fields",)

    fields: dict[str, Any]

    def __init__(self, *, fields: dict[str, Any]) -> None:
        self.fields = fields


def _extra_fields(options: ProviderOptionsMap | None, key: str) -> dict[str, Any]:
    value = (options or {}).get(key)
    return value.fields if isinstance(value, ContentExtraFields) else {}


def _reasoning_text(data: JSON, path: str) -> str:
    """The reasoning of a message or delta: ``reasoning_content`` (DeepSeek, Qwen,
    vLLM), else ``reasoning`` (Ollama, LM Studio, llama.cpp). Null or empty is none:
    DeepSeek and Qwen send ``"reasoning_content": null`` on every answer chunk."""
    return text(data, "reasoning_content", path) or text(data, "reasoning", path)


@persisted("openai-compat.thinking_chunk")
class ThinkingChunk(Record):
    """On reasoning that came as a ``thinking`` chunk of the message content (Mistral's
    Magistral models): sent back the same way, as a ``thinking`` chunk of the assistant
    message's content, instead of as ``reasoning_content``."""

    __slots__ = ("closed",)

    closed: bool

    def __init__(self, *, closed: bool = True) -> None:
        self.closed = closed


class CompatCodec(ChatCodecBase[ProviderOptions]):
    options_type = ProviderOptions
    options_path = "fantasy.providers.openaicompat.ProviderOptions"
    file_options_key = "openai"
    """Image detail is read from OpenAI's file options, as Fantasy does."""
    native_object_output = False
    """Objects come from a forced tool call (Fantasy's default for compatible servers)."""

    def __init__(self, model_id: str, provider_name: str = NAME):
        super().__init__(model_id)
        self.provider_name = provider_name
        self.options_key = provider_name

    # ------------------------------------------------------------------ options

    @property
    def options_label(self) -> str:
        return "openai-compat"

    def apply_options(self, body: JSON, opts: ProviderOptions, warnings: list[CallWarning]) -> None:
        if opts.reasoning_effort is not None:
            if opts.reasoning_effort not in REASONING_EFFORTS:
                raise InvalidArgumentError(
                    f"reasoning effort {opts.reasoning_effort!r} not supported; "
                    f"use one of {sorted(REASONING_EFFORTS)}"
                )
            body["reasoning_effort"] = opts.reasoning_effort
        if opts.user is not None:
            body["user"] = opts.user

    # ------------------------------------------------------------------ messages

    def _text_block(self, part: TextPart, message: Message) -> tuple[JSON, bool]:
        fields = _extra_fields(part.provider_options, NAME) or _extra_fields(
            message.provider_options, NAME
        )
        return {"type": "text", "text": part.text, **fields}, bool(fields)

    def system_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        blocks: list[JSON] = []
        array_form = False
        for part in message.content:
            if not isinstance(part, TextPart):
                warnings.append(_other("system prompt can only have text content"))
                continue
            if not part.text.strip():
                continue
            block, extra = self._text_block(part, message)
            array_form = array_form or extra
            blocks.append(block)
        if not blocks:
            warnings.append(_other("system prompt has no text parts"))
            return []
        if array_form:
            return [{"role": "system", "content": blocks}]
        return [{"role": "system", "content": "\n".join(b["text"] for b in blocks)}]

    def user_messages(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            _, extra = self._text_block(content[0], message)
            if not extra:
                return [{"role": "user", "content": content[0].text}]
        parts: list[JSON] = []
        for part in content:
            if isinstance(part, TextPart):
                parts.append(self._text_block(part, message)[0])
            elif isinstance(part, FilePart):
                wire = self.user_file(part, len(parts), warnings)
                if wire is not None:
                    parts.append(wire)
        if not parts:
            warnings.append(_other(DROPPED_EMPTY_USER))
            return []
        return [{"role": "user", "content": parts}]

    def assistant_message(self, message: Message, warnings: list[CallWarning]) -> JSON | None:
        """Last text part wins; the last reasoning part goes back as ``reasoning_content``."""
        content = message.content
        if len(content) == 1 and isinstance(content[0], TextPart):
            block, extra = self._text_block(content[0], message)
            return {"role": "assistant", "content": [block] if extra else content[0].text}
        wire: JSON = {"role": "assistant"}
        tool_calls: list[JSON] = []
        reasoning: str | None = None
        for part in content:
            if isinstance(part, TextPart):
                block, extra = self._text_block(part, message)
                wire["content"] = [block] if extra else part.text
            elif isinstance(part, ReasoningPart):
                if isinstance((part.provider_options or {}).get(NAME), ThinkingChunk):
                    return self._chunked_assistant(message)
                reasoning = part.text
            elif isinstance(part, ToolCallPart):
                tool_calls.append(self.tool_call(part))
        if tool_calls:
            wire["tool_calls"] = tool_calls
        if reasoning is not None:
            wire["reasoning_content"] = reasoning
        if "content" not in wire and not tool_calls:
            return None
        return wire

    def _chunked_assistant(self, message: Message) -> JSON:
        """An assistant message whose reasoning came as ``thinking`` chunks: its content
        as the same chunk list, thoughts and texts in order."""
        chunks: list[JSON] = []
        tool_calls: list[JSON] = []
        for part in message.content:
            if isinstance(part, TextPart):
                chunks.append(self._text_block(part, message)[0])
            elif isinstance(part, ReasoningPart):
                metadata = (part.provider_options or {}).get(NAME)
                chunk: JSON = {
                    "type": "thinking",
                    "thinking": [{"type": "text", "text": part.text}],
                }
                if isinstance(metadata, ThinkingChunk) and not metadata.closed:
                    chunk["closed"] = False
                chunks.append(chunk)
            elif isinstance(part, ToolCallPart):
                tool_calls.append(self.tool_call(part))
        wire: JSON = {"role": "assistant", "content": chunks}
        if tool_calls:
            wire["tool_calls"] = tool_calls
        return wire

    # ------------------------------------------------------------------ responses

    def extra_content(self, choice: JSON) -> list[Content]:
        """A non-empty ``reasoning_content`` or ``reasoning`` becomes reasoning."""
        message = obj(choice, "message", "choices[0]")
        reasoning = _reasoning_text(message, "choices[0].message")
        return [ReasoningContent(reasoning)] if reasoning else []

    def chunk_reasoning_metadata(self) -> ProviderOptionsMap:
        return {NAME: ThinkingChunk()}

    def stream_extension(self) -> _ReasoningStream:
        return _ReasoningStream()


class _ReasoningStream:
    """Reasoning deltas open a reasoning block; the first content or tool call ends it,
    and so does the end of the stream."""

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open: str | None = None
        """The id of the open reasoning block (its choice's index)."""

    def feed(self, chunk: JSON, first_delta: JSON) -> list[StreamPart]:
        for index, choice in enumerate(chunk_choices(chunk)):
            paths = choice_paths(index)
            delta = first_delta if index == 0 else delta_of(choice, paths)
            where = paths.delta
            reasoning = _reasoning_text(delta, where)
            if reasoning:
                parts = []
                if self.open is None:
                    self.open = str(index)
                    parts.append(StreamPart(StreamPartType.REASONING_START, id=self.open))
                parts.append(
                    StreamPart(StreamPartType.REASONING_DELTA, id=self.open, delta=reasoning)
                )
                return parts
            if self.open is not None and delta_has_output(delta, where):
                return self.close()
        return []

    def close(self) -> list[StreamPart]:
        if self.open is None:
            return []
        part = StreamPart(StreamPartType.REASONING_END, id=self.open)
        self.open = None
        return [part]


class Provider(HTTPProvider):
    """An OpenAI-compatible server at ``base_url``.

    ``api_key`` is sent as a bearer token when given (local servers such as
    llama.cpp need none). ``name`` is the provider name reported by models and
    the key under which `ProviderOptions` are looked up.

    ``hooks`` (`fantasy.providers.openai.ChatHooks`) patch the translation for a
    server's quirks, for every model or (``language_model(id, hooks=...)``) one;
    `DEFAULT_HOOKS` holds this provider's own steps. With ``use_responses_api=True``
    the models ``responses_api_predicate`` accepts (default: OpenAI's Responses
    models) go to ``POST {base_url}/responses`` (Fantasy's ``WithUseResponsesAPI``),
    with OpenAI's Responses options under the ``"openai"`` key.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        name: str = NAME,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        object_mode: ObjectMode | str = ObjectMode.TOOL,
        hooks: ChatHooks | None = None,
        use_responses_api: bool = False,
        responses_api_predicate: Callable[[str], bool] | None = None,
    ):
        self.hooks = check_hooks(hooks)
        self.use_responses_api = use_responses_api
        self.responses_api_predicate = responses_api_predicate or is_responses_model
        if not base_url:
            raise InvalidArgumentError(
                "openaicompat.Provider needs base_url=, e.g. https://api.groq.com/openai/v1"
            )
        # No environment variable is read: the key is sent only when given.
        super().__init__(
            name=name,
            base_url=base_url,
            credentials={"Authorization": f"Bearer {api_key}"} if api_key else {},
            headers=headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )
        # Objects come from a forced tool call ("auto"/"json" mean that too), or "text".
        self.object_mode = ObjectMode(object_mode)

    def language_model(
        self, model_id: str, *, hooks: ChatHooks | None = None
    ) -> ChatLanguageModel | ResponsesLanguageModel:
        check_model_id(model_id)
        name = self.name
        model = routed_language_model(
            self,
            model_id,
            self.use_responses_api,
            self.responses_api_predicate,
            self.hooks,
            hooks,
            chat_codec=lambda model_id: CompatCodec(model_id, name),
        )
        model.object_mode = self.object_mode
        return model


DEFAULT_HOOKS = default_hooks(lambda model_id, provider: CompatCodec(model_id, provider or NAME))
"""This provider's own Chat Completions steps as `ChatHooks` (Fantasy's
``PrepareCallFunc``, ``ExtraContentFunc``, ``StreamExtraFunc``, ``ToPromptFunc``, with
OpenAI's finish reasons and usage)."""
