"""Fallback across two real providers over loopback: OpenAI's Chat Completions first,
Anthropic's Messages API second (and Gemini as a third where three are needed), all
served by the fault server, sync and async, whole and streamed.

What must hold: an outage of the primary (503, 429, a silent server, an error event
before any output) is answered by the fallback in its own dialect with its own
provider options; a request the primary refuses (400) is not sent again elsewhere; a
stream that has shown output is never switched; each fallback is heard in order, and
a final failure carries every provider's own error. Models by name resolve over the
same wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import fantasy
from fantasy import Agent, FallbackError, FallbackModel
from fantasy import model_names as names
from fantasy.providers import anthropic, openai
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, answer, error_reply, run_agent
from tests.faults.server import FaultServer, Reply, Stall, Stream
from tests.faults.wire import (
    ANTHROPIC,
    GOOGLE,
    OPENAI_CHAT,
    anthropic_tool_call_stream,
    anthropic_tool_whole,
)

MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
SILENT = 0.2
"""The primary's timeout against a server that says nothing: no first chunk to wait for."""

TEXTS = ["Ciao", " dal", " fallback"]


def pair(server: FaultServer, **primary_kwargs: Any) -> tuple[Any, Any]:
    return (
        OPENAI_CHAT.make(server.url, FAKE_KEY, **primary_kwargs),
        ANTHROPIC.make(server.url, FAKE_KEY),
    )


def paths(server: FaultServer) -> list[str]:
    return [r.path for r in server.requests]


def body(server: FaultServer, index: int) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(server.requests[index].body)
    return value


OUTAGES = {
    "503": lambda: error_reply(OPENAI_CHAT, 503, "the primary is down"),
    "429": lambda: error_reply(OPENAI_CHAT, 429, "the primary is busy"),
    "error-event-first": lambda: Stream(
        [OPENAI_CHAT.stream_error("server_error", "the primary broke")]
    ),
    "cut-before-output": lambda: Stream([], ending="drop"),
}


CASES = [
    (outage, streaming)
    for outage in [*OUTAGES, "timeout"]
    for streaming in (False, True)
    if streaming or outage not in ("error-event-first", "cut-before-output")
]


@MODE
@pytest.mark.parametrize(
    ("outage", "streaming"), CASES, ids=[f"{o}-{'stream' if s else 'generate'}" for o, s in CASES]
)
def test_an_outage_of_the_primary_is_answered_by_the_other_provider(
    outage: str, mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    if outage == "timeout":
        server.script(Stall(), answer(ANTHROPIC, TEXTS, streaming))
        primary, backup = pair(server, timeout=SILENT)
    else:
        server.script(OUTAGES[outage](), answer(ANTHROPIC, TEXTS, streaming))
        primary, backup = pair(server)
    heard: list[tuple[str, str, str]] = []
    model = FallbackModel(
        primary,
        backup,
        on_fallback=lambda e, frm, to: heard.append((type(e).__name__, frm.provider, to.provider)),
    )
    result = run_agent(Agent(model, max_retries=0, sleep=sleeps), mode, streaming)

    assert result.text == "".join(TEXTS)
    assert paths(server) == ["/chat/completions", "/v1/messages"]
    assert [h[1:] for h in heard] == [("openai", "anthropic")]
    expected = {
        "503": "ProviderUnavailableError",
        "429": "RateLimitError",
        "timeout": "ProviderTimeoutError",
        "error-event-first": "ProviderUnavailableError",
        "cut-before-output": "StreamInterruptedError",
    }[outage]
    assert heard[0][0] == expected
    record = result.steps[0].provider_metadata["fallback"]
    assert (record.provider, record.model, record.index) == ("anthropic", "claude-sonnet-4", 1)
    assert record.failures[0].provider == "openai" and expected in record.failures[0].error
    assert sleeps.delays == []  # no wait: the fallback is asked at once


@MODE
@STREAMING
def test_a_request_the_primary_refuses_is_not_sent_elsewhere(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(error_reply(OPENAI_CHAT, 400, "unknown parameter 'foo'"))
    model = FallbackModel(*pair(server))
    with pytest.raises(fantasy.InvalidRequestError, match="unknown parameter"):
        run_agent(Agent(model, max_retries=3, sleep=sleeps), mode, streaming)
    assert paths(server) == ["/chat/completions"]


@MODE
@pytest.mark.parametrize("failure", ["error-event", "dropped"])
def test_a_stream_that_showed_output_is_never_switched(
    failure: str, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    shown = OPENAI_CHAT.truncated(["Half an ans"])
    if failure == "error-event":
        server.script(Stream([*shown, OPENAI_CHAT.stream_error("server_error", "broke mid-way")]))
    else:
        server.script(Stream(shown, ending="drop"))
    model = FallbackModel(*pair(server))
    texts: list[str] = []
    with pytest.raises(fantasy.ProviderError) as info:
        run_agent(
            Agent(model, max_retries=3, sleep=sleeps),
            mode,
            True,
            on_text_delta=lambda _id, delta: texts.append(delta),
        )
    assert texts == ["Half an ans"]
    assert not isinstance(info.value, FallbackError)
    assert paths(server) == ["/chat/completions"]  # neither retried nor sent elsewhere


@MODE
@STREAMING
def test_on_fallback_hears_each_provider_give_way_in_order(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        error_reply(OPENAI_CHAT, 503, "openai down"),
        error_reply(GOOGLE, 429, "gemini quota"),
        answer(ANTHROPIC, TEXTS, streaming),
    )
    openai_model, claude = pair(server)
    gemini = GOOGLE.make(server.url, FAKE_KEY)
    heard: list[tuple[str, str, str]] = []

    async def hear(error: BaseException, frm: Any, to: Any) -> None:
        heard.append((getattr(error, "message", ""), frm.provider, to.provider))

    model = FallbackModel(openai_model, gemini, claude, on_fallback=hear)
    result = run_agent(Agent(model, max_retries=0, sleep=sleeps), mode, streaming)

    assert result.text == "".join(TEXTS)
    assert heard == [("openai down", "openai", "google"), ("gemini quota", "google", "anthropic")]
    assert [r.path.split("/")[-1].split(":")[0] for r in server.requests] == [
        "completions",
        "gemini-2.5-flash",
        "messages",
    ]


@MODE
@STREAMING
def test_when_every_provider_fails_the_error_holds_each_ones_own(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        error_reply(OPENAI_CHAT, 503, "openai down", **{"x-request-id": "req-openai"}),
        error_reply(ANTHROPIC, 529, "anthropic overloaded", **{"request-id": "req-anthropic"}),
    )
    model = FallbackModel(*pair(server))
    with pytest.raises(FallbackError) as info:
        run_agent(Agent(model, max_retries=0, sleep=sleeps), mode, streaming)

    errors = info.value.errors
    assert [type(e).__name__ for e in errors] == ["ProviderUnavailableError"] * 2
    assert [(e.status_code, e.message, e.request_id) for e in errors] == [  # type: ignore[attr-defined]
        (503, "openai down", "req-openai"),
        (529, "anthropic overloaded", "req-anthropic"),
    ]
    assert info.value.models == ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4"]
    assert FAKE_KEY not in str(info.value)


@MODE
@STREAMING
def test_the_agent_retries_the_chain_from_the_primary_after_the_wait_asked_for(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        error_reply(OPENAI_CHAT, 503, "openai down"),
        error_reply(ANTHROPIC, 429, "anthropic busy", **{"retry-after": "2"}),
        answer(OPENAI_CHAT, TEXTS, streaming),
    )
    model = FallbackModel(*pair(server))
    result = run_agent(Agent(model, max_retries=1, sleep=sleeps), mode, streaming)
    assert result.text == "".join(TEXTS)
    assert paths(server) == ["/chat/completions", "/v1/messages", "/chat/completions"]
    assert sleeps.delays == [2.0]  # the last provider's Retry-After
    assert result.steps[0].provider_metadata["fallback"].provider == "openai"


@MODE
@STREAMING
def test_each_provider_gets_its_own_options_in_its_request(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(error_reply(OPENAI_CHAT, 503, "openai down"), answer(ANTHROPIC, TEXTS, streaming))
    openai_model, claude = pair(server)
    model = FallbackModel(
        openai_model,
        (claude, {"anthropic": anthropic.ProviderOptions(effort="low")}),
    )
    agent = Agent(
        model,
        max_retries=0,
        sleep=sleeps,
        provider_options={"openai": openai.ProviderOptions(user="u-openai")},
    )
    run_agent(agent, mode, streaming)

    sent_openai, sent_anthropic = body(server, 0), body(server, 1)
    assert sent_openai["user"] == "u-openai"
    assert "output_config" not in sent_openai
    assert sent_anthropic["output_config"] == {"effort": "low"}
    assert "user" not in sent_anthropic


@MODE
@STREAMING
def test_objects_fall_back_too(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    arguments = '{"city":"Rome"}'
    reply: Reply | Stream
    if streaming:
        reply = Stream(anthropic_tool_call_stream("toolu_1", "generate_object", arguments))
    else:
        reply = Reply(body=anthropic_tool_whole("toolu_1", "generate_object", arguments))
    server.script(error_reply(OPENAI_CHAT, 503, "openai down"), reply)
    model = FallbackModel(*pair(server))
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    result = _object(model, schema, mode, streaming)
    assert result.object == {"city": "Rome"}
    assert result.provider_metadata["fallback"].provider == "anthropic"
    assert paths(server) == ["/chat/completions", "/v1/messages"]


def _object(model: Any, schema: dict[str, Any], mode: str, streaming: bool) -> Any:
    import asyncio

    if mode == "sync":
        if streaming:
            return fantasy.stream_object(model, "a city", schema).result
        return fantasy.generate_object(model, "a city", schema)
    if streaming:
        return asyncio.run(fantasy.astream_object(model, "a city", schema).collect())
    return asyncio.run(fantasy.agenerate_object(model, "a city", schema))


# --------------------------------------------------------------------------- models by name


@pytest.fixture
def by_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cache of its own, whose providers are closed after the test."""
    cache: dict[Any, Any] = {}
    monkeypatch.setattr(names, "_providers", cache)
    monkeypatch.setattr(names, "_registered", {})
    yield
    for provider in cache.values():
        provider.close()


@MODE
@STREAMING
def test_models_by_name_speak_over_the_wire(
    mode: str,
    streaming: bool,
    server: FaultServer,
    sleeps: RecordingSleep,
    by_name: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", server.url)  # no path: /v1 is added
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.setenv("FAULT_SUITE_KEY", FAKE_KEY)
    fantasy.register_openai_compatible(
        "faults", base_url=server.url + "/compat/v1", api_key_env="FAULT_SUITE_KEY"
    )
    server.script(
        error_reply(OPENAI_CHAT, 503, "ollama is loading"),
        answer(OPENAI_CHAT, TEXTS, streaming),
    )
    model = FallbackModel("ollama:llama3.2:1b", "faults:qwen3")
    result = run_agent(Agent(model, max_retries=0, sleep=sleeps), mode, streaming)

    assert result.text == "".join(TEXTS)
    assert paths(server) == ["/v1/chat/completions", "/compat/v1/chat/completions"]
    assert [body(server, i)["model"] for i in (0, 1)] == ["llama3.2:1b", "qwen3"]
    assert "authorization" not in server.requests[0].headers
    assert server.requests[1].headers["authorization"] == f"Bearer {FAKE_KEY}"
