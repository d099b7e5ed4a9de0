"""Direct model calls as ``chat`` spans: ``model.generate(call)`` and the other faces,
`fantasy.generate_object`, an MCP server's sampling request, outside any agent.

Agents are watched through their observer seam; a model has none, and the loop and the
providers know nothing of telemetry. So, as OpenTelemetry's instrumentations do for the
libraries they trace, `install` wraps from outside: the ``agenerate`` and ``astream``
each subclass of `fantasy.model.BaseLanguageModel` defines (fantasy's providers,
`FallbackModel`, `LimitedModel`, `FakeModel`, the user's own), including classes
defined later (a provider imported after `fantasy.telemetry.instrument`), and
`uninstall` puts the originals back. The sync faces call these two, so all four are
traced. Until `install`, nothing is wrapped: an untraced program pays nothing.

A call made while a traced request runs (the agent's ``chat`` span, or an outer direct
call's: a fallback model asking its members, a limiter its model, a provider model its
parent class) is not traced again (`tracing.IN_CHAT`). A class whose calls are not
requests (a stand-in that records calls, as ``fantasy.batch`` builds) sets
``_not_a_request = True`` and is left alone.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.telemetry.tracing import IN_CHAT, DirectCalls, Telemetry, TracedModel
from fantasy.types import StreamPart

__all__ = ["install", "installed", "uninstall"]

_telemetry: Telemetry | None = None
_wrapped: list[tuple[type, str, Any]] = []
"""(class, method name, the class's own original) for every method wrapped."""
_MISSING = object()
_HOOK = "__init_subclass__"
_own_init_subclass: Any = _MISSING
"""BaseLanguageModel's own ``__init_subclass__`` (None: it has none) while installed."""


def installed() -> Telemetry | None:
    """The `Telemetry` direct calls are traced with, or None."""
    return _telemetry


def install(telemetry: Telemetry) -> None:
    """Trace direct model calls with ``telemetry`` (replacing an earlier one). Callers
    hold `fantasy.telemetry`'s lock."""
    global _telemetry, _own_init_subclass
    _telemetry = telemetry
    if _wrapped or _own_init_subclass is not _MISSING:
        return  # the classes are wrapped already; only the telemetry changed
    _own_init_subclass = BaseLanguageModel.__dict__.get(_HOOK)
    setattr(BaseLanguageModel, _HOOK, classmethod(_on_subclass))
    for cls in _subclasses(BaseLanguageModel):
        _wrap(cls)


def uninstall() -> None:
    """Put every original method back; direct calls are no longer traced."""
    global _telemetry, _own_init_subclass
    _telemetry = None
    for cls, name, original in reversed(_wrapped):
        setattr(cls, name, original)
    _wrapped.clear()
    if _own_init_subclass is not _MISSING:
        if _own_init_subclass is None:
            delattr(BaseLanguageModel, _HOOK)
        else:
            setattr(BaseLanguageModel, _HOOK, _own_init_subclass)
        _own_init_subclass = _MISSING


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _on_subclass(cls: type[BaseLanguageModel], /, **kwargs: Any) -> None:
    """A subclass of BaseLanguageModel defined while installed: wrapped as it is made."""
    own = _own_init_subclass
    if own is None or own is _MISSING:
        super(BaseLanguageModel, cls).__init_subclass__(**kwargs)
    else:
        own.__get__(None, cls)(**kwargs)
    _wrap(cls)


def _wrap(cls: type) -> None:
    if getattr(cls, "_not_a_request", False):
        return
    for name, make in (("agenerate", _traced_agenerate), ("astream", _traced_astream)):
        original = cls.__dict__.get(name)
        if original is None or not callable(original):
            continue
        _wrapped.append((cls, name, original))
        setattr(cls, name, make(original))


def _traced_agenerate(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def agenerate(model: Any, call: Call) -> Response:
        telemetry = _telemetry
        if telemetry is None or IN_CHAT.get():
            response: Response = await original(model, call)
            return response
        # The traced model calls this method again, inside its span: IN_CHAT is set then.
        return await TracedModel(DirectCalls(telemetry), model, 0).agenerate(call)

    return agenerate


def _traced_astream(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def astream(model: Any, call: Call) -> AsyncIterator[StreamPart]:
        telemetry = _telemetry
        if telemetry is None or IN_CHAT.get():
            parts: AsyncIterator[StreamPart] = original(model, call)
            return parts
        # Opened here, as untraced (a call the model refuses raises at once), with
        # IN_CHAT set so that a stream another model's opens is not traced twice.
        inside = IN_CHAT.set(True)
        try:
            parts = original(model, call)
        finally:
            IN_CHAT.reset(inside)
        return TracedModel(DirectCalls(telemetry), model, 0).stream_of(call, parts)

    return astream
