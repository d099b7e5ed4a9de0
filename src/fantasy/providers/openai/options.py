"""Options and metadata specific to OpenAI, passed as ``provider_options={"openai": ...}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, overload

from fantasy._record import Record
from fantasy.persistence.registry import persisted

NAME = "openai"

T = TypeVar("T")

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
REASONING_EFFORTS: frozenset[str] = frozenset(
    {"none", "minimal", "low", "medium", "high", "xhigh", "max"}
)


@persisted("openai.options", json_names={"logprobs": "log_probs", "top_logprobs": "top_log_probs"})
class ProviderOptions(Record):
    """Chat Completions settings beyond the common call options. ``None`` means "not sent"."""

    __slots__ = (
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "parallel_tool_calls",
        "max_completion_tokens",
        "text_verbosity",
        "prediction",
        "store",
        "metadata",
        "prompt_cache_key",
        "safety_identifier",
        "service_tier",
        "reasoning_effort",
        "structured_outputs",
    )

    logit_bias: dict[str, int] | None
    logprobs: bool | None
    top_logprobs: int | None
    """Also turns logprobs on; when set, ``logprobs`` itself is not sent."""
    user: str | None
    parallel_tool_calls: bool | None
    max_completion_tokens: int | None
    text_verbosity: str | None
    prediction: dict[str, Any] | None
    """Predicted output, ``{"content": "..."}``."""
    store: bool | None
    metadata: dict[str, Any] | None
    """Only string values are sent, as OpenAI accepts."""
    prompt_cache_key: str | None
    safety_identifier: str | None
    service_tier: str | None
    """``"auto"``, ``"default"``, ``"flex"`` or ``"priority"``.

    Dropped with a warning where the model does not support it."""
    reasoning_effort: ReasoningEffort | None
    structured_outputs: bool | None

    def __init__(
        self,
        *,
        logit_bias: dict[str, int] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        user: str | None = None,
        parallel_tool_calls: bool | None = None,
        max_completion_tokens: int | None = None,
        text_verbosity: str | None = None,
        prediction: dict[str, Any] | None = None,
        store: bool | None = None,
        metadata: dict[str, Any] | None = None,
        prompt_cache_key: str | None = None,
        safety_identifier: str | None = None,
        service_tier: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        structured_outputs: bool | None = None,
    ) -> None:
        self.logit_bias = logit_bias
        self.logprobs = logprobs
        self.top_logprobs = top_logprobs
        self.user = user
        self.parallel_tool_calls = parallel_tool_calls
        self.max_completion_tokens = max_completion_tokens
        self.text_verbosity = text_verbosity
        self.prediction = prediction
        self.store = store
        self.metadata = metadata
        self.prompt_cache_key = prompt_cache_key
        self.safety_identifier = safety_identifier
        self.service_tier = service_tier
        self.reasoning_effort = reasoning_effort
        self.structured_outputs = structured_outputs

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"reasoning_effort": "low", "log_probs": true}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "openai")


@persisted("openai.file_options")
class FileOptions(Record):
    """Per-file settings, on a `FilePart` as ``provider_options={"openai": FileOptions(...)}``."""

    __slots__ = ("image_detail",)

    image_detail: str
    """``"low"``, ``"high"`` or ``"auto"``."""

    def __init__(self, *, image_detail: str = "") -> None:
        self.image_detail = image_detail


@persisted("openai.metadata", omit_empty=["extra_fields"])
class ProviderMetadata(Record, factories={"extra_fields": dict}):
    """What OpenAI reports beyond text and usage: ``response.provider_metadata["openai"]``."""

    __slots__ = (
        "logprobs",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
        "extra_fields",
    )

    logprobs: list[Any] | None
    accepted_prediction_tokens: int
    rejected_prediction_tokens: int
    extra_fields: dict[str, Any]
    """Non-standard keys of the usage object, as the provider sent them."""

    def __init__(
        self,
        *,
        logprobs: list[Any] | None = None,
        accepted_prediction_tokens: int = 0,
        rejected_prediction_tokens: int = 0,
        extra_fields: dict[str, Any] | None = None,
    ) -> None:
        self.logprobs = logprobs
        self.accepted_prediction_tokens = accepted_prediction_tokens
        self.rejected_prediction_tokens = rejected_prediction_tokens
        self.extra_fields = {} if extra_fields is None else extra_fields

    @overload
    def extra_field(self, key: str) -> Any: ...
    @overload
    def extra_field(self, key: str, kind: type[T]) -> T | None: ...
    def extra_field(self, key: str, kind: Any = None) -> Any:
        """A non-standard usage field (Fantasy's ``ExtraField``): a server's own count or
        cost (``extra_field("cost", float)``). With ``kind`` (a JSON type such as
        ``int``, ``float``, ``str``, ``dict``, or a dataclass or pydantic model), the
        value as that type; None when the field is absent or does not fit the type."""
        if key not in self.extra_fields:
            return None
        value = self.extra_fields[key]
        if kind is None:
            return value
        return _as_kind(value, kind)


def _as_kind(value: Any, kind: Any) -> Any:
    """``value`` (decoded JSON) as ``kind``, or None when it does not fit."""
    import dataclasses

    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (int, str, bool, list, dict):
        fits = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        return value if fits else None
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        from fantasy.errors import SerializationError
        from fantasy.persistence.dataclass_json import decode_object

        try:
            return decode_object(kind, value, "extra_field")
        except SerializationError:
            return None
    validate = getattr(kind, "model_validate", None)
    if callable(validate):
        try:
            return validate(value)
        except ValueError:
            return None
    return value if isinstance(value, kind) else None
