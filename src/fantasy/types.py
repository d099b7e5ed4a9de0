"""The vocabulary every provider and the agent loop share.

Plain slotted dataclasses rather than pydantic models: a streamed response
creates one `StreamPart` per chunk, and a dataclass costs a fraction of a
validated model to build. Validation happens at the edges (tool inputs,
structured output, JSON persistence), never per chunk.

Names follow Fantasy's concepts; values on the wire (content types with
hyphens, stream part types with underscores) are Fantasy's exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

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


@dataclass(slots=True)
class ToolResultOutputText:
    """A tool's answer as text, what the model reads next."""

    text: str
    type: str = field(default="text", init=False)


@dataclass(slots=True)
class ToolResultOutputError:
    """A failed tool call as the model sees it: only the message travels."""

    error: str
    type: str = field(default="error", init=False)


@dataclass(slots=True)
class ToolResultOutputMedia:
    """A tool's answer as an image or other media, with optional text."""

    data: str
    """Base64 text, ready for the wire."""
    media_type: str
    text: str = ""
    type: str = field(default="media", init=False)


ToolResultOutput: TypeAlias = ToolResultOutputText | ToolResultOutputError | ToolResultOutputMedia


# --------------------------------------------------------------------------- message parts


@dataclass(slots=True)
class TextPart:
    """Text in a message the caller sends (a user's words, a replayed answer)."""

    text: str
    provider_options: ProviderOptions | None = None
    type: ContentType = field(default=ContentType.TEXT, init=False)


@dataclass(slots=True)
class ReasoningPart:
    """A model's earlier reasoning, sent back so it can continue from it."""

    text: str
    provider_options: ProviderOptions | None = None
    type: ContentType = field(default=ContentType.REASONING, init=False)


@dataclass(slots=True)
class FilePart:
    """A file in a message: raw bytes and their media type."""

    data: bytes
    media_type: str
    filename: str = ""
    provider_options: ProviderOptions | None = None
    type: ContentType = field(default=ContentType.FILE, init=False)


@dataclass(slots=True)
class ToolCallPart:
    """A tool call the model made, replayed in the conversation."""

    tool_call_id: str
    tool_name: str
    input: str
    """The arguments as the model wrote them: raw JSON text."""
    provider_executed: bool = False
    provider_options: ProviderOptions | None = None
    pending: str = ""
    """Set by the agent on a call it paused for: ``"approval"`` (waiting for a yes or a
    `fantasy.Denied`) or ``"deferred"`` (its result comes from outside the run); empty
    otherwise. Never sent to a provider; persisted as an extension Fantasy skips."""
    type: ContentType = field(default=ContentType.TOOL_CALL, init=False)


@dataclass(slots=True)
class ToolResultPart:
    """What a tool returned, sent back in a ``tool`` message."""

    tool_call_id: str
    output: ToolResultOutput | None
    provider_executed: bool = False
    provider_options: ProviderOptions | None = None
    client_metadata: str = ""
    stop_turn: bool = False
    """The tool ended the run (``ToolResponse.stop_turn``). Never sent to a provider;
    persisted as an extension Fantasy skips, so a paused run resumed from saved messages
    ends where an uninterrupted one would."""
    type: ContentType = field(default=ContentType.TOOL_RESULT, init=False)


MessagePart: TypeAlias = TextPart | ReasoningPart | FilePart | ToolCallPart | ToolResultPart


@dataclass(slots=True)
class Message:
    """One turn of the conversation: who spoke (role) and what they said (parts)."""

    role: Role
    content: list[MessagePart]
    provider_options: ProviderOptions | None = None


def user_message(prompt: str, *files: FilePart) -> Message:
    """A user turn: the prompt text first, then the files in order."""
    parts: list[MessagePart] = [TextPart(prompt)]
    parts.extend(files)
    return Message(Role.USER, parts)


def system_message(*prompts: str) -> Message:
    return Message(Role.SYSTEM, [TextPart(p) for p in prompts])


Prompt: TypeAlias = list[Message]


# --------------------------------------------------------------------------- response content


@dataclass(slots=True)
class TextContent:
    """Text the model answered."""

    text: str
    provider_metadata: ProviderMetadata | None = None
    type: ContentType = field(default=ContentType.TEXT, init=False)


@dataclass(slots=True)
class ReasoningContent:
    """Reasoning the model showed before its answer."""

    text: str
    provider_metadata: ProviderMetadata | None = None
    type: ContentType = field(default=ContentType.REASONING, init=False)


@dataclass(slots=True)
class FileContent:
    """A file the model generated (an image, say)."""

    data: bytes
    media_type: str
    provider_metadata: ProviderMetadata | None = None
    type: ContentType = field(default=ContentType.FILE, init=False)


@dataclass(slots=True)
class SourceContent:
    """A citation the model attached to its answer."""

    source_type: SourceType
    id: str
    url: str = ""
    title: str = ""
    media_type: str = ""
    filename: str = ""
    provider_metadata: ProviderMetadata | None = None
    type: ContentType = field(default=ContentType.SOURCE, init=False)


@dataclass(slots=True)
class ToolCallContent:
    """A tool call in a model's answer: which tool, and its arguments as JSON text."""

    tool_call_id: str
    tool_name: str
    input: str
    provider_executed: bool = False
    provider_metadata: ProviderMetadata | None = None
    invalid: bool = False
    """Set by the agent when the call failed validation; such a call is never run."""
    validation_error: str | None = None
    type: ContentType = field(default=ContentType.TOOL_CALL, init=False)


@dataclass(slots=True)
class ToolResultContent:
    """A tool's result in the answer: run by the agent, or by the provider."""

    tool_call_id: str
    tool_name: str
    result: ToolResultOutput | None
    client_metadata: str = ""
    provider_executed: bool = False
    provider_metadata: ProviderMetadata | None = None
    stop_turn: bool = False
    type: ContentType = field(default=ContentType.TOOL_RESULT, init=False)


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


@dataclass(slots=True)
class Usage:
    """Tokens a call used, as the provider counted them (0 when it did not say)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0

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


@dataclass(slots=True)
class CallWarning:
    """Something the provider could not honour; the call still went out."""

    type: CallWarningType
    setting: str = ""
    tool: Any = None
    details: str = ""
    message: str = ""


# --------------------------------------------------------------------------- tools on the wire


@dataclass(slots=True)
class FunctionTool:
    """A tool the model may call: its name, description and JSON Schema input."""

    name: str
    description: str
    input_schema: dict[str, Any]
    provider_options: ProviderOptions | None = None
    type: str = field(default="function", init=False)


@dataclass(slots=True)
class ProviderDefinedTool:
    """A tool the provider knows natively (web search, computer use).

    ``id`` is ``"<provider>.<tool>"``, e.g. ``"anthropic.web_search"``.
    """

    id: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    type: str = field(default="provider-defined", init=False)


Tool: TypeAlias = FunctionTool | ProviderDefinedTool


# --------------------------------------------------------------------------- stream parts


@dataclass(slots=True)
class StreamPart:
    """One event of a streamed response; ``type`` says which fields are meaningful.

    A single class (as in Fantasy) keeps per-chunk cost to one small allocation
    and lets consumers dispatch with ``match part.type``.
    """

    type: StreamPartType
    id: str = ""
    delta: str = ""
    tool_call_name: str = ""
    tool_call_input: str = ""
    provider_executed: bool = False
    usage: Usage | None = None
    finish_reason: FinishReason | None = None
    error: BaseException | None = None
    warnings: list[CallWarning] | None = None
    source_type: SourceType | None = None
    url: str = ""
    title: str = ""
    provider_metadata: ProviderMetadata | None = None
    tool_result: ToolResultContent | None = None
    """Set on the ``tool_result`` parts the agent emits after running a client tool."""
    raw_finish_reason: str = ""
    """On ``finish``: the provider's own finish reason (``end_turn``, ``MAX_TOKENS``,
    ``content_filter``...), next to the mapped `finish_reason`."""
    file: FileContent | None = None
    """On ``file``: the file the model generated (an image, say)."""
    source: SourceContent | None = None
    """On ``source``, when the provider cites more than a URL and a title (a document,
    a file, a page range): the whole citation, which the agent keeps as it is."""
    output: Any = None
    """On ``output``: the typed run's output so far (an instance of its ``output_type``)."""
    pending_call: Any = None
    """On ``tool_approval_request``: the `fantasy.PendingCall` (with the validated input)."""
    response_id: str | None = None
    """On ``finish``: the provider's id of the answer (`fantasy.Response.response_id`)."""
    response_model: str | None = None
    """On ``finish``: the model that answered, as the provider names it."""

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
