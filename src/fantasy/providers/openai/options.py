"""Options and metadata specific to OpenAI, passed as ``provider_options={"openai": ...}``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fantasy.persistence.registry import persisted

NAME = "openai"

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
REASONING_EFFORTS: frozenset[str] = frozenset(
    {"none", "minimal", "low", "medium", "high", "xhigh", "max"}
)


@persisted("openai.options", json_names={"logprobs": "log_probs", "top_logprobs": "top_log_probs"})
@dataclass(slots=True, kw_only=True)
class ProviderOptions:
    """Chat Completions settings beyond the common call options. ``None`` means "not sent"."""

    logit_bias: dict[str, int] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    """Also turns logprobs on; when set, ``logprobs`` itself is not sent."""
    user: str | None = None
    parallel_tool_calls: bool | None = None
    max_completion_tokens: int | None = None
    text_verbosity: str | None = None
    prediction: dict[str, Any] | None = None
    """Predicted output, ``{"content": "..."}``."""
    store: bool | None = None
    metadata: dict[str, Any] | None = None
    """Only string values are sent, as OpenAI accepts."""
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    service_tier: str | None = None
    """``"auto"``, ``"default"``, ``"flex"`` or ``"priority"``.

    Dropped with a warning where the model does not support it."""
    reasoning_effort: ReasoningEffort | None = None
    structured_outputs: bool | None = None


@persisted("openai.file_options")
@dataclass(slots=True, kw_only=True)
class FileOptions:
    """Per-file settings, on a `FilePart` as ``provider_options={"openai": FileOptions(...)}``."""

    image_detail: str = ""
    """``"low"``, ``"high"`` or ``"auto"``."""


@persisted("openai.metadata", omit_empty=["extra_fields"])
@dataclass(slots=True, kw_only=True)
class ProviderMetadata:
    """What OpenAI reports beyond text and usage: ``response.provider_metadata["openai"]``."""

    logprobs: list[Any] | None = None
    accepted_prediction_tokens: int = 0
    rejected_prediction_tokens: int = 0
    extra_fields: dict[str, Any] = field(default_factory=dict)
    """Non-standard keys of the usage object, as the provider sent them."""
