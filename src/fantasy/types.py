"""The vocabulary every provider and the agent loop share.

Plain slotted dataclasses rather than pydantic models: a streamed response
creates one `StreamPart` per chunk, and a dataclass costs a fraction of a
validated model to build. Validation happens at the edges (tool inputs,
structured output, JSON persistence), never per chunk.

Names follow Fantasy's concepts; values on the wire (content types with
hyphens, stream part types with underscores) are Fantasy's exactly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeAlias

from fantasy._record import Record

JSON: TypeAlias = dict[str, Any]
"""A decoded JSON object, as request bodies, responses and stream events are handled."""

ProviderOptions: TypeAlias = dict[str, Any]
"""Provider-specific inputs keyed by provider name (``{"openai": openai.ProviderOptions(...)}``)."""

ProviderMetadata: TypeAlias = dict[str, Any]
"""Provider-specific outputs keyed by provider name; fed back as options on the next turn."""


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ContentType(StrEnum):
    TEXT = "text"
    REASONING = "reasoning"
    FILE = "file"
    SOURCE = "source"
    TOOL_CALL = "tool-call"
    TOOL_RESULT = "tool-result"


class FinishReason(StrEnum):
    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content-filter"
    TOOL_CALLS = "tool-calls"
    ERROR = "error"
    OTHER = "other"
    UNKNOWN = "unknown"


class SourceType(StrEnum):
    URL = "url"
    DOCUMENT = "document"


class CallWarningType(StrEnum):
    UNSUPPORTED_SETTING = "unsupported-setting"
    UNSUPPORTED_TOOL = "unsupported-tool"
    OTHER = "other"


class StreamPartType(StrEnum):
    WARNINGS = "warnings"
    TEXT_START = "text_start"
    TEXT_DELTA = "text_delta"
    TEXT_END = "text_end"
    REASONING_START = "reasoning_start"
    REASONING_DELTA = "reasoning_delta"
    REASONING_END = "reasoning_end"
    TOOL_INPUT_START = "tool_input_start"
    TOOL_INPUT_DELTA = "tool_input_delta"
    TOOL_INPUT_END = "tool_input_end"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    SOURCE = "source"
    FILE = "file"
    FINISH = "finish"
    ERROR = "error"
    OUTPUT = "output"
    """Emitted by an agent with an ``output_type``: a validated partial (then the final)
    output in ``StreamPart.output``; providers never send it."""
    TOOL_APPROVAL_REQUEST = "tool_approval_request"
    """Emitted by the agent for a tool call that needs approval, before it is asked
    (``approve=``) or the run pauses: ``id``, ``tool_call_name``, ``tool_call_input``, and
    the `fantasy.PendingCall` in ``StreamPart.pending_call``; providers never send it."""


class ObjectMode(StrEnum):
    """How a model is asked for a structured object (see `fantasy.objects`)."""

    AUTO = "auto"
    """The provider's native JSON mode when it has one, else `TOOL`."""
    JSON = "json"
    """Native JSON mode; treated as `AUTO` (providers without one use a tool)."""
    TOOL = "tool"
    TEXT = "text"


ToolChoice: TypeAlias = str
"""``"auto"``, ``"none"``, ``"required"``, or the name of one tool the model must call."""

TOOL_CHOICE_AUTO: ToolChoice = "auto"
TOOL_CHOICE_NONE: ToolChoice = "none"
TOOL_CHOICE_REQUIRED: ToolChoice = "required"


# --------------------------------------------------------------------------- tool outputs


class ToolResultOutputText(Record, constants={"type": "text"}):
    """A tool's answer as text, what the model reads next."""

    __slots__ = ("text", "type")

    text: str
    type: str

    def __init__(self, text: str) -> None:
        self.text = text
        self.type = "text"


class ToolResultOutputError(Record, constants={"type": "error"}):
    """A failed tool call as the model sees it: only the message travels."""

    __slots__ = ("error", "type")

    error: str
    type: str

    def __init__(self, error: str) -> None:
        self.error = error
        self.type = "error"


class ToolResultOutputMedia(Record, constants={"type": "media"}):
    """A tool's answer as an image or other media, with optional text."""

    __slots__ = ("data", "media_type", "text", "type")

    data: str
    """Base64 text, ready for the wire."""
    media_type: str
    text: str
    type: str

    def __init__(self, data: str, media_type: str, text: str = "") -> None:
        self.data = data
        self.media_type = media_type
        self.text = text
        self.type = "media"


ToolResultOutput: TypeAlias = ToolResultOutputText | ToolResultOutputError | ToolResultOutputMedia


# --------------------------------------------------------------------------- message parts


class TextPart(Record, constants={"type": ContentType.TEXT}):
    """Text in a message the caller sends (a user's words, a replayed answer)."""

    __slots__ = ("text", "provider_options", "type")

    text: str
    provider_options: ProviderOptions | None
    type: ContentType

    def __init__(self, text: str, provider_options: ProviderOptions | None = None) -> None:
        self.text = text
        self.provider_options = provider_options
        self.type = ContentType.TEXT


class ReasoningPart(Record, constants={"type": ContentType.REASONING}):
    """A model's earlier reasoning, sent back so it can continue from it."""

    __slots__ = ("text", "provider_options", "type")

    text: str
    provider_options: ProviderOptions | None
    type: ContentType

    def __init__(self, text: str, provider_options: ProviderOptions | None = None) -> None:
        self.text = text
        self.provider_options = provider_options
        self.type = ContentType.REASONING


class FilePart(Record, constants={"type": ContentType.FILE}):
    """A file in a message: raw bytes and their media type."""

    __slots__ = ("data", "media_type", "filename", "provider_options", "type")

    data: bytes
    media_type: str
    filename: str
    provider_options: ProviderOptions | None
    type: ContentType

    def __init__(
        self,
        data: bytes,
        media_type: str,
        filename: str = "",
        provider_options: ProviderOptions | None = None,
    ) -> None:
        self.data = data
        self.media_type = media_type
        self.filename = filename
        self.provider_options = provider_options
        self.type = ContentType.FILE


class ToolCallPart(Record, constants={"type": ContentType.TOOL_CALL}):
    """A tool call the model made, replayed in the conversation."""

    __slots__ = (
        "tool_call_id",
        "tool_name",
        "input",
        "provider_executed",
        "provider_options",
        "pending",
        "type",
    )

    tool_call_id: str
    tool_name: str
    input: str
    """The arguments as the model wrote them: raw JSON text."""
    provider_executed: bool
    provider_options: ProviderOptions | None
    pending: str
    """Set by the agent on a call it paused for: ``"approval"`` (waiting for a yes or a
    `fantasy.Denied`) or ``"deferred"`` (its result comes from outside the run); empty
    otherwise. Never sent to a provider; persisted as an extension Fantasy skips."""
    type: ContentType

    def __init__(
        self,
        tool_call_id: str,
        tool_name: str,
        input: str,
        provider_executed: bool = False,
        provider_options: ProviderOptions | None = None,
        pending: str = "",
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.input = input
        self.provider_executed = provider_executed
        self.provider_options = provider_options
        self.pending = pending
        self.type = ContentType.TOOL_CALL


class ToolResultPart(Record, constants={"type": ContentType.TOOL_RESULT}):
    """What a tool returned, sent back in a ``tool`` message."""

    __slots__ = (
        "tool_call_id",
        "output",
        "provider_executed",
        "provider_options",
        "client_metadata",
        "stop_turn",
        "type",
    )

    tool_call_id: str
    output: ToolResultOutput | None
    provider_executed: bool
    provider_options: ProviderOptions | None
    client_metadata: str
    stop_turn: bool
    """The tool ended the run (``ToolResponse.stop_turn``). Never sent to a provider;
    persisted as an extension Fantasy skips, so a paused run resumed from saved messages
    ends where an uninterrupted one would."""
    type: ContentType

    def __init__(
        self,
        tool_call_id: str,
        output: ToolResultOutput | None,
        provider_executed: bool = False,
        provider_options: ProviderOptions | None = None,
        client_metadata: str = "",
        stop_turn: bool = False,
    ) -> None:
        self.tool_call_id = tool_call_id
        self.output = output
        self.provider_executed = provider_executed
        self.provider_options = provider_options
        self.client_metadata = client_metadata
        self.stop_turn = stop_turn
        self.type = ContentType.TOOL_RESULT


MessagePart: TypeAlias = TextPart | ReasoningPart | FilePart | ToolCallPart | ToolResultPart


class Message(Record):
    """One turn of the conversation: who spoke (role) and what they said (parts)."""

    __slots__ = ("role", "content", "provider_options")

    role: Role
    content: list[MessagePart]
    provider_options: ProviderOptions | None

    def __init__(
        self,
        role: Role,
        content: list[MessagePart],
        provider_options: ProviderOptions | None = None,
    ) -> None:
        self.role = role
        self.content = content
        self.provider_options = provider_options


def user_message(prompt: str, *files: FilePart) -> Message:
    """A user turn: the prompt text first, then the files in order."""
    parts: list[MessagePart] = [TextPart(prompt)]
    parts.extend(files)
    return Message(Role.USER, parts)


def system_message(*prompts: str) -> Message:
    return Message(Role.SYSTEM, [TextPart(p) for p in prompts])


Prompt: TypeAlias = list[Message]


# --------------------------------------------------------------------------- response content


class TextContent(Record, constants={"type": ContentType.TEXT}):
    """Text the model answered."""

    __slots__ = ("text", "provider_metadata", "type")

    text: str
    provider_metadata: ProviderMetadata | None
    type: ContentType

    def __init__(self, text: str, provider_metadata: ProviderMetadata | None = None) -> None:
        self.text = text
        self.provider_metadata = provider_metadata
        self.type = ContentType.TEXT


class ReasoningContent(Record, constants={"type": ContentType.REASONING}):
    """Reasoning the model showed before its answer."""

    __slots__ = ("text", "provider_metadata", "type")

    text: str
    provider_metadata: ProviderMetadata | None
    type: ContentType

    def __init__(self, text: str, provider_metadata: ProviderMetadata | None = None) -> None:
        self.text = text
        self.provider_metadata = provider_metadata
        self.type = ContentType.REASONING


class FileContent(Record, constants={"type": ContentType.FILE}):
    """A file the model generated (an image, say)."""

    __slots__ = ("data", "media_type", "provider_metadata", "type")

    data: bytes
    media_type: str
    provider_metadata: ProviderMetadata | None
    type: ContentType

    def __init__(
        self,
        data: bytes,
        media_type: str,
        provider_metadata: ProviderMetadata | None = None,
    ) -> None:
        self.data = data
        self.media_type = media_type
        self.provider_metadata = provider_metadata
        self.type = ContentType.FILE


class SourceContent(Record, constants={"type": ContentType.SOURCE}):
    """A citation the model attached to its answer."""

    __slots__ = (
        "source_type",
        "id",
        "url",
        "title",
        "media_type",
        "filename",
        "provider_metadata",
        "type",
    )

    source_type: SourceType
    id: str
    url: str
    title: str
    media_type: str
    filename: str
    provider_metadata: ProviderMetadata | None
    type: ContentType

    def __init__(
        self,
        source_type: SourceType,
        id: str,
        url: str = "",
        title: str = "",
        media_type: str = "",
        filename: str = "",
        provider_metadata: ProviderMetadata | None = None,
    ) -> None:
        self.source_type = source_type
        self.id = id
        self.url = url
        self.title = title
        self.media_type = media_type
        self.filename = filename
        self.provider_metadata = provider_metadata
        self.type = ContentType.SOURCE


class ToolCallContent(Record, constants={"type": ContentType.TOOL_CALL}):
    """A tool call in a model's answer: which tool, and its arguments as JSON text."""

    __slots__ = (
        "tool_call_id",
        "tool_name",
        "input",
        "provider_executed",
        "provider_metadata",
        "invalid",
        "validation_error",
        "type",
    )

    tool_call_id: str
    tool_name: str
    input: str
    provider_executed: bool
    provider_metadata: ProviderMetadata | None
    invalid: bool
    """Set by the agent when the call failed validation; such a call is never run."""
    validation_error: str | None
    type: ContentType

    def __init__(
        self,
        tool_call_id: str,
        tool_name: str,
        input: str,
        provider_executed: bool = False,
        provider_metadata: ProviderMetadata | None = None,
        invalid: bool = False,
        validation_error: str | None = None,
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.input = input
        self.provider_executed = provider_executed
        self.provider_metadata = provider_metadata
        self.invalid = invalid
        self.validation_error = validation_error
        self.type = ContentType.TOOL_CALL


class ToolResultContent(Record, constants={"type": ContentType.TOOL_RESULT}):
    """A tool's result in the answer: run by the agent, or by the provider."""

    __slots__ = (
        "tool_call_id",
        "tool_name",
        "result",
        "client_metadata",
        "provider_executed",
        "provider_metadata",
        "stop_turn",
        "type",
    )

    tool_call_id: str
    tool_name: str
    result: ToolResultOutput | None
    client_metadata: str
    provider_executed: bool
    provider_metadata: ProviderMetadata | None
    stop_turn: bool
    type: ContentType

    def __init__(
        self,
        tool_call_id: str,
        tool_name: str,
        result: ToolResultOutput | None,
        client_metadata: str = "",
        provider_executed: bool = False,
        provider_metadata: ProviderMetadata | None = None,
        stop_turn: bool = False,
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.result = result
        self.client_metadata = client_metadata
        self.provider_executed = provider_executed
        self.provider_metadata = provider_metadata
        self.stop_turn = stop_turn
        self.type = ContentType.TOOL_RESULT


Content: TypeAlias = (
    TextContent
    | ReasoningContent
    | FileContent
    | SourceContent
    | ToolCallContent
    | ToolResultContent
)


class ResponseContent(list[Content]):
    """The ordered content of one response, with Fantasy's accessors."""

    @property
    def text(self) -> str:
        """The first text block only, as Fantasy's ``Text()``; use ``all_text`` to join them."""
        for c in self:
            if isinstance(c, TextContent):
                return c.text
        return ""

    @property
    def all_text(self) -> str:
        return "".join(c.text for c in self if isinstance(c, TextContent))

    @property
    def reasoning(self) -> list[ReasoningContent]:
        return [c for c in self if isinstance(c, ReasoningContent)]

    @property
    def reasoning_text(self) -> str:
        return "".join(c.text for c in self if isinstance(c, ReasoningContent))

    @property
    def files(self) -> list[FileContent]:
        return [c for c in self if isinstance(c, FileContent)]

    @property
    def sources(self) -> list[SourceContent]:
        return [c for c in self if isinstance(c, SourceContent)]

    @property
    def tool_calls(self) -> list[ToolCallContent]:
        return [c for c in self if isinstance(c, ToolCallContent)]

    @property
    def tool_results(self) -> list[ToolResultContent]:
        return [c for c in self if isinstance(c, ToolResultContent)]


# --------------------------------------------------------------------------- usage, warnings


class Usage(Record):
    """Tokens a call used, as the provider counted them (0 when it did not say)."""

    __slots__ = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "reasoning_tokens",
        "cache_creation_tokens",
        "cache_read_tokens",
    )

    input_tokens: int
    output_tokens: int
    total_tokens: int
    reasoning_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        total_tokens: int = 0,
        reasoning_tokens: int = 0,
        cache_creation_tokens: int = 0,
        cache_read_tokens: int = 0,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.total_tokens = total_tokens
        self.reasoning_tokens = reasoning_tokens
        self.cache_creation_tokens = cache_creation_tokens
        self.cache_read_tokens = cache_read_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cache_creation_tokens + other.cache_creation_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
        )

    def __str__(self) -> str:
        return (
            f"Usage{{Input: {self.input_tokens}, Output: {self.output_tokens}, "
            f"Total: {self.total_tokens}, Reasoning: {self.reasoning_tokens}, "
            f"CacheCreation: {self.cache_creation_tokens}, CacheRead: {self.cache_read_tokens}}}"
        )


class CallWarning(Record):
    """Something the provider could not honour; the call still went out."""

    __slots__ = ("type", "setting", "tool", "details", "message")

    type: CallWarningType
    setting: str
    tool: Any
    details: str
    message: str

    def __init__(
        self,
        type: CallWarningType,
        setting: str = "",
        tool: Any = None,
        details: str = "",
        message: str = "",
    ) -> None:
        self.type = type
        self.setting = setting
        self.tool = tool
        self.details = details
        self.message = message


# --------------------------------------------------------------------------- tools on the wire


class FunctionTool(Record, constants={"type": "function"}):
    """A tool the model may call: its name, description and JSON Schema input."""

    __slots__ = ("name", "description", "input_schema", "provider_options", "type")

    name: str
    description: str
    input_schema: dict[str, Any]
    provider_options: ProviderOptions | None
    type: str

    def __init__(
        self,
        name: str,
        description: str,
        input_schema: dict[str, Any],
        provider_options: ProviderOptions | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.input_schema = input_schema
        self.provider_options = provider_options
        self.type = "function"


class ProviderDefinedTool(Record, constants={"type": "provider-defined"}, factories={"args": dict}):
    """A tool the provider knows natively (web search, computer use).

    ``id`` is ``"<provider>.<tool>"``, e.g. ``"anthropic.web_search"``.
    """

    __slots__ = ("id", "name", "args", "type")

    id: str
    name: str
    args: dict[str, Any]
    type: str

    def __init__(self, id: str, name: str, args: dict[str, Any] | None = None) -> None:
        self.id = id
        self.name = name
        self.args = {} if args is None else args
        self.type = "provider-defined"


Tool: TypeAlias = FunctionTool | ProviderDefinedTool


# --------------------------------------------------------------------------- stream parts


class StreamPart(Record):
    """One event of a streamed response; ``type`` says which fields are meaningful.

    A single class (as in Fantasy) keeps per-chunk cost to one small allocation
    and lets consumers dispatch with ``match part.type``.
    """

    __slots__ = (
        "type",
        "id",
        "delta",
        "tool_call_name",
        "tool_call_input",
        "provider_executed",
        "usage",
        "finish_reason",
        "error",
        "warnings",
        "source_type",
        "url",
        "title",
        "provider_metadata",
        "tool_result",
        "raw_finish_reason",
        "file",
        "source",
        "output",
        "pending_call",
        "response_id",
        "response_model",
        "turn_paused",
    )

    type: StreamPartType
    id: str
    delta: str
    tool_call_name: str
    tool_call_input: str
    provider_executed: bool
    usage: Usage | None
    finish_reason: FinishReason | None
    error: BaseException | None
    warnings: list[CallWarning] | None
    source_type: SourceType | None
    url: str
    title: str
    provider_metadata: ProviderMetadata | None
    tool_result: ToolResultContent | None
    """Set on the ``tool_result`` parts the agent emits after running a client tool."""
    raw_finish_reason: str
    """On ``finish``: the provider's own finish reason (``end_turn``, ``MAX_TOKENS``,
    ``content_filter``...), next to the mapped `finish_reason`."""
    file: FileContent | None
    """On ``file``: the file the model generated (an image, say)."""
    source: SourceContent | None
    """On ``source``, when the provider cites more than a URL and a title (a document,
    a file, a page range): the whole citation, which the agent keeps as it is."""
    output: Any
    """On ``output``: the typed run's output so far (an instance of its ``output_type``)."""
    pending_call: Any
    """On ``tool_approval_request``: the `fantasy.PendingCall` (with the validated input)."""
    response_id: str | None
    """On ``finish``: the provider's id of the answer (`fantasy.Response.response_id`)."""
    response_model: str | None
    """On ``finish``: the model that answered, as the provider names it."""
    turn_paused: bool
    """On ``finish``: the provider paused the turn before its end
    (`fantasy.Response.turn_paused`)."""

    def __init__(
        self,
        type: StreamPartType,
        id: str = "",
        delta: str = "",
        tool_call_name: str = "",
        tool_call_input: str = "",
        provider_executed: bool = False,
        usage: Usage | None = None,
        finish_reason: FinishReason | None = None,
        error: BaseException | None = None,
        warnings: list[CallWarning] | None = None,
        source_type: SourceType | None = None,
        url: str = "",
        title: str = "",
        provider_metadata: ProviderMetadata | None = None,
        tool_result: ToolResultContent | None = None,
        raw_finish_reason: str = "",
        file: FileContent | None = None,
        source: SourceContent | None = None,
        output: Any = None,
        pending_call: Any = None,
        response_id: str | None = None,
        response_model: str | None = None,
        turn_paused: bool = False,
    ) -> None:
        self.type = type
        self.id = id
        self.delta = delta
        self.tool_call_name = tool_call_name
        self.tool_call_input = tool_call_input
        self.provider_executed = provider_executed
        self.usage = usage
        self.finish_reason = finish_reason
        self.error = error
        self.warnings = warnings
        self.source_type = source_type
        self.url = url
        self.title = title
        self.provider_metadata = provider_metadata
        self.tool_result = tool_result
        self.raw_finish_reason = raw_finish_reason
        self.file = file
        self.source = source
        self.output = output
        self.pending_call = pending_call
        self.response_id = response_id
        self.response_model = response_model
        self.turn_paused = turn_paused

    # The parts for content a provider gives whole (hosted tools, citations, a replayed
    # answer): one spelling of each, shared by the providers' streams and the fake model.

    @classmethod
    def of_tool_call(cls, call: ToolCallContent) -> StreamPart:
        """The ``tool_call`` part that completes ``call``."""
        return cls(
            StreamPartType.TOOL_CALL,
            id=call.tool_call_id,
            tool_call_name=call.tool_name,
            tool_call_input=call.input,
            provider_executed=call.provider_executed,
            provider_metadata=call.provider_metadata,
        )

    @classmethod
    def of_tool_result(
        cls, result: ToolResultContent, *, provider_executed: bool | None = None
    ) -> StreamPart:
        """The ``tool_result`` part carrying ``result``; ``provider_executed`` overrides the
        result's own flag where the stream knows better (a hosted tool's answer)."""
        executed = result.provider_executed if provider_executed is None else provider_executed
        return cls(
            StreamPartType.TOOL_RESULT,
            id=result.tool_call_id,
            tool_call_name=result.tool_name,
            provider_executed=executed,
            provider_metadata=result.provider_metadata,
            tool_result=result,
        )

    @classmethod
    def of_source(cls, source: SourceContent, *, whole: bool = True) -> StreamPart:
        """The ``source`` part citing ``source``; ``whole=False`` sends only its URL, title
        and metadata fields, for a citation that is nothing more."""
        return cls(
            StreamPartType.SOURCE,
            id=source.id,
            source_type=source.source_type,
            url=source.url,
            title=source.title,
            provider_metadata=source.provider_metadata,
            source=source if whole else None,
        )

    def cited(self) -> SourceContent:
        """The citation a ``source`` part carries: its whole `source`, else one made of
        its fields (the inverse of `of_source`, for whoever collects the parts)."""
        return self.source or SourceContent(
            self.source_type or SourceType.URL,
            self.id,
            url=self.url,
            title=self.title,
            provider_metadata=self.provider_metadata,
        )
