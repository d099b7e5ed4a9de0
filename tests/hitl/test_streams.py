"""Streams: a ``tool_approval_request`` part per call that needs approval (before it is
asked, or before the run pauses), results of a resumed run's calls as parts, and the
stream's result carrying what is pending."""

from __future__ import annotations

import asyncio
from typing import Any

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import StreamPart, StreamPartType

APPROVAL = StreamPartType.TOOL_APPROVAL_REQUEST


def tools() -> list[fantasy.AgentTool]:
    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    @fantasy.tool
    def weather(city: str) -> str:
        return f"sunny in {city}"

    return [delete_file, weather]


def calls() -> fantasy.Response:
    return tool_call_response(
        ("c1", "delete_file", {"path": "a.txt"}), ("c2", "weather", {"city": "Rome"})
    )


def collect(stream: Any, face: str) -> tuple[list[StreamPart], fantasy.AgentResult]:
    if face == "sync":
        parts = list(stream)
        return parts, stream.result

    async def go() -> tuple[list[StreamPart], fantasy.AgentResult]:
        got = [p async for p in stream]
        return got, stream.result

    return asyncio.run(go())


def test_a_paused_stream_emits_the_request_and_carries_the_pending_call() -> None:
    for face in ("sync", "async"):
        model = FakeModel([calls()])
        agent = fantasy.Agent(model, tools=tools())
        stream = agent.stream("tidy") if face == "sync" else agent.astream("tidy")
        parts, result = collect(stream, face)

        requests = [p for p in parts if p.type is APPROVAL]
        assert [(p.id, p.tool_call_name, p.tool_call_input) for p in requests] == [
            ("c1", "delete_file", '{"path": "a.txt"}')
        ], face
        assert requests[0].pending_call.input.path == "a.txt"
        kinds = [p.type for p in parts]
        # After the model's parts, before the results of the calls that ran.
        assert kinds.index(APPROVAL) > kinds.index(StreamPartType.FINISH)
        assert kinds.index(APPROVAL) < kinds.index(StreamPartType.TOOL_RESULT)
        results = [p.id for p in parts if p.type is StreamPartType.TOOL_RESULT]
        assert results == ["c2"], face
        assert result.paused
        assert [p.tool_call_id for p in result.pending_approvals] == ["c1"]


def test_with_an_approve_callback_the_request_part_comes_before_the_question() -> None:
    for face in ("sync", "async"):
        log: list[str] = []

        def approve(request: fantasy.PendingCall, log: list[str] = log) -> bool:
            log.append(f"asked {request.tool_call_id}")
            return True

        model = FakeModel([calls(), text_response("done")])
        agent = fantasy.Agent(model, tools=tools(), approve=approve)
        stream = agent.stream("tidy") if face == "sync" else agent.astream("tidy")

        def seen(part: StreamPart, log: list[str] = log) -> None:
            if part.type is APPROVAL:
                log.append(f"part {part.id}")
            elif part.type is StreamPartType.TOOL_RESULT:
                log.append(f"result {part.id}")

        if face == "sync":
            for part in stream:
                seen(part)
            result = stream.result
        else:

            async def go(stream: Any = stream) -> fantasy.AgentResult:
                async for part in stream:
                    seen(part)
                return stream.result

            result = asyncio.run(go())
        assert log == ["part c1", "asked c1", "result c1", "result c2"], face
        assert result.text == "done"


def test_a_resumed_stream_emits_the_settled_calls_results_first() -> None:
    for face in ("sync", "async"):
        model = FakeModel([calls(), text_response("done")])
        agent = fantasy.Agent(model, tools=tools())
        paused = agent.generate("tidy")
        heard: list[str] = []
        options: dict[str, Any] = {
            "messages": paused.all_messages(),
            "approvals": {"c1": fantasy.Denied("keep it")},
            "on_tool_result": lambda r, heard=heard: heard.append(r.tool_call_id),
        }
        stream = agent.stream(**options) if face == "sync" else agent.astream(**options)
        parts, result = collect(stream, face)
        first = parts[0]
        assert first.type is StreamPartType.TOOL_RESULT and first.id == "c1", face
        assert first.tool_result is not None
        assert first.tool_result.result == fantasy.ToolResultOutputError("denied: keep it")
        assert heard == ["c1"]
        assert result.text == "done"
