"""Parallel tool calls from servers that do not number them, as Ollama streams them.

Ollama's OpenAI-compatible ``/v1/chat/completions`` sends each call whole in one
chunk (``id``, ``type``, name and all its arguments), with ``"index": 0`` for every
call of an answer (ollama/ollama#15457, #15497: models without their own parser) and,
before 0.4.7, no ``index`` at all (#7881); its ``system_fingerprint`` is
``fp_ollama``. Read by index alone, the second call's arguments were appended to the
first's: one call ``{"city":"Paris"}{"city":"Rome"}`` (not JSON), the second lost.
A call with a new id under an index already used is now a call of its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.types import FinishReason
from tests.faults.server import FaultServer
from tests.recorded.replay import SIZES, sse, streamed


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1744000000,
        "model": "qwen2.5-coder:7b",
        "system_fingerprint": "fp_ollama",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", **delta},
                "finish_reason": finish,
            }
        ],
    }


def ollama_call(call_id: str, path: str, content: str, index: int | None) -> dict[str, Any]:
    call: dict[str, Any] = {
        "id": call_id,
        "type": "function",
        "function": {
            "name": "file_write",
            "arguments": f'{{"filePath":"{path}","content":"{content}"}}',
        },
    }
    if index is not None:
        call["index"] = index
    return call


USAGE = {
    "id": "chatcmpl-123",
    "object": "chat.completion.chunk",
    "created": 1744000000,
    "model": "qwen2.5-coder:7b",
    "system_fingerprint": "fp_ollama",
    "choices": [],
    "usage": {"prompt_tokens": 180, "completion_tokens": 61, "total_tokens": 241},
}

EXPECTED = [
    ("file_write", {"filePath": "hello.py", "content": "print('hello')"}),
    ("file_write", {"filePath": "world.py", "content": "print('world')"}),
]


def answer(index: int | None, together: bool) -> bytes:
    first = ollama_call("call_7hx1", "hello.py", "print('hello')", index)
    second = ollama_call("call_9qz2", "world.py", "print('world')", index)
    calls = (
        [chunk({"tool_calls": [first, second]})]
        if together
        else [chunk({"tool_calls": [first]}), chunk({"tool_calls": [second]})]
    )
    return sse(*calls, chunk({}, finish="tool_calls"), USAGE, done=True)


@pytest.mark.parametrize("index", [0, None], ids=["index-0-for-all", "no-index"])
@pytest.mark.parametrize("together", [False, True], ids=["chunk-per-call", "one-chunk"])
@pytest.mark.parametrize("family", ["openaicompat", "openai"])
def test_each_call_is_its_own(
    server: FaultServer, family: str, index: int | None, together: bool
) -> None:
    for size in SIZES:
        seen = streamed(family, server, answer(index, together), size)
        assert seen.errors == []
        assert seen.calls == EXPECTED
        assert seen.finish is FinishReason.TOOL_CALLS
        assert seen.usage is not None and seen.usage.input_tokens == 180


def test_numbered_calls_split_in_pieces_still_join(server: FaultServer) -> None:
    """The id once with empty arguments, then argument pieces that name only their
    index, the two calls interleaved (the repro of continuedev/continue#13223). The
    first call was closed with ``{}`` when the second began, and its pieces were
    appended to that: ``{}{"filePath":...}``."""
    body = sse(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "file_write", "arguments": ""},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "file_write", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"filePath":"hello.py",'}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"filePath":"world.py",'}}]}),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "function": {"arguments": '"content":"print(\'hello\')"}'}}
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {"index": 1, "function": {"arguments": '"content":"print(\'world\')"}'}}
                ]
            }
        ),
        chunk({}, finish="tool_calls"),
        done=True,
    )
    seen = streamed("openaicompat", server, body, 61)
    assert seen.calls == EXPECTED


def test_pieces_without_an_index_go_to_the_call_they_follow(server: FaultServer) -> None:
    """No index anywhere: each call's later argument pieces (no id) join the call just
    opened, not the first one."""
    body = sse(
        chunk(
            {
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "file_write", "arguments": '{"filePath":'},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {"function": {"arguments": '"hello.py","content":"print(\'hello\')"}'}}
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "file_write", "arguments": '{"filePath":'},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {"function": {"arguments": '"world.py","content":"print(\'world\')"}'}}
                ]
            }
        ),
        chunk({}, finish="tool_calls"),
        done=True,
    )
    seen = streamed("openaicompat", server, body, 7)
    assert seen.calls == EXPECTED


def bare_call(arguments: str, name: str | None = "file_write") -> dict[str, Any]:
    """A tool-call delta with neither index nor id, as some OpenAI-compatible servers
    (LocalAI, text-generation-webui, proxies that rebuild chunks) send every call."""
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    return {"type": "function", "function": function}


HELLO = '{"filePath":"hello.py","content":"print(\'hello\')"}'
WORLD = '{"filePath":"world.py","content":"print(\'world\')"}'


@pytest.mark.parametrize("size", SIZES)
def test_a_call_without_index_or_id_after_a_whole_one_is_its_own(
    server: FaultServer, size: int
) -> None:
    """No index, no id, the same name again: the first call's arguments were already a
    whole object, so the name begins the second (Fantasy, and fantasy before: one call
    ``{...}{...}``, the second lost)."""
    body = sse(
        chunk({"tool_calls": [bare_call(HELLO[:20])]}),
        chunk({"tool_calls": [bare_call(HELLO[20:], name=None)]}),
        chunk({"tool_calls": [bare_call(WORLD[:25])]}),
        chunk({"tool_calls": [bare_call(WORLD[25:], name=None)]}),
        chunk({}, finish="tool_calls"),
        done=True,
    )
    seen = streamed("openaicompat", server, body, size)
    assert seen.errors == []
    assert seen.calls == EXPECTED
    starts = [p for p in seen.parts if p.type.value == "tool_input_start"]
    assert len({p.id for p in starts}) == 2  # each call has an id of its own


def test_a_name_alone_then_arguments_begins_the_next_call(server: FaultServer) -> None:
    """The second call's name in a delta of its own, its arguments after, neither with an
    index or an id."""
    body = sse(
        chunk({"tool_calls": [bare_call(HELLO)]}),
        chunk({"tool_calls": [bare_call("")]}),
        chunk({"tool_calls": [bare_call(WORLD, name=None)]}),
        chunk({}, finish="tool_calls"),
        done=True,
    )
    seen = streamed("openaicompat", server, body, 61)
    assert seen.calls == EXPECTED


def test_a_name_repeated_on_every_piece_of_one_call_stays_one_call(server: FaultServer) -> None:
    """Servers that repeat the name on every delta of a call: its pieces are not whole
    JSON until the last, so they join; a repeat with nothing after the whole object opens
    no empty call."""
    body = sse(
        chunk({"tool_calls": [bare_call(HELLO[:20])]}),
        chunk({"tool_calls": [bare_call(HELLO[20:])]}),
        chunk({"tool_calls": [bare_call("")]}),
        chunk({}, finish="tool_calls"),
        done=True,
    )
    seen = streamed("openaicompat", server, body, 61)
    assert seen.calls == EXPECTED[:1]
