"""What a model call is, what comes back, and what a provider must implement.

A language model implements the two async methods ``agenerate`` and
``astream``; `BaseLanguageModel` derives the sync faces from them with the
sync driver in `fantasy._runtime`, so one implementation serves both worlds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from fantasy import _runtime
from fantasy._record import Record
from fantasy.call_settings import CallSettings
from fantasy.types import (
    CallWarning,
    FinishReason,
    Prompt,
    ProviderMetadata,
    ProviderOptions,
    ResponseContent,
    StreamPart,
    Tool,
    ToolChoice,
    Usage,
)

if TYPE_CHECKING:
    from fantasy.objects import ObjectCall, ObjectMode, ObjectResponse, ObjectStreamPart


class ResponseFormat(Record):
    """Ask for JSON matching ``schema`` through the provider's native structured output.

    Set by object generation on providers that have such a mode (OpenAI's
    ``response_format``, the Responses API's ``text.format``, Gemini's
    ``responseJsonSchema``); providers without one ignore it.
    """

    __slots__ = ("schema", "name", "description")

    schema: dict[str, Any]
    name: str
    description: str

    def __init__(self, schema: dict[str, Any], name: str = "", description: str = "") -> None:
        self.schema = schema
        self.name = name
        self.description = description


class Call(CallSettings, factories={"tools": list, "provider_options": dict, "headers": dict}):
    """One request to a model. ``None`` means "not set": the provider sends nothing for it.

    The generation settings (``temperature``, ``max_output_tokens``, ...) are the
    fields of `CallSettings`, inherited. Every field after ``prompt`` is keyword-only.
    """

    __slots__ = (
        "prompt",
        "tools",
        "tool_choice",
        "provider_options",
        "user_agent",
        "headers",
        "response_format",
        "timeout",
    )

    prompt: Prompt
    tools: list[Tool]
    tool_choice: ToolChoice | None
    provider_options: ProviderOptions
    user_agent: str
    """Overrides the provider's User-Agent for this call only."""
    headers: dict[str, str]
    """Extra HTTP headers for this call only."""
    response_format: ResponseFormat | None
    """Structured output in the provider's native JSON mode; see `ResponseFormat`."""
    timeout: float | None
    """Seconds this call may wait (each network wait, and a stream as a whole); None keeps
    the provider's ``timeout``. A timed-out call fails with a retryable `ProviderError`."""

    def __init__(
        self,
        prompt: Prompt,
        *,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        tools: list[Tool] | None = None,
        tool_choice: ToolChoice | None = None,
        provider_options: ProviderOptions | None = None,
        user_agent: str = "",
        headers: dict[str, str] | None = None,
        response_format: ResponseFormat | None = None,
        timeout: float | None = None,
    ) -> None:
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.presence_penalty = presence_penalty
        self.frequency_penalty = frequency_penalty
        self.prompt = prompt
        self.tools = [] if tools is None else tools
        self.tool_choice = tool_choice
        self.provider_options = {} if provider_options is None else provider_options
        self.user_agent = user_agent
        self.headers = {} if headers is None else headers
        self.response_format = response_format
        self.timeout = timeout
        # A Call built by hand (model.generate(Call(...))) is checked like the agent's
        # options: a wrong type fails here, naming the field, not as a 400.
        from fantasy._typecheck import check_fields

        # ``tools`` may also hold executable provider tools, which providers unwrap.
        check_fields(self, "Call", skip=("tools",))


class Response(
    Record,
    factories={
        "content": ResponseContent,
        "usage": Usage,
        "warnings": list,
        "provider_metadata": dict,
    },
):
    """A model's whole answer: its content, why it stopped, and the tokens it used."""

    __slots__ = (
        "content",
        "finish_reason",
        "usage",
        "warnings",
        "provider_metadata",
        "raw_finish_reason",
        "response_id",
        "response_model",
        "turn_paused",
    )

    content: ResponseContent
    finish_reason: FinishReason
    usage: Usage
    warnings: list[CallWarning]
    provider_metadata: ProviderMetadata
    raw_finish_reason: str
    """The provider's own finish reason (``end_turn``, ``MAX_TOKENS``, ``length``...),
    next to the mapped `finish_reason`; not part of Fantasy's saved JSON."""
    response_id: str | None
    """The provider's id of this answer (``chatcmpl-...``, ``resp_...``, ``msg_...``,
    Gemini's ``responseId``), for finding it in the provider's logs; None when the
    answer carries none."""
    response_model: str | None
    """The model that answered, as the provider names it (often a dated version of the
    requested id, such as ``gpt-4o-2024-08-06``); None when the answer does not say."""
    turn_paused: bool
    """The provider paused the model's turn before its end (Anthropic's ``pause_turn``: a
    server tool such as web search ran long). Sent back as it is, with no new user
    message, the answer goes on; an agent does that itself, within ``max_steps``."""

    def __init__(
        self,
        content: ResponseContent | None = None,
        finish_reason: FinishReason = FinishReason.UNKNOWN,
        usage: Usage | None = None,
        warnings: list[CallWarning] | None = None,
        provider_metadata: ProviderMetadata | None = None,
        raw_finish_reason: str = "",
        response_id: str | None = None,
        response_model: str | None = None,
        turn_paused: bool = False,
    ) -> None:
        self.content = ResponseContent() if content is None else content
        self.finish_reason = finish_reason
        self.usage = Usage() if usage is None else usage
        self.warnings = [] if warnings is None else warnings
        self.provider_metadata = {} if provider_metadata is None else provider_metadata
        self.raw_finish_reason = raw_finish_reason
        self.response_id = response_id
        self.response_model = response_model
        self.turn_paused = turn_paused

    @property
    def text(self) -> str:
        return self.content.text


@runtime_checkable
class LanguageModel(Protocol):
    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def agenerate(self, call: Call) -> Response: ...

    def astream(self, call: Call) -> AsyncIterator[StreamPart]: ...

    def generate(self, call: Call) -> Response: ...

    def stream(self, call: Call) -> Iterator[StreamPart]: ...

    async def agenerate_object(self, call: ObjectCall) -> ObjectResponse: ...

    def astream_object(self, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]: ...

    def generate_object(self, call: ObjectCall) -> ObjectResponse: ...

    def stream_object(self, call: ObjectCall) -> Iterator[ObjectStreamPart]: ...


@runtime_checkable
class Provider(Protocol):
    @property
    def name(self) -> str: ...

    def language_model(self, model_id: str) -> LanguageModel: ...


class BaseLanguageModel:
    """Implement ``agenerate`` and ``astream``; the sync faces come for free."""

    provider_name: str = ""
    model_id: str = ""
    object_mode: ObjectMode | str = "auto"
    """How `generate_object` / `stream_object` obtain JSON: ``"auto"`` (the provider's
    native JSON mode when it has one, else a forced tool call), ``"json"`` (as auto),
    ``"tool"`` or ``"text"``; see `fantasy.objects.ObjectMode`."""
    native_object_output = False
    """True when this model's request builder honours `Call.response_format`."""
    native_output_with_tools = False
    """True when the provider accepts `Call.response_format` together with tools, so an
    agent with tools and an ``output_type`` can use native structured output (else it
    gives the model a final-answer tool)."""

    @property
    def provider(self) -> str:
        return self.provider_name

    @property
    def model(self) -> str:
        return self.model_id

    async def agenerate(self, call: Call) -> Response:
        raise NotImplementedError

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        raise NotImplementedError

    def generate(self, call: Call) -> Response:
        return _runtime.run_sync(self.agenerate(call))

    def stream(self, call: Call) -> Iterator[StreamPart]:
        return _runtime.iterate_sync(self.astream(call))

    async def agenerate_object(self, call: ObjectCall) -> ObjectResponse:
        """A structured object, in the mode `object_mode` and the model's abilities pick."""
        from fantasy import objects

        return await objects.generate(self, call)

    def astream_object(self, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
        """Partial objects as they stream, then a ``finish`` (or ``error``) part."""
        from fantasy import objects

        return objects.stream(self, call)

    def generate_object(self, call: ObjectCall) -> ObjectResponse:
        return _runtime.run_sync(self.agenerate_object(call))

    def stream_object(self, call: ObjectCall) -> Iterator[ObjectStreamPart]:
        return _runtime.iterate_sync(self.astream_object(call))

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        """Raise `fantasy.schema_dialects.SchemaError` if this model's provider cannot
        express ``schema``; do nothing otherwise.

        ``where`` says what the schema is for and starts the message: ``tool "weather"``
        for a tool's input, anything else (``output type Invoice``) for structured
        output, which is then checked in the way `object_mode` sends it (natively, as
        a tool, or in the prompt). The message names the field, for example ``tool
        "weather": field "when": Gemini function declarations cannot express ...``.
        Called when an agent is built, so a schema the provider would refuse fails
        before any request; request building checks again. This default accepts
        everything; providers whose dialects have limits override it.
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, model={self.model!r})"
