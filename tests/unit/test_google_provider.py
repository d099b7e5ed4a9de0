"""The Google provider over hand-made HTTP responses (httpx.MockTransport), in both faces:
configuration, URLs, auth, errors, and the thought-signature round trip through the agent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

import fantasy
from fantasy.errors import FantasyError, InvalidArgumentError, MissingAPIKeyError, ProviderError
from fantasy.model import Call, Response
from fantasy.providers import google
from fantasy.types import FinishReason, StreamPart, StreamPartType, Usage, user_message

SECRET = "AIza-test-SECRET-0123456789abcdef"
TOKEN = "ya29.SECRET-TOKEN"
HELLO = [user_message("Hello")]
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
VERTEX_URL = (
    "https://us-east5-aiplatform.googleapis.com/v1beta1/projects/proj/locations/us-east5"
    "/publishers/google/models/gemini-2.5-flash"
)
ENVS = (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_REGION",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
)


# --------------------------------------------------------------------------- fake server


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given chunks, optionally failing after them."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None):
        self.chunks = chunks
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Server:
    """Answers each request with the next scripted response and keeps the requests."""

    def __init__(self, *responses: httpx.Response | Exception):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        r = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(r, Exception):
            raise r
        return r

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)  # type: ignore[no-any-return]


def reply(*parts: dict[str, Any], finish: str | None = "STOP") -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7},
    }


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def sse(*payloads: Any) -> bytes:
    return b"".join(f"data: {json.dumps(p)}\r\n\r\n".encode() for p in payloads)


def stream_response(chunks: list[bytes], error: Exception | None = None) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Body(chunks, error)
    )


def error_body(
    code: int, message: str, status: str, details: list[Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


# --------------------------------------------------------------------------- faces


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: google.GeminiLanguageModel, call: Call) -> Response:
        if self.kind == "sync":
            return model.generate(call)
        return asyncio.run(model.agenerate(call))

    def stream(self, model: google.GeminiLanguageModel, call: Call) -> list[StreamPart]:
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
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)


def make_model(server: Server, model_id: str = "gemini-2.5-flash", **kw: Any) -> Any:
    if not kw.get("vertex") and "project" not in kw:
        kw.setdefault("api_key", SECRET)
    provider = google.Provider(transport=httpx.MockTransport(server), **kw)
    return provider.language_model(model_id)


def vertex_model(server: Server, model_id: str = "gemini-2.5-flash", **kw: Any) -> Any:
    kw.setdefault("token", TOKEN)
    return make_model(server, model_id, vertex=True, project="proj", location="us-east5", **kw)


def assert_no_secret(err: BaseException) -> None:
    texts = [str(err), repr(err), repr(vars(err)), "".join(traceback.format_exception(err))]
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text


def only_error(parts: list[StreamPart]) -> BaseException:
    errors = [p for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1
    assert parts[-1].type is StreamPartType.ERROR
    assert not [p for p in parts if p.type is StreamPartType.FINISH]
    assert errors[0].error is not None
    return errors[0].error


# =========================================================================== configuration


def test_missing_api_key_names_the_variables() -> None:
    with pytest.raises(MissingAPIKeyError) as info:
        google.Provider()
    assert "GOOGLE_API_KEY" in str(info.value) and "GEMINI_API_KEY" in str(info.value)
    with pytest.raises(MissingAPIKeyError):
        google.Provider(api_key="")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GEMINI_API_KEY": "from-gemini"}, "from-gemini"),
        ({"GOOGLE_API_KEY": "from-google", "GEMINI_API_KEY": "from-gemini"}, "from-google"),
    ],
)
def test_api_key_from_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server = Server(json_response(reply({"text": "hi"})))
    google.Provider(transport=httpx.MockTransport(server)).language_model("m").generate(
        Call(prompt=HELLO)
    )
    assert server.request.headers["x-goog-api-key"] == expected


def test_key_goes_in_a_header_never_in_the_url(face: Face) -> None:
    server = Server(
        json_response(reply({"text": "hi"})), stream_response([sse(reply({"text": "hi"}))])
    )
    model = make_model(server, headers={"X-Goog-Api-Key": "stray", "X-Team": "a"})
    face.generate(model, Call(prompt=HELLO))
    face.stream(model, Call(prompt=HELLO))
    for request in server.requests:
        assert SECRET not in str(request.url)
        assert request.headers.get_list("x-goog-api-key") == [SECRET]
        assert request.headers["x-team"] == "a"
        assert request.headers["content-type"] == "application/json"
        assert "authorization" not in request.headers
    assert str(server.requests[0].url) == f"{GEMINI_URL}:generateContent"
    assert str(server.requests[1].url) == f"{GEMINI_URL}:streamGenerateContent?alt=sse"


def test_repr_never_shows_the_key_or_token() -> None:
    provider = google.Provider(api_key=SECRET)
    vertex = google.Provider(project="p", token=TOKEN)
    for text in (
        repr(provider),
        repr(provider.language_model("m")),
        repr(vertex),
        repr(vertex.auth),
    ):
        assert SECRET not in text and TOKEN not in text


@pytest.mark.parametrize(
    ("model_id", "url"),
    [
        (
            "gemini-2.5-pro",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro",
        ),
        (
            "models/gemini-2.5-pro",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro",
        ),
        ("tunedModels/mine", "https://generativelanguage.googleapis.com/v1beta/tunedModels/mine"),
    ],
)
def test_gemini_model_urls(model_id: str, url: str) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    make_model(server, model_id).generate(Call(prompt=HELLO))
    assert str(server.request.url) == f"{url}:generateContent"


def test_base_url_from_argument_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    make_model(server, base_url="http://proxy.local/gemini/").generate(Call(prompt=HELLO))
    assert str(server.requests[0].url) == (
        "http://proxy.local/gemini/v1beta/models/gemini-2.5-flash:generateContent"
    )
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "http://env.local")
    make_model(server).generate(Call(prompt=HELLO))
    assert str(server.requests[1].url).startswith("http://env.local/v1beta/models/")


@pytest.mark.parametrize(
    ("location", "model_id", "url"),
    [
        ("us-east5", "gemini-2.5-flash", VERTEX_URL),
        (
            "global",
            "gemini-2.5-flash",
            "https://aiplatform.googleapis.com/v1beta1/projects/proj/locations/global"
            "/publishers/google/models/gemini-2.5-flash",
        ),
        (
            "eu",
            "gemini-2.5-flash",
            "https://aiplatform.eu.rep.googleapis.com/v1beta1/projects/proj/locations/eu"
            "/publishers/google/models/gemini-2.5-flash",
        ),
        (
            "us-east5",
            "meta/llama-3",
            "https://us-east5-aiplatform.googleapis.com/v1beta1/projects/proj/locations/us-east5"
            "/publishers/meta/models/llama-3",
        ),
        (
            "us-east5",
            "projects/other/locations/x/endpoints/123",
            "https://us-east5-aiplatform.googleapis.com/v1beta1/projects/other/locations/x"
            "/endpoints/123",
        ),
    ],
)
def test_vertex_model_urls(location: str, model_id: str, url: str) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    make_model(server, model_id, project="proj", location=location, token=TOKEN).generate(
        Call(prompt=HELLO)
    )
    assert str(server.request.url) == f"{url}:generateContent"


def test_vertex_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "True")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    monkeypatch.setenv("GOOGLE_CLOUD_REGION", "us-east5")
    monkeypatch.setenv("GOOGLE_API_KEY", SECRET)  # the Vertex switch wins over a stray key
    server = Server(json_response(reply({"text": "hi"})))
    provider = google.Provider(token=TOKEN, transport=httpx.MockTransport(server))
    assert provider.vertex
    provider.language_model("gemini-2.5-flash").generate(Call(prompt=HELLO))
    assert str(server.request.url) == f"{VERTEX_URL}:generateContent"
    assert "x-goog-api-key" not in server.request.headers


def test_vertex_location_defaults_to_global() -> None:
    provider = google.Provider(project="proj", skip_auth=True)
    assert provider.location == "global"
    assert provider.base_url == "https://aiplatform.googleapis.com"


def test_vertex_needs_a_project() -> None:
    with pytest.raises(InvalidArgumentError, match="GOOGLE_CLOUD_PROJECT"):
        google.Provider(vertex=True, location="us-east5")


def test_an_explicit_key_chooses_the_gemini_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "1")
    assert not google.Provider(api_key=SECRET).vertex


def test_claude_on_vertex_goes_through_the_anthropic_provider(face: Face) -> None:
    """As in Fantasy: same project, location, auth and HTTP settings, Anthropic's API."""
    message = {
        "id": "msg_vrtx_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-7-sonnet-20250219",
        "content": [{"type": "text", "text": "Olá!"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    server = Server(json_response(message))
    model = vertex_model(server, model_id="claude-3-7-sonnet@20250219")
    assert model.provider == "anthropic"
    resp = face.generate(model, Call(prompt=HELLO, max_output_tokens=100))
    assert resp.text == "Olá!"
    assert str(server.request.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/proj/locations/us-east5"
        "/publishers/anthropic/models/claude-3-7-sonnet@20250219:rawPredict"
    )
    assert server.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert server.body()["anthropic_version"] == "vertex-2023-10-16"


def test_claude_needs_vertex() -> None:
    with pytest.raises(InvalidArgumentError, match="Vertex AI only"):
        google.Provider(api_key=SECRET).language_model("claude-3-7-sonnet@20250219")


@pytest.mark.parametrize("model_id", ["", "gemini?key=x", "a&b", "../admin"])
def test_invalid_model_ids(model_id: str) -> None:
    with pytest.raises(InvalidArgumentError):
        google.Provider(api_key=SECRET).language_model(model_id)


def test_model_identity() -> None:
    model = google.Provider(api_key=SECRET).language_model("gemini-2.5-pro")
    assert model.provider == "google"
    assert model.model == "gemini-2.5-pro"
    assert google.Provider(api_key=SECRET, name="custom").language_model("m").provider == "custom"


def test_default_user_agent_and_per_call_headers(face: Face) -> None:
    server = Server(json_response(reply({"text": "hi"})), json_response(reply({"text": "hi"})))
    model = make_model(server, user_agent="my-app/1")
    face.generate(model, Call(prompt=HELLO, user_agent="call/2", headers={"X-Trace": "t"}))
    face.generate(model, Call(prompt=HELLO))
    first, second = server.requests
    assert first.headers.get_list("user-agent") == ["call/2"]
    assert first.headers["x-trace"] == "t"
    assert second.headers.get_list("user-agent") == ["my-app/1"]
    assert "x-trace" not in second.headers


# =========================================================================== Vertex auth


def test_vertex_skip_auth_sends_no_credentials(face: Face) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    face.generate(vertex_model(server, token=None, skip_auth=True), Call(prompt=HELLO))
    assert "authorization" not in server.request.headers
    assert "x-goog-api-key" not in server.request.headers


def test_vertex_skip_auth_keeps_a_proxys_own_header() -> None:
    server = Server(json_response(reply({"text": "hi"})))
    model = vertex_model(
        server, token=None, skip_auth=True, headers={"Authorization": "Bearer proxy"}
    )
    model.generate(Call(prompt=HELLO))
    assert server.request.headers.get_list("authorization") == ["Bearer proxy"]


def test_vertex_token(face: Face) -> None:
    server = Server(
        json_response(reply({"text": "hi"})), stream_response([sse(reply({"text": "hi"}))])
    )
    model = vertex_model(server, headers={"Authorization": "Bearer stray"})
    face.generate(model, Call(prompt=HELLO))
    face.stream(model, Call(prompt=HELLO))
    for request in server.requests:
        assert request.headers.get_list("authorization") == [f"Bearer {TOKEN}"]


def test_vertex_token_provider_sync_and_async(face: Face) -> None:
    calls: list[str] = []

    def sync_token() -> str:
        calls.append("sync")
        return "tok-sync"

    async def async_token() -> str:
        calls.append("async")
        return "tok-async"

    server = Server(json_response(reply({"text": "hi"})))
    face.generate(vertex_model(server, token=None, token_provider=sync_token), Call(prompt=HELLO))
    face.generate(vertex_model(server, token=None, token_provider=async_token), Call(prompt=HELLO))
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer tok-sync",
        "Bearer tok-async",
    ]
    assert calls == ["sync", "async"]


def test_vertex_token_provider_must_return_a_token() -> None:
    server = Server(json_response(reply({"text": "hi"})))
    model = vertex_model(server, token=None, token_provider=lambda: "")
    with pytest.raises(FantasyError, match="no token"):
        model.generate(Call(prompt=HELLO))
    assert server.requests == []


class FakeCredentials:
    """google-auth's credentials protocol, as far as the provider uses it."""

    def __init__(self) -> None:
        self.refreshes = 0

    def before_request(self, request: Any, method: str, url: str, headers: dict[str, str]) -> None:
        self.refreshes += 1
        headers["authorization"] = f"Bearer refreshed-{self.refreshes}"
        headers["x-goog-user-project"] = "quota"


class FakeGoogleAuth:
    """Stands in for the google.auth modules, which are an optional extra."""

    class exceptions:
        class GoogleAuthError(Exception):
            pass

    class Request:
        pass

    def __init__(self, credentials: Any = None, error: Exception | None = None):
        self.credentials = credentials
        self.error = error
        self.scopes: list[str] = []

    def default(self, scopes: list[str]) -> tuple[Any, str]:
        self.scopes = scopes
        if self.error is not None:
            raise self.error
        return self.credentials, "project"


def install_google_auth(monkeypatch: pytest.MonkeyPatch, fake: FakeGoogleAuth) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", fake)
    monkeypatch.setitem(sys.modules, "google.auth.transport.requests", fake)
    monkeypatch.setitem(sys.modules, "google.auth.exceptions", fake.exceptions)


def test_vertex_credentials_object(face: Face, monkeypatch: pytest.MonkeyPatch) -> None:
    install_google_auth(monkeypatch, FakeGoogleAuth())
    credentials = FakeCredentials()
    server = Server(
        json_response(reply({"text": "hi"})), stream_response([sse(reply({"text": "hi"}))])
    )
    model = vertex_model(server, token=None, credentials=credentials)
    face.generate(model, Call(prompt=HELLO))
    face.stream(model, Call(prompt=HELLO))
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer refreshed-1",
        "Bearer refreshed-2",
    ]
    assert server.requests[0].headers["x-goog-user-project"] == "quota"


def test_vertex_application_default_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGoogleAuth(FakeCredentials())
    install_google_auth(monkeypatch, fake)
    server = Server(json_response(reply({"text": "hi"})))
    vertex_model(server, token=None).generate(Call(prompt=HELLO))
    assert fake.scopes == ["https://www.googleapis.com/auth/cloud-platform"]
    assert server.request.headers["authorization"] == "Bearer refreshed-1"


def test_vertex_credentials_failure_is_an_auth_error(
    face: Face, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeGoogleAuth(error=FakeGoogleAuth.exceptions.GoogleAuthError("no ADC found"))
    install_google_auth(monkeypatch, fake)
    server = Server(json_response(reply({"text": "hi"})))
    with pytest.raises(ProviderError) as info:
        face.generate(vertex_model(server, token=None), Call(prompt=HELLO))
    assert info.value.auth_error and info.value.title == "authentication failed"
    assert server.requests == []


def test_vertex_without_google_auth_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    server = Server(json_response(reply({"text": "hi"})))
    with pytest.raises(FantasyError, match=r"fantasy\[vertex\]"):
        vertex_model(server, token=None).generate(Call(prompt=HELLO))


def test_imports_stay_light() -> None:
    """`import fantasy` leaves the provider alone; the provider loads no SDK, no httpx."""
    code = (
        "import sys, fantasy; a = 'fantasy.providers.google' in sys.modules; "
        "import fantasy.providers.google; "
        "heavy = ('google.auth', 'httpx', 'pydantic', 'requests'); "
        "print(a, [m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "[]"]


# =========================================================================== success


def test_generate(face: Face) -> None:
    server = Server(json_response(reply({"text": "Olá!"})))
    resp = face.generate(make_model(server), Call(prompt=HELLO, top_p=0.5))
    assert resp.text == "Olá!"
    assert resp.finish_reason is FinishReason.STOP
    assert resp.usage == Usage(input_tokens=5, output_tokens=2, total_tokens=7)
    assert server.body()["generationConfig"] == {"topP": 0.5}


def test_generate_returns_the_warnings(face: Face) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    options = {
        "google": google.ProviderOptions(thinking_config=google.ThinkingConfig(thinking_budget=1))
    }
    resp = face.generate(make_model(server), Call(prompt=HELLO, provider_options=options))
    assert [w.message for w in resp.warnings] == [
        "The 'thinking_budget' option can not be under 128 and will be set to 128 by default"
    ]


def test_stream(face: Face) -> None:
    raw = sse(reply({"text": "Ol"}, finish=None), reply({"text": "á!"}))
    pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    server = Server(stream_response(pieces))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    assert [p.type for p in parts] == [
        StreamPartType.TEXT_START,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_END,
        StreamPartType.FINISH,
    ]
    assert "".join(p.delta for p in parts) == "Olá!"


def test_injected_tool_call_ids(face: Face) -> None:
    ids = iter(["id-a", "id-b"])
    server = Server(json_response(reply({"functionCall": {"name": "f", "args": {}}})))
    model = make_model(server, tool_call_id=lambda: next(ids))
    resp = face.generate(model, Call(prompt=HELLO))
    assert [c.tool_call_id for c in resp.content.tool_calls] == ["id-a"]


def test_bad_options_fail_before_any_request(face: Face) -> None:
    server = Server(json_response(reply({"text": "hi"})))
    model = make_model(server)
    bad = Call(prompt=HELLO, provider_options={"google": {"thinking_config": {}}})
    with pytest.raises(InvalidArgumentError):
        face.generate(model, bad)
    with pytest.raises(InvalidArgumentError):
        face.stream(model, bad)
    with pytest.raises(InvalidArgumentError):
        face.generate(model, Call(prompt=[]))
    assert server.requests == []


def test_non_json_success_body_is_a_provider_error(face: Face) -> None:
    server = Server(httpx.Response(200, text="<html>oops</html>"))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.title == "invalid provider response"
    assert_no_secret(info.value)


# =========================================================================== HTTP errors


@pytest.mark.parametrize(
    ("status", "grpc", "title", "retryable"),
    [
        (400, "INVALID_ARGUMENT", "bad request", False),
        (403, "PERMISSION_DENIED", "forbidden", False),
        (404, "NOT_FOUND", "not found", False),
        (429, "RESOURCE_EXHAUSTED", "too many requests", True),
        (500, "INTERNAL", "internal server error", True),
        (503, "UNAVAILABLE", "service unavailable", True),
    ],
)
def test_http_errors_generate(
    face: Face, status: int, grpc: str, title: str, retryable: bool
) -> None:
    body = error_body(status, f"google says {status}", grpc)
    server = Server(json_response(body, status=status, headers={"Retry-After": "3"}))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.status_code == status
    assert err.title == title
    assert err.message == f"google says {status}"
    assert str(err) == f"{title}: google says {status}"
    assert err.is_retryable is retryable
    assert err.auth_error is (status == 403)
    assert err.url == f"{GEMINI_URL}:generateContent"
    assert err.provider == "google"
    assert err.response_headers["retry-after"] == "3"
    assert json.loads(err.request_body)["contents"][0]["parts"] == [{"text": "Hello"}]
    assert json.loads(err.response_body) == body
    assert_no_secret(err)


def test_invalid_api_key_is_an_auth_error(face: Face) -> None:
    body = error_body(
        400,
        "API key not valid. Please pass a valid API key.",
        "INVALID_ARGUMENT",
        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
    )
    server = Server(json_response(body, status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.auth_error and not info.value.is_retryable
    assert_no_secret(info.value)


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (429, True), (500, True), (503, True)]
)
def test_http_errors_stream(face: Face, status: int, retryable: bool) -> None:
    # The streaming endpoint may wrap its error object in a list.
    server = Server(json_response([error_body(status, "nope", "X")], status=status))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.status_code == status
    assert err.message == "nope"
    assert err.is_retryable is retryable
    assert err.url == f"{GEMINI_URL}:streamGenerateContent?alt=sse"
    assert_no_secret(err)


def test_context_too_large(face: Face) -> None:
    message = (
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
    )
    server = Server(json_response(error_body(400, message, "INVALID_ARGUMENT"), status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert (err.context_used_tokens, err.context_max_tokens) == (1200000, 1048576)
    assert err.is_context_too_large and err.context_too_large


def test_non_json_error_body_keeps_the_raw_text(face: Face) -> None:
    server = Server(httpx.Response(502, text="upstream connect error"))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.message == "upstream connect error"
    assert info.value.title == "bad gateway"
    assert info.value.is_retryable


def test_error_code_in_the_body_wins(face: Face) -> None:
    server = Server(json_response(error_body(429, "quota", "RESOURCE_EXHAUSTED"), status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.status_code == 429 and info.value.is_retryable


def test_in_stream_error(face: Face) -> None:
    raw = sse(reply({"text": "a"}, finish=None), error_body(503, "overloaded", "UNAVAILABLE"))
    parts = face.stream(make_model(server := Server(stream_response([raw]))), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError) and err.message == "overloaded" and err.is_retryable
    assert server.request.method == "POST"


def test_stream_cut_before_finish_is_retryable(face: Face) -> None:
    server = Server(stream_response([sse(reply({"text": "a"}, finish=None))]))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError) and err.is_retryable
    assert err.message == "unexpected EOF"


def test_network_error_generate(face: Face) -> None:
    server = Server(httpx.ConnectError("connection refused"))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.is_retryable
    assert_no_secret(info.value)


def test_network_error_mid_stream(face: Face) -> None:
    server = Server(
        stream_response([sse(reply({"text": "a"}, finish=None))], httpx.ReadError("reset"))
    )
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError) and err.is_retryable
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["a"]


def test_breaking_out_of_a_sync_stream_closes_the_response() -> None:
    body = Body([sse(reply({"text": "a"}, finish=None)), sse(reply({"text": "b"}))])
    server = Server(httpx.Response(200, stream=body))
    stream = make_model(server).stream(Call(prompt=HELLO))
    next(iter(stream))
    stream.close()  # type: ignore[attr-defined]
    assert body.closed


# =========================================================================== through the agent


class WeatherInput(BaseModel):
    location: str = Field(description="the city")


@fantasy.tool(name="weather", description="Get weather information for a location")
def weather(inp: WeatherInput) -> fantasy.ToolResponse:
    return fantasy.ToolResponse.text("40 C")


SIG = "CiQBvj72+y6VX8BA4jMLQJOJvw=="


def counter() -> Callable[[], str]:
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return str(count)

    return next_id


@pytest.mark.parametrize("vertex", [False, True])
@pytest.mark.parametrize("mode", ["generate", "agenerate", "stream", "astream"])
def test_thought_signature_round_trip(mode: str, vertex: bool) -> None:
    """The signature Gemini puts on a function call comes back on that call next turn;
    thought text never does; Vertex gets no ids."""
    first = reply(
        {"text": "I should call the tool", "thought": True},
        {
            "functionCall": {"name": "weather", "args": {"location": "Florence"}},
            "thoughtSignature": SIG,
        },
    )
    second = reply({"text": "It is 40 C in Florence."})
    if mode in ("stream", "astream"):
        server = Server(stream_response([sse(first)]), stream_response([sse(second)]))
    else:
        server = Server(json_response(first), json_response(second))
    kw: dict[str, Any] = {"vertex": True, "project": "proj", "skip_auth": True} if vertex else {}
    model = make_model(server, tool_call_id=counter(), **kw)
    agent = fantasy.Agent(model, system_prompt="You are a helpful assistant", tools=[weather])
    options = {
        "google": google.ProviderOptions(
            thinking_config=google.ThinkingConfig(include_thoughts=True)
        )
    }
    if mode == "generate":
        result = agent.generate("Weather?", provider_options=options)
    elif mode == "agenerate":
        result = asyncio.run(agent.agenerate("Weather?", provider_options=options))
    elif mode == "stream":
        result = agent.stream("Weather?", provider_options=options).result
    else:
        result = asyncio.run(agent.astream("Weather?", provider_options=options).collect())
    assert result.response.content.text == "It is 40 C in Florence."
    call: dict[str, Any] = {"args": {"location": "Florence"}, "name": "weather"}
    answer: dict[str, Any] = {"name": "weather", "response": {"result": "40 C"}}
    if not vertex:
        call["id"] = answer["id"] = "1"
    assert server.body(1)["contents"] == [
        {"parts": [{"text": "Weather?"}], "role": "user"},
        {"parts": [{"functionCall": call, "thoughtSignature": SIG}], "role": "model"},
        {"parts": [{"functionResponse": answer}], "role": "user"},
    ]
    assert server.body(1)["generationConfig"] == {"thinkingConfig": {"includeThoughts": True}}
    reasoning = result.steps[0].content.reasoning
    assert [r.text for r in reasoning] == ["I should call the tool"]
    assert reasoning[0].provider_metadata == {
        "google": google.ReasoningMetadata(signature=SIG, tool_id="1")
    }
