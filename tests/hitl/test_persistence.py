"""A paused run's conversation in Fantasy's JSON: ordinary messages, the waiting calls
marked by a ``fantasy.pending_call`` extension inside the tool-call part's ``data``.

Fantasy's Go decoder reads a tool-call part's ``data`` into a struct of its known
fields (``ToolCallPart.UnmarshalJSON``), and ``encoding/json`` skips keys a struct
does not have, so a Go program loads the same conversation without the markers.
These tests pin the shape, that dropping the key (what Go keeps) leaves an ordinary
conversation, and that we skip extension types we do not know, as Go does.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import Message, ToolCallPart

GO_TOOL_CALL_KEYS = {"tool_call_id", "tool_name", "input", "provider_executed"}


def paused() -> tuple[fantasy.Agent, fantasy.AgentResult, FakeModel]:
    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    @fantasy.tool(deferred=True)
    def ask_human(question: str) -> str:
        raise AssertionError("never called")

    @fantasy.tool
    def weather(city: str) -> str:
        return f"sunny in {city}"

    model = FakeModel(
        [
            tool_call_response(
                ("c1", "delete_file", {"path": "a"}),
                ("c2", "weather", {"city": "Lima"}),
                ("c3", "ask_human", {"question": "ok?"}),
            ),
            text_response("done"),
        ]
    )
    agent = fantasy.Agent(model, tools=[delete_file, ask_human, weather])
    return agent, agent.generate("go"), model


def tool_call_parts(data: list[Any]) -> list[dict[str, Any]]:
    return [part for message in data for part in message["content"] if part["type"] == "tool-call"]


def test_waiting_calls_carry_an_extension_next_to_fantasys_fields() -> None:
    _, result, _ = paused()
    data = fantasy.to_dict(result.all_messages())
    c1, c2, c3 = tool_call_parts(data)
    assert c1["data"]["extensions"] == [
        {"type": "fantasy.pending_call", "data": {"kind": "approval"}}
    ]
    assert c3["data"]["extensions"] == [
        {"type": "fantasy.pending_call", "data": {"kind": "deferred"}}
    ]
    assert set(c2["data"]) == GO_TOOL_CALL_KEYS  # nothing added to calls that do not wait
    for part in (c1, c3):
        assert set(part["data"]) - {"extensions"} == GO_TOOL_CALL_KEYS
        assert set(part) == {"type", "data"}


def test_the_markers_survive_a_round_trip() -> None:
    _, result, _ = paused()
    messages = result.all_messages()
    loaded = fantasy.from_json(fantasy.to_json(messages), list[Message])
    assert loaded == messages
    marks = [p.pending for m in loaded for p in m.content if isinstance(p, ToolCallPart)]
    assert marks == ["approval", "", "deferred"]


def test_without_the_extension_key_it_is_an_ordinary_conversation() -> None:
    """What Go keeps: the same messages, no markers; and a resume still works when
    every waiting call is answered."""
    agent, result, model = paused()
    data = fantasy.to_dict(result.all_messages())
    as_go_keeps = copy.deepcopy(data)
    for part in tool_call_parts(as_go_keeps):
        part["data"].pop("extensions", None)
    loaded = fantasy.from_dict(as_go_keeps, list[Message])
    assert [p.pending for m in loaded for p in m.content if isinstance(p, ToolCallPart)] == [
        "",
        "",
        "",
    ]
    done = agent.generate(messages=loaded, approvals={"c1": True}, tool_results={"c3": "yes"})
    assert done.text == "done"
    assert [p.tool_call_id for p in model.calls[1].prompt[-1].content] == ["c1", "c2", "c3"]


def test_extension_types_we_do_not_know_are_skipped() -> None:
    _, result, _ = paused()
    data = fantasy.to_dict(result.all_messages())
    c1 = tool_call_parts(data)[0]
    c1["data"]["extensions"].insert(0, {"type": "acme.audit", "data": {"who": "bob"}})
    loaded = fantasy.from_dict(data, list[Message])
    first = next(p for m in loaded for p in m.content if isinstance(p, ToolCallPart))
    assert first.pending == "approval"


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ([{"type": "fantasy.pending_call", "data": {"kind": "later"}}], "approval.*deferred"),
        ("approval", "expected an array"),
        ([{"type": "fantasy.pending_call"}], 'has no "data"'),
    ],
)
def test_a_broken_marker_is_a_serialization_error_naming_where(
    extensions: Any, message: str
) -> None:
    _, result, _ = paused()
    data = fantasy.to_dict(result.all_messages())
    tool_call_parts(data)[0]["data"]["extensions"] = extensions
    with pytest.raises(fantasy.SerializationError, match=message) as info:
        fantasy.from_dict(data, list[Message])
    assert "extensions" in str(info.value)


def test_an_approval_request_part_saves_as_a_stream_part() -> None:
    agent, _, _ = paused()
    model = FakeModel([tool_call_response(("c1", "delete_file", {"path": "a"}))])
    agent = fantasy.Agent(model, tools=agent.tools)
    parts = list(agent.stream("go"))
    request = next(p for p in parts if p.type is fantasy.StreamPartType.TOOL_APPROVAL_REQUEST)
    loaded = fantasy.from_json(fantasy.to_json(request), fantasy.StreamPart)
    assert (loaded.type, loaded.id, loaded.tool_call_name, loaded.tool_call_input) == (
        request.type,
        "c1",
        "delete_file",
        '{"path": "a"}',
    )


def test_a_result_that_ended_the_turn_carries_a_stop_turn_extension() -> None:
    from fantasy.types import ToolResultOutputText, ToolResultPart

    message = Message(
        fantasy.Role.TOOL,
        [ToolResultPart("c1", ToolResultOutputText("bye"), stop_turn=True)],
    )
    (data,) = fantasy.to_dict([message])
    assert data["content"][0]["data"]["extensions"] == [{"type": "fantasy.stop_turn", "data": {}}]
    assert fantasy.from_dict([data], list[Message]) == [message]
    data["content"][0]["data"].pop("extensions")  # what Go keeps
    (plain,) = fantasy.from_dict([data], list[Message])
    assert plain.content[0].stop_turn is False  # type: ignore[union-attr]
