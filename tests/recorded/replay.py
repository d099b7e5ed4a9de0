"""Replay answers shaped like ones recorded from real providers, over loopback HTTP.

Other projects record what providers really send (the AI SDK's ``__fixtures__``
chunk files, pydantic-ai's cassettes, ...). The fixtures of this folder are small
answers of our own in those shapes (the same events, fields and oddities, shortened),
served by the fault suite's loopback server (`tests.faults.server.FaultServer`):
streams as chunked HTTP bodies cut at several places, whole answers as JSON. The
provider code under test is the real one, from the HTTP client to the translator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fantasy.model import Call, LanguageModel, Response
from fantasy.types import (
    FinishReason,
    ReasoningContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    Usage,
    user_message,
)
from tests.faults.server import FaultServer, Reply, Stream

KEY = "sk-recorded-0123456789abcdef"
BUILT: list[LanguageModel] = []
"""Every model `model` built, closed by the folder's conftest."""


def _openai(url: str) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(KEY, base_url=url).language_model("gpt-4o-mini")


def _responses(url: str) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(KEY, base_url=url, use_responses_api=True).language_model("gpt-5")


def _compat(url: str) -> LanguageModel:
    from fantasy.providers import openaicompat

    return openaicompat.Provider(base_url=url, api_key=KEY).language_model("model")


def _anthropic(url: str) -> LanguageModel:
    from fantasy.providers import anthropic

    return anthropic.Provider(KEY, base_url=url).language_model("claude-sonnet-4-5")


def _google(url: str) -> LanguageModel:
    from fantasy.providers import google

    return google.Provider(KEY, base_url=url).language_model("gemini-2.5-flash")


BUILDERS: dict[str, Callable[[str], LanguageModel]] = {
    "openai": _openai,
    "responses": _responses,
    "openaicompat": _compat,
    "anthropic": _anthropic,
    "google": _google,
}


def model(family: str, server: FaultServer) -> LanguageModel:
    built = BUILDERS[family](server.url + "/v1")
    BUILT.append(built)
    return built


def sse(*events: Any, named: bool = False, done: bool = False) -> bytes:
    """Server-Sent Events of these JSON values (``named``: an ``event:`` line with each
    value's ``type``, as Anthropic and the Responses API send; ``done``: OpenAI's
    ``[DONE]`` at the end)."""
    out: list[str] = []
    for event in events:
        head = f"event: {event['type']}\n" if named else ""
        out.append(f"{head}data: {json.dumps(event)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def cuts(data: bytes, size: int) -> list[bytes]:
    """``data`` as HTTP chunks of ``size`` bytes (the last may be shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


SIZES = (7, 61, 1 << 20)
"""Each stream is served cut into chunks of these sizes (the last: whole)."""


@dataclass
class Seen:
    """What a user reads from one answer."""

    text: str = ""
    reasoning: str = ""
    calls: list[tuple[str, Any]] = field(default_factory=list)
    """Client tool calls: (name, arguments as JSON)."""
    finish: FinishReason | None = None
    raw_finish: str = ""
    usage: Usage | None = None
    errors: list[BaseException] = field(default_factory=list)
    parts: list[StreamPart] = field(default_factory=list)
    response: Response | None = None


def _call() -> Call:
    return Call([user_message("hi")])


def streamed(family: str, server: FaultServer, body: bytes, size: int, sync: bool = True) -> Seen:
    """The model's stream of ``body`` served in chunks of ``size`` bytes."""
    server.script(Stream(cuts(body, size)))
    built = model(family, server)
    if sync:
        parts = list(built.stream(_call()))
    else:

        async def collect() -> list[StreamPart]:
            try:
                return [p async for p in built.astream(_call())]
            finally:
                await built.transport.aclose()  # type: ignore[attr-defined]

        parts = asyncio.run(collect())
    seen = Seen(parts=parts)
    for part in parts:
        if part.type is StreamPartType.TEXT_DELTA:
            seen.text += part.delta
        elif part.type is StreamPartType.REASONING_DELTA:
            seen.reasoning += part.delta
        elif part.type is StreamPartType.TOOL_CALL and not part.provider_executed:
            seen.calls.append((part.tool_call_name, json.loads(part.tool_call_input)))
        elif part.type is StreamPartType.FINISH:
            seen.finish = part.finish_reason
            seen.raw_finish = part.raw_finish_reason
            seen.usage = part.usage
        elif part.type is StreamPartType.ERROR:
            assert part.error is not None
            seen.errors.append(part.error)
    return seen


def whole(family: str, server: FaultServer, body: Any) -> Seen:
    """The model's ``generate`` of this JSON answer."""
    server.script(Reply(body=json.dumps(body).encode()))
    response = model(family, server).generate(_call())
    seen = Seen(
        finish=response.finish_reason,
        raw_finish=response.raw_finish_reason,
        usage=response.usage,
        response=response,
    )
    for item in response.content:
        if isinstance(item, TextContent):
            seen.text += item.text
        elif isinstance(item, ReasoningContent):
            seen.reasoning += item.text
        elif isinstance(item, ToolCallContent) and not item.provider_executed:
            seen.calls.append((item.tool_name, json.loads(item.input)))
    return seen
