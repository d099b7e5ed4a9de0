"""The project's seed conversation as a runnable agent: add and multiply, streamed.

With OPENAI_API_KEY set it talks to OpenAI. Without it, it replays the
conversation Fantasy recorded with the real provider (the cassette corpus,
found through FANTASY_CASSETTES or ../shared/fantasy-cassettes), so it runs
anywhere, offline. It says which one it did.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pydantic import BaseModel, Field

import fantasy
from fantasy.providers import openai

CASSETTE = Path("TestOpenAICommon/openai-gpt-4o-mini/multi_tool_streaming.yaml")


class CalculatorInput(BaseModel):
    a: int = Field(description="first number")
    b: int = Field(description="second number")


@fantasy.tool(name="add", description="Add two numbers")
def add(inp: CalculatorInput) -> str:
    return str(inp.a + inp.b)


@fantasy.tool(name="multiply", description="Multiply two numbers")
def multiply(inp: CalculatorInput) -> str:
    return str(inp.a * inp.b)


def provider() -> openai.Provider:
    if os.environ.get("OPENAI_API_KEY"):
        print("[live] talking to OpenAI with your OPENAI_API_KEY\n")
        return openai.Provider()
    from fantasy.testing import ReplayTransport

    root = Path(
        os.environ.get("FANTASY_CASSETTES")
        or Path(__file__).resolve().parents[2] / "shared" / "fantasy-cassettes"
    )
    path = root / CASSETTE
    if not path.exists():
        sys.exit(f"no OPENAI_API_KEY and no recorded conversation at {path}")
    print(f"[replay] no OPENAI_API_KEY: replaying the recorded conversation {path}\n")
    return openai.Provider(api_key="replay", transport=ReplayTransport(path))


def output_text(result: fantasy.ToolResultContent) -> str:
    output = result.result
    if isinstance(output, fantasy.ToolResultOutputText):
        return output.text
    if isinstance(output, fantasy.ToolResultOutputError):
        return f"error: {output.error}"
    return repr(output)


def main() -> None:
    model = provider().language_model("gpt-4o-mini")
    agent = fantasy.Agent(
        model,
        system_prompt=(
            "You are a helpful assistant. Always use both add and multiply at the same time."
        ),
        tools=[add, multiply],
    )
    stream = agent.stream(
        "Add and multiply the number 2 and 3",
        max_output_tokens=4000,
        on_tool_call=lambda call: print(f"-> {call.tool_name}({call.input})"),
        on_tool_result=lambda result: print(f"<- {result.tool_name}: {output_text(result)}"),
    )
    for part in stream:
        if part.type is fantasy.StreamPartType.TEXT_DELTA:
            print(part.delta, end="", flush=True)
    result = stream.result
    print(f"\n\nsteps: {len(result.steps)}, usage: {result.total_usage}")


if __name__ == "__main__":
    main()
