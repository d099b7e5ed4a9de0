"""MCP servers for the tests, written with the SDK's server API (`MCPServer`).

Run as a script: ``python servers.py <name> [stdio|http PORT]``. Each server prints
nothing on stdout but the protocol; what a test must observe (its pid, a marker) it
gets through tool results.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sys
import time
from typing import Annotated

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve, Sample
from mcp.server.mcpserver.utilities.types import Image
from mcp_types import (
    AudioContent,
    CallToolResult,
    CreateMessageResult,
    EmbeddedResource,
    ResourceLink,
    SamplingMessage,
    TextContent,
    TextResourceContents,
)
from pydantic import BaseModel

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WAV = base64.b64decode("UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=")


class Sum(BaseModel):
    total: int


class Item(BaseModel):
    name: str
    count: int


class Order(BaseModel):
    items: list[Item]


def sample(question: str) -> Sample:
    """Asks the client's model the tool's question (a resolver of `ask_model`)."""
    content = TextContent(type="text", text=question)
    return Sample([SamplingMessage(role="user", content=content)], max_tokens=50)


def tools_server(name: str = "tools") -> MCPServer:
    mcp = MCPServer(name, log_level="WARNING")

    @mcp.tool()
    def add(a: int, b: int) -> Sum:
        """Add two integers."""
        return Sum(total=a + b)

    @mcp.tool()
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    @mcp.tool()
    def pid() -> int:
        """The server's process id."""
        return os.getpid()

    @mcp.tool()
    def picture() -> Image:
        """A one-pixel PNG."""
        return Image(data=PNG, format="png")

    @mcp.tool()
    def sound() -> CallToolResult:
        """A short WAV with a caption."""
        data = base64.b64encode(WAV).decode()
        return CallToolResult(
            content=[
                TextContent(type="text", text="a short silence"),
                AudioContent(type="audio", data=data, mime_type="audio/wav"),
            ]
        )

    @mcp.tool()
    def nested(order: Order) -> str:
        """Takes a nested model (its schema has $defs)."""
        return f"{len(order.items)} items"

    @mcp.tool()
    def documents() -> CallToolResult:
        """An embedded resource and a resource link."""
        return CallToolResult(
            content=[
                EmbeddedResource(
                    type="resource",
                    resource=TextResourceContents(
                        uri="file:///notes.txt", mime_type="text/plain", text="the notes"
                    ),
                ),
                ResourceLink(type="resource_link", uri="file:///big.csv", name="big.csv"),
            ]
        )

    @mcp.tool()
    def fails() -> CallToolResult:
        """A tool that reports an error (isError)."""
        return CallToolResult(content=[TextContent(type="text", text="disk full")], is_error=True)

    @mcp.tool()
    def raises() -> str:
        """A tool that raises."""
        raise ToolError("bad input")

    @mcp.tool()
    async def sleep(seconds: float) -> str:
        """Sleep, then answer."""
        await anyio.sleep(seconds)
        return "slept"

    @mcp.tool()
    def die() -> str:
        """Exit the server process at once (the first time only, per marker file)."""
        marker = os.environ.get("DIE_MARKER")
        if marker and os.path.exists(marker):
            return "alive"
        if marker:
            open(marker, "w").close()
        os._exit(3)

    @mcp.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool named "extra", and tell the client the list changed."""

        def extra() -> str:
            """A tool added mid-run."""
            return "extra!"

        mcp.add_tool(extra)
        await ctx.notify_tools_changed()
        if ctx.request_context.session is not None:
            with contextlib.suppress(Exception):  # the 2025 protocol's notice
                await ctx.request_context.session.send_tool_list_changed()
        return "grown"

    @mcp.tool()
    async def ask_model(
        question: str, answer: Annotated[CreateMessageResult, Resolve(sample)]
    ) -> str:
        """Ask the client's model (sampling: mid-call, or as input_required on 2026-07-28)."""
        return answer.content.text if answer.content.type == "text" else "?"

    @mcp.tool()
    def auth_header(ctx: Context) -> str:
        """The Authorization header of this request (HTTP only)."""
        headers = ctx.headers or {}
        return headers.get("authorization", "none")

    @mcp.resource("notes://today", mime_type="text/plain")
    def today() -> str:
        """Today's notes."""
        return "buy milk"

    @mcp.prompt()
    def review(code: str) -> str:
        """Review some code."""
        return f"Please review:\n{code}"

    return mcp


def clashing_server(name: str) -> MCPServer:
    mcp = MCPServer(name, log_level="WARNING")

    @mcp.tool()
    def echo(text: str) -> str:
        """Echo, from the second server."""
        return f"{name}: {text}"

    return mcp


LONG_NAME = "warehouse.inventory." + "stock_level_by_region_and_quarter_" * 3 + "v2"
"""A tool name the SDK accepts (dots, up to 128 characters) and providers do not."""


def dotted_server(clash: bool = False) -> MCPServer:
    """Tools whose names providers refuse: ``files.read`` and `LONG_NAME`; with ``clash``,
    also ``files_read``, which ``files.read`` maps to."""
    mcp = MCPServer("dotted", log_level="WARNING")

    @mcp.tool(name="files.read")
    def files_read(path: str) -> str:
        """Read a file (named with a dot)."""
        return f"files.read ran for {path}"

    @mcp.tool(name=LONG_NAME)
    def stock() -> str:
        """A tool with a long dotted name."""
        return "the long one ran"

    if clash:

        @mcp.tool(name="files_read")
        def files_read_too(path: str) -> str:
            """Named like files.read after mapping."""
            return path

    return mcp


def chatty(megabytes: int, then: str) -> None:
    """Write ``megabytes`` of stderr, a last line, then serve (or exit with ``then``)."""
    line = b"x" * 1023 + b"\n"
    for _ in range(megabytes * 1024):
        sys.stderr.buffer.write(line)
    sys.stderr.buffer.write(b"the last words of a chatty server\n")
    sys.stderr.flush()
    if then == "exit":
        sys.exit(2)


def main() -> None:
    which = sys.argv[1]
    transport = sys.argv[2] if len(sys.argv) > 2 else "stdio"
    if which == "tools":
        server = tools_server()
    elif which == "other":
        server = clashing_server("other")
    elif which == "dotted":
        server = dotted_server()
    elif which == "dotted-clash":
        server = dotted_server(clash=True)
    elif which == "chatty":
        chatty(int(os.environ.get("CHATTY_MB", "8")), "serve")
        server = tools_server()
    elif which == "chatty-crash":
        chatty(int(os.environ.get("CHATTY_MB", "8")), "exit")
        return
    elif which == "crash-on-start":
        print("cannot open the database: /nonexistent/db.sqlite", file=sys.stderr)
        sys.exit(2)
    elif which == "leaky":
        print(f"refusing key {os.environ.get('API_KEY')}: expired", file=sys.stderr)
        sys.exit(2)
    elif which == "silent":
        print("starting slowly...", file=sys.stderr, flush=True)
        time.sleep(3600)
        return
    else:
        raise SystemExit(f"unknown server {which}")
    if transport == "stdio":
        server.run()
    else:
        import uvicorn

        port = int(sys.argv[3])
        app = server.sse_app() if transport == "sse" else server.streamable_http_app()
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
