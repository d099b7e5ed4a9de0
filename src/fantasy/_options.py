"""Keyword arguments checked where they are given, not deep in the stack.

Every public entry point (``Agent(...)``, ``generate``/``stream`` and their
async forms, ``generate_object``/``stream_object``) passes its options through
here. An unknown name is a `TypeError` that names the valid ones (and the one
probably meant: ``max_tokens`` is ``max_output_tokens`` here); a value of the
wrong type is an `InvalidArgumentError` that names the option, before any
request is built. A misspelt option silently ignored, or ``temperature="hot"``
sent to the server, costs a user an afternoon; a clear error at the call costs
nothing.

A few shapes users reach for are accepted rather than refused: a single stop
condition where a list is expected, and OpenAI-style ``{"role": ..., "content":
...}`` dicts in ``messages=``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from fantasy.call_settings import SETTING_BOUNDS, SETTING_NAMES, SETTING_TYPES
from fantasy.errors import InvalidArgumentError
from fantasy.types import (
    FilePart,
    Message,
    MessagePart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputText,
    ToolResultPart,
)

# Names users bring from other libraries, and the one this library spells.
_SPELLINGS = {
    "system": "system_prompt",
    "instructions": "system_prompt",
    "system_message": "system_prompt",
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_new_tokens": "max_output_tokens",
    "stop_condition": "stop_when",
    "max_turns": "max_steps",
    "history": "messages",
    "message_history": "messages",
    "attachments": "files",
}


def check_names(where: str, given: Collection[str], valid: Collection[str]) -> None:
    """Raise `TypeError` for the first name in ``given`` that is not in ``valid``."""
    for name in given:
        if name in valid:
            continue
        hint = _SPELLINGS.get(name)
        if hint is None or hint not in valid:
            import difflib

            close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.75)
            hint = close[0] if close else None
        suggestion = f"; did you mean {hint!r}?" if hint else ""
        raise TypeError(
            f"{where}() got an unexpected keyword argument {name!r}{suggestion} "
            f"(valid options: {', '.join(sorted(valid))})"
        )


# --------------------------------------------------------------------------- value checks


def _fail(where: str, name: str, expected: str, value: Any) -> InvalidArgumentError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InvalidArgumentError(
        f"{where}: {name} must be {expected}, got {type(value).__name__} {shown}"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_at_least(low: int) -> Callable[[str, str, Any], Any]:
    def check(where: str, name: str, value: Any) -> Any:
        if not _is_int(value) or value < low:
            raise _fail(where, name, f"an int >= {low}", value)
        return value

    return check


def _int(where: str, name: str, value: Any) -> Any:
    if not _is_int(value):
        raise _fail(where, name, "an int", value)
    return value


def _number(where: str, name: str, value: Any) -> Any:
    if not _is_number(value) or value != value:  # NaN is a float, and never a setting
        raise _fail(where, name, "a number", value)
    return value


def _positive_number(where: str, name: str, value: Any) -> Any:
    if not _is_number(value) or not value > 0:
        raise _fail(where, name, "a number of seconds > 0", value)
    return value


def _string(where: str, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise _fail(where, name, "a string", value)
    return value


def _callable(where: str, name: str, value: Any) -> Any:
    if not callable(value):
        raise _fail(where, name, "a function", value)
    return value


def _string_map(where: str, name: str, value: Any) -> Any:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(where, name, "a dict of strings to strings", value)
    return dict(value)


def _options_map(where: str, name: str, value: Any) -> Any:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _fail(where, name, "a dict keyed by provider name", value)
    return dict(value)


def _names(where: str, name: str, value: Any) -> Any:
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise _fail(where, name, "a list of tool names", value)
    if not all(isinstance(v, str) for v in value):
        raise _fail(where, name, "a list of tool names (strings)", value)
    return list(value)


def _files(where: str, name: str, value: Any) -> Any:
    if isinstance(value, FilePart):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(f, FilePart) for f in value):
        raise _fail(where, name, "a list of fantasy.FilePart", value)
    return list(value)


def stop_conditions(where: str, name: str, value: Any) -> list[Any]:
    """A list of stop conditions; a single condition is taken as a list of one."""
    if callable(value):
        return [value]
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(where, name, "a stop condition or a list of them", value)
    for item in value:
        if not callable(item):
            raise _fail(where, name, "a list of stop conditions (functions of the steps)", item)
    return list(value)


def _messages(where: str, name: str, value: Any) -> Any:
    return coerce_messages(value, where)


def _setting_check(name: str) -> Callable[[str, str, Any], Any]:
    """The check of a `CallSettings` field, from its type (and ``at_least`` bound)."""
    kind = SETTING_TYPES[name]
    if kind is int:
        return _int_at_least(SETTING_BOUNDS[name]) if name in SETTING_BOUNDS else _int
    if kind is float:
        return _number
    if kind is str:
        return _string
    raise TypeError(f"CallSettings.{name}: no option check for type {kind.__name__}")


_CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    **{name: _setting_check(name) for name in SETTING_NAMES},
    "tool_choice": _string,
    "active_tools": _names,
    "files": _files,
    "messages": _messages,
    "headers": _string_map,
    "provider_options": _options_map,
    "stop_when": stop_conditions,
    "max_retries": _int_at_least(0),
    "max_steps": _int_at_least(1),
    "timeout": _positive_number,
    "total_timeout": _positive_number,
    "tool_timeout": _positive_number,
    "retry_initial_delay": _positive_number,
    "retry_backoff_factor": _positive_number,
    "user_agent": _string,
    "system_prompt": _string,
    "schema_name": _string,
    "schema_description": _string,
    "usage_limits": lambda where, name, value: _instance_of(where, name, value, "UsageLimits"),
    "limiter": lambda where, name, value: _instance_of(where, name, value, "RequestLimiter"),
    "output_type": lambda where, name, value: value,  # checked by the agent's output spec
    "output_mode": _string,
    "output_retries": _int_at_least(0),
    "approval_timeout": _positive_number,
    # Checked by the run (fantasy.agent.approval), which knows the waiting calls.
    "approvals": lambda where, name, value: value,
    "tool_results": lambda where, name, value: value,
}


def _instance_of(where: str, name: str, value: Any, kind: str) -> Any:
    """A `fantasy.UsageLimits` or `fantasy.RequestLimiter` (both import nothing heavy)."""
    from fantasy.limiter import RequestLimiter
    from fantasy.usage_limits import UsageLimits

    expected = {"UsageLimits": UsageLimits, "RequestLimiter": RequestLimiter}[kind]
    if not isinstance(value, expected):
        raise _fail(where, name, f"a fantasy.{kind}", value)
    return value


def check_values(where: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options with each value checked (and coerced where a shape is accepted).

    ``None`` always passes: it means "not set". Names without a check of their
    own (``prepare_step``, ``on_*`` callbacks, ...) must be callables.
    """
    out: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            out[name] = None
            continue
        check = _CHECKS.get(name, _callable)
        out[name] = check(where, name, value)
    return out


# --------------------------------------------------------------------------- messages


def coerce_messages(value: Any, where: str = "messages") -> list[Message]:
    """``fantasy.Message`` objects as they are; OpenAI-style dicts translated.

    Accepted dicts: ``{"role": "system"|"user"|"assistant", "content": str | [{"type":
    "text", "text": ...}, ...]}``, an assistant's ``"tool_calls": [{"id", "function":
    {"name", "arguments"}}]``, and ``{"role": "tool", "tool_call_id", "content"}``.
    Anything else is an `InvalidArgumentError` naming its index.
    """
    if callable(getattr(value, "all_messages", None)):
        raise InvalidArgumentError(
            f"{where}: messages must be a list of messages; pass result.all_messages() "
            f"to continue from an {type(value).__name__}"
        )
    if isinstance(value, Message | Mapping | str | bytes) or not isinstance(value, Sequence):
        raise _fail(where, "messages", "a list of fantasy.Message (or role/content dicts)", value)
    out: list[Message] = []
    for index, item in enumerate(value):
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(_from_dict(item, f"{where}: messages[{index}]"))
        else:
            raise InvalidArgumentError(
                f"{where}: messages[{index}] must be a fantasy.Message or a role/content dict, "
                f"got {type(item).__name__}"
            )
    return out


def _from_dict(item: Mapping[str, Any], where: str) -> Message:
    role = item.get("role")
    if role not in ("system", "user", "assistant", "tool", "developer"):
        raise InvalidArgumentError(
            f"{where}: role must be 'system', 'user', 'assistant' or 'tool', got {role!r}"
        )
    if role == "developer":
        role = "system"
    parts: list[MessagePart] = []
    if role == "tool":
        call_id = item.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise InvalidArgumentError(f"{where}: a tool message needs a 'tool_call_id'")
        text = "".join(p.text for p in _text_parts(item.get("content"), where))
        return Message(Role.TOOL, [ToolResultPart(call_id, ToolResultOutputText(text))])
    parts.extend(_text_parts(item.get("content"), where))
    if role == "assistant":
        for call in item.get("tool_calls") or ():
            parts.append(_tool_call(call, where))
    if not parts:
        raise InvalidArgumentError(f"{where}: the message has no content")
    return Message(Role(role), parts)


def _text_parts(content: Any, where: str) -> list[TextPart]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)]
    if isinstance(content, Sequence):
        parts: list[TextPart] = []
        for chunk in content:
            if isinstance(chunk, Mapping) and chunk.get("type") == "text":
                text = chunk.get("text")
                if isinstance(text, str):
                    parts.append(TextPart(text))
                    continue
            kind = chunk.get("type") if isinstance(chunk, Mapping) else type(chunk).__name__
            raise InvalidArgumentError(
                f"{where}: content of type {kind!r} is not accepted in a dict message; "
                "build a fantasy.Message with fantasy.FilePart for files and images"
            )
        return parts
    raise InvalidArgumentError(
        f"{where}: content must be a string or a list of text parts, got {type(content).__name__}"
    )


def _tool_call(call: Any, where: str) -> ToolCallPart:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise InvalidArgumentError(
            f"{where}: each tool call needs 'id' and 'function': {{'name', 'arguments'}}"
        )
    arguments = function.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return ToolCallPart(str(call.get("id") or ""), function["name"], arguments)
