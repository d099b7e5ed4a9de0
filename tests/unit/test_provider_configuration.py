"""Provider configuration: an argument always beats the environment, in every provider,
and a setting that cannot work fails when the provider is built, naming the setting.

Requests are captured by an httpx MockTransport that records what would have been
sent (URL and headers) and stops there, so no test needs a provider's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.http.auth.aws import SigV4Auth
from fantasy.model import Call, LanguageModel
from fantasy.providers import (
    anthropic,
    azure,
    bedrock,
    google,
    openai,
    openaicompat,
    openrouter,
    vercel,
)
from fantasy.types import user_message

ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENROUTER_API_KEY",
    "AI_GATEWAY_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_REGION",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
)

ARG_KEY = "arg-key-0123456789"
ENV_KEY = "env-key-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


class Captured(Exception):
    """Raised by the capturing transport once it has the request."""


class Capture:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise Captured

    def send(self, model: LanguageModel) -> httpx.Request:
        with pytest.raises(Captured):
            model.generate(Call([user_message("hi")]))
        assert len(self.requests) == 1
        return self.requests.pop()


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield Capture()


# =========================================================================== OpenAI


def test_openai_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://env.example/v1")
    provider = openai.Provider(
        api_key=ARG_KEY, base_url="https://arg.example/v1", transport=capture.transport
    )
    request = capture.send(provider.language_model("gpt-4o-mini"))
    assert str(request.url) == "https://arg.example/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {ARG_KEY}"


def test_openai_reads_the_environment_for_what_is_not_given(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://env.example/v1")
    request = capture.send(
        openai.Provider(transport=capture.transport).language_model("gpt-4o-mini")
    )
    assert str(request.url) == "https://env.example/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {ENV_KEY}"


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
def test_openai_an_authorization_header_given_beats_the_environments_key(
    monkeypatch: pytest.MonkeyPatch, capture: Capture, responses: bool
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    provider = openai.Provider(
        headers={"Authorization": "Bearer from-headers-123"},
        use_responses_api=responses,
        transport=capture.transport,
    )
    request = capture.send(provider.language_model("gpt-5"))
    assert request.headers.get_list("authorization") == ["Bearer from-headers-123"]


def test_openai_without_any_key_still_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        openai.Provider()


# =========================================================================== Azure


def test_azure_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://envres.openai.azure.com")
    provider = azure.Provider(
        "https://argres.openai.azure.com", ARG_KEY, transport=capture.transport
    )
    request = capture.send(provider.language_model("gpt-4o-mini"))
    assert str(request.url) == "https://argres.openai.azure.com/openai/v1/chat/completions"
    assert request.headers.get_list("api-key") == [ARG_KEY]


def test_azure_reads_the_environment_for_what_is_not_given(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://envres.openai.azure.com")
    request = capture.send(azure.Provider(transport=capture.transport).language_model("gpt"))
    assert str(request.url) == "https://envres.openai.azure.com/openai/v1/chat/completions"
    assert request.headers["api-key"] == ENV_KEY


def test_azure_an_entra_token_in_headers_beats_the_environments_key(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", ENV_KEY)
    provider = azure.Provider(
        "https://res.openai.azure.com",
        headers={"Authorization": "Bearer entra-token-123"},
        transport=capture.transport,
    )
    request = capture.send(provider.language_model("gpt"))
    assert request.headers["authorization"] == "Bearer entra-token-123"
    assert "api-key" not in request.headers


# =========================================================================== gateways


@pytest.mark.parametrize(
    ("module", "env_var", "url"),
    [
        (openrouter, "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1/chat/completions"),
        (vercel, "AI_GATEWAY_API_KEY", "https://ai-gateway.vercel.sh/v1/chat/completions"),
    ],
    ids=["openrouter", "vercel"],
)
def test_gateway_keys_given_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture, module: Any, env_var: str, url: str
) -> None:
    monkeypatch.setenv(env_var, ENV_KEY)
    request = capture.send(
        module.Provider(ARG_KEY, transport=capture.transport).language_model("a/b")
    )
    assert str(request.url) == url
    assert request.headers["authorization"] == f"Bearer {ARG_KEY}"

    request = capture.send(module.Provider(transport=capture.transport).language_model("a/b"))
    assert request.headers["authorization"] == f"Bearer {ENV_KEY}"

    provider = module.Provider(
        headers={"Authorization": "Bearer from-headers-123"}, transport=capture.transport
    )
    request = capture.send(provider.language_model("a/b"))
    assert request.headers.get_list("authorization") == ["Bearer from-headers-123"]


def test_vercel_base_url_given_is_used(capture: Capture) -> None:
    provider = vercel.Provider(
        ARG_KEY, base_url="https://gw.example/v1", transport=capture.transport
    )
    assert str(capture.send(provider.language_model("a/b")).url) == (
        "https://gw.example/v1/chat/completions"
    )


def test_openaicompat_never_sends_an_environment_key(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    provider = openaicompat.Provider("http://localhost:8080/v1", transport=capture.transport)
    request = capture.send(provider.language_model("llama"))
    assert str(request.url) == "http://localhost:8080/v1/chat/completions"
    assert "authorization" not in request.headers


# =========================================================================== Anthropic


def test_anthropic_auth_token_given_beats_the_environments_api_key(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    provider = anthropic.Provider(auth_token="arg-token-123", transport=capture.transport)
    request = capture.send(provider.language_model("claude-sonnet-4"))
    assert request.headers["authorization"] == "Bearer arg-token-123"
    assert "x-api-key" not in request.headers


def test_anthropic_api_key_given_beats_the_environments_token(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "env-token-123")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://env.example")
    provider = anthropic.Provider(
        api_key=ARG_KEY, base_url="https://arg.example", transport=capture.transport
    )
    request = capture.send(provider.language_model("claude-sonnet-4"))
    assert str(request.url) == "https://arg.example/v1/messages"
    assert request.headers["x-api-key"] == ARG_KEY
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("env", "header", "value"),
    [
        ({"ANTHROPIC_API_KEY": ENV_KEY}, "x-api-key", ENV_KEY),
        ({"ANTHROPIC_AUTH_TOKEN": "env-token-123"}, "authorization", "Bearer env-token-123"),
        (
            {"ANTHROPIC_API_KEY": ENV_KEY, "ANTHROPIC_AUTH_TOKEN": "env-token-123"},
            "x-api-key",
            ENV_KEY,
        ),
    ],
    ids=["key", "token", "both"],
)
def test_anthropic_environment_order(
    monkeypatch: pytest.MonkeyPatch,
    capture: Capture,
    env: dict[str, str],
    header: str,
    value: str,
) -> None:
    for name, val in env.items():
        monkeypatch.setenv(name, val)
    request = capture.send(
        anthropic.Provider(transport=capture.transport).language_model("claude-sonnet-4")
    )
    assert request.headers[header] == value
    other = "authorization" if header == "x-api-key" else "x-api-key"
    assert other not in request.headers


@pytest.mark.parametrize("header", ["x-api-key", "Authorization"])
def test_anthropic_a_credential_header_given_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture, header: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    provider = anthropic.Provider(headers={header: "given-123456"}, transport=capture.transport)
    request = capture.send(provider.language_model("claude-sonnet-4"))
    assert request.headers.get_list(header) == ["given-123456"]
    if header != "x-api-key":
        assert "x-api-key" not in request.headers


def test_anthropic_key_and_token_together_are_ambiguous() -> None:
    with pytest.raises(InvalidArgumentError, match="not both"):
        anthropic.Provider(api_key=ARG_KEY, auth_token="t")


def test_anthropic_empty_arguments_are_refused_not_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    with pytest.raises(MissingAPIKeyError, match="api_key is empty"):
        anthropic.Provider(api_key="")
    with pytest.raises(MissingAPIKeyError, match="auth_token is empty"):
        anthropic.Provider(auth_token="")


def test_anthropic_on_vertex_ignores_the_environments_key_and_url(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://env.example")
    provider = anthropic.Provider(
        vertex_project="proj",
        vertex_location="us-east5",
        vertex_token="ya29.arg",
        transport=capture.transport,
    )
    request = capture.send(provider.language_model("claude-sonnet-4"))
    assert str(request.url).startswith(
        "https://us-east5-aiplatform.googleapis.com/v1/projects/proj/locations/us-east5/"
    )
    assert request.headers["authorization"] == "Bearer ya29.arg"
    assert "x-api-key" not in request.headers


def test_anthropic_a_vertex_token_without_a_project_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    with pytest.raises(InvalidArgumentError, match="vertex_project and vertex_location"):
        anthropic.Provider(vertex_token="ya29.arg")


# =========================================================================== Bedrock

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_bedrock_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    provider = bedrock.Provider(ARG_KEY, region="ap-south-1", transport=capture.transport)
    request = capture.send(provider.language_model(HAIKU))
    assert request.url.host == "bedrock-runtime.ap-south-1.amazonaws.com"
    assert request.headers["authorization"] == f"Bearer {ARG_KEY}"


def test_bedrock_reads_the_environment_for_what_is_not_given(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    request = capture.send(bedrock.Provider(transport=capture.transport).language_model(HAIKU))
    assert request.url.host == "bedrock-runtime.eu-west-1.amazonaws.com"
    assert request.headers["authorization"] == "Bearer env-bearer-123"


def test_bedrock_base_url_and_header_given_are_used(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    provider = bedrock.Provider(
        base_url="https://proxy.example/bedrock",
        region="us-west-2",
        headers={"Authorization": "Bearer from-headers-123"},
        transport=capture.transport,
    )
    request = capture.send(provider.language_model(HAIKU))
    assert str(request.url).startswith("https://proxy.example/bedrock/model/")
    assert request.headers.get_list("authorization") == ["Bearer from-headers-123"]


def test_bedrock_aws_keys_given_beat_the_environments_bearer_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    provider = bedrock.Provider(
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret", region="us-east-1"
    )
    model: Any = provider.language_model(HAIKU)
    assert isinstance(model.auth, SigV4Auth)
    assert "authorization" not in {k.lower() for k in provider.transport.headers}


def test_bedrock_half_a_key_pair_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="together"):
        bedrock.Provider(aws_access_key_id="AKIAEXAMPLE", region="us-east-1")


def test_bedrock_an_empty_api_key_is_refused_not_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    with pytest.raises(MissingAPIKeyError, match="api_key is empty"):
        bedrock.Provider(api_key="")


# =========================================================================== Google

GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"


def test_google_api_key_given_beats_the_environments_vertex_switch(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "envproj")
    monkeypatch.setenv("GOOGLE_API_KEY", ENV_KEY)
    provider = google.Provider(ARG_KEY, transport=capture.transport)
    request = capture.send(provider.language_model("gemini-2.5-flash"))
    assert str(request.url) == f"{GEMINI}:generateContent"
    assert request.headers["x-goog-api-key"] == ARG_KEY


def test_google_base_url_and_key_header_given_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", ENV_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://env.example")
    provider = google.Provider(
        base_url="https://arg.example",
        headers={"x-goog-api-key": "from-headers-123"},
        transport=capture.transport,
    )
    request = capture.send(provider.language_model("gemini-2.5-flash"))
    assert str(request.url) == "https://arg.example/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.headers.get_list("x-goog-api-key") == ["from-headers-123"]


def test_google_reads_the_environment_for_what_is_not_given(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", ENV_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://env.example")
    request = capture.send(
        google.Provider(transport=capture.transport).language_model("gemini-2.5-flash")
    )
    assert str(request.url) == "https://env.example/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.headers["x-goog-api-key"] == ENV_KEY


def test_google_vertex_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", ENV_KEY)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "envproj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", "https://env.example")
    provider = google.Provider(
        project="argproj",
        location="us-east5",
        base_url="https://arg.example",
        token="ya29.arg",
        transport=capture.transport,
    )
    request = capture.send(provider.language_model("gemini-2.5-flash"))
    assert str(request.url) == (
        "https://arg.example/v1beta1/projects/argproj/locations/us-east5/"
        "publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert request.headers["authorization"] == "Bearer ya29.arg"
    assert "x-goog-api-key" not in request.headers


def test_google_a_vertex_token_means_vertex_even_with_a_key_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", ENV_KEY)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "envproj")
    monkeypatch.setenv("GOOGLE_CLOUD_REGION", "us-central1")
    provider = google.Provider(token="ya29.arg", transport=capture.transport)
    assert provider.vertex
    request = capture.send(provider.language_model("gemini-2.5-flash"))
    assert "/projects/envproj/locations/us-central1/" in str(request.url)
    assert request.url.host == "us-central1-aiplatform.googleapis.com"
    assert request.headers["authorization"] == "Bearer ya29.arg"
    assert "x-goog-api-key" not in request.headers


# =========================================================================== base URLs


def _compat(url: str) -> Any:
    return openaicompat.Provider(url)


BASE_URL_BUILDERS: dict[str, Callable[[str], Any]] = {
    "openai": lambda url: openai.Provider(ARG_KEY, base_url=url),
    "azure": lambda url: azure.Provider(url, ARG_KEY),
    "openaicompat": _compat,
    "vercel": lambda url: vercel.Provider(ARG_KEY, base_url=url),
    "anthropic": lambda url: anthropic.Provider(ARG_KEY, base_url=url),
    "anthropic-vertex": lambda url: anthropic.Provider(
        vertex_project="p", vertex_location="us-east5", base_url=url, skip_auth=True
    ),
    "bedrock": lambda url: bedrock.Provider(ARG_KEY, base_url=url),
    "google": lambda url: google.Provider(ARG_KEY, base_url=url),
    "google-vertex": lambda url: google.Provider(project="p", base_url=url, skip_auth=True),
}
BAD_BASE_URLS = {
    "no-scheme": ("api.example.com/v1", "has no scheme; use 'https://api.example.com/v1'"),
    "local-no-scheme": ("localhost:8080/v1", "has no scheme; use 'http://localhost:8080/v1'"),
    "one-slash": ("https:/api.example.com/v1", "is missing '//' after 'https:'"),
    "other-scheme": ("ftp://api.example.com/v1", "has the scheme 'ftp'; use http:// or https://"),
    "no-host": ("https:///v1", "has no host"),
    "bad-port": ("https://api.example.com:port/v1", "has an invalid port"),
    "whitespace": (" https://api.example.com/v1", "use 'https://api.example.com/v1'"),
    "newline": ("https://api.example.com/v1\n", "contains whitespace or a control character"),
    "query": ("https://api.example.com/v1?key=1", "has a query string or a fragment"),
}


@pytest.mark.parametrize("builder", list(BASE_URL_BUILDERS))
@pytest.mark.parametrize("case", list(BAD_BASE_URLS))
def test_a_base_url_that_cannot_work_fails_when_the_provider_is_built(
    builder: str, case: str
) -> None:
    url, expected = BAD_BASE_URLS[case]
    if builder == "azure" and case in ("no-scheme", "local-no-scheme"):
        pytest.skip("Azure adds https:// to an endpoint given without one (documented)")
    with pytest.raises(InvalidArgumentError) as info:
        BASE_URL_BUILDERS[builder](url)
    assert str(info.value).startswith(f"invalid argument: base_url {url!r} ")
    assert expected in str(info.value)


def test_the_message_for_a_base_url_without_a_scheme() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        openai.Provider(api_key="k", base_url="api.openai.com/v1")
    assert str(info.value) == (
        "invalid argument: base_url 'api.openai.com/v1' has no scheme; "
        "use 'https://api.openai.com/v1'"
    )


@pytest.mark.parametrize(
    ("env_var", "build"),
    [
        ("OPENAI_BASE_URL", lambda: openai.Provider(ARG_KEY)),
        ("ANTHROPIC_BASE_URL", lambda: anthropic.Provider(ARG_KEY)),
        ("GOOGLE_GEMINI_BASE_URL", lambda: google.Provider(ARG_KEY)),
        ("GOOGLE_VERTEX_BASE_URL", lambda: google.Provider(project="p", skip_auth=True)),
        ("AZURE_OPENAI_ENDPOINT", lambda: azure.Provider(api_key=ARG_KEY)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_bad_base_url_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, env_var: str, build: Callable[[], Any]
) -> None:
    monkeypatch.setenv(env_var, "ftp://api.example.com")
    with pytest.raises(InvalidArgumentError) as info:
        build()
    assert str(info.value).startswith(
        f"invalid argument: {env_var} (environment variable) 'ftp://api.example.com' "
        "has the scheme 'ftp'"
    )


def test_an_openai_base_url_from_the_environment_without_a_scheme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "api.openai.com/v1")
    with pytest.raises(InvalidArgumentError) as info:
        openai.Provider(ARG_KEY)
    assert str(info.value) == (
        "invalid argument: OPENAI_BASE_URL (environment variable) 'api.openai.com/v1' has "
        "no scheme; use 'https://api.openai.com/v1'"
    )


def test_a_base_url_given_overrides_a_bad_one_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, capture: Capture
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "not a url")
    provider = openai.Provider(
        ARG_KEY, base_url="https://ok.example/v1/", transport=capture.transport
    )
    assert provider.base_url == "https://ok.example/v1"


def test_good_base_urls_are_accepted() -> None:
    for url in (
        "http://localhost:11434/v1",
        "https://api.example.com",
        "http://127.0.0.1:8080/",
        "https://[::1]:8443/v1",
        "HTTPS://API.EXAMPLE.COM/V1",
    ):
        assert openaicompat.Provider(url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda: google.Provider(project="p", location="us central1", skip_auth=True),
            "location 'us central1' is not valid",
        ),
        (
            lambda: anthropic.Provider(
                vertex_project="p", vertex_location="us-east5/x", skip_auth=True
            ),
            "vertex_location 'us-east5/x' is not valid",
        ),
        (lambda: bedrock.Provider(ARG_KEY, region="us east 1"), "region 'us east 1' is not valid"),
    ],
    ids=["google", "anthropic-vertex", "bedrock"],
)
def test_a_location_or_region_that_cannot_be_a_host_name_fails_at_once(
    build: Callable[[], Any], expected: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=expected):
        build()


def test_a_bad_location_or_region_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us central1")
    with pytest.raises(InvalidArgumentError, match=r"GOOGLE_CLOUD_LOCATION \(environment"):
        google.Provider(project="p", skip_auth=True)
    monkeypatch.setenv("AWS_REGION", "us_east_1!")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer-123")
    with pytest.raises(InvalidArgumentError, match=r"AWS_REGION \(environment variable\)"):
        bedrock.Provider()


# =========================================================================== headers and keys


@pytest.mark.parametrize(
    "build",
    [
        lambda key: openai.Provider(key),
        lambda key: anthropic.Provider(key),
        lambda key: google.Provider(key),
        lambda key: azure.Provider("https://r.openai.azure.com", key),
        lambda key: openrouter.Provider(key),
        lambda key: bedrock.Provider(key),
    ],
    ids=["openai", "anthropic", "google", "azure", "openrouter", "bedrock"],
)
def test_a_key_with_a_newline_fails_at_once_without_showing_the_key(
    build: Callable[[str], Any],
) -> None:
    key = "sk-secret-0123456789\n"
    with pytest.raises(InvalidArgumentError) as info:
        build(key)
    assert "line break" in str(info.value)
    assert "sk-secret" not in str(info.value)


def test_a_header_that_cannot_be_sent_fails_at_once() -> None:
    with pytest.raises(InvalidArgumentError, match="header 'X-Team' contains a line break"):
        openai.Provider(ARG_KEY, headers={"X-Team": "a\r\nInjected: yes"})
    with pytest.raises(InvalidArgumentError, match="not a valid HTTP header name"):
        openai.Provider(ARG_KEY, headers={"X Team": "a"})
    with pytest.raises(InvalidArgumentError, match="non-ASCII"):
        anthropic.Provider(ARG_KEY, headers={"X-Team": "équipe"})
    with pytest.raises(InvalidArgumentError, match="user_agent"):
        google.Provider(ARG_KEY, user_agent="me\n")
