"""Run a model or an agent through either face, so each fault is tried sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from fantasy import Agent
from fantasy.agent import AgentResult
from fantasy.model import Call, LanguageModel, Response
from fantasy.types import StreamPart, user_message
from tests.faults.server import Reply, Stream
from tests.faults.wire import Family

MODES = ["sync", "async"]
T = TypeVar("T")


async def aclose(model: LanguageModel) -> None:
    """Close a model's async client inside the loop that opened its connections."""
    transport = getattr(model, "transport", None)
    if transport is not None:
        await transport.aclose()


async def closing_after(model: LanguageModel, work: Awaitable[T]) -> T:
    try:
        return await work
    finally:
        await aclose(model)


def call(**kwargs: Any) -> Call:
    return Call([user_message("Say hi")], **kwargs)


def generate(model: LanguageModel, mode: str, c: Call | None = None) -> Response:
    c = c or call()
    if mode == "sync":
        return model.generate(c)
    return asyncio.run(closing_after(model, model.agenerate(c)))


def stream_parts(model: LanguageModel, mode: str, c: Call | None = None) -> list[StreamPart]:
    c = c or call()
    if mode == "sync":
        return list(model.stream(c))

    async def collect() -> list[StreamPart]:
        return [p async for p in model.astream(c)]

    return asyncio.run(closing_after(model, collect()))


def run_agent(agent: Agent, mode: str, streaming: bool, **options: Any) -> AgentResult:
    """One agent run to its result (or its exception), in the face and mode asked for."""
    if mode == "sync":
        if streaming:
            return agent.stream("Say hi", **options).result
        return agent.generate("Say hi", **options)

    async def go() -> AgentResult:
        if streaming:
            return await agent.astream("Say hi", **options).collect()
        return await agent.agenerate("Say hi", **options)

    return asyncio.run(closing_after(agent.model, go()))


def answer(family: Family, texts: list[str], streaming: bool) -> Reply | Stream:
    """The family's successful answer, streamed or whole."""
    if streaming:
        return Stream(family.stream(texts), content_type=family.content_type)
    return Reply(body=family.whole("".join(texts)))


def error_reply(family: Family, status: int, message: str, **headers: str) -> Reply:
    return Reply(status, family.http_error(message, status), headers=dict(headers))
