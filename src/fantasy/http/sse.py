"""An incremental Server-Sent Events decoder.

Bytes go in as the network delivers them; complete events come out. The
decoder keeps only the unfinished line, as a list of pieces joined once when
its end arrives, so a long event delivered in thousands of small reads costs
linear time, never quadratic.
"""

from __future__ import annotations

from collections.abc import Iterator

from fantasy._record import Record


class ServerSentEvent(Record):
    __slots__ = ("data", "event", "id", "retry")
    data: str
    event: str
    id: str | None
    retry: int | None

    def __init__(
        self,
        data: str,
        event: str = "",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry


class LineSplitter:
    """Complete lines out of byte chunks as the network delivers them.

    LF, CRLF and CR all end a line (a CRLF split across two reads counts once).
    Only the unfinished line is kept, as a list of pieces joined once its end
    arrives, so a long line delivered in many small reads costs linear time.
    """

    __slots__ = ("_pending", "_skip_lf")

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines this chunk completes, without their line endings."""
        if self._skip_lf and chunk:
            # The previous read ended in CR: a LF opening this one belongs to that CRLF.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._skip_lf = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            if chunk:
                self._pending.append(chunk)
            return []
        lines = chunk.split(b"\n")
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = b"".join(self._pending)
            self._pending.clear()
        tail = lines.pop()
        if tail:
            self._pending.append(tail)
        return lines

    def rest(self) -> bytes:
        """End of input: the unfinished last line (empty if none), which is then dropped."""
        rest = b"".join(self._pending)
        self._pending.clear()
        return rest


class SSEDecoder:
    """Feed bytes with `feed`; complete events come out.

    There is nothing to flush at the end: per the SSE spec an event not ended by its
    blank line is discarded (Go's SSE readers do the same), so the unfinished tail is
    simply left behind. A stream cut inside its last event is caught one level up, by
    the translator's finish (no finish reason, no ``message_stop``): the retryable
    incomplete-stream error.
    """

    __slots__ = ("_data", "_event", "_id", "_lines", "_retry")

    def __init__(self) -> None:
        self._lines = LineSplitter()
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events this chunk completes, all at once."""
        return list(self.events(chunk))

    def events(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """The events this chunk completes, each made only when asked for: one network
        read can hold hundreds, and a stream that hands them on one by one across
        awaits should not keep them all alive meanwhile (with a thousand streams in
        flight, such objects are what the cyclic collector keeps traversing)."""
        for line in self._lines.feed(chunk):
            if line:
                self._field(line)
            else:
                # Per the SSE spec, a block without data lines dispatches nothing.
                data, event = self._data, self._event
                self._event = ""
                if data:
                    self._data = []
                    yield ServerSentEvent("\n".join(data), event, self._id, self._retry)

    def _field(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace")
        if line[0] == ":":
            return  # comment / keep-alive
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
