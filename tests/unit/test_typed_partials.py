"""Typed partial objects reuse what is complete, and are exactly what validating the
whole partial object gives.

Each typed stream below is checked against a reference: the raw object parts of the
same stream, each validated whole with pydantic, unchanged ones left out. The types
cover where instances are reused (models, dataclasses, lists, dicts, optionals,
recursion) and where they must not be (aliases given by name, validators that rebuild
values, unions, TypedDicts).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from typing_extensions import TypedDict

import fantasy
from fantasy.objects import ObjectStreamPartType
from fantasy.testing import FakeModel, stream_parts_for_text

T = TypeVar("T")


class Tag(BaseModel):
    label: str
    weight: float = 1.0


class Record(BaseModel):
    id: int
    name: str
    tags: list[Tag]
    note: str | None = None


class Records(BaseModel):
    items: list[Record]
    index: dict[str, Record] = {}
    title: str = ""


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Shape:
    name: str
    points: list[Point]
    extra: dict[str, list[Point]] = field(default_factory=dict)


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    full_name: str = Field(alias="fullName")
    friends: list[Tag] = Field(alias="friendList")


class AliasOnly(BaseModel):
    full_name: str = Field(alias="fullName")
    friends: list[Tag] = Field(alias="friendList")


class Sorted(BaseModel):
    items: list[Tag]

    @field_validator("items")
    @classmethod
    def heaviest_first(cls, items: list[Tag]) -> list[Tag]:
        return sorted(items, key=lambda t: -t.weight)


class Rebuilt(BaseModel):
    tags: list[Tag]

    @model_validator(mode="before")
    @classmethod
    def swap(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("tags"), list):
            data = {**data, "tags": list(reversed(data["tags"]))}
        return data


class Revalidated(BaseModel):
    model_config = ConfigDict(revalidate_instances="always")
    label: str


class Mixed(BaseModel):
    model_config = ConfigDict(strict=True)
    again: list[Revalidated]
    maybe: list[Tag] | None = None
    root: TagList
    frozen: list[FrozenTag] = []


class TagList(RootModel[list[Tag]]):
    pass


class FrozenTag(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
    label: str


class Page(BaseModel, Generic[T]):
    entries: list[T]
    after: list[Totalled] = []


class Totalled(BaseModel):
    tags: list[Tag]
    total: float = 0.0

    @model_validator(mode="after")
    def add_up(self) -> Totalled:
        self.total = sum(t.weight for t in self.tags)
        return self


@pydantic_dataclass
class PydanticPoint:
    x: int
    tags: list[Tag]


class Cat(BaseModel):
    meow: str


class Dog(BaseModel):
    bark: str


class Pets(BaseModel):
    pets: list[Cat | Dog]


class Movie(TypedDict):
    title: str
    cast: list[Tag]


def _tags(n: int) -> list[dict[str, Any]]:
    return [{"label": f"t{k}", "weight": k / 2} for k in range(n)]


CASES: list[tuple[Any, Any]] = [
    (
        Records,
        {
            "items": [{"id": k, "name": f"n{k}", "tags": _tags(k % 3)} for k in range(4)],
            "index": {"a": {"id": 9, "name": "x", "tags": _tags(2), "note": "y"}},
            "title": "records",
        },
    ),
    (Tree, {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}, {"value": 4}]}),
    (Shape, {"name": "s", "points": [{"x": 1, "y": 2}] * 3, "extra": {"a": [{"x": 0, "y": 0}]}}),
    (Aliased, {"fullName": "Ann", "friendList": _tags(3)}),
    (AliasOnly, {"fullName": "Ann", "friendList": _tags(3)}),
    (Sorted, {"items": _tags(4)}),
    (Rebuilt, {"tags": _tags(4)}),
    (Pets, {"pets": [{"meow": "a"}, {"bark": "b"}, {"meow": "c"}]}),
    (Movie, {"title": "m", "cast": _tags(3)}),
    (list[Record], [{"id": k, "name": "n", "tags": _tags(1)} for k in range(3)]),
    (
        Page[PydanticPoint],
        {
            "entries": [{"x": 1, "tags": _tags(2)}, {"x": 2, "tags": []}],
            "after": [{"tags": _tags(3)}, {"tags": _tags(1)}],
        },
    ),
    (
        Mixed,
        {
            "again": [{"label": "a"}, {"label": "b"}],
            "maybe": _tags(2),
            "root": _tags(2),
            "frozen": [{"label": "f", "more": {"x": [1, 2]}}, {"label": "g"}],
        },
    ),
]


def _stream(text: str, size: int, output: Any) -> fantasy.ObjectStream[Any]:
    model = FakeModel(
        [stream_parts_for_text([text[i : i + size] for i in range(0, len(text), size)])]
    )
    model.native_object_output = True
    return fantasy.stream_object(model, "x", output)


def _reference(text: str, size: int, output: Any) -> list[Any]:
    """Each raw partial object validated whole; unchanged ones left out."""
    adapter = TypeAdapter(output)
    out: list[Any] = []
    for part in _stream(text, size, output):
        if part.type is not ObjectStreamPartType.OBJECT:
            continue
        try:
            value = adapter.validate_python(part.object)
        except ValueError:
            continue
        if not out or value != out[-1]:
            out.append(value)
    return out


@pytest.mark.parametrize("size", [1, 3, 7])
@pytest.mark.parametrize(("output", "document"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_each_partial_is_the_whole_validation_of_its_text(
    output: Any, document: Any, size: int
) -> None:
    text = json.dumps(document)
    stream = _stream(text, size, output)
    partials = list(stream.partial_objects())
    expected = _reference(text, size, output)
    assert partials == expected
    assert all(type(p) is type(e) for p, e in zip(partials, expected, strict=True))
    assert all(a != b for a, b in itertools.pairwise(partials))
    assert stream.object() == TypeAdapter(output).validate_python(document)


def test_completed_sub_objects_are_shared_between_partials() -> None:
    text = json.dumps(CASES[0][1])
    partials = list(_stream(text, 2, Records).partial_objects())
    firsts = [p.items[0] for p in partials if len(p.items) > 1]
    assert len(firsts) > 10
    assert all(first is firsts[0] for first in firsts)  # validated once, then reused


def test_each_completed_record_is_validated_once() -> None:
    """The work per delta does not grow with the object: a record's validator runs while
    the record is open, then never again (validating each partial whole ran it for every
    record at every delta)."""
    calls = 0

    class Counted(BaseModel):
        id: int
        name: str

        @field_validator("name")
        @classmethod
        def count(cls, name: str) -> str:
            nonlocal calls
            calls += 1
            return name

    class Many(BaseModel):
        items: list[Counted]

    document = {"items": [{"id": k, "name": f"record {k}"} for k in range(200)]}
    text = json.dumps(document)
    parts = list(_stream(text, 4, Many))
    objects = sum(1 for p in parts if p.type is ObjectStreamPartType.OBJECT)
    calls = 0
    stream = _stream(text, 4, Many)
    partials = list(stream.partial_objects())
    assert calls <= objects + len(document["items"])
    assert partials[-1] == Many.model_validate(document)


def test_parts_from_elsewhere_are_validated_whole() -> None:
    """Parts without the parser's record of complete containers (a program's own) may
    change their objects in place: nothing is reused."""
    record: dict[str, Any] = {"id": 1, "name": "a", "tags": []}
    items: list[Any] = [record]

    def parts() -> Any:
        yield fantasy.ObjectStreamPart(ObjectStreamPartType.OBJECT, object={"items": items})
        record["name"] = "b"
        yield fantasy.ObjectStreamPart(ObjectStreamPartType.OBJECT, object={"items": items})

    stream = fantasy.ObjectStream.from_parts(parts(), Records)
    assert [p.items[0].name for p in stream.partial_objects()] == ["a", "b"]
