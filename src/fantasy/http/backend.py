"""Which HTTP client library a transport speaks: ``httpx`` or its successor ``httpx2``.

The two have the same API under different module names, and classes of one are not
classes of the other: an ``httpx2.Client`` is no ``httpx.Client``, and a timeout it
raises is no ``httpx.TimeoutException``. The transport therefore takes its client
library from what the caller gives (a client, or a transport of either), and catches
the exceptions of every library it may meet (`ErrorKinds`). With nothing given it
builds clients of `DEFAULT` (see the README's "HTTP client" for the measurements that
chose it). Nothing here imports a library the program has not imported already,
except the default one when a transport first needs a client.
"""

from __future__ import annotations

import sys
from types import ModuleType

from fantasy._record import Record

NAMES = ("httpx", "httpx2")
"""The client libraries a transport speaks."""

DEFAULT = "httpx"
"""The library of the clients a transport builds for itself (its own pool is httpx's
httpcore pool, tuned: `fantasy.http.pool`)."""


def library_of(value: object) -> ModuleType | None:
    """The client library ``value`` (a client, a transport, a response, an exception)
    belongs to, by its class or a base class's module; None for anything else."""
    for cls in type(value).__mro__:
        top = cls.__module__.partition(".")[0]
        if top in NAMES:
            return sys.modules.get(top)
    return None


def default_library() -> ModuleType:
    import importlib

    return importlib.import_module(DEFAULT)


def loaded_libraries() -> list[ModuleType]:
    """The client libraries this program has imported."""
    return [sys.modules[name] for name in NAMES if name in sys.modules]


class ErrorKinds(Record, frozen=True):
    """The exception classes of the client libraries a transport may meet, by kind, so
    one ``except`` clause catches either library's."""

    __slots__ = (
        "timeout",
        "transport",
        "invalid_url",
        "decoding",
        "unsupported_protocol",
        "local_protocol",
        "network",
    )

    timeout: tuple[type[Exception], ...]
    transport: tuple[type[Exception], ...]
    invalid_url: tuple[type[Exception], ...]
    decoding: tuple[type[Exception], ...]
    unsupported_protocol: tuple[type[Exception], ...]
    local_protocol: tuple[type[Exception], ...]
    network: tuple[type[Exception], ...]
    """What fails a request as sent: a transport error, an invalid URL, a header that
    does not encode."""

    def __init__(
        self,
        timeout: tuple[type[Exception], ...],
        transport: tuple[type[Exception], ...],
        invalid_url: tuple[type[Exception], ...],
        decoding: tuple[type[Exception], ...],
        unsupported_protocol: tuple[type[Exception], ...],
        local_protocol: tuple[type[Exception], ...],
        network: tuple[type[Exception], ...],
    ) -> None:
        object.__setattr__(self, "timeout", timeout)
        object.__setattr__(self, "transport", transport)
        object.__setattr__(self, "invalid_url", invalid_url)
        object.__setattr__(self, "decoding", decoding)
        object.__setattr__(self, "unsupported_protocol", unsupported_protocol)
        object.__setattr__(self, "local_protocol", local_protocol)
        object.__setattr__(self, "network", network)

    @classmethod
    def of(cls, libraries: list[ModuleType]) -> ErrorKinds:
        def kind(name: str) -> tuple[type[Exception], ...]:
            return tuple(getattr(library, name) for library in libraries)

        return cls(
            timeout=kind("TimeoutException"),
            transport=kind("TransportError"),
            invalid_url=kind("InvalidURL"),
            decoding=kind("DecodingError"),
            unsupported_protocol=kind("UnsupportedProtocol"),
            local_protocol=kind("LocalProtocolError"),
            network=(*kind("TransportError"), *kind("InvalidURL"), UnicodeEncodeError),
        )


def error_kinds() -> ErrorKinds:
    """The exception kinds of every client library imported now (the default one
    included, which a transport imports before it sends anything)."""
    libraries = loaded_libraries()
    key = tuple(library.__name__ for library in libraries)
    kinds = _KINDS.get(key)
    if kinds is None:
        kinds = _KINDS[key] = ErrorKinds.of(libraries)
    return kinds


_KINDS: dict[tuple[str, ...], ErrorKinds] = {}
