"""Agents behind a web page: the AI SDK's UI message stream (what `useChat` reads) and
AG-UI, their request bodies, and `asgi(agent)`, an endpoint any ASGI app mounts.

The encoders and decoders are plain code with no dependency; `asgi` needs no web
framework either (the ``ui`` extra adds Starlette and uvicorn for the example server).
Nothing here is imported by ``import fantasy``.

* `fantasy.ui.ai_sdk`: `UIMessageStreamEncoder`, `stream_events` / `stream_chunks`
  (and ``_sync`` forms), `HEADERS`.
* `fantasy.ui.ai_sdk_request`: `decode_request`, `decode_messages`.
* `fantasy.ui.agui`: `AGUIEncoder`, `stream_events`; `fantasy.ui.agui_input`:
  `decode_run_input`.
* `fantasy.ui.endpoint`: `asgi`, `UIEndpoint`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fantasy.ui._errors import UIRequestError, public_error_text
    from fantasy.ui.agui import AGUIEncoder
    from fantasy.ui.agui_input import RunInput, decode_run_input
    from fantasy.ui.ai_sdk import HEADERS as UI_MESSAGE_STREAM_HEADERS
    from fantasy.ui.ai_sdk import UIMessageStreamEncoder
    from fantasy.ui.ai_sdk_request import (
        ApprovalAnswer,
        ChatRequest,
        decode_messages,
        decode_request,
    )
    from fantasy.ui.endpoint import UIEndpoint, asgi

# Loaded on first use: the endpoint brings asyncio, which an encoder alone does not need.
_LAZY: dict[str, tuple[str, str]] = {
    "UIRequestError": ("fantasy.ui._errors", "UIRequestError"),
    "public_error_text": ("fantasy.ui._errors", "public_error_text"),
    "AGUIEncoder": ("fantasy.ui.agui", "AGUIEncoder"),
    "RunInput": ("fantasy.ui.agui_input", "RunInput"),
    "decode_run_input": ("fantasy.ui.agui_input", "decode_run_input"),
    "UI_MESSAGE_STREAM_HEADERS": ("fantasy.ui.ai_sdk", "HEADERS"),
    "UIMessageStreamEncoder": ("fantasy.ui.ai_sdk", "UIMessageStreamEncoder"),
    "ApprovalAnswer": ("fantasy.ui.ai_sdk_request", "ApprovalAnswer"),
    "ChatRequest": ("fantasy.ui.ai_sdk_request", "ChatRequest"),
    "decode_messages": ("fantasy.ui.ai_sdk_request", "decode_messages"),
    "decode_request": ("fantasy.ui.ai_sdk_request", "decode_request"),
    "UIEndpoint": ("fantasy.ui.endpoint", "UIEndpoint"),
    "asgi": ("fantasy.ui.endpoint", "asgi"),
}


def __getattr__(name: str) -> Any:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'fantasy.ui' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(found[0]), found[1])
    globals()[name] = value
    return value


__all__ = [
    "UI_MESSAGE_STREAM_HEADERS",
    "AGUIEncoder",
    "ApprovalAnswer",
    "ChatRequest",
    "RunInput",
    "UIEndpoint",
    "UIMessageStreamEncoder",
    "UIRequestError",
    "asgi",
    "decode_messages",
    "decode_request",
    "decode_run_input",
    "public_error_text",
]
