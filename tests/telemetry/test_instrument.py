"""instrument() for every agent, telemetry= for one, and nothing at all otherwise:
no OpenTelemetry module imported, no span recorded."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fantasy
import fantasy.telemetry
from fantasy.agent import observe
from fantasy.testing import FakeModel, text_response
from tests.telemetry.conftest import Recorded

SRC = Path(__file__).resolve().parents[2] / "src" / "fantasy"


def test_an_agent_that_is_not_instrumented_loads_no_opentelemetry() -> None:
    code = textwrap.dedent(
        """
        import sys, asyncio
        import fantasy
        from fantasy.testing import FakeModel, text_response
        agent = fantasy.Agent(FakeModel([text_response("a")] * 4), name="quiet")
        agent.generate("hi")
        agent.stream("hi").result
        asyncio.run(agent.agenerate("hi"))
        asyncio.run(agent.astream("hi").collect())
        watched = ("opentelemetry", "fantasy.telemetry")
        loaded = sorted(m for m in sys.modules if m.startswith(watched))
        print(loaded)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_agent_layer_never_imports_opentelemetry() -> None:
    for path in (SRC / "agent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n.startswith("opentelemetry")], path


def test_instrument_traces_every_agent_until_uninstrumented(otel: Recorded) -> None:
    agent = fantasy.Agent(FakeModel([text_response("one"), text_response("two")]))
    installed = fantasy.telemetry.instrument(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )
    assert fantasy.telemetry.is_instrumented()
    assert observe.observers() == (installed,)
    agent.generate("hi")
    assert [s.name for s in otel.spans] == ["invoke_agent", "chat fake-model"]
    fantasy.telemetry.uninstrument()
    assert observe.observers() == ()
    otel.exporter.clear()
    agent.generate("hi")
    assert otel.spans == []


def test_instrumenting_again_replaces_the_settings(otel: Recorded) -> None:
    first = fantasy.telemetry.instrument(tracer_provider=otel.tracer_provider)
    second = fantasy.telemetry.instrument(
        tracer_provider=otel.tracer_provider, capture_content=True
    )
    assert observe.observers() == (second,)
    assert first is not second
    fantasy.Agent(FakeModel([text_response("hi")])).generate("hello")
    (chat,) = otel.named("chat")
    assert "gen_ai.input.messages" in dict(chat.attributes or {})


def test_an_agent_s_own_telemetry_records_only_its_runs(otel: Recorded) -> None:
    watched = fantasy.Agent(
        FakeModel([text_response("a")]), name="watched", telemetry=otel.telemetry()
    )
    other = fantasy.Agent(FakeModel([text_response("b")]), name="other")
    other.generate("hi")
    watched.generate("hi")
    assert [s.name for s in otel.spans] == ["invoke_agent watched", "chat fake-model"]


def test_global_and_own_telemetry_both_record(otel: Recorded) -> None:
    mine = Recorded()
    fantasy.telemetry.instrument(tracer_provider=otel.tracer_provider)
    agent = fantasy.Agent(FakeModel([text_response("a")]), telemetry=[mine.telemetry()])
    agent.generate("hi")
    assert [s.name for s in otel.spans] == ["invoke_agent", "chat fake-model"]
    assert [s.name for s in mine.spans] == ["invoke_agent", "chat fake-model"]


def test_without_the_otel_extra_the_error_says_what_to_install() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
        try:
            import fantasy.telemetry
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'fantasy[otel]'" in out


def test_wrong_settings_are_refused(otel: Recorded) -> None:
    with pytest.raises(TypeError, match="redact must be a function"):
        otel.telemetry(redact="yes")
    with pytest.raises(fantasy.InvalidArgumentError, match="start_run"):
        observe.add_observer(object())  # type: ignore[arg-type]
