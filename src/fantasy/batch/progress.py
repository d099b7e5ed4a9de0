"""A one-line progress bar for a terminal, redrawn at each poll."""

from __future__ import annotations

from typing import TextIO

from .status import BatchStatus


class ProgressBar:
    """``[#########...........] 12/40 done, 1 failed, 27 pending (in_progress)``; on a
    terminal the line is redrawn in place, elsewhere (a log file) one line per change."""

    def __init__(self, stream: TextIO, width: int = 24):
        self.stream = stream
        self.width = width
        self.inline = bool(getattr(stream, "isatty", lambda: False)())
        self._last = ""

    def line(self, status: BatchStatus) -> str:
        done = status.succeeded + status.failed
        filled = self.width * done // status.total if status.total else 0
        bar = "#" * filled + "." * (self.width - filled)
        return f"batch {status.id} [{bar}] {status.summary()}"

    def update(self, status: BatchStatus) -> None:
        line = self.line(status)
        if line == self._last:
            return
        if self.inline:
            pad = " " * max(len(self._last) - len(line), 0)
            self.stream.write(f"\r{line}{pad}")
        else:
            self.stream.write(line + "\n")
        self._last = line
        self.stream.flush()

    def close(self) -> None:
        if self.inline and self._last:
            self.stream.write("\n")
            self.stream.flush()
