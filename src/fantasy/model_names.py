"""Models by name: ``fantasy.language_model("openai:gpt-4o-mini")``.

A name is ``<prefix>:<model id>``. The prefix names a provider, built the way its
class is built with no arguments: keys, base URLs, regions and projects come from
the usual environment variables (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ...), and a
missing key is the provider's own `fantasy.MissingAPIKeyError` naming the variable.
The model id is everything after the first colon, so ids that hold colons
(``ollama:llama3.2:1b``, Bedrock's ``...-v1:0``) keep them.

Only the provider a name asks for is imported, when it is first asked for: this
module names the provider packages as strings (like `fantasy.persistence.registry`),
so ``import fantasy`` stays free of every provider.

Providers built here are cached, one per prefix and settings (the environment
variables the provider reads, and for a registered OpenAI-compatible server its
registration), so every model resolved by name from the same provider shares one
provider and with it one connection pool. A changed variable gives a new provider.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fantasy import _runtime
from fantasy.errors import InvalidArgumentError, MissingAPIKeyError

if TYPE_CHECKING:
    from fantasy.model import LanguageModel, Provider

__all__ = [
    "PREFIXES",
    "clear_provider_cache",
    "language_model",
    "model_or_name",
    "register_openai_compatible",
    "registered_openai_compatible",
]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a prefix's provider is built, and which environment variables it reads."""

    module: str
    """The provider package under ``fantasy.providers``."""
    build: Callable[[Any], Provider]
    """Given the imported package, the provider."""
    env: tuple[str, ...]
    """Prefixes of the environment variables that configure it (the cache key)."""
    about: str


def _package(name: str) -> Any:
    return importlib.import_module(f"fantasy.providers.{name}")


# --------------------------------------------------------------------------- Ollama

OLLAMA_DEFAULT_URL = "http://localhost:11434/v1"
"""Ollama's OpenAI-compatible endpoint on its default port."""


def ollama_base_url() -> tuple[str, str]:
    """(the OpenAI-compatible base URL, the variable it came from, or "").

    ``OLLAMA_BASE_URL`` is taken as it is (``/v1`` is added when it has no path);
    else ``OLLAMA_HOST`` (``host``, ``host:port`` or a URL, as the ``ollama`` command
    reads it: scheme http and port 11434 unless given) plus ``/v1``; else
    ``http://localhost:11434/v1``."""
    from urllib.parse import urlsplit

    base = os.environ.get("OLLAMA_BASE_URL") or ""
    if base:
        parts = urlsplit(base)
        if parts.scheme and parts.netloc and parts.path.strip("/") == "":
            base = base.rstrip("/") + "/v1"
        return base, "OLLAMA_BASE_URL"
    host = (os.environ.get("OLLAMA_HOST") or "").strip()
    if not host:
        return OLLAMA_DEFAULT_URL, ""
    if "://" not in host:
        host = "http://" + host
    parts = urlsplit(host)
    netloc = parts.netloc
    try:
        port = parts.port
    except ValueError:  # not a number: left for the provider to report
        port = 0
    if port is None:
        netloc += ":11434"
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}/v1", "OLLAMA_HOST"


def _ollama(compat: Any) -> Provider:
    base_url, variable = ollama_base_url()
    try:
        provider: Provider = compat.Provider(
            base_url, api_key=os.environ.get("OLLAMA_API_KEY") or None, name="ollama"
        )
    except InvalidArgumentError as err:
        if variable:
            err.add_note(f"the base URL came from the {variable} environment variable")
        raise
    return provider


# --------------------------------------------------------------------------- the table

_KINDS: dict[str, _Kind] = {
    "openai": _Kind(
        "openai",
        lambda p: p.Provider(),
        ("OPENAI_",),
        "OpenAI, Chat Completions (OPENAI_API_KEY, OPENAI_BASE_URL)",
    ),
    "openai-responses": _Kind(
        "openai",
        lambda p: p.Provider(use_responses_api=True),
        ("OPENAI_",),
        "OpenAI, the Responses API for the models that have it (OPENAI_API_KEY)",
    ),
    "anthropic": _Kind(
        "anthropic",
        lambda p: p.Provider(),
        ("ANTHROPIC_",),
        "Anthropic (ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL)",
    ),
    "google": _Kind(
        "google",
        lambda p: p.Provider(vertex=False),
        ("GOOGLE_", "GEMINI_"),
        "Gemini API (GOOGLE_API_KEY or GEMINI_API_KEY)",
    ),
    "vertex": _Kind(
        "google",
        lambda p: p.Provider(vertex=True),
        ("GOOGLE_",),
        "Vertex AI: Gemini, and Claude for claude-* ids (GOOGLE_CLOUD_PROJECT, "
        "GOOGLE_CLOUD_LOCATION, Application Default Credentials)",
    ),
    "bedrock": _Kind(
        "bedrock",
        lambda p: p.Provider(),
        ("AWS_",),
        "Amazon Bedrock, Claude (AWS_BEARER_TOKEN_BEDROCK or AWS credentials, AWS_REGION)",
    ),
    "azure": _Kind(
        "azure",
        lambda p: p.Provider(),
        ("AZURE_",),
        "Azure OpenAI, the id is your deployment (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY)",
    ),
    "openrouter": _Kind(
        "openrouter", lambda p: p.Provider(), ("OPENROUTER_",), "OpenRouter (OPENROUTER_API_KEY)"
    ),
    "vercel": _Kind(
        "vercel", lambda p: p.Provider(), ("AI_GATEWAY_",), "Vercel AI Gateway (AI_GATEWAY_API_KEY)"
    ),
    "ollama": _Kind(
        "openaicompat",
        _ollama,
        ("OLLAMA_",),
        "Ollama's OpenAI-compatible API (OLLAMA_BASE_URL or OLLAMA_HOST, default "
        "http://localhost:11434/v1; OLLAMA_API_KEY when it needs one)",
    ),
}

COMPATIBLE = "openai-compatible"
"""``openai-compatible:<name>:<model id>`` names a server registered with
`register_openai_compatible`; ``<name>:<model id>`` says the same."""

PREFIXES: tuple[str, ...] = (*_KINDS, COMPATIBLE)
"""The built-in prefixes, in the order error messages list them."""

_HINTS = {
    "gemini": "google",
    "claude": "anthropic",
    "gpt": "openai",
    "chatgpt": "openai",
    "aws": "bedrock",
    "amazon": "bedrock",
    "gcp": "vertex",
    "vertexai": "vertex",
    "google-vertex": "vertex",
    "azure-openai": "azure",
    "gateway": "vercel",
    "compat": COMPATIBLE,
    "openaicompat": COMPATIBLE,
    "openai-compat": COMPATIBLE,
}
"""What a mistyped or foreign prefix probably meant (not accepted, only suggested)."""

_ID_HINTS = (
    (re.compile(r"^(gpt-|o\d|chatgpt|text-embedding|dall-e)"), "openai"),
    (re.compile(r"^claude"), "anthropic"),
    (re.compile(r"^gemini"), "google"),
    (re.compile(r"^(llama|qwen|mistral|phi|gemma|deepseek)"), "ollama"),
)


# --------------------------------------------------------------------------- registered servers


@dataclass(frozen=True, slots=True)
class _Compatible:
    name: str
    base_url: str
    api_key_env: str | None
    headers: tuple[tuple[str, str], ...]


_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_registered: dict[str, _Compatible] = {}
_lock = _runtime.module_lock()
_providers: dict[tuple[Any, ...], Provider] = {}


def register_openai_compatible(
    name: str,
    *,
    base_url: str,
    api_key_env: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Give an OpenAI-compatible server a name, so ``"<name>:<model id>"`` (or
    ``"openai-compatible:<name>:<model id>"``) resolves to one of its models.

    ``api_key_env`` names the environment variable holding its key, read when a model
    is resolved (unset: `fantasy.MissingAPIKeyError`); leave it out for a server that
    needs no key. ``headers`` go with every request. The provider is named ``name``, so
    its options go under ``provider_options={name: openaicompat.ProviderOptions(...)}``.
    Registering a name again replaces it. A name is lower case (letters, digits, ``.``,
    ``_``, ``-``) and may not be a built-in prefix.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            "register_openai_compatible: name must be lower-case letters, digits, '.', '_' "
            f"or '-' (it becomes the prefix of model names), got {name!r}"
        )
    if name in PREFIXES:
        raise InvalidArgumentError(
            f"register_openai_compatible: {name!r} is a built-in prefix; choose another name"
        )
    if not isinstance(base_url, str) or not base_url:
        raise InvalidArgumentError(
            "register_openai_compatible: base_url must be the server's URL, "
            f"e.g. 'https://api.groq.com/openai/v1', got {base_url!r}"
        )
    if api_key_env is not None and (not isinstance(api_key_env, str) or not api_key_env):
        raise InvalidArgumentError(
            "register_openai_compatible: api_key_env must name an environment variable, "
            f"got {api_key_env!r}"
        )
    pairs = tuple(sorted((headers or {}).items()))
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
        raise InvalidArgumentError("register_openai_compatible: headers must map str to str")
    with _lock:
        _registered[name] = _Compatible(name, base_url, api_key_env, pairs)


def registered_openai_compatible() -> list[str]:
    """The names registered with `register_openai_compatible`, sorted."""
    with _lock:
        return sorted(_registered)


def _compatible_provider(server: _Compatible) -> Provider:
    key: str | None = None
    if server.api_key_env is not None:
        key = os.environ.get(server.api_key_env) or None
        if key is None:
            raise MissingAPIKeyError(
                f"no API key for the OpenAI-compatible server {server.name!r}: set the "
                f"{server.api_key_env} environment variable"
            )
    compat = _package("openaicompat")
    provider: Provider = compat.Provider(
        server.base_url, api_key=key, name=server.name, headers=dict(server.headers) or None
    )
    return provider


# --------------------------------------------------------------------------- resolving


def _settings(prefixes: tuple[str, ...]) -> str:
    """A digest of the environment variables a provider reads (not their values: a
    cache key should not hold a credential in the clear)."""
    import hashlib

    found = sorted((k, v) for k, v in os.environ.items() if k.startswith(prefixes))
    return hashlib.sha256(repr(found).encode("utf-8", "surrogatepass")).hexdigest()


def _cached(key: tuple[Any, ...], build: Callable[[], Provider]) -> Provider:
    with _lock:
        provider = _providers.get(key)
    if provider is not None:
        return provider
    built = build()  # outside the lock: building may import a provider package
    with _lock:
        return _providers.setdefault(key, built)


def clear_provider_cache() -> None:
    """Forget the providers built by name; the next name builds a new one. Providers
    already handed out keep working (their connections close with them)."""
    with _lock:
        _providers.clear()


def _unknown(prefix: str, name: str, model_id: str) -> InvalidArgumentError:
    import difflib

    with _lock:
        registered = sorted(_registered)
    known = [*PREFIXES, *registered]
    guess = _HINTS.get(prefix) or next(iter(difflib.get_close_matches(prefix, known, 1, 0.6)), None)
    hint = f"; did you mean {guess!r} ({guess}:{model_id})?" if guess else ""
    extra = (
        f"; registered OpenAI-compatible servers: {', '.join(registered)}"
        if registered
        else "; register others with fantasy.register_openai_compatible(name, base_url=...)"
    )
    return InvalidArgumentError(
        f"unknown model prefix {prefix!r} in {name!r}{hint} (known prefixes: "
        f"{', '.join(PREFIXES)}{extra})"
    )


def _split(name: str) -> tuple[str, str]:
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"a model name must be a string like 'openai:gpt-4o-mini', got {type(name).__name__}"
        )
    prefix, colon, model_id = name.strip().partition(":")
    if not colon:
        guess = next((p for pattern, p in _ID_HINTS if pattern.match(name.lower())), "openai")
        raise InvalidArgumentError(
            f"model name {name!r} has no provider prefix; write '<provider>:<model id>', "
            f"e.g. '{guess}:{name.strip()}' (prefixes: {', '.join(PREFIXES)})"
        )
    prefix = prefix.strip().lower()
    if not model_id.strip():
        raise InvalidArgumentError(
            f"model name {name!r} has no model id after {prefix + ':'!r}, e.g. 'openai:gpt-4o-mini'"
        )
    return prefix, model_id.strip()


def language_model(name: str) -> LanguageModel:
    """The model ``name`` names: ``"<prefix>:<model id>"``, as
    ``<Provider>().language_model("<model id>")`` would give it.

    Prefixes: ``openai``, ``openai-responses``, ``anthropic``, ``google`` (the Gemini
    API), ``vertex`` (Vertex AI), ``bedrock``, ``azure``, ``openrouter``, ``vercel``,
    ``ollama``, ``openai-compatible:<name>`` and the names given to
    `register_openai_compatible`. An unknown prefix is an `InvalidArgumentError`
    listing the known ones; a missing key is the provider's `MissingAPIKeyError`.
    """
    prefix, model_id = _split(name)
    if prefix == COMPATIBLE:
        server_name, colon, model_id = model_id.partition(":")
        if not colon or not model_id.strip():
            raise InvalidArgumentError(
                f"model name {name!r}: write 'openai-compatible:<registered name>:<model id>'"
            )
        return _registered_model(server_name.strip().lower(), model_id.strip(), name)
    kind = _KINDS.get(prefix)
    if kind is None:
        with _lock:
            known = prefix in _registered
        if known:
            return _registered_model(prefix, model_id, name)
        raise _unknown(prefix, name, model_id)
    key = (prefix, _settings(kind.env))
    provider = _cached(key, lambda: kind.build(_package(kind.module)))
    return provider.language_model(model_id)


def _registered_model(server_name: str, model_id: str, name: str) -> LanguageModel:
    with _lock:
        server = _registered.get(server_name)
    if server is None:
        raise _unknown(server_name, name, model_id)
    env = (server.api_key_env,) if server.api_key_env else ()
    key = (COMPATIBLE, server, _settings(env) if env else "")
    provider = _cached(key, lambda: _compatible_provider(server))
    return provider.language_model(model_id)


def model_or_name(model: LanguageModel | str) -> LanguageModel:
    """``model`` itself, or the model a name string names: what every entry point that
    takes a model calls first."""
    if isinstance(model, str):
        return language_model(model)
    return model
