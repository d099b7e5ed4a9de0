"""The bounds every response is held to, whatever the server does.

A provider, a proxy or an attacker in between decides how big an answer is and
how slowly it arrives; these bounds decide how much of that the library will
hold in memory and how long it will wait. Breaking one is a `ProviderError`
that names the limit, never a `MemoryError`, swap or a hang.
"""

from __future__ import annotations

import math

from fantasy._record import Record
from fantasy.errors import InvalidArgumentError

MiB = 1024 * 1024


class HttpLimits(Record, frozen=True):
    """Size and idle bounds of one provider's responses (``Provider(limits=...)``)."""

    __slots__ = (
        "max_response_bytes",
        "max_event_bytes",
        "max_error_body_bytes",
        "stream_idle_timeout",
    )

    max_response_bytes: int
    """A whole (non-streamed) answer or an error body, after decompression: a gzip
    bomb stops here, not in swap."""
    max_event_bytes: int
    """A stream may go this far without completing an event (an SSE line that never
    ends, a frame that claims to be huge)."""
    max_error_body_bytes: int
    """How much of an error body a `ProviderError` keeps in ``response_body``; past it
    the body is cut, ending in a line that says how long it was."""
    stream_idle_timeout: float | None
    """Seconds a stream may go without data that advances it (a text delta, a tool
    call, a finish). Keep-alive comments and pings do not count, so a server that
    only keeps the connection warm is cut off. ``None``: no idle bound. A provider
    given no ``limits`` takes its read timeout (``Provider(timeout=)``) for this."""

    def __init__(
        self,
        max_response_bytes: int = 64 * MiB,
        max_event_bytes: int = 16 * MiB,
        max_error_body_bytes: int = 8 * 1024,
        stream_idle_timeout: float | None = 600.0,
    ) -> None:
        object.__setattr__(self, "max_response_bytes", max_response_bytes)
        object.__setattr__(self, "max_event_bytes", max_event_bytes)
        object.__setattr__(self, "max_error_body_bytes", max_error_body_bytes)
        object.__setattr__(self, "stream_idle_timeout", stream_idle_timeout)
        self.__post_init__()

    def __post_init__(self) -> None:
        for name in ("max_response_bytes", "max_event_bytes", "max_error_body_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidArgumentError(f"HttpLimits.{name} must be an int > 0, got {value!r}")
        idle = self.stream_idle_timeout
        if idle is not None and (
            isinstance(idle, bool)
            or not isinstance(idle, int | float)
            or not idle > 0
            or math.isinf(idle)
        ):
            raise InvalidArgumentError(
                f"HttpLimits.stream_idle_timeout must be seconds > 0 or None, got {idle!r}"
            )


DEFAULT_LIMITS = HttpLimits()


def clip_body(body: bytes, limit: int) -> bytes:
    """``body`` cut to ``limit`` bytes, visibly: the cut ends in a line saying so."""
    if len(body) <= limit:
        return body
    return body[:limit] + b"\n[truncated: %d bytes in all]" % len(body)
