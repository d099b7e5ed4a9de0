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

from fantasy.ui._errors import UIRequestError, public_error_text
from fantasy.ui.agui import AGUIEncoder
from fantasy.ui.agui_input import RunInput, decode_run_input
from fantasy.ui.ai_sdk import HEADERS as UI_MESSAGE_STREAM_HEADERS
from fantasy.ui.ai_sdk import UIMessageStreamEncoder
from fantasy.ui.ai_sdk_request import ApprovalAnswer, ChatRequest, decode_messages, decode_request
from fantasy.ui.endpoint import UIEndpoint, asgi

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
