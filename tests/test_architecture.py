"""The layers of ARCHITECTURE.md, enforced: each package imports only what sits below it.

Every ``import`` and ``from ... import`` in src/fantasy is read with `ast` (the ones
inside functions too: a lazy import is still a dependency), and checked against the
rules below. A new module that crosses a layer fails here with the line to look at.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fantasy"

# Which fantasy packages a layer must never import, by the module's own package.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # The vocabulary knows nothing above it.
    "fantasy.types": ("fantasy.",),
    "fantasy.errors": ("fantasy.",),
    "fantasy._runtime": ("fantasy.",),
    "fantasy._json": ("fantasy.",),
    "fantasy._record": ("fantasy.",),
    # Transport knows URLs and bytes: no model logic, no agent, no provider.
    "fantasy.http": (
        "fantasy.agent",
        "fantasy.providers",
        "fantasy.objects",
        "fantasy.persistence",
    ),
    # Providers translate; they never reach for the agent loop or persistence.
    "fantasy.providers": (
        "fantasy.agent",
        "fantasy.persistence.api",
        "fantasy.testing",
        "fantasy.batch",  # batches wrap models from outside, through build_request
    ),
    # The agent loop knows no provider, and no capability that watches it from outside.
    "fantasy.agent": ("fantasy.providers", "fantasy.testing", "fantasy.telemetry", "fantasy.mcp"),
    # Telemetry watches runs through fantasy.agent.observe: it names no provider.
    "fantasy.telemetry": ("fantasy.providers", "fantasy.testing"),
    # Structured output and persistence know no provider and no agent.
    "fantasy.objects": ("fantasy.agent", "fantasy.providers", "fantasy.testing"),
    "fantasy.persistence": ("fantasy.agent", "fantasy.providers", "fantasy.testing"),
    # Models by name import a provider by its name, on demand, never statically.
    "fantasy.model_names": (
        "fantasy.agent",
        "fantasy.objects",
        "fantasy.persistence",
        "fantasy.providers",
        "fantasy.testing",
    ),
    # A fallback model wraps models from outside: no provider, no agent.
    "fantasy.fallback": ("fantasy.agent", "fantasy.providers", "fantasy.testing"),
    # Batch APIs wrap models and agents from outside, through the providers' seams
    # (build_request, parse_response, error readers); never the testing helpers.
    "fantasy.batch": ("fantasy.testing", "fantasy.persistence", "fantasy.durable"),
    # UI streams wrap an agent's stream from outside: they read stream parts and build
    # messages, and name no provider (nor the testing helpers the examples use).
    "fantasy.ui": ("fantasy.providers", "fantasy.testing", "fantasy.telemetry", "fantasy.durable"),
    # MCP servers give the agent tools through its Toolset seam; they name no provider.
    "fantasy.mcp": (
        "fantasy.providers",
        "fantasy.testing",
        "fantasy.telemetry",
        "fantasy.ui",
        "fantasy.durable",
        "fantasy.batch",
    ),
    # A durable run wraps the agent and its model from outside; Temporal only in there.
    "fantasy.durable": (
        "fantasy.providers",
        "fantasy.testing",
        "fantasy.telemetry",
        "fantasy.ui",
        "fantasy.batch",
    ),
}

ALLOWED_IN_VOCABULARY = {
    "fantasy",
    "fantasy.types",
    "fantasy.errors",
    "fantasy._record",
    "fantasy._runtime",
}
"""What types/errors/_runtime may import of fantasy: each other and the version."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            found.append((node.lineno, module))
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("fantasy")]


def _rule_for(module: str) -> tuple[str, tuple[str, ...]] | None:
    best: tuple[str, tuple[str, ...]] | None = None
    for layer, forbidden in FORBIDDEN.items():
        if (module == layer or module.startswith(layer + ".")) and (
            best is None or len(layer) > len(best[0])
        ):
            best = (layer, forbidden)
    return best


MODULES = sorted(SRC.rglob("*.py"))


def violations(path: Path, module: str) -> list[str]:
    """Each import of ``path`` (as module ``module``) that crosses its layer."""
    rule = _rule_for(module)
    if rule is None:
        return []
    layer, forbidden = rule
    problems = []
    for line, name in _imports(path, module):
        if layer in ("fantasy.types", "fantasy.errors", "fantasy._runtime", "fantasy._record"):
            if name not in ALLOWED_IN_VOCABULARY and not name.startswith(
                ("fantasy.types", "fantasy._record")
            ):
                problems.append(f"{path.name}:{line} imports {name}")
            continue
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden):
            problems.append(f"{path.name}:{line} imports {name} ({layer} may not)")
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_a_module_imports_only_the_layers_below_it(path: Path) -> None:
    problems = violations(path, _module_name(path))
    assert not problems, "\n".join(problems)


def test_the_check_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "loop.py"
    source.write_text(
        "def run():\n"
        "    from fantasy.providers import openai\n"
        "    return openai\n"
        "from ..http import transport\n"
    )
    problems = violations(source, "fantasy.agent.loop")
    assert problems == [
        "loop.py:2 imports fantasy.providers (fantasy.agent may not)",
        "loop.py:2 imports fantasy.providers.openai (fantasy.agent may not)",
    ]
    assert len(violations(source, "fantasy.http.shell")) == 2
    assert violations(source, "fantasy.testing.fake") == []
    assert violations(source, "fantasy.types") != []


def test_the_rules_cover_every_package() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert {"agent", "http", "objects", "persistence", "providers"} <= packages
