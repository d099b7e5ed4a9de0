"""Servers that hang, die, fail to start, drop their HTTP session; runs cancelled or
interrupted with Ctrl-C leave no server process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import fantasy
from fantasy.mcp import MCPStartError
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import ToolResultOutputError

from .conftest import SERVERS, HTTPServerProcess, alive, stdio, wait_gone


def tool_texts(result: fantasy.AgentResult) -> list[str]:
    out = []
    for step in result.steps:
        for r in step.content.tool_results:
            output = r.result
            out.append(output.error if isinstance(output, ToolResultOutputError) else output.text)
    return out


def test_a_call_past_the_timeout_is_a_tool_error_and_the_session_goes_on(make_stdio) -> None:
    server = make_stdio(timeout=0.5)
    model = FakeModel(
        [
            tool_call_response("sleep", {"seconds": 30}),
            tool_call_response("echo", {"text": "still here"}),
            text_response("done"),
        ]
    )
    started = time.monotonic()
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    assert time.monotonic() - started < 20
    timed_out, echoed = tool_texts(result)
    assert timed_out == f'MCP server {server.describe()}: tool "sleep" timed out after 0.5s'
    assert echoed == "still here"
    assert result.text == "done"


def test_the_default_timeout_is_documented() -> None:
    from fantasy.mcp import DEFAULT_TIMEOUT

    assert DEFAULT_TIMEOUT == 60.0
    assert stdio().timeout == 60.0


def test_a_server_that_dies_mid_run_is_restarted_once(make_stdio, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    server = make_stdio(env={"DIE_MARKER": str(marker)})
    model = FakeModel(
        [
            tool_call_response("pid", {}),
            tool_call_response("die", {}),  # the process exits; restarted, the call is sent again
            tool_call_response("pid", {}),
            text_response("done"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    before, died, after = tool_texts(result)
    assert marker.exists()
    assert died == "alive"  # the retried call, on the new process
    assert before != after
    assert not alive(int(before))


def test_a_server_that_keeps_dying_gives_the_model_an_error(make_stdio) -> None:
    server = make_stdio()  # no marker: "die" kills every process it runs in
    model = FakeModel([tool_call_response("die", {}), text_response("gave up")])
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    (error,) = tool_texts(result)
    assert "connection was lost" in error
    assert result.text == "gave up"


def test_a_server_that_fails_to_start_shows_its_stderr() -> None:
    server = stdio("crash-on-start", name="db")
    model = FakeModel([text_response("never")])
    with pytest.raises(MCPStartError) as info:
        fantasy.Agent(model, toolsets=[server]).generate("go")
    message = str(info.value)
    assert 'MCP server "db" failed to start' in message
    assert "cannot open the database: /nonexistent/db.sqlite" in message


def test_a_server_that_never_answers_times_out_with_its_stderr() -> None:
    server = stdio("silent", start_timeout=1.5)
    with pytest.raises(MCPStartError, match=r"did not finish starting within 1.5s") as info:
        server.__enter__()
    assert "starting slowly..." in str(info.value)


def test_a_secret_never_shows_in_an_error() -> None:
    server = stdio("leaky", env={"API_KEY": "sk-live-0123456789"})
    with pytest.raises(MCPStartError) as info:
        server.__enter__()
    message = str(info.value)
    assert "refusing key ***: expired" in message
    assert "sk-live-0123456789" not in message + repr(server)


def test_a_url_password_never_shows_in_an_error() -> None:
    from .conftest import free_port

    url = f"http://user:hunter2-pass@127.0.0.1:{free_port()}/mcp?token=tok-987654"
    server = fantasy.mcp.MCPServerHTTP(url, start_timeout=10)
    with pytest.raises(MCPStartError) as info:
        server.__enter__()
    shown = str(info.value) + repr(server)
    assert "hunter2-pass" not in shown and "tok-987654" not in shown


def test_a_missing_command_is_a_start_error() -> None:
    server = fantasy.mcp.MCPServerStdio("/nonexistent/mcp-server")
    with pytest.raises(MCPStartError, match="failed to start: FileNotFoundError"):
        server.__enter__()


def test_over_http(http_server: HTTPServerProcess) -> None:
    server = http_server.server(name="remote", headers={"Authorization": "Bearer s3cret"})
    assert "s3cret" not in repr(server)
    model = FakeModel(
        [
            tool_call_response(("c1", "add", {"a": 1, "b": 2}), ("c2", "auth_header", {})),
            text_response("3"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("1 + 2?")
    assert tool_texts(result) == ['{\n  "total": 3\n}', "Bearer s3cret"]


def test_over_the_older_sse_transport() -> None:
    process = HTTPServerProcess(transport="sse")
    process.start()
    try:
        server = fantasy.mcp.MCPServerSSE(process.url, headers={"X-Key": "k"})
        model = FakeModel([tool_call_response("echo", {"text": "over sse"}), text_response("ok")])
        result = fantasy.Agent(model, toolsets=[server]).generate("go")
        assert tool_texts(result) == ["over sse"]
    finally:
        process.stop()


def test_an_auth_hook_adds_headers_per_request(http_server: HTTPServerProcess) -> None:
    calls = []

    async def token() -> dict[str, str]:
        calls.append(1)
        return {"Authorization": f"Bearer t{len(calls)}"}

    server = http_server.server(auth=token)
    model = FakeModel(
        [
            tool_call_response("auth_header", {}),
            tool_call_response("auth_header", {}),
            text_response("ok"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    first, second = tool_texts(result)
    assert first.startswith("Bearer t") and second.startswith("Bearer t")
    assert first != second  # a fresh token for each request
    assert len(calls) >= 2


@pytest.mark.parametrize("protocol", ["legacy", "auto"])
def test_an_http_session_dropped_is_reconnected(http_server: HTTPServerProcess, protocol) -> None:
    server = http_server.server(protocol=protocol)

    def restart_then_call(call: object) -> object:
        http_server.stop()  # the session (and the server's memory of it) is gone
        http_server.start()
        return tool_call_response("pid", {})

    model = FakeModel([tool_call_response("pid", {}), restart_then_call, text_response("done")])
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    before, after = tool_texts(result)
    assert before.isdigit() and after.isdigit() and before != after


async def test_a_cancelled_run_leaves_no_server_behind(make_stdio) -> None:
    server = make_stdio()
    pids: list[int] = []

    def remember_pid(call) -> object:
        pids.append(int(call.prompt[-1].content[0].output.text))
        return tool_call_response("sleep", {"seconds": 60})

    model = FakeModel([tool_call_response("pid", {}), remember_pid])
    task = asyncio.ensure_future(fantasy.Agent(model, toolsets=[server]).agenerate("go"))
    while not pids:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the sleep call is in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wait_gone(pids[0])
    assert server._connection is None


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import fantasy
    from fantasy.mcp import MCPServerStdio
    from fantasy.testing import FakeModel, text_response, tool_call_response

    server = MCPServerStdio(sys.executable, [{servers!r}, "tools"])
    model = FakeModel([
        tool_call_response("pid", {{}}),
        tool_call_response("sleep", {{"seconds": 120}}),
        text_response("never"),
    ])
    agent = fantasy.Agent(model, toolsets=[server])

    def show(part):
        if part.tool_result is not None and part.tool_result.tool_name == "pid":
            print(part.tool_result.result.text, flush=True)

    async def main():
        async for part in agent.astream("go"):
            show(part)

    if sys.argv[1] == "sync":
        for part in agent.stream("go"):
            show(part)
    else:
        asyncio.run(main())
    """
)


@pytest.mark.parametrize("face", ["sync", "async"])
def test_ctrl_c_leaves_no_server_behind(tmp_path: Path, face: str) -> None:
    script = tmp_path / "agent.py"
    script.write_text(CTRL_C_SCRIPT.format(servers=str(SERVERS)))
    process = subprocess.Popen(
        [sys.executable, str(script), face],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        assert process.stdout is not None
        server_pid = int(process.stdout.readline())
        assert alive(server_pid)
        time.sleep(1.0)  # the sleep call is in flight
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "KeyboardInterrupt" in stderr
    assert wait_gone(server_pid), "the MCP server outlived the interrupted program"


def test_a_server_used_without_a_block_is_stopped_at_exit(tmp_path: Path) -> None:
    script = tmp_path / "direct.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from fantasy.mcp import MCPServerStdio
            server = MCPServerStdio(sys.executable, [{str(SERVERS)!r}, "tools"])
            result = __import__("asyncio").run(server.call_tool("pid"))
            print(result.structured_content["result"], flush=True)
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    server_pid = int(done.stdout.strip())
    assert wait_gone(server_pid)
    assert os.getpid() != server_pid
