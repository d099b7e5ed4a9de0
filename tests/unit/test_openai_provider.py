"""The OpenAI provider over hand-made HTTP responses (httpx.MockTransport), in both faces."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import fantasy
from fantasy.errors import InvalidArgumentError, MissingAPIKeyError, ProviderError
from fantasy.model import Call, Response
from fantasy.providers import openai
from fantasy.types import (
    FinishReason,
    Message,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    Usage,
)

SECRET = "sk-test-SECRET-0123456789abcdef"
HELLO = [Message(Role.USER, [TextPart("Hello")])]


# --------------------------------------------------------------------------- fake server


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given chunks, optionally failing after them."""

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


def sse(*payloads: Any, done: bool = True) -> list[bytes]:
    """SSE chunks: one ``data:`` event per payload (dicts become JSON), then ``[DONE]``."""
    out = [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads]
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Answers each request with the next scripted response and keeps the requests."""

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


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def stream_response(
    chunks: list[bytes], error: Exception | None = None, status: int = 200
) -> httpx.Response:
    return httpx.Response(
        status, headers={"content-type": "text/event-stream"}, stream=Body(chunks, error)
    )


def completion(text: str = "Hi!", finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 3,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def text_chunk(text: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if text is None else {"content": text}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


USAGE_CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "choices": [],
    "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
}


def error_body(
    message: str, type: str = "invalid_request_error", code: Any = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


# --------------------------------------------------------------------------- faces


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: openai.ChatLanguageModel, call: Call) -> Response:
        if self.kind == "sync":
            return model.generate(call)
        return asyncio.run(model.agenerate(call))

    def stream(self, model: openai.ChatLanguageModel, call: Call) -> list[StreamPart]:
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
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def make_model(server: Server, model_id: str = "gpt-4o", **kw: Any) -> openai.ChatLanguageModel:
    kw.setdefault("api_key", SECRET)
    provider = openai.Provider(transport=httpx.MockTransport(server), **kw)
    return provider.language_model(model_id)


def assert_no_secret(err: BaseException) -> None:
    texts = [
        str(err),
        repr(err),
        repr(vars(err)),
        "".join(traceback.format_exception(err)),
    ]
    for text in texts:
        assert SECRET not in text
        assert f"Bearer {SECRET}" not in text


def only_error(parts: list[StreamPart]) -> BaseException:
    errors = [p for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1
    assert parts[-1].type is StreamPartType.ERROR
    assert not [p for p in parts if p.type is StreamPartType.FINISH]
    assert errors[0].error is not None
    return errors[0].error


# =========================================================================== configuration


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError) as info:
        openai.Provider()
    assert "OPENAI_API_KEY" in str(info.value)
    assert isinstance(info.value, InvalidArgumentError)


def test_empty_api_key_is_missing() -> None:
    with pytest.raises(MissingAPIKeyError):
        openai.Provider(api_key="")


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch, face: Face) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server = Server(json_response(completion()))
    model = openai.Provider(transport=httpx.MockTransport(server)).language_model("gpt-4o")
    face.generate(model, Call(prompt=HELLO))
    assert server.request.headers["authorization"] == "Bearer sk-from-env"


def test_explicit_key_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server = Server(json_response(completion()))
    make_model(server).generate(Call(prompt=HELLO))
    assert server.request.headers["authorization"] == f"Bearer {SECRET}"


def test_repr_never_shows_the_key() -> None:
    provider = openai.Provider(api_key=SECRET)
    assert SECRET not in repr(provider)
    assert SECRET not in repr(provider.language_model("gpt-4o"))


def test_request_shape(face: Face) -> None:
    server = Server(json_response(completion()))
    model = make_model(server)
    face.generate(model, Call(prompt=HELLO, max_output_tokens=50))
    req = server.request
    assert req.method == "POST"
    assert str(req.url) == "https://api.openai.com/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/json"
    assert server.body() == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 50,
    }


def test_stream_request_body(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("a", "stop"))))
    face.stream(make_model(server), Call(prompt=HELLO))
    body = server.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_default_user_agent(face: Face) -> None:
    server = Server(json_response(completion()))
    face.generate(make_model(server), Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == [
        f"fantasy-python/{fantasy.__version__}"
    ]


def test_provider_user_agent(face: Face) -> None:
    server = Server(json_response(completion()))
    face.generate(make_model(server, user_agent="my-app/1.0"), Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == ["my-app/1.0"]


def test_user_agent_in_headers_is_normalised(face: Face) -> None:
    server = Server(json_response(completion()))
    model = make_model(server, headers={"user-agent": "from-headers/2", "X-Team": "a"})
    face.generate(model, Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == ["from-headers/2"]
    assert server.request.headers["x-team"] == "a"


def test_explicit_user_agent_wins_over_headers() -> None:
    server = Server(json_response(completion()))
    model = make_model(server, user_agent="explicit/1", headers={"User-Agent": "headers/1"})
    model.generate(Call(prompt=HELLO))
    assert server.request.headers.get_list("user-agent") == ["explicit/1"]


def test_per_call_user_agent_and_headers(face: Face) -> None:
    server = Server(json_response(completion()), json_response(completion()))
    model = make_model(server, headers={"X-Team": "a"})
    face.generate(model, Call(prompt=HELLO, user_agent="agent/3", headers={"X-Trace": "t1"}))
    face.generate(model, Call(prompt=HELLO))
    first, second = server.requests
    assert first.headers.get_list("user-agent") == ["agent/3"]
    assert first.headers["x-trace"] == "t1"
    assert first.headers["x-team"] == "a"
    # Per-call settings do not stick to the provider.
    assert second.headers.get_list("user-agent") == [f"fantasy-python/{fantasy.__version__}"]
    assert "x-trace" not in second.headers


def test_per_call_headers_override_case_insensitively(face: Face) -> None:
    server = Server(json_response(completion()))
    model = make_model(server, headers={"X-Team": "a"})
    face.generate(model, Call(prompt=HELLO, headers={"user-agent": "call/1", "x-team": "b"}))
    assert server.request.headers.get_list("user-agent") == ["call/1"]
    assert server.request.headers.get_list("x-team") == ["b"]


def test_per_call_headers_on_stream(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("a", "stop"))))
    face.stream(make_model(server), Call(prompt=HELLO, user_agent="s/1", headers={"X-A": "1"}))
    assert server.request.headers.get_list("user-agent") == ["s/1"]
    assert server.request.headers["x-a"] == "1"


def test_organization_and_project_headers() -> None:
    server = Server(json_response(completion()))
    make_model(server, organization="org-1", project="proj-1").generate(Call(prompt=HELLO))
    assert server.request.headers["openai-organization"] == "org-1"
    assert server.request.headers["openai-project"] == "proj-1"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        (
            "https://api.z.ai/api/coding/paas/v4",
            "https://api.z.ai/api/coding/paas/v4/chat/completions",
        ),
        (
            "https://api.z.ai/api/coding/paas/v4/",
            "https://api.z.ai/api/coding/paas/v4/chat/completions",
        ),
        ("http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
        ("", "https://api.openai.com/v1/chat/completions"),
    ],
)
def test_base_url_join(base_url: str, expected: str) -> None:
    server = Server(json_response(completion()))
    make_model(server, base_url=base_url).generate(Call(prompt=HELLO))
    assert str(server.request.url) == expected


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example/v1/")
    server = Server(json_response(completion()))
    make_model(server).generate(Call(prompt=HELLO))
    assert str(server.request.url) == "https://proxy.example/v1/chat/completions"


def test_model_identity() -> None:
    model = openai.Provider(api_key=SECRET).language_model("gpt-4o-mini")
    assert model.provider == "openai"
    assert model.model == "gpt-4o-mini"
    assert openai.Provider(api_key=SECRET, name="custom").language_model("m").provider == "custom"


# =========================================================================== success


def test_generate(face: Face) -> None:
    server = Server(json_response(completion("Hello there")))
    resp = face.generate(make_model(server), Call(prompt=HELLO))
    assert resp.text == "Hello there"
    assert resp.finish_reason is FinishReason.STOP
    assert resp.usage == Usage(
        input_tokens=10, output_tokens=3, total_tokens=15, cache_read_tokens=2
    )
    assert resp.warnings == []


def test_generate_warnings_are_returned(face: Face) -> None:
    server = Server(json_response(completion()))
    resp = face.generate(make_model(server), Call(prompt=HELLO, top_k=3))
    assert [w.setting for w in resp.warnings] == ["top_k"]


def test_stream(face: Face) -> None:
    chunks = sse(
        text_chunk(""),
        text_chunk("Hel"),
        text_chunk("lo"),
        text_chunk(None, "stop"),
        USAGE_CHUNK,
    )
    # OpenRouter-style keep-alive comments, and the bytes split awkwardly.
    raw = b": OPENROUTER PROCESSING\n\n" + b"".join(chunks)
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
    assert "".join(p.delta for p in parts) == "Hello"
    assert parts[-1].usage == Usage(input_tokens=8, output_tokens=2, total_tokens=10)
    assert parts[-1].finish_reason is FinishReason.STOP


def test_stream_ignores_events_without_data(face: Face) -> None:
    raw = b"event: ping\n\n" + b"".join(sse(text_chunk("x", "stop")))
    server = Server(stream_response([raw]))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    assert parts[-1].type is StreamPartType.FINISH


def test_stream_without_done_marker_still_finishes(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("x", "stop"), done=False)))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    assert parts[-1].type is StreamPartType.FINISH


def test_stream_warnings_part(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("x", "stop"))))
    parts = face.stream(make_model(server), Call(prompt=HELLO, top_k=1))
    assert parts[0].type is StreamPartType.WARNINGS


def test_bad_options_fail_before_any_request(face: Face) -> None:
    server = Server(json_response(completion()))
    model = make_model(server)
    bad = Call(prompt=HELLO, provider_options={"openai": {"user": "x"}})
    with pytest.raises(InvalidArgumentError):
        face.generate(model, bad)
    with pytest.raises(InvalidArgumentError):
        face.stream(model, bad)
    effort = Call(
        prompt=HELLO, provider_options={"openai": openai.ProviderOptions(reasoning_effort="huge")}
    )  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        face.generate(model, effort)
    assert server.requests == []


def test_non_json_success_body_is_a_provider_error(face: Face) -> None:
    server = Server(httpx.Response(200, text="<html>oops</html>"))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.title == "invalid provider response"
    assert_no_secret(info.value)


# =========================================================================== HTTP errors


@pytest.mark.parametrize(
    ("status", "title", "retryable"),
    [
        (400, "bad request", False),
        (401, "unauthorized", False),
        (403, "forbidden", False),
        (404, "not found", False),
        (408, "request timeout", True),
        (409, "conflict", True),
        (429, "too many requests", True),
        (500, "internal server error", True),
        (503, "service unavailable", True),
    ],
)
def test_http_errors_generate(face: Face, status: int, title: str, retryable: bool) -> None:
    server = Server(json_response(error_body(f"provider says {status}"), status=status))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.status_code == status
    assert err.title == title
    assert err.message == f"provider says {status}"
    assert str(err) == f"{title}: provider says {status}"
    assert err.is_retryable is retryable
    assert err.auth_error is (status == 401)
    assert err.url == "https://api.openai.com/v1/chat/completions"
    assert err.provider == "openai"
    assert json.loads(err.request_body)["model"] == "gpt-4o"
    assert json.loads(err.response_body) == error_body(f"provider says {status}")
    assert_no_secret(err)


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (429, True), (500, True)])
def test_http_errors_stream(face: Face, status: int, retryable: bool) -> None:
    server = Server(json_response(error_body("nope"), status=status))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.status_code == status
    assert err.message == "nope"
    assert err.is_retryable is retryable
    assert_no_secret(err)


def test_retry_after_headers_are_visible(face: Face) -> None:
    server = Server(
        json_response(
            error_body("Rate limit reached", "requests", "rate_limit_exceeded"),
            status=429,
            headers={"Retry-After": "2", "Retry-After-Ms": "1500", "X-Request-Id": "req_1"},
        )
    )
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    headers = info.value.response_headers
    assert headers["retry-after"] == "2"
    assert headers["retry-after-ms"] == "1500"
    assert headers["x-request-id"] == "req_1"
    assert "authorization" not in headers


def test_x_should_retry_header(face: Face) -> None:
    server = Server(
        json_response(error_body("odd"), status=400, headers={"x-should-retry": "true"})
    )
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.is_retryable


@pytest.mark.parametrize(
    ("message", "used", "maximum"),
    [
        (
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130542 tokens. Please reduce the length of the messages.",
            130542,
            128000,
        ),
        (
            "This model's maximum context length is 8192 tokens, however you requested "
            "~9000 tokens (8000 in your prompt; 1000 for the completion).",
            9000,
            8192,
        ),
        ("Range of input length should be [1, 30720]", 0, 30720),
        ("Range of input length should be [1,30720]", 0, 30720),
        ("Input too long: 250000 input tokens, limit is 200000", 250000, 200000),
        ("Input too long:250000 input tokens,limit is 200000", 250000, 200000),
    ],
)
def test_context_length_errors(face: Face, message: str, used: int, maximum: int) -> None:
    server = Server(json_response(error_body(message, code="context_length_exceeded"), status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.context_used_tokens == used
    assert err.context_max_tokens == maximum
    assert err.is_context_too_large
    assert not err.is_retryable


def test_non_json_error_body_keeps_the_raw_text(face: Face) -> None:
    server = Server(httpx.Response(502, text="<html>Bad gateway from upstream</html>"))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.title == "bad gateway"
    assert err.message == "<html>Bad gateway from upstream</html>"
    assert err.is_retryable


def test_error_without_message_keeps_the_raw_body(face: Face) -> None:
    server = Server(json_response({"status": "weird"}, status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.message == '{"status":"weird"}'


def test_a_fastapi_detail_is_the_message(face: Face) -> None:
    server = Server(json_response({"detail": "weird"}, status=400))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.message == "weird"


def test_unknown_status_title(face: Face) -> None:
    server = Server(json_response(error_body("x"), status=599))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.title == "provider request failed"
    assert info.value.is_retryable


def test_401_message_never_contains_the_key(face: Face) -> None:
    server = Server(json_response(error_body("Incorrect API key provided"), status=401))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert_no_secret(info.value)
    assert server.request.headers["authorization"] == f"Bearer {SECRET}"


# =========================================================================== stream errors


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [
        ("server_error", True),
        ("internal_error", True),
        ("overloaded_error", True),
        ("api_error", True),
        ("rate_limit_error", True),
        ("invalid_request_error", False),
    ],
)
def test_in_stream_error_event(face: Face, kind: str, retryable: bool) -> None:
    payload = {"error": {"message": "The server had an error", "type": kind}}
    server = Server(stream_response(sse(text_chunk("par"), payload, text_chunk("x", "stop"))))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert err.title == "stream error"
    assert err.message == "The server had an error"
    assert err.status_code == 0
    assert err.is_retryable is retryable
    assert json.loads(err.response_body) == payload
    # Nothing after the error: the final chunk is never translated.
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["par"]
    assert_no_secret(err)


def test_in_stream_error_code_is_used_when_type_missing(face: Face) -> None:
    server = Server(stream_response(sse({"error": {"message": "busy", "code": "server_error"}})))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.is_retryable


def test_in_stream_error_without_message(face: Face) -> None:
    server = Server(stream_response(sse({"error": {"type": "server_error"}})))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.message.startswith("received error while streaming: ")


def test_invalid_json_chunk_is_an_error_part(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("a"), "{not json", text_chunk("b", "stop"))))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert err.title == "invalid provider response"
    assert "b" not in [p.delta for p in parts]


def test_stream_cut_before_finish_is_retryable(face: Face) -> None:
    chunks = sse(text_chunk("Hel"), text_chunk("lo"), text_chunk(None, "stop"), done=False)
    # The body ends in the middle of the event that carries finish_reason.
    cut = b"".join(chunks)
    cut = cut[: cut.rindex(b"data:") + 20]
    server = Server(stream_response([cut]))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert err.is_retryable
    assert err.title == "stream transport error"
    assert "".join(p.delta for p in parts) == "Hello"


def test_empty_stream_body_is_retryable(face: Face) -> None:
    server = Server(stream_response([]))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.is_retryable


def test_done_without_finish_reason_is_retryable(face: Face) -> None:
    server = Server(stream_response(sse(text_chunk("Hel"))))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.is_retryable


# =========================================================================== network errors


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
def test_network_error_generate(face: Face, exc: Exception) -> None:
    server = Server(exc)
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.is_retryable
    assert err.status_code == 0
    assert err.__cause__ is exc
    assert_no_secret(err)


def test_network_error_opening_a_stream(face: Face) -> None:
    server = Server(httpx.ConnectError("connection refused"))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.is_retryable
    assert_no_secret(err)


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadError("connection reset by peer"), httpx.RemoteProtocolError("peer closed")],
)
def test_network_error_mid_stream(face: Face, exc: Exception) -> None:
    server = Server(stream_response(sse(text_chunk("Hel"), done=False), error=exc))
    parts = face.stream(make_model(server), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert err.is_retryable
    assert err.title == "stream transport error"
    assert err.__cause__ is exc
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["Hel"]
    assert_no_secret(err)


def test_network_errors_are_retried_by_the_policy(face: Face) -> None:
    from fantasy.retry import RetryOptions, retry

    delays: list[float] = []

    async def sleep(d: float) -> None:
        delays.append(d)

    server = Server(httpx.ConnectError("refused"), json_response(completion("ok")))
    model = make_model(server)
    opts = RetryOptions(sleep=sleep)

    if face.kind == "sync":
        from fantasy import _runtime

        resp = _runtime.run_sync(retry(lambda: model.agenerate(Call(prompt=HELLO)), opts))
    else:
        resp = asyncio.run(retry(lambda: model.agenerate(Call(prompt=HELLO)), opts))
    assert resp.text == "ok"
    assert delays == [5.0]
    assert len(server.requests) == 2


@pytest.mark.parametrize("payload", ["42", "[1, 2]", '"a string"', "null"])
def test_non_object_stream_chunk_is_an_error_part(face: Face, payload: str) -> None:
    server = Server(stream_response(sse(text_chunk("a"), payload, text_chunk("b", "stop"))))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.title == "invalid provider response"


@pytest.mark.parametrize("body", ["42", "[1, 2]", '"a string"', "null"])
def test_non_object_completion_is_a_provider_error(face: Face, body: str) -> None:
    server = Server(httpx.Response(200, text=body))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.title == "invalid provider response"


class ClosingBody(Body):
    closed = False

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_breaking_out_of_a_sync_stream_closes_the_response() -> None:
    body = ClosingBody(sse(text_chunk("a"), text_chunk("b"), text_chunk("c", "stop")))
    server = Server(httpx.Response(200, stream=body))
    for part in make_model(server).stream(Call(prompt=HELLO)):
        if part.type is StreamPartType.TEXT_DELTA:
            break
    assert body.closed


def test_closing_an_async_stream_closes_the_response() -> None:
    body = ClosingBody(sse(text_chunk("a"), text_chunk("b"), text_chunk("c", "stop")))
    server = Server(httpx.Response(200, stream=body))

    async def main() -> None:
        agen = make_model(server).astream(Call(prompt=HELLO))
        async for part in agen:
            if part.type is StreamPartType.TEXT_DELTA:
                break
        await agen.aclose()  # type: ignore[attr-defined]

    asyncio.run(main())
    assert body.closed
