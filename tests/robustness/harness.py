"""Run a provider's documented response shapes through both paths and check nothing is lost.

A `Fixture` is one answer written from a provider's API reference: the whole JSON
body (``generate``) and/or the raw bytes of the streamed answer (``stream``), and
what a user must get out of it (`Expected`). `check` sends each through the real
provider model, over an httpx mock transport (no network), and through the agent
(so assembly of stream parts is what users get), with the stream's bytes split at
seeded random places, and compares:

joined text, joined reasoning, tool calls (ids, names, JSON-equal arguments),
provider-executed calls and results, sources, generated files, finish reason (raw
and mapped), usage, and the warnings that say something was not understood.

Fixture files live next to this module, one per provider family
(``fixtures_<family>.py``, each defining ``FIXTURES: list[Fixture]``), with a test
module that parametrizes `check` over them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from fantasy import Agent
from fantasy.errors import MaxStepsExceededError
from fantasy.model import LanguageModel
from fantasy.types import (
    CallWarning,
    FileContent,
    FinishReason,
    ReasoningContent,
    SourceContent,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

KEY = "sk-robustness-0123456789abcdef"


def _openai(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(KEY, base_url=base_url, **kw).language_model("gpt-4o-mini")


def _responses(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(KEY, base_url=base_url, use_responses_api=True, **kw).language_model(
        "gpt-5"
    )


def _compat(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import openaicompat

    return openaicompat.Provider(base_url=base_url, api_key=KEY, **kw).language_model("model")


def _openrouter(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import openrouter

    model = openrouter.Provider(KEY, **kw).language_model("openai/gpt-4o")
    return model


def _vercel(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import vercel

    return vercel.Provider(KEY, base_url=base_url, **kw).language_model("anthropic/claude-sonnet-4")


def _anthropic(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import anthropic

    return anthropic.Provider(KEY, base_url=base_url, **kw).language_model("claude-sonnet-4-5")


def _bedrock(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import bedrock

    return bedrock.Provider(KEY, base_url=base_url, **kw).language_model(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )


def _gemini(base_url: str, **kw: Any) -> LanguageModel:
    from fantasy.providers import google

    return google.Provider(KEY, base_url=base_url, **kw).language_model("gemini-2.5-flash")


BUILDERS: dict[str, Callable[..., LanguageModel]] = {
    "openai-chat": _openai,
    "openai-responses": _responses,
    "openaicompat": _compat,
    "openrouter": _openrouter,
    "vercel": _vercel,
    "anthropic": _anthropic,
    "bedrock": _bedrock,
    "google": _gemini,
}
"""How each family's model is made; a fixture names one (or gives its own ``build``)."""

BASE_URL = "http://robustness.invalid/v1"


@dataclass
class Expected:
    """What a user must be able to read from the answer."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[tuple[str, str, Any]] = field(default_factory=list)
    """Client tool calls: (id, name, arguments as a JSON value)."""
    provider_calls: list[tuple[str, str]] = field(default_factory=list)
    """Provider-executed calls: (id, name)."""
    provider_results: list[tuple[str, str]] = field(default_factory=list)
    """Provider-executed results: (tool call id, name)."""
    sources: list[str] = field(default_factory=list)
    """Each source's URL, or its id when it has no URL (a document)."""
    files: list[str] = field(default_factory=list)
    """Each generated file's media type."""
    finish_reason: FinishReason = FinishReason.STOP
    raw_finish_reason: str | None = None
    """None: not checked."""
    usage: Usage | None = None
    """None: not checked."""
    warnings: list[str] = field(default_factory=list)
    """Substrings, one per warning that must be reported (unknown events, blocks)."""


@dataclass
class Fixture:
    name: str
    family: str
    expect: Expected
    whole: Any = None
    """The non-streamed answer as a JSON value (None: not tried)."""
    stream: bytes | None = None
    """The streamed answer's bytes (None: not tried)."""
    stream_expect: Expected | None = None
    """When the stream says more or less than the whole answer; default `expect`."""
    build_options: dict[str, Any] = field(default_factory=dict)
    """Extra provider keyword arguments."""


def sse(*events: Any, done: bool = False, named: bool = False) -> bytes:
    """Server-Sent Events whose data are these JSON values (``named``: an ``event:``
    line with each value's ``type``, as Anthropic and the Responses API send)."""
    out: list[bytes] = []
    for event in events:
        head = f"event: {event['type']}\n" if named else ""
        out.append(f"{head}data: {json.dumps(event)}\n\n".encode())
    if done:
        out.append(b"data: [DONE]\n\n")
    return b"".join(out)


# --------------------------------------------------------------------------- running


def _splits(data: bytes, seed: int) -> list[bytes]:
    """``data`` cut at random places (1 to 64 bytes apart), reproducibly."""
    rng = random.Random(seed)
    pieces: list[bytes] = []
    at = 0
    while at < len(data):
        step = rng.randint(1, 64)
        pieces.append(data[at : at + step])
        at += step
    return pieces


def _transport(fixture: Fixture, *, streaming: bool, seed: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if streaming:
            assert fixture.stream is not None
            kind = (
                "application/vnd.amazon.eventstream"
                if fixture.family == "bedrock"
                else "text/event-stream"
            )
            pieces = _splits(fixture.stream, seed)
            return httpx.Response(200, headers={"content-type": kind}, content=iter(pieces))
        return httpx.Response(200, json=fixture.whole)

    return httpx.MockTransport(handler)


@dataclass
class Seen:
    """What one path gave the user."""

    text: str
    reasoning: str
    tool_calls: list[tuple[str, str, Any]]
    provider_calls: list[tuple[str, str]]
    provider_results: list[tuple[str, str]]
    sources: list[str]
    files: list[str]
    finish_reason: FinishReason
    raw_finish_reason: str
    usage: Usage
    warnings: list[CallWarning]


def _arguments(value: str) -> Any:
    """A call's arguments as a JSON value; free-form input (OpenAI's custom tools) as
    the text it is."""
    try:
        return json.loads(value or "{}")
    except ValueError:
        return value


def _seen(step: Any) -> Seen:
    content = list(step.content)
    calls = [c for c in content if isinstance(c, ToolCallContent)]
    return Seen(
        text="".join(c.text for c in content if isinstance(c, TextContent)),
        reasoning="".join(c.text for c in content if isinstance(c, ReasoningContent)),
        tool_calls=[
            (c.tool_call_id, c.tool_name, _arguments(c.input))
            for c in calls
            if not c.provider_executed
        ],
        provider_calls=[(c.tool_call_id, c.tool_name) for c in calls if c.provider_executed],
        provider_results=[
            (c.tool_call_id, c.tool_name)
            for c in content
            if isinstance(c, ToolResultContent) and c.provider_executed
        ],
        sources=[c.url or c.id for c in content if isinstance(c, SourceContent)],
        files=[c.media_type for c in content if isinstance(c, FileContent)],
        finish_reason=step.finish_reason,
        raw_finish_reason=step.raw_finish_reason,
        usage=step.usage,
        warnings=list(step.warnings),
    )


def run(fixture: Fixture, *, streaming: bool, seed: int = 0) -> Seen:
    """One path of a fixture, through the agent (one step, no tools run)."""
    build = BUILDERS[fixture.family]
    model = build(
        BASE_URL,
        transport=_transport(fixture, streaming=streaming, seed=seed),
        **fixture.build_options,
    )
    agent = Agent(model, max_steps=1, max_retries=0)
    try:
        if streaming:
            stream = agent.stream("go")
            for _ in stream:
                pass
            result = stream.result
        else:
            result = agent.generate("go")
    except MaxStepsExceededError as exc:
        # The answer called a (client) tool: the agent would go on; its one step is
        # what is checked.
        assert exc.partial_result is not None
        result = exc.partial_result
    return _seen(result.steps[0])


def compare(seen: Seen, expect: Expected, where: str) -> None:
    """Everything the user relies on, with the path named on failure."""
    assert seen.text == expect.text, f"{where}: text"
    assert seen.reasoning == expect.reasoning, f"{where}: reasoning"
    assert seen.tool_calls == expect.tool_calls, f"{where}: tool calls"
    assert seen.provider_calls == expect.provider_calls, f"{where}: provider-executed calls"
    assert seen.provider_results == expect.provider_results, f"{where}: provider results"
    assert seen.sources == expect.sources, f"{where}: sources"
    assert seen.files == expect.files, f"{where}: files"
    assert seen.finish_reason == expect.finish_reason, f"{where}: finish reason"
    if expect.raw_finish_reason is not None:
        assert seen.raw_finish_reason == expect.raw_finish_reason, f"{where}: raw finish"
    if expect.usage is not None:
        assert seen.usage == expect.usage, f"{where}: usage"
    said = [w.message or w.details or w.setting for w in seen.warnings]
    for wanted in expect.warnings:
        assert any(wanted in s for s in said), f"{where}: no warning saying {wanted!r}: {said}"
    assert len(said) == len(expect.warnings), f"{where}: unexpected warnings {said}"


SEEDS = (0, 1, 2)
"""Each stream is tried whole-chunked this many ways."""


def check(fixture: Fixture) -> None:
    """The fixture through ``generate`` and through ``stream`` (several splits)."""
    if fixture.whole is not None:
        compare(run(fixture, streaming=False), fixture.expect, f"{fixture.name} (generate)")
    if fixture.stream is not None:
        expect = fixture.stream_expect or fixture.expect
        for seed in SEEDS:
            seen = run(fixture, streaming=True, seed=seed)
            compare(seen, expect, f"{fixture.name} (stream, split {seed})")


def ids(fixtures: list[Fixture]) -> Iterator[str]:
    return (f.name for f in fixtures)
