"""Fantasy tools served over stdio MCP by `fantasy.mcp.serve`, for the integration tests.

Run as a script: ``python served_tools.py MARKER_DIR``. Each tool that runs writes a
file named after itself in MARKER_DIR, so a test sees which ones ran.
"""

from __future__ import annotations

import sys
from pathlib import Path

import fantasy
from fantasy.mcp import serve

MARKERS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")


def _ran(name: str) -> None:
    (MARKERS / name).touch()


@fantasy.tool
def add(a: int, b: int) -> str:
    """Add two numbers."""
    _ran("add")
    return str(a + b)


@fantasy.tool(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    _ran("delete_file")
    return f"deleted {path}"


@fantasy.tool(needs_approval=lambda call: call.amount > 100)
def pay(amount: int) -> str:
    """Pay an amount."""
    _ran(f"pay-{amount}")
    return f"paid {amount}"


@fantasy.tool(deferred=True)
def ask_manager(question: str) -> str:
    """Ask the manager; the answer arrives later."""
    _ran("ask_manager")
    return "yes"


if __name__ == "__main__":
    serve([add, delete_file, pay, ask_manager], name="guarded")
