"""Which Python class each of Fantasy's provider data type ids names, and how its
fields are spelled in JSON.

Fantasy persists provider options and metadata as ``{"type": "<type id>", "data":
{...}}`` and finds the Go type to decode into by the id (``<provider>.options``,
``<provider>.reasoning_metadata``, ...). Go providers register their ids from
``init``; here each provider declares its classes where it defines them, with the
`persisted` decorator, and they register when the provider's module is imported.
This module names no provider (a test checks it).

Saving needs no lookup: a value's class was imported, so it has registered.
Loading meets ids before classes, so an id nobody has registered yet is found by
one convention, not by a table: ``<prefix>.<rest>`` belongs to the package
``fantasy.providers.<prefix without dashes>`` (``acme-cloud.options`` to
``fantasy.providers.acmecloud``), which is imported then, and only then. So
`import fantasy` imports no provider, and loading a conversation imports the
providers its values name. A provider package that keeps some of its persisted
classes in modules it does not import itself lists them in
``PROVIDER_TYPE_MODULES``.

Field names are Fantasy's JSON names, which equal our attribute names except where
``json_names`` says otherwise. ``omit_empty`` lists the fields Go leaves out when
empty, so what we write is what a Go program would have written.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import NamedTuple, TypeVar

__all__ = [
    "PROVIDER_PACKAGE",
    "FieldSpec",
    "ProviderTypeError",
    "field_spec",
    "persisted",
    "provider_module",
    "provider_type_class",
    "provider_type_id",
    "register_provider_type",
    "registered_type_ids",
]

T = TypeVar("T", bound=type)

PROVIDER_PACKAGE = "fantasy.providers"
"""Where the package of a type id's prefix is looked for."""

CORE_TYPE_MODULES = {"fallback": "fantasy.fallback"}
"""Type id prefixes of fantasy's own persisted classes (not a provider's), and the
module that declares them."""

_ALL = "*"
_PREFIX = re.compile(r"[a-z][a-z0-9]*")


class ProviderTypeError(LookupError):
    """A type id nobody registered, or a class no type id names."""


class FieldSpec(NamedTuple):
    """How one class's attributes are spelled in JSON and which are left out when empty.

    A NamedTuple rather than a dataclass: providers import this module, and a
    NamedTuple class is much cheaper to create at import."""

    json_names: Mapping[str, str]
    omit_empty: frozenset[str]

    def json_name(self, attribute: str) -> str:
        return self.json_names.get(attribute, attribute)

    def omits(self, attribute: str) -> bool:
        return _ALL in self.omit_empty or attribute in self.omit_empty


_PLAIN = FieldSpec({}, frozenset())

# What providers declare (`persisted`), kept apart from what users register
# (`register_provider_type`), which wins.
_provided_types: dict[str, type] = {}
_provided_ids: dict[type, str] = {}
_provided_specs: dict[type, FieldSpec] = {}

_user_types: dict[str, type] = {}
_user_ids: dict[type, str] = {}
_user_specs: dict[type, FieldSpec] = {}


def _spec(json_names: Mapping[str, str] | None, omit_empty: Iterable[str]) -> FieldSpec | None:
    omitted = frozenset(omit_empty)
    if json_names or omitted:
        return FieldSpec(dict(json_names or {}), omitted)
    return None


def persisted(
    type_id: str | None = None,
    *,
    json_names: Mapping[str, str] | None = None,
    omit_empty: Iterable[str] = (),
) -> Callable[[T], T]:
    """Class decorator for a provider's options and metadata dataclasses: the Fantasy type
    id values of the class are saved under (``None`` for a class only ever found inside
    another one), its attributes' JSON names where they differ (Go's struct tags), and the
    fields Go tags ``omitempty`` (``"*"``: all of them)."""
    spec = _spec(json_names, omit_empty)

    def register(cls: T) -> T:
        if type_id is not None:
            if not type_id:
                raise ValueError("a provider type id can't be empty")
            _provided_types[type_id] = cls
            _provided_ids[cls] = type_id
        if spec is not None:
            _provided_specs[cls] = spec
        return cls

    return register


def register_provider_type(
    type_id: str,
    cls: type,
    *,
    json_names: Mapping[str, str] | None = None,
    omit_empty: Iterable[str] = (),
) -> None:
    """Make ``cls`` (a dataclass or pydantic model) persist as ``{"type": type_id, ...}``.

    As in Fantasy the last registration of an id wins, so a built-in id can be
    pointed at your own class. ``json_names`` maps attributes to JSON names where
    they differ; ``omit_empty`` lists attributes left out when empty (``"*"``: all).
    """
    if not type_id:
        raise ValueError("a provider type id can't be empty")
    _user_types[type_id] = cls
    _user_ids[cls] = type_id
    spec = _spec(json_names, omit_empty)
    if spec is not None:
        _user_specs[cls] = spec
    else:
        _user_specs.pop(cls, None)


def registered_type_ids() -> list[str]:
    """Every type id registered so far: by you, and by the providers imported so far
    (a provider's ids register when it is imported, or when loading meets one)."""
    return sorted({*_provided_types, *_user_types})


def provider_type_id(cls: type) -> str:
    """The type id a value of ``cls`` is saved under; no provider module is imported."""
    type_id = _user_ids.get(cls) or _provided_ids.get(cls)
    if type_id is None:
        raise ProviderTypeError(
            f"{cls.__module__}.{cls.__qualname__} is not a registered provider data type "
            "(see fantasy.register_provider_type)"
        )
    return type_id


def provider_module(type_id: str) -> str | None:
    """The package a type id's prefix names by convention, or None when it names none."""
    prefix = type_id.partition(".")[0].replace("-", "")
    if not _PREFIX.fullmatch(prefix):
        return None
    return f"{PROVIDER_PACKAGE}.{prefix}"


def _import(module_name: str, type_id: str) -> ModuleType | None:
    """The module, or None when there is no such module; other failures are errors."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            return None  # no provider of that name (not a dependency missing inside one)
        raise _unimportable(type_id, module_name, exc) from exc
    except ImportError as exc:
        raise _unimportable(type_id, module_name, exc) from exc


def _unimportable(type_id: str, module_name: str, exc: ImportError) -> ProviderTypeError:
    return ProviderTypeError(
        f'provider data type "{type_id}" needs {module_name}, which cannot be imported: {exc}'
    )


def _load_provider(type_id: str) -> None:
    """Import the provider that declares ``type_id``, so its classes register."""
    module_name = CORE_TYPE_MODULES.get(type_id.partition(".")[0]) or provider_module(type_id)
    if module_name is None:
        return
    package = _import(module_name, type_id)
    if package is None or type_id in _provided_types:
        return
    for name in getattr(package, "PROVIDER_TYPE_MODULES", ()):
        _import(name, type_id)
        if type_id in _provided_types:
            return


def provider_type_class(type_id: str) -> type:
    """The class values of ``type_id`` load into, importing its provider on first use."""
    cls = _user_types.get(type_id) or _provided_types.get(type_id)
    if cls is None:
        _load_provider(type_id)
        cls = _provided_types.get(type_id)
    if cls is None:
        raise ProviderTypeError(f'unknown provider data type "{type_id}"')
    return cls


def field_spec(cls: type) -> FieldSpec:
    """JSON names and omit-empty fields of ``cls`` (registered, declared, or plain)."""
    return _user_specs.get(cls) or _provided_specs.get(cls) or _PLAIN
