"""What every MCP server an agent takes tools from shares, whatever its transport
(`fantasy.mcp.stdio`, `fantasy.mcp.remote`).

Each server is a toolset (`fantasy.agent.toolsets.Toolset`): ``Agent(model,
toolsets=[server])``. Its lifetime is counted: ``with server`` / ``async with server``
(or ``with agent``) keeps it up for the block; otherwise each agent run starts it on
its first step and stops it at its end, and any other first use (``server.call_tool``)
starts it until ``server.close()`` or the interpreter's exit. Every request runs on
the portal's loop (`fantasy.mcp._portal`), so both faces share one session.

Failure handling, per request: the server's ``timeout`` (default `DEFAULT_TIMEOUT`)
bounds it; a session that ends under it (the process died, the HTTP session was
dropped) is restarted once and the request sent again before an error is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from fantasy import _runtime
from fantasy.agent.toolsets import ToolNameClashError
from fantasy.errors import InvalidArgumentError
from fantasy.mcp import _portal
from fantasy.mcp._connection import Connection
from fantasy.mcp.errors import ConnectionLost, MCPServerError, MCPTimeoutError
from fantasy.tools import AgentTool

if TYPE_CHECKING:
    from mcp import Client

    from fantasy.model import LanguageModel

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
"""Seconds one request (a tool call, a listing) may take before the model gets a
"timed out" error result."""

MIN_SECRET_LENGTH = 6
"""Shorter values (``1``, ``true``) are not masked: they would garble every message."""

DEFAULT_START_TIMEOUT = 30.0
"""Seconds a server may take to start and finish the MCP handshake."""

ServerApproval: TypeAlias = (
    "bool | Collection[str] | Callable[[str, dict[str, Any]], bool | Awaitable[bool]]"
)
"""``needs_approval=`` of a server: every tool, the tools named (the server's own names),
or a function of (tool name, arguments)."""


def require_sdk() -> None:
    """The MCP SDK is installed, or an `ImportError` that says how to get it (found
    without importing it: building a server costs nothing until it is used)."""
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        raise ImportError("fantasy.mcp needs the MCP SDK: pip install 'fantasy[mcp]'")


class MCPServerBase:
    """What every transport shares: naming, filters, approvals, lifecycle, requests."""

    kind = "MCP"

    def __init__(
        self,
        *,
        name: str | None,
        prefix: str | None,
        allow: Collection[str] | None,
        deny: Collection[str] | None,
        timeout: float | None,
        start_timeout: float,
        needs_approval: ServerApproval,
        sampling_model: LanguageModel | str | None,
        protocol: str,
    ):
        require_sdk()
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise InvalidArgumentError("MCP server: prefix must be a non-empty string")
        for option, value in (("allow", allow), ("deny", deny)):
            if isinstance(value, str):
                raise InvalidArgumentError(
                    f"MCP server: {option} takes a list of tool names, got the string {value!r}"
                )
        if timeout is not None and not timeout > 0:
            raise InvalidArgumentError(f"MCP server: timeout must be positive, got {timeout!r}")
        if not start_timeout > 0:
            raise InvalidArgumentError(
                f"MCP server: start_timeout must be positive, got {start_timeout!r}"
            )
        if protocol not in ("auto", "legacy"):
            raise InvalidArgumentError(
                f"MCP server: protocol must be 'auto' or 'legacy', got {protocol!r}"
            )
        self.name = name or ""
        self.prefix = prefix
        self.allow = None if allow is None else frozenset(allow)
        self.deny = frozenset(deny or ())
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.needs_approval = needs_approval
        if isinstance(sampling_model, str):
            from fantasy.model_names import language_model

            sampling_model = language_model(sampling_model)
        self.sampling_model = sampling_model
        self.protocol = protocol
        self._connection: Connection | None = None
        self._users = 0
        self._lock: asyncio.Lock | None = None

    @property
    def label(self) -> str:
        """How messages name this server."""
        return f'MCP server "{self.name}"' if self.name else f"MCP server {self.describe()}"

    def describe(self) -> str:
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Values that must never show in a message or a log line (header values, a URL's
        password and query, the environment given to a stdio server)."""
        return []

    def redact(self, text: str) -> str:
        """``text`` with every one of `secrets` masked; a server's stderr or an HTTP error
        may quote them."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            if len(secret) >= MIN_SECRET_LENGTH:
                text = text.replace(secret, "***")
        return text

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({self.describe()}{named})"

    # ------------------------------------------------------------------ the SDK client

    def transport(self, connection: Connection) -> Any:
        """The SDK transport (an async context manager giving the streams)."""
        raise NotImplementedError

    def make_client(self, connection: Connection) -> Client:
        from mcp import Client

        sampling = None
        if self.sampling_model is not None:
            from fantasy.mcp.sampling import sampling_callback

            sampling = sampling_callback(self.sampling_model)
        from mcp_types import Implementation

        client = Client(
            self.transport(connection),
            message_handler=connection.on_message,
            sampling_callback=sampling,  # type: ignore[arg-type]
            client_info=Implementation(name="fantasy", version=_version()),
            mode=self.protocol,
            cache=None,  # tool lists are kept here, dropped on list-changed notices
        )
        return client

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> MCPServerBase:
        await _portal.call_shielded(self._acquire)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await _portal.call_shielded(self._release)

    def __enter__(self) -> MCPServerBase:
        _runtime.run_sync(self.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        _runtime.run_sync(self.__aexit__())

    async def aclose(self) -> None:
        """Stop the server now, whoever started it."""
        await _portal.call_shielded(self._close)

    def close(self) -> None:
        """The sync face of `aclose`."""
        _runtime.run_sync(self.aclose())

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _acquire(self) -> None:
        async with self._guard():
            if self._connection is None or not self._connection.alive:
                await self._open_locked()
            self._users += 1

    async def _release(self) -> None:
        async with self._guard():
            self._users = max(0, self._users - 1)
            if self._users == 0:
                await self._close_locked()

    async def _close(self) -> None:
        async with self._guard():
            self._users = 0
            await self._close_locked()

    async def _open_locked(self) -> Connection:
        await self._close_locked()
        connection = Connection(self)
        await connection.open()
        self._connection = connection
        return connection

    async def _close_locked(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close_now()

    async def _live(self) -> Connection:
        """The open connection; the first use starts the server."""
        connection = self._connection
        if connection is not None and connection.alive:
            return connection
        async with self._guard():
            connection = self._connection
            if connection is not None and connection.alive:
                return connection
            return await self._open_locked()

    async def _restart(self, broken: Connection) -> Connection:
        async with self._guard():
            if self._connection is broken or self._connection is None:
                return await self._open_locked()
            current = self._connection
        return current if current.alive else await self._live()

    async def _request(
        self,
        job: Callable[[Client], Awaitable[T]],
        what: str,
        timeout: float | None = None,
        *,
        retry: bool = True,
    ) -> T:
        """``job`` on the live session; a lost session is restarted once (``retry``)."""
        from mcp.shared.exceptions import MCPError

        limit = self.timeout if timeout is None else timeout
        connection = await self._live()
        try:
            try:
                return await connection.request(job, limit, what)
            except ConnectionLost:
                if not retry:
                    raise
            connection = await self._restart(connection)
            return await connection.request(job, limit, what)
        except TimeoutError as exc:
            after = "" if limit is None else f" after {limit:g}s"
            raise MCPTimeoutError(f"{self.label}: {what} timed out{after}") from exc
        except MCPError as exc:
            raise MCPServerError(self.redact(f"{self.label}: {what} failed: {exc}")) from exc

    # ------------------------------------------------------------------ tools

    async def get_tools(self) -> list[AgentTool]:
        """The server's tools as agent tools (listed again after a list-changed notice)."""
        return await _portal.call(self._tools)

    async def _tools(self) -> list[AgentTool]:
        connection = await self._live()
        cached = connection.tools
        if cached is not None:
            return list(cached)
        changes = connection.changes
        listing = await self._request(_list_all_tools, "tools/list")
        from fantasy.mcp.tool import MCPTool

        tools: list[AgentTool] = []
        owners: dict[str, str] = {}
        for tool in listing:
            if self.allow is not None and tool.name not in self.allow:
                continue
            if tool.name in self.deny:
                continue
            made = MCPTool(self, tool)
            other = owners.setdefault(made.info.name, tool.name)
            if other != tool.name:
                raise ToolNameClashError(
                    f"{self.label}: its tools {other!r} and {tool.name!r} are both offered to "
                    f'the model as "{made.info.name}" (names are mapped to the characters '
                    "providers accept, a-z A-Z 0-9 _ -, and 64 at most); filter one out "
                    "(allow=/deny=)"
                )
            tools.append(made)
        if self._connection is connection and connection.changes == changes:
            connection.tools = tools  # kept unless the list changed while it was read
        return list(tools)

    def tool_name(self, name: str) -> str:
        """What the model calls a server's tool: its name, after the prefix if any, made
        acceptable to every provider (`fantasy.mcp.names.provider_safe`)."""
        from fantasy.mcp.names import provider_safe

        return provider_safe(f"{self.prefix}_{name}" if self.prefix else name)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        """Call a tool by the server's name for it; the SDK's ``CallToolResult``.

        Raises `MCPServerError` (`MCPTimeoutError`, `ConnectionLost`) on failure; a tool's
        own failure is a result with ``is_error`` set, not an exception."""

        async def job() -> Any:
            return await self._request(
                lambda client: client.call_tool(name, arguments or {}), f'tools/call "{name}"'
            )

        return await _portal.call(job)

    # ------------------------------------------------------------------ resources, prompts

    async def alist_resources(self) -> list[Any]:
        """Every resource the server lists (all pages): the SDK's ``Resource`` objects."""

        async def job() -> list[Any]:
            return await self._request(_list_all_resources, "resources/list")

        return await _portal.call(job)

    def list_resources(self) -> list[Any]:
        return _runtime.run_sync(self.alist_resources())

    async def aread_resource(self, uri: str) -> list[Any]:
        """A resource's contents: the SDK's ``TextResourceContents`` / ``BlobResourceContents``."""

        async def job() -> list[Any]:
            result = await self._request(
                lambda client: client.read_resource(uri), f'resources/read "{uri}"'
            )
            return list(result.contents)

        return await _portal.call(job)

    def read_resource(self, uri: str) -> list[Any]:
        return _runtime.run_sync(self.aread_resource(uri))

    async def alist_prompts(self) -> list[Any]:
        """Every prompt the server lists (all pages): the SDK's ``Prompt`` objects."""

        async def job() -> list[Any]:
            return await self._request(_list_all_prompts, "prompts/list")

        return await _portal.call(job)

    def list_prompts(self) -> list[Any]:
        return _runtime.run_sync(self.alist_prompts())

    async def aget_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> Any:
        """A prompt filled in: the SDK's ``GetPromptResult`` (``.messages``)."""

        async def job() -> Any:
            return await self._request(
                lambda client: client.get_prompt(name, dict(arguments or {})),
                f'prompts/get "{name}"',
            )

        return await _portal.call(job)

    def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> Any:
        return _runtime.run_sync(self.aget_prompt(name, arguments))

    async def amessages_for_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> list[Any]:
        """A prompt as fantasy messages, to pass as ``messages=`` to an agent."""
        from fantasy.mcp.prompts import prompt_messages

        return prompt_messages(await self.aget_prompt(name, arguments))

    def messages_for_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> list[Any]:
        return _runtime.run_sync(self.amessages_for_prompt(name, arguments))


async def _list_all_tools(client: Client) -> list[Any]:
    return await _pages(lambda cursor: client.list_tools(cursor=cursor), "tools")


async def _list_all_resources(client: Client) -> list[Any]:
    return await _pages(lambda cursor: client.list_resources(cursor=cursor), "resources")


async def _list_all_prompts(client: Client) -> list[Any]:
    return await _pages(lambda cursor: client.list_prompts(cursor=cursor), "prompts")


MAX_PAGES = 100
"""A server whose listing never ends is read this far, not forever."""


async def _pages(fetch: Callable[[str | None], Awaitable[Any]], field: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await fetch(cursor)
        items.extend(getattr(page, field))
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("fantasy")
    except Exception:
        return "0"
