"""Resources, prompts, sampling answered by a fantasy model, and fantasy tools served
over MCP to the SDK's own client; `import fantasy` loads nothing of MCP."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import Role, TextPart

from .conftest import HTTPServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_resources_both_faces(make_stdio) -> None:
    server = make_stdio()
    with server:
        resources = server.list_resources()
        assert [(str(r.uri), r.mime_type) for r in resources] == [("notes://today", "text/plain")]
        (content,) = server.read_resource("notes://today")
        assert content.text == "buy milk"


async def test_resources_async_face(make_stdio) -> None:
    async with make_stdio() as server:
        (content,) = await server.aread_resource("notes://today")
        assert content.text == "buy milk"


def test_prompts(make_stdio) -> None:
    server = make_stdio()
    with server:
        (prompt,) = server.list_prompts()
        assert prompt.name == "review"
        assert [a.name for a in prompt.arguments] == ["code"]
        got = server.get_prompt("review", {"code": "x = 1"})
        assert got.messages[0].content.text == "Please review:\nx = 1"
        messages = server.messages_for_prompt("review", {"code": "x = 1"})
    assert messages[0].role is Role.USER
    assert messages[0].content == [TextPart("Please review:\nx = 1")]
    model = FakeModel([text_response("looks fine")])
    assert fantasy.Agent(model).generate(messages=messages).text == "looks fine"


def test_reading_an_unknown_resource_is_an_mcp_error(make_stdio) -> None:
    with make_stdio() as server, pytest.raises(fantasy.mcp.MCPServerError, match="nope://x"):
        server.read_resource("nope://x")


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
def test_sampling_is_answered_by_the_chosen_model(make_stdio, protocol) -> None:
    helper = FakeModel([text_response("forty-two")])
    server = make_stdio(sampling_model=helper, protocol=protocol)
    model = FakeModel(
        [tool_call_response("ask_model", {"question": "6 x 7?"}), text_response("done")]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    assert result.steps[0].content.tool_results[0].result.text == "forty-two"
    (call,) = helper.calls
    assert call.prompt[-1].content == [TextPart("6 x 7?")]
    assert call.max_output_tokens == 50


def test_sampling_is_off_by_default(make_stdio) -> None:
    model = FakeModel([tool_call_response("ask_model", {"question": "?"}), text_response("x")])
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("go")
    output = result.steps[0].content.tool_results[0].result
    assert output.type == "error"


SERVE_SCRIPT = textwrap.dedent(
    """
    import sys
    from typing import Annotated
    from pydantic import BaseModel, Field
    import fantasy
    from fantasy.mcp import serve


    class Point(BaseModel):
        x: int
        y: int


    @fantasy.tool
    def distance(a: Point, b: Point) -> str:
        \"\"\"Manhattan distance between two points.\"\"\"
        return str(abs(a.x - b.x) + abs(a.y - b.y))


    @fantasy.tool
    def dot() -> fantasy.ToolResponse:
        \"\"\"A one-byte image.\"\"\"
        return fantasy.ToolResponse.image(b"\\x89", "image/png", "a dot")


    @fantasy.tool
    def broken(n: Annotated[int, Field(description="a number")]) -> str:
        \"\"\"Always fails.\"\"\"
        raise RuntimeError(f"broken {n}")


    if sys.argv[1] == "stdio":
        serve([distance, dot, broken], name="geometry")
    else:
        serve([distance, dot, broken], transport="http", port=int(sys.argv[2]))
    """
)


async def _exercise(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"distance", "dot", "broken"}
    assert tools["distance"].description == "Manhattan distance between two points."
    assert tools["distance"].input_schema["required"] == ["a", "b"]
    result = await client.call_tool("distance", {"a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}})
    assert [c.text for c in result.content] == ["7"] and not result.is_error
    bad = await client.call_tool("distance", {"a": {"x": "no"}})
    assert bad.is_error and "invalid parameters" in bad.content[0].text
    image = await client.call_tool("dot", {})
    assert [c.type for c in image.content] == ["text", "image"]
    assert image.content[1].mime_type == "image/png"
    broken = await client.call_tool("broken", {"n": 3})
    assert broken.is_error and "broken 3" in broken.content[0].text


async def test_serve_over_stdio_to_the_sdks_client(tmp_path: Path) -> None:
    script = tmp_path / "serve_tools.py"
    script.write_text(SERVE_SCRIPT)
    params = StdioServerParameters(command=sys.executable, args=[str(script), "stdio"], cwd=ROOT)
    async with Client(params) as client:
        assert client.server_info is not None and client.server_info.name == "geometry"
        await _exercise(client)


async def test_serve_over_http_to_the_sdks_client(tmp_path: Path) -> None:
    script = tmp_path / "serve_tools.py"
    script.write_text(SERVE_SCRIPT)
    port = free_port()
    process = subprocess.Popen([sys.executable, str(script), "http", str(port)], cwd=ROOT)
    try:
        waiter = HTTPServerProcess()
        waiter.port = port
        waiter.process = None
        _wait_listening(port)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            await _exercise(client)
    finally:
        process.kill()
        process.wait()


def test_served_tools_used_by_a_fantasy_agent(tmp_path: Path) -> None:
    script = tmp_path / "serve_tools.py"
    script.write_text(SERVE_SCRIPT)
    server = fantasy.mcp.MCPServerStdio(sys.executable, [str(script), "stdio"], cwd=ROOT)
    model = FakeModel(
        [
            tool_call_response("distance", {"a": {"x": 1, "y": 1}, "b": {"x": 2, "y": 3}}),
            text_response("3"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("how far?")
    assert result.steps[0].content.tool_results[0].result.text == "3"
    schema = model.calls[0].tools[0].input_schema
    assert schema["properties"]["a"]["properties"]["x"]["type"] == "integer"


def _wait_listening(port: int) -> None:
    import socket
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the served tools did not start listening")


def test_import_fantasy_loads_nothing_of_mcp() -> None:
    code = (
        "import sys, json, fantasy\n"
        "agent = fantasy.Agent\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'mcp' or m.startswith("
        "('mcp.', 'mcp_types', 'fantasy.mcp', 'anyio', 'httpx2')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_import_fantasy_mcp_loads_the_sdk_only_when_a_server_is_used() -> None:
    code = (
        "import sys, json\n"
        "from fantasy.mcp import MCPServerStdio\n"
        "MCPServerStdio('python', ['-c', 'pass'], name='x')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
