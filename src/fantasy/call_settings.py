"""The generation settings of a model call, declared once.

`CallSettings` is the one definition of the generation settings (``temperature``,
``max_output_tokens``, ...). Everything else derives from it:

* `fantasy.Call` and `fantasy.objects.ObjectCall` inherit its fields, so a
  provider reads ``call.temperature`` as a plain attribute;
* the agent keeps its defaults as a `CallSettings`, and a run's settings are the
  call's keyword arguments `merge`d over them (the call wins, ``None`` is "not set");
* the option checks (`fantasy._options`) take each setting's name and type from
  `SETTING_TYPES`, and an integer setting's lower bound from `SETTING_BOUNDS`;
* the persistence codecs write and read `SETTING_NAMES`, in this order (Fantasy's).

The keyword arguments of ``Agent(...)``, ``agent.generate(...)`` and
``generate_object(...)`` still spell each setting, as ``Unpack[TypedDict]`` must for
mypy; ``tests/unit/test_call_settings.py`` fails when they drift from this class.

Only settings whose rule is "``None`` is not set, the call's value wins" belong here.
``headers`` and ``provider_options`` are maps merged key by key, ``tool_choice`` names
tools and is overridden per step, ``user_agent`` and ``timeout`` are transport settings
that persistence leaves out: each keeps its own spelling where it is used.
"""

# No ``from __future__ import annotations``: the annotations stay types, which the
# option checks and the decoder read when imported, at no cost.

from collections.abc import Mapping
from types import NoneType
from typing import Any, get_args

from fantasy._record import Record

__all__ = [
    "SETTING_BOUNDS",
    "SETTING_NAMES",
    "SETTING_TYPES",
    "CallSettings",
    "merge",
    "values",
]


class CallSettings(Record):
    """How the model generates; ``None`` means "not set": the provider sends nothing."""

    __slots__ = (
        "max_output_tokens",
        "temperature",
        "top_p",
        "top_k",
        "presence_penalty",
        "frequency_penalty",
    )

    max_output_tokens: int | None
    """Most tokens the answer may have."""
    temperature: float | None
    top_p: float | None
    top_k: int | None
    presence_penalty: float | None
    frequency_penalty: float | None

    def __init__(
        self,
        *,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
    ) -> None:
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.presence_penalty = presence_penalty
        self.frequency_penalty = frequency_penalty


def _scalar(annotation: Any) -> type:
    kinds = [a for a in get_args(annotation) if a is not NoneType]
    if len(kinds) != 1 or not isinstance(kinds[0], type):
        raise TypeError(f"a CallSettings field must be `T | None`, got {annotation!r}")
    return kinds[0]


SETTING_NAMES: tuple[str, ...] = CallSettings._record_fields
"""The settings, in declaration order (the order of Fantasy's JSON)."""
SETTING_TYPES: dict[str, type] = {
    name: _scalar(CallSettings.__annotations__[name]) for name in SETTING_NAMES
}
"""Each setting's value type when set (``int``, ``float``)."""
SETTING_BOUNDS: dict[str, int] = {"max_output_tokens": 1, "top_k": 0}
"""The smallest value an integer setting accepts."""
_NAME_SET = frozenset(SETTING_NAMES)
_new = CallSettings.__new__


def merge(defaults: CallSettings, given: Mapping[str, Any]) -> CallSettings:
    """The settings in ``given`` (keyword arguments; other names are ignored) over
    ``defaults``, setting by setting: a value that is not ``None`` wins, so
    ``temperature=0`` overrides and ``temperature=None`` keeps the default.

    ``merge(CallSettings(), options)`` reads the settings out of keyword arguments.
    When ``given`` names no setting (the usual call), the answer is ``defaults`` itself.
    """
    if _NAME_SET.isdisjoint(given):
        return defaults
    merged = _new(CallSettings)  # the values are checked already: no __init__ needed
    for name in SETTING_NAMES:
        value = given.get(name)
        setattr(merged, name, getattr(defaults, name) if value is None else value)
    return merged


def values(settings: CallSettings) -> dict[str, Any]:
    """The settings as keyword arguments, for building a `Call` or `ObjectCall`
    (which inherit them): ``Call(prompt=..., **values(settings))``."""
    out = {}
    for name in SETTING_NAMES:  # a loop: faster than a comprehension here, once per run
        out[name] = getattr(settings, name)
    return out
