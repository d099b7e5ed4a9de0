"""Provider answers for the loopback tests: a step asking for three tools, then text."""

from __future__ import annotations

import json

from tests.faults.wire import anthropic_whole, chat_whole

CALLS = (
    ("call_1", "delete_file", {"path": "a.txt"}),
    ("call_2", "pay", {"to": "bob", "amount": 500}),
    ("call_3", "weather", {"city": "Lima"}),
)


def tool_calls(family: str) -> bytes:
    if family == "anthropic":
        blocks = [{"type": "text", "text": "On it."}]
        blocks += [
            {"type": "tool_use", "id": cid, "name": name, "input": args}
            for cid, name, args in CALLS
        ]
        body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4",
            "content": blocks,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 30, "output_tokens": 20},
        }
    else:
        calls = [
            {
                "id": cid,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for cid, name, args in CALLS
        ]
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "On it.", "tool_calls": calls},
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 30, "completion_tokens": 20, "total_tokens": 50},
        }
    return json.dumps(body).encode()


def final_text(family: str) -> bytes:
    return anthropic_whole("done") if family == "anthropic" else chat_whole("done")


def streamed_tool_calls() -> list[bytes]:
    """The OpenAI Chat Completions stream of `tool_calls`: text, then the three calls
    (each call's arguments in two pieces), ``tool_calls``, usage, ``[DONE]``."""
    from tests.faults.wire import _chat_chunk, _sse

    chunks = [_chat_chunk({"role": "assistant", "content": "On it."})]
    for index, (cid, name, args) in enumerate(CALLS):
        text = json.dumps(args)
        half = len(text) // 2
        start = {"index": index, "id": cid, "type": "function"}
        start["function"] = {"name": name, "arguments": text[:half]}
        chunks.append(_chat_chunk({"tool_calls": [start]}))
        rest = {"index": index, "function": {"arguments": text[half:]}}
        chunks.append(_chat_chunk({"tool_calls": [rest]}))
    usage = {"prompt_tokens": 30, "completion_tokens": 20, "total_tokens": 50}
    chunks.append(_chat_chunk({}, "tool_calls"))
    chunks.append(
        _sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": usage})
    )
    chunks.append(b"data: [DONE]\n\n")
    return chunks
