"""Fantasy's examples/simple: an agent with one tool, on OpenRouter.

    python examples/simple.py

With OPENROUTER_API_KEY set it asks moonshotai/kimi-k2 on OpenRouter. Without it, a
`fantasy.testing.FakeModel` plays the model's part (it calls the tool, then answers from
what the tool said), so the program runs offline; the tool itself always runs. It says
which of the two it did.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

import fantasy
from fantasy.providers import openrouter
from fantasy.testing import FakeModel, text_response, tool_call_response

PROMPT = "Find all the cute dogs in Silver Lake, Los Angeles."


class CuteDogQuery(BaseModel):
    location: str = Field(description="The location to search for cute dogs.")


@fantasy.tool(name="cute_dog_tool", description="Provide up-to-date info on cute dogs.")
def fetch_cute_dog_info(query: CuteDogQuery) -> str:
    if query.location == "Silver Lake, Los Angeles":
        return "Cute dogs are everywhere!"
    return "No cute dogs found."


def offline_model() -> FakeModel:
    """The model's part, scripted: call the tool, then answer with what it returned."""

    def answer(call: fantasy.Call) -> fantasy.Response:
        said = [
            part.output.text
            for message in call.prompt
            for part in message.content
            if isinstance(part, fantasy.ToolResultPart)
            and isinstance(part.output, fantasy.ToolResultOutputText)
        ]
        return text_response(f"Woof, good news: {said[-1]} Silver Lake is full of them.")

    call_tool = tool_call_response(
        ("call-1", "cute_dog_tool", {"location": "Silver Lake, Los Angeles"})
    )
    return FakeModel([call_tool, answer])


def model() -> fantasy.LanguageModel:
    if os.environ.get("OPENROUTER_API_KEY"):
        print("[live] asking moonshotai/kimi-k2 on OpenRouter (OPENROUTER_API_KEY)\n")
        return openrouter.Provider().language_model("moonshotai/kimi-k2")
    print("[offline] no OPENROUTER_API_KEY: a FakeModel plays the model's part\n")
    return offline_model()


def main() -> None:
    agent = fantasy.Agent(
        model(),
        system_prompt="You are a moderately helpful, dog-centric assistant.",
        tools=[fetch_cute_dog_info],
    )
    result = agent.generate(PROMPT)
    print(result.response.content.text)


if __name__ == "__main__":
    main()
