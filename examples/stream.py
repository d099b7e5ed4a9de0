"""Fantasy's examples/stream: Chuck the puppy barks through a tool, streamed as it
happens, with a callback for every text delta, tool call, tool result and step.

    python examples/stream.py

With OPENAI_API_KEY set it asks gpt-5 on OpenAI. Without it, a
`fantasy.testing.FakeModel` plays the model's part, streaming its answer in pieces, so
the program runs offline; the bark tool itself always runs. It says which it did.
"""

from __future__ import annotations

import os
import random

from pydantic import BaseModel, Field

import fantasy
from fantasy.providers import openai
from fantasy.testing import FakeModel, stream_parts_for_text, stream_parts_for_tool_calls

SYSTEM_PROMPT = """
You are moderately helpful assistant with a new puppy named Chuck. Chuck is
moody and ranges from very happy to very annoyed. He's pretty happy-go-lucky,
but new encounters make him pretty uncomfortable.

You despise emojis and never use them. Same with Markdown. Same with em-dashes.
You prefer "welp" to "well" when starting a sentence (that's just how you were
raised). You also don't use run-on sentences, including entering a comma where
there should be a period. You had a decent education and did well in elementary
school grammar. You grew up in the United States, specifically Kansas City,
Missouri.
"""

PROMPT = (
    "Chuck just met a new dog at the park. Find out what he thinks of the dog. "
    "Make sure to thank Chuck afterwards."
)


class DogInteraction(BaseModel):
    dog_name: str = Field(
        alias="dogName",
        description=(
            "Name of the other dog. Just make something up. All the dogs are named "
            "after Japanese cars from the 80s."
        ),
    )


def random_barks(low: int, high: int) -> str:
    return " ".join("ruff" for _ in range(random.randint(low, high)))


@fantasy.tool(
    name="bark",
    description=(
        "Have Chuck express his feelings by barking. A few barks means he's happy "
        "and many barks means he's not."
    ),
)
def lets_bark(interaction: DogInteraction) -> str:
    return random_barks(1, 3) if random.random() >= 0.5 else random_barks(5, 10)


def offline_model() -> FakeModel:
    """The model's part, scripted and streamed: ask Chuck, then answer in pieces."""
    return FakeModel(
        [
            stream_parts_for_tool_calls(("call-1", "bark", {"dogName": "Corolla"})),
            stream_parts_for_text(
                ["Welp, Chuck ", "has spoken about Corolla. ", "Thank you, Chuck."]
            ),
        ]
    )


def model() -> fantasy.LanguageModel:
    if os.environ.get("OPENAI_API_KEY"):
        print("[live] asking gpt-5 on OpenAI (OPENAI_API_KEY)")
        return openai.Provider().language_model("gpt-5")
    print("[offline] no OPENAI_API_KEY: a FakeModel plays the model's part")
    return offline_model()


def tool_text(result: fantasy.ToolResultContent) -> str:
    output = result.result
    if not isinstance(output, fantasy.ToolResultOutputText):
        raise TypeError(f"the {result.tool_name} tool did not answer with text: {output!r}")
    return output.text


def main() -> None:
    agent = fantasy.Agent(model(), system_prompt=SYSTEM_PROMPT, tools=[lets_bark])
    print("Generating...")
    stream = agent.stream(
        PROMPT,
        on_text_delta=lambda block_id, text: print(text, end="", flush=True),
        on_tool_call=lambda call: print(
            f"-> Invoking the {call.tool_name} tool with input {call.input}", end=""
        ),
        on_tool_result=lambda result: print(
            f"\n-> Using the {result.tool_name} tool: {tool_text(result)}", end=""
        ),
        on_step_finish=lambda step: print("\n-> Step completed"),
    )
    _ = stream.result  # runs the stream to its end, raising its error if it failed


if __name__ == "__main__":
    main()
