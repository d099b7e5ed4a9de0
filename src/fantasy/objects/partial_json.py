"""An incremental parser for JSON that arrives in pieces, as a model streams it.

Structured output is streamed as JSON text, a few characters per delta, and
callers want the object-so-far after each delta. Re-parsing (or repairing)
the accumulated text every time costs O(n) per delta and O(n²) per stream;
this parser keeps its state between deltas instead, so every character is
looked at once and the whole stream costs O(n):

* a stack of open containers, each holding the entries it has completed;
* the pending key of the innermost open object;
* the scalar in progress (string pieces kept in a list, joined when needed).

`snapshot` turns that state into a value ("repairing" the prefix the way
a lenient JSON parser would: open strings and containers are closed, an
unfinished key or literal is left out, a partial number shows its longest
valid prefix). Closed containers are built once, when they close, and
shared by reference from then on, so a snapshot only copies the open
containers along the current path. Callers must therefore treat snapshots
as read-only.

``version`` changes exactly when the visible value does, so a consumer can
skip unchanged snapshots without comparing objects.
"""

from __future__ import annotations

import re
from typing import Any

from fantasy._json import MAX_DEPTH
from fantasy.errors import reduce_exception

__all__ = ["MISSING", "PartialJSONError", "PartialJSONParser", "parse_partial"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""What `snapshot` returns when no value is visible yet."""


class PartialJSONError(ValueError):
    """The text cannot be the beginning of a JSON document."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_exception(self)


_WS = re.compile(r"[ \t\n\r]*")
_STRING_RUN = re.compile(r'[^"\\]+')
_NUMBER_RUN = re.compile(r"[-+0-9.eE]+")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NUMBER_PREFIX = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}

# Parser states: what the next significant character may be.
_VALUE = 0  # a value (after ':' or ',' in an array, or at the top level)
_ARRAY_START = 1  # a value or ']'
_OBJECT_START = 2  # a key or '}'
_KEY = 3  # a key (after ',' in an object)
_COLON = 4
_AFTER_VALUE = 5  # ',' or the close of the innermost container
_STRING = 6
_ESCAPE = 7
_UNICODE = 8
_NUMBER_STATE = 9
_LITERAL = 10
_DONE = 11  # the top-level value is complete; the rest is ignored
_FENCE = 12  # inside a leading markdown fence line (```json)


class _Frame:
    """An open container: a dict with its pending key, or a list."""

    __slots__ = ("key", "value")

    def __init__(self, value: dict[str, Any] | list[Any]):
        self.value = value
        self.key: str | None = None


class PartialJSONParser:
    """Feed JSON text in pieces with `feed`; read the value so far with `snapshot`."""

    def __init__(self) -> None:
        self._stack: list[_Frame] = []
        self._state = _VALUE
        self._offset = 0
        self._root: Any = MISSING
        self._started = False
        # The scalar in progress.
        self._pieces: list[str] = []
        self._joined = ""  # the pieces joined so far, kept so snapshots join only new ones
        self._is_key = False
        self._hex = ""
        self._high_surrogate = ""
        self._literal = ""
        self._literal_target = ""
        self._number: list[str] = []
        self.version = 0
        """Increases whenever the value `snapshot` would return changes."""
        self.rewrites = 0
        """Increases when a key given again replaces its value: the one change to an
        entry already in a container (entries are otherwise only added)."""
        self.shape = 0
        """Increases whenever anything but the scalar in progress changes (a value starts
        or ends, a container closes, a key is read): while it stays, only that scalar
        grows."""
        self.closed: set[int] = set()
        """ids of the containers that are complete: their values will never change."""

    @property
    def done(self) -> bool:
        """True once a whole top-level value has been read."""
        return self._state == _DONE

    def feed(self, text: str) -> None:
        """Consume the next piece; raises `PartialJSONError` if the text cannot be JSON."""
        i, n = 0, len(text)
        while i < n:
            state = self._state
            if state == _STRING:
                m = _STRING_RUN.match(text, i)
                if m is not None:
                    if self._high_surrogate:
                        self._flush_surrogate()
                    self._pieces.append(m.group())
                    if not self._is_key:
                        self.version += 1
                    i = m.end()
                    continue
                c = text[i]
                i += 1
                if c == '"':
                    self._end_string()
                else:
                    self._state = _ESCAPE
                continue
            if state == _ESCAPE:
                c = text[i]
                i += 1
                if c == "u":
                    self._hex = ""
                    self._state = _UNICODE
                elif c in _ESCAPES:
                    self._flush_surrogate()
                    self._pieces.append(_ESCAPES[c])
                    if not self._is_key:
                        self.version += 1
                    self._state = _STRING
                else:
                    raise self._error(f"invalid escape '\\{c}'", i - 1)
                continue
            if state == _UNICODE:
                take = min(4 - len(self._hex), n - i)
                self._hex += text[i : i + take]
                i += take
                if len(self._hex) == 4:
                    self._unicode_escape(i)
                continue
            if state == _NUMBER_STATE:
                m = _NUMBER_RUN.match(text, i)
                if m is not None:
                    run = m.group()
                    self._number.append(run)
                    if run.strip("+-.eE"):  # a digit: the value shown changes
                        self.version += 1
                    i = m.end()
                    if i < n:
                        self._end_number(i)
                    continue
                self._end_number(i)
                continue
            if state == _LITERAL:
                want = self._literal_target[len(self._literal) :]
                got = text[i : i + len(want)]
                if not want.startswith(got):
                    raise self._error(f"invalid literal {self._literal + got!r}", i)
                self._literal += got
                i += len(got)
                if self._literal == self._literal_target:
                    self._commit(_LITERALS[self._literal[0]][1])
                    self.version += 1
                continue
            if state == _FENCE:
                end = text.find("\n", i)
                if end < 0:
                    i = n
                else:
                    i = end + 1
                    self._state = _VALUE
                continue
            # Structural states: skip whitespace, then one significant character.
            if text[i] in " \t\n\r":
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if i >= n:
                    break
            if state == _DONE:
                i = n  # trailing text (a closing fence, a remark) is not part of the value
                break
            c = text[i]
            i += 1
            self._structural(state, c, i)
        self._offset += n

    def _error(self, message: str, index: int) -> PartialJSONError:
        return PartialJSONError(message, self._offset + index)

    def _structural(self, state: int, c: str, i: int) -> None:
        if state in (_VALUE, _ARRAY_START):
            if state == _ARRAY_START and c == "]":
                self._close(i)
            elif c == "`" and not self._started:
                self._state = _FENCE
            else:
                self._start_value(c, i)
        elif state in (_OBJECT_START, _KEY):
            if c == '"':
                self._start_string(is_key=True)
            elif c == "}" and state == _OBJECT_START:
                self._close(i)
            else:
                raise self._error(f"expected a key, got {c!r}", i - 1)
        elif state == _COLON:
            if c != ":":
                raise self._error(f"expected ':', got {c!r}", i - 1)
            self._state = _VALUE
        elif state == _AFTER_VALUE:
            frame = self._stack[-1]
            if c == ",":
                self._state = _KEY if isinstance(frame.value, dict) else _VALUE
            elif (c == "}" and isinstance(frame.value, dict)) or (
                c == "]" and isinstance(frame.value, list)
            ):
                self._close(i)
            else:
                raise self._error(f"expected ',' or a closing bracket, got {c!r}", i - 1)

    def _start_value(self, c: str, i: int) -> None:
        self._started = True
        self.shape += 1
        if c == "{" or c == "[":
            if len(self._stack) >= MAX_DEPTH:
                # Deeper would only make work for whatever walks the value (validators,
                # comparisons), recursively: refused, as `fantasy._json.loads` refuses it.
                raise self._error(
                    f"JSON nested more than {MAX_DEPTH} levels deep at {self._path()}", i - 1
                )
            container: dict[str, Any] | list[Any] = {} if c == "{" else []
            self._stack.append(_Frame(container))
            self._state = _OBJECT_START if c == "{" else _ARRAY_START
            self.version += 1
        elif c == '"':
            self._start_string(is_key=False)
            self.version += 1
        elif c == "-" or c.isdigit():
            self._number = [c]
            self._state = _NUMBER_STATE
            if c != "-":
                self.version += 1
        elif c in _LITERALS:
            self._literal = c
            self._literal_target = _LITERALS[c][0]
            self._state = _LITERAL
        else:
            raise self._error(f"unexpected character {c!r}", i - 1)

    def _path(self) -> str:
        """Where the next value goes, as a JSON path (shortened past ten levels)."""
        parts = [
            f".{frame.key}" if isinstance(frame.value, dict) else f"[{len(frame.value)}]"
            for frame in self._stack
        ]
        if len(parts) > 12:
            parts = [*parts[:10], f"...({len(parts) - 10} more levels)"]
        return "".join(parts).lstrip(".") or "(root)"

    def _start_string(self, *, is_key: bool) -> None:
        self._pieces = []
        self._joined = ""
        self._is_key = is_key
        self._state = _STRING

    def _flush_surrogate(self) -> None:
        """A high surrogate not followed by a low one is U+FFFD, as `fantasy._json.loads`
        reads it: strings are always valid Unicode."""
        if self._high_surrogate:
            self._pieces.append("\ufffd")
            self._high_surrogate = ""
            if not self._is_key:
                self.version += 1

    def _unicode_escape(self, i: int) -> None:
        try:
            code = int(self._hex, 16)
        except ValueError:
            raise self._error(f"invalid unicode escape '\\u{self._hex}'", i - 4) from None
        self._state = _STRING
        if self._high_surrogate and 0xDC00 <= code <= 0xDFFF:
            high = ord(self._high_surrogate)
            self._high_surrogate = ""
            self._pieces.append(chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)))
        else:
            self._flush_surrogate()
            if 0xD800 <= code <= 0xDBFF:
                self._high_surrogate = chr(code)  # wait: a low surrogate may follow
                return
            self._pieces.append("\ufffd" if 0xDC00 <= code <= 0xDFFF else chr(code))
        if not self._is_key:
            self.version += 1

    def _string_value(self) -> str:
        if self._pieces:
            self._joined += "".join(self._pieces)
            self._pieces = []
        return self._joined

    def _end_string(self) -> None:
        self.shape += 1
        self._flush_surrogate()
        value = self._string_value()
        if self._is_key:
            self._stack[-1].key = value
            self._state = _COLON
        else:
            self._commit(value)

    def _end_number(self, i: int) -> None:
        text = "".join(self._number)
        if _NUMBER.fullmatch(text) is None:
            raise self._error(f"invalid number {text!r}", i - len(text))
        self._commit(_number_value(text))

    def _commit(self, value: Any) -> None:
        """A value is complete: it goes into the innermost open container (or is the root)."""
        self.shape += 1
        if not self._stack:
            self._root = value
            self._state = _DONE
            return
        frame = self._stack[-1]
        if isinstance(frame.value, dict):
            if frame.key in frame.value:
                self.rewrites += 1
            frame.value[frame.key] = value  # type: ignore[index]
            frame.key = None
        else:
            frame.value.append(value)
        self._state = _AFTER_VALUE

    def _close(self, i: int) -> None:
        frame = self._stack.pop()
        self.closed.add(id(frame.value))
        self._commit(frame.value)

    def finish(self) -> None:
        """The text has ended: complete a top-level number, which only the end can end."""
        if self._state == _NUMBER_STATE and not self._stack:
            self._end_number(0)

    def snapshot(self) -> Any:
        """The value so far, or `MISSING`; shares closed containers with the parser."""
        if self._state == _DONE:
            return self._root
        value = self._partial_scalar()
        for depth in range(len(self._stack) - 1, -1, -1):
            frame = self._stack[depth]
            if isinstance(frame.value, dict):
                entries = dict(frame.value)
                if value is not MISSING and frame.key is not None:
                    entries[frame.key] = value
                value = entries
            else:
                items = list(frame.value)
                if value is not MISSING:
                    items.append(value)
                value = items
        return value

    def open_containers(self) -> list[tuple[dict[str, Any] | list[Any], str | None]]:
        """The open containers, outermost first, each with its pending key (dicts).

        A container's entries so far are all complete (closed containers or scalars)
        and are only ever added to, which lets a checker look at each entry once.
        """
        return [(frame.value, frame.key) for frame in self._stack]

    def partial_scalar(self) -> Any:
        """The scalar being read inside the innermost open container, or `MISSING`."""
        return self._partial_scalar()

    def _partial_scalar(self) -> Any:
        """The scalar being read, when it is visible (a value string, a partial number)."""
        state = self._state
        if state in (_STRING, _ESCAPE, _UNICODE) and not self._is_key:
            return self._string_value()
        if state == _NUMBER_STATE:
            m = _NUMBER_PREFIX.match("".join(self._number))
            if m is not None:
                return _number_value(m.group())
        return MISSING


def _number_value(text: str) -> int | float:
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def parse_partial(text: str) -> tuple[Any, bool]:
    """Parse a whole (possibly truncated) text: (value or `MISSING`, complete)."""
    parser = PartialJSONParser()
    parser.feed(text)
    parser.finish()
    return parser.snapshot(), parser.done
