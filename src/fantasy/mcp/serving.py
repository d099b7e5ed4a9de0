"""Fantasy tools served over MCP, so other clients (editors, other agents) can use them.

``serve(tools)`` runs a server until it is stopped: over stdio (the default, for a
client that starts it as a subprocess) or Streamable HTTP (``transport="http"``).
``serve_app(tools)`` gives the ASGI app to mount in a web server of your own.
Each tool's schema is the one the model would see; a call runs the tool as the agent
would (its input validated, a raised exception an error result), and its response is
sent as MCP content: text, an image, audio, or other media as an embedded resource.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fantasy import _runtime
from fantasy.agent.toolsets import full_input_schema
from fantasy.errors import InvalidArgumentError
from fantasy.tools import AgentTool, ToolCall, ToolResponse, tool

logger = logging.getLogger("fantasy.mcp")


def _tools(tools: Sequence[AgentTool | Callable[..., Any]]) -> dict[str, AgentTool]:
    out: dict[str, AgentTool] = {}
    for index, item in enumerate(tools):
        if isinstance(item, AgentTool):
            made = item
        elif callable(item):
            made = tool(item)
        else:
            raise InvalidArgumentError(
                f"serve: tools[{index}] must be a function or a fantasy.AgentTool, "
                f"got {type(item).__name__}"
            )
        if made.info.name in out:
            raise InvalidArgumentError(f'serve: two tools are named "{made.info.name}"')
        out[made.info.name] = made
    return out


def input_schema(agent_tool: AgentTool) -> dict[str, Any]:
    """The schema a model would see for the tool."""
    full = full_input_schema(agent_tool.info)
    if full is not None:
        return full
    from fantasy.schema import tool_input_schema

    info = agent_tool.info
    return tool_input_schema(info.parameters, info.required)


def build_server(tools: Sequence[AgentTool | Callable[..., Any]], name: str = "fantasy") -> Any:
    """The SDK's low-level ``Server`` offering ``tools``."""
    from fantasy.mcp.servers import require_sdk

    require_sdk()
    import mcp_types as types
    from mcp.server.lowlevel.server import Server

    by_name = _tools(tools)
    schemas = {n: input_schema(t) for n, t in by_name.items()}

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(
            tools=[
                types.Tool(name=n, description=t.info.description, input_schema=schemas[n])
                for n, t in by_name.items()
            ]
        )

    async def call_tool(ctx: Any, params: Any) -> Any:
        agent_tool = by_name.get(params.name)
        if agent_tool is None:
            return _error(f"unknown tool {params.name!r}; the tools are {', '.join(by_name)}")
        call = ToolCall(
            f"mcp-{uuid.uuid4().hex[:12]}", params.name, json.dumps(params.arguments or {})
        )
        refusal = await _gated(agent_tool, call)
        if refusal is not None:
            return _error(refusal)
        try:
            response = await agent_tool.run(call)
        except Exception as exc:
            logger.info("served tool %r raised", params.name, exc_info=True)
            return _error(f"{type(exc).__name__}: {exc}")
        if not isinstance(response, ToolResponse):
            from fantasy.tools import as_response

            response = as_response(response)
        return call_result(response)

    return Server(
        name,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=schemas.get,
    )


async def _gated(agent_tool: AgentTool, call: ToolCall) -> str | None:
    """Why a call is not run, or None. An MCP server has nobody to ask: a call the agent
    would hold for approval (``needs_approval`` True, or its function says so for this
    input) or a deferred tool's call (whose result comes from outside) is refused,
    never run unasked. An input the tool rejects runs, to get its validation error."""
    name = call.name
    if agent_tool.deferred:
        return (
            f'tool "{name}" is deferred: its result comes from outside a run, so it '
            "cannot be called over MCP"
        )
    rule: Any = agent_tool.needs_approval
    if rule is False or rule is None:
        return None
    if callable(rule):
        try:
            value = agent_tool.parse_input(call)
        except ValueError:
            return None
        try:
            needed = await _runtime.call_user(rule, value)
        except Exception as exc:
            logger.info("needs_approval of served tool %r raised", name, exc_info=True)
            return (
                f'tool "{name}": its needs_approval function failed '
                f"({type(exc).__name__}), so the call was not run"
            )
        if needed is False:
            return None
    return f'tool "{name}" needs approval, which an MCP server cannot ask for: the call was not run'


def _error(text: str) -> Any:
    import mcp_types as types

    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def call_result(response: ToolResponse) -> Any:
    """A tool's response as an MCP ``CallToolResult``."""
    import mcp_types as types

    content: list[Any] = []
    if response.type in ("image", "media") and response.data:
        data = base64.b64encode(response.data).decode("ascii")
        mime = response.media_type
        if mime.startswith("image/"):
            content.append(types.ImageContent(type="image", data=data, mime_type=mime))
        elif mime.startswith("audio/"):
            content.append(types.AudioContent(type="audio", data=data, mime_type=mime))
        else:
            content.append(
                types.EmbeddedResource(
                    type="resource",
                    resource=types.BlobResourceContents(
                        uri="fantasy://tool-result", mime_type=mime, blob=data
                    ),
                )
            )
    if response.content or not content:
        content.insert(0, types.TextContent(type="text", text=response.content))
    return types.CallToolResult(content=content, is_error=response.is_error)


def serve_app(
    tools: Sequence[AgentTool | Callable[..., Any]],
    *,
    name: str = "fantasy",
    path: str = "/mcp",
) -> Any:
    """A Starlette (ASGI) app serving ``tools`` over Streamable HTTP at ``path``."""
    return build_server(tools, name).streamable_http_app(streamable_http_path=path)


async def serve_async(
    tools: Sequence[AgentTool | Callable[..., Any]],
    *,
    name: str = "fantasy",
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = "/mcp",
) -> None:
    """Serve ``tools`` until cancelled: over stdio, or Streamable HTTP at
    ``http://host:port/path`` (``transport="http"``)."""
    if transport == "stdio":
        from mcp.server.stdio import stdio_server

        server = build_server(tools, name)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return
    if transport != "http":
        raise InvalidArgumentError(f"serve: transport must be 'stdio' or 'http', got {transport!r}")
    import uvicorn

    app = serve_app(tools, name=name, path=path)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    await uvicorn.Server(config).serve()


def serve(
    tools: Sequence[AgentTool | Callable[..., Any]],
    *,
    name: str = "fantasy",
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = "/mcp",
) -> None:
    """Serve ``tools`` over MCP, blocking until the client goes away (stdio) or the
    process is stopped (HTTP). See `serve_async`."""
    import anyio

    if transport not in ("stdio", "http"):
        raise InvalidArgumentError(f"serve: transport must be 'stdio' or 'http', got {transport!r}")
    anyio.run(
        lambda: serve_async(tools, name=name, transport=transport, host=host, port=port, path=path)
    )
