"""Field types of option dataclasses, checked before a request is built.

Provider options are plain dataclasses (``openai.ProviderOptions(user=...)``):
cheap to build, and typed for mypy users. A program without a type checker can
still write ``reasoning_effort=5`` or ``metadata="run-7"``, and the provider would
receive it as is and answer with a 400 that names a JSON path, not the Python
option. `check_fields` compares each set field with its annotation and raises
`InvalidArgumentError` naming the option, before anything is sent.

The check understands the annotation forms these dataclasses use (scalars,
``Literal``, unions, ``list``/``dict``/``Mapping``/``Sequence``, nested
dataclasses, enums); anything else is accepted rather than guessed at.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from fantasy.errors import InvalidArgumentError

_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an annotation that cannot be resolved: check nothing
            hints = {}
        _hints_cache[cls] = hints
    return hints


def check_fields(obj: Any, where: str, skip: tuple[str, ...] = ()) -> None:
    """Raise `InvalidArgumentError` for the first field of dataclass ``obj`` whose value
    does not fit its annotation; ``where`` names the object in the message. Fields in
    ``skip`` are left to the code that reads them."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name, None)
        annotation = hints.get(f.name)
        if value is None or annotation is None:
            continue
        if not _matches(value, annotation):
            shown = repr(value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise InvalidArgumentError(
                f"{where}: {f.name} must be {_describe(annotation)}, "
                f"got {type(value).__name__} {shown}"
            )
        if dataclasses.is_dataclass(value):
            check_fields(value, f"{where}.{f.name}")


def _matches(value: Any, annotation: Any) -> bool:
    if annotation is Any or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _matches(value, args[0])
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in args) or any(
            isinstance(a, enum.Enum) and value == a.value for a in args
        )
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, a) for a in args)
    if origin in (list, Sequence, typing.Sequence):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            return False
        return not args or all(_matches(v, args[0]) for v in value)
    if origin in (dict, Mapping, typing.Mapping):
        if not isinstance(value, Mapping):
            return False
        if len(args) != 2:
            return True
        return all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    if origin is tuple:
        return isinstance(value, tuple)
    if origin is not None:
        return True  # a generic we do not know: not ours to refuse
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return isinstance(value, annotation) or value in {m.value for m in annotation}
        return isinstance(value, annotation)
    return True


def _describe(annotation: Any) -> str:
    if annotation is Any:
        return "anything"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a.value if isinstance(a, enum.Enum) else a) for a in args)
    if origin is typing.Union or origin is types.UnionType:
        kept = [a for a in args if a is not type(None)]
        return " or ".join(_describe(a) for a in kept)
    if origin in (list, Sequence, typing.Sequence):
        return f"a list of {_describe(args[0])}" if args else "a list"
    if origin in (dict, Mapping, typing.Mapping):
        return (
            f"a dict of {getattr(args[1], '__name__', args[1])} values"
            if len(args) == 2 and args[1] is not Any
            else "a dict"
        )
    if annotation is str:
        return "a string"
    if annotation is bool:
        return "True or False"
    if annotation is int:
        return "an int"
    if annotation is float:
        return "a number"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)
