"""Fantasy's ``kronk`` data types: the options and metadata of local models
(`fantasy.providers.llamacpp`), persisted under Fantasy's type ids.

A conversation a Go program saved names them ``kronk.options`` and ``kronk.metadata``,
and loading finds a type id's classes in the provider package its prefix names: here.
They are passed as ``provider_options={"llamacpp": ProviderOptions(...)}`` (Fantasy's
key ``"kronk"`` is read too) and mirror Fantasy's field for field. This module imports
no llama.cpp; `fantasy.providers.llamacpp` re-exports everything in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from fantasy.errors import InvalidArgumentError
from fantasy.persistence.registry import persisted

NAME = "llamacpp"
"""The provider's name, and the key of its options and metadata."""
FANTASY_NAME = "kronk"
"""Fantasy's name for in-process models: the prefix of the persisted type ids, and a
second key options are read from."""

TYPE_PROVIDER_OPTIONS = FANTASY_NAME + ".options"
TYPE_PROVIDER_METADATA = FANTASY_NAME + ".metadata"


@persisted(TYPE_PROVIDER_OPTIONS)
@dataclass(slots=True, kw_only=True)
class ProviderOptions:
    """Sampling and template settings beyond the common call options; ``None`` is "not set".

    Honoured: ``grammar`` (GBNF, replacing the grammar tools and structured output would
    use), ``min_p``, ``top_k``, ``seed`` (the same seed, prompt and settings give the same
    answer), ``stop`` (strings that end the answer, not included), ``repeat_penalty`` and
    ``repeat_last_n`` (how many recent tokens it looks at), ``num_predict`` (a token limit
    that wins over ``max_output_tokens``; negative: none but the context window), and
    ``enable_thinking`` / ``reasoning_effort``, handed to the chat template (Qwen 3's and
    gpt-oss's templates read them). The DRY, XTC, adaptive-p and log-probability fields
    keep Fantasy's shape so saved options load; llama-cpp-python's sampler does not take
    them, so a call that sets one gets a warning.
    """

    adaptive_p_decay: float | None = None
    adaptive_p_target: float | None = None
    dry_allowed_length: int | None = None
    dry_base: float | None = None
    dry_multiplier: float | None = None
    dry_penalty_last_n: int | None = None
    grammar: str | None = None
    logprobs: bool | None = None
    min_p: float | None = None
    num_predict: int | None = None
    reasoning_effort: str | None = None
    repeat_last_n: int | None = None
    repeat_penalty: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    enable_thinking: bool | None = None
    top_k: int | None = None
    top_logprobs: int | None = None
    xtc_min_keep: int | None = None
    xtc_probability: float | None = None
    xtc_threshold: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (``{"min_p": 0.05, "stop": ["\\n"]}``), as
        Fantasy's ``kronk.ParseOptions``; unknown keys are ignored, as Go's decoder does.
        A value of the wrong type is an `InvalidArgumentError` naming the field."""
        from fantasy._typecheck import check_fields

        if not isinstance(data, Mapping):
            raise InvalidArgumentError("llamacpp provider options should be a JSON object")
        known = {f.name for f in fields(cls)}
        options = cls(**{k: v for k, v in data.items() if k in known})
        if isinstance(options.stop, tuple):
            options.stop = list(options.stop)
        check_fields(options, f"{NAME} provider options")
        return options


UNSUPPORTED_OPTIONS = (
    "adaptive_p_decay",
    "adaptive_p_target",
    "dry_allowed_length",
    "dry_base",
    "dry_multiplier",
    "dry_penalty_last_n",
    "logprobs",
    "top_logprobs",
    "xtc_min_keep",
    "xtc_probability",
    "xtc_threshold",
)
"""Fields kept for Fantasy's shape that llama-cpp-python's generation cannot apply."""


@persisted(
    TYPE_PROVIDER_METADATA,
    omit_empty=[
        "model_description",
        "model_type",
        "system_fingerprint",
        "model_size_bytes",
        "vram_bytes",
        "slot_memory_bytes",
        "cached_input_tokens",
        "draft_tokens",
        "draft_accepted_tokens",
        "draft_acceptance_rate",
        "draft_coverage",
        "draft_disable_reason",
    ],
)
@dataclass(slots=True, kw_only=True)
class ProviderMetadata:
    """What a local generation reports besides text and usage, in
    ``response.provider_metadata["llamacpp"]`` (and on a stream's ``finish`` part).

    ``tokens_per_second`` counts generated tokens over the time from the first to the
    last; ``time_to_first_token_ms`` includes evaluating the prompt (minus the prefix
    kept from the previous call, ``cached_input_tokens``). ``model_description`` is
    llama.cpp's description (architecture, size, quantisation), ``model_type`` the
    GGUF's architecture. The draft fields (speculative decoding) stay empty.
    """

    model: str = ""
    model_description: str = ""
    model_type: str = ""
    system_fingerprint: str = ""
    has_projection: bool = False
    model_size_bytes: int = 0
    vram_bytes: int = 0
    slot_memory_bytes: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    tokens_per_second: float = 0.0
    time_to_first_token_ms: float = 0.0
    draft_tokens: int = 0
    draft_accepted_tokens: int = 0
    draft_acceptance_rate: float = 0.0
    draft_coverage: float = 0.0
    draft_disable_reason: str = ""
