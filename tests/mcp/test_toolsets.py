"""Several servers in one agent: clashing names, prefixes, filters, a tool list that
changes mid-run, approvals."""

from __future__ import annotations

import pytest

import fantasy
from fantasy.agent.toolsets import ToolNameClashError
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import ToolResultOutputError


def texts(result: fantasy.AgentResult) -> list[str]:
    out = []
    for step in result.steps:
        for r in step.content.tool_results:
            output = r.result
            out.append(output.error if isinstance(output, ToolResultOutputError) else output.text)
    return out


def test_two_servers_with_a_clashing_name_are_a_clear_error(make_stdio) -> None:
    first, second = make_stdio("tools", name="tools"), make_stdio("other", name="other")
    with pytest.raises(ToolNameClashError) as info:
        fantasy.Agent(FakeModel([text_response("x")]), toolsets=[first, second]).generate("go")
    message = str(info.value)
    assert 'tool "echo" is offered by both MCP server "tools" and MCP server "other"' in message
    assert "prefix=" in message
    assert first._connection is None and second._connection is None  # both stopped


def test_a_prefix_per_server_resolves_the_clash(make_stdio) -> None:
    first = make_stdio("tools", prefix="main")
    second = make_stdio("other", prefix="other")
    model = FakeModel(
        [
            tool_call_response(
                ("c1", "main_echo", {"text": "a"}), ("c2", "other_echo", {"text": "b"})
            ),
            text_response("ok"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[first, second]).generate("go")
    assert texts(result) == ["a", "other: b"]
    names = {t.name for t in model.calls[0].tools}
    assert {"main_echo", "main_add", "other_echo"} <= names and "echo" not in names


def test_a_clash_with_the_agents_own_tools(make_stdio) -> None:
    def echo(text: str) -> str:
        """Local echo."""
        return text

    agent = fantasy.Agent(FakeModel([text_response("x")]), tools=[echo], toolsets=[make_stdio()])
    with pytest.raises(ToolNameClashError, match="the agent's tools="):
        agent.generate("go")


def test_allow_and_deny_lists(make_stdio) -> None:
    model = FakeModel([text_response("a"), text_response("b")])
    allowed = make_stdio(allow=["add", "echo"])
    fantasy.Agent(model, toolsets=[allowed]).generate("go")
    assert sorted(t.name for t in model.calls[0].tools) == ["add", "echo"]
    denied = make_stdio(deny=["die", "sleep"])
    fantasy.Agent(model, toolsets=[denied]).generate("go")
    names = {t.name for t in model.calls[1].tools}
    assert "die" not in names and "sleep" not in names and "add" in names


def test_a_denied_tool_called_anyway_is_not_found(make_stdio) -> None:
    model = FakeModel([tool_call_response("die", {}), text_response("ok")])
    result = fantasy.Agent(model, toolsets=[make_stdio(deny=["die"])]).generate("go")
    assert texts(result)[0].startswith("tool not found: die")


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
def test_a_tool_list_that_changes_is_honoured_on_the_next_step(make_stdio, protocol) -> None:
    model = FakeModel(
        [
            tool_call_response("grow", {}),
            tool_call_response("extra", {}),
            text_response("done"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[make_stdio(protocol=protocol)]).generate("go")
    assert "extra" not in {t.name for t in model.calls[0].tools}
    assert "extra" in {t.name for t in model.calls[1].tools}
    assert texts(result) == ["grown", "extra!"]


def test_tools_are_listed_once_until_the_list_changes(make_stdio) -> None:
    server = make_stdio()
    model = FakeModel(
        [
            tool_call_response("echo", {"text": "1"}),
            tool_call_response("echo", {"text": "2"}),
            text_response("done"),
        ]
    )
    agent = fantasy.Agent(model, toolsets=[server])
    with agent:
        agent.generate("go")
        listed = server._connection.tools
        assert listed is not None
        assert fantasy.Agent(FakeModel([text_response("x")]), toolsets=[server]).generate("hi")
        assert server._connection.tools is listed  # the same list: not asked for again


def test_needs_approval_for_named_tools_with_the_agents_approve(make_stdio) -> None:
    asked = []

    def approve(pending) -> bool | fantasy.Denied:
        asked.append((pending.tool_name, pending.input))
        return fantasy.Denied("not today")

    server = make_stdio(needs_approval={"echo"})
    model = FakeModel(
        [
            tool_call_response(("c1", "echo", {"text": "x"}), ("c2", "add", {"a": 1, "b": 1})),
            text_response("ok"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server], approve=approve).generate("go")
    assert asked == [("echo", {"text": "x"})]
    assert texts(result) == ["denied: not today", '{\n  "total": 2\n}']


def test_needs_approval_as_a_function_of_name_and_arguments(make_stdio) -> None:
    seen = []

    def needs(name: str, arguments: dict) -> bool:
        seen.append(name)
        return name == "add" and arguments.get("a", 0) > 100

    server = make_stdio(needs_approval=needs, prefix="s")
    model = FakeModel(
        [
            tool_call_response(
                ("c1", "s_add", {"a": 1, "b": 1}), ("c2", "s_add", {"a": 500, "b": 1})
            ),
            text_response("ok"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server], approve=lambda p: False).generate("go")
    assert seen == ["add", "add"]  # the server's own name, not the prefixed one
    assert texts(result) == ['{\n  "total": 2\n}', "denied: the call was not approved"]


def test_needs_approval_without_approve_pauses_the_run(make_stdio) -> None:
    model = FakeModel([tool_call_response("echo", {"text": "x"})])
    result = fantasy.Agent(model, toolsets=[make_stdio(needs_approval=True)]).generate("go")
    assert [p.tool_name for p in result.pending_approvals] == ["echo"]
