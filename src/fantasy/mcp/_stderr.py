"""A stdio server's stderr, of which only the last `KEEP_BYTES` are kept.

The server writes into a pipe and a daemon thread reads it, keeping the tail in memory:
a chatty server (a debug log left on) can run for days without filling a disk or the
memory, and an error message can still end with what the server said last. A thread
rather than the event loop, because the pipe must be read even while no loop runs
(the sync face between steps) and on every platform.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import IO

KEEP_BYTES = 64 * 1024
"""How much of a server's stderr is kept (its last bytes)."""

READ_SIZE = 16 * 1024

DRAIN_WAIT = 0.5
"""Seconds `StderrTail.tail` waits for the reader to reach the end of what a stopped
server wrote, so its last words are not missed."""


class StderrTail:
    """The pipe a server's stderr goes into, and the last `KEEP_BYTES` read from it."""

    def __init__(self, keep: int = KEEP_BYTES):
        self.keep = keep
        self.seen = 0
        """Bytes the server wrote in all (only the last ``keep`` of them are kept)."""
        self._kept = bytearray()
        self._lock = threading.Lock()
        read_fd, write_fd = os.pipe()
        self.writer: IO[bytes] | None = os.fdopen(write_fd, "wb", buffering=0)
        """The end given to the server as its stderr."""
        self._reader = threading.Thread(
            target=self._read, args=(read_fd,), name="fantasy-mcp-stderr", daemon=True
        )
        self._reader.start()

    def _read(self, fd: int) -> None:
        try:
            while chunk := os.read(fd, READ_SIZE):
                with self._lock:
                    self.seen += len(chunk)
                    self._kept += chunk
                    if len(self._kept) > self.keep:
                        del self._kept[: len(self._kept) - self.keep]
        except OSError:
            pass
        finally:
            os.close(fd)

    def server_started(self) -> None:
        """Let go of this process's copy of the write end once the server has it, so the
        reader sees the end of the pipe when the server exits."""
        writer, self.writer = self.writer, None
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()

    def tail(self) -> bytes:
        """The bytes kept; waits a moment for a server that exited to be read to its end."""
        self.server_started()
        self._reader.join(DRAIN_WAIT)
        with self._lock:
            return bytes(self._kept)

    @property
    def truncated(self) -> bool:
        with self._lock:
            return self.seen > len(self._kept)

    def close(self) -> None:
        """Stop feeding the pipe from this side; the reader ends when the server's copy
        closes too (the server stopped)."""
        self.server_started()
