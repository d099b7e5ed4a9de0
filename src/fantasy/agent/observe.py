"""Hooks through which a capability watches agent runs from outside the loop.

Telemetry (`fantasy.telemetry`) and anything like it implement `AgentObserver`; the
loop knows only this module. An observer is registered for every agent
(`add_observer`) or given to one (``Agent(..., telemetry=observer)``). When a run
starts, each observer may return a `RunObserver` for that run, which then hears every
model request (each attempt, retries included, by wrapping the model the attempt
uses), every tool run, and the run's end. While the run's own code runs (the user's
``prepare_step``, ``on_*`` callbacks, stop conditions, tools), an observer that has
``activate`` is made current (`observed`, `ObservedParts`), so telemetry's run span
is the parent of spans the user opens there.

Without observers a run costs one check when it starts and one per attempt and per
tool run: nothing per streamed part, since the model is wrapped only when observed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from fantasy import _runtime

if TYPE_CHECKING:
    from fantasy.agent.run_types import AgentResult
    from fantasy.model import Call, LanguageModel
    from fantasy.types import ToolCallContent, ToolResultContent

__all__ = [
    "AgentObserver",
    "ObservedParts",
    "RunObserver",
    "RunStart",
    "add_observer",
    "observed",
    "observers",
    "remove_observer",
]


class RunStart:
    """What an observer learns when a run starts."""

    __slots__ = ("agent", "stream")

    def __init__(self, agent: Any, stream: bool):
        self.agent = agent
        """The `fantasy.Agent` (its ``name``, ``model``, ``system_prompt``...)."""
        self.stream = stream
        """True for ``stream``/``astream``, False for ``generate``/``agenerate``."""


@runtime_checkable
class RunObserver(Protocol):
    """One run, watched. Its methods are called from the run's own task."""

    def model(self, model: LanguageModel, call: Call) -> LanguageModel:
        """The model one attempt of a step uses: ``model`` itself, or a wrapper that
        watches its ``agenerate`` / ``astream``. Called again for each retry of the
        step with the same ``call``."""
        ...

    def tool(
        self,
        call: ToolCallContent,
        tool_type: str,
        execute: Callable[[], Awaitable[ToolResultContent]],
    ) -> Awaitable[ToolResultContent]:
        """Run ``execute`` (one tool call: ``tool_type`` is ``"function"`` for an agent
        tool, ``"extension"`` for a provider tool run here) and return its result; an
        exception it raises (a `fantasy.ToolExecutionError`) must propagate."""
        ...

    def end(self, result: AgentResult[Any] | None, error: BaseException | None) -> None:
        """The run finished with ``result``, failed with ``error``, or (both None) was
        closed before it finished."""
        ...

    # Optional: ``activate(self) -> Callable[[], None]`` makes the run current in the
    # calling context (for the code the run runs next) and returns the function that
    # undoes it. The loop calls both in the same task, before control leaves the run:
    # around a whole `generate`, and around each part a stream produces. Observers
    # without it are simply not made current.


@runtime_checkable
class AgentObserver(Protocol):
    """Something that watches runs: returns a `RunObserver` per run, or None to skip it."""

    def start_run(self, start: RunStart) -> RunObserver | None: ...


T = TypeVar("T")

_lock = _runtime.module_lock()
_global: tuple[AgentObserver, ...] = ()


def add_observer(observer: AgentObserver) -> None:
    """Watch every agent's runs from now on (once, however often it is added)."""
    global _global
    _check(observer, "add_observer")
    with _lock:
        if observer not in _global:
            _global = (*_global, observer)


def remove_observer(observer: AgentObserver) -> None:
    """Stop watching with ``observer``; unknown ones are ignored."""
    global _global
    with _lock:
        _global = tuple(o for o in _global if o is not observer)


def observers() -> tuple[AgentObserver, ...]:
    """The observers registered for every agent."""
    return _global


def _check(observer: object, where: str) -> None:
    if not callable(getattr(observer, "start_run", None)):
        from fantasy.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"{where}: expected an observer with start_run() (such as "
            f"fantasy.telemetry.Telemetry()), got {type(observer).__name__}"
        )


def agent_observers(value: object) -> tuple[AgentObserver, ...]:
    """``Agent(telemetry=...)`` as a tuple of observers: one, a list of them, or None."""
    if value is None:
        return ()
    items: Sequence[object] = value if isinstance(value, list | tuple) else (value,)
    for item in items:
        _check(item, "Agent: telemetry")
    return tuple(items)  # type: ignore[arg-type]


def watching(own: tuple[AgentObserver, ...]) -> bool:
    """Whether a run of an agent with ``own`` observers may be observed."""
    return bool(_global or own)


def start_run(own: tuple[AgentObserver, ...], start: Callable[[], RunStart]) -> RunObserver | None:
    """The run's observer: those of every agent then the agent's own, or None (the usual
    case, decided without building anything)."""
    everyone = _global
    if not everyone and not own:
        return None
    info = start()
    watching = [w for o in (*everyone, *own) if (w := o.start_run(info)) is not None]
    if not watching:
        return None
    return watching[0] if len(watching) == 1 else _Several(watching)


class _Several:
    """Several observers of one run, nested in registration order (the first outermost)."""

    def __init__(self, observers: list[RunObserver]):
        self.observers = observers

    def model(self, model: LanguageModel, call: Call) -> LanguageModel:
        for o in reversed(self.observers):
            model = o.model(model, call)
        return model

    def tool(
        self,
        call: ToolCallContent,
        tool_type: str,
        execute: Callable[[], Awaitable[ToolResultContent]],
    ) -> Awaitable[ToolResultContent]:
        for o in reversed(self.observers):
            execute = _bind(o, call, tool_type, execute)
        return execute()

    def end(self, result: AgentResult[Any] | None, error: BaseException | None) -> None:
        for o in self.observers:
            o.end(result, error)

    def activate(self) -> Callable[[], None]:
        undos = [u for o in self.observers if (u := activate(o)) is not None]

        def undo() -> None:
            for u in reversed(undos):
                u()

        return undo


def activate(observer: RunObserver | None) -> Callable[[], None] | None:
    """Make ``observer``'s run current here, if it can be; the function that undoes it."""
    make_current = getattr(observer, "activate", None)
    return None if make_current is None else make_current()


async def observed(observer: RunObserver, run: Awaitable[T]) -> T:
    """Await ``run`` (a whole `generate`) with ``observer``'s run current."""
    undo = activate(observer)
    try:
        return await run
    finally:
        if undo is not None:
            undo()


class ObservedParts:
    """A stream run's parts, its observer started with the first part asked for and made
    current while each part is produced (and while the stream closes), never while the
    caller holds a part: the context is entered and left inside one ``__anext__``, so
    nothing leaks into the caller's code or across the tasks that read the stream."""

    __slots__ = ("_observer", "_parts", "_start", "_started")

    def __init__(self, parts: AsyncIterator[Any], start: Callable[[], RunObserver | None]):
        self._parts = parts
        self._start = start
        self._started = False
        self._observer: RunObserver | None = None

    def __aiter__(self) -> ObservedParts:
        return self

    async def __anext__(self) -> Any:
        if not self._started:
            self._started = True
            self._observer = self._start()
        undo = activate(self._observer)
        try:
            return await self._parts.__anext__()
        finally:
            if undo is not None:
                undo()

    async def aclose(self) -> None:
        aclose = getattr(self._parts, "aclose", None)
        if aclose is None:
            return
        undo = activate(self._observer)
        try:
            await aclose()
        finally:
            if undo is not None:
                undo()


def _bind(
    observer: RunObserver,
    call: ToolCallContent,
    tool_type: str,
    execute: Callable[[], Awaitable[ToolResultContent]],
) -> Callable[[], Awaitable[ToolResultContent]]:
    return lambda: observer.tool(call, tool_type, execute)
