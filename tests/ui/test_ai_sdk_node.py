"""The AI SDK's own client (npm ``ai``, pinned in tests/ui/node/package.json) reads the
endpoint: its chat transport posts the request and parses every chunk against the
package's UI message chunk schema, and `readUIMessageStream` assembles the message."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

import fantasy
import fantasy.ui
from fantasy import StreamPart, StreamPartType
from fantasy.errors import AuthenticationError
from fantasy.testing import FakeModel, stream_parts_for_tool_calls
from fantasy.types import (
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)

from .conftest import answer_parts, serve

NODE_DIR = Path(__file__).parent / "node"


def ai_sdk_client(url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the AI SDK's client makes of the endpoint's answer to ``messages``."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test needs Node 20 and npm)"
    assert (NODE_DIR / "node_modules" / "ai").is_dir(), (
        "the npm `ai` package is not installed: run `npm ci --prefix tests/ui/node` "
        "(scripts/test does)"
    )
    done = subprocess.run(
        [node, str(NODE_DIR / "read_stream.mjs"), url],
        input=json.dumps({"chatId": "chat-1", "messages": messages}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def user(text: str, id: str = "u1") -> dict[str, Any]:
    return {"id": id, "role": "user", "parts": [{"type": "text", "text": text}]}


def test_the_ai_sdk_client_assembles_text_reasoning_tools_sources_files_and_finish(
    weather_agent: tuple[fantasy.Agent[Any], FakeModel],
) -> None:
    agent, model = weather_agent
    with serve(fantasy.ui.asgi(agent)) as url:
        got = ai_sdk_client(url, [user("Weather in Paris?")])
    assert "error" not in got, got
    message = got["message"]
    assert message["role"] == "assistant"
    assert message["id"].startswith("msg-")
    assert message["parts"] == [
        {"type": "step-start"},
        {"type": "reasoning", "id": "r1", "text": "The user wants the weather.", "state": "done"},
        {"type": "text", "text": "Let me check.", "state": "done"},
        {
            "type": "source-url",
            "sourceId": "src-1",
            "url": "https://weather.example/paris",
            "title": "Paris forecast",
        },
        {
            "type": "source-document",
            "sourceId": "src-2",
            "mediaType": "application/pdf",
            "title": "Almanac",
        },
        {"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,iVBORyBmYWtl"},
        {
            "type": "tool-weather",
            "toolCallId": "call-1",
            "state": "output-available",
            "input": {"city": "Paris"},
            "output": {"city": "Paris", "forecast": "sunny", "celsius": 21},
        },
        {"type": "step-start"},
        {"type": "text", "text": "It is sunny in Paris, 21 °C.", "state": "done"},
    ]
    # The finish chunk's metadata: the run's usage over both steps.
    assert message["metadata"] == {
        "finishReason": "stop",
        "steps": 2,
        "usage": {
            "inputTokens": 30,
            "outputTokens": 13,
            "totalTokens": 43,
            "reasoningTokens": 0,
            "cachedInputTokens": 0,
        },
    }
    assert model.calls[0].prompt[-1].content == [TextPart("Weather in Paris?")]


def test_the_message_the_client_assembled_comes_back_as_the_history(
    weather_agent: tuple[fantasy.Agent[Any], FakeModel],
) -> None:
    """The next turn posts the whole conversation, tool parts included: the model gets
    each step as an assistant message and the tool's output as a tool message."""
    agent, model = weather_agent
    model.add(answer_parts("Tomorrow too."))
    with serve(fantasy.ui.asgi(agent)) as url:
        first = ai_sdk_client(url, [user("Weather in Paris?")])["message"]
        second = ai_sdk_client(url, [user("Weather in Paris?"), first, user("And tomorrow?", "u2")])
    assert second["message"]["parts"][-1]["text"] == "Tomorrow too."
    prompt = model.calls[2].prompt
    assert [m.role for m in prompt] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.USER,
    ]
    step_one = prompt[1].content
    assert [type(p).__name__ for p in step_one] == [
        "ReasoningPart",
        "TextPart",
        "FilePart",
        "ToolCallPart",
    ]
    assert step_one[3] == ToolCallPart("call-1", "weather", '{"city":"Paris"}')
    assert prompt[2].content == [
        ToolResultPart(
            "call-1", ToolResultOutputText('{"city":"Paris","forecast":"sunny","celsius":21}')
        )
    ]
    assert prompt[3].content == [TextPart("It is sunny in Paris, 21 °C.")]
    assert prompt[4].content == [TextPart("And tomorrow?")]


def test_a_failed_run_reaches_the_client_as_an_error_without_the_exception_text() -> None:
    secret = "sk-live-0123456789abcdef"
    error = AuthenticationError(f"invalid key {secret}", status_code=401)
    agent = fantasy.Agent(FakeModel([error]), max_retries=0)
    with serve(fantasy.ui.asgi(agent)) as url:
        got = ai_sdk_client(url, [user("hi")])
    assert got["error"] == "The server's credentials for the model provider were refused."
    assert secret not in json.dumps(got)


def test_the_response_is_marked_as_a_ui_message_stream(
    weather_agent: tuple[fantasy.Agent[Any], FakeModel],
) -> None:
    agent, _ = weather_agent
    with serve(fantasy.ui.asgi(agent)) as url:
        response = httpx.post(url, json={"messages": [user("Weather?")]}, timeout=30)
    assert response.status_code == 200
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["content-type"] == "text/event-stream"
    assert response.text.endswith("data: [DONE]\n\n")


def ai_sdk_chat_with_approval(url: str, approved: bool, reason: str = "") -> dict[str, Any]:
    """The AI SDK's own chat: a message, the approval answered with
    `addToolApprovalResponse`, the continuation sent by the SDK itself."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test needs Node 20 and npm)"
    done = subprocess.run(
        [node, str(NODE_DIR / "chat_approval.mjs"), url, str(approved).lower(), reason, "Tidy up"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def approval_agent(ran: list[str]) -> tuple[fantasy.Agent[Any], FakeModel]:
    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Deletes a file."""
        ran.append(path)
        return f"deleted {path}"

    model = FakeModel(
        [
            stream_parts_for_tool_calls(("call-del", "delete_file", {"path": "notes.txt"})),
            answer_parts("Done."),
        ]
    )
    return fantasy.Agent(model, tools=[delete_file]), model


def test_an_approved_tool_call_runs_after_the_sdk_chat_answers_the_request() -> None:
    ran: list[str] = []
    agent, model = approval_agent(ran)
    with serve(fantasy.ui.asgi(agent)) as url:
        got = ai_sdk_chat_with_approval(url, approved=True)
    assert got.get("error") is None, got
    assert got["requested"]["type"] == "tool-delete_file"
    assert got["requested"]["approval"] == {"id": "approval-call-del"}
    assert ran == ["notes.txt"]
    assistant = got["messages"][-1]
    assert len(got["messages"]) == 2  # the continuation completed the same message
    tool = next(p for p in assistant["parts"] if p["type"] == "tool-delete_file")
    assert tool["state"] == "output-available"
    assert tool["output"] == "deleted notes.txt"
    assert tool["approval"]["approved"] is True
    assert assistant["parts"][-1] == {"type": "text", "text": "Done.", "state": "done"}
    # The model saw the call and its result, in one uninterrupted history.
    resumed = model.calls[1].prompt
    assert resumed[-1].content == [
        ToolResultPart("call-del", ToolResultOutputText("deleted notes.txt"))
    ]


def test_a_denied_tool_call_does_not_run_and_the_model_reads_the_reason() -> None:
    ran: list[str] = []
    agent, model = approval_agent(ran)
    with serve(fantasy.ui.asgi(agent)) as url:
        got = ai_sdk_chat_with_approval(url, approved=False, reason="keep my notes")
    assert got.get("error") is None, got
    assert ran == []
    tool = next(p for p in got["messages"][-1]["parts"] if p["type"] == "tool-delete_file")
    assert tool["state"] == "output-denied"
    assert tool["approval"] == {
        "id": "approval-call-del",
        "approved": False,
        "reason": "keep my notes",
    }
    assert model.calls[1].prompt[-1].content == [
        ToolResultPart("call-del", ToolResultOutputError("denied: keep my notes"))
    ]


def test_provider_metadata_travels_through_the_client_and_back_to_the_model() -> None:
    """A reasoning signature (Anthropic's, here) goes out on ``reasoning-end``, the AI
    SDK keeps it on the part, and the next turn gives it back as the part's options."""
    from fantasy.providers.anthropic import ReasoningMetadata

    signed = {"anthropic": ReasoningMetadata(signature="sig-123")}
    parts = [
        StreamPart(StreamPartType.REASONING_START, id="r", delta="Hmm."),
        StreamPart(StreamPartType.REASONING_END, id="r", provider_metadata=signed),
        *answer_parts("Hello."),
    ]
    model = FakeModel([parts, answer_parts("Again.")])
    agent = fantasy.Agent(model)
    with serve(fantasy.ui.asgi(agent)) as url:
        first = ai_sdk_client(url, [user("hi")])["message"]
        reasoning = first["parts"][1]
        assert reasoning["providerMetadata"] == {
            "anthropic": {
                "type": "anthropic.reasoning_metadata",
                "data": {"signature": "sig-123", "redacted_data": ""},
            }
        }
        ai_sdk_client(url, [user("hi"), first, user("more", "u2")])
    sent_back = model.calls[1].prompt[1].content
    assert sent_back[0] == ReasoningPart("Hmm.", signed)
    assert sent_back[1] == TextPart("Hello.")


def test_a_tool_the_browser_runs_gives_its_output_back_to_the_run() -> None:
    """A deferred tool (its result comes from outside the run) is the page's to run: the
    run pauses at the call, the SDK's ``onToolCall`` answers with ``addToolOutput``, and
    the conversation it sends back gives the model the output."""

    @fantasy.tool(deferred=True)
    def get_location() -> str:
        """The user's location, from the browser."""
        raise AssertionError("the browser runs this tool")

    model = FakeModel(
        [
            stream_parts_for_tool_calls(("loc-1", "get_location", {})),
            answer_parts("You are in Lisbon."),
        ]
    )
    agent = fantasy.Agent(model, tools=[get_location])
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test needs Node 20 and npm)"
    with serve(fantasy.ui.asgi(agent)) as url:
        done = subprocess.run(
            [node, str(NODE_DIR / "chat_client_tool.mjs"), url, "Where am I?", '{"city":"Lisbon"}'],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got.get("error") is None, got
    assistant = got["messages"][-1]
    tool = next(p for p in assistant["parts"] if p["type"] == "tool-get_location")
    assert (tool["state"], tool["output"]) == ("output-available", {"city": "Lisbon"})
    assert assistant["parts"][-1]["text"] == "You are in Lisbon."
    assert model.calls[1].prompt[-1].content == [
        ToolResultPart("loc-1", ToolResultOutputText('{"city":"Lisbon"}'))
    ]


def test_keep_alive_comments_during_a_long_tool_call_do_not_disturb_the_client() -> None:
    @fantasy.tool
    async def slow_weather(city: str) -> str:
        """The weather, slowly."""
        await asyncio.sleep(0.6)
        return f"sunny in {city}"

    def agent() -> fantasy.Agent[Any]:
        model = FakeModel(
            [
                stream_parts_for_tool_calls(("c1", "slow_weather", {"city": "Oslo"})),
                answer_parts("Sunny."),
            ]
        )
        return fantasy.Agent(model, tools=[slow_weather])

    with serve(fantasy.ui.asgi(agent(), keepalive=0.1)) as url:
        raw = httpx.post(url, json={"messages": [user("Weather?")]}, timeout=30).text
    assert raw.count(": keep-alive\n\n") >= 3
    with serve(fantasy.ui.asgi(agent(), keepalive=0.1)) as url:
        message = ai_sdk_client(url, [user("Weather?")])["message"]
    tool = next(p for p in message["parts"] if p["type"] == "tool-slow_weather")
    assert tool["output"] == "sunny in Oslo"
    assert message["parts"][-1]["text"] == "Sunny."
