"""Checking a decoded JSON value against a JSON schema, without a dependency.

Structured output must be validated against the caller's schema (Fantasy
compiles it with a JSON-schema library). The ``jsonschema`` package is not a
dependency and is slow to import, so this module checks the keywords that
schemas for model output use: ``type``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``enum``, ``const``, ``anyOf`` /
``oneOf`` / ``allOf``, numeric bounds, string and array lengths, ``pattern``,
and local ``$ref`` (into ``$defs`` / ``definitions``, or any JSON pointer,
such as the ``#`` and ``#/properties/tree`` that recursive types use). Unknown
keywords (formats, annotations) are accepted, as JSON Schema prescribes for
annotations.

Streaming validates a fresh partial object after nearly every delta. Its
completed containers never change (see `fantasy.objects.partial_json`), so
`Validator` remembers their results by identity and a check only walks the
containers still open.
"""

from __future__ import annotations

import re
from typing import Any

from fantasy.errors import reduce_exception

__all__ = ["SchemaValidationError", "Validator", "validate"]


class SchemaValidationError(ValueError):
    """The value does not match the schema; ``errors`` lists each problem with its path."""

    def __init__(self, errors: list[str]):
        super().__init__("validation failed: " + "; ".join(errors))
        self.errors = errors

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_exception(self)


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


_TOO_DEEP = (
    "nested too deep to check (a value hundreds of levels deep, or a schema whose $ref "
    "leads back to itself without going into the value)"
)
"""The walk is recursive; parsed JSON is at most 200 levels deep (`fantasy._json`), but
schemas (a cycle of references) and values built in Python are not bounded."""


class Validator:
    """Validates values against one root schema; remembers results for frozen containers."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self._memo: dict[tuple[int, int], tuple[Any, list[str]]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}

    def errors(self, value: Any, frozen: set[int] | frozenset[int] = frozenset()) -> list[str]:
        """Every problem found, as ``"<path>: <message>"``; empty when the value is valid.

        ``frozen`` holds the ids of containers that will never change again; their
        results are remembered (with a reference, so the ids stay theirs).
        """
        try:
            return self._check(value, self.schema, "(root)", frozen)
        except RecursionError:
            return [f"(root): {_TOO_DEEP}"]

    def is_valid(self, value: Any, frozen: set[int] | frozenset[int] = frozenset()) -> bool:
        return not self.errors(value, frozen)

    def errors_against(
        self, value: Any, schema: Any, frozen: set[int] | frozenset[int] = frozenset()
    ) -> list[str]:
        """`errors` against a part of the root schema (references still resolve at the root)."""
        try:
            return self._check(value, schema, "", frozen)
        except RecursionError:
            return [f": {_TOO_DEEP}"]

    def _check(
        self, value: Any, schema: Any, path: str, frozen: set[int] | frozenset[int]
    ) -> list[str]:
        if schema is False:
            return [f"{path}: no value is allowed here"]
        if not isinstance(schema, dict):
            return []
        if isinstance(value, (dict, list)) and id(value) in frozen:
            key = (id(value), id(schema))
            hit = self._memo.get(key)
            if hit is not None and hit[0] is value:
                return [f"{path}{e}" for e in hit[1]]
            found = self._check_node(value, schema, "", frozen)
            self._memo[key] = (value, found)
            return [f"{path}{e}" for e in found]
        return [f"{path}{e}" for e in self._check_node(value, schema, "", frozen)]

    def resolve(self, ref: str) -> Any:
        """The schema a reference names (``True``, anything goes, when it is not local or
        not found)."""
        return self._resolve(ref)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return True  # remote references are not followed
        node: Any = self.schema
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]  # "#/properties/x/anyOf/0": into a union's branch
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return True
        return node

    def _check_node(
        self, value: Any, schema: dict[str, Any], path: str, frozen: set[int] | frozenset[int]
    ) -> list[str]:
        """Errors with paths relative to this node (``""`` for the node itself)."""
        here = path
        out: list[str] = []
        if "$ref" in schema:
            out += self._check(value, self._resolve(schema["$ref"]), here, frozen)
        types = schema.get("type")
        if types is not None:
            names = types if isinstance(types, list) else [types]
            if not any(_TYPES.get(t, lambda v: True)(value) for t in names):
                out.append(f"{here}: expected {' or '.join(names)}, got {_type_name(value)}")
                return out
        if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
            out.append(f"{here}: value must be one of {schema['enum']!r}")
        if "const" in schema and not _equal(value, schema["const"]):
            out.append(f"{here}: value must be {schema['const']!r}")
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema and not any(
                not self._check(value, branch, "", frozen) for branch in schema[keyword]
            ):
                out.append(f"{here}: value matches none of the {keyword} schemas")
        for branch in schema.get("allOf", ()):
            out += self._check(value, branch, here, frozen)
        if isinstance(value, dict):
            out += self._object(value, schema, here, frozen)
        elif isinstance(value, list):
            out += self._array(value, schema, here, frozen)
        elif isinstance(value, str):
            out += self._string(value, schema, here)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out += _number(value, schema, here)
        return out

    def _object(
        self, value: dict[str, Any], schema: dict[str, Any], path: str, frozen: Any
    ) -> list[str]:
        required = schema.get("required", ())
        out = [f"{path}: missing property {k!r}" for k in required if k not in value]
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            sub = properties.get(key)
            if sub is not None:
                out += self._check(item, sub, f"{path}.{key}", frozen)
            elif extra is False:
                out.append(f"{path}: property {key!r} is not allowed")
            elif isinstance(extra, dict):
                out += self._check(item, extra, f"{path}.{key}", frozen)
        return out

    def _array(self, value: list[Any], schema: dict[str, Any], path: str, frozen: Any) -> list[str]:
        out: list[str] = []
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: expected at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: expected at most {schema['maxItems']} items")
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                out += self._check(item, items, f"{path}[{index}]", frozen)
        return out

    def _string(self, value: str, schema: dict[str, Any], path: str) -> list[str]:
        out: list[str] = []
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{path}: expected at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: expected at most {schema['maxLength']} characters")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            compiled = self._patterns.get(pattern)
            if compiled is None:
                compiled = self._patterns[pattern] = re.compile(pattern)
            if compiled.search(value) is None:
                out.append(f"{path}: does not match pattern {pattern!r}")
        return out


def _number(value: float, schema: dict[str, Any], path: str) -> list[str]:
    out: list[str] = []
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = schema.get(keyword)
        if not isinstance(bound, (int, float)) or isinstance(bound, bool):
            continue
        if keyword == "minimum":
            fails = value < bound
        elif keyword == "maximum":
            fails = value > bound
        elif keyword == "exclusiveMinimum":
            fails = value <= bound
        else:
            fails = value >= bound
        if fails:
            out.append(f"{path}: {keyword} is {bound}, got {value}")
    return out


def validate(value: Any, schema: dict[str, Any]) -> None:
    """Raise `SchemaValidationError` unless ``value`` matches ``schema``."""
    found = Validator(schema).errors(value)
    if found:
        raise SchemaValidationError(found)
