"""Provider data classes to JSON values and back, generically, from their fields.

Provider options and metadata are plain dataclasses; writing a serializer per
class would drift from the classes. Instead each field is written under its
JSON name (`fantasy.persistence.registry.field_spec`) and read back by its type hint, with
Go's decoding rules: unknown keys are ignored, a missing key or ``null`` leaves
the field at its default (or the zero value of its type), and a value of the
wrong JSON type is an error that names where it was found.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

from fantasy.errors import SerializationError
from fantasy.persistence.registry import field_spec

T = TypeVar("T")

_hints_cache: dict[type, dict[str, Any]] = {}


def json_kind(value: Any) -> str:
    """The JSON name of a loaded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# --------------------------------------------------------------------------- encoding


def encode(value: Any, path: str) -> Any:
    """Any value found in provider data (or tool args) as plain JSON."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value, path)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")  # Go's []byte
    if isinstance(value, list | tuple):
        return [encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return {str(k): encode(v, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_object(value, path)
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a pydantic model, without importing pydantic
        return dump(mode="json", by_alias=True)
    raise SerializationError(path, f"cannot save a value of type {type(value).__qualname__}")


def encode_object(obj: Any, path: str) -> dict[str, Any]:
    """A dataclass as a JSON object: every init field under its JSON name, except
    the ones Go would leave out as empty."""
    cls = type(obj)
    spec = field_spec(cls)
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        value = getattr(obj, f.name)
        if spec.omits(f.name) and _is_empty(value, _admits_none(hints.get(f.name, Any))):
            continue
        name = spec.json_name(f.name)
        out[name] = encode(value, f"{path}.{name}")
    return out


def _is_empty(value: Any, pointer: bool) -> bool:
    """Go's omitempty: nil, empty strings and collections, and - for fields that are not
    pointers in Go (not Optional here) - false and zero."""
    if value is None:
        return True
    if isinstance(value, str | bytes | list | tuple | dict):
        return len(value) == 0
    if not pointer and isinstance(value, bool | int | float):
        return not value
    return False


# --------------------------------------------------------------------------- decoding


def decode_object(cls: type[T], data: Any, path: str) -> T:
    """An instance of ``cls`` (a dataclass or pydantic model) from a JSON object."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SerializationError(path, f"expected an object, got {json_kind(data)}")
    if not dataclasses.is_dataclass(cls):
        validate = getattr(cls, "model_validate", None)
        if callable(validate):
            try:
                return typing.cast(T, validate(data))
            except ValueError as exc:
                raise SerializationError(path, str(exc)) from exc
        raise SerializationError(path, f"{cls.__qualname__} is neither a dataclass nor a model")
    spec = field_spec(cls)
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        name = spec.json_name(f.name)
        hint = hints.get(f.name, Any)
        raw = data.get(name)
        where = f"{path}.{name}"
        if raw is None and not _admits_none(hint):
            if _has_default(f):
                continue
            kwargs[f.name] = _zero(hint, where)
            continue
        kwargs[f.name] = coerce(hint, raw, where)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise SerializationError(path, f"cannot build {cls.__qualname__}: {exc}") from exc


def coerce(hint: Any, value: Any, path: str) -> Any:
    """``value`` checked against (and shaped by) the type hint ``hint``."""
    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _coerce_union(hint, value, path)
    if origin is Literal:
        return _coerce_literal(hint, value, path)
    if origin in (list, tuple) or hint in (list, tuple):
        if not isinstance(value, list):
            raise SerializationError(path, f"expected an array, got {json_kind(value)}")
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return [coerce(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise SerializationError(path, f"expected an object, got {json_kind(value)}")
        args = typing.get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {k: coerce(item, v, f"{path}.{k}") for k, v in value.items()}
    if hint is type(None):
        if value is not None:
            raise SerializationError(path, f"expected null, got {json_kind(value)}")
        return None
    if isinstance(hint, type):
        return _coerce_class(hint, value, path)
    return value


def _coerce_class(hint: type, value: Any, path: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise SerializationError(path, f"expected a boolean, got {json_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationError(path, f"expected an integer, got {json_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SerializationError(path, f"expected a number, got {json_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SerializationError(path, f"expected a string, got {json_kind(value)}")
        return value
    if issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise SerializationError(path, f"unknown {hint.__name__} {value!r}") from None
    if dataclasses.is_dataclass(hint) or callable(getattr(hint, "model_validate", None)):
        return decode_object(hint, value, path)
    return value


def _coerce_union(hint: Any, value: Any, path: str) -> Any:
    arms = [a for a in typing.get_args(hint) if a is not type(None)]
    if value is None:
        if len(arms) < len(typing.get_args(hint)):
            return None
        raise SerializationError(path, "expected a value, got null")
    first: SerializationError | None = None
    for arm in arms:
        try:
            return coerce(arm, value, path)
        except SerializationError as exc:
            first = first or exc
    if len(arms) == 1 and first is not None:
        raise first
    raise SerializationError(path, f"unexpected {json_kind(value)}")


def _coerce_literal(hint: Any, value: Any, path: str) -> Any:
    # Like Go's named string types, any value of the literals' JSON type is accepted:
    # a newer provider may know values this version does not.
    kinds = {json_kind(v) for v in typing.get_args(hint)}
    if json_kind(value) not in kinds:
        expected = " or ".join(sorted(kinds))
        raise SerializationError(path, f"expected a {expected}, got {json_kind(value)}")
    return value


def _zero(hint: Any, path: str) -> Any:
    """Go's zero value for a field that is missing or null and has no default."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return _zero(type(typing.get_args(hint)[0]), path)
    if origin in (list, tuple) or hint in (list, tuple):
        return []
    if origin is dict or hint is dict:
        return {}
    if hint in (str, int, float, bool):
        return hint()
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode_object(hint, {}, path)
    raise SerializationError(path, "a value is required")


def _admits_none(hint: Any) -> bool:
    if hint is Any or hint is object or hint is type(None):
        return True
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return type(None) in typing.get_args(hint)
    return False


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        try:
            hints = typing.get_type_hints(cls)
        except (NameError, TypeError):
            hints = {}  # unresolvable annotations: fields are taken as they come
        _hints_cache[cls] = hints
    return hints
