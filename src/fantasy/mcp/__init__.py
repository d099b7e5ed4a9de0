"""Tools from MCP servers, and fantasy tools served over MCP (extra ``mcp``).

``Agent(model, toolsets=[MCPServerStdio("uvx", ["mcp-server-fetch"])])`` gives the
agent a server's tools, listed again at each step after the server says its list
changed. ``serve(tools)`` runs fantasy tools as an MCP server (stdio or HTTP).

Importing ``fantasy`` loads none of this, and importing ``fantasy.mcp`` loads the MCP
SDK only when a server is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fantasy.mcp.errors import ConnectionLost, MCPServerError, MCPStartError, MCPTimeoutError
from fantasy.mcp.remote import MCPServerHTTP, MCPServerSSE
from fantasy.mcp.servers import DEFAULT_START_TIMEOUT, DEFAULT_TIMEOUT, MCPServerBase
from fantasy.mcp.stdio import MCPServerStdio

if TYPE_CHECKING:
    from fantasy.mcp.serving import serve, serve_app, serve_async

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "ConnectionLost",
    "MCPServerBase",
    "MCPServerError",
    "MCPServerHTTP",
    "MCPServerSSE",
    "MCPServerStdio",
    "MCPStartError",
    "MCPTimeoutError",
    "serve",
    "serve_app",
    "serve_async",
]


def __getattr__(name: str) -> Any:
    if name in ("serve", "serve_app", "serve_async"):
        from fantasy.mcp import serving as module

        return getattr(module, name)
    raise AttributeError(f"module 'fantasy.mcp' has no attribute {name!r}")
