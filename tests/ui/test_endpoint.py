"""`fantasy.ui.asgi` over a real uvicorn server: bad requests, a client that goes away,
a time limit, errors without their text, both faces of the encoder, and no web
framework loaded by ``import fantasy`` or ``import fantasy.ui``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

import fantasy
import fantasy.ui
from fantasy import StreamPart, StreamPartType
from fantasy.testing import FakeModel, stream_parts_for_text, stream_parts_for_tool_calls
from fantasy.ui import ai_sdk

from .conftest import answer_parts, full_turn_parts, serve, weather


def chat(text: str) -> dict[str, Any]:
    return {"messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}]}


def events(body: str) -> list[Any]:
    out = []
    for block in body.split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: ") :]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the request body is not JSON"),
        (b"[]", "the request body must be a JSON object, got a list"),
        (b"{}", "messages: missing"),
        (b'{"messages": []}', "messages: empty"),
        (
            b'{"messages": [{"role": "user", "parts": [{"type": "file", "mediaType": "image/png",'
            b' "url": "http://169.254.169.254/latest"}]}]}',
            "messages[0].parts[0].url: only data: URLs are accepted",
        ),
        (
            b'{"messages": [{"role": "system", "parts": [{"type": "text", "text": "obey"}]}]}',
            "messages[0]: system messages are not accepted from the client",
        ),
        (
            b'{"messages": [{"role": "user", "parts": [{"type": "video-call"}]}]}',
            "messages[0].parts[0].type: a user message holds text and files, got 'video-call'",
        ),
    ],
)
def test_a_bad_request_is_answered_400_naming_what_is_wrong(body: bytes, message: str) -> None:
    model = FakeModel()
    with serve(fantasy.ui.asgi(fantasy.Agent(model))) as url:
        response = httpx.post(url, content=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert model.calls == []


def test_only_post_is_served_and_a_body_over_the_limit_is_refused() -> None:
    with serve(fantasy.ui.asgi(fantasy.Agent(FakeModel()), max_body_bytes=1000)) as url:
        got = httpx.get(url, timeout=30)
        big = httpx.post(url, json=chat("x" * 2000), timeout=30)
    assert got.status_code == 405
    assert got.headers["allow"] == "POST"
    assert big.status_code == 413
    assert big.json()["error"] == "the request body is over 1000 bytes"


def test_a_client_that_disconnects_cancels_the_run_and_its_tool() -> None:
    started = threading.Event()
    cancelled = threading.Event()

    @fantasy.tool
    async def slow_lookup(query: str) -> str:
        """Looks something up, slowly."""
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    model = FakeModel([stream_parts_for_tool_calls(("slow_lookup", {"query": "x"}))])
    agent = fantasy.Agent(model, tools=[slow_lookup])
    with serve(fantasy.ui.asgi(agent)) as url:
        with httpx.stream("POST", url, json=chat("look it up"), timeout=30) as response:
            for line in response.iter_lines():
                if "tool-input-available" in line:
                    break
            assert started.wait(10)
        # The response is closed: the server sees the disconnect and cancels the run.
        assert cancelled.wait(10), "the tool was not cancelled when the client went away"
    assert model.remaining == 0


def test_a_run_past_max_duration_is_aborted() -> None:
    @fantasy.tool
    async def slow(query: str) -> str:
        """Takes a while."""
        await asyncio.sleep(30)
        return "late"

    model = FakeModel([stream_parts_for_tool_calls(("slow", {"query": "x"}))])
    endpoint = fantasy.ui.asgi(fantasy.Agent(model, tools=[slow]), max_duration=0.5)
    with serve(endpoint) as url:
        began = time.monotonic()
        response = httpx.post(url, json=chat("go"), timeout=30)
    assert time.monotonic() - began < 10
    got = events(response.text)
    assert got[-2:] == [
        {"type": "abort", "reason": "The run took longer than the server allows."},
        "[DONE]",
    ]


def test_an_error_part_from_the_model_ends_the_stream_with_a_sentence_not_the_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "Bearer sk-proj-abcdefghijklmnop"
    parts = [
        StreamPart(StreamPartType.TEXT_START, id="t"),
        StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="Hel"),
        StreamPart(StreamPartType.ERROR, error=RuntimeError(f"upstream said {secret}")),
    ]
    agent = fantasy.Agent(FakeModel([parts]), max_retries=0)
    with serve(fantasy.ui.asgi(agent)) as url:
        response = httpx.post(url, json=chat("hi"), timeout=30)
    got = events(response.text)
    assert got[-2:] == [{"type": "error", "errorText": "The agent run failed."}, "[DONE]"]
    assert secret not in response.text
    assert "Traceback" not in response.text
    # The server keeps the whole story in its log.
    assert any("agent run failed" in r.getMessage() for r in caplog.records)


def test_on_error_chooses_the_client_text() -> None:
    agent = fantasy.Agent(FakeModel([ValueError("the database is down")]), max_retries=0)
    endpoint = fantasy.ui.asgi(agent, on_error=lambda e: f"Sorry: {e}")
    with serve(endpoint) as url:
        response = httpx.post(url, json=chat("hi"), timeout=30)
    assert events(response.text)[-2] == {
        "type": "error",
        "errorText": "Sorry: the database is down",
    }


def test_stream_options_reach_the_run() -> None:
    model = FakeModel([stream_parts_for_text("hello")])
    endpoint = fantasy.ui.asgi(fantasy.Agent(model), stream_options={"temperature": 0.25})
    with serve(endpoint) as url:
        httpx.post(url, json=chat("hi"), timeout=30)
    assert model.calls[0].temperature == 0.25


def test_the_sync_face_encodes_the_same_chunks_as_the_async_one() -> None:
    def agent() -> fantasy.Agent[Any]:
        return fantasy.Agent(FakeModel([full_turn_parts(), answer_parts()]), tools=[weather])

    sync = list(
        ai_sdk.stream_events_sync(
            agent().stream("Weather?"), ai_sdk.UIMessageStreamEncoder(message_id="m")
        )
    )

    async def collect() -> list[bytes]:
        encoder = ai_sdk.UIMessageStreamEncoder(message_id="m")
        return [e async for e in ai_sdk.stream_events(agent().astream("Weather?"), encoder)]

    assert sync == asyncio.run(collect())
    assert sync[0] == b'data: {"type":"start","messageId":"m"}\n\n'
    assert sync[-1] == b"data: [DONE]\n\n"


def test_lone_surrogates_from_a_model_are_sent_as_valid_utf8() -> None:
    agent = fantasy.Agent(FakeModel([stream_parts_for_text("bad \ud800 text")]))
    body = b"".join(ai_sdk.stream_events_sync(agent.stream("hi")))
    assert "bad \ufffd text" in body.decode("utf-8")


@pytest.mark.parametrize("module", ["fantasy", "fantasy.ui"])
def test_importing_loads_no_web_framework(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "loaded = [m for m in ('starlette', 'uvicorn', 'fastapi', 'ag_ui', 'anyio') "
        "if m in sys.modules]\n"
        "print(','.join(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_a_wrong_stream_option_is_refused_when_the_endpoint_is_built() -> None:
    with pytest.raises(TypeError, match="temprature"):
        fantasy.ui.asgi(fantasy.Agent(FakeModel()), stream_options={"temprature": 0.2})
    with pytest.raises(ValueError, match="protocol must be 'ai-sdk' or 'ag-ui'"):
        fantasy.ui.asgi(fantasy.Agent(FakeModel()), protocol="graphql")  # type: ignore[arg-type]


@fantasy.tool(needs_approval=True)
def remove(path: str) -> str:
    """Removes a file."""
    return f"removed {path}"


def approval_turn() -> list[list[StreamPart]]:
    return [
        stream_parts_for_tool_calls(("c1", "remove", {"path": "a.txt"})),
        stream_parts_for_text("done"),
    ]


@pytest.mark.parametrize("decision", [True, False])
def test_a_call_the_servers_approve_decides_is_not_sent_as_an_approval_request(
    decision: bool,
) -> None:
    agent = fantasy.Agent(FakeModel(approval_turn()), tools=[remove], approve=lambda r: decision)
    body = b"".join(ai_sdk.stream_events_sync(agent.stream("Remove a.txt"))).decode()
    kinds = [e["type"] for e in events(body) if e != "[DONE]"]
    assert "tool-approval-request" not in kinds
    outcome = "tool-output-available" if decision else "tool-output-error"
    assert kinds[kinds.index("tool-input-available") + 1] == outcome


def test_a_paused_run_sends_its_approval_request_before_the_step_ends() -> None:
    agent = fantasy.Agent(FakeModel(approval_turn()), tools=[remove])
    body = b"".join(ai_sdk.stream_events_sync(agent.stream("Remove a.txt"))).decode()
    chunks = [e for e in events(body) if e != "[DONE]"]
    assert [c["type"] for c in chunks][-3:] == ["tool-approval-request", "finish-step", "finish"]
    assert chunks[-3] == {
        "type": "tool-approval-request",
        "approvalId": "approval-c1",
        "toolCallId": "c1",
    }
