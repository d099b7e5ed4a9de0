"""An MCP prompt (``prompts/get``) as fantasy messages, to start or continue a run."""

from __future__ import annotations

import base64
from typing import Any

from fantasy.types import FilePart, Message, MessagePart, Role, TextPart


def prompt_messages(result: Any) -> list[Message]:
    """``result`` (the SDK's ``GetPromptResult``) as messages: text, images and audio as
    parts; an embedded text resource as text; a resource link as a line naming it."""
    out: list[Message] = []
    for message in result.messages:
        block = message.content
        kind = getattr(block, "type", "")
        part: MessagePart
        if kind == "text":
            part = TextPart(block.text)
        elif kind in ("image", "audio"):
            part = FilePart(base64.b64decode(block.data), block.mime_type)
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            if text is not None:
                part = TextPart(text)
            else:
                part = FilePart(
                    base64.b64decode(resource.blob),
                    resource.mime_type or "application/octet-stream",
                )
        elif kind == "resource_link":
            part = TextPart(f"[resource link {block.uri}]")
        else:
            raise ValueError(f"a prompt message holds a {kind!r} block, not supported")
        role = Role.ASSISTANT if message.role == "assistant" else Role.USER
        out.append(Message(role, [part]))
    return out
