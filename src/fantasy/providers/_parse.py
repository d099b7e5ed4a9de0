"""Provider options from plain JSON (Fantasy's ``ParseOptions``), for every provider whose
options are saved in Fantasy's JSON shape: a configuration file or a saved request can
name them without building the classes by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fantasy.errors import InvalidArgumentError, SerializationError

T = TypeVar("T")


def parse_options(cls: type[T], data: Mapping[str, Any], label: str) -> T:
    """``cls`` from ``data`` in Fantasy's JSON shape (its field names, e.g. ``log_probs``);
    unknown keys are ignored, as Go's decoder does. A value of the wrong type is an
    `InvalidArgumentError` naming it (``openrouter.reasoning.effort: expected a
    string, got number``)."""
    if not isinstance(data, Mapping):
        raise InvalidArgumentError(
            f"{label} provider options should be an object, got {type(data).__name__}"
        )
    from fantasy.persistence.dataclass_json import decode_object

    try:
        return decode_object(cls, dict(data), label)
    except SerializationError as exc:
        raise InvalidArgumentError(f"{label} provider options: {exc}") from None
