"""The JSON-schema checker behind object validation."""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.objects.validate import SchemaValidationError, Validator, validate

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "n": {"type": "integer", "minimum": 1, "maximum": 10},
        "s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
        "e": {"enum": ["a", "b"]},
        "l": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2},
        "u": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "r": {"$ref": "#/$defs/flag"},
    },
    "required": ["n"],
    "additionalProperties": False,
    "$defs": {"flag": {"type": "boolean"}},
}


def test_a_valid_value_passes() -> None:
    validate({"n": 3, "s": "ab", "e": "a", "l": [1.5], "u": None, "r": True}, SCHEMA)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "missing property 'n'"),
        ({"n": True}, "expected integer, got boolean"),
        ({"n": 0}, "minimum"),
        ({"n": 11}, "maximum"),
        ({"n": 1, "s": "a"}, "at least 2 characters"),
        ({"n": 1, "s": "abcd"}, "at most 3 characters"),
        ({"n": 1, "s": "AB"}, "pattern"),
        ({"n": 1, "e": "c"}, "one of"),
        ({"n": 1, "l": []}, "at least 1 items"),
        ({"n": 1, "l": [1, 2, 3]}, "at most 2 items"),
        ({"n": 1, "l": ["x"]}, "(root).l[0]: expected number"),
        ({"n": 1, "u": 3}, "anyOf"),
        ({"n": 1, "r": "yes"}, "(root).r: expected boolean"),
        ({"n": 1, "x": 1}, "property 'x' is not allowed"),
        ([], "expected object, got array"),
    ],
)
def test_problems_are_reported_with_their_path(value: Any, message: str) -> None:
    with pytest.raises(SchemaValidationError) as info:
        validate(value, SCHEMA)
    assert message in str(info.value)
    assert str(info.value).startswith("validation failed: ")


def test_integral_floats_are_integers_and_booleans_are_not_numbers() -> None:
    assert Validator({"type": "integer"}).is_valid(3.0)
    assert not Validator({"type": "number"}).is_valid(False)
    assert not Validator({"enum": [1]}).is_valid(True)


def test_frozen_containers_are_checked_once() -> None:
    validator = Validator({"type": "array", "items": {"type": "object", "required": ["a"]}})
    item: dict[str, Any] = {"a": 1}
    frozen = {id(item)}
    assert validator.is_valid([item], frozen)
    item.pop("a")  # a frozen container never changes; the remembered answer stands
    assert validator.is_valid([item], frozen)
    assert not validator.is_valid([item])
