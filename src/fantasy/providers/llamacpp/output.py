"""A local model's text, as it streams, split into what it is: reasoning (a leading
``<think>`` block), answer text, and tool calls in the call format of the model's
template (``<tool_call>`` blocks, or one bare JSON object for Llama 3), which the tool
grammar makes the only thing an answer beginning with the format's first character can
be.

`OutputReader` is fed the text in pieces and returns events; a piece may end in the
middle of a tag, so text that could still become one is held back until it is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fantasy.providers.llamacpp.formats import HERMES, CallFormat

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(slots=True, frozen=True)
class Text:
    delta: str


@dataclass(slots=True, frozen=True)
class Reasoning:
    delta: str


@dataclass(slots=True, frozen=True)
class ReasoningEnd:
    pass


@dataclass(slots=True, frozen=True)
class ToolCall:
    name: str
    arguments: str
    """The arguments object as JSON text."""


Event = Text | Reasoning | ReasoningEnd | ToolCall


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that begins ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


def parse_call(block: str, arguments_key: str = "arguments") -> ToolCall | None:
    """``{"name": ..., "arguments": {...}}`` (or the format's key) to a call; None when
    it is not one."""
    try:
        value = json.loads(block)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    if set(value) - {"name", arguments_key}:
        return None
    arguments = value.get(arguments_key, {})
    if isinstance(arguments, str):  # some models write the arguments as a JSON string
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    return ToolCall(value["name"], json.dumps(arguments, ensure_ascii=False))


class OutputReader:
    """Splits the streamed text; ``calls`` is the format tool calls come in, None when
    the answer holds none."""

    def __init__(self, calls: CallFormat | None = None):
        self.calls = calls
        self._format = calls or HERMES
        self._state = "start"
        self._buffer = ""

    def feed(self, text: str) -> list[Event]:
        self._buffer += text
        events: list[Event] = []
        while self._step(events, final=False):
            pass
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = []
        while self._step(events, final=True):
            pass
        if self._buffer:
            # A call cut short (the token limit) or an unfinished tag: kept as text.
            events.append(Text(self._buffer))
            self._buffer = ""
        return events

    def _step(self, events: list[Event], final: bool) -> bool:
        """Advance once; False when more text is needed (or everything is read)."""
        buffer = self._buffer
        if self._state == "start":
            if not final and THINK_OPEN.startswith(buffer):
                return False
            if buffer.startswith(THINK_OPEN):
                self._buffer = buffer[len(THINK_OPEN) :]
                self._state = "think"
            else:
                self._state = "body"
            return True
        if self._state == "think":
            end = buffer.find(THINK_CLOSE)
            if end < 0:
                keep = 0 if final else _partial_suffix(buffer, THINK_CLOSE)
                if len(buffer) > keep:
                    events.append(Reasoning(buffer[: len(buffer) - keep]))
                    self._buffer = buffer[len(buffer) - keep :]
                if final:
                    events.append(ReasoningEnd())
                    self._state = "body"
                return False
            if end:
                events.append(Reasoning(buffer[:end]))
            events.append(ReasoningEnd())
            self._buffer = buffer[end + len(THINK_CLOSE) :]
            self._state = "after-think"
            return True
        if self._state == "after-think":
            stripped = buffer.lstrip()
            if not stripped and not final:
                self._buffer = ""
                return False
            self._buffer = stripped
            self._state = "body"
            return True
        if self._state == "body":
            if not buffer:
                return False
            if self.calls and buffer.startswith(self._format.first_char):
                self._state = "calls" if self._format.open else "call-object"
            else:
                self._state = "text"
            return True
        if self._state == "text":
            if buffer:
                events.append(Text(buffer))
                self._buffer = ""
            return False
        if self._state == "call-object":
            # One bare object: a call or (an answer that may also be JSON) not one.
            if not final:
                return False
            call = parse_call(buffer.strip(), self._format.arguments_key)
            if call is None:
                self._state = "text"
                return True
            events.append(call)
            self._buffer = ""
            return False
        # calls: complete blocks between the format's tags, whitespace between them.
        opening, closing = self._format.open.strip(), self._format.close.strip()
        stripped = buffer.lstrip()
        if not stripped.startswith(opening):
            if (not final and opening.startswith(stripped)) or not stripped:
                return False
            self._state = "text"  # not a call after all (a grammar of the caller's own)
            return True
        end = stripped.find(closing)
        if end < 0:
            return False
        call = parse_call(stripped[len(opening) : end].strip(), self._format.arguments_key)
        if call is None:
            self._state = "text"
            return True
        events.append(call)
        self._buffer = stripped[end + len(closing) :]
        return True
