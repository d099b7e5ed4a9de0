"""The Anthropic and Bedrock providers over hand-made HTTP responses (httpx.MockTransport),
in both faces: URLs, headers, credentials, errors, streams, and agent round trips."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import sys
import traceback
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import fantasy
from fantasy.errors import InvalidArgumentError, MissingAPIKeyError, ProviderError
from fantasy.http.auth import MissingExtraError
from fantasy.http.eventstream import encode_message
from fantasy.model import Call, Response
from fantasy.providers import anthropic, bedrock
from fantasy.types import (
    FinishReason,
    Message,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolResultOutputMedia,
)

SECRET = "sk-ant-test-SECRET-0123456789"
HELLO = [Message(Role.USER, [TextPart("Hello")])]
SONNET = "claude-sonnet-4-20250514"
HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


# --------------------------------------------------------------------------- fake server


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], error: Exception | None = None):
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c
        if self.error is not None:
            raise self.error


Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    def __init__(self, *responses: httpx.Response | Exception | Handler):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        r = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(r, Exception):
            raise r
        if callable(r) and not isinstance(r, httpx.Response):
            return r(request)
        return r

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)


def message(*content: dict[str, Any], stop: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": list(content) or [{"type": "text", "text": "Olá!"}],
        "stop_reason": stop,
        "usage": {"input_tokens": 10, "output_tokens": 3},
    }


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def sse(*events: dict[str, Any]) -> list[bytes]:
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]


def stream_response(chunks: list[bytes], error: Exception | None = None) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Body(chunks, error)
    )


START = {
    "type": "message_start",
    "message": {"id": "msg_1", "content": [], "usage": {"input_tokens": 9, "output_tokens": 1}},
}
TEXT_EVENTS = [
    START,
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Olá!"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}},
    {"type": "message_stop"},
]


def anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: Any, call: Call) -> Response:
        if self.kind == "sync":
            return model.generate(call)  # type: ignore[no-any-return]
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
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)


def make_model(
    server: Server, model_id: str = SONNET, **kw: Any
) -> anthropic.MessagesLanguageModel:
    kw.setdefault("api_key", SECRET)
    return anthropic.Provider(transport=httpx.MockTransport(server), **kw).language_model(model_id)


def make_bedrock(
    server: Server, model_id: str = HAIKU, **kw: Any
) -> anthropic.MessagesLanguageModel:
    return bedrock.Provider(transport=httpx.MockTransport(server), **kw).language_model(model_id)


def only_error(parts: list[StreamPart]) -> BaseException:
    errors = [p for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1 and parts[-1].type is StreamPartType.ERROR
    assert not [p for p in parts if p.type is StreamPartType.FINISH]
    assert errors[0].error is not None
    return errors[0].error


def assert_no_secret(err: BaseException, secret: str = SECRET) -> None:
    for text in (str(err), repr(err), repr(vars(err)), "".join(traceback.format_exception(err))):
        assert secret not in text


# =========================================================================== configuration


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError, match="ANTHROPIC_API_KEY"):
        anthropic.Provider()


def test_request_shape_and_headers(face: Face) -> None:
    server = Server(json_response(message()))
    face.generate(make_model(server, headers={"X-Team": "a"}), Call(prompt=HELLO))
    req = server.request
    assert str(req.url) == "https://api.anthropic.com/v1/messages"
    assert req.headers["x-api-key"] == SECRET
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-team"] == "a"
    assert "authorization" not in req.headers
    assert "anthropic-beta" not in req.headers
    assert server.body() == {
        "max_tokens": 4096,
        "messages": [{"content": [{"text": "Hello", "type": "text"}], "role": "user"}],
        "model": SONNET,
    }


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://gateway.example/anthropic/")
    server = Server(json_response(message()))
    anthropic.Provider(transport=httpx.MockTransport(server)).language_model(SONNET).generate(
        Call(prompt=HELLO)
    )
    assert str(server.request.url) == "https://gateway.example/anthropic/v1/messages"
    assert server.request.headers["x-api-key"] == "env-key"


def test_auth_token_is_a_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")
    server = Server(json_response(message()))
    anthropic.Provider(transport=httpx.MockTransport(server)).language_model(SONNET).generate(
        Call(prompt=HELLO)
    )
    assert server.request.headers["authorization"] == "Bearer tok"
    assert "x-api-key" not in server.request.headers


def test_the_configured_key_wins_over_stray_headers() -> None:
    server = Server(json_response(message()))
    model = make_model(server, headers={"X-Api-Key": "stray", "Authorization": "Bearer stray"})
    model.generate(Call(prompt=HELLO))
    assert server.request.headers.get_list("x-api-key") == [SECRET]
    assert "authorization" not in server.request.headers


def test_user_can_pin_the_api_version() -> None:
    server = Server(json_response(message()))
    make_model(server, headers={"Anthropic-Version": "2099-01-01"}).generate(Call(prompt=HELLO))
    assert server.request.headers.get_list("anthropic-version") == ["2099-01-01"]


def test_repr_never_shows_the_key() -> None:
    provider = anthropic.Provider(api_key=SECRET)
    assert SECRET not in repr(provider)
    assert SECRET not in repr(provider.language_model(SONNET))
    assert provider.name == "anthropic"
    assert provider.language_model(SONNET).provider == "anthropic"


def test_per_call_headers_and_user_agent(face: Face) -> None:
    server = Server(json_response(message()))
    face.generate(
        make_model(server), Call(prompt=HELLO, user_agent="a/1", headers={"X-Trace": "t"})
    )
    assert server.request.headers.get_list("user-agent") == ["a/1"]
    assert server.request.headers["x-trace"] == "t"


def test_computer_use_goes_to_the_beta_api(face: Face) -> None:
    server = Server(json_response(message()))
    tool = anthropic.computer_use_definition(
        display_width_px=800, display_height_px=600, tool_version="computer_20251124"
    )
    face.generate(
        make_model(server), Call(prompt=HELLO, tools=[tool], headers={"anthropic-beta": "mine"})
    )
    assert str(server.request.url) == "https://api.anthropic.com/v1/messages?beta=true"
    assert server.request.headers.get_list("anthropic-beta") == ["mine,computer-use-2025-11-24"]


# =========================================================================== generate


def test_generate_parses_the_message(face: Face) -> None:
    server = Server(json_response(message()))
    response = face.generate(make_model(server), Call(prompt=HELLO, frequency_penalty=1))
    assert response.content.text == "Olá!"
    assert response.finish_reason is FinishReason.STOP
    assert response.usage.total_tokens == 13
    assert [w.setting for w in response.warnings] == ["FrequencyPenalty"]


def test_invalid_json_response(face: Face) -> None:
    server = Server(httpx.Response(200, content=b"<html>"))
    with pytest.raises(ProviderError, match="not valid JSON") as caught:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert caught.value.title == "invalid provider response"


@pytest.mark.parametrize(
    ("status", "kind", "title", "retryable"),
    [
        (400, "invalid_request_error", "bad request", False),
        (401, "authentication_error", "unauthorized", False),
        (429, "rate_limit_error", "too many requests", True),
        (500, "api_error", "internal server error", True),
        (529, "overloaded_error", "provider request failed", True),
    ],
)
def test_http_errors_keep_the_providers_message(
    face: Face, status: int, kind: str, title: str, retryable: bool
) -> None:
    server = Server(
        json_response(anthropic_error(kind, "the reason"), status, {"request-id": "r1"})
    )
    with pytest.raises(ProviderError) as caught:
        face.generate(make_model(server), Call(prompt=HELLO))
    error = caught.value
    assert (error.message, error.title, error.status_code) == ("the reason", title, status)
    assert error.is_retryable is retryable
    assert error.provider == "anthropic"
    assert error.url == "https://api.anthropic.com/v1/messages"
    assert error.response_headers["request-id"] == "r1"
    assert error.auth_error is (status == 401)
    assert_no_secret(error)


def test_overloaded_type_is_retryable_whatever_the_status() -> None:
    server = Server(json_response(anthropic_error("overloaded_error", "busy"), 400))
    with pytest.raises(ProviderError) as caught:
        make_model(server).generate(Call(prompt=HELLO))
    assert caught.value.is_retryable


def test_prompt_too_long_sets_context_limits() -> None:
    body = anthropic_error(
        "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
    )
    server = Server(json_response(body, 400))
    with pytest.raises(ProviderError) as caught:
        make_model(server).generate(Call(prompt=HELLO))
    error = caught.value
    assert error.is_context_too_large and error.context_too_large
    assert (error.context_used_tokens, error.context_max_tokens) == (210000, 200000)


def test_error_body_that_is_not_json() -> None:
    server = Server(httpx.Response(502, content=b"Bad Gateway from the proxy"))
    with pytest.raises(ProviderError) as caught:
        make_model(server).generate(Call(prompt=HELLO))
    assert caught.value.message == "Bad Gateway from the proxy"
    assert caught.value.is_retryable


def test_network_failure_is_retryable(face: Face) -> None:
    server = Server(httpx.ConnectError("connection refused"))
    with pytest.raises(ProviderError) as caught:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert caught.value.is_retryable


def test_invalid_options_raise_before_any_request(face: Face) -> None:
    server = Server(json_response(message()))
    call = Call(prompt=HELLO, provider_options={"anthropic": "thinking please"})
    with pytest.raises(InvalidArgumentError):
        face.generate(make_model(server), call)
    with pytest.raises(InvalidArgumentError):
        face.stream(make_model(server), call)
    assert server.requests == []


# =========================================================================== stream


def test_stream_text(face: Face) -> None:
    server = Server(stream_response(sse(*TEXT_EVENTS)))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    assert server.body()["stream"] is True
    assert [p.type for p in parts] == [
        StreamPartType.TEXT_START,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_END,
        StreamPartType.FINISH,
    ]
    assert parts[-1].usage is not None and parts[-1].usage.output_tokens == 4


def test_stream_error_event_mid_stream_is_retryable(face: Face) -> None:
    error_event = json.dumps(anthropic_error("overloaded_error", "Overloaded")).encode()
    chunks = [*sse(*TEXT_EVENTS[:3]), b"event: error\ndata: " + error_event + b"\n\n"]
    parts = face.stream(make_model(server := Server(stream_response(chunks))), Call(prompt=HELLO))
    error = only_error(parts)
    assert isinstance(error, ProviderError)
    assert (error.message, error.title) == ("Overloaded", "provider overloaded")
    assert error.is_retryable
    assert error.url == str(server.request.url)


def test_truncated_stream_is_a_retryable_incomplete_error(face: Face) -> None:
    server = Server(stream_response(sse(*TEXT_EVENTS[:-1])))
    error = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(error, ProviderError) and error.is_retryable
    assert "unexpected EOF" in str(error)


def test_connection_dropped_mid_stream(face: Face) -> None:
    server = Server(stream_response(sse(*TEXT_EVENTS[:3]), httpx.ReadError("reset")))
    error = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(error, ProviderError) and error.is_retryable


def test_stream_http_error(face: Face) -> None:
    server = Server(json_response(anthropic_error("rate_limit_error", "slow down"), 429))
    error = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(error, ProviderError)
    assert (error.message, error.status_code, error.is_retryable) == ("slow down", 429, True)


# =========================================================================== vertex


def vertex_model(server: Server, **kw: Any) -> anthropic.MessagesLanguageModel:
    provider = anthropic.Provider(
        vertex_project="proj",
        vertex_location="us-east5",
        transport=httpx.MockTransport(server),
        **kw,
    )
    return provider.language_model("claude-3-7-sonnet@20250219")


def test_vertex_needs_project_and_location() -> None:
    with pytest.raises(InvalidArgumentError, match="vertex_project and vertex_location"):
        anthropic.Provider(vertex_project="p")


def test_vertex_with_a_given_token(face: Face) -> None:
    server = Server(stream_response(sse(*TEXT_EVENTS)))
    parts = face.stream(
        vertex_model(server, vertex_token="ya29.token", api_key=SECRET), Call(prompt=HELLO)
    )
    assert parts[-1].type is StreamPartType.FINISH
    req = server.request
    assert str(req.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/proj/locations/us-east5/"
        "publishers/anthropic/models/claude-3-7-sonnet@20250219:streamRawPredict"
    )
    assert req.headers["authorization"] == "Bearer ya29.token"
    assert "x-api-key" not in req.headers
    body = server.body()
    assert body["anthropic_version"] == "vertex-2023-10-16" and body["stream"] is True
    assert "model" not in body


def test_vertex_token_functions_sync_and_async(face: Face) -> None:
    calls: list[str] = []

    def sync_token() -> str:
        calls.append("sync")
        return "t-sync"

    async def async_token() -> str:
        calls.append("async")
        return "t-async"

    for source, expected in ((sync_token, "t-sync"), (async_token, "t-async")):
        server = Server(json_response(message()))
        face.generate(vertex_model(server, vertex_token=source), Call(prompt=HELLO))
        assert server.request.headers["authorization"] == f"Bearer {expected}"
        assert str(server.request.url).endswith(":rawPredict")
    assert calls == ["sync", "async"]


def test_vertex_skip_auth_sends_no_credentials() -> None:
    server = Server(json_response(message()))
    vertex_model(server, skip_auth=True, headers={"Authorization": "kept"}).generate(
        Call(prompt=HELLO)
    )
    assert server.request.headers["authorization"] == "kept"


class _GoogleAuthError(Exception):
    pass


class _FakeGoogleCredentials:
    """Stands in for google-auth credentials: a token that is fetched when first needed."""

    def __init__(self) -> None:
        self.valid = False
        self.token = ""
        self.refreshes = 0

    def before_request(
        self, request: object, method: str, url: str, headers: dict[str, str]
    ) -> None:
        if not self.valid:
            self.refreshes += 1
            self.valid = True
            self.token = f"adc-{self.refreshes}"
        headers["authorization"] = f"Bearer {self.token}"


def _fake_google(monkeypatch: pytest.MonkeyPatch, default: Callable[..., Any]) -> None:
    modules = {
        "google.auth": types.SimpleNamespace(default=default),
        "google.auth.transport.requests": types.SimpleNamespace(Request=lambda: object()),
        "google.auth.exceptions": types.SimpleNamespace(GoogleAuthError=_GoogleAuthError),
    }
    real = importlib.import_module
    monkeypatch.setattr(
        importlib, "import_module", lambda name: modules[name] if name in modules else real(name)
    )


def test_vertex_application_default_credentials_refresh_once(
    monkeypatch: pytest.MonkeyPatch, face: Face
) -> None:
    creds = _FakeGoogleCredentials()
    scopes: list[Any] = []

    def default(scopes: Any = None) -> tuple[Any, str]:
        asked.append(scopes)
        return creds, "proj"

    asked = scopes
    _fake_google(monkeypatch, default)
    server = Server(json_response(message()), json_response(message()))
    model = vertex_model(server)
    face.generate(model, Call(prompt=HELLO))
    face.generate(model, Call(prompt=HELLO))
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer adc-1", "Bearer adc-1"]
    assert scopes == [["https://www.googleapis.com/auth/cloud-platform"]]
    assert creds.refreshes == 1


def test_vertex_credential_failure_is_an_auth_error(
    monkeypatch: pytest.MonkeyPatch, face: Face
) -> None:
    def default(scopes: Any = None) -> Any:
        raise _GoogleAuthError("no ADC configured")

    _fake_google(monkeypatch, default)
    server = Server(json_response(message()))
    with pytest.raises(ProviderError) as caught:
        face.generate(vertex_model(server), Call(prompt=HELLO))
    assert caught.value.auth_error
    assert "no ADC configured" in caught.value.message
    assert caught.value.provider == "anthropic"
    parts = face.stream(vertex_model(server), Call(prompt=HELLO))
    assert isinstance(only_error(parts), ProviderError)
    assert server.requests == []


def test_missing_google_auth_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def missing(name: str) -> Any:
        if name.startswith("google"):
            raise ImportError(f"No module named {name!r}")
        return real(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(fantasy.FantasyError, match=r"fantasy\[vertex\]"):
        vertex_model(Server(json_response(message()))).generate(Call(prompt=HELLO))


# =========================================================================== bedrock


def bedrock_frames(*events: dict[str, Any]) -> list[bytes]:
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    out = []
    for event in events:
        wrapped = base64.b64encode(json.dumps(event).encode()).decode()
        out.append(encode_message(headers, json.dumps({"bytes": wrapped, "p": "abc"}).encode()))
    return out


def eventstream_response(frames: list[bytes]) -> httpx.Response:
    raw = b"".join(frames)
    pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    return httpx.Response(
        200, headers={"content-type": "application/vnd.amazon.eventstream"}, stream=Body(pieces)
    )


def test_bedrock_api_key_and_stream(face: Face) -> None:
    server = Server(eventstream_response(bedrock_frames(*TEXT_EVENTS)))
    model = make_bedrock(server, api_key="bedrock-key", headers={"Authorization": "stray"})
    parts = face.stream(model, Call(prompt=HELLO, tools=[], tool_choice="auto"))
    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "Olá!"
    assert parts[-1].type is StreamPartType.FINISH
    req = server.request
    assert str(req.url) == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream"
    )
    assert req.headers.get_list("authorization") == ["Bearer bedrock-key"]
    assert "anthropic-version" not in req.headers
    body = server.body()
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert "stream" not in body and "model" not in body
    assert model.provider == "bedrock"


def test_bedrock_generate_region_and_no_parallel_flag(face: Face) -> None:
    server = Server(json_response(message()))
    model = make_bedrock(server, api_key="k", region="eu-west-1")
    weather = fantasy.FunctionTool("weather", "w", {"properties": {}, "required": []})
    face.generate(model, Call(prompt=HELLO, tools=[weather], tool_choice="auto"))
    assert str(server.request.url).startswith(
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
    )
    assert str(server.request.url).endswith("/invoke")
    assert server.body()["tool_choice"] == {"type": "auto"}


def test_bedrock_bearer_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    server = Server(json_response(message()))
    make_bedrock(server).generate(Call(prompt=HELLO))
    assert server.request.headers["authorization"] == "Bearer env-bearer"
    assert "ap-northeast-1" in str(server.request.url)


def test_bedrock_exception_frame_mid_stream(face: Face) -> None:
    exception = encode_message(
        {":exception-type": "throttlingException", ":message-type": "exception"},
        b'{"message":"Too many requests"}',
    )
    server = Server(eventstream_response([*bedrock_frames(*TEXT_EVENTS[:3]), exception]))
    error = only_error(face.stream(make_bedrock(server, skip_auth=True), Call(prompt=HELLO)))
    assert isinstance(error, ProviderError)
    assert error.message == "received exception throttlingException: Too many requests"
    assert error.is_retryable and error.provider == "bedrock"


def test_bedrock_corrupt_frame_mid_stream(face: Face) -> None:
    frames = bedrock_frames(*TEXT_EVENTS)
    damaged = bytearray(frames[2])
    damaged[30] ^= 0x01
    frames[2] = bytes(damaged)
    parts = face.stream(
        make_bedrock(Server(eventstream_response(frames)), skip_auth=True), Call(prompt=HELLO)
    )
    error = only_error(parts)
    assert isinstance(error, ProviderError) and "checksum" in error.message
    # Nothing from the damaged frame was passed on as text.
    assert [p.type for p in parts[:-1]] == [StreamPartType.TEXT_START]


def test_bedrock_json_error_body(face: Face) -> None:
    server = Server(
        json_response(
            {"message": "The security token included in the request is expired"},
            403,
            {"x-amzn-ErrorType": "ExpiredTokenException"},
        )
    )
    with pytest.raises(ProviderError) as caught:
        face.generate(make_bedrock(server, api_key="k"), Call(prompt=HELLO))
    error = caught.value
    assert error.message == "The security token included in the request is expired"
    assert (error.status_code, error.auth_error, error.is_retryable) == (403, True, False)


class _FakeSigner:
    """Stands in for botocore's SigV4Auth: records what it signed."""

    signed: list[tuple[str, str, bytes, dict[str, str], Any, str, str]] = []

    def __init__(self, credentials: Any, service: str, region: str):
        self.credentials, self.service, self.region = credentials, service, region

    def add_auth(self, request: Any) -> None:
        self.signed.append(
            (
                request.method,
                request.url,
                request.data,
                dict(request.headers),
                self.credentials,
                self.service,
                self.region,
            )
        )
        request.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/..."
        request.headers["X-Amz-Date"] = "20260101T000000Z"
        request.headers["X-Amz-Security-Token"] = "session"


class _FakeAWSRequest:
    def __init__(self, method: str, url: str, data: bytes, headers: dict[str, str]):
        self.method, self.url, self.data, self.headers = method, url, data, dict(headers)


class _FakeCredentials:
    def __init__(self, key: str, secret: str, token: str | None):
        self.parts = (key, secret, token)
        self.frozen = 0

    def get_frozen_credentials(self) -> Any:
        self.frozen += 1
        return self.parts


def _fake_botocore(monkeypatch: pytest.MonkeyPatch, chain: Any = None) -> None:
    session = types.SimpleNamespace(
        Session=lambda profile=None: types.SimpleNamespace(
            get_credentials=lambda: chain, get_config_variable=lambda name: "us-west-2"
        )
    )
    modules = {
        "botocore.auth": types.SimpleNamespace(SigV4Auth=_FakeSigner),
        "botocore.awsrequest": types.SimpleNamespace(AWSRequest=_FakeAWSRequest),
        "botocore.credentials": types.SimpleNamespace(Credentials=_FakeCredentials),
        "botocore.session": session,
    }
    real = importlib.import_module
    monkeypatch.setattr(
        importlib, "import_module", lambda name: modules[name] if name in modules else real(name)
    )
    _FakeSigner.signed = []


def test_bedrock_sigv4_signs_the_exact_request(monkeypatch: pytest.MonkeyPatch, face: Face) -> None:
    _fake_botocore(monkeypatch)
    server = Server(json_response(message()))
    model = make_bedrock(
        server,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalr",
        aws_session_token="session",
    )
    face.generate(model, Call(prompt=HELLO, headers={"X-Trace": "t"}))
    [(method, url, data, headers, creds, service, region)] = _FakeSigner.signed
    req = server.request
    assert (method, url, service, region) == ("POST", str(req.url), "bedrock", "us-west-2")
    assert data == req.content
    assert headers["X-Trace"] == "t" and "Authorization" not in headers
    assert creds == ("AKIDEXAMPLE", "wJalr", "session")
    assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert req.headers["x-amz-date"] == "20260101T000000Z"
    assert req.headers["x-amz-security-token"] == "session"
    # Every header that was signed went out unchanged.
    for name, value in headers.items():
        assert req.headers[name] == value


def test_bedrock_sigv4_with_the_default_chain_refreshes_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain = _FakeCredentials("AKID", "secret", None)
    _fake_botocore(monkeypatch, chain)
    server = Server(json_response(message()), json_response(message()))
    model = make_bedrock(server)
    model.generate(Call(prompt=HELLO))
    model.generate(Call(prompt=HELLO))
    assert chain.frozen == 2
    assert "us-west-2" in str(server.requests[0].url)


def test_bedrock_without_any_aws_credentials(monkeypatch: pytest.MonkeyPatch, face: Face) -> None:
    _fake_botocore(monkeypatch, chain=None)
    server = Server(json_response(message()))
    with pytest.raises(ProviderError, match="no AWS credentials found") as caught:
        face.generate(make_bedrock(server), Call(prompt=HELLO))
    assert caught.value.auth_error
    assert server.requests == []


def test_bedrock_sigv4_needs_a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_botocore(monkeypatch)
    from fantasy.providers.bedrock import provider as bedrock_provider

    monkeypatch.setattr(bedrock_provider, "aws_region", lambda profile=None: None)
    with pytest.raises(InvalidArgumentError, match="AWS_REGION"):
        bedrock.Provider()


def test_bedrock_sigv4_with_real_botocore(face: Face) -> None:
    import botocore  # noqa: F401  (the dev extra installs it: a missing one fails here)

    server = Server(json_response(message()))
    model = make_bedrock(
        server, region="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
    )
    face.generate(model, Call(prompt=HELLO))
    authorization = server.request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request" in authorization
    assert "secret" not in authorization


def test_missing_botocore_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def missing(name: str) -> Any:
        if name.startswith("botocore"):
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(MissingExtraError, match=r"fantasy\[bedrock\]"):
        bedrock.Provider()


def test_provider_modules_are_not_imported_by_fantasy() -> None:
    import subprocess

    code = (
        "import sys, fantasy\n"
        "assert 'fantasy.providers.anthropic' not in sys.modules\n"
        "from fantasy.providers import anthropic, bedrock\n"
        "heavy = {'httpx', 'pydantic', 'botocore', 'google.auth', 'asyncio'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# =========================================================================== agent round trips


def test_thinking_signature_goes_back_with_history(face: Face) -> None:
    first = message(
        {"type": "thinking", "thinking": "Need the weather.", "signature": "SIG"},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"location": "Florence"}},
        stop="tool_use",
    )
    server = Server(
        json_response(first), json_response(message({"type": "text", "text": "40 C in Florence"}))
    )

    @fantasy.tool(name="weather", description="Get weather")
    def weather(location: str) -> str:
        return "40 C"

    agent = fantasy.Agent(make_model(server), tools=[weather])
    options = {
        "anthropic": anthropic.ProviderOptions(
            thinking=anthropic.ThinkingOptions(budget_tokens=2000)
        )
    }
    if face.kind == "sync":
        result = agent.generate("Weather?", provider_options=options)
    else:
        result = asyncio.run(agent.agenerate("Weather?", provider_options=options))
    assert result.text == "40 C in Florence"
    assistant = server.body(1)["messages"][1]["content"]
    assert assistant[0] == {"signature": "SIG", "thinking": "Need the weather.", "type": "thinking"}
    assert assistant[1]["type"] == "tool_use"


def test_computer_use_tool_runs_on_the_client_and_returns_a_screenshot(face: Face) -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    seen: list[anthropic.ComputerUseInput] = []

    def run(call: fantasy.ToolCall) -> fantasy.ToolResponse:
        seen.append(anthropic.parse_computer_use_input(call.input))
        return fantasy.ToolResponse.image(png, "image/png")

    computer = anthropic.computer_use_tool(
        run, display_width_px=1024, display_height_px=768, tool_version="computer_20250124"
    )
    first = message(
        {
            "type": "tool_use",
            "id": "toolu_1",
            "name": "computer",
            "input": {"action": "left_click", "coordinate": [10, 20]},
        },
        stop="tool_use",
    )
    server = Server(
        json_response(first), json_response(message({"type": "text", "text": "Clicked."}))
    )
    agent = fantasy.Agent(make_model(server), provider_tools=[computer])
    if face.kind == "sync":
        result = agent.generate("Click it")
    else:
        result = asyncio.run(agent.agenerate("Click it"))
    assert result.text == "Clicked."
    assert seen == [anthropic.ComputerUseInput(action="left_click", coordinate=(10, 20))]
    assert all(str(r.url).endswith("?beta=true") for r in server.requests)
    tool_result = server.body(1)["messages"][2]["content"][0]
    assert tool_result == {
        "tool_use_id": "toolu_1",
        "content": [
            {
                "source": {
                    "data": base64.b64encode(png).decode(),
                    "media_type": "image/png",
                    "type": "base64",
                },
                "type": "image",
            }
        ],
        "type": "tool_result",
    }


def test_computer_use_helpers() -> None:
    assert anthropic.is_computer_use_tool(
        anthropic.computer_use_tool(
            lambda c: "", display_width_px=1, display_height_px=1, tool_version="computer_20251124"
        )
    )
    assert not anthropic.is_computer_use_tool(anthropic.web_search_tool())
    part = anthropic.screenshot_result("toolu_1", b"\x89PNG")
    assert part.output == ToolResultOutputMedia(base64.b64encode(b"\x89PNG").decode(), "image/png")
    assert anthropic.error_result("t", "failed").output == fantasy.ToolResultOutputError("failed")
    assert anthropic.text_result("t", "ok").output == fantasy.ToolResultOutputText("ok")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"action":"left_click","coordinate":[1]}', "coordinate: expected 2 elements, got 1"),
        ('{"action":"left_click","coordinate":[1,2,3]}', "expected 2 elements, got 3"),
        ('{"action":"left_click_drag","start_coordinate":[1]}', "start_coordinate"),
        ('{"action":"zoom","region":[1,2,3]}', "region: expected 4 elements"),
        ('{"action":"left_click","coordinate":"1,2"}', "expected an array"),
        ("[1]", "JSON object"),
    ],
)
def test_parse_computer_use_input_rejects_bad_shapes(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        anthropic.parse_computer_use_input(text)


def test_parse_computer_use_input_fields() -> None:
    parsed = anthropic.parse_computer_use_input(
        '{"action":"scroll","coordinate":[5.0,6],"scroll_direction":"down","scroll_amount":3,'
        '"text":"shift","region":[0,0,10,10],"duration":1.5}'
    )
    assert parsed == anthropic.ComputerUseInput(
        action=anthropic.ComputerAction.SCROLL,
        coordinate=(5, 6),
        text="shift",
        scroll_direction="down",
        scroll_amount=3,
        duration=1.5,
        region=(0, 0, 10, 10),
    )
