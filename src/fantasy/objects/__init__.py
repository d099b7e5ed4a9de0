"""Structured output: a JSON object matching a schema, generated or streamed.

`core` is the model-level machinery (modes, object calls, streams of partial
objects); `typed` the typed layer (`generate_object` and friends, loaded by
`fantasy` on first use); `partial_json` and `partial_objects` the incremental
parsing; `validate` the schema check; `parsing` the public face of both
(`parse_partial_json`, `validate_against_schema`, `PartialJSONParser`). Importing
this package loads `core` only; those names load `parsing` when first used.
"""

from typing import Any

from fantasy.objects.core import (
    DEFAULT_TOOL_DESCRIPTION,
    DEFAULT_TOOL_NAME,
    ObjectCall,
    ObjectMode,
    ObjectResponse,
    ObjectStreamPart,
    ObjectStreamPartType,
    PartialObjects,
    RepairFunc,
    generate,
    generate_native,
    generate_with_text,
    generate_with_tool,
    parse_and_validate,
    parse_and_validate_with_repair,
    stream,
    stream_native,
    stream_with_text,
    stream_with_tool,
    text_mode_instruction,
)

_PARSING = frozenset(
    {
        "ParseState",
        "PartialJSONError",
        "PartialJSONParser",
        "SchemaValidationError",
        "parse_partial_json",
        "validate_against_schema",
    }
)


def __getattr__(name: str) -> Any:
    if name in _PARSING:
        from fantasy.objects import parsing

        return getattr(parsing, name)
    raise AttributeError(f"module 'fantasy.objects' has no attribute {name!r}")


__all__ = [
    "DEFAULT_TOOL_DESCRIPTION",
    "DEFAULT_TOOL_NAME",
    "ObjectCall",
    "ObjectMode",
    "ObjectResponse",
    "ObjectStreamPart",
    "ObjectStreamPartType",
    "ParseState",
    "PartialJSONError",
    "PartialJSONParser",
    "PartialObjects",
    "RepairFunc",
    "SchemaValidationError",
    "generate",
    "generate_native",
    "generate_with_text",
    "generate_with_tool",
    "parse_and_validate",
    "parse_and_validate_with_repair",
    "parse_partial_json",
    "stream",
    "stream_native",
    "stream_with_text",
    "stream_with_tool",
    "text_mode_instruction",
    "validate_against_schema",
]
