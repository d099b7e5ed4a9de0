"""What Chat Completions and the Responses API (and through them every
OpenAI-compatible provider) share on the wire: the request as an `Exchange` for the
shared shell (`fantasy.http.shell`), and the framing of their streams, Server-Sent
Events whose data are JSON objects, where an ``{"error": ...}`` event is OpenAI's error
envelope.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fantasy.http.shell import Exchange, JsonEventSource
from fantasy.http.transport import HttpTransport
from fantasy.model import Call
from fantasy.providers._exchange import build_exchange
from fantasy.providers.openai.errors import error_from_response, error_from_stream_payload
from fantasy.types import JSON


def openai_events(provider: str, url: str) -> JsonEventSource[dict[str, Any]]:
    """The event source of one OpenAI-style stream."""
    return JsonEventSource(
        provider,
        url,
        # A partial, not a lambda: one object where a closure is three, for every stream
        # in flight (benchmarks/README.md, "Concurrent streams").
        on_error_event=partial(error_from_stream_payload, provider=provider),
    )


def openai_exchange(
    transport: HttpTransport, url: str, provider: str, call: Call, body: JSON
) -> Exchange:
    """One request on an OpenAI-style endpoint (Chat Completions or Responses): the
    body encoded once, the call's headers, OpenAI's reading of an error status."""
    return build_exchange(transport, call, url, body, provider, error_from_response)
