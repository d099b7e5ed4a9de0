"""A server configured wrongly fails when it is built, naming the option."""

from __future__ import annotations

import pytest

from fantasy.errors import InvalidArgumentError
from fantasy.mcp import MCPServerHTTP, MCPServerSSE, MCPServerStdio


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MCPServerStdio(""), "command must be a non-empty string"),
        (lambda: MCPServerStdio("x", "a b"), "args must be a list of strings"),
        (lambda: MCPServerStdio("x", prefix=""), "prefix must be a non-empty string"),
        (lambda: MCPServerStdio("x", allow="add"), "allow takes a list of tool names"),
        (lambda: MCPServerStdio("x", deny="add"), "deny takes a list of tool names"),
        (lambda: MCPServerStdio("x", timeout=0), "timeout must be positive"),
        (lambda: MCPServerStdio("x", start_timeout=-1), "start_timeout must be positive"),
        (lambda: MCPServerStdio("x", protocol="2024"), "protocol must be 'auto' or 'legacy'"),
        (lambda: MCPServerHTTP("localhost:8000/mcp"), "url must be an http:// or https:// URL"),
        (lambda: MCPServerSSE("ftp://x/sse"), "url must be an http:// or https:// URL"),
    ],
)
def test_bad_options_are_refused_when_built(build, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        build()


def test_names_in_messages_and_reprs() -> None:
    assert MCPServerStdio("npx", ["-y", "server-x"], name="fs").label == 'MCP server "fs"'
    assert repr(MCPServerHTTP("https://h.example:8443/mcp")) == (
        "MCPServerHTTP('https://h.example:8443/mcp')"
    )
    assert MCPServerStdio("/usr/bin/uvx", ["mcp-server-fetch"]).label == (
        "MCP server 'uvx mcp-server-fetch'"
    )


def test_a_timeout_of_none_waits_forever() -> None:
    assert MCPServerStdio("x", timeout=None).timeout is None


def test_without_the_sdk_the_error_says_how_to_install_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys, importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'mcp' else real(name, *a)\n"
        "from fantasy.mcp import MCPServerStdio\n"
        "try:\n"
        "    MCPServerStdio('x')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "fantasy.mcp needs the MCP SDK: pip install 'fantasy[mcp]'"
