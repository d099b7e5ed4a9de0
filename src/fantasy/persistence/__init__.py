"""Conversations saved as JSON and loaded back, in the format Fantasy (Go) uses.

`api` holds `to_json`/`from_json`/`to_dict`/`from_dict`; `encode` and `decode`
the envelopes; `dataclass_json` provider data classes; `registry` which class
each of Fantasy's type ids names. `fantasy` loads this package on first use.
"""

from fantasy.persistence.api import SerializationError, from_dict, from_json, to_dict, to_json
from fantasy.persistence.registry import register_provider_type

__all__ = [
    "SerializationError",
    "from_dict",
    "from_json",
    "register_provider_type",
    "to_dict",
    "to_json",
]
