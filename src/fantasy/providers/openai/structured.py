"""OpenAI's schema dialects: strict JSON schemas, and Fantasy's closed ones.

Strict mode (Chat Completions ``response_format`` with ``"strict": true``,
Responses function tools when ``strict_json_schema`` is set) accepts a subset
of JSON Schema, and the API refuses a schema outside it with a 400. OpenAI's
documented rules, and what `strict_schema` does with them:

* The root must be an object (not ``anyOf``): anything else is a `SchemaError`.
* Every object lists all its properties in ``required`` and sets
  ``"additionalProperties": false``. A field that may be left out (it has a
  default) is therefore always sent: when its type admits ``None`` the schema
  already says ``null`` (``str | None = None`` is ``anyOf [string, null]``), so
  the model answers ``null``; when it does not (``city: str = "Lisbon"``) the
  model must give a value, since ``null`` would be refused by the validator.
  An object with arbitrary keys (``dict[str, V]``, an object without declared
  properties below the root) cannot be expressed: `SchemaError`.
* Keywords: ``type``, ``properties``, ``required``, ``additionalProperties``,
  ``items``, ``enum``, ``const``, ``anyOf``, ``$ref``/``$defs``, ``description``,
  ``title``; ``pattern`` and the formats date-time, time, date, duration,
  email, hostname, ipv4, ipv6 and uuid for strings; ``minimum``, ``maximum``,
  their exclusive forms and ``multipleOf`` for numbers; ``minItems`` and
  ``maxItems`` for arrays. Other keywords (``minLength``, ``maxLength``,
  ``default``, other formats...) are dropped: pydantic still enforces them.
  ``oneOf`` becomes ``anyOf``; ``allOf`` cannot be expressed.
* Every schema needs a type (or ``anyOf``/``enum``/``const``/``$ref``): a field
  typed ``Any`` (``{}``) cannot be expressed.
* Recursive types are sent as references into ``$defs`` (see
  `fantasy.schema_dialects.refs_to_defs`), which strict mode supports.

Fantasy's own conversion only adds ``"additionalProperties": false`` to every
object schema through ``properties`` and ``items``; the recorded requests
(objects whose properties are all required) come out the same.

The Responses API's ``text.format`` carries no strict flag in Fantasy's
requests, so it gets `closed_schema`: Fantasy's closing of objects, extended
through unions and definitions, without the strict-mode limits.
"""

from __future__ import annotations

import copy
from typing import Any

from fantasy.model import ResponseFormat
from fantasy.schema_dialects import (
    SchemaError,
    check_tool_root,
    field_path,
    is_tool_context,
    output_mode,
    refs_to_defs,
)
from fantasy.types import JSON

DIALECT = "OpenAI strict mode"

_STRICT_KEYS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "definitions",
        "description",
        "title",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


def strict_schema(schema: JSON, where: str = "") -> JSON:
    """``schema`` in OpenAI's strict dialect (a new schema; ``schema`` is not changed).

    Raises:
        SchemaError: when strict mode cannot express a part of it; the message names
            ``where`` (``tool "weather"``, ``output schema "Person"``) and the field.
    """
    if schema.get("type") != "object":
        raise SchemaError(
            "the root of a strict schema must be an object "
            f"(got {_describe(schema)}); wrap the value in a model with one field",
            where=where,
            provider=DIALECT,
        )
    out: JSON = _Strict(where).node(refs_to_defs(schema), (), root=True)
    return out


class _Strict:
    def __init__(self, where: str):
        self.where = where

    def fail(self, path: tuple[str, ...], reason: str) -> SchemaError:
        return SchemaError(
            f"{DIALECT} cannot express {reason}",
            where=self.where,
            field=field_path(path),
            provider=DIALECT,
        )

    def node(self, node: Any, path: tuple[str, ...], *, root: bool = False) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return {"$ref": node["$ref"]}
        if "allOf" in node:
            raise self.fail(path, "an intersection (allOf); merge the parts into one model")
        if not any(k in node for k in ("type", "anyOf", "oneOf", "enum", "const")):
            raise self.fail(path, "a value of any type (typing.Any); give the field a type")
        out: JSON = {}
        for key, value in node.items():
            if key == "oneOf":
                key = "anyOf"
            if key not in _STRICT_KEYS:
                continue
            if key == "format" and value not in _STRICT_FORMATS:
                continue
            if key in ("properties", "required", "additionalProperties", "items"):
                continue  # rebuilt below
            if key in ("$defs", "definitions"):
                continue  # last, so a field's error names the field, not a definition
            if key == "anyOf" and isinstance(value, list):
                out[key] = [self.node(branch, path) for branch in value]
            else:
                out[key] = copy.deepcopy(value)
        kinds = node.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "object" in kinds:
            self._object(node, path, out, root=root)
        if "array" in kinds or "items" in node:
            items = node.get("items")
            if not isinstance(items, dict):
                raise self.fail(path, "an array without an item type; give the list a type")
            out["items"] = self.node(items, (*path, "[]"))
        for key in ("$defs", "definitions"):
            defs = node.get(key)
            if isinstance(defs, dict):
                out[key] = {name: self.node(sub, (name,)) for name, sub in defs.items()}
        return out

    def _object(self, node: JSON, path: tuple[str, ...], out: JSON, *, root: bool) -> None:
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        extra = node.get("additionalProperties")
        if extra is True or (isinstance(extra, dict) and extra):
            raise self.fail(
                path,
                "an object with arbitrary keys (such as dict[str, ...]); strict mode only "
                "allows objects with fixed keys, so use a model (or a list of key/value "
                "pairs)",
            )
        if not properties and not root and extra is not False:
            raise self.fail(
                path,
                "an object without declared properties (such as dict[str, Any]); strict "
                "mode only allows objects with fixed keys, so use a model",
            )
        out["properties"] = {
            name: self.node(sub, (*path, name)) for name, sub in properties.items()
        }
        out["required"] = list(properties)
        out["additionalProperties"] = False


def _describe(schema: JSON) -> str:
    kind = schema.get("type")
    if kind is not None:
        return f"type {kind!r}"
    if "anyOf" in schema or "oneOf" in schema:
        return "a union"
    return "a schema without a type"


def closed_schema(schema: JSON) -> JSON:
    """A copy of ``schema`` with ``additionalProperties: false`` on every object schema
    that declares properties (unless it says otherwise), through properties, items,
    unions and definitions; pointer references moved to ``$defs``.

    This is Fantasy's conversion for non-strict native output, carried through the
    places Fantasy does not look (``anyOf``, ``$defs``). An object without declared
    properties (``dict[str, ...]``) is left open: closing it would only allow ``{}``.
    """
    out = copy.deepcopy(refs_to_defs(schema))
    _close_objects(out)
    return out


def _close_objects(schema: Any) -> None:
    if isinstance(schema, list):
        for item in schema:
            _close_objects(item)
        return
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if schema.get("type") == "object" and isinstance(properties, dict) and properties:
        schema.setdefault("additionalProperties", False)
    if isinstance(properties, dict):
        for value in properties.values():
            _close_objects(value)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _close_objects(schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        _close_objects(schema.get(key))
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for value in defs.values():
                _close_objects(value)


def output_where(fmt: ResponseFormat) -> str:
    return f'output schema "{fmt.name}"' if fmt.name else "output schema"


def chat_response_format(fmt: ResponseFormat) -> JSON:
    """Chat Completions ``response_format``: a strict, named, described json_schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": fmt.name,
            "description": fmt.description,
            "schema": strict_schema(fmt.schema, output_where(fmt)),
            "strict": True,
        },
    }


def responses_text_format(fmt: ResponseFormat) -> JSON:
    """Responses API ``text``: the json_schema format, by name (Fantasy sends no
    description and no strict flag here)."""
    return {
        "format": {"type": "json_schema", "name": fmt.name, "schema": closed_schema(fmt.schema)}
    }


def check_chat_schema(model: Any, schema: JSON, where: str) -> None:
    """`check_schema` for Chat Completions models (OpenAI, Azure, compatible servers):
    function tools are not strict there, so a tool needs only an object root; an output
    goes through strict mode when the model has native structured output, else it is a
    tool's input."""
    if is_tool_context(where):
        check_tool_root(schema, where, "OpenAI")
        return
    mode = output_mode(model)
    if mode == "native":
        strict_schema(schema, where)
    elif mode == "tool":
        check_tool_root(schema, where, "OpenAI")


def check_responses_schema(model: Any, schema: JSON, where: str) -> None:
    """`check_schema` for Responses API models. Function tools are strict only when a
    call's provider options say so (checked then, when the request is built); native
    output is not strict in Fantasy's requests."""
    if is_tool_context(where) or output_mode(model) == "tool":
        check_tool_root(schema, where, "OpenAI")
