"""Which Python class each of Fantasy's provider data type ids names, and how its
fields are spelled in JSON.

Fantasy persists provider options and metadata as ``{"type": "<type id>", "data":
{...}}`` and finds the Go type to decode into by the id (``openai.options``,
``anthropic.reasoning_metadata``, ...). Go providers register their ids from
``init``; here one central table maps each id to a ``"module:Class"`` path
instead, so that loading a conversation imports a provider module only when a
value of one of its types is actually met, and `import fantasy` imports none.

Field names are Fantasy's JSON names, which equal our attribute names except
where a table below says otherwise. ``omitempty`` lists the fields Go leaves
out when empty, so what we write is what a Go program would have written.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "FieldSpec",
    "ProviderTypeError",
    "field_spec",
    "provider_type_class",
    "provider_type_id",
    "register_provider_type",
    "registered_type_ids",
]

_OPENAI = "fantasy.providers.openai.options"
_RESPONSES = "fantasy.providers.openai.responses_options"
_WEB_SEARCH = "fantasy.providers.openai.web_search"
_COMPAT = "fantasy.providers.openaicompat"
_OPENROUTER = "fantasy.providers.openrouter"
_VERCEL = "fantasy.providers.vercel"
_ANTHROPIC = "fantasy.providers.anthropic.options"
_GOOGLE = "fantasy.providers.google.options"

BUILTIN_TYPES: Mapping[str, str] = {
    "openai.options": f"{_OPENAI}:ProviderOptions",
    "openai.file_options": f"{_OPENAI}:FileOptions",
    "openai.metadata": f"{_OPENAI}:ProviderMetadata",
    "openai.responses.options": f"{_RESPONSES}:ResponsesProviderOptions",
    "openai.responses.metadata": f"{_RESPONSES}:ResponsesProviderMetadata",
    "openai.responses.reasoning_metadata": f"{_RESPONSES}:ResponsesReasoningMetadata",
    "openai.responses.web_search_call_metadata": f"{_WEB_SEARCH}:WebSearchCallMetadata",
    "openai-compat.options": f"{_COMPAT}:ProviderOptions",
    "openai-compat.content_extra_fields": f"{_COMPAT}:ContentExtraFields",
    "openrouter.options": f"{_OPENROUTER}:ProviderOptions",
    "openrouter.metadata": f"{_OPENROUTER}:ProviderMetadata",
    "vercel.options": f"{_VERCEL}:ProviderOptions",
    "vercel.metadata": f"{_VERCEL}:ProviderMetadata",
    "anthropic.options": f"{_ANTHROPIC}:ProviderOptions",
    "anthropic.reasoning_metadata": f"{_ANTHROPIC}:ReasoningMetadata",
    "anthropic.cache_control_options": f"{_ANTHROPIC}:CacheControlOptions",
    "anthropic.web_search_result_metadata": f"{_ANTHROPIC}:WebSearchResultMetadata",
    "google.options": f"{_GOOGLE}:ProviderOptions",
    "google.reasoning_metadata": f"{_GOOGLE}:ReasoningMetadata",
}
"""Fantasy's type id of every provider option and metadata type this port has.

Azure and Bedrock have none of their own: they use OpenAI's and Anthropic's, as
in Fantasy. Kronk (a local runtime) has no port, so its ids are unknown here.
"""

_ALL = "*"

_JSON_NAMES: Mapping[str, Mapping[str, str]] = {
    f"{_OPENAI}:ProviderOptions": {"logprobs": "log_probs", "top_logprobs": "top_log_probs"},
    f"{_OPENROUTER}:ProviderOptions": {"logprobs": "log_probs"},
    f"{_VERCEL}:ProviderOptions": {"gateway": "providerOptions"},
    f"{_VERCEL}:GatewayOptions": {"zero_data_retention": "zeroDataRetention"},
}
"""Attributes whose JSON name is not the attribute's own (Go's struct tags)."""

_OMIT_EMPTY: Mapping[str, frozenset[str]] = {
    f"{_OPENAI}:ProviderMetadata": frozenset({"extra_fields"}),
    f"{_WEB_SEARCH}:WebSearchCallMetadata": frozenset({"action"}),
    f"{_WEB_SEARCH}:WebSearchAction": frozenset({"query", "sources"}),
    f"{_WEB_SEARCH}:WebSearchUserLocation": frozenset({_ALL}),
    f"{_COMPAT}:ProviderOptions": frozenset({"extra_body"}),
    f"{_OPENROUTER}:ProviderOptions": frozenset({_ALL}),
    f"{_OPENROUTER}:ReasoningOptions": frozenset({_ALL}),
    f"{_OPENROUTER}:ProviderRouting": frozenset({_ALL}),
    f"{_VERCEL}:ProviderOptions": frozenset({_ALL}),
    f"{_VERCEL}:ReasoningOptions": frozenset({_ALL}),
    f"{_VERCEL}:GatewayOptions": frozenset({_ALL}),
    f"{_VERCEL}:ProviderMetadata": frozenset({_ALL}),
    f"{_ANTHROPIC}:ProviderOptions": frozenset({"extra_body"}),
    f"{_ANTHROPIC}:WebSearchResultMetadata": frozenset({_ALL}),
    f"{_ANTHROPIC}:WebSearchResultItem": frozenset({"page_age"}),
    f"{_ANTHROPIC}:UserLocation": frozenset({_ALL}),
    f"{_GOOGLE}:ThinkingConfig": frozenset({_ALL}),
}
"""Fields Go tags ``omitempty`` (``*`` for all of a type's fields)."""


class ProviderTypeError(LookupError):
    """A type id nobody registered, or a class no type id names."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one class's attributes are spelled in JSON and which are left out when empty."""

    json_names: Mapping[str, str]
    omit_empty: frozenset[str]

    def json_name(self, attribute: str) -> str:
        return self.json_names.get(attribute, attribute)

    def omits(self, attribute: str) -> bool:
        return _ALL in self.omit_empty or attribute in self.omit_empty


_user_types: dict[str, type] = {}
_user_ids: dict[type, str] = {}
_user_specs: dict[type, FieldSpec] = {}
_imported: dict[str, type] = {}


def register_provider_type(
    type_id: str,
    cls: type,
    *,
    json_names: Mapping[str, str] | None = None,
    omit_empty: Iterable[str] = (),
) -> None:
    """Make ``cls`` (a dataclass or pydantic model) persist as ``{"type": type_id, ...}``.

    As in Fantasy the last registration of an id wins, so a built-in id can be
    pointed at your own class. ``json_names`` maps attributes to JSON names where
    they differ; ``omit_empty`` lists attributes left out when empty (``"*"``: all).
    """
    if not type_id:
        raise ValueError("a provider type id can't be empty")
    _user_types[type_id] = cls
    _user_ids[cls] = type_id
    omitted = frozenset(omit_empty)
    if json_names or omitted:
        _user_specs[cls] = FieldSpec(dict(json_names or {}), omitted)
    else:
        _user_specs.pop(cls, None)


def registered_type_ids() -> list[str]:
    """Every type id that can be loaded, built-in and registered."""
    return sorted({*BUILTIN_TYPES, *_user_types})


def _path_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_BUILTIN_IDS = {path: type_id for type_id, path in BUILTIN_TYPES.items()}


def provider_type_id(cls: type) -> str:
    """The type id a value of ``cls`` is saved under; no provider module is imported."""
    type_id = _user_ids.get(cls) or _BUILTIN_IDS.get(_path_of(cls))
    if type_id is None:
        raise ProviderTypeError(
            f"{cls.__module__}.{cls.__qualname__} is not a registered provider data type "
            "(see fantasy.register_provider_type)"
        )
    return type_id


def provider_type_class(type_id: str) -> type:
    """The class values of ``type_id`` load into, importing its module on first use."""
    cls = _user_types.get(type_id) or _imported.get(type_id)
    if cls is not None:
        return cls
    path = BUILTIN_TYPES.get(type_id)
    if path is None:
        raise ProviderTypeError(f'unknown provider data type "{type_id}"')
    module_name, _, name = path.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ProviderTypeError(
            f'provider data type "{type_id}" needs {module_name}.{name}, which cannot be '
            f"imported: {exc}"
        ) from exc
    if not isinstance(found, type):
        raise ProviderTypeError(f'provider data type "{type_id}" names {path}, not a class')
    _imported[type_id] = found
    return found


def field_spec(cls: type) -> FieldSpec:
    """JSON names and omit-empty fields of ``cls`` (registered, built-in, or plain)."""
    spec = _user_specs.get(cls)
    if spec is not None:
        return spec
    path = _path_of(cls)
    return FieldSpec(_JSON_NAMES.get(path, {}), _OMIT_EMPTY.get(path, frozenset()))
