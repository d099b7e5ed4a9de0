"""One live session with an MCP server, held open by a task on the portal's loop.

The SDK's client is an async context manager whose tasks must be entered and left by
one task; requests may come from any task of the same loop. So a holder task enters
the client and waits for the order to close, and each request races the holder: a
holder that ended (the process died, the HTTP transport failed) fails the request at
once as `ConnectionLost` instead of leaving it waiting for an answer that cannot come.
Runs only on the portal (`fantasy.mcp._portal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fantasy.mcp import _portal
from fantasy.mcp.errors import ConnectionLost, MCPStartError

if TYPE_CHECKING:
    from mcp import Client

    from fantasy.mcp._stderr import StderrTail
    from fantasy.mcp.servers import MCPServerBase

T = TypeVar("T")

logger = logging.getLogger("fantasy.mcp")

STDERR_TAIL_LINES = 20
STDERR_TAIL_BYTES = 4000


class Connection:
    def __init__(self, server: MCPServerBase):
        self.server = server
        self.client: Client | None = None
        self.stderr: StderrTail | None = None
        """Where a stdio server's stderr goes (its last 64 KiB kept), for the tail in errors."""
        self.tools: list[Any] | None = None
        self.changes = 0
        """List-changed notices seen: a listing that a notice overtook is not kept."""
        """The converted tool list, None until listed or after a list-changed notice."""
        self.lost: BaseException | None = None
        self._stop = asyncio.Event()
        self._holder: asyncio.Task[None] | None = None
        self.closed = False

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Start the server and its session; `MCPStartError` (with the stderr tail) when
        it fails or does not answer within the server's ``start_timeout``."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._holder = asyncio.ensure_future(self._hold(ready))
        _portal.register(self)
        timeout = self.server.start_timeout
        try:
            await asyncio.wait_for(asyncio.shield(ready), timeout)
        except BaseException as exc:
            await self.close_now(keep_stderr=True)  # stopped: its last words are in the pipe
            tail = self.stderr_tail()
            self._close_stderr()
            if isinstance(exc, TimeoutError):
                raise MCPStartError(
                    self.server.redact(
                        f"{self.server.label} did not finish starting within {timeout:g}s{tail}"
                    )
                ) from None
            if isinstance(exc, Exception):
                raise MCPStartError(
                    self.server.redact(
                        f"{self.server.label} failed to start: {describe(exc)}{tail}"
                    )
                ) from exc
            raise

    async def _hold(self, ready: asyncio.Future[None]) -> None:
        try:
            async with self.server.make_client(self) as client:
                self.client = client
                if self.stderr is not None:
                    self.stderr.server_started()
                ready.set_result(None)
                listener = asyncio.ensure_future(self._listen(client))
                try:
                    await self._stop.wait()
                finally:
                    listener.cancel()
                    with contextlib.suppress(BaseException):
                        await listener
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except BaseException as exc:  # the session ended under us; requests see it as lost
            self.lost = exc
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
            else:
                ended = self.server.redact(describe(exc))
                logger.info("%s: connection ended: %s", self.server.label, ended)
        finally:
            self.client = None

    async def _listen(self, client: Client) -> None:
        """On a 2026-07-28 connection, list-changed notices come through a subscription;
        each one reaches `on_message` (the client's message handler), like the older
        protocol's spontaneous notifications."""
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        try:
            if client.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                return
            tools = client.server_capabilities.tools
            if tools is None or not tools.list_changed:
                return
            async with client.listen(tools_list_changed=True) as subscription:
                async for _ in subscription:
                    self.tool_list_changed()
        except Exception as exc:
            logger.debug("%s: no tools/list_changed subscription: %s", self.server.label, exc)

    async def on_message(self, message: Any) -> None:
        """The client's message handler: a tools/list_changed notice makes the next step
        list the tools again."""
        import mcp_types

        if isinstance(message, mcp_types.ToolListChangedNotification):
            self.tool_list_changed()

    def tool_list_changed(self) -> None:
        self.tools = None
        self.changes += 1

    async def close_now(self, *, keep_stderr: bool = False) -> None:
        """Close the session and stop the server (stdio: stdin closed, then SIGTERM, then
        SIGKILL, each within the SDK's bounds). Idempotent."""
        self.closed = True
        self._stop.set()
        holder = self._holder
        if holder is not None and not holder.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(holder), _portal.EXIT_GRACE)
            if not holder.done():
                holder.cancel()
                with contextlib.suppress(BaseException):
                    await holder
        _portal.unregister(self)
        if not keep_stderr:
            self._close_stderr()

    def _close_stderr(self) -> None:
        if self.stderr is not None:
            self.stderr.close()

    # ------------------------------------------------------------------ requests

    @property
    def alive(self) -> bool:
        return (
            not self.closed
            and self.client is not None
            and self._holder is not None
            and not self._holder.done()
        )

    async def request(
        self, job: Callable[[Client], Awaitable[T]], timeout: float | None, what: str
    ) -> T:
        """``job(client)``, bounded by ``timeout``; `ConnectionLost` when the session ends
        first (or the SDK reports the connection closed), `TimeoutError` past the limit."""
        client, holder = self.client, self._holder
        if client is None or holder is None or holder.done() or self.closed:
            raise ConnectionLost(f"{self.server.label}: the connection is closed")
        task = asyncio.ensure_future(job(client))
        try:
            done, _ = await asyncio.wait(
                {task, holder}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            _abandon(task)
            raise
        if task in done:
            try:
                return task.result()
            except Exception as exc:
                if is_connection_lost(exc):
                    raise ConnectionLost(
                        self.server.redact(
                            f"{self.server.label}: the connection was lost during {what} "
                            f"({describe(exc)}){self.stderr_tail()}"
                        )
                    ) from exc
                raise
        _abandon(task)
        if holder in done:
            cause = describe(self.lost) if self.lost is not None else "it closed"
            raise ConnectionLost(
                self.server.redact(
                    f"{self.server.label}: the connection was lost during {what} ({cause})"
                    f"{self.stderr_tail()}"
                )
            )
        raise TimeoutError(f"{what} timed out after {timeout or 0:g}s")

    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr, as a suffix for an error message."""
        if self.stderr is None:
            return ""
        kept = self.stderr.tail()
        raw = kept[-STDERR_TAIL_BYTES:]
        lines = raw.decode("utf-8", "replace").splitlines()
        if (len(raw) < len(kept) or self.stderr.truncated) and lines:
            lines = lines[1:]  # the first may be cut
        tail = "\n".join(lines[-STDERR_TAIL_LINES:]).strip()
        return f"; its stderr ended with:\n{tail}" if tail else "; it wrote nothing to stderr"


def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel a request without waiting for it: the SDK may take a while to wind a
    cancelled request down, and the caller has its answer (a timeout) already."""
    task.cancel()
    task.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def is_connection_lost(exc: BaseException) -> bool:
    """An error that says the session is gone, so a new one may succeed."""
    import anyio
    import mcp_types
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, ConnectionLost):
        return True
    if isinstance(exc, MCPError):
        if exc.code == mcp_types.CONNECTION_CLOSED:
            return True
        message = str(exc).lower()
        return "session" in message and ("terminated" in message or "not found" in message)
    if isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError | anyio.EndOfStream):
        return True
    if isinstance(exc, ConnectionError):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - the SDK depends on it
        return False
    if isinstance(exc, httpx2.TransportError):
        return True
    if isinstance(exc, httpx2.HTTPStatusError):
        return exc.response.status_code in (404, 502, 503, 504)
    if isinstance(exc, BaseExceptionGroup):
        return any(is_connection_lost(e) for e in exc.exceptions)
    return False


def describe(exc: BaseException) -> str:
    """An exception in one line: its type and message, exception groups unwrapped."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe(e) for e in exc.exceptions)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
