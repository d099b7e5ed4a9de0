"""Responses API events that carry nothing new are read without a warning.

``keepalive`` (``event: keepalive`` / ``{"type": "keepalive", "sequence_number": N}``)
is the heartbeat the Codex backend and gateways in front of the Responses API send
about every 30 seconds while a turn waits (projects relaying it record it between
``response.in_progress`` and the first item). ``response.apply_patch_call_operation_diff
.delta`` / ``.done`` stream an apply_patch call's diff, which its ``output_item.done``
then carries whole (vercel/ai, packages/openai/src/responses/__fixtures__/
openai-apply-patch-tool.1.chunks.txt). Each was reported as an "unsupported Responses
API stream event type" warning on the step, for a stream that lost nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.types import FinishReason, StreamPartType
from tests.faults.server import FaultServer
from tests.recorded.replay import SIZES, sse, streamed

RESPONSE = {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5"}
USAGE = {
    "input_tokens": 642,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 67,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 709,
}


def events(*middle: dict[str, Any], output: list[Any]) -> bytes:
    numbered = [
        {"type": "response.created", "response": {**RESPONSE, "status": "in_progress"}},
        {"type": "response.in_progress", "response": {**RESPONSE, "status": "in_progress"}},
        *middle,
        {
            "type": "response.completed",
            "response": {**RESPONSE, "status": "completed", "output": output, "usage": USAGE},
        },
    ]
    return sse(*({**e, "sequence_number": i} for i, e in enumerate(numbered)), named=True)


MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Hello there", "annotations": []}],
}


def warnings_of(parts: list[Any]) -> list[Any]:
    return [w for p in parts if p.type is StreamPartType.WARNINGS for w in p.warnings or []]


@pytest.mark.parametrize("size", SIZES)
def test_keepalives_are_heartbeats(server: FaultServer, size: int) -> None:
    keepalive = {"type": "keepalive"}
    body = events(
        keepalive,
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**MESSAGE, "status": "in_progress", "content": []},
        },
        keepalive,
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hello",
            "logprobs": [],
        },
        keepalive,
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": " there",
            "logprobs": [],
        },
        {"type": "response.output_item.done", "output_index": 0, "item": MESSAGE},
        keepalive,
        output=[MESSAGE],
    )
    seen = streamed("responses", server, body, size)
    assert seen.errors == []
    assert seen.text == "Hello there"
    assert seen.finish is FinishReason.STOP
    assert warnings_of(seen.parts) == []


def test_an_apply_patch_diff_streamed_then_whole(server: FaultServer) -> None:
    diff = "+## Shopping Checklist\n+\n+- [ ] Milk\n"
    call = {
        "id": "apc_1",
        "type": "apply_patch_call",
        "status": "completed",
        "call_id": "call_kA46f91ZwocQyMCKyyZqRyC5",
        "operation": {"type": "create_file", "diff": diff, "path": "shopping-checklist.md"},
    }
    pieces = ["+", "##", " Shopping Checklist\n+\n+- [ ] Milk\n"]
    body = events(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                **call,
                "status": "in_progress",
                "operation": {"type": "create_file", "diff": "", "path": "shopping-checklist.md"},
            },
        },
        *(
            {
                "type": "response.apply_patch_call_operation_diff.delta",
                "item_id": "apc_1",
                "output_index": 0,
                "delta": piece,
                "obfuscation": "wsWQt8Nr5nwWBf7",
            }
            for piece in pieces
        ),
        {
            "type": "response.apply_patch_call_operation_diff.done",
            "item_id": "apc_1",
            "output_index": 0,
            "diff": diff,
        },
        {"type": "response.output_item.done", "output_index": 0, "item": call},
        output=[call],
    )
    seen = streamed("responses", server, body, 61)
    assert seen.errors == []
    assert seen.calls == [
        ("apply_patch", {"type": "create_file", "diff": diff, "path": "shopping-checklist.md"})
    ]
    assert seen.finish is FinishReason.TOOL_CALLS
    assert warnings_of(seen.parts) == []
