"""Schema generation in Fantasy's dialect, normalize, and the tool-input wrapper."""

from __future__ import annotations

import datetime
import enum
import functools
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, Optional

import pytest
from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

if TYPE_CHECKING:
    # Only type checkers see this name, like a context type imported for annotations.
    from decimal import Decimal as TypeCheckingOnly

from fantasy.schema import (
    normalize,
    schema_for,
    schema_for_signature,
    to_parameters,
    tool_input_schema,
)

DIALECT_KEYS = {
    "type",
    "properties",
    "required",
    "items",
    "description",
    "enum",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "anyOf",
    "additionalProperties",
}


def keywords(schema: Any) -> set[str]:
    """Every schema keyword used anywhere in ``schema`` (property names excluded)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key == "properties":
                for prop in value.values():
                    found |= keywords(prop)
            elif key == "anyOf":
                for variant in value:
                    found |= keywords(variant)
            elif key in ("items", "additionalProperties"):
                found |= keywords(value)
    return found


# --- the wire references (Fantasy's recorded OpenAI requests) ------------------


class WeatherInput(BaseModel):
    location: str = Field(description="the city")


class CalculatorInput(BaseModel):
    a: int = Field(description="first number")
    b: int = Field(description="second number")


WEATHER_WIRE = (
    '{"properties":{"location":{"description":"the city","type":"string"}},'
    '"required":["location"],"type":"object"}'
)
CALCULATOR_WIRE = (
    '{"properties":{"a":{"description":"first number","type":"integer"},'
    '"b":{"description":"second number","type":"integer"}},'
    '"required":["a","b"],"type":"object"}'
)


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def test_weather_matches_fantasy_wire() -> None:
    schema = schema_for(WeatherInput)
    assert schema == json.loads(WEATHER_WIRE)
    # Keyword order follows Go's sorted map encoding, so even the bytes match.
    assert compact(schema) == WEATHER_WIRE


def test_calculator_matches_fantasy_wire() -> None:
    schema = schema_for(CalculatorInput)
    assert schema == json.loads(CALCULATOR_WIRE)
    assert compact(schema) == CALCULATOR_WIRE


def test_tool_input_schema_rebuilds_the_wire_form() -> None:
    schema = schema_for(CalculatorInput)
    sent = tool_input_schema(to_parameters(schema), schema["required"])
    assert compact(sent) == CALCULATOR_WIRE


def test_signature_matches_fantasy_wire() -> None:
    def weather(location: Annotated[str, Field(description="the city")]) -> str:
        return location

    _, schema = schema_for_signature(weather)
    assert compact(schema) == WEATHER_WIRE


# --- plain types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (list[str], {"type": "array", "items": {"type": "string"}}),
        (
            list[list[int]],
            {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        ),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (set[str], {"type": "array", "items": {"type": "string"}}),
        (Optional[int], {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        (Any, {}),
        (list[Any], {"type": "array", "items": {}}),
        (dict[str, Any], {"type": "object", "properties": {}}),
        (
            dict[str, int],
            {"type": "object", "properties": {}, "additionalProperties": {"type": "integer"}},
        ),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Literal["only"], {"type": "string", "enum": ["only"]}),
        (Literal[1, 2], {"type": "integer", "enum": [1, 2]}),
        (Literal[True], {"type": "boolean", "enum": [True]}),
        (Literal[1, "a"], {"enum": [1, "a"]}),
        (
            Literal["a", None],
            {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]},
        ),
        (int | str, {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (
            int | str | None,
            {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
        ),
        (Annotated[str, Field(description="d")], {"type": "string", "description": "d"}),
        (datetime.datetime, {"type": "string", "format": "date-time"}),
        (datetime.date, {"type": "string", "format": "date"}),
    ],
)
def test_plain_types(tp: Any, expected: dict[str, Any]) -> None:
    assert schema_for(tp) == expected


def test_heterogeneous_tuple_becomes_items_union() -> None:
    assert schema_for(tuple[int, str]) == {
        "type": "array",
        "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "minItems": 2,
        "maxItems": 2,
    }
    assert schema_for(tuple[int, int]) == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 2,
        "maxItems": 2,
    }


# --- models --------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = "Lisbon"


class Person(BaseModel):
    name: str
    nickname: str | None = None
    age: Optional[int] = Field(default=None, description="years")  # noqa: UP045
    email: str | None  # nullable but still required, like a Go pointer
    color: Color = Field(description="favourite colour")
    priority: Priority = Priority.LOW
    mood: Literal["happy", "sad"]
    home: Address = Field(description="where they live")
    work: Address
    past: list[Address] = []


def test_optional_and_defaulted_fields_are_not_required() -> None:
    schema = schema_for(Person)
    assert schema["required"] == ["name", "email", "color", "mood", "home", "work"]
    nullable_string = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert schema["properties"]["nickname"] == nullable_string
    assert schema["properties"]["age"] == {
        "anyOf": [{"type": "integer"}, {"type": "null"}],
        "description": "years",
    }
    assert schema["properties"]["email"] == nullable_string  # required, and may be null


def test_enum_and_literal_fields() -> None:
    props = schema_for(Person)["properties"]
    assert props["color"] == {
        "type": "string",
        "enum": ["red", "green"],
        "description": "favourite colour",
    }
    assert props["priority"] == {"type": "integer", "enum": [1, 2]}
    assert props["mood"] == {"type": "string", "enum": ["happy", "sad"]}


def test_nested_models_are_inlined() -> None:
    schema = schema_for(Person)
    address = {
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "required": ["street"],
    }
    # The field's description overrides the class docstring, as Fantasy's tag does.
    assert schema["properties"]["home"] == {**address, "description": "where they live"}
    assert schema["properties"]["work"] == {**address, "description": "A postal address."}
    assert schema["properties"]["past"] == {
        "type": "array",
        "items": {**address, "description": "A postal address."},
    }
    assert keywords(schema) <= DIALECT_KEYS
    text = json.dumps(schema)
    for banned in ('"$ref"', '"$defs"', '"title"', '"default"', '"allOf"'):
        assert banned not in text


def test_property_names_that_look_like_keywords_survive() -> None:
    class Doc(BaseModel):
        title: str
        default: int
        type: str

    assert schema_for(Doc) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "default": {"type": "integer"},
            "type": {"type": "string"},
        },
        "required": ["title", "default", "type"],
    }


def test_property_order_is_declaration_order() -> None:
    class Answer(BaseModel):
        reasoning: str
        answer: str

    assert list(schema_for(Answer)["properties"]) == ["reasoning", "answer"]


class Node(BaseModel):
    value: int
    next: Node | None = None


class Tree(BaseModel):
    label: str
    children: list[Tree]


def test_recursive_models_refer_back_to_their_root() -> None:
    assert schema_for(Node) == {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
        },
        "required": ["value"],
    }
    assert schema_for(Tree)["properties"]["children"] == {
        "type": "array",
        "items": {"$ref": "#"},
    }


def test_recursion_guard_is_per_path_not_global() -> None:
    class Pair(BaseModel):
        left: Address
        right: Address

    # The same type twice side by side is not recursion: both are inlined.
    props = schema_for(Pair)["properties"]
    assert props["left"] == props["right"]
    assert "street" in props["left"]["properties"]


def test_object_without_required_fields_omits_required() -> None:
    class Options(BaseModel):
        verbose: bool = False

    assert schema_for(Options) == {
        "type": "object",
        "properties": {"verbose": {"type": "boolean"}},
    }


def test_empty_model_has_empty_properties() -> None:
    class Nothing(BaseModel):
        pass

    assert schema_for(Nothing) == {"type": "object", "properties": {}}


def test_extra_forbid_closes_the_object_and_title_is_dropped() -> None:
    from pydantic import ConfigDict

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", title="Renamed")
        x: int

    assert schema_for(Strict) == {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "required": ["x"],
        "additionalProperties": False,
    }


def test_alias_is_the_property_name() -> None:
    class Aliased(BaseModel):
        user_id: int = Field(alias="userId")

    assert schema_for(Aliased)["properties"] == {"userId": {"type": "integer"}}


# --- dataclasses and TypedDicts ---------------------------------------------------------


@dataclass
class Point:
    x: float
    y: float = 0.0
    tags: list[str] = field(default_factory=list)


class Movie(TypedDict):
    title: str
    year: Annotated[int, Field(description="release year")]
    rating: NotRequired[float]


def test_dataclass_input() -> None:
    assert schema_for(Point) == {
        "type": "object",
        "properties": {
            "x": {"type": "number"},
            "y": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["x"],
    }


def test_typeddict_input() -> None:
    assert schema_for(Movie) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer", "description": "release year"},
            "rating": {"type": "number"},
        },
        "required": ["title", "year"],
    }


# --- constraints ------------------------------------------------------------------------


def test_constraints() -> None:
    class Limits(BaseModel):
        count: int = Field(ge=1, le=10)
        strict: int = Field(gt=0, lt=100)
        ratio: float = Field(gt=0.5, le=1.0)
        name: str = Field(min_length=2, max_length=8, pattern="^[a-z]+$")
        items: list[int] = Field(min_length=1, max_length=3)
        when: datetime.datetime
        even: int = Field(multiple_of=2)

    props = schema_for(Limits)["properties"]
    assert props["count"] == {"type": "integer", "minimum": 1, "maximum": 10}
    # Exclusive integer bounds are exact once shifted by one.
    assert props["strict"] == {"type": "integer", "minimum": 1, "maximum": 99}
    # Exclusive float bounds can only be approximated by the inclusive ones.
    assert props["ratio"] == {"type": "number", "minimum": 0.5, "maximum": 1.0}
    assert props["name"] == {"type": "string", "minLength": 2, "maxLength": 8}
    assert props["items"] == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "maxItems": 3,
    }
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["even"] == {"type": "integer"}


def test_constraint_is_still_enforced_by_validation() -> None:
    def pick(n: Annotated[float, Field(gt=0.5)]) -> float:
        return n

    model, schema = schema_for_signature(pick)
    assert schema["properties"]["n"]["minimum"] == 0.5
    with pytest.raises(ValidationError):
        model.model_validate({"n": 0.5})


# --- schema_for_signature ----------------------------------------------------------------


def add(a: Annotated[int, Field(description="first number")], b: int = 0) -> int:
    return a + b


def test_signature_basic() -> None:
    model, schema = schema_for_signature(add)
    assert schema == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "first number"},
            "b": {"type": "integer"},
        },
        "required": ["a"],
    }
    assert model.model_validate({"a": 2}).model_dump() == {"a": 2, "b": 0}


def test_signature_async_function() -> None:
    async def fetch(url: str, retries: int = 3, *, timeout: float | None = None) -> str:
        return url

    _, schema = schema_for_signature(fetch)
    assert schema == {
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "retries": {"type": "integer"},
            "timeout": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        },
        "required": ["url"],
    }


def test_signature_field_default_gives_description() -> None:
    def greet(name: str = Field(description="who to greet"), loud: bool = Field(False)) -> str:
        return name

    _, schema = schema_for_signature(greet)
    assert schema["properties"]["name"] == {"type": "string", "description": "who to greet"}
    assert schema["required"] == ["name"]


def test_signature_model_validates_json_and_reports_missing_field() -> None:
    model, _ = schema_for_signature(add)
    assert model.model_validate_json('{"a": 1, "b": 2}').model_dump() == {"a": 1, "b": 2}
    with pytest.raises(ValidationError) as excinfo:
        model.model_validate_json('{"b": 2}')
    errors = excinfo.value.errors()
    assert [(e["type"], e["loc"]) for e in errors] == [("missing", ("a",))]


def test_signature_rejects_var_args() -> None:
    def star(*items: int) -> None: ...

    def kw(**options: str) -> None: ...

    with pytest.raises(TypeError, match=r"\*items"):
        schema_for_signature(star)
    with pytest.raises(TypeError, match=r"\*\*options"):
        schema_for_signature(kw)


def test_signature_rejects_missing_annotation() -> None:
    def untyped(x, y: int) -> None:  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(TypeError, match="'x' needs a type annotation"):
        schema_for_signature(untyped)


def test_signature_skip() -> None:
    class Ctx:
        pass

    def tool(ctx: Ctx, query: str, *rest: Any, **extra: Any) -> str:
        return query

    model, schema = schema_for_signature(tool, skip={"ctx", "rest", "extra"})
    assert schema == {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    }
    assert set(model.model_fields) == {"query"}


def tool_with_context(ctx: TypeCheckingOnly, n: Annotated[int, Field(description="count")]) -> int:
    return n


def test_signature_skipped_parameter_may_have_an_unresolvable_type() -> None:
    _, schema = schema_for_signature(tool_with_context, skip={"ctx"})
    assert schema == {
        "type": "object",
        "properties": {"n": {"type": "integer", "description": "count"}},
        "required": ["n"],
    }


def test_signature_unresolvable_type_is_a_clear_error() -> None:
    class Local(BaseModel):
        x: int

    def f(p: Local) -> None: ...

    with pytest.raises(TypeError, match="cannot resolve the annotation 'Local'"):
        schema_for_signature(f)


def test_signature_partial() -> None:
    bound = functools.partial(add, b=5)
    model, schema = schema_for_signature(bound)
    assert schema["properties"]["a"] == {"type": "integer", "description": "first number"}
    assert schema["required"] == ["a"]
    assert model.model_validate({"a": 1}).model_dump() == {"a": 1, "b": 5}


def test_signature_nested_model_parameter() -> None:
    def ship(to: Address, express: bool = False) -> None: ...

    model, schema = schema_for_signature(ship)
    assert schema["properties"]["to"]["properties"]["street"] == {"type": "string"}
    parsed = model.model_validate_json('{"to": {"street": "Rua A"}}')
    assert parsed.to == Address(street="Rua A")  # type: ignore[attr-defined]


def test_signature_docstring_descriptions() -> None:
    def search(
        query: str, limit: int = 10, lang: Annotated[str, Field(description="explicit")] = "en"
    ) -> list[str]:
        """Search the index.

        Args:
            query: What to look for,
                in plain words.
            limit (int): Most results to return.
            lang: Ignored here, the Field description wins.

        Returns:
            Matching titles.
        """
        return []

    _, schema = schema_for_signature(search)
    assert schema["properties"] == {
        "query": {"type": "string", "description": "What to look for, in plain words."},
        "limit": {"type": "integer", "description": "Most results to return."},
        "lang": {"type": "string", "description": "explicit"},
    }


def test_signature_docstring_does_not_override_field_default() -> None:
    def f(x: int = Field(1, description="from field")) -> None:
        """Do it.

        Args:
            x: from docstring
        """

    _, schema = schema_for_signature(f)
    assert schema["properties"]["x"] == {"type": "integer", "description": "from field"}


def test_signature_function_docstring_is_not_the_schema_description() -> None:
    def f(x: int) -> None:
        """The tool description lives on the tool, not inside its parameters."""

    _, schema = schema_for_signature(f)
    assert "description" not in schema


def test_signature_callable_object() -> None:
    class Tool:
        def __call__(self, n: int) -> int:
            return n

    _, schema = schema_for_signature(Tool())
    assert schema["properties"] == {"n": {"type": "integer"}}


# --- normalize (Fantasy's Normalize test table) -------------------------------------------


def test_normalize_type_array_becomes_any_of() -> None:
    schema = {"type": ["string", "null"]}
    assert normalize(schema) == {"anyOf": [{"type": "string"}, {"type": "null"}]}


def test_normalize_array_variant_gets_items() -> None:
    assert normalize({"type": ["array", "null"]}) == {
        "anyOf": [{"type": "array", "items": {}}, {"type": "null"}]
    }


def test_normalize_single_string_type_untouched() -> None:
    schema = {"type": "string", "description": "d"}
    assert normalize(schema) == {"type": "string", "description": "d"}


def test_normalize_bare_array_gets_items() -> None:
    assert normalize({"type": "array"}) == {"type": "array", "items": {}}
    keeps = {"type": "array", "items": {"type": "string"}}
    assert normalize(keeps) == {"type": "array", "items": {"type": "string"}}


def test_normalize_single_element_type_array() -> None:
    assert normalize({"type": ["string"]}) == {"anyOf": [{"type": "string"}]}


def test_normalize_nested() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "tags": {"type": ["array", "null"]},
            "list": {"type": "array"},
            "obj": {"type": "object", "properties": {"deep": {"type": ["integer", "string"]}}},
            "choice": {"anyOf": [{"type": "array"}, {"type": ["number", "null"]}]},
        },
    }
    result = normalize(schema)
    assert result is schema  # in place
    assert schema["properties"] == {
        "tags": {"anyOf": [{"type": "array", "items": {}}, {"type": "null"}]},
        "list": {"type": "array", "items": {}},
        "obj": {
            "type": "object",
            "properties": {"deep": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
        },
        "choice": {
            "anyOf": [
                {"type": "array", "items": {}},
                {"anyOf": [{"type": "number"}, {"type": "null"}]},
            ]
        },
    }


def test_normalize_leaves_property_named_type_alone() -> None:
    schema = {"type": "object", "properties": {"type": {"type": "string"}}}
    assert normalize(schema) == {"type": "object", "properties": {"type": {"type": "string"}}}


# --- to_parameters ------------------------------------------------------------------------


def test_to_parameters() -> None:
    schema = schema_for(CalculatorInput)
    params = to_parameters(schema)
    assert params == {
        "a": {"description": "first number", "type": "integer"},
        "b": {"description": "second number", "type": "integer"},
    }
    params["a"]["type"] = "mutated"
    assert schema["properties"]["a"]["type"] == "integer"  # a copy, not a view


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"type": "string"},
        {"type": "array", "items": {"type": "object", "properties": {"x": {}}}},
        {"type": "object"},
        {"type": "object", "properties": {}},
        {"type": "object", "properties": None},
    ],
)
def test_to_parameters_edge_cases(schema: dict[str, Any]) -> None:
    assert to_parameters(schema) == {}


def test_to_parameters_keeps_constraints() -> None:
    class Q(BaseModel):
        n: int = Field(ge=0, le=5)
        s: str = Field(min_length=1, max_length=3, description="code")
        e: Literal["x", "y"]
        d: datetime.date

    assert to_parameters(schema_for(Q)) == {
        "n": {"type": "integer", "minimum": 0, "maximum": 5},
        "s": {"type": "string", "minLength": 1, "maxLength": 3, "description": "code"},
        "e": {"type": "string", "enum": ["x", "y"]},
        "d": {"type": "string", "format": "date"},
    }


# --- tool_input_schema ------------------------------------------------------------------


def test_tool_input_schema_required_handling() -> None:
    assert tool_input_schema({}, []) == {"properties": {}, "required": [], "type": "object"}
    assert tool_input_schema({}, None) == {"properties": {}, "type": "object"}


def test_tool_input_schema_normalizes_without_touching_input() -> None:
    properties: dict[str, Any] = {"tags": {"type": "array"}, "x": {"type": ["string", "null"]}}
    sent = tool_input_schema(properties, ["tags"])
    assert sent == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {}},
            "x": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["tags"],
    }
    assert properties == {"tags": {"type": "array"}, "x": {"type": ["string", "null"]}}


# --- import cost --------------------------------------------------------------------------


def test_import_does_not_load_pydantic() -> None:
    code = "import sys, fantasy.schema; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
