"""Conversations saved as JSON and loaded back, in the format Fantasy (Go) uses.

`api` holds `to_json`/`from_json`/`to_dict`/`from_dict`; `encode` and `decode`
the envelopes; `dataclass_json` provider data classes; `registry` which class
each of Fantasy's type ids names. `fantasy` loads this package on first use;
providers import only `registry` (to declare their classes), so the names below
load lazily and a provider import does not bring the codecs with it.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fantasy.persistence.api import SerializationError, from_dict, from_json, to_dict, to_json
    from fantasy.persistence.registry import register_provider_type

_LAZY = {
    **dict.fromkeys(
        ("SerializationError", "from_dict", "from_json", "to_dict", "to_json"),
        "fantasy.persistence.api",
    ),
    "register_provider_type": "fantasy.persistence.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Through ``__import__``, so that an import hook sees it (see fantasy.__getattr__).
    value = getattr(__import__(module, None, None, (name,)), name)
    globals()[name] = value
    return value


__all__ = [
    "SerializationError",
    "from_dict",
    "from_json",
    "register_provider_type",
    "to_dict",
    "to_json",
]
