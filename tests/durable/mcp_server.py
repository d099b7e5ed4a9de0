"""A stdio MCP server for the durable-run tests: one tool, ``lookup``, served with
`fantasy.mcp.serve`, that writes each call to FANTASY_DURABLE_LOG."""

from __future__ import annotations

import os

import fantasy
from fantasy.mcp import serve


@fantasy.tool
def lookup(key: str) -> str:
    """Look a key up."""
    with open(os.environ["FANTASY_DURABLE_LOG"], "a", encoding="utf-8") as f:
        f.write(f"server lookup {key}\n")
    return f"{key} is 42"


if __name__ == "__main__":
    serve([lookup], name="lookup-server")
