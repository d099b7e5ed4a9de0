"""GGUF models run in this process by llama.cpp: Fantasy's ``kronk`` provider.

    from fantasy.providers import llamacpp

    with llamacpp.Provider("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", n_ctx=4096) as provider:
        model = provider.language_model()

Built on llama-cpp-python (extra ``local``), imported when the model first loads, not
when this package is. Tool calls and structured output are constrained by grammars
made from their JSON schemas, so they parse on any model. See the README's "Local
models".

Modules: ``provider.py`` (settings, loading, closing), ``model.py`` (a `Call` to a
generation and back, both faces), ``engine.py`` (llama-cpp-python and the token loop),
``prompt.py`` (chat templates), ``grammar.py`` (GBNF from schemas), ``formats.py``
(how each model family writes a call), ``output.py`` (text to reasoning, text and tool
calls), ``utf8.py``, ``hooks.py`` (per-model hooks and their defaults), ``options.py``
(options and metadata, persisted under Fantasy's ``kronk`` type ids).
"""

from fantasy.providers.llamacpp.engine import Request
from fantasy.providers.llamacpp.hooks import DEFAULT_HOOKS, LocalHooks
from fantasy.providers.llamacpp.model import LlamaCppLanguageModel
from fantasy.providers.llamacpp.options import (
    FANTASY_NAME,
    NAME,
    TYPE_PROVIDER_METADATA,
    TYPE_PROVIDER_OPTIONS,
    ProviderMetadata,
    ProviderOptions,
)
from fantasy.providers.llamacpp.provider import Provider

LanguageModel = LlamaCppLanguageModel

__all__ = [
    "DEFAULT_HOOKS",
    "FANTASY_NAME",
    "NAME",
    "TYPE_PROVIDER_METADATA",
    "TYPE_PROVIDER_OPTIONS",
    "LanguageModel",
    "LlamaCppLanguageModel",
    "LocalHooks",
    "Provider",
    "ProviderMetadata",
    "ProviderOptions",
    "Request",
]
