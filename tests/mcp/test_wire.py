"""An MCP tool's whole schema on the wire: `ToolInfo.schema` reaches the request as the
server wrote it, and tools without one are sent exactly as before."""

from __future__ import annotations

from fantasy.agent.run import _wire_tools
from fantasy.providers.anthropic.tool_wire import function_tool_json
from fantasy.tools import AgentTool, ToolInfo, tool
from fantasy.types import FunctionTool

SCHEMA = {
    "type": "object",
    "properties": {"order": {"$ref": "#/$defs/Order"}},
    "required": ["order"],
    "additionalProperties": False,
    "$defs": {
        "Order": {
            "type": "object",
            "properties": {"ids": {"type": "array"}, "note": {"type": ["string", "null"]}},
        }
    },
}


class Whole(AgentTool):
    def __init__(self) -> None:
        self.info = ToolInfo(
            "place", "Place an order.", dict(SCHEMA["properties"]), ["order"], schema=SCHEMA
        )


def test_a_whole_schema_is_sent_whole_and_normalized() -> None:
    (sent,) = _wire_tools([Whole()], [], [])
    assert isinstance(sent, FunctionTool)
    assert sent.input_schema["$defs"]["Order"]["properties"]["ids"] == {
        "type": "array",
        "items": {},
    }
    assert sent.input_schema["$defs"]["Order"]["properties"]["note"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    assert sent.input_schema["additionalProperties"] is False
    assert SCHEMA["$defs"]["Order"]["properties"]["ids"] == {"type": "array"}  # not mutated


def test_a_typed_tool_is_sent_as_before() -> None:
    @tool
    def add(a: int, b: int) -> str:
        """Add."""
        return str(a + b)

    (sent,) = _wire_tools([add], [], [])
    assert sent.input_schema == {
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "type": "object",
    }


def test_anthropic_keeps_the_definitions_refs_point_to() -> None:
    (sent,) = _wire_tools([Whole()], [], [])
    wire = function_tool_json(sent)
    assert wire["input_schema"]["properties"] == {"order": {"$ref": "#/$defs/Order"}}
    assert set(wire["input_schema"]["$defs"]) == {"Order"}


def test_anthropic_wire_of_a_tool_without_definitions_is_unchanged() -> None:
    plain = FunctionTool(
        "add",
        "Add.",
        {"properties": {"a": {"type": "integer"}}, "required": ["a"], "type": "object"},
    )
    assert function_tool_json(plain)["input_schema"] == {
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "type": "object",
    }


def test_gemini_gets_the_definitions_inlined() -> None:
    from fantasy.providers.google.schema import function_parameters

    (sent,) = _wire_tools([Whole()], [], [])
    parameters = function_parameters(sent.input_schema, 'tool "place"')
    order = parameters["properties"]["order"]
    assert order["type"] == "OBJECT"
    assert order["properties"]["ids"]["type"] == "ARRAY"
    assert order["properties"]["note"] == {"type": "STRING", "nullable": True}


def test_gemini_refuses_a_recursive_definition_naming_the_field() -> None:
    import pytest

    from fantasy.providers.google.schema import function_parameters
    from fantasy.schema_dialects import SchemaError

    schema = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    with pytest.raises(SchemaError, match="recursive"):
        function_parameters(schema, 'tool "walk"')
