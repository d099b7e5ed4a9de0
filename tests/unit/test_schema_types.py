"""Schemas accept exactly what the Python type accepts, in every provider's dialect.

For each family of types (optional and nullable fields, unions, enums and
literals, nested and recursive models, dataclasses, TypedDicts) the schema
`schema_for` writes is asserted, then checked against pydantic on the same
JSON values: what pydantic accepts the schema accepts, what pydantic refuses
the schema refuses. Then each provider's dialect (OpenAI strict mode, Gemini's
function declarations and ``responseJsonSchema``, Anthropic's tools) is
checked on the same types, with the clear error for what a dialect cannot
express, both from ``model.check_schema`` and from request building.

Values avoid pydantic's lax coercions (a numeric string for an ``int``):
schemas describe the canonical JSON, which is what a model should write.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, Optional, Required, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypeAliasType, TypedDict

import fantasy
from fantasy.model import BaseLanguageModel, Call, ResponseFormat
from fantasy.objects.validate import Validator
from fantasy.schema import schema_for, schema_for_signature, tool_input_schema
from fantasy.schema_dialects import SchemaError, refs_to_defs
from fantasy.types import FunctionTool

NULL = {"type": "null"}


def nullable(schema: dict[str, Any], **outer: Any) -> dict[str, Any]:
    return {"anyOf": [schema, NULL], **outer}


def pydantic_accepts(tp: Any, value: Any) -> bool:
    try:
        TypeAdapter(tp).validate_json(json.dumps(value))
    except ValidationError:
        return False
    return True


def schema_accepts(schema: dict[str, Any], value: Any) -> bool:
    return not Validator(schema).errors(value)


def agree(tp: Any, cases: list[tuple[Any, bool]]) -> None:
    """Pydantic and the schema give each value the expected verdict."""
    schema = schema_for(tp)
    for value, expected in cases:
        assert pydantic_accepts(tp, value) is expected, ("pydantic", value)
        assert schema_accepts(schema, value) is expected, ("schema", value, schema)


# --- the types ----------------------------------------------------------------------------


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    street: str
    city: str = "Lisbon"


class Profile(BaseModel):
    name: str
    nickname: str | None = None
    email: str | None  # nullable, and still required: no default
    age: Optional[int] = Field(default=None, description="years")  # noqa: UP045
    home: Address | None = None


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


class Pet(BaseModel):
    pet: Annotated[Union[Cat, Dog], Field(discriminator="kind")]  # noqa: UP007
    id: int | str
    tags: list[str] | None = None


class Palette(BaseModel):
    color: Color
    level: Level = Level.LOW
    mood: Literal["happy", "sad"] | None = None
    mixed: Literal[1, "one"] = 1


class Node(BaseModel):
    value: int
    next: Node | None = None


class Tree(BaseModel):
    """A labelled tree."""

    label: str
    children: list[Tree] = []


class Department(BaseModel):
    name: str
    head: Employee | None = None


class Employee(BaseModel):
    name: str
    department: Department | None = None
    reports: list[Employee] = []


@dataclass
class Window:
    width: int
    title: str | None = None
    tags: list[str] = field(default_factory=list)


class Options(TypedDict, total=False):
    verbose: bool
    label: str | None
    level: Required[int]


class Film(TypedDict):
    title: str
    year: NotRequired[int | None]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int


JsonValue = TypeAliasType(
    "JsonValue", str | int | list["JsonValue"] | dict[str, "JsonValue"] | None
)


class Invoice(BaseModel):
    number: str
    note: str | None = None
    currency: Color = Color.RED
    total: float | int
    lines: list[Address]
    parent: Invoice | None = None


# --- optional and nullable ----------------------------------------------------------------


def test_optional_fields_admit_null_and_are_not_required() -> None:
    schema = schema_for(Profile)
    assert schema["required"] == ["name", "email"]
    props = schema["properties"]
    assert props["nickname"] == nullable({"type": "string"})
    assert props["email"] == nullable({"type": "string"})
    # A field's description stays on the outer node, beside the union.
    assert props["age"] == nullable({"type": "integer"}, description="years")
    assert props["home"] == nullable(
        {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            "required": ["street"],
        }
    )


def test_optional_fields_accept_what_pydantic_accepts() -> None:
    agree(
        Profile,
        [
            ({"name": "Ann", "email": None}, True),
            ({"name": "Ann", "email": "a@b", "nickname": None, "age": None}, True),
            ({"name": "Ann", "email": None, "home": None}, True),
            ({"name": "Ann", "email": None, "home": {"street": "Rua A"}}, True),
            ({"name": "Ann", "email": None, "nickname": "A", "age": 3}, True),
            ({"name": "Ann"}, False),  # email may be null but must be there
            ({"name": None, "email": None}, False),
            ({"name": "Ann", "email": None, "age": "old"}, False),
            ({"name": "Ann", "email": None, "home": {"city": "Porto"}}, False),
            ({"name": "Ann", "email": None, "home": {"street": None}}, False),
        ],
    )


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str | None, nullable({"type": "string"})),
        (Optional[int], nullable({"type": "integer"})),  # noqa: UP045
        (Literal["a", None], nullable({"type": "string", "enum": ["a"]})),
        (list[int] | None, nullable({"type": "array", "items": {"type": "integer"}})),
        (None, NULL),
        (Any, {}),  # Any already admits null
        (Color | None, nullable({"type": "string", "enum": ["red", "green"]})),
    ],
)
def test_nullable_plain_types(tp: Any, expected: dict[str, Any]) -> None:
    assert schema_for(tp) == expected
    assert schema_accepts(expected, None) and pydantic_accepts(tp, None)


# --- unions -------------------------------------------------------------------------------


def test_unions_become_any_of_and_discriminated_unions_too() -> None:
    props = schema_for(Pet)["properties"]
    cat = {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["cat"]}, "lives": {"type": "integer"}},
        "required": ["kind", "lives"],
    }
    dog = {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["dog"]}, "good": {"type": "boolean"}},
        "required": ["kind"],
    }
    assert props["pet"] == {"anyOf": [cat, dog]}
    assert props["id"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert props["tags"] == nullable({"type": "array", "items": {"type": "string"}})
    agree(
        Pet,
        [
            ({"pet": {"kind": "cat", "lives": 9}, "id": 1}, True),
            ({"pet": {"kind": "dog"}, "id": "x", "tags": None}, True),
            ({"pet": {"kind": "dog", "good": False}, "id": 2, "tags": ["a"]}, True),
            ({"pet": {"kind": "cat"}, "id": 1}, False),  # a cat needs its lives
            ({"pet": {"kind": "fish"}, "id": 1}, False),
            ({"pet": {"kind": "dog"}, "id": None}, False),
            ({"pet": {"kind": "dog"}, "id": 1.5}, False),
            ({"pet": None, "id": 1}, False),
        ],
    )


# --- enums and literals -------------------------------------------------------------------


def test_enums_and_literals() -> None:
    props = schema_for(Palette)["properties"]
    assert props["color"] == {"type": "string", "enum": ["red", "green"]}
    assert props["level"] == {"type": "integer", "enum": [1, 2]}
    assert props["mood"] == nullable({"type": "string", "enum": ["happy", "sad"]})
    assert props["mixed"] == {"enum": [1, "one"]}
    agree(
        Palette,
        [
            ({"color": "red"}, True),
            ({"color": "green", "level": 2, "mood": None, "mixed": "one"}, True),
            ({"color": "green", "mood": "sad", "mixed": 1}, True),
            ({"color": "blue"}, False),
            ({"color": None}, False),
            ({"color": "red", "level": 3}, False),
            ({"color": "red", "mood": "angry"}, False),
            ({"color": "red", "mixed": 2}, False),
        ],
    )


# --- nested and recursive models ----------------------------------------------------------


def test_nested_models_are_inlined_with_their_own_required_fields() -> None:
    agree(
        Invoice,
        [
            ({"number": "1", "total": 3, "lines": [{"street": "A"}]}, True),
            ({"number": "1", "total": 3.5, "lines": [], "note": None}, True),
            ({"number": "1", "total": 3, "lines": [{"city": "B"}]}, False),
            ({"number": "1", "total": "three", "lines": []}, False),
            ({"number": "1", "total": 3, "lines": [], "currency": "blue"}, False),
        ],
    )


def test_a_recursive_model_points_back_at_the_root() -> None:
    assert schema_for(Node) == {
        "type": "object",
        "properties": {"value": {"type": "integer"}, "next": nullable({"$ref": "#"})},
        "required": ["value"],
    }
    assert schema_for(Tree) == {
        "type": "object",
        "description": "A labelled tree.",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#"}},
        },
        "required": ["label"],
    }
    deep = {"value": 1, "next": {"value": 2, "next": {"value": 3, "next": None}}}
    agree(
        Node,
        [
            (deep, True),
            ({"value": 1}, True),
            ({"value": 1, "next": {"value": 2, "next": {"value": "three"}}}, False),
            ({"value": 1, "next": {"next": None}}, False),
        ],
    )
    agree(
        Tree,
        [
            ({"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}]}, True),
            ({"label": "a", "children": [{"label": "b", "children": [{}]}]}, False),
            ({"label": "a", "children": [None]}, False),
        ],
    )


def test_mutual_recursion_and_recursion_below_a_field() -> None:
    schema = schema_for(Department)
    head = schema["properties"]["head"]["anyOf"][0]
    assert head["properties"]["department"] == nullable({"$ref": "#"})
    assert head["properties"]["reports"] == {
        "type": "array",
        "items": {"$ref": "#/properties/head/anyOf/0"},
    }
    agree(
        Department,
        [
            (
                {
                    "name": "R&D",
                    "head": {
                        "name": "Ana",
                        "department": {"name": "Labs", "head": None},
                        "reports": [{"name": "Bo", "reports": [{"name": "Cy"}]}],
                    },
                },
                True,
            ),
            ({"name": "R&D", "head": {"name": "Ana", "reports": [{"reports": []}]}}, False),
            ({"name": "R&D", "head": {"name": "Ana", "department": {"head": None}}}, False),
        ],
    )


def test_a_recursive_alias_that_admits_none_keeps_none_at_every_depth() -> None:
    schema = schema_for(JsonValue)
    inner = schema["anyOf"][0]
    assert schema["anyOf"][1] == NULL
    # The pointer names the non-null content, so each reference adds null back.
    assert inner["anyOf"][2] == {"type": "array", "items": nullable({"$ref": "#/anyOf/0"})}
    agree(
        JsonValue,
        [
            (None, True),
            ([None, [1, None]], True),
            ({"a": None, "b": [{"c": "x"}]}, True),
            ([1.5], False),
            ({"a": [{"b": 2.5}]}, False),
        ],
    )


def test_recursion_inside_a_tool_signature_points_at_the_parameter() -> None:
    def plant(tree: Tree, depth: int = 1) -> None: ...

    model, schema = schema_for_signature(plant)
    assert schema["properties"]["tree"]["properties"]["children"]["items"] == {
        "$ref": "#/properties/tree"
    }
    # The pointer still resolves in the schema a tool is sent with (its properties
    # wrapped in a new object), so the wire keeps its meaning.
    wire = tool_input_schema(schema["properties"], schema["required"])
    value = {"tree": {"label": "a", "children": [{"label": "b", "children": [{"x": 1}]}]}}
    assert not schema_accepts(wire, value)
    assert not pydantic_accepts(model, value)
    value["tree"]["children"][0]["children"] = [{"label": "c"}]
    assert schema_accepts(wire, value) and pydantic_accepts(model, value)


def test_the_same_type_twice_is_inlined_twice_not_referenced() -> None:
    class Route(BaseModel):
        start: Address
        end: Address | None = None

    props = schema_for(Route)["properties"]
    assert props["end"]["anyOf"][0] == props["start"]
    assert "$ref" not in json.dumps(props)


# --- dataclasses, TypedDicts, closed models -----------------------------------------------


def test_dataclass_optional_fields() -> None:
    assert schema_for(Window) == {
        "type": "object",
        "properties": {
            "width": {"type": "integer"},
            "title": nullable({"type": "string"}),
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["width"],
    }
    agree(
        Window,
        [
            ({"width": 3, "title": None}, True),
            ({"width": 3, "tags": ["x"]}, True),
            ({"width": 3, "tags": None}, False),  # a default is not a licence for null
            ({"title": "t"}, False),
        ],
    )


def test_typeddict_total_false_required_and_not_required() -> None:
    assert schema_for(Options) == {
        "type": "object",
        "properties": {
            "verbose": {"type": "boolean"},
            "label": nullable({"type": "string"}),
            "level": {"type": "integer"},
        },
        "required": ["level"],
    }
    assert schema_for(Film) == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "year": nullable({"type": "integer"})},
        "required": ["title"],
    }
    agree(
        Options,
        [
            ({"level": 1}, True),
            ({"level": 1, "label": None, "verbose": True}, True),
            ({"label": "x"}, False),
            ({"level": 1, "verbose": None}, False),
        ],
    )
    agree(Film, [({"title": "Up", "year": None}, True), ({"year": 2009}, False)])


def test_extra_forbid_refuses_unknown_keys_like_pydantic() -> None:
    assert schema_for(Closed)["additionalProperties"] is False
    agree(Closed, [({"x": 1}, True), ({"x": 1, "y": 2}, False)])
    # Without forbid, pydantic ignores unknown keys and so does the schema.
    agree(Address, [({"street": "A", "zip": "1000"}, True)])


# --- structured output end to end ---------------------------------------------------------


def test_structured_output_accepts_null_for_an_optional_field() -> None:
    """The reported bug: ``str | None = None`` answered with null was refused."""
    from fantasy.testing import FakeModel, text_response

    model = FakeModel([text_response('{"name": "Ann", "nickname": null, "email": null}')])
    model.native_object_output = True
    result = fantasy.generate_object(model, "Who?", Profile)
    assert result.object == Profile(name="Ann", nickname=None, email=None)


# --- references to $defs ------------------------------------------------------------------


def test_refs_to_defs() -> None:
    tree = schema_for(Tree)
    moved = refs_to_defs(tree)
    assert moved["properties"]["children"]["items"] == {"$ref": "#/$defs/root"}
    assert moved["$defs"]["root"]["properties"]["children"]["items"] == {"$ref": "#/$defs/root"}
    assert tree["properties"]["children"]["items"] == {"$ref": "#"}  # not changed
    good = {"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}]}
    bad = {"label": "a", "children": [{"label": "b", "children": [{"children": []}]}]}
    assert schema_accepts(moved, good) and not schema_accepts(moved, bad)

    department = refs_to_defs(schema_for(Department))
    assert set(department["$defs"]) == {"root", "head"}
    head = department["properties"]["head"]["anyOf"][0]
    assert head["properties"]["reports"]["items"] == {"$ref": "#/$defs/head"}

    flat = schema_for(Address)
    assert refs_to_defs(flat) is flat  # nothing to move: the same object


# --- OpenAI strict mode -------------------------------------------------------------------


def walk_objects(schema: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found += walk_objects(value)
    elif isinstance(schema, list):
        for item in schema:
            found += walk_objects(item)
    return found


def test_openai_strict_lists_every_property_and_closes_every_object() -> None:
    from fantasy.providers.openai.structured import strict_schema

    out = strict_schema(schema_for(Invoice), "output type Invoice")
    assert out["required"] == ["number", "note", "currency", "total", "lines", "parent"]
    props = out["properties"]
    assert props["note"] == nullable({"type": "string"})  # optional: null stands for absent
    assert props["currency"] == {"type": "string", "enum": ["red", "green"]}  # no null
    assert props["total"] == {"anyOf": [{"type": "number"}, {"type": "integer"}]}
    assert props["lines"]["items"] == {
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "required": ["street", "city"],
        "additionalProperties": False,
    }
    assert props["parent"] == nullable({"$ref": "#/$defs/root"})
    objects = walk_objects(out)
    assert len(objects) == 4  # root, its line, and the same two again under $defs
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])

    complete = {
        "number": "1",
        "note": None,
        "currency": "red",
        "total": 2,
        "lines": [{"street": "A", "city": "B"}],
        "parent": {
            "number": "0",
            "note": "first",
            "currency": "green",
            "total": 1.5,
            "lines": [],
            "parent": None,
        },
    }
    assert schema_accepts(out, complete) and pydantic_accepts(Invoice, complete)
    wrong = {**complete, "currency": None}
    assert not schema_accepts(out, wrong) and not pydantic_accepts(Invoice, wrong)
    extra = {**complete, "lines": [{"street": "A", "city": "B", "zip": 1}]}
    assert not schema_accepts(out, extra)


def test_openai_strict_drops_keywords_it_does_not_take() -> None:
    from fantasy.providers.openai.structured import strict_schema

    class Limits(BaseModel):
        code: str = Field(min_length=2, max_length=4)
        url: str = Field(json_schema_extra={"format": "uri"})
        when: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
        n: int = Field(ge=1, le=5)

    props = strict_schema(schema_for(Limits))["properties"]
    assert props["code"] == {"type": "string"}
    assert props["url"] == {"type": "string"}
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["n"] == {"type": "integer", "minimum": 1, "maximum": 5}


class Loose(BaseModel):
    meta: dict[str, int]


class Anything(BaseModel):
    payload: Any


class Bag(BaseModel):
    items: list[dict[str, Any]]


@pytest.mark.parametrize(
    ("tp", "field_name", "reason"),
    [
        (Loose, "meta", "an object with arbitrary keys"),
        (Anything, "payload", "a value of any type"),
        (Bag, "items[]", "an object without declared properties"),
    ],
)
def test_openai_strict_names_the_field_it_cannot_express(
    tp: type[BaseModel], field_name: str, reason: str
) -> None:
    from fantasy.providers.openai.structured import strict_schema

    with pytest.raises(SchemaError) as caught:
        strict_schema(schema_for(tp), f"output type {tp.__name__}")
    message = str(caught.value)
    assert message.startswith(
        f'invalid argument: output type {tp.__name__}: field "{field_name}": '
        f"OpenAI strict mode cannot express {reason}"
    )
    assert caught.value.field == field_name
    assert isinstance(caught.value, fantasy.errors.InvalidArgumentError)


def test_openai_strict_root_must_be_an_object() -> None:
    from fantasy.providers.openai.structured import strict_schema

    with pytest.raises(SchemaError, match="root of a strict schema must be an object"):
        strict_schema(schema_for(list[int]), "output type list[int]")
    with pytest.raises(SchemaError, match="root of a strict schema must be an object"):
        strict_schema(schema_for(Cat | Dog))


def test_openai_chat_request_fails_before_sending() -> None:
    from fantasy.providers.openai.chat import ChatCodec

    fmt = ResponseFormat(schema=schema_for(Loose), name="Loose")
    call = Call(prompt=[fantasy.user_message("hi")], response_format=fmt)
    with pytest.raises(SchemaError, match=re.escape('output schema "Loose": field "meta"')):
        ChatCodec("gpt-4o").build_body(call, stream=False)


def test_openai_tools_send_recursion_as_defs_and_strict_tools_are_strict() -> None:
    from fantasy.providers.openai.chat import ChatCodec
    from fantasy.providers.openai.responses import ResponsesCodec
    from fantasy.providers.openai.responses_options import ResponsesProviderOptions

    tool = FunctionTool("tree", "t", schema_for(Tree))
    body, _ = ChatCodec("gpt-4o").build_body(
        Call(prompt=[fantasy.user_message("hi")], tools=[tool]), stream=False
    )
    parameters = body["tools"][0]["function"]["parameters"]
    assert parameters["properties"]["children"]["items"] == {"$ref": "#/$defs/root"}
    assert "additionalProperties" not in parameters  # not strict: sent as it is

    call = Call(
        prompt=[fantasy.user_message("hi")],
        tools=[FunctionTool("profile", "p", schema_for(Profile))],
        provider_options={"openai": ResponsesProviderOptions(strict_json_schema=True)},
    )
    body, _ = ResponsesCodec("gpt-5", "openai").build_body(call, stream=False)
    sent = body["tools"][0]
    assert sent["strict"] is True
    assert sent["parameters"]["required"] == ["name", "nickname", "email", "age", "home"]
    assert sent["parameters"]["additionalProperties"] is False

    loose = Call(
        prompt=call.prompt,
        tools=[FunctionTool("loose", "l", schema_for(Loose))],
        provider_options=call.provider_options,
    )
    with pytest.raises(SchemaError, match=re.escape('tool "loose": field "meta"')):
        ResponsesCodec("gpt-5", "openai").build_body(loose, stream=False)


# --- Gemini -------------------------------------------------------------------------------


def test_gemini_function_declarations_speak_nullable_any_of_and_string_enums() -> None:
    from fantasy.providers.google.schema import function_parameters

    params = function_parameters(schema_for(Profile), 'tool "profile"')
    assert params == {
        "type": "OBJECT",
        "properties": {
            "name": {"type": "STRING"},
            "nickname": {"type": "STRING", "nullable": True},
            "email": {"type": "STRING", "nullable": True},
            "age": {"type": "INTEGER", "nullable": True, "description": "years"},
            "home": {
                "type": "OBJECT",
                "nullable": True,
                "properties": {"street": {"type": "STRING"}, "city": {"type": "STRING"}},
                "required": ["street"],
            },
        },
        "required": ["name", "email"],
    }
    pet = function_parameters(schema_for(Pet), 'tool "pet"')["properties"]
    assert pet["pet"]["anyOf"][0]["properties"]["kind"] == {"type": "STRING", "enum": ["cat"]}
    assert pet["id"] == {"anyOf": [{"type": "INTEGER"}, {"type": "STRING"}]}
    assert pet["tags"] == {"type": "ARRAY", "items": {"type": "STRING"}, "nullable": True}

    class Shades(BaseModel):
        color: Color | None = None

    shades = function_parameters(schema_for(Shades), 'tool "shades"')["properties"]
    assert shades["color"] == {"type": "STRING", "enum": ["red", "green"], "nullable": True}


class Ranked(BaseModel):
    level: Level


class Chain(BaseModel):
    node: Node


@pytest.mark.parametrize(
    ("tp", "field_name", "reason"),
    [
        (Ranked, "level", "an enum of non-string values [1, 2]"),
        (Loose, "meta", "an object without named properties"),
        (Chain, "node.next", "a recursive type"),
        (Bag, "items[]", "an object without named properties"),
    ],
)
def test_gemini_function_declarations_name_the_field_they_cannot_express(
    tp: type[BaseModel], field_name: str, reason: str
) -> None:
    from fantasy.providers.google.request import RequestBuilder

    schema = schema_for(tp)
    tool = FunctionTool("t", "d", tool_input_schema(schema["properties"], schema["required"]))
    call = Call(prompt=[fantasy.user_message("hi")], tools=[tool])
    with pytest.raises(SchemaError) as caught:
        RequestBuilder("gemini-2.5-flash").build_body(call)  # fails before anything is sent
    assert str(caught.value).startswith(
        f'invalid argument: tool "t": field "{field_name}": '
        f"Gemini function declarations cannot express {reason}"
    )


def test_gemini_response_schema_allows_recursion_only_under_optional_fields() -> None:
    from fantasy.providers.google.schema import gemini_response_schema

    node = gemini_response_schema(schema_for(Node), "output type Node")
    assert node["properties"]["next"] == nullable({"$ref": "#/$defs/root"})
    assert node["$defs"]["root"]["properties"]["value"] == {"type": "integer"}
    assert gemini_response_schema(schema_for(Tree))["properties"]["children"]["items"] == {
        "$ref": "#/$defs/root"
    }

    class Forest(BaseModel):
        trees: list[Tree]

    class Required(BaseModel):
        label: str
        children: list[Required]

    with pytest.raises(SchemaError) as caught:
        gemini_response_schema(schema_for(Required), "output type Required")
    assert str(caught.value).startswith(
        'invalid argument: output type Required: field "children[]": Gemini structured '
        "output cannot express a recursive type reached only through required fields"
    )
    # Under a required list of trees, each tree's children are still optional: fine.
    forest = gemini_response_schema(schema_for(Forest))
    assert forest["properties"]["trees"]["items"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/trees"
    }


def test_gemini_response_schema_keeps_the_recorded_shapes_and_drops_the_rest() -> None:
    from fantasy.providers.google.schema import gemini_response_schema

    book = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "The book title"},
            "genres": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "genres"],
    }
    assert gemini_response_schema(book) == book
    limits = {"type": "object", "properties": {"s": {"type": "string", "minLength": 2}}}
    assert gemini_response_schema(limits)["properties"]["s"] == {"type": "string"}

    class Flag(BaseModel):
        on: Literal[True]

    with pytest.raises(SchemaError, match=re.escape('field "on": Gemini structured output')):
        gemini_response_schema(schema_for(Flag), "output type Flag")


# --- Anthropic ----------------------------------------------------------------------------


def test_anthropic_tools_take_json_schema_with_nulls_unions_and_recursion() -> None:
    from fantasy.providers.anthropic.tool_wire import function_tool_json

    schema = schema_for(Pet)
    wire = function_tool_json(FunctionTool("pet", "p", schema))["input_schema"]
    assert wire == {"properties": schema["properties"], "required": ["pet", "id"], "type": "object"}
    tree = function_tool_json(FunctionTool("tree", "t", schema_for(Tree)))["input_schema"]
    assert tree["properties"]["children"]["items"] == {"$ref": "#/$defs/root"}
    assert tree["$defs"]["root"]["properties"]["label"] == {"type": "string"}
    good = {"label": "a", "children": [{"label": "b"}]}
    assert schema_accepts(tree, good) and not schema_accepts(tree, {"label": "a", "children": [1]})


# --- check_schema, the hook an agent calls --------------------------------------------------


def test_base_model_accepts_every_schema() -> None:
    BaseLanguageModel().check_schema(schema_for(Loose), 'tool "loose"')


def test_check_schema_per_provider() -> None:
    from fantasy.providers import anthropic, google, openai, openaicompat

    oa = openai.Provider(api_key="k").language_model("gpt-4o")
    with pytest.raises(SchemaError, match=re.escape('output type Loose: field "meta": OpenAI')):
        oa.check_schema(schema_for(Loose), "output type Loose")
    oa.check_schema(schema_for(Loose), 'tool "loose"')  # tools are not strict on Chat
    oa.check_schema(schema_for(Invoice), "output type Invoice")

    compat = openaicompat.Provider(api_key="k", base_url="http://x").language_model("m")
    compat.check_schema(schema_for(Loose), "output type Loose")  # a tool there, not strict
    with pytest.raises(SchemaError, match="tool input must be a JSON object"):
        compat.check_schema(schema_for(list[int]), "output type list[int]")

    gemini = google.Provider(api_key="k").language_model("gemini-2.5-flash")
    with pytest.raises(SchemaError, match=re.escape('tool "rank": field "level": Gemini')):
        gemini.check_schema(schema_for(Ranked), 'tool "rank"')
    gemini.check_schema(schema_for(Ranked), "output type Ranked")  # JSON Schema takes it
    gemini.check_schema(schema_for(Node), "output type Node")
    with pytest.raises(SchemaError, match=re.escape('tool "node": field "next"')):
        gemini.check_schema(schema_for(Node), 'tool "node"')

    claude = anthropic.Provider(api_key="k").language_model("claude-sonnet-4-5")
    claude.check_schema(schema_for(Node), 'tool "node"')
    claude.check_schema(schema_for(Loose), "output type Loose")
    with pytest.raises(SchemaError, match="Anthropic tool input must be a JSON object"):
        claude.check_schema(schema_for(list[int]), "output type list[int]")
    claude.object_mode = fantasy.ObjectMode.TEXT
    claude.check_schema(schema_for(list[int]), "output type list[int]")  # in the prompt
