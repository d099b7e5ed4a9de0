"""Fantasy's examples/structured-outputs: a recipe as a typed object, generated whole,
then streamed as it grows.

    python examples/structured_outputs.py

With OPENAI_API_KEY set it asks gpt-4o-mini on OpenAI (native JSON schema output).
Without it, a `fantasy.testing.FakeModel` plays the model's part, answering with JSON
text (streamed in small pieces the second time), so the program runs offline; the
parsing, validation and partial objects are the library's, as live. It says which it did.
"""

from __future__ import annotations

import json
import os

from pydantic import BaseModel, Field

import fantasy
from fantasy.providers import openai
from fantasy.testing import FakeModel, stream_parts_for_text, text_response


class Recipe(BaseModel):
    # Defaults, as Go's zero values: a partial recipe is a Recipe too.
    name: str = Field(default="", description="The name of the recipe")
    ingredients: list[str] = Field(default=[], description="List of ingredients needed")
    steps: list[str] = Field(default=[], description="Step-by-step cooking instructions")
    prep_time: int = Field(default=0, description="Preparation time in minutes")


COOKIES = Recipe(
    name="Chocolate Chip Cookies",
    ingredients=["butter", "brown sugar", "eggs", "flour", "baking soda", "chocolate chips"],
    steps=["Cream the butter and sugar.", "Beat in the eggs.", "Fold in the rest.", "Bake."],
    prep_time=20,
)
BANANA_BREAD = Recipe(
    name="Banana Bread",
    ingredients=["ripe bananas", "butter", "sugar", "egg", "flour", "baking soda"],
    steps=["Mash the bananas.", "Mix everything.", "Bake for an hour."],
    prep_time=15,
)


def pieces(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def offline_model() -> FakeModel:
    """The model's part, scripted: the recipes as JSON, the second one streamed."""
    model = FakeModel(
        [
            text_response(COOKIES.model_dump_json(), usage=fantasy.Usage(total_tokens=180)),
            stream_parts_for_text(pieces(json.dumps(BANANA_BREAD.model_dump()))),
        ]
    )
    model.native_object_output = True  # as OpenAI: JSON schema output, not a tool call
    return model


def model() -> fantasy.LanguageModel:
    if os.environ.get("OPENAI_API_KEY"):
        print("[live] asking gpt-4o-mini on OpenAI (OPENAI_API_KEY)")
        return openai.Provider().language_model("gpt-4o-mini")
    print("[offline] no OPENAI_API_KEY: a FakeModel plays the model's part")
    return offline_model()


def main() -> None:
    llm = model()
    print("\nGenerating a recipe...")
    result = fantasy.generate_object(llm, "Give me a recipe for chocolate chip cookies", Recipe)
    recipe = result.object
    print(f"Recipe: {recipe.name}")
    print(f"Prep time: {recipe.prep_time} minutes")
    print(f"Ingredients: {len(recipe.ingredients)}")
    for i, ingredient in enumerate(recipe.ingredients, 1):
        print(f"  {i}. {ingredient}")
    print(f"Steps: {len(recipe.steps)}")
    for i, step in enumerate(recipe.steps, 1):
        print(f"  {i}. {step}")
    print(f"\nTokens used: {result.usage.total_tokens}\n")

    print("Now let's try streaming...")
    stream = fantasy.stream_object(llm, "Give me a recipe for banana bread", Recipe)
    for count, partial in enumerate(stream.partial_objects(), 1):
        print(
            f"  Update {count}: {partial.name} "
            f"({len(partial.ingredients)} ingredients, {len(partial.steps)} steps)"
        )
    print()


if __name__ == "__main__":
    main()
