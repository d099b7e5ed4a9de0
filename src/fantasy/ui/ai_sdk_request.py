"""The AI SDK chat request: ``{"id", "messages": UIMessage[], "trigger", ...}`` as
`useChat`'s transport posts it, decoded into fantasy messages.

Each UIMessage holds parts. A user message's text and files become one user turn. An
assistant message holds every step of the answer (``step-start`` parts separate them):
each step becomes an assistant message (text, reasoning, files, tool calls, and the
results of provider-executed tools) followed by a tool message with the results of the
tools that ran on the server or the client. Sources and ``data-*`` parts are for the
page, not the model, and are not sent to it (as the AI SDK's own conversion does).

Anything else is refused with a `UIRequestError` naming where: an unknown part type,
a file that is not a ``data:`` URL (the server never fetches a URL a browser gave it),
a tool call that has no result yet, a system message unless ``allow_system=True`` (a
browser should not rewrite the agent's instructions).

Approvals: a tool part in state ``approval-responded`` in the last message (the user
answered a ``tool-approval-request``) becomes a call waiting for approval
(``ToolCallPart.pending``) and an answer in `ChatRequest.approvals`; the endpoint
resumes the run with ``approvals=`` (`ChatRequest.decisions`). A denied call the
client reports as ``output-denied`` reads ``denied: <reason>`` to the model, and so
does a request left unanswered before a later message (``denied: the user did not
answer``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from fantasy.agent.approval import denial_text
from fantasy.tools import Denied
from fantasy.types import (
    FilePart,
    Message,
    MessagePart,
    ProviderOptions,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutput,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)
from fantasy.ui._errors import UIRequestError

UNANSWERED = "the user did not answer"
"""The denial reason of a call whose approval request the user left unanswered."""


@dataclass(slots=True)
class ChatRequest:
    """A decoded request: the conversation, and what the client said about it."""

    messages: list[Message]
    chat_id: str = ""
    trigger: str = "submit-message"
    approvals: dict[str, ApprovalAnswer] = field(default_factory=dict)
    """Answers to approval requests found in the last assistant message, by tool call id."""
    continued_message_id: str = ""
    """The id of the assistant message this answer continues (the request ended with an
    assistant message: answers to its approval requests), else empty."""

    def decisions(self) -> dict[str, bool | Denied]:
        """The approvals as ``agent.astream(..., approvals=)`` takes them."""
        return {
            call_id: True if answer.approved else Denied(answer.reason)
            for call_id, answer in self.approvals.items()
        }


@dataclass(slots=True)
class ApprovalAnswer:
    """The user's answer to a ``tool-approval-request``, from an ``approval-responded``
    tool part."""

    tool_call_id: str
    tool_name: str
    input: str
    approval_id: str
    approved: bool
    reason: str = ""


def decode_request(body: Any, *, allow_system: bool = False) -> ChatRequest:
    """A request body (decoded JSON) as `useChat`'s default transport sends it."""
    if not isinstance(body, dict):
        raise UIRequestError(f"the request body must be a JSON object, got {_kind(body)}")
    chat_id = body.get("id", "")
    trigger = body.get("trigger", "submit-message")
    if not isinstance(chat_id, str):
        raise UIRequestError(f"id: expected a string, got {_kind(chat_id)}")
    if not isinstance(trigger, str):
        raise UIRequestError(f"trigger: expected a string, got {_kind(trigger)}")
    if "messages" not in body:
        raise UIRequestError("messages: missing (the request must carry the UIMessage list)")
    decoder = _Decoder(allow_system)
    messages = decoder.messages(body["messages"])
    last = body["messages"][-1]
    continued = ""
    if last.get("role") == "assistant" and isinstance(last.get("id"), str):
        continued = last["id"]
    return ChatRequest(messages, chat_id, trigger, decoder.approvals, continued)


def decode_messages(messages: Any, *, allow_system: bool = False) -> list[Message]:
    """A ``UIMessage[]`` list (decoded JSON) as fantasy messages."""
    return _Decoder(allow_system).messages(messages)


class _Decoder:
    def __init__(self, allow_system: bool) -> None:
        self.allow_system = allow_system
        self.approvals: dict[str, ApprovalAnswer] = {}

    def messages(self, messages: Any) -> list[Message]:
        if not isinstance(messages, list):
            raise UIRequestError(f"messages: expected a list, got {_kind(messages)}")
        if not messages:
            raise UIRequestError("messages: empty (there is nothing to answer)")
        out: list[Message] = []
        for i, message in enumerate(messages):
            where = f"messages[{i}]"
            if not isinstance(message, dict):
                raise UIRequestError(f"{where}: expected an object, got {_kind(message)}")
            role = message.get("role")
            parts = message.get("parts")
            if not isinstance(parts, list):
                raise UIRequestError(f"{where}.parts: expected a list, got {_kind(parts)}")
            last = i == len(messages) - 1
            if role == "user":
                out.append(self._user(parts, where))
            elif role == "assistant":
                out.extend(self._assistant(parts, where, last))
            elif role == "system":
                if not self.allow_system:
                    raise UIRequestError(
                        f"{where}: system messages are not accepted from the client "
                        "(the agent's system prompt is set on the server)"
                    )
                out.append(Message(Role.SYSTEM, [TextPart(t) for t in _texts(parts, where)]))
            else:
                raise UIRequestError(
                    f"{where}.role: expected 'user', 'assistant' or 'system', got {_shown(role)}"
                )
        return out

    def _user(self, parts: list[Any], where: str) -> Message:
        content: list[MessagePart] = []
        for j, part in enumerate(parts):
            at = f"{where}.parts[{j}]"
            kind = _type(part, at)
            if kind == "text":
                content.append(TextPart(_str(part, "text", at)))
            elif kind == "file":
                content.append(_file(part, at))
            elif kind.startswith("data-") or kind == "step-start":
                continue  # for the page only
            else:
                raise UIRequestError(
                    f"{at}.type: a user message holds text and files, got {_shown(kind)}"
                )
        if not content:
            raise UIRequestError(f"{where}: a user message without text or files")
        return Message(Role.USER, content)

    def _assistant(self, parts: list[Any], where: str, last: bool) -> list[Message]:
        out: list[Message] = []
        step: list[MessagePart] = []
        results: list[MessagePart] = []

        def close() -> None:
            if step:
                out.append(Message(Role.ASSISTANT, list(step)))
            if results:
                out.append(Message(Role.TOOL, list(results)))
            step.clear()
            results.clear()

        for j, part in enumerate(parts):
            at = f"{where}.parts[{j}]"
            kind = _type(part, at)
            if kind == "step-start":
                close()
            elif kind == "text":
                text = _str(part, "text", at)
                if text:
                    step.append(TextPart(text, _options(part, "providerMetadata", at)))
            elif kind == "reasoning":
                text = _str(part, "text", at)
                if text:
                    step.append(ReasoningPart(text, _options(part, "providerMetadata", at)))
            elif kind == "file":
                step.append(_file(part, at))
            elif kind == "dynamic-tool" or (kind.startswith("tool-") and len(kind) > 5):
                name = _str(part, "toolName", at) if kind == "dynamic-tool" else kind[5:]
                self._tool(part, name, at, last, step, results)
            elif kind in ("source-url", "source-document") or kind.startswith("data-"):
                continue  # citations and data are for the page, not the model
            else:
                raise UIRequestError(f"{at}.type: unknown part type {_shown(kind)}")
        close()
        return out

    def _tool(
        self,
        part: dict[str, Any],
        name: str,
        at: str,
        last: bool,
        step: list[MessagePart],
        results: list[MessagePart],
    ) -> None:
        call_id = _str(part, "toolCallId", at)
        state = _str(part, "state", at)
        provider_executed = part.get("providerExecuted") is True
        arguments = _arguments(part.get("input"))
        options = _options(part, "callProviderMetadata", at)
        call = ToolCallPart(call_id, name, arguments, provider_executed, options)
        output: ToolResultOutput
        if state == "output-available":
            output = _output(part.get("output"))
        elif state == "output-error":
            output = ToolResultOutputError(_str(part, "errorText", at))
        elif state == "output-denied":
            output = ToolResultOutputError(_denied_text(part.get("approval")))
        elif state == "approval-requested" and not last:
            # The user wrote on instead of answering: the call was not approved.
            output = ToolResultOutputError(denial_text(Denied(UNANSWERED)))
        elif state == "approval-responded" and last:
            approval = part.get("approval")
            if not isinstance(approval, dict) or not isinstance(approval.get("approved"), bool):
                raise UIRequestError(f"{at}.approval: expected {{'id', 'approved': bool}}")
            reason = approval.get("reason")
            self.approvals[call_id] = ApprovalAnswer(
                call_id,
                name,
                arguments,
                str(approval.get("id", "")),
                approval["approved"],
                reason if isinstance(reason, str) else "",
            )
            call.pending = "approval"  # the agent resumes it with approvals=
            step.append(call)
            return
        else:
            raise UIRequestError(
                f"{at}: tool call {_shown(call_id)} ({name[:60]}) has no result "
                f"(state {_shown(state)}); "
                "send it back once it has an output, an error or an approval answer"
            )
        step.append(call)
        result = ToolResultPart(call_id, output, provider_executed)
        (step if provider_executed else results).append(result)


def _denied_text(approval: Any) -> str:
    """What the model read when the call was denied (as `fantasy.Denied` words it)."""
    reason = approval.get("reason") if isinstance(approval, dict) else None
    return denial_text(Denied(reason) if isinstance(reason, str) and reason else False)


def _arguments(value: Any) -> str:
    if value is None:
        return "{}"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _output(value: Any) -> ToolResultOutput:
    """The inverse of the encoder's `tool_output`: text stays text, media comes back as
    media, other JSON values as their JSON text."""
    if isinstance(value, str):
        return ToolResultOutputText(value)
    if (
        isinstance(value, dict)
        and value.get("type") == "media"
        and isinstance(value.get("data"), str)
        and isinstance(value.get("mediaType"), str)
    ):
        text = value.get("text")
        return ToolResultOutputMedia(
            value["data"], value["mediaType"], text if isinstance(text, str) else ""
        )
    return ToolResultOutputText(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _file(part: dict[str, Any], at: str) -> FilePart:
    url = _str(part, "url", at)
    media_type = _str(part, "mediaType", at)
    filename = part.get("filename")
    if not url.startswith("data:"):
        raise UIRequestError(
            f"{at}.url: only data: URLs are accepted (the server does not fetch URLs "
            f"sent by the client), got one starting {url[:16]!r}"
        )
    header, sep, payload = url[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        raise UIRequestError(f"{at}.url: expected a base64 data URL (data:<type>;base64,...)")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UIRequestError(f"{at}.url: the data URL's base64 is not valid") from None
    name = filename if isinstance(filename, str) else ""
    return FilePart(data, media_type, name, _options(part, "providerMetadata", at))


def _options(part: dict[str, Any], key: str, at: str) -> ProviderOptions | None:
    """The provider metadata the encoder sent on this part, back as the part's provider
    options (a reasoning signature, an item id). Entries in fantasy's ``{"type",
    "data"}`` form are decoded, and a broken one is refused; metadata in another form
    (written by another server) is not fantasy's and is not sent to the model."""
    value = part.get(key)
    if not isinstance(value, dict) or not value:
        return None
    ours = {
        k: v
        for k, v in value.items()
        if isinstance(v, dict) and isinstance(v.get("type"), str) and "data" in v
    }
    if not ours:
        return None
    from fantasy.errors import SerializationError
    from fantasy.persistence.decode import provider_data

    try:
        return provider_data(ours, f"{at}.{key}")
    except SerializationError as error:
        raise UIRequestError(str(error)) from None


def _texts(parts: list[Any], where: str) -> list[str]:
    texts = []
    for j, part in enumerate(parts):
        at = f"{where}.parts[{j}]"
        if _type(part, at) != "text":
            raise UIRequestError(f"{at}.type: a system message holds text only")
        texts.append(_str(part, "text", at))
    return texts


def _type(part: Any, at: str) -> str:
    if not isinstance(part, dict):
        raise UIRequestError(f"{at}: expected an object, got {_kind(part)}")
    return _str(part, "type", at)


def _str(part: dict[str, Any], key: str, at: str) -> str:
    value = part.get(key)
    if not isinstance(value, str):
        raise UIRequestError(f"{at}.{key}: expected a string, got {_kind(value)}")
    return value


def _shown(value: Any) -> str:
    """A value the client sent, quoted in an error message, at most 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
