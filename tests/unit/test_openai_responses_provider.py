"""The Responses API over hand-made HTTP responses (httpx.MockTransport), in both faces:
routing, the request on the wire, errors, truncation, and the agent with web search.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import fantasy
from fantasy.errors import InvalidArgumentError, ProviderError
from fantasy.http.transport import HttpTransport
from fantasy.model import Call, Response
from fantasy.providers import openai
from fantasy.types import (
    FinishReason,
    Message,
    ReasoningPart,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

HELLO = [Message(Role.USER, [TextPart("Hello")])]
SECRET = "sk-test-SECRET-0123456789abcdef"


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


class Server:
    """Answers each request with the next scripted response and keeps the requests."""

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

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)


def json_response(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=data)


def stream_response(chunks: list[bytes], error: Exception | None = None) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Body(chunks, error)
    )


class Face:
    def __init__(self, kind: str):
        self.kind = kind

    def generate(self, model: Any, call: Call) -> Response:
        if self.kind == "sync":
            return model.generate(call)
        return asyncio.run(model.agenerate(call))

    def stream(self, model: Any, call: Call) -> list[StreamPart]:
        if self.kind == "sync":
            return list(model.stream(call))

        async def collect() -> list[StreamPart]:
            return [p async for p in model.astream(call)]

        return asyncio.run(collect())

    def __repr__(self) -> str:
        return self.kind


def assert_no_secret(err: BaseException) -> None:
    for text in (str(err), repr(err), repr(vars(err)), "".join(traceback.format_exception(err))):
        assert SECRET not in text


def only_error(parts: list[StreamPart]) -> Any:
    errors = [p for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1
    assert parts[-1].type is StreamPartType.ERROR
    assert not [p for p in parts if p.type is StreamPartType.FINISH]
    return errors[0].error


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> Face:
    return Face(request.param)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def make_model(server: Server, model_id: str = "gpt-4o", **kw: Any) -> Any:
    kw.setdefault("api_key", SECRET)
    provider = openai.Provider(transport=httpx.MockTransport(server), use_responses_api=True, **kw)
    model = provider.language_model(model_id)
    assert isinstance(model, openai.ResponsesLanguageModel)
    return model


def events(*payloads: dict[str, Any]) -> list[bytes]:
    """SSE as OpenAI sends it: an ``event:`` line naming each payload's type."""
    return [f"event: {p.get('type')}\ndata: {json.dumps(p)}\n\n".encode() for p in payloads]


def output_message(text: str) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def response(*output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "output": list(output) or [output_message("Olá!")],
        "usage": {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15},
    }
    data.update(extra)
    return data


MESSAGE_ITEM = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}


def text_events(*deltas: str, terminal: bool = True) -> list[bytes]:
    payloads: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "resp_1"}},
        {"type": "response.output_item.added", "output_index": 0, "item": MESSAGE_ITEM},
    ]
    payloads += [
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": d} for d in deltas
    ]
    payloads.append({"type": "response.output_item.done", "output_index": 0, "item": MESSAGE_ITEM})
    if terminal:
        usage = {"input_tokens": 8, "output_tokens": 2}
        payloads.append(
            {"type": "response.completed", "response": {"id": "resp_1", "usage": usage}}
        )
    return events(*payloads)


# =========================================================================== routing


@pytest.mark.parametrize(
    ("flag", "model_id", "responses"),
    [
        (False, "gpt-4o", False),
        (True, "gpt-4o", True),
        (True, "gpt-5", True),
        (True, "o4-mini", True),
        (True, "o1-mini", False),
        (True, "o3-pro", False),
    ],
)
def test_routing(flag: bool, model_id: str, responses: bool) -> None:
    provider = openai.Provider(api_key=SECRET, use_responses_api=flag)
    model = provider.language_model(model_id)
    expected = openai.ResponsesLanguageModel if responses else openai.ChatLanguageModel
    assert type(model) is expected
    assert model.model == model_id
    assert model.provider == "openai"


def test_custom_predicate() -> None:
    provider = openai.Provider(
        api_key=SECRET, use_responses_api=True, responses_api_predicate=lambda m: m == "o1-mini"
    )
    assert isinstance(provider.language_model("o1-mini"), openai.ResponsesLanguageModel)
    assert isinstance(provider.language_model("gpt-4o"), openai.ChatLanguageModel)


def test_predicate_alone_does_not_switch_apis() -> None:
    provider = openai.Provider(api_key=SECRET, responses_api_predicate=lambda m: True)
    assert isinstance(provider.language_model("gpt-4o"), openai.ChatLanguageModel)


def test_repr_never_shows_the_key() -> None:
    model = openai.Provider(api_key=SECRET, use_responses_api=True).language_model("gpt-5")
    assert SECRET not in repr(model)
    assert "ResponsesLanguageModel" in repr(model)


# =========================================================================== requests


def test_request_shape(face: Face) -> None:
    server = Server(json_response(response()))
    resp = face.generate(make_model(server), Call(prompt=HELLO, max_output_tokens=50))
    req = server.request
    assert req.method == "POST"
    assert str(req.url) == "https://api.openai.com/v1/responses"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["content-type"] == "application/json"
    assert server.body() == {
        "model": "gpt-4o",
        "store": False,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hello"}]}],
        "max_output_tokens": 50,
    }
    assert resp.text == "Olá!"
    assert resp.finish_reason is FinishReason.STOP
    assert resp.usage.total_tokens == 15
    assert resp.provider_metadata == {
        "openai": openai.ResponsesProviderMetadata(response_id="resp_1")
    }


def test_base_url_name_and_per_call_headers(face: Face) -> None:
    server = Server(json_response(response()))
    model = make_model(server, base_url="https://proxy.example/v1/", name="my-openai")
    assert model.provider == "my-openai"
    call = Call(prompt=HELLO, user_agent="agent/1", headers={"X-Trace": "t1"})
    face.generate(model, call)
    req = server.request
    assert str(req.url) == "https://proxy.example/v1/responses"
    assert req.headers["user-agent"] == "agent/1"
    assert req.headers["x-trace"] == "t1"


def test_generate_returns_warnings(face: Face) -> None:
    server = Server(json_response(response()))
    resp = face.generate(make_model(server), Call(prompt=HELLO, top_k=3))
    assert [w.setting for w in resp.warnings] == ["topK"]


def test_bad_options_fail_before_any_request(face: Face) -> None:
    server = Server(json_response(response()))
    options = {"openai": openai.ResponsesProviderOptions(previous_response_id="resp_0")}
    with pytest.raises(InvalidArgumentError):
        face.generate(make_model(server), Call(prompt=HELLO, provider_options=options))
    with pytest.raises(InvalidArgumentError):
        face.stream(make_model(server), Call(prompt=HELLO, provider_options=options))
    assert server.requests == []


def test_stream(face: Face) -> None:
    # Delivered a few bytes at a time, so events are split everywhere.
    raw = b"".join(text_events("Ol", "á!"))
    server = Server(stream_response([raw[i : i + 7] for i in range(0, len(raw), 7)]))
    parts = face.stream(make_model(server), Call(prompt=HELLO, top_k=1))
    assert server.body()["stream"] is True
    assert [p.type for p in parts] == [
        StreamPartType.WARNINGS,
        StreamPartType.TEXT_START,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_DELTA,
        StreamPartType.TEXT_END,
        StreamPartType.FINISH,
    ]
    assert "".join(p.delta for p in parts) == "Olá!"
    assert parts[-1].usage is not None and parts[-1].usage.total_tokens == 10


# =========================================================================== errors


@pytest.mark.parametrize(
    ("status", "title", "retryable"),
    [
        (400, "bad request", False),
        (401, "unauthorized", False),
        (429, "too many requests", True),
        (500, "internal server error", True),
    ],
)
def test_http_errors(face: Face, status: int, title: str, retryable: bool) -> None:
    body = {"error": {"message": "No way", "type": "invalid_request_error", "code": None}}
    server = Server(json_response(body, status))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert (err.title, err.message, err.status_code) == (title, "No way", status)
    assert err.url == "https://api.openai.com/v1/responses"
    assert err.is_retryable is retryable
    assert_no_secret(err)
    stream_err = only_error(
        face.stream(make_model(Server(json_response(body, status))), Call(prompt=HELLO))
    )
    assert isinstance(stream_err, ProviderError)
    assert (stream_err.message, stream_err.status_code) == ("No way", status)
    assert stream_err.is_retryable is retryable


def test_failed_response_body_is_a_provider_error(face: Face) -> None:
    data = response(status="failed", error={"code": "server_error", "message": "Oops"})
    server = Server(json_response(data))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    err = info.value
    assert err.title == "provider error"
    assert err.message == "Oops (code: server_error)"
    assert err.url == "https://api.openai.com/v1/responses"
    assert err.status_code == 200
    assert err.is_retryable


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_non_object_body_is_a_provider_error(face: Face, body: str) -> None:
    server = Server(httpx.Response(200, text=body))
    with pytest.raises(ProviderError) as info:
        face.generate(make_model(server), Call(prompt=HELLO))
    assert info.value.title == "invalid provider response"


def test_response_failed_event(face: Face) -> None:
    failed = {
        "type": "response.failed",
        "response": {"id": "resp_1", "error": {"code": "invalid_prompt", "message": "Nope"}},
    }
    chunks = text_events("par", terminal=False) + events(failed)
    parts = face.stream(make_model(Server(stream_response(chunks))), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert str(err) == "response failed: Nope (code: invalid_prompt)"
    assert not err.is_retryable


def test_error_event(face: Face) -> None:
    error = {"type": "error", "code": "server_error", "message": "Hiccup", "param": None}
    chunks = events(error) + text_events("never")
    parts = face.stream(make_model(Server(stream_response(chunks))), Call(prompt=HELLO))
    err = only_error(parts)
    assert str(err) == "response error: Hiccup (code: server_error)"
    assert err.is_retryable
    assert not [p for p in parts if p.type is StreamPartType.TEXT_DELTA]


def test_error_envelope_mid_stream(face: Face) -> None:
    envelope = {"error": {"message": "overloaded", "type": "overloaded_error"}}
    chunks = [*text_events("a", terminal=False), f"data: {json.dumps(envelope)}\n\n".encode()]
    err = only_error(face.stream(make_model(Server(stream_response(chunks))), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert (err.title, err.message) == ("stream error", "overloaded")
    assert err.is_retryable


@pytest.mark.parametrize("payload", ["{not json", "[1]"])
def test_invalid_event_is_an_error_part(face: Face, payload: str) -> None:
    chunks = [*text_events("a", terminal=False), f"data: {payload}\n\n".encode()]
    err = only_error(face.stream(make_model(Server(stream_response(chunks))), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.title == "invalid provider response"


def test_stream_cut_before_the_terminal_event_is_retryable(face: Face) -> None:
    raw = b"".join(text_events("Hel", "lo"))
    cut = raw[: raw.rindex(b"data:") + 30]  # inside the response.completed event
    parts = face.stream(make_model(Server(stream_response([cut]))), Call(prompt=HELLO))
    err = only_error(parts)
    assert isinstance(err, ProviderError)
    assert (err.title, err.message) == ("stream transport error", "unexpected EOF")
    assert err.is_retryable
    assert "".join(p.delta for p in parts) == "Hello"


def test_network_error_mid_stream(face: Face) -> None:
    exc = httpx.ReadError("connection reset by peer")
    server = Server(stream_response(text_events("Hel", terminal=False), error=exc))
    err = only_error(face.stream(make_model(server), Call(prompt=HELLO)))
    assert isinstance(err, ProviderError)
    assert err.is_retryable
    assert err.__cause__ is exc


def test_a_stream_truncated_after_text_is_raised_by_the_agent_not_retried() -> None:
    server = Server(
        stream_response(text_events("Ol", terminal=False)),
        stream_response(text_events("Olá!")),
    )

    async def no_sleep(_: float) -> None:
        return None

    agent = fantasy.Agent(make_model(server), sleep=no_sleep)
    with pytest.raises(ProviderError) as info:
        _ = agent.stream("Hi").result
    assert info.value.is_retryable
    assert len(server.requests) == 1


# =========================================================================== reuse (Azure)


def test_model_reusable_with_another_url_headers_and_name(face: Face) -> None:
    server = Server(json_response({"error": {"message": "bad key"}}, 401))
    transport = HttpTransport(headers={"api-key": SECRET}, transport=httpx.MockTransport(server))
    url = "https://res.openai.azure.com/openai/v1/responses"
    model = openai.ResponsesLanguageModel(
        openai.ResponsesCodec("gpt-5-mini", "azure"), transport, url, "azure"
    )
    assert model.provider == "azure"
    with pytest.raises(ProviderError) as info:
        face.generate(model, Call(prompt=HELLO))
    assert info.value.provider == "azure"
    assert str(server.request.url) == url
    assert server.request.headers["api-key"] == SECRET
    assert_no_secret(info.value)


# =========================================================================== agent + web search


WEB_SEARCH_ITEM = {
    "id": "ws_1",
    "type": "web_search_call",
    "status": "completed",
    "action": {"type": "search", "query": "Tokyo population"},
}
CITATION = {"type": "url_citation", "url": "https://tokyo.example", "title": "Tokyo"}


def web_search_answer() -> dict[str, Any]:
    message = output_message("Tokyo has about 14 million people.")
    message["content"][0]["annotations"] = [CITATION]
    return response(WEB_SEARCH_ITEM, message)


def web_search_events() -> list[bytes]:
    return events(
        {"type": "response.created", "response": {"id": "resp_1"}},
        {"type": "response.output_item.added", "output_index": 0, "item": WEB_SEARCH_ITEM},
        {"type": "response.output_item.done", "output_index": 0, "item": WEB_SEARCH_ITEM},
        {"type": "response.output_item.added", "output_index": 1, "item": MESSAGE_ITEM},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Tokyo has 14M."},
        {
            "type": "response.output_text.annotation.added",
            "item_id": "msg_1",
            "annotation": CITATION,
        },
        {"type": "response.output_item.done", "output_index": 1, "item": MESSAGE_ITEM},
        {"type": "response.completed", "response": {"id": "resp_1"}},
    )


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("store", [False, True])
def test_agent_web_search_round_trip(stream: bool, store: bool) -> None:
    first = stream_response(web_search_events()) if stream else json_response(web_search_answer())
    server = Server(first, json_response(response()))
    options = {"openai": openai.ResponsesProviderOptions(store=store)}
    agent = fantasy.Agent(
        make_model(server),
        system_prompt="You are a helpful assistant",
        provider_tools=[openai.web_search_tool()],
        provider_options=options,
    )
    result = agent.stream("Tokyo?").result if stream else agent.generate("Tokyo?")

    # One step: the search ran on OpenAI's side, so nothing was executed locally.
    assert len(result.steps) == 1 and len(server.requests) == 1
    assert server.body(0)["tools"] == [{"type": "web_search"}]
    content = result.steps[0].content
    (call,) = content.tool_calls
    (search,) = content.tool_results
    assert (call.tool_call_id, call.tool_name, call.provider_executed) == (
        "ws_1",
        "web_search",
        True,
    )
    assert search.provider_executed and search.result is None
    metadata = search.provider_metadata["openai"]
    assert isinstance(metadata, openai.WebSearchCallMetadata)
    assert metadata.action is not None and metadata.action.query == "Tokyo population"
    assert [s.url for s in content.sources] == ["https://tokyo.example"]
    assert "Tokyo" in result.text

    # The next turn replays the search as an item reference only when it was stored.
    (assistant,) = result.steps[0].messages
    assert [type(p) for p in assistant.content if not isinstance(p, TextPart)] == [
        ToolCallPart,
        ToolResultPart,
    ]
    agent.generate("And Osaka?", messages=[*result.steps[0].messages])
    replayed = server.body(1)["input"]
    references = [item for item in replayed if "id" in item]
    assert references == ([{"id": "ws_1"}] if store else [])
    assert [item.get("role") for item in replayed if "role" in item] == [
        "system",
        "assistant",
        "user",
    ]


def test_agent_stream_error_part_fails_the_run() -> None:
    failed = {"type": "response.failed", "response": {"error": {"message": "Nope"}}}
    server = Server(stream_response(events(failed)))
    agent = fantasy.Agent(make_model(server), max_retries=0)
    with pytest.raises(ProviderError, match="response failed: Nope"):
        _ = agent.stream("Hi").result


def test_async_agent_streams_reasoning_summaries() -> None:
    item = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gA"}
    chunks = events(
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "summary_index": 0},
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "summary_index": 0,
            "delta": "**Plan**",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": "resp_1"}},
    )
    server = Server(stream_response(chunks))
    agent = fantasy.Agent(make_model(server, "gpt-5"))
    seen: list[StreamPart] = []

    async def main() -> fantasy.AgentResult:
        stream = agent.astream("Hi", on_chunk=seen.append)
        return await stream.collect()

    result = asyncio.run(main())
    (reasoning,) = result.steps[0].content.reasoning
    assert reasoning.text == "\n**Plan**"
    assert reasoning.provider_metadata == {
        "openai": openai.ResponsesReasoningMetadata(
            item_id="rs_1", encrypted_content="gA", summary=["**Plan**"]
        )
    }
    assert StreamPartType.REASONING_END in [p.type for p in seen]
    # The metadata travels on to the history as the reasoning part's options.
    (part,) = [p for p in result.steps[0].messages[0].content if isinstance(p, ReasoningPart)]
    assert part.provider_options == reasoning.provider_metadata
