"""Azure OpenAI on the v1 path: URL rewrite, api-key header, environment, and OpenAI's
codec with options under the "openai" key. Go: providers/azure/*_test.go."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import fantasy
from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.model import Call, Response
from fantasy.providers import azure, openai
from fantasy.providers.azure import v1_base_url
from fantasy.types import (
    FinishReason,
    Message,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    Usage,
)

SECRET = "azure-SECRET-0123456789abcdef"
ENDPOINT = "https://fantasy-playground-resource.openai.azure.com"
HELLO = [Message(Role.USER, [TextPart("Hello")])]


# =========================================================================== URL rewrite


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        # TestParseAzureURL, case for case.
        ("https://my-resource.openai.azure.com", "https://my-resource.openai.azure.com/openai/v1"),
        ("https://my-resource.openai.azure.com/", "https://my-resource.openai.azure.com/openai/v1"),
        (
            "https://my-resource.cognitiveservices.azure.com",
            "https://my-resource.openai.azure.com/openai/v1",
        ),
        (
            "https://fantasy-playground-resource.services.ai.azure.com/api/projects/fantasy-playground",
            "https://fantasy-playground-resource.openai.azure.com/openai/v1",
        ),
        ("my-resource.openai.azure.com", "https://my-resource.openai.azure.com/openai/v1"),
        (
            "my-resource.cognitiveservices.azure.com",
            "https://my-resource.openai.azure.com/openai/v1",
        ),
        (
            "fantasy-playground-resource.services.ai.azure.com/api/projects/fantasy-playground",
            "https://fantasy-playground-resource.openai.azure.com/openai/v1",
        ),
        (
            "https://my-complex-resource-123.openai.azure.com",
            "https://my-complex-resource-123.openai.azure.com/openai/v1",
        ),
        (
            "https://fantasy-playground-resource.cognitiveservices.azure.com/",
            "https://fantasy-playground-resource.openai.azure.com/openai/v1",
        ),
        (
            "http://my-resource.openai.azure.com/openai/deployments/x",
            "https://my-resource.openai.azure.com/openai/v1",
        ),
        ("https://non.sense.com", "https://non.sense.com"),
        ("example.com", "https://example.com"),
        ("https://custom-endpoint.example.com", "https://custom-endpoint.example.com"),
        ("custom-endpoint.example.com", "https://custom-endpoint.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_v1_base_url(endpoint: str, expected: str) -> None:
    assert v1_base_url(endpoint) == expected


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://my.resource.openai.azure.com",  # a dot is not part of a resource name
        "https://my-resource.openai.azure.com.evil.example",
        "https://my-resource.blob.core.windows.net",
    ],
)
def test_lookalike_hosts_are_not_rewritten(endpoint: str) -> None:
    assert v1_base_url(endpoint) == endpoint


# =========================================================================== fake server


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


class Server:
    def __init__(self, *responses: httpx.Response):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.request.content)
        return data


def completion(text: str = "Hi!") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 30,
            "total_tokens": 42,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 20},
        },
    }


def text_chunk(text: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if text is None else {"content": text}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def json_response(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=data)


def stream_response(*payloads: dict[str, Any]) -> httpx.Response:
    chunks = [f"data: {json.dumps(p)}\n\n".encode() for p in payloads] + [b"data: [DONE]\n\n"]
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body(chunks))


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: Any, call: Call) -> Response:
        if self.kind == "sync":
            result: Response = model.generate(call)
            return result
        return asyncio.run(model.agenerate(call))

    def stream(self, model: Any, call: Call) -> list[StreamPart]:
        if self.kind == "sync":
            return list(model.stream(call))

        async def collect() -> list[StreamPart]:
            return [p async for p in model.astream(call)]

        return asyncio.run(collect())

    def __repr__(self) -> str:
        return self.kind


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> Face:
    return Face(request.param)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def make_model(
    server: Server, model_id: str = "gpt-5-mini", endpoint: str = ENDPOINT, **kw: Any
) -> Any:
    kw.setdefault("api_key", SECRET)
    provider = azure.Provider(endpoint, transport=httpx.MockTransport(server), **kw)
    return provider.language_model(model_id)


# =========================================================================== requests


def test_request_url_and_api_key_header(face: Face) -> None:
    server = Server(json_response(completion()))
    face.generate(make_model(server), Call(prompt=HELLO))
    request = server.request
    assert str(request.url) == (
        "https://fantasy-playground-resource.openai.azure.com/openai/v1/chat/completions"
    )
    assert request.url.query == b""  # no api-version
    assert request.headers["api-key"] == SECRET
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    "endpoint",
    [
        "fantasy-playground-resource.openai.azure.com",
        "https://fantasy-playground-resource.cognitiveservices.azure.com/",
        "https://fantasy-playground-resource.services.ai.azure.com/api/projects/p",
    ],
)
def test_every_resource_url_form_reaches_the_v1_path(endpoint: str) -> None:
    server = Server(json_response(completion()))
    make_model(server, endpoint=endpoint).generate(Call(prompt=HELLO))
    assert str(server.request.url) == (
        "https://fantasy-playground-resource.openai.azure.com/openai/v1/chat/completions"
    )


def test_other_urls_are_kept() -> None:
    server = Server(json_response(completion()))
    make_model(server, endpoint="proxy.example.com/azure").generate(Call(prompt=HELLO))
    assert str(server.request.url) == "https://proxy.example.com/azure/chat/completions"


def test_an_authorization_header_is_never_sent(face: Face) -> None:
    # The SDK's azure.WithAPIKey deletes Authorization; the key travels as api-key only.
    server = Server(json_response(completion()))
    model = make_model(
        server, headers={"Authorization": "Bearer stray", "Api-Key": "other", "X-Team": "a"}
    )
    face.generate(model, Call(prompt=HELLO))
    request = server.request
    assert "authorization" not in request.headers
    assert request.headers.get_list("api-key") == [SECRET]
    assert request.headers["x-team"] == "a"


def test_stream_request(face: Face) -> None:
    server = Server(stream_response(text_chunk("Hel"), text_chunk("lo", "stop")))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["Hel", "lo"]
    assert parts[-1].type is StreamPartType.FINISH
    assert parts[-1].finish_reason is FinishReason.STOP
    request = server.request
    assert str(request.url).endswith("/openai/v1/chat/completions")
    assert request.headers["api-key"] == SECRET
    assert "authorization" not in request.headers
    body = server.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_reasoning_models_as_recorded(face: Face) -> None:
    # TestAzureCommon: o4-mini and gpt-5-mini are reasoning models on this path.
    for model_id in ("o4-mini", "gpt-5-mini"):
        server = Server(json_response(completion()))
        face.generate(make_model(server, model_id), Call(prompt=HELLO, max_output_tokens=4000))
        body = server.body()
        assert body["max_completion_tokens"] == 4000
        assert "max_tokens" not in body
        assert body["model"] == model_id


def test_options_are_read_under_the_openai_key(face: Face) -> None:
    # TestAzureThinking: {"openai": {ReasoningEffort: high}} → "reasoning_effort":"high".
    server = Server(json_response(completion()))
    call = Call(
        prompt=HELLO, provider_options={"openai": openai.ProviderOptions(reasoning_effort="high")}
    )
    response = face.generate(make_model(server), call)
    assert server.body()["reasoning_effort"] == "high"
    assert response.usage == Usage(
        input_tokens=10, output_tokens=30, total_tokens=42, reasoning_tokens=20, cache_read_tokens=2
    )
    # Metadata is OpenAI's, under "openai", as on OpenAI's own provider.
    assert isinstance(response.provider_metadata["openai"], openai.ProviderMetadata)


def test_options_under_the_azure_key_are_ignored() -> None:
    server = Server(json_response(completion()))
    call = Call(prompt=HELLO, provider_options={"azure": openai.ProviderOptions(user="u")})
    make_model(server).generate(call)
    assert "user" not in server.body()


def test_wrong_option_type_fails_before_any_request(face: Face) -> None:
    server = Server(json_response(completion()))
    call = Call(prompt=HELLO, provider_options={"openai": {"reasoning_effort": "high"}})
    with pytest.raises(InvalidArgumentError):
        face.generate(make_model(server), call)
    assert server.requests == []


def test_system_role_is_kept() -> None:
    server = Server(json_response(completion()))
    prompt = [Message(Role.SYSTEM, [TextPart("You are a helpful assistant")]), *HELLO]
    make_model(server, "o4-mini").generate(Call(prompt=prompt))
    assert server.body()["messages"][0] == {
        "role": "system",
        "content": "You are a helpful assistant",
    }


# =========================================================================== configuration


def test_provider_name_is_azure() -> None:
    provider = azure.Provider(ENDPOINT, SECRET)
    assert provider.name == "azure"
    model = provider.language_model("gpt-5-mini")
    assert model.provider == "azure"
    assert model.model == "gpt-5-mini"
    assert provider.base_url == "https://fantasy-playground-resource.openai.azure.com/openai/v1"


def test_endpoint_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "env-resource.cognitiveservices.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    server = Server(json_response(completion()))
    azure.Provider(transport=httpx.MockTransport(server)).language_model("o4-mini").generate(
        Call(prompt=HELLO)
    )
    assert (
        str(server.request.url)
        == "https://env-resource.openai.azure.com/openai/v1/chat/completions"
    )
    assert server.request.headers["api-key"] == "env-key"


def test_explicit_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "env-resource.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    server = Server(json_response(completion()))
    make_model(server).generate(Call(prompt=HELLO))
    assert str(server.request.url).startswith(
        "https://fantasy-playground-resource.openai.azure.com/"
    )
    assert server.request.headers["api-key"] == SECRET


def test_missing_endpoint_names_the_variable() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        azure.Provider(api_key=SECRET)
    assert "AZURE_OPENAI_ENDPOINT" in str(info.value)


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenAI's own variable is not a fallback.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(MissingAPIKeyError) as info:
        azure.Provider(ENDPOINT)
    assert "AZURE_OPENAI_API_KEY" in str(info.value)
    with pytest.raises(MissingAPIKeyError):
        azure.Provider(ENDPOINT, "")


def test_repr_never_shows_the_key() -> None:
    provider = azure.Provider(ENDPOINT, SECRET)
    assert SECRET not in repr(provider)
    assert SECRET not in repr(provider.language_model("o4-mini"))


def test_default_user_agent(face: Face) -> None:
    server = Server(json_response(completion()))
    face.generate(make_model(server), Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == [
        f"fantasy-python/{fantasy.__version__}"
    ]


def test_explicit_user_agent_wins_over_headers() -> None:
    server = Server(json_response(completion()))
    model = make_model(server, user_agent="explicit-ua", headers={"User-Agent": "from-headers"})
    model.generate(Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == ["explicit-ua"]


# =========================================================================== Responses API


def responses_body(text: str = "Olá!") -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "usage": {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15},
    }


def test_responses_api_on_the_v1_path(face: Face) -> None:
    # TestAzureResponsesCommon: …/openai/v1/responses, key in api-key, role developer.
    server = Server(json_response(responses_body()))
    model = make_model(server, "gpt-5-mini", use_responses_api=True)
    assert isinstance(model, openai.ResponsesLanguageModel)
    assert model.provider == "azure"
    prompt = [Message(Role.SYSTEM, [TextPart("You are a helpful assistant")]), *HELLO]
    call = Call(
        prompt=prompt,
        provider_options={
            "openai": openai.ResponsesProviderOptions(
                include=["reasoning.encrypted_content"],
                reasoning_effort="high",
                reasoning_summary="auto",
            )
        },
    )
    response = face.generate(model, call)
    assert response.text == "Olá!"
    request = server.request
    assert str(request.url) == (
        "https://fantasy-playground-resource.openai.azure.com/openai/v1/responses"
    )
    assert request.headers["api-key"] == SECRET
    assert "authorization" not in request.headers
    body = server.body()
    assert body["input"][0] == {"content": "You are a helpful assistant", "role": "developer"}
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}


def test_chat_unless_responses_are_asked_for() -> None:
    server = Server(json_response(completion()))
    model = make_model(server, "gpt-5-mini")
    assert not isinstance(model, openai.ResponsesLanguageModel)
    model.generate(Call(prompt=HELLO))
    assert str(server.request.url).endswith("/openai/v1/chat/completions")
