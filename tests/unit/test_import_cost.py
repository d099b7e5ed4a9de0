"""What `import fantasy` and one provider load: no optional capability's library, no
HTTP client, and none of the standard library modules only used later (issue 23: the
import budget of DESIGN §6). Times are not asserted; benchmarks/bench_import.py measures
them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOT_AT_IMPORT = (
    # optional capabilities, each behind its extra
    "mcp",
    "opentelemetry",
    "temporalio",
    "starlette",
    "llama_cpp",
    # the HTTP clients and pydantic: loaded by the first request or schema
    "httpx",
    "httpx2",
    "pydantic",
    "anyio",
    # standard library modules used only on some paths (an id, a Retry-After date, an
    # error's status phrase); uuid alone loads platform
    "uuid",
    "platform",
    "datetime",
    "http",
    # logging (with traceback, string, textwrap) comes with the first request's log check
    "logging",
    # base64 (with struct, binascii): the first file part or credential check
    "base64",
)


@pytest.mark.parametrize(
    "statement",
    ["import fantasy", "import fantasy; from fantasy.providers import openai"],
)
def test_import_loads_nothing_it_does_not_need(statement: str) -> None:
    code = (
        f"import sys, json\n{statement}\n"
        f"names = {list(NOT_AT_IMPORT)!r}\n"
        "print(json.dumps(sorted(n for n in names if any(m == n or m.startswith(n + '.') "
        "for m in sys.modules))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_every_public_name_loads_on_first_use() -> None:
    """`fantasy` imports its names lazily (PEP 562): each name in `__all__` is still
    there, the same object as in its module, and `from fantasy import *` binds them all."""
    code = (
        "import fantasy\n"
        "missing = [n for n in fantasy.__all__ if getattr(fantasy, n, None) is None]\n"
        "ns = {}\n"
        "exec('from fantasy import *', ns)\n"
        "from fantasy.agent import Agent\n"
        "from fantasy.types import Usage\n"
        "import json\n"
        "print(json.dumps([missing, sorted(set(fantasy.__all__) - set(ns)),"
        " fantasy.Agent is Agent and ns['Usage'] is Usage]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [[], [], True]


def test_an_unknown_name_is_an_attribute_error() -> None:
    import fantasy

    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        fantasy.NoSuchThing  # noqa: B018


def test_the_three_name_lists_of_the_package_agree() -> None:
    """`fantasy/__init__.py` names each public name three times, for three readers: the
    imports under TYPE_CHECKING (type checkers), `_LAZY` (the first-use loader) and the
    literal `__all__` (star imports and re-export checks). A name added to one list only
    would be invisible to one of them."""
    import ast

    import fantasy

    tree = ast.parse(Path(fantasy.__file__).read_text(encoding="utf-8"))
    checked: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.ImportFrom):
                    checked.update(alias.asname or alias.name for alias in stmt.names)
    lazy = set(fantasy._LAZY)  # type: ignore[attr-defined]
    assert lazy == set(fantasy.__all__)
    assert checked == lazy
