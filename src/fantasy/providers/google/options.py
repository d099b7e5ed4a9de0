"""Options and metadata specific to Google, passed as ``provider_options={"google": ...}``.

Field names are Fantasy's (snake_case, as in its JSON); the request codec turns
them into Gemini's camelCase wire names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fantasy.errors import InvalidArgumentError
from fantasy.persistence.registry import persisted

NAME = "google"

THINKING_LEVEL_LOW = "LOW"
THINKING_LEVEL_MEDIUM = "MEDIUM"
THINKING_LEVEL_HIGH = "HIGH"
THINKING_LEVEL_MINIMAL = "MINIMAL"

MIN_THINKING_BUDGET = 128
"""Fantasy raises any smaller budget (0 and -1 included) to this, with a warning."""


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ThinkingConfig:
    """How much the model thinks and whether its thoughts come back.

    ``thinking_budget`` (tokens, Gemini 2.x) and ``thinking_level`` (Gemini 3+:
    ``"LOW"``, ``"MEDIUM"``, ``"HIGH"``, ``"MINIMAL"``) are mutually exclusive.
    """

    thinking_budget: int | None = None
    include_thoughts: bool | None = None
    thinking_level: str | None = None


@dataclass(slots=True, kw_only=True)
class SafetySetting:
    """One of Gemini's safety filters, e.g. ``SafetySetting(category=
    "HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH")``; sent as given."""

    category: str
    threshold: str


@persisted("google.options")
@dataclass(slots=True, kw_only=True)
class ProviderOptions:
    """Gemini settings beyond the common call options. ``None``/empty means "not sent"."""

    thinking_config: ThinkingConfig | None = None
    cached_content: str = ""
    """A cached-content resource: ``"abc"`` is sent as ``cachedContents/abc`` (on Vertex,
    qualified with the project and location); a full name is sent as given."""
    safety_settings: list[SafetySetting] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (``{"thinking_config": {...}, ...}``), e.g.
        from a configuration file. Unknown keys are ignored, as Go's decoder does."""
        thinking = data.get("thinking_config")
        if thinking is not None and not isinstance(thinking, Mapping):
            raise InvalidArgumentError("google thinking_config should be an object")
        safety = data.get("safety_settings") or []
        if not isinstance(safety, list) or not all(isinstance(s, Mapping) for s in safety):
            raise InvalidArgumentError("google safety_settings should be a list of objects")
        return cls(
            thinking_config=None
            if thinking is None
            else ThinkingConfig(
                thinking_budget=thinking.get("thinking_budget"),
                include_thoughts=thinking.get("include_thoughts"),
                thinking_level=thinking.get("thinking_level"),
            ),
            cached_content=str(data.get("cached_content") or ""),
            safety_settings=[
                SafetySetting(
                    category=str(s.get("category", "")), threshold=str(s.get("threshold", ""))
                )
                for s in safety
            ],
        )


@persisted("google.reasoning_metadata")
@dataclass(slots=True, kw_only=True)
class ReasoningMetadata:
    """A thought signature Gemini attached to its answer.

    It arrives on reasoning content as ``provider_metadata["google"]`` and must go
    back unchanged on the next request: the agent turns it into the reasoning
    part's options, and the codec puts it on the part that follows. On text content
    (a signature Gemini sent on an empty part right after that text) and on a code
    execution call it goes back on that part itself. ``signature`` is kept as the
    base64 text Gemini sent.
    """

    signature: str
    tool_id: str = ""


@persisted("google.file_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class FileMetadata:
    """On a generated file (``inlineData`` in Gemini's answer) under ``"google"``: the
    thought signature Gemini put on it (image models do), sent back on that part, and
    whether it was a thought image (an interim image the model made while thinking)."""

    signature: str = ""
    thought: bool = False


@persisted("google.code_execution_result_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class CodeExecutionResultMetadata:
    """On a code execution result under ``"google"``: Gemini's outcome (``OUTCOME_OK``,
    ``OUTCOME_FAILED``, ``OUTCOME_DEADLINE_EXCEEDED``) and a thought signature, if the
    part carried one; both go back on the next request."""

    outcome: str = ""
    signature: str = ""


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class SearchEntryPoint:
    """Google's search suggestions, which its terms require you to show with grounded
    answers: ``rendered_content`` is HTML/CSS to embed as is."""

    rendered_content: str = ""
    sdk_blob: str = ""


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class GroundingMetadata:
    """What grounding (Google Search, URL context, retrieval, Maps) used for the answer.

    The pages themselves are the response's sources (`fantasy.SourceContent`); here
    are the queries the model searched for, the entry point to show, and Gemini's own
    ``groundingChunks`` / ``groundingSupports`` (which text is backed by which chunk)
    as it sent them.
    """

    web_search_queries: list[str] = field(default_factory=list)
    image_search_queries: list[str] = field(default_factory=list)
    search_entry_point: SearchEntryPoint | None = None
    grounding_chunks: list[dict[str, Any]] = field(default_factory=list)
    grounding_supports: list[dict[str, Any]] = field(default_factory=list)
    retrieval_metadata: dict[str, Any] | None = None
    google_maps_widget_context_token: str = ""


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class UrlMetadata:
    """One page the URL context tool fetched, and how that went
    (``URL_RETRIEVAL_STATUS_SUCCESS``, ``URL_RETRIEVAL_STATUS_ERROR``, ...)."""

    retrieved_url: str = ""
    url_retrieval_status: str = ""


@persisted("google.response_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ResponseMetadata:
    """``response.provider_metadata["google"]`` (and the stream's ``finish`` part's):
    what Gemini said about the answer beyond its content.

    Dicts are Gemini's JSON as sent (camelCase keys): ``usage_metadata`` holds every
    count (``toolUsePromptTokenCount``, the ``*TokensDetails`` per modality, ...) of
    which `fantasy.Usage` keeps the common ones.
    """

    model_version: str = ""
    response_id: str = ""
    grounding_metadata: GroundingMetadata | None = None
    url_context_metadata: list[UrlMetadata] = field(default_factory=list)
    safety_ratings: list[dict[str, Any]] = field(default_factory=list)
    prompt_feedback: dict[str, Any] | None = None
    """``blockReason``, ``blockReasonMessage`` and ``safetyRatings`` of the prompt."""
    finish_message: str = ""
    avg_logprobs: float | None = None
    logprobs_result: dict[str, Any] | None = None
    usage_metadata: dict[str, Any] | None = None


def get_reasoning_metadata(provider_options: Mapping[str, Any] | None) -> ReasoningMetadata | None:
    """The thought signature kept on a reasoning part or content under ``"google"``, or
    None (Fantasy's ``GetReasoningMetadata``)."""
    value = (provider_options or {}).get(NAME)
    return value if isinstance(value, ReasoningMetadata) else None
