"""Where provider families plug into the conformance suite.

Each module in `tests/conformance/families/` registers the builders of its
provider family (Go's builder functions) and any scenarios of its own
(thinking, web search, ...), so families are added without touching the
shared files.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import fantasy
from tests.conformance.discovery import Case
from tests.conformance.scenarios import Scenario, Setup

Builder = Callable[[Case, Any], tuple[fantasy.LanguageModel, Setup]]
ScenarioResolver = Callable[[Case], Scenario | None]

BUILDERS: dict[str, Builder] = {}
SCENARIO_RESOLVERS: list[ScenarioResolver] = []


def builder(family: str) -> Callable[[Builder], Builder]:
    """Register the model builder of a provider family (``"openai"``, ``"anthropic"``...)."""

    def register(fn: Builder) -> Builder:
        BUILDERS[family] = fn
        return fn

    return register


def scenarios(fn: ScenarioResolver) -> ScenarioResolver:
    """Register a resolver for scenarios beyond the common ones; it returns None to pass."""
    SCENARIO_RESOLVERS.append(fn)
    return fn


def load_families() -> None:
    from tests.conformance import families

    for module in pkgutil.iter_modules(families.__path__):
        importlib.import_module(f"{families.__name__}.{module.name}")


def scenario_for_case(case: Case) -> Scenario | None:
    from tests.conformance.scenarios import scenario_for

    for resolve in SCENARIO_RESOLVERS:
        found = resolve(case)
        if found is not None:
            return found
    return scenario_for(case.group, case.scenario)


load_families()
