"""Options and metadata of OpenAI's Responses API (which models it serves: `models`).

Passed as ``provider_options={"openai": ResponsesProviderOptions(...)}``; the
key is ``"openai"`` whatever the provider is called (Azure too), as in Fantasy.
What comes back (response id, reasoning items) is stored under the same key,
so reasoning metadata on an assistant message can be read the same way it
was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fantasy.persistence.registry import persisted
from fantasy.providers.openai.options import ReasoningEffort

IncludeType = Literal[
    "reasoning.encrypted_content", "file_search_call.results", "message.output_text.logprobs"
]
INCLUDE_REASONING_ENCRYPTED_CONTENT: IncludeType = "reasoning.encrypted_content"
"""Ask for reasoning items in encrypted form, so a stateless (``store=False``) client keeps them."""
INCLUDE_FILE_SEARCH_CALL_RESULTS: IncludeType = "file_search_call.results"
INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS: IncludeType = "message.output_text.logprobs"

ServiceTier = Literal["auto", "default", "flex", "priority"]
TextVerbosity = Literal["low", "medium", "high"]

TOP_LOGPROBS_MAX = 20
"""What ``logprobs=True`` asks for: the most OpenAI allows."""


@persisted("openai.responses.options")
@dataclass(slots=True, kw_only=True)
class ResponsesProviderOptions:
    """Responses API settings beyond the common call options. ``None`` means "not sent".

    ``store`` is the exception: it is always sent, ``False`` unless set, so
    conversations are not kept by OpenAI unless asked for.
    """

    include: list[str] | None = None
    """Extra output to return, e.g. ``[INCLUDE_REASONING_ENCRYPTED_CONTENT]``."""
    instructions: str | None = None
    logprobs: bool | int | None = None
    """``True`` for the top 20 log probabilities per token, or how many to return."""
    max_tool_calls: int | None = None
    metadata: dict[str, Any] | None = None
    """Only string values are sent, as OpenAI accepts."""
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    """Chain onto a stored response; needs ``store=True`` and a prompt of only new
    system/user messages (the history lives on OpenAI's side)."""
    prompt_cache_key: str | None = None
    reasoning_effort: ReasoningEffort | None = None
    """Reasoning models only; ignored with a warning elsewhere."""
    reasoning_summary: str | None = None
    """``"auto"``, ``"concise"`` or ``"detailed"``; reasoning models only."""
    safety_identifier: str | None = None
    service_tier: ServiceTier | None = None
    """Dropped with a warning where the model does not support flex or priority."""
    store: bool | None = None
    strict_json_schema: bool | None = None
    """Sent as every function tool's ``strict`` flag (default ``False``)."""
    text_verbosity: TextVerbosity | None = None
    """Accepted for Fantasy parity; like Fantasy, not sent on this path (a warning says so)."""
    user: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponsesProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"reasoning_effort": "high", "reasoning_summary": "auto"}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "openai")


@persisted("openai.responses.metadata")
@dataclass(slots=True, kw_only=True)
class ResponsesProviderMetadata:
    """``response.provider_metadata["openai"]``: the id to chain with ``previous_response_id``."""

    response_id: str


@persisted("openai.responses.reasoning_metadata", omit_empty=["content"])
@dataclass(slots=True, kw_only=True)
class ResponsesReasoningMetadata:
    """One reasoning item, kept on `ReasoningContent` (and on the `ReasoningPart` replayed
    from it) under ``"openai"``.

    OpenAI's reasoning is never sent back to the Responses API (stored items cannot be
    referenced without ``store`` and inline replay is not accepted), but the
    encrypted content lets other providers and a later turn use it. Reasoning that
    carries raw text (``content``, from servers that return ``reasoning_text`` parts:
    gpt-oss on LM Studio, DeepSeek, OpenRouter, Bedrock) goes back as the reasoning
    item it was, as those servers expect.
    """

    item_id: str
    encrypted_content: str | None = None
    summary: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    """The raw reasoning text parts (``reasoning_text``), when the server sends them."""


def get_reasoning_metadata(
    provider_options: Mapping[str, Any] | None,
) -> ResponsesReasoningMetadata | None:
    """The Responses API reasoning item kept on a reasoning part or content
    (``provider_options["openai"]``), or None (Fantasy's ``GetReasoningMetadata``)."""
    value = (provider_options or {}).get("openai")
    return value if isinstance(value, ResponsesReasoningMetadata) else None
