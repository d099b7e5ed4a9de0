"""Options and metadata specific to Google, passed as ``provider_options={"google": ...}``.

Field names are Fantasy's (snake_case, as in its JSON); the request codec turns
them into Gemini's camelCase wire names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fantasy._record import Record
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
class ThinkingConfig(Record):
    """How much the model thinks and whether its thoughts come back.

    ``thinking_budget`` (tokens, Gemini 2.x) and ``thinking_level`` (Gemini 3+:
    ``"LOW"``, ``"MEDIUM"``, ``"HIGH"``, ``"MINIMAL"``) are mutually exclusive.
    """

    __slots__ = ("thinking_budget", "include_thoughts", "thinking_level")

    thinking_budget: int | None
    include_thoughts: bool | None
    thinking_level: str | None

    def __init__(
        self,
        *,
        thinking_budget: int | None = None,
        include_thoughts: bool | None = None,
        thinking_level: str | None = None,
    ) -> None:
        self.thinking_budget = thinking_budget
        self.include_thoughts = include_thoughts
        self.thinking_level = thinking_level


class SafetySetting(Record):
    """One of Gemini's safety filters, e.g. ``SafetySetting(category=
    "HARM_CATEGORY_HARASSMENT", threshold="BLOCK_ONLY_HIGH")``; sent as given."""

    __slots__ = ("category", "threshold")

    category: str
    threshold: str

    def __init__(self, *, category: str, threshold: str) -> None:
        self.category = category
        self.threshold = threshold


@persisted("google.options")
class ProviderOptions(Record, factories={"safety_settings": list}):
    """Gemini settings beyond the common call options. ``None``/empty means "not sent"."""

    __slots__ = ("thinking_config", "cached_content", "safety_settings")

    thinking_config: ThinkingConfig | None
    cached_content: str
    """A cached-content resource: ``"abc"`` is sent as ``cachedContents/abc`` (on Vertex,
    qualified with the project and location); a full name is sent as given."""
    safety_settings: list[SafetySetting]

    def __init__(
        self,
        *,
        thinking_config: ThinkingConfig | None = None,
        cached_content: str = "",
        safety_settings: list[SafetySetting] | None = None,
    ) -> None:
        self.thinking_config = thinking_config
        self.cached_content = cached_content
        self.safety_settings = [] if safety_settings is None else safety_settings

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
class ReasoningMetadata(Record):
    """A thought signature Gemini attached to its answer.

    It arrives on reasoning content as ``provider_metadata["google"]`` and must go
    back unchanged on the next request: the agent turns it into the reasoning
    part's options, and the codec puts it on the part that follows. On text content
    (a signature Gemini sent on an empty part right after that text) and on a code
    execution call it goes back on that part itself. ``signature`` is kept as the
    base64 text Gemini sent.
    """

    __slots__ = ("signature", "tool_id")

    signature: str
    tool_id: str

    def __init__(self, *, signature: str, tool_id: str = "") -> None:
        self.signature = signature
        self.tool_id = tool_id


@persisted("google.file_metadata", omit_empty=["*"])
class FileMetadata(Record):
    """On a generated file (``inlineData`` in Gemini's answer) under ``"google"``: the
    thought signature Gemini put on it (image models do), sent back on that part, and
    whether it was a thought image (an interim image the model made while thinking)."""

    __slots__ = ("signature", "thought")

    signature: str
    thought: bool

    def __init__(self, *, signature: str = "", thought: bool = False) -> None:
        self.signature = signature
        self.thought = thought


@persisted("google.code_execution_result_metadata", omit_empty=["*"])
class CodeExecutionResultMetadata(Record):
    """On a code execution result under ``"google"``: Gemini's outcome (``OUTCOME_OK``,
    ``OUTCOME_FAILED``, ``OUTCOME_DEADLINE_EXCEEDED``) and a thought signature, if the
    part carried one; both go back on the next request."""

    __slots__ = ("outcome", "signature")

    outcome: str
    signature: str

    def __init__(self, *, outcome: str = "", signature: str = "") -> None:
        self.outcome = outcome
        self.signature = signature


@persisted(omit_empty=["*"])
class SearchEntryPoint(Record):
    """Google's search suggestions, which its terms require you to show with grounded
    answers: ``rendered_content`` is HTML/CSS to embed as is."""

    __slots__ = ("rendered_content", "sdk_blob")

    rendered_content: str
    sdk_blob: str

    def __init__(self, *, rendered_content: str = "", sdk_blob: str = "") -> None:
        self.rendered_content = rendered_content
        self.sdk_blob = sdk_blob


@persisted(omit_empty=["*"])
class GroundingMetadata(
    Record,
    factories={
        "web_search_queries": list,
        "image_search_queries": list,
        "grounding_chunks": list,
        "grounding_supports": list,
    },
):
    """What grounding (Google Search, URL context, retrieval, Maps) used for the answer.

    The pages themselves are the response's sources (`fantasy.SourceContent`); here
    are the queries the model searched for, the entry point to show, and Gemini's own
    ``groundingChunks`` / ``groundingSupports`` (which text is backed by which chunk)
    as it sent them.
    """

    __slots__ = (
        "web_search_queries",
        "image_search_queries",
        "search_entry_point",
        "grounding_chunks",
        "grounding_supports",
        "retrieval_metadata",
        "google_maps_widget_context_token",
    )

    web_search_queries: list[str]
    image_search_queries: list[str]
    search_entry_point: SearchEntryPoint | None
    grounding_chunks: list[dict[str, Any]]
    grounding_supports: list[dict[str, Any]]
    retrieval_metadata: dict[str, Any] | None
    google_maps_widget_context_token: str

    def __init__(
        self,
        *,
        web_search_queries: list[str] | None = None,
        image_search_queries: list[str] | None = None,
        search_entry_point: SearchEntryPoint | None = None,
        grounding_chunks: list[dict[str, Any]] | None = None,
        grounding_supports: list[dict[str, Any]] | None = None,
        retrieval_metadata: dict[str, Any] | None = None,
        google_maps_widget_context_token: str = "",
    ) -> None:
        self.web_search_queries = [] if web_search_queries is None else web_search_queries
        self.image_search_queries = [] if image_search_queries is None else image_search_queries
        self.search_entry_point = search_entry_point
        self.grounding_chunks = [] if grounding_chunks is None else grounding_chunks
        self.grounding_supports = [] if grounding_supports is None else grounding_supports
        self.retrieval_metadata = retrieval_metadata
        self.google_maps_widget_context_token = google_maps_widget_context_token


@persisted(omit_empty=["*"])
class UrlMetadata(Record):
    """One page the URL context tool fetched, and how that went
    (``URL_RETRIEVAL_STATUS_SUCCESS``, ``URL_RETRIEVAL_STATUS_ERROR``, ...)."""

    __slots__ = ("retrieved_url", "url_retrieval_status")

    retrieved_url: str
    url_retrieval_status: str

    def __init__(self, *, retrieved_url: str = "", url_retrieval_status: str = "") -> None:
        self.retrieved_url = retrieved_url
        self.url_retrieval_status = url_retrieval_status


@persisted("google.response_metadata", omit_empty=["*"])
class ResponseMetadata(Record, factories={"url_context_metadata": list, "safety_ratings": list}):
    """``response.provider_metadata["google"]`` (and the stream's ``finish`` part's):
    what Gemini said about the answer beyond its content.

    Dicts are Gemini's JSON as sent (camelCase keys): ``usage_metadata`` holds every
    count (``toolUsePromptTokenCount``, the ``*TokensDetails`` per modality, ...) of
    which `fantasy.Usage` keeps the common ones.
    """

    __slots__ = (
        "model_version",
        "response_id",
        "grounding_metadata",
        "url_context_metadata",
        "safety_ratings",
        "prompt_feedback",
        "finish_message",
        "avg_logprobs",
        "logprobs_result",
        "usage_metadata",
    )

    model_version: str
    response_id: str
    grounding_metadata: GroundingMetadata | None
    url_context_metadata: list[UrlMetadata]
    safety_ratings: list[dict[str, Any]]
    prompt_feedback: dict[str, Any] | None
    """``blockReason``, ``blockReasonMessage`` and ``safetyRatings`` of the prompt."""
    finish_message: str
    avg_logprobs: float | None
    logprobs_result: dict[str, Any] | None
    usage_metadata: dict[str, Any] | None

    def __init__(
        self,
        *,
        model_version: str = "",
        response_id: str = "",
        grounding_metadata: GroundingMetadata | None = None,
        url_context_metadata: list[UrlMetadata] | None = None,
        safety_ratings: list[dict[str, Any]] | None = None,
        prompt_feedback: dict[str, Any] | None = None,
        finish_message: str = "",
        avg_logprobs: float | None = None,
        logprobs_result: dict[str, Any] | None = None,
        usage_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.model_version = model_version
        self.response_id = response_id
        self.grounding_metadata = grounding_metadata
        self.url_context_metadata = [] if url_context_metadata is None else url_context_metadata
        self.safety_ratings = [] if safety_ratings is None else safety_ratings
        self.prompt_feedback = prompt_feedback
        self.finish_message = finish_message
        self.avg_logprobs = avg_logprobs
        self.logprobs_result = logprobs_result
        self.usage_metadata = usage_metadata


def get_reasoning_metadata(provider_options: Mapping[str, Any] | None) -> ReasoningMetadata | None:
    """The thought signature kept on a reasoning part or content under ``"google"``, or
    None (Fantasy's ``GetReasoningMetadata``)."""
    value = (provider_options or {}).get(NAME)
    return value if isinstance(value, ReasoningMetadata) else None
