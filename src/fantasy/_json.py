"""JSON in and out, total: bounded nesting, and valid Unicode both ways.

Every JSON document fantasy reads (provider answers and stream events, error bodies,
tool-call arguments, structured output, saved conversations) goes through `loads`,
and every one it sends or saves is made valid UTF-8 by `encode` / `valid_text`:

* **Nesting.** A document nested more than `MAX_DEPTH` levels is refused with
  `JSONDepthError`, a `ValueError` like any other malformed JSON, so each caller's
  existing handling applies (an invalid response, an invalid tool call, a
  `SerializationError`). Never a `RecursionError`, neither from the parser nor
  later from whatever walks the value (validators, comparisons, encoders): 200
  levels leave room for those on any stack fantasy runs on.
* **Unicode in.** Bytes that are not UTF-8 are decoded with U+FFFD in place of each
  bad sequence, and a ``\\ud83d`` escape without its other half becomes U+FFFD: one
  bad byte never loses a long answer, and every string read is valid Unicode.
* **Unicode out.** Text holding lone surrogates (a file read with
  ``errors="surrogateescape"``, half of an emoji) is encoded with each one replaced
  by U+FFFD instead of raising `UnicodeEncodeError`.

The normal path costs nothing extra: pydantic_core's parser (strict UTF-8, at most
200 levels, about twice as fast as `json.loads`) reads a well-formed document, and a
body is encoded as it always was. Only a document that parser refuses, or text that
does not encode, takes the slower path that repairs or explains it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "JSONDepthError", "encode", "loads", "too_deep", "valid_text"]

MAX_DEPTH = 200
"""Arrays and objects nested deeper than this are refused (pydantic_core's own limit)."""


class JSONDepthError(ValueError):
    """JSON nested more than `MAX_DEPTH` levels; ``path`` is where it went too deep."""

    def __init__(self, path: str = ""):
        where = f" at {path}" if path else ""
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep{where}")
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path,))


def _first_parse(data: str | bytes | bytearray) -> Any:
    """pydantic_core is imported on the first document, not with fantasy."""
    global _parse
    from pydantic_core import from_json

    _parse = from_json
    return from_json(data)


_parse: Callable[[str | bytes | bytearray], Any] = _first_parse


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads`, bounded and lenient about Unicode (see the module's docstring).

    Raises:
        ValueError: the text is not JSON (`json.loads`'s own message), or is nested
            too deep (`JSONDepthError`).
    """
    try:
        return _parse(data)
    except (ValueError, TypeError):
        # Not JSON, or JSON this fast parser refuses: too deep, a lone surrogate escape,
        # bytes that are not UTF-8, a BOM, a str holding a lone surrogate (TypeError).
        return _loads_slowly(data)


def _loads_slowly(data: str | bytes | bytearray) -> Any:
    if isinstance(data, str):
        text = data
    else:
        raw = bytes(data)
        text = raw.decode(json.detect_encoding(raw), "replace")
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONDepthError(_deep_path(text)) from None
    if not _clean(value):
        raise JSONDepthError(_deep_path(text))
    return valid_text(value) if isinstance(value, str) else value


def _clean(root: Any) -> bool:
    """Replace lone surrogates in the strings (keys too) of a decoded value, in place and
    without recursion; False if it is nested more than `MAX_DEPTH` levels."""
    if not isinstance(root, list | dict):
        return True
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, list):
            for i, item in enumerate(node):
                if type(item) is str:
                    node[i] = valid_text(item)
                elif isinstance(item, list | dict):
                    stack.append((item, depth + 1))
            continue
        if not all(key.isascii() for key in node):
            items = [(valid_text(k), v) for k, v in node.items()]
            node.clear()
            node.update(items)
        for key, item in node.items():
            if type(item) is str:
                node[key] = valid_text(item)
            elif isinstance(item, list | dict):
                stack.append((item, depth + 1))
    return True


_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{},]')


def _deep_path(text: str) -> str:
    """The JSON path of the first container opened beyond `MAX_DEPTH` (shortened), found
    by scanning the text (a value that deep cannot be decoded to walk it); ``""`` if
    there is none (the stack was too deep already for a shallower document)."""
    frames: list[list[Any]] = []  # [is_object, key or index]
    want_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        c = token[0]
        if c == "{" or c == "[":
            if len(frames) >= MAX_DEPTH:
                return _path(frames) or "(root)"
            frames.append([c == "{", None if c == "{" else 0])
            want_key = c == "{"
        elif c == "}" or c == "]":
            if frames:
                frames.pop()
            want_key = False
        elif c == ",":
            if frames and frames[-1][0]:
                want_key = True
            elif frames:
                frames[-1][1] += 1
        elif want_key and frames:
            try:
                frames[-1][1] = json.loads(token)
            except ValueError:
                frames[-1][1] = token.strip('"')
            want_key = False
    return ""


def too_deep(value: Any) -> str | None:
    """The JSON path of the first list or dict nested more than `MAX_DEPTH` levels deep
    in ``value`` (a schema, say, which comes from code rather than from `loads`), found
    without recursion; None when there is none."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            return _path([[False, seg] for seg in path])
        if isinstance(node, dict):
            items: Any = ((str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        stack.extend((v, (*path, k)) for k, v in items if isinstance(v, list | dict))
    return None


def _path(frames: list[list[Any]]) -> str:
    parts = [f"[{seg}]" if isinstance(seg, int) else f".{seg}" for _, seg in frames]
    if len(parts) > 12:
        parts = [*parts[:10], f"...({len(parts) - 10} more levels)"]
    return "".join(parts).lstrip(".")


def valid_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (a pair of surrogates written
    as two characters is joined into the one character it stands for); ``text`` itself,
    not a copy, when it holds none."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def encode(text: str) -> bytes:
    """``text`` as UTF-8, lone surrogates as U+FFFD (see `valid_text`); the cost of the
    repair is paid only when the text needs it."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return valid_text(text).encode()
