"""What goes wrong with an MCP server, as fantasy errors.

In an agent run none of these ends the run: a tool call that meets one gives the model
an error result with the message. Called directly (``server.call_tool``,
``server.list_resources``...), they are raised.
"""

from __future__ import annotations

from fantasy.errors import FantasyError


class MCPServerError(FantasyError):
    """A request to an MCP server failed (the server answered with a JSON-RPC error, or
    could not be reached)."""

    def __init__(self, message: str):
        super().__init__(message, title="MCP server error")


class MCPStartError(MCPServerError):
    """The server did not start: its command failed, it exited, or it did not finish the
    handshake within ``start_timeout``. The message ends with the tail of a stdio
    server's stderr."""


class ConnectionLost(MCPServerError):
    """The session ended under a request (the process exited, the HTTP session was
    dropped). A tool call meets it only after one restart or reconnect failed too."""


class MCPTimeoutError(MCPServerError, TimeoutError):
    """A request took longer than the server's ``timeout``."""
