"""Incremental acceptance of partial objects agrees with validating each snapshot whole."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fantasy.objects.partial_json import MISSING, PartialJSONParser
from fantasy.objects.partial_objects import PartialObjects
from fantasy.objects.validate import Validator

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 6},
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "author": {
                "type": "object",
                "properties": {"n": {"type": "string"}},
                "required": ["n"],
                "additionalProperties": False,
            },
        },
        "required": ["name", "age"],
    },
    {"type": "array", "items": {"type": "object", "required": ["a"]}, "minItems": 2},
    {"type": "object", "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}},
    # What schema_for writes for optional fields and recursive types: nullable unions
    # and pointers back to an enclosing node.
    {
        "type": "object",
        "properties": {
            "name": {"anyOf": [{"type": "string", "maxLength": 6}, {"type": "null"}]},
            "author": {
                "anyOf": [
                    {"type": "object", "properties": {"n": {"type": "string"}}, "required": ["n"]},
                    {"type": "null"},
                ],
                "description": "who",
            },
            "tags": {"anyOf": [{"type": "array", "items": {"$ref": "#"}}, {"type": "null"}]},
            "v": {"$ref": "#/properties/author"},
        },
        "required": ["name"],
    },
]

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 50) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "age", "tags", "author", "n", "a", "v"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(value=VALUES, schema=st.sampled_from(SCHEMAS), size=st.integers(1, 7))
def test_emits_exactly_the_valid_changed_snapshots(
    value: Any, schema: dict[str, Any], size: int
) -> None:
    _check_against_whole_validation(json.dumps(value), schema, size)


def test_a_repeated_key_is_checked_again() -> None:
    """A key given twice replaces its value in a container checked entry by entry: the
    container is judged again, open or complete, as validating it whole would."""
    texts = [
        '{"name": "ann", "age": 1, "author": {"n": "a", "n": 5}, "tags": []}',
        '{"name": "ann", "age": 1, "author": {"n": "a", "n": 5}}',
        '{"name": "ann", "age": 1, "age": "x", "tags": ["a"]}',
        '[{"a": 1, "a": 2}, {"a": 3, "b": 1, "a": {"c": 1}}]',
    ]
    for text in texts:
        for schema in SCHEMAS:
            for size in (1, 2, 5):
                _check_against_whole_validation(text, schema, size)


def _check_against_whole_validation(text: str, schema: dict[str, Any], size: int) -> None:
    tracker = PartialObjects(schema)
    reference = PartialJSONParser()
    validator = Validator(schema)
    last_version = -1
    for i in range(0, len(text), size):
        piece = text[i : i + size]
        emitted = tracker.feed(piece)
        reference.feed(piece)
        if reference.version == last_version:
            assert emitted is MISSING
            continue
        last_version = reference.version
        snap = reference.snapshot()
        expected = snap is not MISSING and not validator.errors(snap)
        assert (emitted is not MISSING) == expected, (text[: i + size], snap)
        if expected:
            assert emitted == snap


def test_a_growing_string_is_judged_by_its_content_when_its_schema_looks_at_it() -> None:
    """While only a string grows the verdict is kept, unless it depends on the string."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string", "minLength": 4}},
        "required": ["a", "b"],
    }
    objects = PartialObjects(schema)
    seen = [objects.feed(d) for d in ['{"a": "x', "yz", '", "b": "1', "2", "3", "4", '5"}']]
    assert seen[:5] == [MISSING] * 5
    assert seen[5:] == [{"a": "xyz", "b": "1234"}, {"a": "xyz", "b": "12345"}]
