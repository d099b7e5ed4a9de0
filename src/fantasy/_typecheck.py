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

import enum
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fantasy._record import Record, field_names
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


Checker = Callable[[Any], bool]


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a dataclass or a `Record` class; None for any other class. A
    `Record`'s are read without importing `dataclasses` (the import path of a provider
    avoids it), and a class can only be a dataclass once `dataclasses` is imported."""
    if issubclass(cls, Record):
        return field_names(cls)
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is None or not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


_plans: dict[type, list[tuple[str, Any, Checker]]] = {}


def _plan(cls: type) -> list[tuple[str, Any, Checker]]:
    """Each field of a dataclass with its annotation and its compiled check, once per
    class: building a `Call` is checked on every step, so this stays cheap."""
    plan = _plans.get(cls)
    if plan is None:
        hints = _hints(cls)
        plan = [
            (name, hints[name], _checker(hints[name]))
            for name in _field_names(cls) or ()
            if name in hints
        ]
        _plans[cls] = plan
    return plan


def check_fields(obj: Any, where: str, skip: tuple[str, ...] = ()) -> None:
    """Raise `InvalidArgumentError` for the first field of dataclass ``obj`` whose value
    does not fit its annotation; ``where`` names the object in the message. Fields in
    ``skip`` are left to the code that reads them."""
    if isinstance(obj, type) or _field_names(type(obj)) is None:
        return
    for name, annotation, check in _plan(type(obj)):
        if name in skip:
            continue
        value = getattr(obj, name, None)
        if value is None:
            continue
        if not check(value):
            shown = repr(value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise InvalidArgumentError(
                f"{where}: {name} must be {_describe(annotation)}, "
                f"got {type(value).__name__} {shown}"
            )
        if not isinstance(value, type) and _field_names(type(value)) is not None:
            check_fields(value, f"{where}.{name}")


def _matches(value: Any, annotation: Any) -> bool:
    return _checker(annotation)(value)


_checkers: dict[Any, Checker] = {}


def _checker(annotation: Any) -> Checker:
    """A predicate for values of ``annotation``, built once per annotation."""
    try:
        found = _checkers.get(annotation)
    except TypeError:  # an unhashable annotation: build it each time
        return _build(annotation)
    if found is None:
        found = _build(annotation)
        _checkers[annotation] = found
    return found


def _anything(value: Any) -> bool:
    return True


def _build(annotation: Any) -> Checker:
    if annotation is Any or annotation is object:
        return _anything
    if annotation is None or annotation is type(None):
        return lambda value: value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _checker(args[0])
    if origin is typing.Literal:
        allowed = [(a, type(a)) for a in args]
        enum_values = [a.value for a in args if isinstance(a, enum.Enum)]
        return lambda value: (
            any(value == a and type(value) is t for a, t in allowed) or (value in enum_values)
        )
    if origin is typing.Union or origin is types.UnionType:
        options = [_checker(a) for a in args]
        return lambda value: any(check(value) for check in options)
    if origin in (list, Sequence, typing.Sequence):
        item = _checker(args[0]) if args else _anything
        if isinstance(args[0] if args else None, type) and item is _checker(args[0]):
            cls = args[0]
            if cls not in (bool, int, float) and not issubclass(cls, enum.Enum):
                return lambda value: (
                    isinstance(value, list | tuple) and all(isinstance(v, cls) for v in value)
                )
        return lambda value: (
            isinstance(value, list | tuple)
            and not isinstance(value, str | bytes)
            and all(item(v) for v in value)
        )
    if origin in (dict, Mapping, typing.Mapping):
        if len(args) != 2:
            return lambda value: isinstance(value, Mapping)
        key_check, value_check = _checker(args[0]), _checker(args[1])
        return lambda value: (
            isinstance(value, Mapping)
            and all(key_check(k) and value_check(v) for k, v in value.items())
        )
    if origin is tuple:
        return lambda value: isinstance(value, tuple)
    if origin is not None:
        return _anything  # a generic we do not know: not ours to refuse
    if annotation is bool:
        return lambda value: isinstance(value, bool)
    if annotation is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return lambda value: isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            members = {m.value for m in annotation}
            cls = annotation
            return lambda value: isinstance(value, cls) or value in members
        cls = annotation
        return lambda value: isinstance(value, cls)
    return _anything


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
