"""Server tool names made acceptable to every provider.

OpenAI, Anthropic and Gemini accept a tool name only if it matches
``^[a-zA-Z0-9_-]{1,64}$``; an MCP server may call its tool ``files.read`` or, after a
prefix, something longer, and the provider would answer the whole request with a 400.
So the name the model sees is mapped: every other character becomes ``_``, and a name
still too long keeps its first characters and ends in a short hash of the full name,
so it is the same on every listing and every process. The call goes to the server
under its own name (`fantasy.mcp.tool.MCPTool.mcp_name`).
"""

from __future__ import annotations

import hashlib
import re

MAX_TOOL_NAME = 64
"""The longest tool name the providers accept."""

HASH_LENGTH = 8
"""Hex digits of the hash that ends a shortened name."""

_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def provider_safe(name: str) -> str:
    """``name`` itself when every provider accepts it, else its mapped form."""
    if _VALID.match(name):
        return name
    mapped = _INVALID.sub("_", name) or "tool"
    if len(mapped) <= MAX_TOOL_NAME:
        return mapped
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{mapped[: MAX_TOOL_NAME - HASH_LENGTH - 1]}_{digest}"
