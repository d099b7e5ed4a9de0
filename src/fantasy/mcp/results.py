"""An MCP ``tools/call`` result as the `ToolResponse` the model sees.

A tool result in fantasy is text, or one media item with text beside it (what every
provider can send back). An MCP result is a list of blocks, so: text blocks are joined;
the first image or audio block (or embedded binary resource of such a type) becomes the
media; whatever else there is is described in the text, never dropped silently.
``structuredContent`` is the text when the server sent no text, and always the result's
``client_metadata`` (JSON, for the application). ``isError`` makes an error result.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fantasy.tools import ToolResponse

MEDIA_PREFIXES = ("image/", "audio/")


def tool_response(result: Any) -> ToolResponse:
    """``result`` (an SDK ``CallToolResult``) as a `ToolResponse`."""
    texts: list[str] = []
    media: tuple[bytes, str] | None = None
    for block in result.content or ():
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind in ("image", "audio"):
            data = _decode(block.data)
            if media is None and data is not None:
                media = (data, block.mime_type)
            else:
                texts.append(_described(kind, block.mime_type, data))
        elif kind == "resource":
            media = _embedded(block.resource, texts, media)
        elif kind == "resource_link":
            texts.append(_link(block))
        else:
            texts.append(f"[{kind or 'unknown'} content block, not shown]")
    structured = getattr(result, "structured_content", None)
    if not texts and media is None and structured is not None:
        texts.append(json.dumps(structured, ensure_ascii=False, separators=(",", ":")))
    text = "\n".join(texts)
    if result.is_error:
        response = ToolResponse.error(text or "the tool reported an error without a message")
    elif media is not None:
        data, media_type = media
        make = ToolResponse.image if media_type.startswith("image/") else ToolResponse.media
        response = make(data, media_type, text)
    else:
        response = ToolResponse.text(text)
    return response.with_metadata(structured)


def _decode(data: str) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _described(kind: str, media_type: str, data: bytes | None) -> str:
    if data is None:
        return f"[{kind} ({media_type}) with invalid base64 data, not shown]"
    return f"[{kind} ({media_type}, {len(data)} bytes), not shown: one media item per result]"


def _embedded(
    resource: Any, texts: list[str], media: tuple[bytes, str] | None
) -> tuple[bytes, str] | None:
    uri = str(resource.uri)
    mime = resource.mime_type or ""
    text = getattr(resource, "text", None)
    if text is not None:
        texts.append(f"[resource {uri}{f' ({mime})' if mime else ''}]\n{text}")
        return media
    data = _decode(getattr(resource, "blob", ""))
    if media is None and data is not None and mime.startswith(MEDIA_PREFIXES):
        texts.append(f"[resource {uri}]")
        return (data, mime)
    size = "invalid base64" if data is None else f"{len(data)} bytes"
    texts.append(f"[resource {uri} ({mime or 'binary'}, {size}), not shown]")
    return media


def _link(block: Any) -> str:
    parts = [f"[resource link {block.uri}"]
    if block.name:
        parts.append(f" {block.name!r}")
    if block.mime_type:
        parts.append(f" ({block.mime_type})")
    parts.append("]")
    if block.description:
        parts.append(f" {block.description}")
    return "".join(parts)
