"""What each OpenAI model can do, by its id: one table for both of OpenAI's APIs.

Fantasy decides by substrings and prefixes of the model id (so ``openai/gpt-5``
and an Azure deployment named ``my-o3`` count too), once for Chat Completions
(``language_model.go``, ``language_model_hooks.go``) and once for the Responses
API (``getResponsesModelConfig`` in ``responses_language_model.go``), and its two
paths do not agree everywhere. Both paths are kept, because the wire depends on
them; where they differ, the difference is a row of data below, with the reason.

- `RULES`: the id rules, one row per question, a column per path.
- `PATHS`: what each path does with a reasoning model (which key carries the token
  limit, which call settings are dropped, which role the system prompt takes).
- `capabilities`: both, answered for one model on one path.
- `is_responses_model`: which ids go to the Responses API by default.

The recorded conversations show the two paths side by side (``gpt-5`` and
``o4-mini`` on Chat Completions send ``max_completion_tokens`` and a ``system``
message; on the Responses API ``max_output_tokens`` and a ``developer`` message);
the rest follows Fantasy's source, as the recordings do not reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Literal, NamedTuple

__all__ = [
    "CHAT",
    "PATHS",
    "RESPONSES",
    "RULES",
    "Api",
    "Ids",
    "ModelCapabilities",
    "PathRules",
    "Row",
    "capabilities",
    "is_reasoning_model",
    "is_responses_model",
]

Api = Literal["chat", "responses"]
CHAT: Api = "chat"
RESPONSES: Api = "responses"

SystemRole = Literal["system", "developer", "remove"]


# NamedTuples, not dataclasses: this module loads with the Chat Completions path, and
# a NamedTuple class costs a fifth of a frozen dataclass's at import.


class Ids(NamedTuple):
    """Model ids with one of the prefixes or substrings and none of the exceptions.

    Case matters except in the ``*_lower`` fields, which are matched against the
    lower-cased id: Fantasy lower-cases for some tests and not for others."""

    prefixes: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    contains_lower: tuple[str, ...] = ()
    except_contains: tuple[str, ...] = ()
    except_lower: tuple[str, ...] = ()

    def match(self, model_id: str) -> bool:
        lower = model_id.lower()
        if any(s in model_id for s in self.except_contains):
            return False
        if any(s in lower for s in self.except_lower):
            return False
        return (
            model_id.startswith(self.prefixes)
            or any(s in model_id for s in self.contains)
            or any(s in lower for s in self.contains_lower)
        )


Rule = tuple[Ids, ...]
"""Ids matching any of its parts; ``()`` matches nothing."""


class Row(NamedTuple):
    """One question's id rule on each path."""

    chat: Rule
    responses: Rule

    def rule(self, api: Api) -> Rule:
        return self.chat if api == CHAT else self.responses

    def match(self, model_id: str, api: Api) -> bool:
        return any(ids.match(model_id) for ids in self.rule(api))


_O_SERIES = ("o1", "o3", "o4", "oss")
_O_SERIES_INSIDE = ("-o1", "-o3", "-o4", "-oss")
_O3_O4_MINI = Ids(prefixes=("o3",), contains=("-o3", "o4-mini"))

RULES: Mapping[str, Row] = {
    "reasoning": Row(
        chat=(Ids(prefixes=_O_SERIES, contains=_O_SERIES_INSIDE, contains_lower=("gpt-5",)),),
        # Fantasy's Responses rule also counts codex and computer-use ids, and takes
        # gpt-5-chat out (a chat model, not a reasoning one); its Chat Completions rule
        # does neither, so gpt-5-chat-latest drops temperature there and keeps it here.
        responses=(
            Ids(
                prefixes=_O_SERIES,
                contains=(*_O_SERIES_INSIDE, "codex-", "computer-use"),
                contains_lower=("gpt-5",),
                except_lower=("gpt-5-chat",),
            ),
        ),
    ),
    "flex": Row(
        chat=(_O3_O4_MINI, Ids(contains_lower=("gpt-5",))),
        # Fantasy's Responses rule leaves gpt-5-chat out and, unlike its chat rule,
        # matches "gpt-5" case-sensitively.
        responses=(_O3_O4_MINI, Ids(contains=("gpt-5",), except_contains=("gpt-5-chat",))),
    ),
    "priority": Row(
        chat=(
            Ids(prefixes=("o3",), contains=("-o3", "o4-mini"), contains_lower=("gpt-4", "gpt-5")),
        ),
        # Fantasy's Responses rule leaves gpt-5-nano and gpt-5-chat out (its warning says
        # gpt-5-nano is not supported on either path; only this one acts on it).
        responses=(
            Ids(
                prefixes=("o3",),
                contains=("-o3", "o4-mini"),
                contains_lower=("gpt-4", "gpt-5-mini"),
            ),
            Ids(contains_lower=("gpt-5",), except_lower=("gpt-5-nano", "gpt-5-chat")),
        ),
    ),
    "search_preview": Row(
        # Only Fantasy's chat path knows search-preview models (they refuse temperature).
        chat=(Ids(contains=("search-preview",)),),
        responses=(),
    ),
    "no_system_prompt": Row(
        # Reasoning models that take no system or developer message at all; only Fantasy's
        # Responses path removes it (with a warning). Chat Completions sends it as it is.
        chat=(),
        responses=(Ids(contains=("o1-mini", "o1-preview")),),
    ),
}
"""Each question's id rule on each path, as Fantasy has them."""


class PathRules(NamedTuple):
    """What one path does for every model and for reasoning models."""

    max_tokens_key: str
    """Where ``max_output_tokens`` goes for a model that does not reason."""
    reasoning_max_tokens_key: str
    """... and for one that does."""
    reasoning_system_role: SystemRole
    """The role a system prompt takes for a reasoning model (others: ``"system"``)."""
    reasoning_drops: frozenset[str]
    """`Call` settings dropped, with a warning, for a reasoning model."""
    reasoning_drops_logprobs: bool
    """Whether logit bias and log probabilities are dropped for a reasoning model."""
    reasoning_options_need_reasoning: bool
    """Whether reasoning effort (and summary) are sent only to reasoning models."""


PATHS: Mapping[Api, PathRules] = {
    # Chat Completions: reasoning models take max_completion_tokens and refuse sampling
    # settings, logit bias and log probabilities; the system prompt keeps its role; the
    # reasoning effort is sent for any model (compatible servers use it too).
    CHAT: PathRules(
        max_tokens_key="max_tokens",
        reasoning_max_tokens_key="max_completion_tokens",
        reasoning_system_role="system",
        reasoning_drops=frozenset(
            {"temperature", "top_p", "frequency_penalty", "presence_penalty"}
        ),
        reasoning_drops_logprobs=True,
        reasoning_options_need_reasoning=False,
    ),
    # Responses API: one token limit key for all; the penalties are never sent on this
    # path (the API has none), so a reasoning model drops temperature and top_p only;
    # log probabilities stay; the system prompt becomes a developer message; reasoning
    # effort and summary go to reasoning models only.
    RESPONSES: PathRules(
        max_tokens_key="max_output_tokens",
        reasoning_max_tokens_key="max_output_tokens",
        reasoning_system_role="developer",
        reasoning_drops=frozenset({"temperature", "top_p"}),
        reasoning_drops_logprobs=False,
        reasoning_options_need_reasoning=True,
    ),
}
"""What each path does with a model, given what `RULES` says of it."""


class ModelCapabilities(NamedTuple):
    """What one model accepts on one path."""

    model_id: str
    api: Api
    reasoning: bool
    flex: bool
    """``service_tier="flex"`` is sent (otherwise dropped with a warning)."""
    priority: bool
    """``service_tier="priority"`` is sent (otherwise dropped with a warning)."""
    search_preview: bool
    """Temperature is dropped, with the search-preview warning."""
    system_role: SystemRole
    max_tokens_key: str
    dropped_settings: frozenset[str]
    """`Call` settings dropped because the model reasons."""
    drops_logprobs: bool
    reasoning_options: bool
    """Reasoning effort (and summary) are sent."""

    @property
    def drops_temperature(self) -> bool:
        return self.search_preview or "temperature" in self.dropped_settings


@lru_cache(maxsize=256)
def capabilities(model_id: str, api: Api) -> ModelCapabilities:
    """What ``model_id`` accepts on ``api`` (``"chat"`` or ``"responses"``)."""
    path = PATHS[api]
    reasoning = RULES["reasoning"].match(model_id, api)
    if not reasoning:
        role: SystemRole = "system"
    elif RULES["no_system_prompt"].match(model_id, api):
        role = "remove"
    else:
        role = path.reasoning_system_role
    return ModelCapabilities(
        model_id=model_id,
        api=api,
        reasoning=reasoning,
        flex=RULES["flex"].match(model_id, api),
        priority=RULES["priority"].match(model_id, api),
        search_preview=RULES["search_preview"].match(model_id, api),
        system_role=role,
        max_tokens_key=path.reasoning_max_tokens_key if reasoning else path.max_tokens_key,
        dropped_settings=path.reasoning_drops if reasoning else frozenset(),
        drops_logprobs=reasoning and path.reasoning_drops_logprobs,
        reasoning_options=reasoning or not path.reasoning_options_need_reasoning,
    )


def is_reasoning_model(model_id: str, api: Api = CHAT) -> bool:
    """Whether ``model_id`` is a reasoning model by Fantasy's rule for ``api``."""
    return capabilities(model_id, api).reasoning


# --------------------------------------------------------------------------- routing

_RESPONSES_REASONING_MODELS = frozenset(
    {
        "o1",
        "o1-2024-12-17",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o3",
        "o3-2025-04-16",
        "o4-mini",
        "o4-mini-2025-04-16",
        "codex-mini-latest",
        "gpt-oss-120b",
    }
)

_RESPONSES_MODELS = _RESPONSES_REASONING_MODELS | frozenset(
    {"gpt-3.5-turbo", "gpt-3.5-turbo-0125", "gpt-3.5-turbo-1106"}
)
"""Fantasy's list without the ids containing gpt-4 or gpt-5, which the substring rule covers."""


def is_responses_reasoning_model(model_id: str) -> bool:
    """Fantasy's ``IsResponsesReasoningModel``: a known Responses reasoning model (o1, o3,
    o4-mini, codex-mini, gpt-oss, ...), or any gpt-4/gpt-5 id."""
    lower = model_id.lower()
    return model_id in _RESPONSES_REASONING_MODELS or "gpt-4" in lower or "gpt-5" in lower


def is_responses_model(model_id: str) -> bool:
    """Fantasy's default routing rule: a known Responses model, or any gpt-4/gpt-5 id.

    So ``o4-mini`` goes to the Responses API, while ``o1-mini`` and ``o3-pro``
    stay on Chat Completions even with ``use_responses_api=True``.
    """
    lower = model_id.lower()
    return model_id in _RESPONSES_MODELS or "gpt-4" in lower or "gpt-5" in lower
