"""A chat page for a fantasy agent: the AI SDK's UI message stream over one POST route.

    pip install 'fantasy[ui]'
    python examples/web_chat/server.py            # then open http://127.0.0.1:8000

With ``OPENAI_API_KEY`` set the agent asks ``openai:gpt-4o-mini``; without it, an
offline model (`OfflineWeatherModel`, below) answers, so the page works with no key and
no network: it calls the weather tool for the city you name and then answers from
the tool's result, streamed word by word. Ask it to remind you of something and it
calls ``set_reminder``, a tool that needs approval: the page shows Allow and Deny.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route

import fantasy
import fantasy.ui
from fantasy.types import (
    FinishReason,
    Role,
    StreamPart,
    StreamPartType,
    ToolResultOutputError,
    ToolResultPart,
    Usage,
)

PAGE = Path(__file__).with_name("index.html")


@fantasy.tool
def weather(city: str) -> str:
    """Today's weather in a city."""
    # A stand-in for a real weather service: the same city always gets the same sky.
    skies = ["sunny", "cloudy", "rainy", "windy"]
    score = sum(map(ord, city.lower()))
    return json.dumps({"city": city, "sky": skies[score % 4], "celsius": 12 + score % 15})


@fantasy.tool(needs_approval=True)
def set_reminder(text: str) -> str:
    """Sets a reminder. Asks the user first: the page shows Allow and Deny."""
    return f"reminder set: {text}"


class OfflineWeatherModel(fantasy.BaseLanguageModel):
    """Answers like a model would, without one: a tool call for the city in the
    question (or a reminder, which needs the user's approval), then a sentence built
    from the tool's result."""

    provider_name = "offline"
    model_id = "weather-demo"

    def __init__(self, delay: float = 0.04) -> None:
        self.delay = delay

    async def agenerate(self, call: fantasy.Call) -> fantasy.Response:
        raise NotImplementedError("the offline model only streams")

    async def astream(self, call: fantasy.Call) -> AsyncIterator[StreamPart]:
        last = call.prompt[-1]
        if last.role is Role.TOOL:
            result = next(p for p in last.content if isinstance(p, ToolResultPart))
            answer = _answer(result)
            async for part in self._text(answer):
                yield part
            yield StreamPart(
                StreamPartType.FINISH, usage=Usage(40, 16, 56), finish_reason=FinishReason.STOP
            )
            return
        question = " ".join(getattr(p, "text", "") for p in last.content)
        if "remind" in question.lower():
            what = re.sub(r"(?i)^.*?remind me (to )?", "", question).rstrip(".?!") or "it"
            intro, tool_name, arguments = (
                "I will set that reminder once you allow it.",
                "set_reminder",
                json.dumps({"text": what}),
            )
        else:
            city = _city(question)
            intro, tool_name, arguments = (
                f"Let me look up the weather in {city}.",
                "weather",
                json.dumps({"city": city}),
            )
        async for part in self._text(intro):
            yield part
        call_id = f"call-{uuid.uuid4().hex[:12]}"
        yield StreamPart(StreamPartType.TOOL_INPUT_START, id=call_id, tool_call_name=tool_name)
        yield StreamPart(StreamPartType.TOOL_INPUT_DELTA, id=call_id, delta=arguments)
        yield StreamPart(StreamPartType.TOOL_INPUT_END, id=call_id)
        yield StreamPart(
            StreamPartType.TOOL_CALL,
            id=call_id,
            tool_call_name=tool_name,
            tool_call_input=arguments,
        )
        yield StreamPart(
            StreamPartType.FINISH, usage=Usage(30, 12, 42), finish_reason=FinishReason.TOOL_CALLS
        )

    async def _text(self, text: str) -> AsyncIterator[StreamPart]:
        yield StreamPart(StreamPartType.TEXT_START, id="text")
        for word in re.findall(r"\S+\s*", text):
            await asyncio.sleep(self.delay)
            yield StreamPart(StreamPartType.TEXT_DELTA, id="text", delta=word)
        yield StreamPart(StreamPartType.TEXT_END, id="text")


def _answer(result: ToolResultPart) -> str:
    """The model's sentence about a tool's result."""
    output = result.output
    if isinstance(output, ToolResultOutputError):
        return f"I did not do it ({output.error})."
    text = getattr(output, "text", "")
    if text.startswith("{"):
        forecast = json.loads(text)
        return f"In {forecast['city']} it is {forecast['sky']} today, {forecast['celsius']} °C."
    return f"Done: {text}."


def _city(question: str) -> str:
    """The city a question names: after "in" if it says so, else its last capitalised
    word that is not a question word; Paris when it names none."""
    named = re.findall(r"\bin ([A-Z][\w-]+(?: [A-Z][\w-]+)*)", question)
    if named:
        return str(named[-1])
    words = [w for w in re.findall(r"\b[A-Z][\w-]+", question) if w not in _NOT_CITIES]
    return words[-1] if words else "Paris"


_NOT_CITIES = {"And", "What", "How", "Is", "The", "Weather", "Tell", "Please", "In", "Today"}


def build_agent() -> fantasy.Agent[Any]:
    model: Any = "openai:gpt-4o-mini" if os.environ.get("OPENAI_API_KEY") else OfflineWeatherModel()
    return fantasy.Agent(
        model,
        system_prompt="You answer questions about the weather and set reminders, with your tools.",
        tools=[weather, set_reminder],
    )


async def page(request: Any) -> FileResponse:
    return FileResponse(PAGE)


def build_app(agent: fantasy.Agent[Any] | None = None) -> Starlette:
    return Starlette(
        routes=[
            Route("/", page),
            Route("/api/chat", fantasy.ui.asgi(agent or build_agent()), methods=["POST"]),
        ]
    )


app = build_app()

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
