"""What a span may say of a conversation, when content capture is on.

Prompts, answers, tool arguments and results are written as the GenAI conventions'
JSON attributes (``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, ``gen_ai.tool.call.arguments`` / ``.result``). Each
value passes the user's redaction hook, then fantasy's own credential redaction
(every live API key, URL passwords: whatever the hook does), then is cut to the cap.
File bytes are never copied: a file is named by its media type and size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from fantasy.errors import redact_text
from fantasy.types import (
    FilePart,
    Message,
    ReasoningContent,
    ReasoningPart,
    ResponseContent,
    Role,
    TextContent,
    TextPart,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutput,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

Redact = Callable[[str, str], str]
"""``redact(attribute, value) -> value``: the user's hook, given each captured value
(a JSON text) and the attribute it is for."""

DEFAULT_MAX_LENGTH = 16_384
"""Characters kept of one captured value; the rest is cut, marked ``…[truncated]``."""
TRUNCATED = "…[truncated]"


class ContentPolicy:
    """Whether content is captured, how much, and how it is cleaned first."""

    __slots__ = ("capture", "max_length", "redact")

    def __init__(self, capture: bool, max_length: int, redact: Redact | None):
        if max_length < len(TRUNCATED) + 1:
            raise ValueError(f"max_content_length must be at least {len(TRUNCATED) + 1}")
        self.capture = capture
        self.max_length = max_length
        self.redact = redact

    def clean(self, attribute: str, text: str) -> str:
        """``text`` as it may be recorded: hooked, credentials redacted, capped."""
        if self.redact is not None:
            text = self.redact(attribute, text)
            if not isinstance(text, str):
                raise TypeError(
                    f"telemetry redact hook must return a string, got {type(text).__name__}"
                )
        text = redact_text(text)
        if len(text) > self.max_length:
            text = text[: self.max_length - len(TRUNCATED)] + TRUNCATED
        return text


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _arguments(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def _result(output: ToolResultOutput | None) -> Any:
    if isinstance(output, ToolResultOutputText):
        return output.text
    if isinstance(output, ToolResultOutputError):
        return {"error": output.error}
    if isinstance(output, ToolResultOutputMedia):
        return {"media_type": output.media_type, "text": output.text}
    return None


def _message_part(part: object) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "content": part.text}
    if isinstance(part, ReasoningPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, ToolCallPart):
        return {
            "type": "tool_call",
            "id": part.tool_call_id,
            "name": part.tool_name,
            "arguments": _arguments(part.input),
        }
    if isinstance(part, ToolResultPart):
        return {
            "type": "tool_call_response",
            "id": part.tool_call_id,
            "response": _result(part.output),
        }
    if isinstance(part, FilePart):
        return {"type": "file", "mime_type": part.media_type, "size": len(part.data)}
    return None


def input_messages(messages: Sequence[Message]) -> tuple[str, str]:
    """The request's system instructions and other messages, as the conventions' JSON
    (either may be empty)."""
    system: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    for message in messages:
        parts = [p for p in map(_message_part, message.content) if p is not None]
        if message.role is Role.SYSTEM:
            system.extend(parts)
        else:
            chat.append({"role": str(message.role), "parts": parts})
    return (_dumps(system) if system else "", _dumps(chat) if chat else "")


def output_messages(content: ResponseContent, finish_reason: str) -> str:
    """The answer as the conventions' one assistant output message."""
    parts: list[dict[str, Any]] = []
    for c in content:
        if isinstance(c, TextContent):
            parts.append({"type": "text", "content": c.text})
        elif isinstance(c, ReasoningContent):
            parts.append({"type": "reasoning", "content": c.text})
        elif isinstance(c, ToolCallContent):
            parts.append(
                {
                    "type": "tool_call",
                    "id": c.tool_call_id,
                    "name": c.tool_name,
                    "arguments": _arguments(c.input),
                }
            )
        elif isinstance(c, ToolResultContent):
            parts.append(
                {"type": "tool_call_response", "id": c.tool_call_id, "response": _result(c.result)}
            )
    return _dumps([{"role": "assistant", "parts": parts, "finish_reason": finish_reason}])


def tool_result(result: ToolResultContent) -> str:
    value = _result(result.result)
    return value if isinstance(value, str) else _dumps(value)
