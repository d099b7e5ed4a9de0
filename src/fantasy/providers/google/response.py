"""A ``generateContent`` response body to a `Response`. Pure code, no I/O.

Gemini returns thoughts as text parts flagged ``thought`` and may put a
``thoughtSignature`` on any part. A signature on a text or function-call part
is moved onto the reasoning before it (or onto an empty reasoning item made
for it), because that is where Fantasy keeps it and where the request codec
looks for it on the next turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fantasy.errors import FantasyError
from fantasy.model import Response
from fantasy.providers.google.options import NAME, ReasoningMetadata
from fantasy.types import (
    JSON,
    Content,
    FinishReason,
    ReasoningContent,
    ResponseContent,
    TextContent,
    ToolCallContent,
    Usage,
)

_FINISH_REASONS = {
    "STOP": FinishReason.STOP,
    "MAX_TOKENS": FinishReason.LENGTH,
    "SAFETY": FinishReason.CONTENT_FILTER,
    "BLOCKLIST": FinishReason.CONTENT_FILTER,
    "PROHIBITED_CONTENT": FinishReason.CONTENT_FILTER,
    "SPII": FinishReason.CONTENT_FILTER,
    "IMAGE_SAFETY": FinishReason.CONTENT_FILTER,
    "RECITATION": FinishReason.ERROR,
    "LANGUAGE": FinishReason.ERROR,
    "MALFORMED_FUNCTION_CALL": FinishReason.ERROR,
    "OTHER": FinishReason.OTHER,
}


def map_finish_reason(reason: str) -> FinishReason:
    return _FINISH_REASONS.get(reason, FinishReason.UNKNOWN)


def _count(raw: JSON, key: str) -> int:
    value = raw.get(key)
    return value if isinstance(value, int) else 0


def map_usage(raw: JSON | None) -> Usage:
    """Gemini counts thoughts apart from the candidates; cached tokens are read tokens."""
    raw = raw or {}
    return Usage(
        input_tokens=_count(raw, "promptTokenCount"),
        output_tokens=_count(raw, "candidatesTokenCount"),
        total_tokens=_count(raw, "totalTokenCount"),
        reasoning_tokens=_count(raw, "thoughtsTokenCount"),
        cache_read_tokens=_count(raw, "cachedContentTokenCount"),
    )


def function_call_input(call: JSON) -> str:
    """The arguments as JSON text with sorted keys, as Go re-marshals them.

    A call without arguments gets ``{}`` (Fantasy writes ``null``): an empty object
    is what a tool with no parameters expects, and both send the same request back.
    """
    args = call.get("args")
    if args is None:
        return "{}"
    return json.dumps(args, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def candidate_content(data: JSON) -> tuple[JSON, JSON] | None:
    """The first candidate and its content, or None when Gemini gave no answer."""
    candidates = data.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return None
    candidate = candidates[0]
    if not isinstance(candidate, dict) or not isinstance(candidate.get("content"), dict):
        return None
    return candidate, candidate["content"]


def parts_of(content: JSON) -> list[JSON]:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return []
    return [p for p in parts if isinstance(p, dict)]


def thought_signature(part: JSON) -> str | None:
    value = part.get("thoughtSignature")
    return value if isinstance(value, str) and value else None


def _no_response(data: JSON) -> FantasyError:
    message = "no response from model"
    feedback = data.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        message += f" (prompt blocked: {feedback['blockReason']})"
    return FantasyError(message, title="no response")


def _sign_last_reasoning(
    content: list[Content], metadata: ReasoningMetadata, *, unsigned: bool
) -> None:
    """Put a signature on the latest reasoning item (only an unsigned one, for text
    parts), or on a new empty reasoning item when there is none."""
    for item in reversed(content):
        if isinstance(item, ReasoningContent):
            if unsigned and (item.provider_metadata or {}).get(NAME) is not None:
                continue
            item.provider_metadata = {NAME: metadata}
            return
    content.append(ReasoningContent("", {NAME: metadata}))


def parse_response(data: JSON, new_tool_call_id: Callable[[], str]) -> Response:
    found = candidate_content(data)
    if found is None:
        raise _no_response(data)
    candidate, wire_content = found
    content = ResponseContent()
    has_tool_calls = False
    for part in parts_of(wire_content):
        text = part.get("text")
        signature = thought_signature(part)
        call = part.get("functionCall")
        if isinstance(text, str) and text:
            if part.get("thought"):
                metadata = {NAME: ReasoningMetadata(signature=signature)} if signature else None
                content.append(ReasoningContent(text, metadata))
                continue
            if signature:
                _sign_last_reasoning(content, ReasoningMetadata(signature=signature), unsigned=True)
            content.append(TextContent(text))
        elif isinstance(call, dict):
            # Fantasy draws an id for every call, even one that has its own.
            generated = new_tool_call_id()
            call_id = call.get("id") or generated
            if signature:
                _sign_last_reasoning(
                    content, ReasoningMetadata(signature=signature, tool_id=call_id), unsigned=False
                )
            content.append(
                ToolCallContent(call_id, call.get("name") or "", function_call_input(call))
            )
            has_tool_calls = True
        # Other parts (signature-only empty text, inline data, code) carry nothing Fantasy keeps.
    if has_tool_calls:
        finish = FinishReason.TOOL_CALLS
    else:
        finish = map_finish_reason(str(candidate.get("finishReason") or ""))
    usage = data.get("usageMetadata")
    return Response(
        content,
        finish,
        map_usage(usage if isinstance(usage, dict) else None),
        raw_finish_reason=str(candidate.get("finishReason") or ""),
    )
