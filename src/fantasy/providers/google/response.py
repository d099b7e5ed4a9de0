"""A ``generateContent`` response body to a `Response`. Pure code, no I/O.

Gemini returns thoughts as text parts flagged ``thought`` and may put a
``thoughtSignature`` on any part. A signature on a text or function-call part
is moved onto the reasoning before it (or onto an empty reasoning item made
for it), because that is where Fantasy keeps it and where the request codec
looks for it on the next turn. A signature on an empty part after text stays on
that text; one on code or a file stays on that content.

Code execution, generated files, sources and metadata are read by
`fantasy.providers.google.answer`, the same way for a stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fantasy.errors import FantasyError
from fantasy.http.shape import arr, as_object, boolean, integer, join, shape_error, text
from fantasy.model import Response
from fantasy.providers.google.answer import (
    AnswerReader,
    code_call_input,
    code_call_metadata,
    code_result,
    inline_file,
    part_kind,
    unknown_part_message,
)
from fantasy.providers.google.options import NAME, ReasoningMetadata
from fantasy.providers.google.provider_tools import CODE_EXECUTION_TOOL_NAME
from fantasy.types import (
    JSON,
    Content,
    FileContent,
    FinishReason,
    ReasoningContent,
    ResponseContent,
    TextContent,
    ToolCallContent,
    ToolResultContent,
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
    # Documented since Fantasy's table was written (it maps them to unknown):
    "IMAGE_PROHIBITED_CONTENT": FinishReason.CONTENT_FILTER,
    "IMAGE_RECITATION": FinishReason.CONTENT_FILTER,
    "IMAGE_OTHER": FinishReason.OTHER,
    "NO_IMAGE": FinishReason.OTHER,
    "UNEXPECTED_TOOL_CALL": FinishReason.ERROR,
    "TOO_MANY_TOOL_CALLS": FinishReason.ERROR,
    "MISSING_THOUGHT_SIGNATURE": FinishReason.ERROR,
    "MALFORMED_RESPONSE": FinishReason.ERROR,
    # Vertex AI's Model Armor blocked the answer (its finishMessage says which filter).
    "MODEL_ARMOR": FinishReason.CONTENT_FILTER,
}


def map_finish_reason(reason: str) -> FinishReason:
    return _FINISH_REASONS.get(reason, FinishReason.UNKNOWN)


def count(raw: JSON, key: str, path: str) -> int:
    """A token count: `integer`, with a fast path for the plain integer Gemini sends
    (usage comes with every streamed chunk)."""
    value = raw.get(key)
    if type(value) is int:
        return value
    return integer(raw, key, path)


def map_usage(raw: JSON | None, path: str) -> Usage:
    """Gemini counts thoughts apart from the candidates; cached tokens are read tokens;
    the prompts of built-in tools (search results read) are input, as Google bills them
    (Fantasy leaves them out of every count)."""
    raw = as_object(raw, path)
    return Usage(
        input_tokens=count(raw, "promptTokenCount", path)
        + count(raw, "toolUsePromptTokenCount", path),
        output_tokens=count(raw, "candidatesTokenCount", path),
        total_tokens=count(raw, "totalTokenCount", path),
        reasoning_tokens=count(raw, "thoughtsTokenCount", path),
        cache_read_tokens=count(raw, "cachedContentTokenCount", path),
    )


def function_call_input(call: JSON, path: str) -> str:
    """The arguments (``path.args``, an object) as JSON text with sorted keys, as Go
    re-marshals them.

    A call without arguments gets ``{}`` (Fantasy writes ``null``): an empty object
    is what a tool with no parameters expects, and both send the same request back.
    """
    args = call.get("args")
    if args is None:
        return "{}"
    if type(args) is not dict:
        raise shape_error(join(path, "args"), "an object", args)
    return json.dumps(args, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def first_candidate(data: JSON, candidates_path: str) -> JSON | None:
    """The first candidate, or None when Gemini gave none (``candidates_path`` names the
    ``candidates`` field, for errors)."""
    candidates = data.get("candidates")
    if candidates is None:
        return None
    if type(candidates) is not list:
        raise shape_error(candidates_path, "an array", candidates)
    if not candidates:
        return None
    candidate = candidates[0]
    if type(candidate) is not dict:
        return as_object(candidate, join(candidates_path, 0))
    return candidate


def no_response(
    reason: str, candidate: JSON | None = None, reason_message: str = ""
) -> FantasyError:
    """Gemini gave no candidate, or one without content: the prompt was blocked
    (``reason``, and ``reason_message``, its ``blockReasonMessage``), the candidate says
    why it stopped (its ``finishReason`` and ``finishMessage``: ``SAFETY``,
    ``MODEL_ARMOR``, ``MALFORMED_FUNCTION_CALL`` with the call as the model wrote it),
    or nothing came."""
    message = "no response from model"
    if reason:
        message += f" (prompt blocked: {_said(reason, reason_message)})"
    finish = text(candidate, "finishReason", "candidates[0]") if candidate else ""
    if finish:
        said = text(candidate, "finishMessage", "candidates[0]") if candidate else ""
        message += f" (finish reason {_said(finish, said)})"
    return FantasyError(message, title="no response")


def _said(code: str, words: str) -> str:
    """``code: words``, the words cut at 500 characters (a finish message can quote a
    whole malformed call)."""
    if not words:
        return code
    return f"{code}: {words[:500]}..." if len(words) > 500 else f"{code}: {words}"


def _sign_last_reasoning(
    content: list[Content], metadata: ReasoningMetadata, *, unsigned: bool
) -> None:
    """Put a signature on the latest reasoning item (only an unsigned one, for text
    parts), or on a new empty reasoning item when there is none, or when code or a
    file stands between (the request codec puts a reasoning's signature on the part
    right after it)."""
    for item in reversed(content):
        if isinstance(item, FileContent) or (
            isinstance(item, ToolCallContent | ToolResultContent) and item.provider_executed
        ):
            break
        if isinstance(item, ReasoningContent):
            if unsigned and (item.provider_metadata or {}).get(NAME) is not None:
                continue
            item.provider_metadata = {NAME: metadata}
            return
    content.append(ReasoningContent("", {NAME: metadata}))


def parse_response(data: JSON, new_tool_call_id: Callable[[], str]) -> Response:
    reader = AnswerReader()
    reader.top(data, "")
    candidate = first_candidate(data, "candidates")
    wire_content = None if candidate is None else candidate.get("content")
    if candidate is None or wire_content is None:
        raise no_response(reader.block_reason, candidate, reader.block_message)
    wire_content = as_object(wire_content, "candidates[0].content")
    content = ResponseContent()
    has_tool_calls = False
    code_call_id = ""
    for i, value in enumerate(arr(wire_content, "parts", "candidates[0].content")):
        path = f"candidates[0].content.parts[{i}]"
        part = as_object(value, path)
        words = text(part, "text", path)
        signature = text(part, "thoughtSignature", path) or None
        if words:
            if boolean(part, "thought", path):
                metadata = {NAME: ReasoningMetadata(signature=signature)} if signature else None
                content.append(ReasoningContent(words, metadata))
                continue
            if signature:
                _sign_last_reasoning(content, ReasoningMetadata(signature=signature), unsigned=True)
            content.append(TextContent(words))
            continue
        kind = part_kind(part)
        if kind == "functionCall":
            where = join(path, "functionCall")
            call = as_object(part["functionCall"], where)
            # Fantasy draws an id for every call, even one that has its own.
            generated = new_tool_call_id()
            call_id = text(call, "id", where) or generated
            if signature:
                _sign_last_reasoning(
                    content, ReasoningMetadata(signature=signature, tool_id=call_id), unsigned=False
                )
            content.append(
                ToolCallContent(
                    call_id, text(call, "name", where), function_call_input(call, where)
                )
            )
            has_tool_calls = True
        elif kind == "executableCode":
            code_call_id = new_tool_call_id()
            content.append(
                ToolCallContent(
                    code_call_id,
                    CODE_EXECUTION_TOOL_NAME,
                    code_call_input(part, path),
                    provider_executed=True,
                    provider_metadata=code_call_metadata(part, path),
                )
            )
        elif kind == "codeExecutionResult":
            content.append(code_result(part, path, code_call_id or new_tool_call_id()))
            code_call_id = ""
        elif kind == "inlineData":
            content.append(inline_file(part, path))
        elif kind is None and (message := unknown_part_message(part)):
            reader.warn(message)
        elif kind is None and signature:
            # A signature on an empty part belongs to what came just before it: the
            # text it ends (sent back on that text) or the thoughts. After anything
            # else Fantasy ignores it, and so does this (it would have no part to go on).
            last = content[-1] if content else None
            ends_text = isinstance(last, TextContent) and not boolean(part, "thought", path)
            ends_thoughts = isinstance(last, ReasoningContent) and not last.provider_metadata
            if last is not None and (ends_text or ends_thoughts):
                last.provider_metadata = {NAME: ReasoningMetadata(signature=signature)}
        elif kind is not None:
            reader.warn(f"google: {kind} part in the answer was skipped")
    content.extend(reader.candidate(candidate, "candidates[0]"))
    raw_finish_reason = text(candidate, "finishReason", "candidates[0]")
    finish = FinishReason.TOOL_CALLS if has_tool_calls else map_finish_reason(raw_finish_reason)
    answer_metadata = reader.metadata()
    return Response(
        content,
        finish,
        map_usage(data.get("usageMetadata"), "usageMetadata"),
        warnings=reader.warnings,
        provider_metadata={NAME: answer_metadata} if answer_metadata is not None else {},
        raw_finish_reason=raw_finish_reason,
        response_id=answer_metadata.response_id or None if answer_metadata else None,
        response_model=answer_metadata.model_version or None if answer_metadata else None,
    )
