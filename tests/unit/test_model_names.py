"""Models by name: ``fantasy.language_model("openai:gpt-4o-mini")`` and everywhere a
model is taken. Each prefix builds its provider from the environment; an unknown
prefix or a missing key says what to do; only the provider asked for is imported;
providers built by name are shared per prefix and settings.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import fantasy
from fantasy import InvalidArgumentError, MissingAPIKeyError
from fantasy import model_names as names

PROVIDER_ENV = (
    "OPENAI_",
    "ANTHROPIC_",
    "GOOGLE_",
    "GEMINI_",
    "AWS_",
    "AZURE_",
    "OPENROUTER_",
    "AI_GATEWAY_",
    "OLLAMA_",
    "GROQ_",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No variable of the machine's, no provider cached or server registered by another test."""
    import os

    for name in list(os.environ):
        if name.startswith(PROVIDER_ENV):
            monkeypatch.delenv(name)
    monkeypatch.setattr(names, "_providers", {})
    monkeypatch.setattr(names, "_registered", {})
    yield


KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-key",
    "ANTHROPIC_API_KEY": "sk-ant-test-key",
    "GOOGLE_API_KEY": "google-test-key",
    "AWS_BEARER_TOKEN_BEDROCK": "bedrock-test-key",
    "AWS_REGION": "eu-west-1",
    "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com",
    "AZURE_OPENAI_API_KEY": "azure-test-key",
    "OPENROUTER_API_KEY": "sk-or-test-key",
    "AI_GATEWAY_API_KEY": "gateway-test-key",
}


def with_keys(monkeypatch: pytest.MonkeyPatch, **more: str) -> None:
    for key, value in {**KEYS, **more}.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize(
    ("name", "kind", "provider", "model_id"),
    [
        ("openai:gpt-4o-mini", "ChatLanguageModel", "openai", "gpt-4o-mini"),
        ("openai-responses:gpt-5", "ResponsesLanguageModel", "openai", "gpt-5"),
        ("anthropic:claude-sonnet-4", "MessagesLanguageModel", "anthropic", "claude-sonnet-4"),
        ("google:gemini-2.5-flash", "GeminiLanguageModel", "google", "gemini-2.5-flash"),
        (
            "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "MessagesLanguageModel",
            "bedrock",
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        ("azure:my-deployment", "ChatLanguageModel", "azure", "my-deployment"),
        ("openrouter:anthropic/claude-haiku-4.5", "ChatLanguageModel", "openrouter", None),
        ("vercel:openai/gpt-5", "ChatLanguageModel", "vercel", "openai/gpt-5"),
        ("ollama:llama3.2:1b", "ChatLanguageModel", "ollama", "llama3.2:1b"),
        ("OpenAI:gpt-4o", "ChatLanguageModel", "openai", "gpt-4o"),
    ],
)
def test_each_prefix_builds_its_providers_model(
    name: str, kind: str, provider: str, model_id: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_keys(monkeypatch)
    model = fantasy.language_model(name)
    assert type(model).__name__ == kind
    assert model.provider == provider
    assert model.model == (model_id or name.partition(":")[2])


def test_urls_and_regions_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with_keys(monkeypatch, OPENAI_BASE_URL="https://proxy.example/v1")
    assert fantasy.language_model("openai:gpt-4o").url == (  # type: ignore[attr-defined]
        "https://proxy.example/v1/chat/completions"
    )
    assert fantasy.language_model("azure:dep").url == (  # type: ignore[attr-defined]
        "https://res.openai.azure.com/openai/v1/chat/completions"
    )
    bedrock = fantasy.language_model("bedrock:anthropic.claude-3-haiku")
    assert "eu-west-1" in bedrock.platform.base_url  # type: ignore[attr-defined]


def test_google_is_the_gemini_api_and_vertex_is_vertex(monkeypatch: pytest.MonkeyPatch) -> None:
    with_keys(monkeypatch, GOOGLE_GENAI_USE_VERTEXAI="true", GOOGLE_CLOUD_PROJECT="proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-east5")
    gemini = fantasy.language_model("google:gemini-2.5-flash")
    assert "generativelanguage.googleapis.com" in gemini.generate_url  # type: ignore[attr-defined]
    vertex = fantasy.language_model("vertex:gemini-2.5-flash")
    assert "us-east5-aiplatform.googleapis.com" in vertex.generate_url  # type: ignore[attr-defined]
    assert "projects/proj" in vertex.generate_url  # type: ignore[attr-defined]
    claude = fantasy.language_model("vertex:claude-sonnet-4@20250514")
    assert claude.provider == "anthropic"


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("openai:gpt-4o", "OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-4", "ANTHROPIC_API_KEY"),
        ("google:gemini-2.5-flash", "GOOGLE_API_KEY"),
        ("openrouter:x/y", "OPENROUTER_API_KEY"),
        ("vercel:x/y", "AI_GATEWAY_API_KEY"),
        ("azure:dep", "AZURE_OPENAI_ENDPOINT"),
        ("vertex:gemini-2.5-flash", "GOOGLE_CLOUD_PROJECT"),
    ],
)
def test_a_missing_setting_is_the_providers_own_error(name: str, variable: str) -> None:
    with pytest.raises(InvalidArgumentError, match=variable):
        fantasy.language_model(name)


def test_a_missing_key_is_a_missing_api_key_error() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        fantasy.language_model("openai:gpt-4o")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("opnai:gpt-4o", r"unknown model prefix 'opnai'.*did you mean 'openai' \(openai:gpt-4o\)"),
        ("gemini:gemini-2.5-flash", r"did you mean 'google' \(google:gemini-2.5-flash\)"),
        ("claude:claude-sonnet-4", "did you mean 'anthropic'"),
        ("acme:model", r"known prefixes: openai, openai-responses, anthropic, google, vertex"),
        ("gpt-4o-mini", r"no provider prefix.*'openai:gpt-4o-mini'"),
        ("claude-sonnet-4", r"no provider prefix.*'anthropic:claude-sonnet-4'"),
        ("openai:", "no model id"),
        ("openai-compatible:groq", "openai-compatible:<registered name>:<model id>"),
        ("openai-compatible:nobody:m", "unknown model prefix 'nobody'"),
    ],
)
def test_a_name_that_names_nothing_says_what_was_meant(name: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        fantasy.language_model(name)


def test_a_model_name_must_be_a_string() -> None:
    with pytest.raises(InvalidArgumentError, match="must be a string"):
        fantasy.language_model(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- one provider per name


def test_names_of_one_provider_share_one_provider_and_its_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_keys(monkeypatch)
    a = fantasy.language_model("openai:gpt-4o")
    b = fantasy.language_model("openai:gpt-4o-mini")
    assert a is not b and a.transport is b.transport  # type: ignore[attr-defined]
    responses = fantasy.language_model("openai-responses:gpt-5")
    assert responses.transport is not a.transport  # type: ignore[attr-defined]


def test_changed_settings_build_a_new_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    with_keys(monkeypatch)
    first = fantasy.language_model("openai:gpt-4o")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-another-key")
    second = fantasy.language_model("openai:gpt-4o")
    assert second.transport is not first.transport  # type: ignore[attr-defined]
    assert fantasy.language_model("openai:gpt-4o").transport is second.transport  # type: ignore[attr-defined]
    names.clear_provider_cache()
    assert fantasy.language_model("openai:gpt-4o").transport is not second.transport  # type: ignore[attr-defined]


def test_the_cache_key_holds_no_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    with_keys(monkeypatch)
    fantasy.language_model("openai:gpt-4o")
    assert KEYS["OPENAI_API_KEY"] not in repr(list(names._providers))


# --------------------------------------------------------------------------- Ollama


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://localhost:11434/v1"),
        ({"OLLAMA_HOST": "0.0.0.0"}, "http://0.0.0.0:11434/v1"),
        ({"OLLAMA_HOST": "gpu-box:8080"}, "http://gpu-box:8080/v1"),
        ({"OLLAMA_HOST": "https://ollama.example"}, "https://ollama.example:11434/v1"),
        ({"OLLAMA_HOST": "[::1]"}, "http://[::1]:11434/v1"),
        ({"OLLAMA_BASE_URL": "http://box:11434/v1"}, "http://box:11434/v1"),
        ({"OLLAMA_BASE_URL": "http://box:11434"}, "http://box:11434/v1"),
        ({"OLLAMA_BASE_URL": "https://ollama.com/v1", "OLLAMA_HOST": "x"}, "https://ollama.com/v1"),
    ],
)
def test_ollama_is_found_where_ollama_says(
    env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    model = fantasy.language_model("ollama:llama3.2")
    assert model.url == url + "/chat/completions"  # type: ignore[attr-defined]


def test_a_bad_ollama_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "ftp://box")
    with pytest.raises(InvalidArgumentError) as info:
        fantasy.language_model("ollama:llama3.2")
    assert "OLLAMA_BASE_URL" in "\n".join(getattr(info.value, "__notes__", []))


# --------------------------------------------------------------------------- registered servers


def test_a_registered_server_is_a_prefix_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    fantasy.register_openai_compatible(
        "groq", base_url="https://api.groq.com/openai/v1", api_key_env="GROQ_API_KEY"
    )
    with pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY"):
        fantasy.language_model("groq:llama-3.3-70b")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test-key")
    for name in ("groq:llama-3.3-70b", "openai-compatible:groq:llama-3.3-70b"):
        model = fantasy.language_model(name)
        assert (model.provider, model.model) == ("groq", "llama-3.3-70b")
        assert model.url == "https://api.groq.com/openai/v1/chat/completions"  # type: ignore[attr-defined]
    assert names.registered_openai_compatible() == ["groq"]
    with pytest.raises(InvalidArgumentError, match="registered OpenAI-compatible servers: groq"):
        fantasy.language_model("grok:x")


def test_a_server_without_a_key_needs_none() -> None:
    fantasy.register_openai_compatible("local", base_url="http://127.0.0.1:8000/v1")
    assert fantasy.language_model("local:qwen").provider == "local"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "openai", "base_url": "http://x"}, "built-in prefix"),
        ({"name": "Has Space", "base_url": "http://x"}, "lower-case letters"),
        ({"name": "a:b", "base_url": "http://x"}, "lower-case letters"),
        ({"name": "ok", "base_url": ""}, "base_url must be"),
        ({"name": "ok", "base_url": "http://x", "api_key_env": ""}, "api_key_env"),
    ],
)
def test_a_bad_registration_says_why(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        fantasy.register_openai_compatible(**kwargs)


# --------------------------------------------------------------------------- wherever a model goes


def test_an_agent_takes_a_model_name(monkeypatch: pytest.MonkeyPatch) -> None:
    with_keys(monkeypatch)
    agent = fantasy.Agent("anthropic:claude-sonnet-4")
    assert (agent.model.provider, agent.model.model) == ("anthropic", "claude-sonnet-4")
    with pytest.raises(InvalidArgumentError, match="unknown model prefix"):
        fantasy.Agent("antropic:claude-sonnet-4")


@pytest.mark.parametrize(
    "entry",
    [
        fantasy.generate_object,
        fantasy.stream_object,
        fantasy.agenerate_object,
        fantasy.astream_object,
    ],
    ids=lambda f: f.__name__,
)
def test_the_object_functions_take_a_model_name(entry: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown model prefix 'nope'"):
        result = entry("nope:model", "a city", {"type": "object"})
        if asyncio.iscoroutine(result):
            asyncio.run(result)


# --------------------------------------------------------------------------- lazy


def _modules_after(code: str, **env: str) -> set[str]:
    import os

    script = f"import sys, fantasy\n{code}\nprint(' '.join(sorted(sys.modules)))"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_ENV)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**environment, **env},
    )
    return set(out.stdout.split())


PROVIDERS = {
    "fantasy.providers.openai",
    "fantasy.providers.anthropic",
    "fantasy.providers.google",
    "fantasy.providers.bedrock",
    "fantasy.providers.azure",
    "fantasy.providers.openrouter",
    "fantasy.providers.vercel",
    "fantasy.providers.openaicompat",
}


def test_importing_fantasy_imports_no_provider_and_neither_module() -> None:
    loaded = _modules_after("")
    assert not loaded & {*PROVIDERS, "fantasy.model_names", "fantasy.fallback"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("anthropic:claude-sonnet-4", {"fantasy.providers.anthropic"}),
        ("google:gemini-2.5-flash", {"fantasy.providers.google"}),
        ("openai:gpt-4o-mini", {"fantasy.providers.openai"}),
        # Ollama speaks Chat Completions through the OpenAI-compatible provider.
        ("ollama:llama3.2", {"fantasy.providers.openaicompat", "fantasy.providers.openai"}),
    ],
)
def test_resolving_a_name_imports_only_that_provider(name: str, expected: set[str]) -> None:
    loaded = _modules_after(f"fantasy.language_model({name!r})", **KEYS)
    assert loaded & PROVIDERS == expected
