"""OpenTelemetry traces and metrics of agent runs (extra ``otel``: opentelemetry-api).

    import fantasy.telemetry

    fantasy.telemetry.instrument()          # every agent, OpenTelemetry's global providers
    agent = fantasy.Agent(model, telemetry=fantasy.telemetry.Telemetry(...))  # one agent

Spans and metrics follow the OpenTelemetry GenAI semantic conventions of the version
in `fantasy.telemetry.semconv.SEMCONV_VERSION`. Nothing here is imported by
``import fantasy``: an agent that is not instrumented loads no OpenTelemetry module
and pays nothing per streamed part.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

try:
    import opentelemetry.trace  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is installed in CI
    raise ImportError(
        "fantasy.telemetry needs OpenTelemetry's API: pip install 'fantasy[otel]'"
    ) from exc

from fantasy.agent.observe import add_observer, remove_observer
from fantasy.telemetry import direct
from fantasy.telemetry.content import DEFAULT_MAX_LENGTH, Redact
from fantasy.telemetry.semconv import SEMCONV_VERSION
from fantasy.telemetry.tracing import Telemetry

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["SEMCONV_VERSION", "Telemetry", "instrument", "is_instrumented", "uninstrument"]

_lock = threading.Lock()
_installed: Telemetry | None = None


def instrument(
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_content: bool = False,
    *,
    max_content_length: int = DEFAULT_MAX_LENGTH,
    redact: Redact | None = None,
    cost: bool = True,
    model_calls: bool = True,
) -> Telemetry:
    """Trace every agent's runs from now on; returns the `Telemetry` installed.

    With ``model_calls`` (the default), a model called outside an agent
    (``model.generate(call)`` and its other faces, `fantasy.generate_object`...) makes a
    ``chat`` span too (`fantasy.telemetry.direct`). Calling it again replaces the
    previous settings (one global instrumentation at a time); an agent's own
    ``telemetry=`` records beside it.
    """
    global _installed
    telemetry = Telemetry(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=capture_content,
        max_content_length=max_content_length,
        redact=redact,
        cost=cost,
    )
    with _lock:
        if _installed is not None:
            remove_observer(_installed)
        add_observer(telemetry)
        _installed = telemetry
        if model_calls:
            direct.install(telemetry)
        else:
            direct.uninstall()
    return telemetry


def uninstrument() -> None:
    """Stop tracing every agent and direct model calls (agents given their own
    ``telemetry=`` keep it)."""
    global _installed
    with _lock:
        if _installed is not None:
            remove_observer(_installed)
            _installed = None
        direct.uninstall()


def is_instrumented() -> bool:
    return _installed is not None
