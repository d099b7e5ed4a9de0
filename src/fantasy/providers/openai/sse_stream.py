"""The framing of OpenAI-style streams, shared by Chat Completions and the Responses API
(and through them every OpenAI-compatible provider): Server-Sent Events whose data are
JSON objects, where an ``{"error": ...}`` event is OpenAI's error envelope. The I/O
around it is the shared shell's (`fantasy.http.shell`).
"""

from __future__ import annotations

from typing import Any

from fantasy.http.shell import JsonEventSource
from fantasy.providers.openai.errors import error_from_stream_payload


def openai_events(provider: str, url: str) -> JsonEventSource[dict[str, Any]]:
    """The event source of one OpenAI-style stream."""
    return JsonEventSource(
        provider,
        url,
        on_error_event=lambda payload, raw: error_from_stream_payload(payload, raw, provider),
    )
