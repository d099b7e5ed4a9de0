"""An MCP server run as a subprocess, spoken to over its stdin and stdout."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError
from fantasy.mcp._connection import Connection
from fantasy.mcp.servers import (
    DEFAULT_START_TIMEOUT,
    DEFAULT_TIMEOUT,
    MCPServerBase,
    ServerApproval,
)

if TYPE_CHECKING:
    from fantasy.model import LanguageModel


class MCPServerStdio(MCPServerBase):
    """A server run as a subprocess, spoken to over its stdin and stdout.

    ``env`` is added to the few variables the SDK passes on by default (``PATH``,
    ``HOME``, ``USER``, ``SHELL``, ``TERM``, ``LOGNAME``): a server does not see the rest
    of your environment (API keys) unless you pass them. The last 64 KiB of the server's
    stderr are kept in memory (`fantasy.mcp._stderr`), nothing on disk; its tail ends the
    message when the server fails to start or dies. The process runs in a session of its
    own, so stopping it stops its children.
    """

    kind = "stdio"

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        name: str | None = None,
        prefix: str | None = None,
        allow: Collection[str] | None = None,
        deny: Collection[str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        needs_approval: ServerApproval = False,
        sampling_model: LanguageModel | str | None = None,
        protocol: str = "auto",
    ):
        if not isinstance(command, str) or not command:
            raise InvalidArgumentError("MCPServerStdio: command must be a non-empty string")
        if isinstance(args, str):
            raise InvalidArgumentError(
                f"MCPServerStdio: args must be a list of strings, got the string {args!r}"
            )
        super().__init__(
            name=name,
            prefix=prefix,
            allow=allow,
            deny=deny,
            timeout=timeout,
            start_timeout=start_timeout,
            needs_approval=needs_approval,
            sampling_model=sampling_model,
            protocol=protocol,
        )
        self.command = command
        self.args = [str(a) for a in args]
        self.env = dict(env) if env is not None else None
        self.cwd = Path(cwd) if cwd is not None else None

    def describe(self) -> str:
        return repr(self.redact(" ".join([Path(self.command).name, *self.args]))[:80])

    def secrets(self) -> list[str]:
        return list((self.env or {}).values())

    def transport(self, connection: Connection) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        from fantasy.mcp._stderr import StderrTail

        connection.stderr = StderrTail()
        params = StdioServerParameters(
            command=self.command, args=self.args, env=self.env, cwd=self.cwd
        )
        return stdio_client(params, errlog=connection.stderr.writer)  # type: ignore[arg-type]
