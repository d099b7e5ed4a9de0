"""A stdio server's stderr: only its last 64 KiB are kept, however much it writes, and
a server that fails to start still shows its last words."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import fantasy
from fantasy.mcp import MCPStartError
from fantasy.mcp._stderr import KEEP_BYTES
from fantasy.testing import FakeModel, text_response, tool_call_response

MEGABYTES = 16


def temp_files() -> set[str]:
    """Files open by this process in the temporary directory (a server's stderr used to
    go to one)."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()):
            out.add(target)
    return out


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc (Linux)")
def test_a_chatty_server_keeps_only_the_last_64_kib_and_nothing_on_disk(make_stdio) -> None:
    server = make_stdio("chatty", env={"CHATTY_MB": str(MEGABYTES)})
    before = temp_files()
    with server:
        connection = server._connection
        assert connection is not None and connection.stderr is not None
        model = FakeModel([tool_call_response("echo", {"text": "hi"}), text_response("ok")])
        result = fantasy.Agent(model, toolsets=[server]).generate("go")
        assert result.text == "ok"
        kept = connection.stderr.tail()
        assert temp_files() == before  # the server's stderr fills no file
    assert connection.stderr.seen > MEGABYTES * 1024 * 1024
    assert len(kept) == KEEP_BYTES
    assert kept.endswith(b"the last words of a chatty server\n")
    assert "the last words of a chatty server" in connection.stderr_tail()


def test_a_chatty_server_that_fails_to_start_shows_the_tail(make_stdio) -> None:
    server = make_stdio("chatty-crash", name="chatty", env={"CHATTY_MB": "4"})
    with pytest.raises(MCPStartError) as info:
        server.list_resources()
    message = str(info.value)
    assert 'MCP server "chatty" failed to start' in message
    assert message.rstrip().endswith("the last words of a chatty server")
    # The tail is the last lines, not megabytes of them.
    assert len(message) < 30_000
