"""AG-UI's ``RunAgentInput`` (``threadId``, ``runId``, ``messages``, ``tools``,
``context``, ``state``, ``forwardedProps``) decoded into fantasy messages.

Messages map by role: ``user`` (a string, or text and media parts whose source is
inline ``data``), ``assistant`` (text and ``toolCalls``), ``tool`` (a result, or an
``error``), ``system`` and ``developer`` (only with ``allow_system=True``: a browser
should not rewrite the agent's instructions), ``reasoning`` (kept with the assistant
turn that follows). ``activity`` messages are the page's own and are not sent to the
model. ``context`` entries become one user message before the conversation.
Tools declared by the client (frontend tools) are refused: the agent runs its own
tools on the server, and a call it cannot answer would stall the run.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from fantasy.tools import Denied
from fantasy.types import (
    FilePart,
    Message,
    MessagePart,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)
from fantasy.ui._errors import UIRequestError
from fantasy.ui.ai_sdk_request import _kind, _shown, _str

_MEDIA = ("image", "audio", "video", "document")


@dataclass(slots=True)
class RunInput:
    thread_id: str
    run_id: str
    messages: list[Message]
    state: Any = None
    forwarded_props: Any = None
    approvals: dict[str, bool | Denied] = field(default_factory=dict)
    """Answers to tool-approval interrupts (``resume``), by tool call id."""


def decode_run_input(body: Any, *, allow_system: bool = False) -> RunInput:
    """A ``RunAgentInput`` body (decoded JSON)."""
    if not isinstance(body, dict):
        raise UIRequestError(f"the request body must be a JSON object, got {_kind(body)}")
    thread_id = _str(body, "threadId", "input")
    run_id = _str(body, "runId", "input")
    tools = body.get("tools")
    if tools:
        raise UIRequestError(
            "input.tools: frontend tools are not supported; the agent's tools are defined "
            "on the server (send an empty list)"
        )
    raw = body.get("messages")
    if not isinstance(raw, list):
        raise UIRequestError(f"input.messages: expected a list, got {_kind(raw)}")
    messages = _Messages(allow_system).decode(raw)
    context = body.get("context")
    if context:
        messages.insert(0, _context(context))
    if not messages:
        raise UIRequestError("input.messages: empty (there is nothing to answer)")
    approvals = _resume(body.get("resume"), messages)
    return RunInput(
        thread_id, run_id, messages, body.get("state"), body.get("forwardedProps"), approvals
    )


def _resume(resume: Any, messages: list[Message]) -> dict[str, bool | Denied]:
    """The answers to tool-approval interrupts; each answered call is marked as waiting
    (``ToolCallPart.pending``) so the agent resumes it."""
    if resume is None:
        return {}
    if not isinstance(resume, list):
        raise UIRequestError(f"input.resume: expected a list, got {_kind(resume)}")
    calls = {
        part.tool_call_id: part
        for message in messages
        if message.role is Role.ASSISTANT
        for part in message.content
        if isinstance(part, ToolCallPart)
    }
    approvals: dict[str, bool | Denied] = {}
    for i, entry in enumerate(resume):
        at = f"input.resume[{i}]"
        if not isinstance(entry, dict):
            raise UIRequestError(f"{at}: expected an object, got {_kind(entry)}")
        interrupt = _str(entry, "interruptId", at)
        call_id = interrupt.removeprefix("approval-")
        if call_id == interrupt or call_id not in calls:
            raise UIRequestError(
                f"{at}.interruptId: {_shown(interrupt)} is not a tool approval of this conversation"
            )
        status = entry.get("status")
        payload = entry.get("payload")
        if status == "cancelled":
            approvals[call_id] = Denied("the approval was cancelled")
        elif status == "resolved":
            if not isinstance(payload, dict) or not isinstance(payload.get("approved"), bool):
                raise UIRequestError(f"{at}.payload: expected {{'approved': bool, 'reason'?}}")
            reason = payload.get("reason")
            approvals[call_id] = (
                True if payload["approved"] else Denied(reason if isinstance(reason, str) else "")
            )
        else:
            raise UIRequestError(
                f"{at}.status: expected 'resolved' or 'cancelled', got {_shown(status)}"
            )
        calls[call_id].pending = "approval"
    return approvals


class _Messages:
    def __init__(self, allow_system: bool) -> None:
        self.allow_system = allow_system
        self.reasoning: list[MessagePart] = []

    def decode(self, raw: list[Any]) -> list[Message]:
        out: list[Message] = []
        for i, message in enumerate(raw):
            where = f"input.messages[{i}]"
            if not isinstance(message, dict):
                raise UIRequestError(f"{where}: expected an object, got {_kind(message)}")
            role = message.get("role")
            if role == "user":
                out.append(Message(Role.USER, _content(message.get("content"), where)))
            elif role == "assistant":
                out.append(self._assistant(message, where))
            elif role == "tool":
                out.append(_tool(message, where))
            elif role in ("system", "developer"):
                if not self.allow_system:
                    raise UIRequestError(
                        f"{where}: {role} messages are not accepted from the client "
                        "(the agent's system prompt is set on the server)"
                    )
                out.append(Message(Role.SYSTEM, [TextPart(_str(message, "content", where))]))
            elif role == "reasoning":
                self.reasoning.append(ReasoningPart(_str(message, "content", where)))
            elif role == "activity":
                continue  # the page's own progress display
            else:
                raise UIRequestError(f"{where}.role: unknown role {_shown(role)}")
        if self.reasoning:
            out.append(Message(Role.ASSISTANT, self.reasoning))
        return out

    def _assistant(self, message: dict[str, Any], where: str) -> Message:
        parts: list[MessagePart] = [*self.reasoning]
        self.reasoning = []
        content = message.get("content")
        if isinstance(content, str) and content:
            parts.append(TextPart(content))
        elif content is not None and not isinstance(content, str):
            raise UIRequestError(f"{where}.content: expected a string, got {_kind(content)}")
        calls = message.get("toolCalls") or []
        if not isinstance(calls, list):
            raise UIRequestError(f"{where}.toolCalls: expected a list, got {_kind(calls)}")
        for j, call in enumerate(calls):
            at = f"{where}.toolCalls[{j}]"
            if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
                raise UIRequestError(
                    f"{at}: expected {{'id', 'function': {{'name', 'arguments'}}}}"
                )
            function = call["function"]
            parts.append(
                ToolCallPart(
                    _str(call, "id", at),
                    _str(function, "name", f"{at}.function"),
                    _str(function, "arguments", f"{at}.function") or "{}",
                )
            )
        if not parts:
            raise UIRequestError(f"{where}: an assistant message without content or tool calls")
        return Message(Role.ASSISTANT, parts)


def _tool(message: dict[str, Any], where: str) -> Message:
    call_id = _str(message, "toolCallId", where)
    error = message.get("error")
    if isinstance(error, str) and error:
        return Message(Role.TOOL, [ToolResultPart(call_id, ToolResultOutputError(error))])
    content = message.get("content")
    if isinstance(content, str):
        text = content
    else:
        parts = _content(content, where)
        text = "".join(p.text for p in parts if isinstance(p, TextPart))
        if any(not isinstance(p, TextPart) for p in parts):
            raise UIRequestError(f"{where}.content: a tool result here holds text only")
    return Message(Role.TOOL, [ToolResultPart(call_id, ToolResultOutputText(text))])


def _content(content: Any, where: str) -> list[MessagePart]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list) or not content:
        raise UIRequestError(f"{where}.content: expected a string or a list of parts")
    parts: list[MessagePart] = []
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        if not isinstance(part, dict):
            raise UIRequestError(f"{at}: expected an object, got {_kind(part)}")
        kind = part.get("type")
        if kind == "text":
            parts.append(TextPart(_str(part, "text", at)))
        elif kind in _MEDIA:
            parts.append(_media(part, at))
        else:
            raise UIRequestError(f"{at}.type: unknown content part {_shown(kind)}")
    return parts


def _media(part: dict[str, Any], at: str) -> FilePart:
    source = part.get("source")
    if not isinstance(source, dict) or source.get("type") != "data":
        raise UIRequestError(
            f"{at}.source: only inline data sources are accepted (the server does not "
            "fetch URLs or provider files named by the client)"
        )
    media_type = _str(source, "mimeType", f"{at}.source")
    try:
        data = base64.b64decode(_str(source, "value", f"{at}.source"), validate=True)
    except (binascii.Error, ValueError):
        raise UIRequestError(f"{at}.source.value: not valid base64") from None
    return FilePart(data, media_type)


def _context(context: Any) -> Message:
    if not isinstance(context, list):
        raise UIRequestError(f"input.context: expected a list, got {_kind(context)}")
    lines = []
    for i, entry in enumerate(context):
        at = f"input.context[{i}]"
        if not isinstance(entry, dict):
            raise UIRequestError(f"{at}: expected an object, got {_kind(entry)}")
        lines.append(f"{_str(entry, 'description', at)}: {_str(entry, 'value', at)}")
    return Message(Role.USER, [TextPart("Context from the application:\n" + "\n".join(lines))])
