"""Server-Sent Events framing shared by both UI protocols: one JSON object per event."""

from __future__ import annotations

import json
from typing import Any

from fantasy._json import encode

DONE = b"data: [DONE]\n\n"
"""The AI SDK's end-of-stream marker (AG-UI has none: the stream just ends)."""


def sse_event(payload: dict[str, Any]) -> bytes:
    """One ``data:`` event. Compact JSON never holds a raw newline, so one line is
    enough; text stays UTF-8 (a lone surrogate from a model becomes U+FFFD)."""
    return (
        b"data: " + encode(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))) + b"\n\n"
    )
