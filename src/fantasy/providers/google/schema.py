"""Gemini's two schema dialects: function declarations, and ``responseJsonSchema``.

Function declarations take ``parameters`` in Gemini's ``Schema``, a subset of
OpenAPI 3.0 (https://ai.google.dev/api/caching#Schema): upper-case ``type``,
``description``, ``nullable``, ``enum`` (strings only), ``format`` (``date-time``
for strings, ``float``/``double`` and ``int32``/``int64`` for numbers; the
Gemini API refuses others), ``items``, ``properties``, ``required``, ``anyOf``,
``minimum``/``maximum``, ``minItems``/``maxItems``, ``minLength``/``maxLength``.
No references, no ``additionalProperties``. `gemini_schema` converts a JSON
schema property into it:

* ``anyOf [X, null]`` becomes X with ``nullable: true``; other unions stay
  ``anyOf`` (with ``nullable`` when one branch is null);
* string enums are kept; an enum of numbers or booleans cannot be expressed
  (`SchemaError`: use string values);
* nested ``required`` is kept, so a nested model's required fields stay
  required;
* a recursive type (a ``$ref``) cannot be expressed (`SchemaError`);
* an object without properties below the root (``dict[str, ...]``) cannot be
  expressed: Gemini refuses an ``OBJECT`` without properties there
  (`SchemaError`);
* a schema without a type (``Any``) becomes ``STRING``, as in Fantasy: the
  model then sends a string, which ``Any`` accepts.

Fantasy's converter kept only types, descriptions, items and properties, and
dropped ``enum``, ``nullable``, ``anyOf``, ``format``, bounds and nested
``required``, which let the model send values the tool then refused. For the
schemas the recorded conversations use (flat objects of strings and integers
with descriptions) the two agree.

``responseJsonSchema`` (native structured output) takes JSON Schema itself,
with documented limits: only ``$id``, ``$defs``, ``$ref``, ``$anchor``,
``type``, ``format``, ``title``, ``description``, ``enum`` (strings and
numbers), ``items``, ``prefixItems``, ``minItems``, ``maxItems``, ``minimum``,
``maximum``, ``anyOf``, ``oneOf``, ``properties``, ``additionalProperties``,
``required`` and ``propertyOrdering``; a ``$ref`` may have no sibling
keywords; and "cyclic references are unrolled to a limited degree and, as
such, may only be used within non-required properties". `gemini_response_schema`
drops other keywords, turns ``const`` into a one-value ``enum``, moves
pointer references into ``$defs`` and raises `SchemaError` for a recursive
type reached only through required fields, or a boolean enum.
"""

from __future__ import annotations

from typing import Any

from fantasy.schema_dialects import (
    SchemaError,
    field_of,
    field_path,
    is_tool_context,
    local_refs,
    output_mode,
    pointer_parts,
    refs_to_defs,
)
from fantasy.types import JSON

FUNCTIONS = "Gemini function declarations"
RESPONSES = "Gemini structured output"

SCHEMA_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
}

_FORMATS = {
    "string": frozenset({"date-time"}),
    "number": frozenset({"float", "double"}),
    "integer": frozenset({"int32", "int64"}),
}
_BOUNDS = {
    "number": ("minimum", "maximum"),
    "integer": ("minimum", "maximum"),
    "array": ("minItems", "maxItems"),
    "string": ("minLength", "maxLength"),
}


def _fail(reason: str, path: tuple[str, ...], where: str, dialect: str = FUNCTIONS) -> SchemaError:
    return SchemaError(
        f"{dialect} cannot express {reason}", where=where, field=field_path(path), provider=dialect
    )


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and "enum" not in schema


# --- function declarations ------------------------------------------------------------------


def function_parameters(schema: JSON, where: str) -> JSON:
    """A function declaration's ``parameters``: an ``OBJECT`` of the schema's properties,
    with its top-level ``required`` when that is a non-empty list of names (Fantasy's
    shape: properties and required are omitted when empty)."""
    kind = schema.get("type")
    if kind is not None and kind != "object":
        raise SchemaError(
            f"{FUNCTIONS} take an object of parameters, and this schema is {kind!r}; "
            "wrap the value in a model with one field",
            where=where,
            provider=FUNCTIONS,
        )
    parameters: JSON = {"type": "OBJECT"}
    schema = _inline_definitions(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        parameters["properties"] = {
            k: gemini_schema(v, path=(k,), where=where) for k, v in properties.items()
        }
    required = schema.get("required")
    if isinstance(required, list) and required and all(isinstance(r, str) for r in required):
        parameters["required"] = list(required)
    return parameters


def _inline_definitions(schema: JSON) -> JSON:
    """``schema`` with each ``$ref`` into its ``$defs`` (or ``definitions``) replaced by
    the definition, as function declarations take no references (an MCP server's
    schema often has them). A definition that refers back to itself stays a ``$ref``,
    which `gemini_schema` refuses as the recursive type it is. Schemas without
    definitions (every fantasy tool's) are returned as they are."""
    definitions: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, dict):
            definitions.update({f"#/{key}/{name}": value for name, value in found.items()})
    if not definitions:
        return schema

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in definitions and ref not in seen:
            merged = {k: v for k, v in node.items() if k != "$ref"}
            target = inline(definitions[ref], (*seen, ref))
            return {**target, **merged} if isinstance(target, dict) else target
        return {k: inline(v, seen) for k, v in node.items() if k not in ("$defs", "definitions")}

    inlined: JSON = inline(schema, ())
    return inlined


def gemini_schema(value: Any, *, path: tuple[str, ...] = (), where: str = "") -> JSON:
    """One property in Gemini's function-declaration dialect (see the module notes).

    Raises:
        SchemaError: for what the dialect cannot express, naming ``where`` and the
            field's ``path``.
    """
    out: JSON = {"type": "STRING"}
    if not isinstance(value, dict):
        return out
    if "$ref" in value:
        raise _fail(
            "a recursive type (a reference back to an enclosing type); "
            "flatten the type or take it as a JSON string",
            path,
            where,
        )
    if "allOf" in value:
        raise _fail("an intersection (allOf); merge the parts into one model", path, where)
    description = value.get("description")
    variants = value.get("anyOf") or value.get("oneOf")
    if isinstance(variants, list):
        out = _union(variants, path, where)
    else:
        out = _typed(value, path, where)
    if isinstance(description, str) and description:
        out["description"] = description
    return out


def _union(variants: list[Any], path: tuple[str, ...], where: str) -> JSON:
    branches = [v for v in variants if not _is_null(v)]
    nullable = len(branches) < len(variants)
    if not branches:
        raise _fail("a field that can only be null", path, where)
    if len(branches) == 1:
        out = gemini_schema(branches[0], path=path, where=where)
    else:
        out = {"anyOf": [gemini_schema(b, path=path, where=where) for b in branches]}
    if nullable:
        out["nullable"] = True
    return out


def _typed(value: JSON, path: tuple[str, ...], where: str) -> JSON:
    kind = value.get("type")
    nullable = False
    if isinstance(kind, list):  # a hand-written type list (normalize usually rewrites it)
        kinds = [k for k in kind if k != "null"]
        nullable = len(kinds) < len(kind)
        if not kinds:
            raise _fail("a field that can only be null", path, where)
        if len(kinds) > 1:
            out: JSON = {"anyOf": [_typed({**value, "type": k}, path, where) for k in kinds]}
            if nullable:
                out["nullable"] = True
            return out
        kind = kinds[0]
    enum = value.get("enum")
    if "const" in value:
        enum = [value["const"]]
    if kind is None and isinstance(enum, list) and enum and all(isinstance(e, str) for e in enum):
        kind = "string"
    if kind == "null":
        raise _fail("a field that can only be null", path, where)
    out = {"type": SCHEMA_TYPES.get(kind, "STRING") if isinstance(kind, str) else "STRING"}
    if nullable:
        out["nullable"] = True
    if isinstance(enum, list):
        if not all(isinstance(e, str) for e in enum):
            raise _fail(
                f"an enum of non-string values {enum!r}: Gemini enums take strings only; "
                "use a str Enum or string literals",
                path,
                where,
            )
        out["enum"] = list(enum)
    if not isinstance(kind, str):
        return out
    fmt = value.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS.get(kind, ()):
        out["format"] = fmt
    for key in _BOUNDS.get(kind, ()):
        bound = value.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            out[key] = bound
    if kind == "array":
        items = value.get("items")
        if isinstance(items, dict):
            out["items"] = gemini_schema(items, path=(*path, "[]"), where=where)
    elif kind == "object":
        _object(value, path, where, out)
    return out


def _object(value: JSON, path: tuple[str, ...], where: str, out: JSON) -> None:
    properties = value.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise _fail(
            "an object without named properties (such as dict[str, ...]): Gemini needs "
            "the properties of every nested object; use a model, or a list of key/value "
            "pairs",
            path,
            where,
        )
    out["properties"] = {
        k: gemini_schema(v, path=(*path, k), where=where) for k, v in properties.items()
    }
    required = value.get("required")
    if isinstance(required, list) and required and all(isinstance(r, str) for r in required):
        out["required"] = list(required)


# --- responseJsonSchema ---------------------------------------------------------------------

_RESPONSE_KEYS = frozenset(
    {
        "$id",
        "$defs",
        "$ref",
        "$anchor",
        "type",
        "format",
        "title",
        "description",
        "enum",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "properties",
        "additionalProperties",
        "required",
        "propertyOrdering",
    }
)
_SUBSCHEMA_MAPS = ("properties", "$defs")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties")


def gemini_response_schema(schema: JSON, where: str = "") -> JSON:
    """``schema`` as ``responseJsonSchema`` (a new schema when anything changes; the
    recorded flat and nested objects come out as they are)."""
    _check_recursion(schema, where)
    out: JSON = _response_node(refs_to_defs(schema), (), where)
    return out


def _response_node(node: Any, path: tuple[str, ...], where: str) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {k: v for k, v in node.items() if k.startswith("$")}
    out: JSON = {}
    for key, value in node.items():
        if key == "const":
            key, value = "enum", [value]
        if key not in _RESPONSE_KEYS:
            continue
        if key == "enum" and isinstance(value, list):
            if any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in value):
                raise _fail(
                    f"an enum of {value!r}: Gemini enums take strings and numbers only",
                    path,
                    where,
                    RESPONSES,
                )
            out.setdefault(key, value)
        elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {
                k: _response_node(v, (*path, k) if key == "properties" else (k,), where)
                for k, v in value.items()
            }
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_response_node(v, path, where) for v in value]
        elif key in _SUBSCHEMAS and isinstance(value, dict):
            out[key] = _response_node(value, (*path, "[]") if key == "items" else path, where)
        else:
            out[key] = value
    return out


def _check_recursion(schema: JSON, where: str) -> None:
    """Gemini unrolls a cycle only under a property that may be left out."""
    for location, ref in local_refs(schema):
        if not ref.startswith("#") or ref.startswith(("#/$defs/", "#/definitions/")):
            continue
        target = pointer_parts(ref)
        if tuple(str(k) for k in location[: len(target)]) != target:
            continue  # not a reference to an enclosing node: not a cycle we can see
        if not _has_optional_step(schema, location, len(target)):
            raise _fail(
                "a recursive type reached only through required fields: Gemini unrolls a "
                "cycle only under a field that may be left out; give the field a default "
                "(None, or an empty list)",
                field_of(location),
                where,
                RESPONSES,
            )


def _has_optional_step(schema: JSON, location: tuple[str | int, ...], start: int) -> bool:
    """Whether the way from the cycle's start (``location[:start]``) down to the reference
    passes through a property that its object does not require."""
    node: Any = schema
    owner: JSON | None = None  # the object whose properties map ``node`` is
    in_map = False  # ``node`` is a map of names (properties, $defs): the next key is a name
    for i, key in enumerate(location):
        if in_map:
            if owner is not None and i - 1 >= start:
                required = owner.get("required")
                if not (isinstance(required, list) and key in required):
                    return True
            in_map, owner = False, None
        elif isinstance(node, dict) and key in ("properties", "$defs", "definitions"):
            in_map = True
            owner = node if key == "properties" else None
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return True
    return False


def check_gemini_schema(model: Any, schema: JSON, where: str) -> None:
    """`check_schema` for Gemini models: a tool's input in the function-declaration
    dialect; an output as ``responseJsonSchema`` in native mode, as a function
    declaration in tool mode."""
    mode = "tool" if is_tool_context(where) else output_mode(model)
    if mode == "native":
        gemini_response_schema(schema, where)
    elif mode == "tool":
        function_parameters(schema, where)
