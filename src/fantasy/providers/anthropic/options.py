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


@persisted("anthropic.options", omit_empty=["extra_body"])
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


def reasoning_metadata(provider_options: dict[str, Any] | None) -> ReasoningMetadata | None:
    value = (provider_options or {}).get(NAME)
    return value if isinstance(value, ReasoningMetadata) else None


def has_cache_control(provider_options: dict[str, Any] | None) -> bool:
    return isinstance((provider_options or {}).get(NAME), CacheControlOptions)
