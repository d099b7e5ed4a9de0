"""What a model call cost, from a maintained price table: pydantic's ``genai-prices``.

`cost_of(usage, model)` prices one call's `Usage` for the model that made it;
`StepResult.cost` and `AgentResult.total_cost` use it. The price table is the
``genai-prices`` package (extra ``cost``: ``pip install 'fantasy[cost]'``), its data
bundled in the package (no network), imported on the first price asked for: it
takes a few hundred milliseconds, which `import fantasy` never pays.

A cost is never guessed. When the provider or the model is not in the table, or the
package is missing, the `Cost` has ``amount=None`` and a ``reason`` saying why.

Providers count tokens differently, and the table prices them as billed:

* OpenAI (Chat Completions and Responses), Azure, OpenRouter, Vercel and the
  OpenAI-compatible servers, Anthropic (direct, Vertex, Bedrock): fantasy's
  ``input_tokens`` leave out the cached ones (``cache_read_tokens``, and Anthropic's
  ``cache_creation_tokens``), so the billed input is their sum; reasoning tokens are
  part of ``output_tokens``.
* Google Gemini: ``input_tokens`` already hold the cached ones, and the thoughts
  (``reasoning_tokens``) are billed as output on top of ``output_tokens``.

Cached reads and cache writes are priced at their own rates where the table has them,
reasoning tokens at theirs where a model prices them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

    from fantasy.model import LanguageModel
    from fantasy.types import Usage

__all__ = ["Cost", "cost_of"]

EXTRA_HINT = "pip install 'fantasy[cost]'"

# fantasy's provider names to genai-prices' provider ids (the direct APIs).
_PROVIDER_IDS = {
    "openai": "openai",
    "azure": "azure",
    "anthropic": "anthropic",
    "bedrock": "aws",
    "google": "google",
    "openrouter": "openrouter",
}

# Vercel AI Gateway ids are "<upstream>/<model>", billed at the upstream's list price.
_UPSTREAM_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "vertex": "google",
    "xai": "x-ai",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "cohere": "cohere",
    "perplexity": "perplexity",
    "amazon": "aws",
    "bedrock": "aws",
    "groq": "groq",
    "moonshotai": "moonshotai",
    "zai": "zai",
    "fireworks": "fireworks",
    "together": "together",
    "cerebras": "cerebras",
}

_GOOGLE_COUNTS = frozenset({"google"})
"""Providers whose input count holds the cached tokens and whose thoughts are apart."""


@dataclass(frozen=True, slots=True)
class Cost:
    """A price in US dollars, or why there is none.

    ``amount`` is the total (a `Decimal`), ``input`` and ``output`` its two halves;
    all three are ``None`` when the price is unknown, and ``reason`` says why (it is
    empty when the amount is known). Costs add up: a sum with an unknown part is
    unknown, with the first reason.
    """

    amount: Decimal | None
    reason: str = ""
    input: Decimal | None = None
    output: Decimal | None = None
    currency: str = "USD"

    @property
    def known(self) -> bool:
        return self.amount is not None

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        if self.amount is None:
            return self
        if other.amount is None:
            return other
        from decimal import Decimal

        return Cost(
            self.amount + other.amount,
            input=(self.input or Decimal(0)) + (other.input or Decimal(0)),
            output=(self.output or Decimal(0)) + (other.output or Decimal(0)),
        )

    def __str__(self) -> str:
        if self.amount is None:
            return f"unknown cost ({self.reason})"
        return f"${self.amount:f}"


def zero() -> Cost:
    """The cost of nothing (a run without steps)."""
    from decimal import Decimal

    return Cost(Decimal(0), input=Decimal(0), output=Decimal(0))


def unknown(reason: str) -> Cost:
    return Cost(None, reason)


@dataclass(frozen=True, slots=True)
class PriceRef:
    """Where to look a model up in the table: genai-prices' provider, the model id, and
    how the provider counts tokens."""

    provider_id: str | None
    model_ref: str
    google_counts: bool
    provider_api_url: str | None = None


def price_ref(model: LanguageModel | Any) -> PriceRef | str:
    """The table entry to look ``model`` up by, or the reason there is none."""
    provider = str(getattr(model, "provider", "") or "")
    model_id = str(getattr(model, "model", "") or "")
    if not model_id:
        return f"the model has no id (provider {provider!r})"
    google_counts = provider in _GOOGLE_COUNTS
    if provider in _PROVIDER_IDS:
        return PriceRef(_PROVIDER_IDS[provider], model_id, google_counts)
    if provider == "vercel":
        upstream, sep, rest = model_id.partition("/")
        if not sep or upstream not in _UPSTREAM_IDS:
            return f"no price table for the Vercel AI Gateway upstream of {model_id!r}"
        return PriceRef(_UPSTREAM_IDS[upstream], rest, upstream in ("google", "vertex"))
    # An OpenAI-compatible server (or a provider named by the user): its URL names
    # the service when the table knows it (api.groq.com, api.deepseek.com, ...).
    url = getattr(model, "url", None)
    if isinstance(url, str) and url.startswith("http"):
        return PriceRef(None, model_id, False, provider_api_url=url)
    return f"no price table for provider {provider!r}"


_cache: dict[tuple[str | None, str, str | None], Any] = {}


def _lookup(ref: PriceRef) -> Any:
    """genai-prices' (provider, model) for ``ref``; raises LookupError or ImportError."""
    key = (ref.provider_id, ref.model_ref, ref.provider_api_url)
    found = _cache.get(key)
    if found is None:
        from genai_prices import data_snapshot

        snapshot = data_snapshot.get_snapshot()
        found = snapshot.find_provider_model(
            ref.model_ref, None, ref.provider_id, ref.provider_api_url
        )
        _cache[key] = found
    return found


def check_priced(model: LanguageModel | Any) -> str:
    """Empty when ``model`` can be priced; otherwise why not. A model made of models
    (a `fantasy.FallbackModel`) can be priced when each of them can."""
    members = getattr(model, "models", None)
    if isinstance(members, list) and members:
        return next((why for m in members if (why := check_priced(m))), "")
    ref = price_ref(getattr(model, "wrapped", model))
    if isinstance(ref, str):
        return ref
    try:
        _lookup(ref)
    except ImportError:
        return f"the price table is not installed ({EXTRA_HINT})"
    except LookupError as exc:
        return f"genai-prices has no price for {_describe(model)}: {exc}"
    return ""


def cost_of(usage: Usage, model: LanguageModel | Any) -> Cost:
    """What ``usage`` cost on ``model`` (a `LanguageModel`, or anything with ``provider``
    and ``model`` attributes), priced now; ``Cost(None, reason)`` when unknown."""
    if model is None:
        return unknown("the model that made this step is not known")
    ref = price_ref(model)
    if isinstance(ref, str):
        return unknown(ref)
    try:
        provider, info = _lookup(ref)
    except ImportError:
        return unknown(f"the price table is not installed ({EXTRA_HINT})")
    except LookupError as exc:
        return unknown(f"genai-prices has no price for {_describe(model)}: {exc}")
    try:
        calc = info.calc_price(billed_usage(usage, ref.google_counts), provider)
    except (ValueError, KeyError) as exc:  # usage the table cannot price (a negative leaf)
        return unknown(f"genai-prices could not price this usage for {_describe(model)}: {exc}")
    return Cost(calc.total_price, input=calc.input_price, output=calc.output_price)


def billed_usage(usage: Usage, google_counts: bool) -> Any:
    """fantasy's `Usage` as genai-prices counts it (see the module's docstring)."""
    from genai_prices import Usage as PricedUsage

    cache_read = usage.cache_read_tokens
    cache_write = usage.cache_creation_tokens
    if google_counts:
        input_tokens = max(usage.input_tokens, cache_read + cache_write)
        output_tokens = usage.output_tokens + usage.reasoning_tokens
    else:
        input_tokens = usage.input_tokens + cache_read + cache_write
        output_tokens = max(usage.output_tokens, usage.reasoning_tokens)
    return PricedUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read or None,
        cache_write_tokens=cache_write or None,
        output_reasoning_tokens=usage.reasoning_tokens or None,
    )


def answering_model(model: Any, provider_metadata: Any) -> Any:
    """The model that answered a step: a fallback model's member named in the step's
    ``provider_metadata["fallback"]`` (its ``index``), else ``model`` itself."""
    members = getattr(model, "models", None)
    answered = provider_metadata.get("fallback") if isinstance(provider_metadata, dict) else None
    index = getattr(answered, "index", None)
    if isinstance(members, list) and isinstance(index, int) and 0 <= index < len(members):
        return answering_model(members[index], {})
    return getattr(model, "wrapped", model)


@dataclass(frozen=True, slots=True)
class ModelRef:
    """What prices a model, without the model: a pickled step's ``model`` (an error's
    partial result sent across processes keeps its cost)."""

    provider: str
    model: str
    url: str | None = None


def model_ref(model: Any, provider_metadata: Any = None) -> ModelRef | None:
    """The `ModelRef` of the model that answered (see `answering_model`)."""
    if model is None:
        return None
    answered = answering_model(model, provider_metadata)
    url = getattr(answered, "url", None)
    return ModelRef(
        str(getattr(answered, "provider", "") or ""),
        str(getattr(answered, "model", "") or ""),
        url if isinstance(url, str) else None,
    )


def _describe(model: Any) -> str:
    return f"{getattr(model, 'provider', '?')}:{getattr(model, 'model', '?')}"
