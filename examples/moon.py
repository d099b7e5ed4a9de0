"""Fantasy's examples/moon: Francine, who knows the moon, answers in several steps,
calling the moon_phase tool as often as she needs (today, and December 31).

    python examples/moon.py

With ANTHROPIC_API_KEY set it asks claude-haiku-4-5 and the tool asks wttr.in. Without
it, a `fantasy.testing.FakeModel` plays the model's part (two tool calls, then an answer
built from what the tool said) and the tool computes the phase itself from the date, so
the program runs offline. It says which it did.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re

import httpx
from pydantic import BaseModel, Field

import fantasy
from fantasy.providers import anthropic
from fantasy.testing import FakeModel, text_response, tool_call_response

SYSTEM_PROMPT = """
You are a quiet assistant named Francine who knows about celestial bodies. You
use as few words as possible, but always reply in full, proper sentences.
You never reply with markdown. You always respond with weekdays.

You also have a cat named Federico who you think performs the actual queries,
and you give him credit in your responses whenever you use the moon phase tool.
"""

LIVE = bool(os.environ.get("ANTHROPIC_API_KEY"))


class MoonPhaseInput(BaseModel):
    date: str = Field(default="", description="Optional date in YYYY-MM-DD; if omitted, use today")


PHASES = [
    "New Moon",
    "Waxing Crescent",
    "First Quarter",
    "Waxing Gibbous",
    "Full Moon",
    "Waning Gibbous",
    "Last Quarter",
    "Waning Crescent",
]
SYNODIC_MONTH = 29.530588853
KNOWN_NEW_MOON = dt.datetime(2000, 1, 6, 18, 14, tzinfo=dt.UTC)


def phase_on(day: dt.date) -> str:
    """The moon's phase at noon UTC on ``day``, from the mean synodic month (within a
    day of the almanac's, which is all a phase name needs)."""
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    age = ((noon - KNOWN_NEW_MOON).total_seconds() / 86400) % SYNODIC_MONTH
    lit = (1 - math.cos(2 * math.pi * age / SYNODIC_MONTH)) / 2
    name = PHASES[int((age / SYNODIC_MONTH) * 8 + 0.5) % 8]
    return f"{name} (+{age:.0f} days, {lit:.0%} lit)"


@fantasy.tool(name="moon_phase", description="Get information about the moon phase")
async def moon_phase(inp: MoonPhaseInput) -> fantasy.ToolResponse:
    day = dt.date.today()
    if inp.date:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", inp.date):
            return fantasy.ToolResponse.error("invalid date format; use YYYY-MM-DD")
        try:
            day = dt.date.fromisoformat(inp.date)
        except ValueError:
            return fantasy.ToolResponse.error("invalid date format; use YYYY-MM-DD")
    if not LIVE:
        return fantasy.ToolResponse.text(f"Moon phase on {day.isoformat()}: {phase_on(day)}")
    url = "https://wttr.in/moon?T&q" if not inp.date else f"https://wttr.in/moon@{inp.date}?T&q"
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.get(url, headers={"User-Agent": "curl/8.0"})
    except httpx.HTTPError as exc:
        return fantasy.ToolResponse.error(f"request failed: {exc}")
    if response.status_code >= 400:
        return fantasy.ToolResponse.error(f"wttr.in error: {response.status_code}\n{response.text}")
    return fantasy.ToolResponse.text(response.text)


def offline_model(today: dt.date) -> FakeModel:
    """The model's part, scripted: the phase today, the phase on December 31, then an
    answer quoting what the tool said."""

    def answer(call: fantasy.Call) -> fantasy.Response:
        said = [
            part.output.text.split(": ", 1)[-1]
            for message in call.prompt
            for part in message.content
            if isinstance(part, fantasy.ToolResultPart)
            and isinstance(part.output, fantasy.ToolResultOutputText)
        ]
        return text_response(
            f"Federico says that on this {today:%A} the moon is a {said[0]}. "
            f"On {dt.date(today.year, 12, 31):%A}, December 31, it will be a {said[1]}."
        )

    return FakeModel(
        [
            tool_call_response(("call-1", "moon_phase", {})),
            tool_call_response(("call-2", "moon_phase", {"date": f"{today.year}-12-31"})),
            answer,
        ]
    )


def model(today: dt.date) -> fantasy.LanguageModel:
    if LIVE:
        print("[live] asking claude-haiku-4-5 on Anthropic (ANTHROPIC_API_KEY)")
        return anthropic.Provider().language_model("claude-haiku-4-5-20251001")
    print("[offline] no ANTHROPIC_API_KEY: a FakeModel plays the model's part")
    return offline_model(today)


def main() -> None:
    today = dt.date.today()
    agent = fantasy.Agent(model(today), system_prompt=SYSTEM_PROMPT, tools=[moon_phase])
    prompt = (
        "What is the moon phase today? And what will it be on December 31 this year? "
        f"Today's date is {today:%B} {today.day}, {today.year}."
    )
    print(f"\n{prompt}\n")
    result = agent.generate(prompt)
    print(result.response.content.text)
    usage = result.total_usage
    print(f"\n   Tokens in   {usage.input_tokens}")
    print(f"   Tokens out  {usage.output_tokens}")
    print(f"   Steps       {len(result.steps)}\n")


if __name__ == "__main__":
    main()
