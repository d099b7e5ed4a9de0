"""Tools from a real MCP server (stdio subprocess) used by an agent, both faces."""

from __future__ import annotations

import base64
import json

import pytest

import fantasy
from fantasy.testing import FakeModel, stream_parts_for_text, text_response, tool_call_response
from fantasy.types import ToolResultOutputError, ToolResultOutputMedia, ToolResultOutputText

from .conftest import stdio
from .servers import PNG, WAV


def results(result: fantasy.AgentResult) -> dict[str, object]:
    return {r.tool_name: r for r in result.steps[0].content.tool_results}


def test_the_agent_lists_and_calls_a_servers_tools(make_stdio) -> None:
    server = make_stdio(name="tools")
    model = FakeModel([tool_call_response("add", {"a": 2, "b": 3}), text_response("5")])
    result = fantasy.Agent(model, toolsets=[server]).generate("2 + 3?")

    assert result.text == "5"
    add = results(result)["add"]
    assert isinstance(add.result, ToolResultOutputText)
    assert json.loads(add.result.text) == {"total": 5}
    assert json.loads(add.client_metadata) == {"total": 5}  # structuredContent
    sent = {t.name: t for t in model.calls[0].tools}
    assert {"add", "echo", "picture", "sound", "fails", "grow"} <= set(sent)
    assert sent["add"].description == "Add two integers."
    # The server's schema, as it listed it.
    assert sent["add"].input_schema == {
        "type": "object",
        "properties": {
            "a": {"title": "A", "type": "integer"},
            "b": {"title": "B", "type": "integer"},
        },
        "required": ["a", "b"],
        "title": "addArguments",
    }


def test_a_schema_with_defs_goes_to_the_model_whole(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel([text_response("ok")])
    fantasy.Agent(model, toolsets=[server]).generate("hi")
    nested = next(t for t in model.calls[0].tools if t.name == "nested")
    schema = nested.input_schema
    assert schema["properties"]["order"] == {"$ref": "#/$defs/Order"}
    assert set(schema["$defs"]) == {"Item", "Order"}
    assert schema["$defs"]["Order"]["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}


def test_the_tool_runs_with_a_nested_input(make_stdio) -> None:
    order = {"order": {"items": [{"name": "a", "count": 1}, {"name": "b", "count": 2}]}}
    model = FakeModel([tool_call_response("nested", order), text_response("ok")])
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("go")
    assert results(result)["nested"].result.text == "2 items"


def test_media_results_are_media_tool_results(make_stdio) -> None:
    model = FakeModel(
        [
            tool_call_response(("c1", "picture", {}), ("c2", "sound", {})),
            text_response("seen and heard"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("show me")
    picture, sound = results(result)["picture"].result, results(result)["sound"].result
    assert isinstance(picture, ToolResultOutputMedia)
    assert (base64.b64decode(picture.data), picture.media_type) == (PNG, "image/png")
    assert isinstance(sound, ToolResultOutputMedia)
    assert (base64.b64decode(sound.data), sound.media_type) == (WAV, "audio/wav")
    assert sound.text == "a short silence"
    # The media goes back to the model in the next request's tool message.
    tool_message = model.calls[1].prompt[-1]
    assert [p.output.media_type for p in tool_message.content] == ["image/png", "audio/wav"]


def test_embedded_resources_and_links_are_described_in_text(make_stdio) -> None:
    model = FakeModel([tool_call_response("documents", {}), text_response("ok")])
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("docs")
    text = results(result)["documents"].result.text
    assert text == (
        "[resource file:///notes.txt (text/plain)]\nthe notes\n"
        "[resource link file:///big.csv 'big.csv']"
    )


def test_is_error_and_a_raising_tool_are_tool_errors_the_model_sees(make_stdio) -> None:
    model = FakeModel(
        [tool_call_response(("c1", "fails", {}), ("c2", "raises", {})), text_response("sorry")]
    )
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("go")
    fails, raises = results(result)["fails"].result, results(result)["raises"].result
    assert fails == ToolResultOutputError("disk full")
    assert isinstance(raises, ToolResultOutputError)
    assert "bad input" in raises.error
    assert result.text == "sorry"  # the run went on


def test_invalid_arguments_reach_the_server_and_come_back_as_an_error(make_stdio) -> None:
    model = FakeModel([tool_call_response("add", {"a": "x", "b": 1}), text_response("ok")])
    result = fantasy.Agent(model, toolsets=[make_stdio()]).generate("go")
    output = results(result)["add"].result
    assert isinstance(output, ToolResultOutputError)
    assert "a" in output.error


async def test_the_async_face_with_async_with(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel(
        [
            tool_call_response("pid", {}),
            tool_call_response("pid", {}),
            text_response("done"),
        ]
    )
    agent = fantasy.Agent(model, toolsets=[server])
    async with agent:
        result = await agent.agenerate("pids")
        again = FakeModel([tool_call_response("pid", {}), text_response("ok")])
        agent.model = again
        second = await agent.agenerate("pid")
        assert server._connection is not None  # still up between runs
    first_pids = {r.result.text for s in result.steps for r in s.content.tool_results}
    second_pid = second.steps[0].content.tool_results[0].result.text
    assert len(first_pids) == 1 and first_pids == {second_pid}  # one process for both runs
    assert server._connection is None  # stopped when the block ended


def test_the_stream_faces(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel(
        [tool_call_response("echo", {"text": "hi"}), stream_parts_for_text("said hi")]
    )
    with fantasy.Agent(model, toolsets=[server]).stream("echo") as stream:
        parts = list(stream)
    assert stream.result.text == "said hi"
    assert any(p.tool_result is not None and p.tool_result.result.text == "hi" for p in parts)
    assert server._connection is None


async def test_the_async_stream_face(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel([tool_call_response("echo", {"text": "yo"}), text_response("said yo")])
    stream = fantasy.Agent(model, toolsets=[server]).astream("echo")
    result = await stream.collect()
    assert result.steps[0].content.tool_results[0].result.text == "yo"
    assert server._connection is None


def test_toolsets_must_be_toolsets() -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match=r"toolsets\[0\] must be a toolset"):
        fantasy.Agent(FakeModel([]), toolsets=[print])  # type: ignore[list-item]


def test_a_server_given_alone_is_accepted() -> None:
    server = stdio()
    assert fantasy.Agent(FakeModel([]), toolsets=server).toolsets == [server]  # type: ignore[arg-type]


def test_a_stream_closed_early_stops_the_servers_it_started(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel(
        [tool_call_response("echo", {"text": "hi"}), stream_parts_for_text("never read")]
    )
    with fantasy.Agent(model, toolsets=[server]).stream("echo") as stream:
        for part in stream:
            if part.tool_result is not None:
                break  # leaves the block: the stream closes before the run ends
    assert server._connection is None


async def test_an_async_stream_closed_early_stops_the_servers_it_started(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel(
        [tool_call_response("echo", {"text": "hi"}), stream_parts_for_text("never read")]
    )
    async with fantasy.Agent(model, toolsets=[server]).astream("echo") as stream:
        async for part in stream:
            if part.tool_result is not None:
                break
    assert server._connection is None
