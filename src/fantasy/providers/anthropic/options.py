"""Options and metadata specific to Anthropic, keyed ``"anthropic"`` in provider options.

The key stays ``"anthropic"`` on Bedrock and Vertex too: it names the API dialect,
not the provider instance, so one agent setup works against all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fantasy._record import Record
from fantasy.errors import InvalidArgumentError
from fantasy.persistence.registry import persisted

NAME = "anthropic"

Effort = Literal["low", "medium", "high", "xhigh", "max"]
ThinkingDisplay = Literal["summarized", "omitted"]


class ThinkingOptions(Record):
    """Extended thinking with a token budget (``{"type": "enabled", "budget_tokens": N}``)."""

    __slots__ = ("budget_tokens",)

    budget_tokens: int
    """Must be positive. It is not added to ``max_tokens``: the budget counts against it."""

    def __init__(self, *, budget_tokens: int) -> None:
        self.budget_tokens = budget_tokens


@persisted(omit_empty=["authorization_token", "allowed_tools", "blocked_tools"])
class MCPServer(Record, not_in_repr=("authorization_token",)):
    """A remote MCP server the API connects to itself (the MCP connector, beta
    ``mcp-client-2025-11-20``); its tools' calls and results come back as
    provider-executed content. Not available on Bedrock or Vertex."""

    __slots__ = ("name", "url", "authorization_token", "allowed_tools", "blocked_tools")

    name: str
    url: str
    """``https://`` only; Streamable HTTP or SSE."""
    authorization_token: str
    """An OAuth bearer token, if the server needs one."""
    allowed_tools: list[str] | None
    """Only these tools of the server (default: all)."""
    blocked_tools: list[str] | None
    """All tools but these."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        authorization_token: str = "",
        allowed_tools: list[str] | None = None,
        blocked_tools: list[str] | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.authorization_token = authorization_token
        self.allowed_tools = allowed_tools
        self.blocked_tools = blocked_tools


@persisted("anthropic.options", omit_empty=["extra_body", "mcp_servers", "container"])
class ProviderOptions(Record):
    """Messages API settings beyond the common call options. ``None`` means "not sent".

    Pass as ``provider_options={"anthropic": ProviderOptions(...)}``.
    """

    __slots__ = (
        "send_reasoning",
        "thinking",
        "effort",
        "thinking_display",
        "disable_parallel_tool_use",
        "mcp_servers",
        "container",
        "extra_body",
    )

    send_reasoning: bool | None
    """Send earlier thinking blocks back with the history (default True)."""
    thinking: ThinkingOptions | None
    """Budgeted thinking; temperature, top_p and top_k are then dropped with warnings."""
    effort: Effort | None
    """Adaptive thinking at this effort (``output_config.effort``); wins over ``thinking``."""
    thinking_display: ThinkingDisplay | None
    """Whether thinking text comes back summarized or omitted (``thinking.display``)."""
    disable_parallel_tool_use: bool | None
    """At most one tool call per turn. Not sent to Bedrock, which rejects the field."""
    mcp_servers: list[MCPServer] | None
    """Remote MCP servers for the MCP connector (``mcp_servers`` plus one ``mcp_toolset``
    tool each, on the beta API)."""
    container: str | None
    """A code execution container to reuse (its id, from the previous response's
    ``provider_metadata["anthropic"].container_id``)."""
    extra_body: dict[str, Any] | None
    """Keys set on the request body last, overriding anything built; a dotted key
    (``"metadata.user_id"``) sets a nested value."""

    def __init__(
        self,
        *,
        send_reasoning: bool | None = None,
        thinking: ThinkingOptions | None = None,
        effort: Effort | None = None,
        thinking_display: ThinkingDisplay | None = None,
        disable_parallel_tool_use: bool | None = None,
        mcp_servers: list[MCPServer] | None = None,
        container: str | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.send_reasoning = send_reasoning
        self.thinking = thinking
        self.effort = effort
        self.thinking_display = thinking_display
        self.disable_parallel_tool_use = disable_parallel_tool_use
        self.mcp_servers = mcp_servers
        self.container = container
        self.extra_body = extra_body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (``{"thinking": {"budget_tokens": 4000}, ...}``),
        e.g. from a configuration file. Unknown keys are ignored, as Go's decoder does."""
        thinking = data.get("thinking")
        if thinking is not None and not isinstance(thinking, Mapping):
            raise InvalidArgumentError("anthropic thinking should be an object")
        extra = data.get("extra_body")
        if extra is not None and not isinstance(extra, Mapping):
            raise InvalidArgumentError("anthropic extra_body should be an object")
        for key in ("send_reasoning", "disable_parallel_tool_use"):
            if data.get(key) is not None and not isinstance(data[key], bool):
                raise InvalidArgumentError(f"anthropic {key} should be a boolean")
        budget = (thinking or {}).get("budget_tokens", 0)
        if thinking is not None and (not isinstance(budget, int) or isinstance(budget, bool)):
            raise InvalidArgumentError("anthropic thinking.budget_tokens should be an integer")
        return cls(
            send_reasoning=data.get("send_reasoning"),
            thinking=None if thinking is None else ThinkingOptions(budget_tokens=budget),
            effort=data.get("effort") or None,
            thinking_display=data.get("thinking_display") or None,
            disable_parallel_tool_use=data.get("disable_parallel_tool_use"),
            extra_body=None if extra is None else dict(extra),
        )


class CacheControl(Record):
    __slots__ = ("type",)
    type: str
    """Only ephemeral caching exists; whatever is given, ``ephemeral`` is sent (as Fantasy)."""

    def __init__(self, *, type: str = "ephemeral") -> None:
        self.type = type


@persisted("anthropic.cache_control_options")
class CacheControlOptions(Record, factories={"cache_control": CacheControl}):
    """Mark a message, part or tool as a prompt-cache breakpoint.

    On a message it marks the message's last block; on a part, that part.
    """

    __slots__ = ("cache_control",)

    cache_control: CacheControl

    def __init__(self, *, cache_control: CacheControl | None = None) -> None:
        self.cache_control = CacheControl() if cache_control is None else cache_control


def cache_control() -> dict[str, Any]:
    """``provider_options`` that make a message, part or tool a cache breakpoint."""
    return {NAME: CacheControlOptions()}


@persisted("anthropic.reasoning_metadata")
class ReasoningMetadata(Record):
    """What a thinking block needs to be sent back: its signature, or its redacted data.

    Comes back as ``provider_metadata["anthropic"]`` on reasoning content and goes
    out again as the reasoning part's ``provider_options["anthropic"]``.
    """

    __slots__ = ("signature", "redacted_data")

    signature: str
    redacted_data: str

    def __init__(self, *, signature: str = "", redacted_data: str = "") -> None:
        self.signature = signature
        self.redacted_data = redacted_data


class ToolOptions(Record):
    """A function tool's settings: ``provider_options={"anthropic": ToolOptions(...)}``."""

    __slots__ = ("defer_loading", "cache_control", "allowed_callers")

    defer_loading: bool
    """Leave the tool out of the prompt until the tool search tool finds it."""
    cache_control: bool
    """Make the tool a prompt-cache breakpoint."""
    allowed_callers: list[str] | None
    """Who may call the tool: ``"direct"`` (the model) and/or a code execution tool
    version (``"code_execution_20250825"``), for programmatic tool calling."""

    def __init__(
        self,
        *,
        defer_loading: bool = False,
        cache_control: bool = False,
        allowed_callers: list[str] | None = None,
    ) -> None:
        self.defer_loading = defer_loading
        self.cache_control = cache_control
        self.allowed_callers = allowed_callers


def defer_loading() -> dict[str, Any]:
    """``provider_options`` for a function tool that the tool search tool loads on demand."""
    return {NAME: ToolOptions(defer_loading=True)}


@persisted(omit_empty=["page_age"])
class WebSearchResultItem(Record):
    __slots__ = ("url", "title", "encrypted_content", "page_age")
    url: str
    title: str
    encrypted_content: str
    page_age: str
    """Empty when the API gave no age; then it is not sent back."""

    def __init__(self, *, url: str, title: str, encrypted_content: str, page_age: str = "") -> None:
        self.url = url
        self.title = title
        self.encrypted_content = encrypted_content
        self.page_age = page_age


@persisted("anthropic.web_search_result_metadata", omit_empty=["*"])
class WebSearchResultMetadata(Record, factories={"results": list}):
    """A server web search's results (or its error code), kept to replay the turn.

    The encrypted contents must go back verbatim for the model to see the pages again.
    """

    __slots__ = ("results", "error_code")

    results: list[WebSearchResultItem]
    error_code: str

    def __init__(
        self,
        *,
        results: list[WebSearchResultItem] | None = None,
        error_code: str = "",
    ) -> None:
        self.results = [] if results is None else results
        self.error_code = error_code


@persisted(omit_empty=["*"])
class UserLocation(Record):
    """Approximate location that makes web search results local."""

    __slots__ = ("city", "region", "country", "timezone")

    city: str
    region: str
    country: str
    timezone: str

    def __init__(
        self,
        *,
        city: str = "",
        region: str = "",
        country: str = "",
        timezone: str = "",
    ) -> None:
        self.city = city
        self.region = region
        self.country = country
        self.timezone = timezone


def reasoning_metadata(provider_options: Mapping[str, Any] | None) -> ReasoningMetadata | None:
    """The signature (or redacted data) of a thinking block kept on a reasoning part or
    content under ``"anthropic"``, or None (Fantasy's ``GetReasoningMetadata``)."""
    value = (provider_options or {}).get(NAME)
    return value if isinstance(value, ReasoningMetadata) else None


get_reasoning_metadata = reasoning_metadata


def get_cache_control(provider_options: Mapping[str, Any] | None) -> CacheControl | None:
    """The cache breakpoint set on a message, part or tool (`cache_control()`, or a
    `ToolOptions` with ``cache_control=True``), or None (Fantasy's ``GetCacheControl``)."""
    value = (provider_options or {}).get(NAME)
    if isinstance(value, CacheControlOptions):
        return value.cache_control
    if isinstance(value, ToolOptions) and value.cache_control:
        return CacheControl()
    return None


def has_cache_control(provider_options: dict[str, Any] | None) -> bool:
    value = (provider_options or {}).get(NAME)
    return isinstance(value, CacheControlOptions) or (
        isinstance(value, ToolOptions) and value.cache_control
    )


# --------------------------------------------------------------------------- hosted tools


@persisted("anthropic.server_tool_result_metadata", omit_empty=["is_error"])
class ServerToolResultMetadata(Record):
    """A hosted tool's result block (web fetch, code execution, bash and text editor code
    execution, tool search, advisor, an MCP server's result), kept to replay the turn.

    ``block_type`` is the block's ``type`` (``"code_execution_tool_result"``, ...) and
    ``content`` its ``content`` exactly as the API sent it, which goes back verbatim;
    the properties read the common fields of it.
    """

    __slots__ = ("block_type", "content", "is_error")

    block_type: str
    content: Any
    is_error: bool
    """Set on MCP results that report a failure."""

    def __init__(self, *, block_type: str, content: Any = None, is_error: bool = False) -> None:
        self.block_type = block_type
        self.content = content
        self.is_error = is_error

    def _field(self, key: str) -> Any:
        return self.content.get(key) if isinstance(self.content, dict) else None

    @property
    def error_code(self) -> str:
        """The error code when the tool failed (``"unavailable"``, ``"url_not_allowed"``...)."""
        value = self._field("error_code")
        return value if isinstance(value, str) else ""

    @property
    def stdout(self) -> str:
        value = self._field("stdout")
        return value if isinstance(value, str) else ""

    @property
    def stderr(self) -> str:
        value = self._field("stderr")
        return value if isinstance(value, str) else ""

    @property
    def return_code(self) -> int | None:
        value = self._field("return_code")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def file_ids(self) -> list[str]:
        """Files a code execution created (read them with the Files API)."""
        outputs = self._field("content")
        if not isinstance(outputs, list):
            return []
        return [
            item["file_id"]
            for item in outputs
            if isinstance(item, dict) and isinstance(item.get("file_id"), str)
        ]

    @property
    def url(self) -> str:
        """The page a web fetch retrieved."""
        value = self._field("url")
        return value if isinstance(value, str) else ""

    @property
    def tool_names(self) -> list[str]:
        """The tools a tool search found."""
        refs = self._field("tool_references")
        if not isinstance(refs, list):
            return []
        return [
            ref["tool_name"]
            for ref in refs
            if isinstance(ref, dict) and isinstance(ref.get("tool_name"), str)
        ]


@persisted("anthropic.tool_caller_metadata", omit_empty=["tool_id"])
class ToolCallerMetadata(Record):
    """On a tool call that code execution made (programmatic tool calling), not the model:
    the caller (``type`` ``"code_execution_20250825"``..., ``tool_id`` the code execution
    call), sent back with the call. Calls the model made directly carry none."""

    __slots__ = ("type", "tool_id")

    type: str
    tool_id: str

    def __init__(self, *, type: str, tool_id: str = "") -> None:
        self.type = type
        self.tool_id = tool_id


@persisted("anthropic.mcp_tool_use_metadata")
class MCPToolUseMetadata(Record):
    """On a provider-executed call of an MCP server's tool: which server (replayed as an
    ``mcp_tool_use`` block)."""

    __slots__ = ("server_name",)

    server_name: str

    def __init__(self, *, server_name: str) -> None:
        self.server_name = server_name


@persisted(
    "anthropic.citation",
    omit_empty=[
        "cited_text",
        "document_index",
        "document_title",
        "file_id",
        "start",
        "end",
        "url",
        "title",
        "encrypted_index",
        "source",
        "search_result_index",
    ],
)
class Citation(Record):
    """Where a piece of text comes from. ``type`` says which fields are set:

    - ``char_location`` (plain-text document): ``start``/``end`` character indexes
    - ``page_location`` (PDF): ``start``/``end`` page numbers (end exclusive)
    - ``content_block_location`` (custom-content document): ``start``/``end`` block indexes
    - ``search_result_location`` (a ``search_result`` block): ``source``, ``title``,
      ``search_result_index``, ``start``/``end`` block indexes
    - ``web_search_result_location`` (web search): ``url``, ``title``, ``encrypted_index``

    Documents are named by ``document_index`` (their order in the request),
    ``document_title`` and ``file_id``.
    """

    __slots__ = (
        "type",
        "cited_text",
        "document_index",
        "document_title",
        "file_id",
        "start",
        "end",
        "url",
        "title",
        "encrypted_index",
        "source",
        "search_result_index",
    )

    type: str
    cited_text: str
    document_index: int | None
    document_title: str
    file_id: str
    start: int | None
    end: int | None
    url: str
    title: str
    encrypted_index: str
    source: str
    search_result_index: int | None

    def __init__(
        self,
        *,
        type: str,
        cited_text: str = "",
        document_index: int | None = None,
        document_title: str = "",
        file_id: str = "",
        start: int | None = None,
        end: int | None = None,
        url: str = "",
        title: str = "",
        encrypted_index: str = "",
        source: str = "",
        search_result_index: int | None = None,
    ) -> None:
        self.type = type
        self.cited_text = cited_text
        self.document_index = document_index
        self.document_title = document_title
        self.file_id = file_id
        self.start = start
        self.end = end
        self.url = url
        self.title = title
        self.encrypted_index = encrypted_index
        self.source = source
        self.search_result_index = search_result_index


@persisted("anthropic.text_metadata", omit_empty=["citations"])
class TextMetadata(Record, factories={"citations": list}):
    """On text content: the citations the API attached to it (sent back with the text)."""

    __slots__ = ("citations",)

    citations: list[Citation]

    def __init__(self, *, citations: list[Citation] | None = None) -> None:
        self.citations = [] if citations is None else citations


@persisted("anthropic.message_metadata", omit_empty=["*"])
class MessageMetadata(Record):
    """``Response.provider_metadata["anthropic"]``: what the message said beyond its content."""

    __slots__ = ("container_id", "container_expires_at", "stop_details")

    container_id: str
    """The code execution container, reusable with ``ProviderOptions(container=...)``."""
    container_expires_at: str
    stop_details: dict[str, Any] | None
    """Why the model stopped, when the API says more than ``stop_reason``: a refusal's
    ``{"type": "refusal", "category": "cyber", "explanation": "..."}``."""

    def __init__(
        self,
        *,
        container_id: str = "",
        container_expires_at: str = "",
        stop_details: dict[str, Any] | None = None,
    ) -> None:
        self.container_id = container_id
        self.container_expires_at = container_expires_at
        self.stop_details = stop_details
