"""A function call whose arguments Gemini streams piece by piece (``partialArgs``).

With ``streamFunctionCallArguments`` (Vertex AI, Gemini 3) a call no longer comes
whole in one part: a first part names it (``{"name": ..., "willContinue": true}``),
the parts after it each carry ``partialArgs`` (a JSON path such as
``$.recipe.ingredients[0].name`` and one value; a string may come in several pieces
for the same path), and a part without ``willContinue`` (often an empty
``functionCall``) ends it. Read a part at a time, each would look like a call of its
own with no name and no arguments; `StreamedCall` puts the arguments back together
so the call reaches the user whole, once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fantasy.http.shape import as_object, join, shape_error, text

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")
"""One step of a JSON path: ``.name``, ``[3]``, ``['name']`` or ``["name"]``."""

_VALUE_KEYS = ("stringValue", "numberValue", "boolValue", "nullValue")


def path_steps(json_path: str, where: str) -> list[str | int]:
    """``$.a.b[2]`` as ``["a", "b", 2]``; anything else is an invalid response."""
    if not json_path.startswith("$"):
        raise shape_error(where, "a JSON path starting with $", json_path)
    steps: list[str | int] = []
    at = 1
    while at < len(json_path):
        match = _SEGMENT.match(json_path, at)
        if match is None:
            raise shape_error(where, "a JSON path of .names and [indexes]", json_path)
        name, index, quoted, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(next(s for s in (name, quoted, double) if s is not None))
        at = match.end()
    if not steps:
        raise shape_error(where, "a JSON path below $", json_path)
    return steps


class StreamedCall:
    """One call being streamed: its id, name, and arguments so far."""

    __slots__ = ("args", "call_id", "name")

    def __init__(self, call_id: str, name: str):
        self.call_id = call_id
        self.name = name
        self.args: dict[str, Any] = {}

    def start(self, call: dict[str, Any], where: str) -> None:
        """The first part: the arguments it has whole (``args``), then its pieces."""
        args = call.get("args")
        if args is not None:
            if type(args) is not dict:
                raise shape_error(join(where, "args"), "an object", args)
            self.args = dict(args)
        self.add(call, where)

    def add(self, call: dict[str, Any], where: str) -> None:
        """The ``partialArgs`` of one part (``call`` is its ``functionCall``)."""
        partial = call.get("partialArgs")
        if partial is None:
            return
        if type(partial) is not list:
            raise shape_error(join(where, "partialArgs"), "an array", partial)
        for i, item in enumerate(partial):
            at = join(join(where, "partialArgs"), i)
            item = as_object(item, at)
            self._set(path_steps(text(item, "jsonPath", at), join(at, "jsonPath")), item, at)

    def _set(self, steps: list[str | int], item: dict[str, Any], where: str) -> None:
        key = next((k for k in _VALUE_KEYS if k in item), None)
        if key is None:
            raise shape_error(where, "one of " + ", ".join(_VALUE_KEYS), item)
        value = None if key == "nullValue" else item[key]
        if key == "stringValue" and type(value) is not str:
            raise shape_error(join(where, key), "a string", value)
        if key == "numberValue" and (type(value) not in (int, float)):
            raise shape_error(join(where, key), "a number", value)
        if key == "boolValue" and type(value) is not bool:
            raise shape_error(join(where, key), "a boolean", value)
        holder: Any = self.args
        for step, after in zip(steps, [*steps[1:], None], strict=True):
            if isinstance(holder, dict) == isinstance(step, int) or (
                isinstance(step, int) and step > len(holder)
            ):
                # An index into an object, a name into an array, or an index past the
                # next free place (arrays are streamed in order; a gap would be an
                # unbounded list of nulls).
                raise shape_error(join(where, "jsonPath"), "a path that fits the arguments", steps)
            if after is None:
                self._place(holder, step, value)
                return
            child = _get(holder, step)
            if child is None:
                child = [] if isinstance(after, int) else {}
                _put(holder, step, child)
            elif not isinstance(child, list | dict):
                raise shape_error(join(where, "jsonPath"), "a path that fits the arguments", steps)
            holder = child

    @staticmethod
    def _place(holder: Any, step: str | int, value: Any) -> None:
        current = _get(holder, step)
        if isinstance(current, str) and isinstance(value, str):
            value = current + value  # the next piece of a string streamed in pieces
        _put(holder, step, value)

    def arguments(self) -> str:
        """The arguments as JSON text with sorted keys, as a whole call's are written."""
        return json.dumps(self.args, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _get(holder: Any, step: str | int) -> Any:
    if isinstance(holder, dict):
        return holder.get(step)
    assert isinstance(step, int)
    return holder[step] if step < len(holder) else None


def _put(holder: Any, step: str | int, value: Any) -> None:
    if isinstance(holder, dict):
        holder[step] = value
        return
    assert isinstance(step, int)
    if step >= len(holder):
        holder.extend([None] * (step + 1 - len(holder)))
    holder[step] = value
