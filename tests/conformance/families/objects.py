"""Structured output (Go: providertests/object_test.go and each *ObjectGeneration test).

The object groups call the model's object methods directly, without an agent:
a flat Person and a nested Book, generated and streamed, with Fantasy's exact
prompts, schema names and descriptions, and 4000 output tokens. Each object
family builds its models with the builder of the family it belongs to (Go
reuses the same builders, with no provider options).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import fantasy
from fantasy.objects import ObjectCall, ObjectStreamPartType
from tests.conformance.discovery import Case
from tests.conformance.registry import BUILDERS, builder, scenarios
from tests.conformance.scenarios import Face, Scenario, Setup

OBJECT_FAMILIES = {
    "openai-object": "openai",
    "openai-responses-object": "openai-responses",
    "openaicompat-object": "openaicompat",
    "anthropic-object": "anthropic",
    "google-object": "google",
}


def _delegate(object_family: str, base: str) -> None:
    @builder(object_family)
    def build(case: Case, transport: Any) -> tuple[fantasy.LanguageModel, Setup]:
        family = base
        if object_family == "google-object" and "claude" in case.pair:
            family = "anthropic"  # Claude on Vertex AI goes through the Anthropic provider
        model, _ = BUILDERS[family](case, transport)
        return model, Setup()


for _family, _base in OBJECT_FAMILIES.items():
    _delegate(_family, _base)


PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The person's name"},
        "age": {"type": "integer", "description": "The person's age"},
        "city": {"type": "string", "description": "The city where the person lives"},
    },
    "required": ["name", "age", "city"],
}

BOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "The book title"},
        "author": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Author's name"},
                "nationality": {"type": "string", "description": "Author's nationality"},
            },
            "required": ["name", "nationality"],
        },
        "genres": {
            "type": "array",
            "items": {"type": "string"},
            "description": "List of genres",
        },
        "published_year": {"type": "integer", "description": "Year the book was published"},
    },
    "required": ["title", "author", "genres", "published_year"],
}

PERSON_PROMPT = (
    "Generate information about a person named Alice who is 30 years old and lives in Paris."
)
BOOK_PROMPT = (
    "Generate information about 'The Lord of the Rings' book by J.R.R. Tolkien, including "
    "genres like fantasy and adventure, and its publication year (1954)."
)


@dataclass
class ObjectOutcome:
    object: Any
    raw_text: str
    usage: fantasy.Usage
    finish_reason: fantasy.FinishReason | None
    object_count: int


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_person(outcome: ObjectOutcome) -> None:
    obj = outcome.object
    assert isinstance(obj, dict), f"object should be a map: {obj!r}"
    for key in ("name", "age", "city"):
        assert key in obj, f"missing {key!r} in {obj!r}"
    assert isinstance(obj["name"], str) and obj["name"]
    assert _is_number(obj["age"]) and obj["age"] > 0
    assert isinstance(obj["city"], str) and obj["city"]


def check_book(outcome: ObjectOutcome) -> None:
    obj = outcome.object
    assert isinstance(obj, dict), f"object should be a map: {obj!r}"
    for key in ("title", "author", "genres", "published_year"):
        assert key in obj, f"missing {key!r} in {obj!r}"
    assert isinstance(obj["title"], str) and "rings" in obj["title"].lower()
    author = obj["author"]
    assert isinstance(author, dict) and "name" in author and "nationality" in author
    genres = obj["genres"]
    assert isinstance(genres, list) and genres
    assert all(isinstance(g, str) for g in genres)
    assert _is_number(obj["published_year"]) and obj["published_year"] > 1900


class ObjectScenario(Scenario):
    """A Go object subtest: GenerateObject or StreamObject, then the shared checks."""

    def __init__(self, call: ObjectCall, stream: bool, check_object: Any):
        super().__init__({}, "", stream, self._check)
        self.call = call
        self.check_object = check_object

    def run(self, model: fantasy.LanguageModel, setup: Setup, face: Face) -> Any:
        if self.stream:
            if face == "sync":
                return self._collect(list(model.stream_object(self.call)))

            async def drain() -> list[Any]:
                return [part async for part in model.astream_object(self.call)]

            return self._collect(asyncio.run(drain()))
        if face == "sync":
            response = model.generate_object(self.call)
        else:
            response = asyncio.run(model.agenerate_object(self.call))
        return ObjectOutcome(
            response.object, response.raw_text, response.usage, response.finish_reason, 1
        )

    @staticmethod
    def _collect(parts: list[Any]) -> ObjectOutcome:
        outcome = ObjectOutcome(None, "", fantasy.Usage(), None, 0)
        for part in parts:
            if part.type is ObjectStreamPartType.OBJECT:
                outcome.object = part.object
                outcome.object_count += 1
            elif part.type is ObjectStreamPartType.TEXT_DELTA:
                outcome.raw_text += part.delta
            elif part.type is ObjectStreamPartType.FINISH:
                outcome.usage = part.usage
                outcome.finish_reason = part.finish_reason
            elif part.type is ObjectStreamPartType.ERROR:
                raise AssertionError(f"stream error: {part.error!r}")
        return outcome

    def _check(self, outcome: Any) -> None:
        assert outcome.object is not None, "object should not be nil"
        assert outcome.usage.total_tokens > 0, "usage should be tracked"
        if self.stream:
            assert outcome.object_count > 0, "should have received object updates"
            assert outcome.finish_reason not in (None, fantasy.FinishReason.UNKNOWN)
        else:
            assert outcome.raw_text, "raw text should not be empty"
        self.check_object(outcome)


def object_scenario(name: str) -> ObjectScenario | None:
    stream = name.endswith("_streaming")
    base = name.removesuffix("_streaming")
    if base == "simple_object":
        call = ObjectCall(
            prompt=[fantasy.user_message(PERSON_PROMPT)],
            schema=PERSON_SCHEMA,
            schema_name="Person",
            schema_description="A person with name, age, and city",
            max_output_tokens=4000,
        )
        return ObjectScenario(call, stream, check_person)
    if base == "complex_object":
        call = ObjectCall(
            prompt=[fantasy.user_message(BOOK_PROMPT)],
            schema=BOOK_SCHEMA,
            schema_name="Book",
            schema_description="A book with title, author, genres, and publication year",
            max_output_tokens=4000,
        )
        return ObjectScenario(call, stream, check_book)
    return None


@scenarios
def object_generation(case: Case) -> Scenario | None:
    if not case.group.endswith("ObjectGeneration"):
        return None
    return object_scenario(case.scenario)
