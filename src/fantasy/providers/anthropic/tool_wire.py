"""Tools and tool choice for the Messages API. Pure code.

A function tool's schema is cut down to what the API takes: ``properties`` as
given, ``required`` (``[]`` when missing) and ``type: object``; every other
top-level key is dropped (``$defs`` is added back when a recursive type needs
it). Tools here are not strict, so their input schemas may use any JSON
Schema, references and recursion included; a root that is not an object
cannot be a tool's input and is refused (`fantasy.schema_dialects.SchemaError`).

Computer use needs the beta API, so the beta flags it requires come back
alongside the tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fantasy.providers.anthropic.options import NAME, MCPServer, ToolOptions, has_cache_control
from fantasy.providers.anthropic.prompt import EPHEMERAL
from fantasy.providers.anthropic.provider_tools import (
    CLIENT_TOOLS,
    COMPUTER_USE_BETA_FLAGS,
    COMPUTER_USE_TOOL_ID,
    HOSTED_TOOL_IDS,
    TOOL_BETA_FLAGS,
    WEB_SEARCH_TOOL_IDS,
    client_tool_json,
    computer_use_tool_json,
    hosted_tool_json,
    web_search_tool_json,
)
from fantasy.schema_dialects import check_tool_root, is_tool_context, output_mode, refs_to_defs
from fantasy.tools import ExecutableProviderTool
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FunctionTool,
    ProviderDefinedTool,
    Tool,
)


def function_tool_json(tool: FunctionTool) -> JSON:
    schema = tool.input_schema or {}
    check_tool_root(schema, f'tool "{tool.name}"', "Anthropic")
    input_schema: JSON = {}
    properties = schema.get("properties")
    if properties is not None:
        input_schema["properties"] = properties
    required = schema.get("required")
    if isinstance(required, list) and all(isinstance(r, str) for r in required):
        input_schema["required"] = list(required)
    else:
        input_schema["required"] = []
    input_schema["type"] = "object"
    # A schema whose properties reference its definitions (an MCP server's tool) keeps
    # them: without them its "$ref"s point nowhere. Otherwise (every fantasy tool, whose
    # schemas inline theirs) only properties and required go, as in Fantasy.
    for key in ("$defs", "definitions"):
        if isinstance(schema.get(key), dict) and _refers_to(properties, f"#/{key}/"):
            input_schema[key] = schema[key]
    # A recursive type points back at itself (JSON pointers from the schema's root, which
    # has the same properties as this one); the Messages API gets them as $defs.
    input_schema = refs_to_defs(input_schema)
    wire: JSON = {"input_schema": input_schema, "name": tool.name, "description": tool.description}
    if has_cache_control(tool.provider_options):
        wire["cache_control"] = dict(EPHEMERAL)
    options = (tool.provider_options or {}).get(NAME)
    if isinstance(options, ToolOptions) and options.defer_loading:
        wire["defer_loading"] = True
    if isinstance(options, ToolOptions) and options.allowed_callers is not None:
        wire["allowed_callers"] = list(options.allowed_callers)
    return wire


def _refers_to(node: object, prefix: str) -> bool:
    """Does a ``$ref`` under ``node`` start with ``prefix``?"""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            return True
        return any(_refers_to(v, prefix) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, prefix) for v in node)
    return False


MCP_BETA_FLAG = "mcp-client-2025-11-20"


def mcp_wire(servers: Sequence[MCPServer]) -> tuple[list[JSON], list[JSON]]:
    """``(mcp_servers, mcp_toolset tools)``: each server is named by exactly one toolset,
    which carries its allowed or blocked tools."""
    definitions: list[JSON] = []
    toolsets: list[JSON] = []
    for server in servers:
        definition: JSON = {"name": server.name, "type": "url", "url": server.url}
        if server.authorization_token:
            definition["authorization_token"] = server.authorization_token
        definitions.append(definition)
        toolset: JSON = {"mcp_server_name": server.name, "type": "mcp_toolset"}
        if server.allowed_tools is not None:
            toolset["default_config"] = {"enabled": False}
            toolset["configs"] = {name: {"enabled": True} for name in server.allowed_tools}
        elif server.blocked_tools:
            toolset["configs"] = {name: {"enabled": False} for name in server.blocked_tools}
        toolsets.append(toolset)
    return definitions, toolsets


def _unsupported(tool: Tool) -> CallWarning:
    return CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=tool, message="tool is not supported")


def to_tools(
    tools: Sequence[Tool | ExecutableProviderTool],
    choice: str | None,
    *,
    disable_parallel_tool_use: bool,
    send_parallel_flag: bool,
) -> tuple[list[JSON], JSON | None, list[CallWarning], list[str]]:
    """``(tools, tool_choice, warnings, beta flags)``.

    ``send_parallel_flag`` is False on Bedrock, which rejects
    ``disable_parallel_tool_use``; elsewhere the flag is sent even when false.
    """
    wire: list[JSON] = []
    warnings: list[CallWarning] = []
    betas: list[str] = []
    for given in tools:
        # Direct model calls may pass the executable wrapper itself.
        tool = given.definition if isinstance(given, ExecutableProviderTool) else given
        if isinstance(tool, FunctionTool):
            wire.append(function_tool_json(tool))
        elif isinstance(tool, ProviderDefinedTool) and tool.id in WEB_SEARCH_TOOL_IDS:
            wire.append(web_search_tool_json(tool))
        elif isinstance(tool, ProviderDefinedTool) and (
            tool.id in HOSTED_TOOL_IDS or tool.id in CLIENT_TOOLS
        ):
            built = hosted_tool_json(tool) if tool.id in HOSTED_TOOL_IDS else client_tool_json(tool)
            wire.append(built)
            beta = TOOL_BETA_FLAGS.get(built["type"])
            if beta is not None and beta not in betas:
                betas.append(beta)
        elif isinstance(tool, ProviderDefinedTool) and tool.id == COMPUTER_USE_TOOL_ID:
            try:
                wire.append(computer_use_tool_json(tool))
            except ValueError as exc:
                warnings.append(
                    CallWarning(
                        CallWarningType.OTHER,
                        tool=tool,
                        message=f"failed to build computer use tool: {exc}",
                    )
                )
                continue
            flag = COMPUTER_USE_BETA_FLAGS[tool.args["tool_version"]]
            if flag not in betas:
                betas.append(flag)
        else:
            warnings.append(_unsupported(tool))
    return (
        wire,
        _tool_choice(choice, disable_parallel_tool_use, send_parallel_flag),
        warnings,
        betas,
    )


def _tool_choice(choice: str | None, disable_parallel: bool, send_flag: bool) -> JSON | None:
    def with_flag(value: JSON) -> JSON:
        if send_flag:
            value["disable_parallel_tool_use"] = disable_parallel
        return value

    if choice is None:
        # No choice was made: only the parallel setting, when it asks for something.
        return with_flag({"type": "auto"}) if disable_parallel else None
    if choice == "auto":
        return with_flag({"type": "auto"})
    if choice == "required":
        return with_flag({"type": "any"})
    if choice == "none":
        return {"type": "none"}
    return with_flag({"name": choice, "type": "tool"})


def check_messages_schema(model: Any, schema: JSON, where: str) -> None:
    """`check_schema` for Claude models: tools are not strict, so any JSON Schema will do
    as long as its root is an object; structured output is a tool call (unless in text
    mode), so the same holds for an output."""
    if is_tool_context(where) or output_mode(model) == "tool":
        check_tool_root(schema, where, "Anthropic")
