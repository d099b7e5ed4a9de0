"""What each provider can express of a JSON schema, and the clear error when it cannot.

`fantasy.schema.schema_for` writes one schema per Python type, exact for the
types users write (nullable and optional fields, unions, enums, nested and
recursive models). Providers read schemas in their own dialects: OpenAI's
strict mode wants every property required and every object closed, Gemini's
function declarations speak an OpenAPI subset without references, and so
on. Each provider converts the schema when it builds a request, in its own
package; this module holds what they share:

* `SchemaError`, raised when a dialect cannot express a field, naming the
  tool or output and the field's path, before anything is sent;
* `refs_to_defs`, which turns the JSON-pointer references `schema_for` uses
  for recursive types into ``$defs`` entries, the form every provider
  documents;
* helpers to walk a schema with field paths, and to tell a model's
  `check_schema` whether an output schema travels as a tool, natively, or
  in the prompt.

Nothing here imports pydantic or a provider.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from fantasy._json import MAX_DEPTH, too_deep
from fantasy.errors import InvalidArgumentError
from fantasy.types import JSON

__all__ = [
    "SchemaError",
    "check_tool_root",
    "field_of",
    "field_path",
    "is_tool_context",
    "local_refs",
    "output_mode",
    "pointer_parts",
    "refs_to_defs",
    "resolve_pointer",
]


class SchemaError(InvalidArgumentError):
    """A provider's schema dialect cannot express a field of a tool input or an output type.

    Raised when an agent is built (`fantasy.model.BaseLanguageModel.check_schema`)
    and again when a request is built, so nothing is sent that the provider would
    answer with a 400. ``where`` names the tool or output (``tool "weather"``),
    ``field`` the path of the field inside it (``"when"``, ``"items[].name"``; empty
    for the schema as a whole), ``provider`` the dialect, ``reason`` what is missing.
    """

    def __init__(self, reason: str, *, where: str = "", field: str = "", provider: str = ""):
        text = reason
        if field:
            text = f'field "{field}": {text}'
        if where:
            text = f"{where}: {text}"
        super().__init__(text)
        self.where = where
        self.field = field
        self.provider = provider
        self.reason = reason


def check_depth(schema: Any, where: str) -> None:
    """Refuse a schema nested more than `fantasy._json.MAX_DEPTH` levels deep, before the
    recursive walks of the dialects (and of the request's encoder) meet it."""
    path = too_deep(schema)
    if path is not None:
        reason = f"the schema is nested more than {MAX_DEPTH} levels deep (at {path})"
        raise SchemaError(reason, where=where)


# --- paths --------------------------------------------------------------------------------


def field_path(segments: tuple[str, ...]) -> str:
    """``("home", "city")`` -> ``home.city``; ``[]`` marks array items, ``*`` map values."""
    out = ""
    for segment in segments:
        if segment == "[]":
            out += "[]"
        elif out:
            out += f".{segment}"
        else:
            out = segment
    return out


def field_of(location: tuple[str | int, ...]) -> tuple[str, ...]:
    """The field path (for `field_path`) of a node's location (keys and indexes) in a
    schema: property names, ``[]`` for array items, ``*`` for map values."""
    out: list[str] = []
    in_properties = in_map = False
    for key in location:
        if in_map:
            if in_properties:
                out.append(str(key))
            in_map = in_properties = False
        elif key in ("properties", "$defs", "definitions"):
            in_map, in_properties = True, key == "properties"
        elif key in ("items", "prefixItems"):
            out.append("[]")
        elif key == "additionalProperties":
            out.append("*")
    return tuple(out)


def pointer_parts(pointer: str) -> tuple[str, ...]:
    """``#/properties/a~1b`` -> ``("properties", "a/b")``; ``#`` -> ``()``."""
    if pointer in ("#", "#/"):
        return ()
    return tuple(_unescape(p) for p in pointer[1:].split("/")[1:])


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def resolve_pointer(root: Any, pointer: str) -> Any:
    """The node a local JSON pointer (``#``, ``#/properties/x``) names, or None."""
    if not pointer.startswith("#"):
        return None
    node = root
    for key in pointer_parts(pointer):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _is_defs_ref(ref: str) -> bool:
    return ref.startswith(("#/$defs/", "#/definitions/"))


def local_refs(schema: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every ``$ref`` string in ``schema`` with the location (keys and indexes) of its node."""

    def walk(node: Any, location: tuple[str | int, ...]) -> Iterator[tuple[Any, str]]:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield location, ref
            for key, child in node.items():
                if key != "$ref":
                    yield from walk(child, (*location, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield from walk(child, (*location, index))

    yield from walk(schema, ())


# --- references ---------------------------------------------------------------------------


def refs_to_defs(schema: JSON) -> JSON:
    """``schema`` with pointer references (``#``, ``#/properties/tree``) moved to ``$defs``.

    `fantasy.schema.schema_for` points a recursive type back at the node where it
    is inlined, which is valid JSON Schema and survives a tool's trip through its
    properties. Providers document references into ``$defs`` (and OpenAI ``#``),
    so each pointed-at node is copied into ``$defs`` under a name taken from its
    field, and every reference to it is rewritten to ``#/$defs/<name>``; the
    inlined first occurrence stays where it is. Returns ``schema`` itself when it
    holds no such reference, else a new schema (``schema`` is not changed).
    """
    pointers: list[str] = []
    for _, ref in local_refs(schema):
        local = ref.startswith("#") and not _is_defs_ref(ref)
        if local and ref not in pointers and resolve_pointer(schema, ref) is not None:
            pointers.append(ref)
    if not pointers:
        return schema

    existing = schema.get("$defs")
    taken = set(existing) if isinstance(existing, dict) else set()
    names: dict[str, str] = {}
    for pointer in pointers:
        name = _def_name(pointer)
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}{n}", n + 1
        taken.add(unique)
        names[pointer] = unique

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out: JSON = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value in names:
                    out[key] = f"#/$defs/{_escape(names[value])}"
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return copy.deepcopy(node)

    result: JSON = rewrite(schema)
    defs: JSON = dict(result.get("$defs") or {})
    for pointer in pointers:
        target = rewrite(resolve_pointer(schema, pointer))
        if pointer == "#" and isinstance(target, dict):
            target.pop("$defs", None)
        defs[names[pointer]] = target
    result["$defs"] = defs
    return result


def _def_name(pointer: str) -> str:
    if pointer == "#":
        return "root"
    parts = pointer_parts(pointer)
    for i in range(len(parts) - 1, 0, -1):
        if parts[i - 1] == "properties":
            return parts[i]
    return "definition"


# --- where a schema goes ------------------------------------------------------------------


def is_tool_context(where: str) -> bool:
    """Whether a `check_schema` ``where`` names a tool (``tool "weather"``) rather than an
    output (``output type Invoice``)."""
    return where.lstrip().lower().startswith("tool")


def output_mode(model: Any) -> str:
    """``"native"``, ``"tool"`` or ``"text"``: how ``model`` sends an output schema, as
    `fantasy.objects` decides it (unknown modes count as ``"tool"`` here; the object
    call itself reports them)."""
    mode = str(getattr(model, "object_mode", "auto") or "auto")
    if mode == "text":
        return "text"
    if mode in ("auto", "json") and getattr(model, "native_object_output", False):
        return "native"
    return "tool"


def check_tool_root(schema: Any, where: str, provider: str) -> None:
    """A tool's input is one JSON object: a schema whose root is something else cannot be
    a tool's input (object generation in tool mode with ``list[int]``, say)."""
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind is None and not any(k in schema for k in ("anyOf", "oneOf", "enum", "const")):
        return  # no type at all: read as an object, as every provider does
    if kind == "object" or (isinstance(kind, list) and kind == ["object"]):
        return
    described = kind if kind is not None else "a union or enum"
    raise SchemaError(
        f"{provider} tool input must be a JSON object, and this schema is {described}; "
        "wrap the value in a model with one field, or use text mode for object generation",
        where=where,
        provider=provider,
    )
