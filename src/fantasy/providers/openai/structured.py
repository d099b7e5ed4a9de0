"""OpenAI's native structured output on the wire: strict JSON schemas.

OpenAI's strict mode rejects an object schema that allows properties beyond
the listed ones, so Fantasy adds ``"additionalProperties": false`` to every
object schema (nested properties and array items included) unless the schema
says otherwise. The caller's schema is copied, never changed.
"""

from __future__ import annotations

import copy
from typing import Any

from fantasy.model import ResponseFormat

JSON = dict[str, Any]


def strict_schema(schema: JSON) -> JSON:
    """A copy of ``schema`` with ``additionalProperties: false`` on every object schema."""
    out = copy.deepcopy(schema)
    _close_objects(out)
    return out


def _close_objects(schema: JSON) -> None:
    if schema.get("type") == "object":
        schema.setdefault("additionalProperties", False)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for value in properties.values():
                if isinstance(value, dict):
                    _close_objects(value)
    items = schema.get("items")
    if isinstance(items, dict):
        _close_objects(items)


def chat_response_format(fmt: ResponseFormat) -> JSON:
    """Chat Completions ``response_format``: a strict, named, described json_schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": fmt.name,
            "description": fmt.description,
            "schema": strict_schema(fmt.schema),
            "strict": True,
        },
    }


def responses_text_format(fmt: ResponseFormat) -> JSON:
    """Responses API ``text``: the json_schema format, by name (Fantasy sends no
    description and no strict flag here)."""
    return {
        "format": {"type": "json_schema", "name": fmt.name, "schema": strict_schema(fmt.schema)}
    }
