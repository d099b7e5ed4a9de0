"""Options and metadata specific to Anthropic, keyed ``"anthropic"`` in provider options.

The key stays ``"anthropic"`` on Bedrock and Vertex too: it names the API dialect,
not the provider instance, so one agent setup works against all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fantasy.errors import InvalidArgumentError
from fantasy.persistence.registry import persisted

NAME = "anthropic"

Effort = Literal["low", "medium", "high", "xhigh", "max"]
ThinkingDisplay = Literal["summarized", "omitted"]


@dataclass(slots=True, kw_only=True)
class ThinkingOptions:
    """Extended thinking with a token budget (``{"type": "enabled", "budget_tokens": N}``)."""

    budget_tokens: int
    """Must be positive. It is not added to ``max_tokens``: the budget counts against it."""


@persisted(omit_empty=["authorization_token", "allowed_tools", "blocked_tools"])
@dataclass(slots=True, kw_only=True)
class MCPServer:
    """A remote MCP server the API connects to itself (the MCP connector, beta
    ``mcp-client-2025-11-20``); its tools' calls and results come back as
    provider-executed content. Not available on Bedrock or Vertex."""

    name: str
    url: str
    """``https://`` only; Streamable HTTP or SSE."""
    authorization_token: str = field(default="", repr=False)
    """An OAuth bearer token, if the server needs one."""
    allowed_tools: list[str] | None = None
    """Only these tools of the server (default: all)."""
    blocked_tools: list[str] | None = None
    """All tools but these."""


@persisted("anthropic.options", omit_empty=["extra_body", "mcp_servers", "container"])
@dataclass(slots=True, kw_only=True)
class ProviderOptions:
    """Messages API settings beyond the common call options. ``None`` means "not sent".

    Pass as ``provider_options={"anthropic": ProviderOptions(...)}``.
    """

    send_reasoning: bool | None = None
    """Send earlier thinking blocks back with the history (default True)."""
    thinking: ThinkingOptions | None = None
    """Budgeted thinking; temperature, top_p and top_k are then dropped with warnings."""
    effort: Effort | None = None
    """Adaptive thinking at this effort (``output_config.effort``); wins over ``thinking``."""
    thinking_display: ThinkingDisplay | None = None
    """Whether thinking text comes back summarized or omitted (``thinking.display``)."""
    disable_parallel_tool_use: bool | None = None
    """At most one tool call per turn. Not sent to Bedrock, which rejects the field."""
    mcp_servers: list[MCPServer] | None = None
    """Remote MCP servers for the MCP connector (``mcp_servers`` plus one ``mcp_toolset``
    tool each, on the beta API)."""
    container: str | None = None
    """A code execution container to reuse (its id, from the previous response's
    ``provider_metadata["anthropic"].container_id``)."""
    extra_body: dict[str, Any] | None = None
    """Keys set on the request body last, overriding anything built; a dotted key
    (``"metadata.user_id"``) sets a nested value."""

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


@dataclass(slots=True, kw_only=True)
class CacheControl:
    type: str = "ephemeral"
    """Only ephemeral caching exists; whatever is given, ``ephemeral`` is sent (as Fantasy)."""


@persisted("anthropic.cache_control_options")
@dataclass(slots=True, kw_only=True)
class CacheControlOptions:
    """Mark a message, part or tool as a prompt-cache breakpoint.

    On a message it marks the message's last block; on a part, that part.
    """

    cache_control: CacheControl = field(default_factory=CacheControl)


def cache_control() -> dict[str, Any]:
    """``provider_options`` that make a message, part or tool a cache breakpoint."""
    return {NAME: CacheControlOptions()}


@persisted("anthropic.reasoning_metadata")
@dataclass(slots=True, kw_only=True)
class ReasoningMetadata:
    """What a thinking block needs to be sent back: its signature, or its redacted data.

    Comes back as ``provider_metadata["anthropic"]`` on reasoning content and goes
    out again as the reasoning part's ``provider_options["anthropic"]``.
    """

    signature: str = ""
    redacted_data: str = ""


@dataclass(slots=True, kw_only=True)
class ToolOptions:
    """A function tool's settings: ``provider_options={"anthropic": ToolOptions(...)}``."""

    defer_loading: bool = False
    """Leave the tool out of the prompt until the tool search tool finds it."""
    cache_control: bool = False
    """Make the tool a prompt-cache breakpoint."""
    allowed_callers: list[str] | None = None
    """Who may call the tool: ``"direct"`` (the model) and/or a code execution tool
    version (``"code_execution_20250825"``), for programmatic tool calling."""


def defer_loading() -> dict[str, Any]:
    """``provider_options`` for a function tool that the tool search tool loads on demand."""
    return {NAME: ToolOptions(defer_loading=True)}


@persisted(omit_empty=["page_age"])
@dataclass(slots=True, kw_only=True)
class WebSearchResultItem:
    url: str
    title: str
    encrypted_content: str
    page_age: str = ""
    """Empty when the API gave no age; then it is not sent back."""


@persisted("anthropic.web_search_result_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class WebSearchResultMetadata:
    """A server web search's results (or its error code), kept to replay the turn.

    The encrypted contents must go back verbatim for the model to see the pages again.
    """

    results: list[WebSearchResultItem] = field(default_factory=list)
    error_code: str = ""


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class UserLocation:
    """Approximate location that makes web search results local."""

    city: str = ""
    region: str = ""
    country: str = ""
    timezone: str = ""


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
@dataclass(slots=True, kw_only=True)
class ServerToolResultMetadata:
    """A hosted tool's result block (web fetch, code execution, bash and text editor code
    execution, tool search, advisor, an MCP server's result), kept to replay the turn.

    ``block_type`` is the block's ``type`` (``"code_execution_tool_result"``, ...) and
    ``content`` its ``content`` exactly as the API sent it, which goes back verbatim;
    the properties read the common fields of it.
    """

    block_type: str
    content: Any = None
    is_error: bool = False
    """Set on MCP results that report a failure."""

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
@dataclass(slots=True, kw_only=True)
class ToolCallerMetadata:
    """On a tool call that code execution made (programmatic tool calling), not the model:
    the caller (``type`` ``"code_execution_20250825"``..., ``tool_id`` the code execution
    call), sent back with the call. Calls the model made directly carry none."""

    type: str
    tool_id: str = ""


@persisted("anthropic.mcp_tool_use_metadata")
@dataclass(slots=True, kw_only=True)
class MCPToolUseMetadata:
    """On a provider-executed call of an MCP server's tool: which server (replayed as an
    ``mcp_tool_use`` block)."""

    server_name: str


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
@dataclass(slots=True, kw_only=True)
class Citation:
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

    type: str
    cited_text: str = ""
    document_index: int | None = None
    document_title: str = ""
    file_id: str = ""
    start: int | None = None
    end: int | None = None
    url: str = ""
    title: str = ""
    encrypted_index: str = ""
    source: str = ""
    search_result_index: int | None = None


@persisted("anthropic.text_metadata", omit_empty=["citations"])
@dataclass(slots=True, kw_only=True)
class TextMetadata:
    """On text content: the citations the API attached to it (sent back with the text)."""

    citations: list[Citation] = field(default_factory=list)


@persisted("anthropic.message_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class MessageMetadata:
    """``Response.provider_metadata["anthropic"]``: what the message said beyond its content."""

    container_id: str = ""
    """The code execution container, reusable with ``ProviderOptions(container=...)``."""
    container_expires_at: str = ""
    stop_details: dict[str, Any] | None = None
    """Why the model stopped, when the API says more than ``stop_reason``: a refusal's
    ``{"type": "refusal", "category": "cyber", "explanation": "..."}``."""
