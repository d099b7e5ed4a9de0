"""The request decoders and the encoders' pure parts, without a server: every part
type a UIMessage can hold, what is refused and why, and tool outputs both ways."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import BaseModel

import fantasy
from fantasy import StreamPart, StreamPartType
from fantasy.testing import FakeModel, stream_parts_for_text
from fantasy.types import (
    FilePart,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)
from fantasy.ui import (
    UIMessageStreamEncoder,
    UIRequestError,
    agui,
    ai_sdk,
    decode_messages,
    decode_request,
)

PNG = base64.b64encode(b"\x89PNG...").decode()


def assistant(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "a1", "role": "assistant", "parts": list(parts)}


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": "u1", "role": "user", "parts": list(parts)}


def test_every_part_of_an_assistant_message_finds_its_place() -> None:
    messages = decode_messages(
        [
            user(
                {"type": "text", "text": "Look"},
                {"type": "file", "mediaType": "image/png", "url": f"data:image/png;base64,{PNG}"},
            ),
            assistant(
                {"type": "step-start"},
                {"type": "reasoning", "text": "thinking"},
                {"type": "text", "text": "Searching."},
                {"type": "source-url", "sourceId": "s", "url": "https://a.example"},
                {"type": "data-progress", "data": {"percent": 50}},
                {
                    "type": "tool-web_search",
                    "toolCallId": "ws1",
                    "state": "output-available",
                    "input": {"q": "x"},
                    "output": "results",
                    "providerExecuted": True,
                },
                {
                    "type": "dynamic-tool",
                    "toolName": "lookup",
                    "toolCallId": "d1",
                    "state": "output-error",
                    "input": {"k": 1},
                    "errorText": "boom",
                },
                {"type": "step-start"},
                {
                    "type": "tool-delete",
                    "toolCallId": "x1",
                    "state": "output-denied",
                    "input": {},
                    "approval": {"id": "approval-x1", "approved": False, "reason": "no"},
                },
                {"type": "text", "text": "Done."},
            ),
        ]
    )
    assert [m.role for m in messages] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.TOOL,
    ]
    assert messages[0].content == [TextPart("Look"), FilePart(b"\x89PNG...", "image/png")]
    assert messages[1].content == [
        ReasoningPart("thinking"),
        TextPart("Searching."),
        ToolCallPart("ws1", "web_search", '{"q":"x"}', provider_executed=True),
        ToolResultPart("ws1", ToolResultOutputText("results"), provider_executed=True),
        ToolCallPart("d1", "lookup", '{"k":1}'),
    ]
    assert messages[2].content == [ToolResultPart("d1", ToolResultOutputError("boom"))]
    assert messages[3].content == [ToolCallPart("x1", "delete", "{}"), TextPart("Done.")]
    assert messages[4].content == [ToolResultPart("x1", ToolResultOutputError("denied: no"))]


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ("hello", "messages: expected a list, got a string"),
        ([3], "messages[0]: expected an object, got int"),
        ([{"role": "user"}], "messages[0].parts: expected a list, got nothing"),
        ([{"role": "robot", "parts": []}], "messages[0].role: expected 'user', 'assistant'"),
        ([user()], "messages[0]: a user message without text or files"),
        ([user({"type": "text"})], "messages[0].parts[0].text: expected a string, got nothing"),
        (
            [user({"type": "file", "mediaType": "image/png", "url": "data:image/png,abc"})],
            "messages[0].parts[0].url: expected a base64 data URL",
        ),
        (
            [user({"type": "file", "mediaType": "image/png", "url": "data:;base64,@@@"})],
            "messages[0].parts[0].url: the data URL's base64 is not valid",
        ),
        (
            [
                user({"type": "text", "text": "hi"}),
                assistant(
                    {"type": "tool-x", "toolCallId": "c", "state": "input-available", "input": {}}
                ),
            ],
            "messages[1].parts[0]: tool call 'c' (x) has no result (state 'input-available')",
        ),
        (
            [
                assistant(
                    {
                        "type": "tool-x",
                        "toolCallId": "c",
                        "state": "approval-responded",
                        "input": {},
                        "approval": {"id": "a", "approved": True},
                    }
                ),
                user({"type": "text", "text": "never mind"}),
            ],
            "messages[0].parts[0]: tool call 'c' (x) has no result (state 'approval-responded')",
        ),
        ([assistant({"type": "hologram"})], "messages[0].parts[0].type: unknown part type"),
    ],
)
def test_a_request_the_protocol_would_not_send_is_refused_naming_where(
    messages: Any, message: str
) -> None:
    with pytest.raises(UIRequestError) as info:
        decode_messages(messages)
    assert str(info.value).startswith(message)


def test_system_messages_only_when_allowed() -> None:
    system = {"id": "s", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]}
    with pytest.raises(UIRequestError, match="system messages are not accepted"):
        decode_messages([system, user({"type": "text", "text": "hi"})])
    messages = decode_messages([system, user({"type": "text", "text": "hi"})], allow_system=True)
    assert messages[0].role is Role.SYSTEM and messages[0].content == [TextPart("Be brief.")]


def test_approval_answers_in_the_last_message_become_decisions() -> None:
    request = decode_request(
        {
            "id": "chat",
            "messages": [
                user({"type": "text", "text": "tidy"}),
                assistant(
                    {"type": "step-start"},
                    {
                        "type": "tool-rm",
                        "toolCallId": "c1",
                        "state": "approval-responded",
                        "input": {"path": "a"},
                        "approval": {"id": "approval-c1", "approved": True},
                    },
                    {
                        "type": "tool-rm",
                        "toolCallId": "c2",
                        "state": "approval-responded",
                        "input": {"path": "b"},
                        "approval": {"id": "approval-c2", "approved": False, "reason": "keep b"},
                    },
                ),
            ],
        }
    )
    assert request.continued_message_id == "a1"
    assert request.decisions() == {"c1": True, "c2": fantasy.Denied("keep b")}
    calls = request.messages[-1].content
    assert [(c.tool_call_id, c.pending) for c in calls] == [("c1", "approval"), ("c2", "approval")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("output", "sent"),
    [
        (ToolResultOutputText("plain words"), "plain words"),
        (ToolResultOutputText("42"), "42"),
        (ToolResultOutputText('{"a": [1, 2]}'), {"a": [1, 2]}),
        (ToolResultOutputText("{not json"), "{not json"),
        (
            ToolResultOutputMedia(PNG, "image/png", "a chart"),
            {"type": "media", "mediaType": "image/png", "data": PNG, "text": "a chart"},
        ),
    ],
)
def test_a_tool_output_goes_out_and_comes_back(output: Any, sent: Any) -> None:
    kind, value = ai_sdk.tool_output(ToolResultContent("c", "t", output))
    assert (kind, value) == ("output", sent)
    (_, tool_message) = decode_messages(
        [
            assistant(
                {"type": "tool-t", "toolCallId": "c", "state": "output-available", "output": value}
            )
        ]
    )
    back = tool_message.content[0].output  # type: ignore[union-attr]
    if isinstance(output, ToolResultOutputMedia) or isinstance(sent, str):
        assert back == output
    else:  # JSON comes back as its compact text
        assert back == ToolResultOutputText('{"a":[1,2]}')


def test_a_typed_output_is_a_data_part_the_client_updates_in_place() -> None:
    class Answer(BaseModel):
        city: str

    encoder = UIMessageStreamEncoder(message_id="m")
    chunks = encoder.encode(StreamPart(StreamPartType.OUTPUT, output=Answer(city="Oslo")))
    assert chunks == [{"type": "data-output", "id": "output", "data": {"city": "Oslo"}}]


def test_a_reasoning_start_carrying_text_sends_it_as_a_delta() -> None:
    encoder = UIMessageStreamEncoder(message_id="m")
    chunks = encoder.encode(StreamPart(StreamPartType.REASONING_START, id="r", delta="Hm"))
    assert chunks == [
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "r"},
        {"type": "reasoning-delta", "id": "r", "delta": "Hm"},
    ]


def test_the_ag_ui_sync_face_matches_the_async_one() -> None:
    import asyncio

    def events_sync() -> list[bytes]:
        agent = fantasy.Agent(FakeModel([stream_parts_for_text(["a", "b"])]))
        encoder = agui.AGUIEncoder("t", "r")
        return list(agui.stream_events_sync(agent.stream("hi"), encoder))

    async def events_async() -> list[bytes]:
        agent = fantasy.Agent(FakeModel([stream_parts_for_text(["a", "b"])]))
        encoder = agui.AGUIEncoder("t", "r")
        return [e async for e in agui.stream_events(agent.astream("hi"), encoder)]

    sync, asynchronous = events_sync(), asyncio.run(events_async())
    # Message ids are random per run; everything else is the same.
    assert len(sync) == len(asynchronous) == 8
    assert (
        sync[0] == asynchronous[0] == b'data: {"type":"RUN_STARTED","threadId":"t","runId":"r"}\n\n'
    )


def test_provider_metadata_of_another_server_is_left_out_and_a_broken_one_refused() -> None:
    foreign = {"type": "text", "text": "hi", "providerMetadata": {"openai": {"itemId": "msg_1"}}}
    (message,) = decode_messages([assistant(foreign)])
    assert message.content == [TextPart("hi")]
    broken = {
        "type": "reasoning",
        "text": "hm",
        "providerMetadata": {"anthropic": {"type": "acme.unknown", "data": {}}},
    }
    with pytest.raises(UIRequestError, match=r"messages\[0\]\.parts\[0\]\.providerMetadata"):
        decode_messages([assistant(broken)])


def test_an_approval_left_unanswered_before_a_new_message_reads_as_denied() -> None:
    waiting = {
        "type": "tool-rm",
        "toolCallId": "c1",
        "state": "approval-requested",
        "input": {"path": "a"},
        "approval": {"id": "approval-c1"},
    }
    messages = decode_messages(
        [
            user({"type": "text", "text": "delete a"}),
            assistant({"type": "step-start"}, waiting),
            user({"type": "text", "text": "actually, never mind"}),
        ]
    )
    assert messages[2].content == [
        ToolResultPart("c1", ToolResultOutputError("denied: the user did not answer"))
    ]
    with pytest.raises(UIRequestError, match="state 'approval-requested'"):
        decode_messages([user({"type": "text", "text": "delete a"}), assistant(waiting)])
