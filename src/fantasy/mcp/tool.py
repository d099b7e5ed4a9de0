"""An MCP server's tool as an agent tool: the server's JSON schema as the input schema,
calls sent through the server (timeout, one restart), results converted."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fantasy import _json
from fantasy.mcp import _portal
from fantasy.mcp.errors import MCPServerError
from fantasy.mcp.results import tool_response
from fantasy.tools import AgentTool, NeedsApproval, ToolCall, ToolInfo, ToolResponse

if TYPE_CHECKING:
    from fantasy.mcp.servers import MCPServerBase


class MCPTool(AgentTool):
    """One tool of one server, as listed at the latest step."""

    def __init__(self, server: MCPServerBase, tool: Any):
        self.server = server
        self.mcp_name: str = tool.name
        """The server's name for the tool (the model sees it after the server's prefix)."""
        self.mcp_tool = tool
        """The SDK's ``Tool`` as listed (annotations, output schema, ...)."""
        schema = dict(tool.input_schema or {})
        description = tool.description or tool.title or ""
        self.info = ToolInfo(
            name=server.tool_name(tool.name),
            description=description,
            parameters=dict(schema.get("properties") or {}),
            required=[r for r in schema.get("required") or () if isinstance(r, str)],
            schema=schema,
        )
        self.timeout = None  # the server's own timeout bounds each call
        self.needs_approval = _approval(server.needs_approval, tool.name)

    def parse_input(self, call: ToolCall) -> Any:
        """The arguments as a dict (what ``needs_approval`` functions are given)."""
        value = _json.loads(call.input) if call.input.strip() else {}
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}")
        return value

    async def run(self, call: ToolCall) -> ToolResponse:
        try:
            arguments = self.parse_input(call)
        except ValueError as exc:
            return ToolResponse.error(f"invalid parameters: {exc}")
        server, name = self.server, self.mcp_name

        async def job() -> Any:
            return await server._request(
                lambda client: client.call_tool(name, arguments), f'tool "{name}"'
            )

        try:
            result = await _portal.call(job)
        except MCPServerError as exc:
            return ToolResponse.error(exc.message)
        return tool_response(result)

    def __repr__(self) -> str:
        return f"MCPTool({self.info.name!r}, server={self.server.label!r})"


def _approval(rule: Any, name: str) -> NeedsApproval:
    """A server's ``needs_approval=`` for one of its tools (named as the server names it)."""
    if isinstance(rule, bool):
        return rule
    if callable(rule):
        ask: Callable[[str, dict[str, Any]], Any] = rule

        def needs(arguments: Any) -> Any:
            return ask(name, arguments)

        return needs
    return name in rule
