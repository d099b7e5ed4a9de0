"""Per-model hooks on the Chat Completions providers (Fantasy's WithLanguageModelOptions),
and the Responses API on openaicompat (WithUseResponsesAPI).

Every test sends real requests through the provider to an httpx transport that answers
like the server would (JSON or an SSE body), in both faces, and checks what went on the
wire and what the model returned.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, Response
from fantasy.providers import azure, openai, openaicompat, openrouter, vercel
from fantasy.providers.openai import ChatHooks
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    Content,
    FinishReason,
    Message,
    ReasoningContent,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    Usage,
)

HELLO = [
    Message(Role.SYSTEM, [TextPart("Be brief.")]),
    Message(Role.USER, [TextPart("Hello")]),
]


class Server:
    """Answers every request with ``answer(stream)``, keeping the bodies it got."""

    def __init__(self, message: JSON | None = None, finish: str = "stop", **top: Any):
        self.bodies: list[JSON] = []
        self.urls: list[str] = []
        self.message = message or {"role": "assistant", "content": "Hi"}
        self.finish = finish
        self.top = top

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.urls.append(str(request.url))
        if body.get("stream"):
            delta = dict(self.message)
            chunks = [
                {"id": "c", "choices": [{"index": 0, "delta": delta}]},
                {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": self.finish}]},
                {"id": "c", "choices": [], **self.top},
            ]
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=sse.encode()
            )
        answer = {
            "id": "c",
            "choices": [{"index": 0, "message": self.message, "finish_reason": self.finish}],
            **self.top,
        }
        return httpx.Response(200, json=answer)


def run(model: Any, call: Call, face: str, *, stream: bool) -> Response | list[StreamPart]:
    if stream:
        if face == "sync":
            parts: list[StreamPart] = list(model.stream(call))
            return parts

        async def collect() -> list[StreamPart]:
            return [p async for p in model.astream(call)]

        return asyncio.run(collect())
    if face == "sync":
        result: Response = model.generate(call)
        return result
    answer: Response = asyncio.run(model.agenerate(call))
    return answer


def finish_of(out: Response | list[StreamPart]) -> FinishReason:
    if isinstance(out, Response):
        return out.finish_reason
    finish = [p for p in out if p.type is StreamPartType.FINISH]
    assert finish, out
    reason = finish[0].finish_reason
    assert reason is not None
    return reason


Factory = Callable[..., Any]
"""A provider's constructor over a mock transport: ``make(server, **provider_kw)``."""

PROVIDERS: dict[str, Factory] = {
    "openai": lambda server, **kw: openai.Provider(
        "sk-test", transport=httpx.MockTransport(server), **kw
    ),
    "openaicompat": lambda server, **kw: openaicompat.Provider(
        "http://compat.test/v1", transport=httpx.MockTransport(server), **kw
    ),
    "openrouter": lambda server, **kw: openrouter.Provider(
        "sk-or", transport=httpx.MockTransport(server), **kw
    ),
    "vercel": lambda server, **kw: vercel.Provider(
        "vk", transport=httpx.MockTransport(server), **kw
    ),
    "azure": lambda server, **kw: azure.Provider(
        "https://res.openai.azure.com", "az-key", transport=httpx.MockTransport(server), **kw
    ),
}


def _turn_end_is_stop(raw: str) -> FinishReason:
    if raw == "end_of_turn":
        return FinishReason.STOP
    return openai.DEFAULT_HOOKS.map_finish_reason(raw)  # type: ignore[misc]


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_map_finish_reason_hook_on_every_chat_provider(name: str, stream: bool, face: str) -> None:
    server = Server(finish="end_of_turn")
    provider = PROVIDERS[name](server)
    plain = provider.language_model("gpt-4o")
    assert finish_of(run(plain, Call(prompt=HELLO), face, stream=stream)) is FinishReason.UNKNOWN
    hooked = provider.language_model("gpt-4o", hooks=ChatHooks(map_finish_reason=_turn_end_is_stop))
    assert finish_of(run(hooked, Call(prompt=HELLO), face, stream=stream)) is FinishReason.STOP
    assert server.bodies[0] == server.bodies[1]  # the hook reads; the request is the same


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_provider_hooks_apply_to_every_model_and_a_models_own_win(name: str) -> None:
    server = Server(finish="end_of_turn")
    seen: list[str] = []

    def provider_level(raw: str) -> FinishReason:
        seen.append("provider")
        return FinishReason.LENGTH

    def model_level(raw: str) -> FinishReason:
        seen.append("model")
        return FinishReason.STOP

    provider = PROVIDERS[name](server, hooks=ChatHooks(map_finish_reason=provider_level))
    out = run(provider.language_model("gpt-4o"), Call(prompt=HELLO), "sync", stream=False)
    assert finish_of(out) is FinishReason.LENGTH
    model = provider.language_model("gpt-4o", hooks=ChatHooks(map_finish_reason=model_level))
    assert finish_of(run(model, Call(prompt=HELLO), "sync", stream=False)) is FinishReason.STOP
    assert seen == ["provider", "model"]


DEFAULTS = {
    "openai": openai.DEFAULT_HOOKS,
    "openaicompat": openaicompat.DEFAULT_HOOKS,
    "openrouter": openrouter.DEFAULT_HOOKS,
    "vercel": vercel.DEFAULT_HOOKS,
}
OPTIONS: dict[str, Any] = {
    "openai": {"openai": openai.ProviderOptions(user="u1", reasoning_effort="low")},
    "openaicompat": {"openai-compat": openaicompat.ProviderOptions(user="u1")},
    "openrouter": {
        "openrouter": openrouter.ProviderOptions(
            user="u1", reasoning=openrouter.ReasoningOptions(effort="low")
        )
    },
    "vercel": {"vercel": vercel.ProviderOptions(user="u1")},
}


@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_default_hooks_are_the_providers_own_steps(name: str, stream: bool) -> None:
    """Every hook set to the provider's public default: the same request, the same answer."""
    message = {"role": "assistant", "content": "Hi", "reasoning_content": "thinking..."}
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    server = Server(message, usage=usage)
    provider = PROVIDERS[name](server)
    call = Call(prompt=HELLO, temperature=0.5, provider_options=OPTIONS[name])
    plain = run(provider.language_model("o4-mini"), call, "sync", stream=stream)
    hooked_model = provider.language_model("o4-mini", hooks=DEFAULTS[name])
    hooked = run(hooked_model, call, "sync", stream=stream)
    assert server.bodies[0] == server.bodies[1]
    assert hooked == plain


def test_prepare_call_hook_calls_the_default_and_patches_the_body() -> None:
    server = Server()

    def prepare(model: Any, body: JSON, call: Call) -> list[CallWarning]:
        warnings = openaicompat.DEFAULT_HOOKS.prepare_call(model, body, call)  # type: ignore[misc]
        body["chat_template_kwargs"] = {"enable_thinking": False}
        body.pop("user", None)
        assert model.model_id == "qwen3" and model.provider_name == "openai-compat"
        return [*warnings, CallWarning(CallWarningType.OTHER, message="user dropped")]

    provider = PROVIDERS["openaicompat"](server)
    model = provider.language_model("qwen3", hooks=ChatHooks(prepare_call=prepare))
    options = openaicompat.ProviderOptions(
        user="u1", reasoning_effort="high", extra_body={"top_k": 20}
    )
    out = run(
        model,
        Call(prompt=HELLO, provider_options={"openai-compat": options}),
        "async",
        stream=False,
    )
    assert isinstance(out, Response)
    body = server.bodies[0]
    assert body["reasoning_effort"] == "high"  # the default ran
    assert body["top_k"] == 20  # its extra_body too
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert "user" not in body
    assert [w.message for w in out.warnings] == ["user dropped"]


def test_to_prompt_hook_rewrites_messages() -> None:
    server = Server()

    def to_prompt(
        prompt: list[Message], provider: str, model_id: str
    ) -> tuple[list[JSON], list[CallWarning]]:
        messages, warnings = openai.DEFAULT_HOOKS.to_prompt(prompt, provider, model_id)  # type: ignore[misc]
        for message in messages:
            if message["role"] == "system":
                message["role"] = "developer"
        return messages, warnings

    model = PROVIDERS["openai"](server).language_model(
        "gpt-4o", hooks=ChatHooks(to_prompt=to_prompt)
    )
    run(model, Call(prompt=HELLO), "sync", stream=True)
    assert server.bodies[0]["messages"] == [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]


def _x_usage(data: JSON) -> tuple[Usage, Any]:
    raw = data.get("x_usage") or {}
    return Usage(input_tokens=raw.get("in", 0), output_tokens=raw.get("out", 0)), None


def _x_stream_usage(chunk: JSON) -> tuple[Usage, Any] | None:
    return _x_usage(chunk) if "x_usage" in chunk else None


@pytest.mark.parametrize("face", ["sync", "async"])
def test_usage_hooks_read_usage_from_another_field(face: str) -> None:
    # A server that reports usage in its own field (and sends "usage": {} to be read).
    server = Server(usage={}, x_usage={"in": 11, "out": 4})
    provider = PROVIDERS["openaicompat"](server)
    plain = run(provider.language_model("m"), Call(prompt=HELLO), face, stream=False)
    assert isinstance(plain, Response) and plain.usage.input_tokens == 0
    hooks = ChatHooks(usage=_x_usage, stream_usage=_x_stream_usage)
    model = provider.language_model("m", hooks=hooks)
    out = run(model, Call(prompt=HELLO), face, stream=False)
    assert isinstance(out, Response)
    assert (out.usage.input_tokens, out.usage.output_tokens) == (11, 4)
    parts = run(model, Call(prompt=HELLO), face, stream=True)
    assert isinstance(parts, list)
    finish = next(p for p in parts if p.type is StreamPartType.FINISH)
    assert finish.usage is not None
    assert (finish.usage.input_tokens, finish.usage.output_tokens) == (11, 4)


def test_extra_content_hook_reads_a_servers_own_reasoning_field() -> None:
    server = Server({"role": "assistant", "content": "42", "thoughts": "6 times 7"})

    def thoughts(choice: JSON) -> list[Content]:
        found = choice["message"].get("thoughts")
        return [ReasoningContent(found)] if found else []

    provider = PROVIDERS["openai"](server)
    plain = run(provider.language_model("gpt-4o"), Call(prompt=HELLO), "sync", stream=False)
    assert isinstance(plain, Response) and plain.content.reasoning_text == ""
    model = provider.language_model("gpt-4o", hooks=ChatHooks(extra_content=thoughts))
    out = run(model, Call(prompt=HELLO), "sync", stream=False)
    assert isinstance(out, Response)
    assert out.content.reasoning_text == "6 times 7"
    assert out.content.text == "42"


class _Thoughts:
    """A stream extension: ``delta.thoughts`` as one reasoning block."""

    def __init__(self) -> None:
        self.open = False

    def feed(self, chunk: JSON, first_delta: JSON) -> list[StreamPart]:
        piece = first_delta.get("thoughts")
        if not piece:
            return []
        parts = [] if self.open else [StreamPart(StreamPartType.REASONING_START, id="t")]
        self.open = True
        parts.append(StreamPart(StreamPartType.REASONING_DELTA, id="t", delta=piece))
        return parts

    def close(self) -> list[StreamPart]:
        if not self.open:
            return []
        self.open = False
        return [StreamPart(StreamPartType.REASONING_END, id="t")]


@pytest.mark.parametrize("face", ["sync", "async"])
def test_stream_extra_hook_streams_a_servers_own_reasoning(face: str) -> None:
    server = Server({"role": "assistant", "content": "42", "thoughts": "6 times 7"})
    model = PROVIDERS["vercel"](server).language_model("m", hooks=ChatHooks(stream_extra=_Thoughts))
    parts = run(model, Call(prompt=HELLO), face, stream=True)
    assert isinstance(parts, list)
    kinds = [p.type for p in parts]
    assert kinds.index(StreamPartType.REASONING_START) < kinds.index(StreamPartType.TEXT_DELTA)
    assert [p.delta for p in parts if p.type is StreamPartType.REASONING_DELTA] == ["6 times 7"]
    assert StreamPartType.REASONING_END in kinds  # closed at the end of the stream


def test_bad_hooks_are_refused() -> None:
    server = Server()
    provider = PROVIDERS["openai"](server)
    with pytest.raises(InvalidArgumentError, match="ChatHooks"):
        provider.language_model("gpt-4o", hooks={"usage": _x_usage})
    with pytest.raises(InvalidArgumentError, match=r"ChatHooks\.usage must be callable"):
        provider.language_model("gpt-4o", hooks=ChatHooks(usage="x_usage"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="ChatHooks"):
        PROVIDERS["openrouter"](server, hooks=object())


def test_hooks_for_a_responses_model_are_refused_not_dropped() -> None:
    provider = PROVIDERS["openai"](
        Server(),
        use_responses_api=True,
        responses_api_predicate=lambda model_id: model_id.startswith("gpt-5"),
        hooks=ChatHooks(usage=_x_usage),  # the provider's: for its Chat Completions models
    )
    assert provider.language_model("gpt-5").__class__.__name__ == "ResponsesLanguageModel"
    with pytest.raises(InvalidArgumentError, match="Responses API"):
        provider.language_model("gpt-5", hooks=ChatHooks(map_finish_reason=_turn_end_is_stop))
    # A model the predicate keeps on Chat Completions takes them.
    model = provider.language_model("gpt-4o", hooks=ChatHooks(map_finish_reason=_turn_end_is_stop))
    assert isinstance(model, openai.ChatLanguageModel)
    assert model.codec.hooks is not None
    assert model.codec.hooks.usage is _x_usage
    assert model.codec.hooks.map_finish_reason is _turn_end_is_stop


def test_defaults_can_be_copied_and_changed() -> None:
    hooks = replace(openrouter.DEFAULT_HOOKS, map_finish_reason=_turn_end_is_stop)
    server = Server(finish="end_of_turn")
    model = PROVIDERS["openrouter"](server).language_model("a/b", hooks=hooks)
    assert finish_of(run(model, Call(prompt=HELLO), "sync", stream=True)) is FinishReason.STOP


# --------------------------------------------------------------------------- openaicompat Responses


def _responses_server(bodies: list[JSON], urls: list[str]) -> Callable[[httpx.Request], Any]:
    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        urls.append(str(request.url))
        return httpx.Response(
            200,
            json={
                "id": "resp_1",
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "id": "msg_1",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "Hi", "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
            },
        )

    return answer


@pytest.mark.parametrize("face", ["sync", "async"])
def test_openaicompat_responses_api(face: str) -> None:
    from fantasy.providers.openai.responses_model import ResponsesLanguageModel

    bodies: list[JSON] = []
    urls: list[str] = []
    provider = openaicompat.Provider(
        "http://compat.test/v1",
        name="xai",
        use_responses_api=True,
        transport=httpx.MockTransport(_responses_server(bodies, urls)),
    )
    model = provider.language_model("gpt-5")
    assert isinstance(model, ResponsesLanguageModel)
    assert model.provider_name == "xai"
    assert model.object_mode == "tool"  # the provider's object mode, as in Fantasy
    out = run(model, Call(prompt=HELLO), face, stream=False)
    assert isinstance(out, Response) and out.content.text == "Hi"
    assert urls == ["http://compat.test/v1/responses"]
    assert bodies[0]["model"] == "gpt-5" and "input" in bodies[0]
    # Models the predicate refuses stay on Chat Completions, with this provider's codec.
    chat = provider.language_model("grok-4")
    assert isinstance(chat, openai.ChatLanguageModel)
    assert isinstance(chat.codec, openaicompat.CompatCodec)
    only_grok = openaicompat.Provider(
        "http://compat.test/v1",
        use_responses_api=True,
        responses_api_predicate=lambda model_id: model_id.startswith("grok"),
    )
    assert isinstance(only_grok.language_model("grok-4"), ResponsesLanguageModel)
    assert isinstance(only_grok.language_model("gpt-5"), openai.ChatLanguageModel)
    # Without use_responses_api, the predicate alone changes nothing.
    assert isinstance(
        openaicompat.Provider("http://compat.test/v1").language_model("gpt-5"),
        openai.ChatLanguageModel,
    )


# --------------------------------------------------------------------------- name= and object_mode=


@pytest.mark.parametrize("name", ["openrouter", "vercel"])
def test_gateways_take_a_name_and_an_object_mode(name: str) -> None:
    server = Server()
    provider = PROVIDERS[name](server, name="my-gateway", object_mode="text")
    model = provider.language_model("a/b")
    assert provider.name == "my-gateway" and model.provider_name == "my-gateway"
    assert model.object_mode == "text"
    # The options are still read under the gateway's own key, as in Fantasy.
    options = OPTIONS[name]
    run(model, Call(prompt=HELLO, provider_options=options), "sync", stream=False)
    assert server.bodies[0]["user"] == "u1"
    # Default: objects through a forced tool call (no native JSON mode here).
    assert PROVIDERS[name](server).language_model("a/b").object_mode == "tool"
    with pytest.raises(ValueError):
        PROVIDERS[name](server, object_mode="jsonish")


def test_gateway_object_mode_text_generates_objects_from_text() -> None:
    import fantasy

    answer = '{"city": "Rome"}'
    server = Server({"role": "assistant", "content": answer})
    model = PROVIDERS["openrouter"](server, object_mode="text").language_model("a/b")
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    result = fantasy.generate_object(model, "Where?", schema)
    assert result.object == {"city": "Rome"}
    assert "tools" not in server.bodies[0] and "response_format" not in server.bodies[0]


def test_azure_and_bedrock_take_an_object_mode() -> None:
    from fantasy.providers import bedrock

    server = Server()
    assert PROVIDERS["azure"](server).language_model("gpt-4o").object_mode == "auto"
    model = PROVIDERS["azure"](server, object_mode="tool").language_model("gpt-4o")
    assert model.object_mode == "tool"
    claude = bedrock.Provider(api_key="br-key", object_mode="text")
    assert claude.language_model("us.anthropic.claude-sonnet-4").object_mode == "text"
    assert bedrock.Provider(api_key="br-key").language_model("x").object_mode == "auto"
