"""The JSON reading structured output uses, public (Fantasy's ``schema.ParsePartialJSON``
and ``schema.ValidateAgainstSchema``): for programs that read a model's JSON themselves,
a tool's streamed arguments, say.

`parse_partial_json` reads a whole text, repairing what it can: a document cut short
(the usual case mid-stream) is closed as it stands, and any other damage is left to
``json_repair``. `validate_against_schema` checks a value against the JSON Schema
subset every provider accepts. The incremental parser itself is `PartialJSONParser`
(feed pieces, read a snapshot), linear in the text however it is split.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from fantasy.objects.partial_json import (
    MISSING,
    PartialJSONError,
    PartialJSONParser,
    parse_partial,
)
from fantasy.objects.validate import SchemaValidationError, validate


class ParseState(StrEnum):
    """How `parse_partial_json` read its text (Fantasy's ``ParseState``)."""

    UNDEFINED = "undefined"
    """The text was empty."""
    SUCCESSFUL = "successful"
    """Valid JSON as it was."""
    REPAIRED = "repaired"
    """JSON once closed or repaired: a document cut short, a trailing comma, ..."""
    FAILED = "failed"
    """Not JSON even after repair."""


def parse_partial_json(text: str) -> tuple[Any, ParseState]:
    """The value of ``text`` and how it was read; ``(None, FAILED)`` for text that is no
    JSON at all, ``(None, UNDEFINED)`` for an empty one."""
    if not isinstance(text, str):
        raise TypeError(f"parse_partial_json takes a str, got {type(text).__name__}")
    if not text:
        return None, ParseState.UNDEFINED
    try:
        return json.loads(text), ParseState.SUCCESSFUL
    except (ValueError, RecursionError):
        pass
    try:
        value, _ = parse_partial(text)
    except PartialJSONError:
        value = MISSING
    if value is not MISSING:
        return value, ParseState.REPAIRED
    import json_repair

    try:
        repaired = json_repair.loads(text)
    except (ValueError, RecursionError):
        return None, ParseState.FAILED
    if repaired == "" and text.strip() not in ('""', "''"):
        return None, ParseState.FAILED  # json_repair's answer for text with no JSON in it
    return repaired, ParseState.REPAIRED


def validate_against_schema(value: Any, schema: dict[str, Any]) -> None:
    """Raise `SchemaValidationError` (every violation, each with its path) unless
    ``value`` matches ``schema``."""
    validate(value, schema)


__all__ = [
    "MISSING",
    "ParseState",
    "PartialJSONError",
    "PartialJSONParser",
    "SchemaValidationError",
    "parse_partial_json",
    "validate_against_schema",
]
