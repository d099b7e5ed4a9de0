"""Value classes that are free to define and are still dataclasses to everyone else.

``@dataclass`` writes each class's ``__init__``, ``__repr__`` and ``__eq__`` as source
text and compiles it while the module is imported (about 0.4 ms a class here), and
importing `dataclasses` loads `inspect` with `ast`, `dis` and `tokenize`. For the
33 classes a provider needs (the message and stream vocabulary, `Call`, `Response`,
the HTTP limits) that was over half of what ``import fantasy.providers.openai`` cost.

A `Record` subclass lists its fields in ``__slots__`` and writes its ``__init__``
by hand, so the interpreter compiles it once into the ``.pyc``; ``__repr__``,
``__eq__`` and ``__match_args__`` come from the field names, as a dataclass's would.
To `dataclasses` it is a dataclass: ``fields``, ``replace``, ``asdict`` and
``is_dataclass`` read ``__dataclass_fields__``, which a `Record` builds from its
``__init__`` signature and annotations the first time anyone asks (someone who has
imported `dataclasses` already), and keeps.

Rules for a subclass (``tests/unit/test_record.py`` holds every `Record` to them):
``__slots__`` names the class's own fields in order; ``__init__`` takes the fields it
initializes as a dataclass's would (positional ones in field order, then keyword-only
ones; a field it sets to a constant, such as a part's ``type``, is no parameter) and
sets every slot; a mutable default is ``None`` in the signature, replaced by a fresh
value in the body.
"""

from __future__ import annotations

import operator
import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

if TYPE_CHECKING:
    import dataclasses

R = TypeVar("R", bound="Record")

__all__ = ["Record", "as_dict", "field_names", "frozen_error", "replaced"]


class _DataclassView:
    """``__dataclass_fields__`` and ``__dataclass_params__`` of a `Record` class, made on
    first read and then stored on the class in place of this descriptor."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type[Record]) -> Any:
        if owner is Record:
            raise AttributeError(self.name)
        _describe_as_dataclass(owner)
        return owner.__dict__[self.name]


class Record:
    """Base of fantasy's value classes; see the module's docstring."""

    __slots__ = ()

    if TYPE_CHECKING:  # what type checkers (and `dataclasses.replace`'s stub) expect
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
        __dataclass_params__: ClassVar[Any]
    else:
        __dataclass_fields__ = _DataclassView("__dataclass_fields__")
        __dataclass_params__ = _DataclassView("__dataclass_params__")
    _record_fields: ClassVar[tuple[str, ...]] = ()
    _record_values: ClassVar[Any]
    _record_shown: ClassVar[tuple[str, ...]] = ()
    _record_unshown: ClassVar[frozenset[str]] = frozenset()
    _record_uncompared: ClassVar[frozenset[str]] = frozenset()
    _record_frozen: ClassVar[bool] = False
    _record_constants: ClassVar[dict[str, Any]] = {}
    _record_factories: ClassVar[dict[str, Callable[[], Any]]] = {}
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(
        cls,
        *,
        frozen: bool = False,
        not_in_repr: tuple[str, ...] = (),
        not_compared: tuple[str, ...] = (),
        constants: dict[str, Any] | None = None,
        factories: dict[str, Callable[[], Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``frozen``, ``not_in_repr`` and ``not_compared`` are `dataclasses.dataclass`'s
        ``frozen`` and `dataclasses.field`'s ``repr=False`` and ``compare=False``;
        ``constants`` names the fields ``__init__`` sets to a constant (a dataclass's
        ``field(default=..., init=False)``), which the dataclass description gives as
        their defaults: pydantic, for one, builds instances from it; ``factories``
        names the fields whose ``None`` default ``__init__`` replaces with a fresh value
        (a dataclass's ``field(default_factory=...)``), described so."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__slots__", ())
        names = (own,) if isinstance(own, str) else tuple(own)
        fields = cls._record_fields + names
        cls._record_fields = fields
        cls._record_frozen = frozen or cls._record_frozen
        cls._record_constants = {**cls._record_constants, **(constants or {})}
        cls._record_factories = {**cls._record_factories, **(factories or {})}
        cls._record_unshown = cls._record_unshown | frozenset(not_in_repr)
        cls._record_uncompared = cls._record_uncompared | frozenset(not_compared)
        cls._record_shown = tuple(n for n in fields if n not in cls._record_unshown)
        compared = tuple(n for n in fields if n not in cls._record_uncompared)
        cls._record_values = operator.attrgetter(*compared) if compared else _no_values
        code = getattr(cls.__init__, "__code__", None)
        if code is not None:
            match_args = tuple(
                name for name in code.co_varnames[1 : code.co_argcount] if name in fields
            )
            type.__setattr__(cls, "__match_args__", match_args)
        # Each class its own view: a subclass must not find its base's description.
        for attribute in ("__dataclass_fields__", "__dataclass_params__"):
            if attribute not in cls.__dict__:  # @dataclass on a subclass made its own
                type.__setattr__(cls, attribute, _DataclassView(attribute))
        if cls._record_frozen:
            cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign,assignment]
            cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign,assignment]
            cls.__hash__ = _hash_of_values  # type: ignore[method-assign,assignment]
            cls.__getstate__ = _frozen_getstate  # type: ignore[method-assign,assignment]
            cls.__setstate__ = _frozen_setstate  # type: ignore[attr-defined]

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
        return f"{type(self).__qualname__}({shown})"

    def __replace__(self, **changes: Any) -> Any:
        """``copy.replace(record, ...)`` (Python 3.13), as a dataclass has it."""
        return replaced(self, **changes)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        values = self._record_values
        return bool(values(self) == values(other))


def field_names(record: Record | type[Record]) -> tuple[str, ...]:
    """The field names of a `Record` (class or instance) in order, as
    ``[f.name for f in dataclasses.fields(record)]`` without importing `dataclasses`."""
    return record._record_fields


def as_dict(record: Record) -> dict[str, Any]:
    """`dataclasses.asdict` of a `Record`, for JSON bodies: its fields by name, with the
    Records, lists, tuples and dicts inside turned likewise (other values as they are)."""
    if not isinstance(record, Record):
        raise TypeError(f"as_dict() takes a Record, not {type(record).__name__}")
    return {name: _plain(getattr(record, name)) for name in record._record_fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return as_dict(value)
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def replaced(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes``, as `dataclasses.replace` makes one (through
    ``__init__``, so its checks run) without importing `dataclasses`."""
    code: Any = type(record).__init__.__code__
    parameters = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    values = {name: getattr(record, name) for name in parameters}
    values.update(changes)
    return type(record)(**values)


def _no_values(_: object) -> tuple[()]:
    return ()


def _hash_of_values(self: Record) -> int:
    return hash(self._record_values(self))


def frozen_error(name: str) -> NoReturn:
    """Raise `dataclasses.FrozenInstanceError`, as a frozen dataclass does."""
    import dataclasses

    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_setattr(self: Record, name: str, value: Any) -> None:
    frozen_error(name)


def _frozen_delattr(self: Record, name: str) -> None:
    frozen_error(name)


def _frozen_getstate(self: Record) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self._record_fields)


def _frozen_setstate(self: Record, state: tuple[Any, ...]) -> None:
    # pickle and copy restore a frozen record's fields past its __setattr__.
    for name, value in zip(self._record_fields, state, strict=True):
        object.__setattr__(self, name, value)


def _describe_as_dataclass(cls: type[Record]) -> None:
    """Store on ``cls`` the ``__dataclass_fields__`` and ``__dataclass_params__`` that
    ``@dataclass`` would have made: the same names, order, annotations, init flags,
    keyword-only flags and defaults, read off the class and its ``__init__``."""
    import dataclasses

    init: Any = cls.__init__
    code = init.__code__
    positional = code.co_varnames[1 : code.co_argcount]
    keyword = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    given = init.__defaults__ or ()
    defaults: dict[str, Any] = dict(
        zip(positional[len(positional) - len(given) :], given, strict=True)
    )
    defaults.update(init.__kwdefaults__ or {})
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        # Not inspect.get_annotations: importing inspect is what this module avoids.
        annotations.update(klass.__dict__.get("__annotations__", {}))  # noqa: RUF063
    namespace: dict[str, Any] = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__annotations__": {name: annotations.get(name, Any) for name in cls._record_fields},
    }
    defaults.update(cls._record_constants)
    for name in cls._record_fields:
        factory = cls._record_factories.get(name)
        namespace[name] = dataclasses.field(
            default=dataclasses.MISSING if factory else defaults.get(name, dataclasses.MISSING),
            default_factory=factory or dataclasses.MISSING,
            init=name in positional or name in keyword,
            repr=name not in cls._record_unshown,
            compare=name not in cls._record_uncompared,
            kw_only=name in keyword,
        )
    # Only the description is wanted: no methods are generated, nothing is compiled.
    shadow: type = dataclasses.dataclass(
        type(cls.__name__, (), namespace),
        init=False,
        repr=False,
        eq=False,
        frozen=cls._record_frozen,
    )
    for attribute in ("__dataclass_fields__", "__dataclass_params__"):
        type.__setattr__(cls, attribute, shadow.__dict__[attribute])
