"""Provider JSON of the wrong shape, for Anthropic (direct SSE, Bedrock frames) and
Gemini, whole and streamed: each field is read on purpose, so an answer with one field
of the wrong type is an `InvalidResponseError` naming its JSON path (whole: raised;
streamed: the last part is an error part carrying it), never a bare ``TypeError`` and
never a silent ``""``. What the readers are lenient about on purpose (missing or null
fields, unknown kinds) stays lenient.

The exhaustive tests at the end replace every field of documented answers with values
of every JSON type and call the translators directly, without the shell, so a bare
exception would escape them.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fantasy.errors import FantasyError, InvalidResponseError, ProviderError
from fantasy.http.eventstream import encode_message
from fantasy.http.shell import StreamPump
from fantasy.providers import anthropic
from fantasy.providers.anthropic.events import BedrockEvents, SSEEvents
from fantasy.providers.anthropic.response import parse_message
from fantasy.providers.anthropic.stream import StreamTranslator as AnthropicTranslator
from fantasy.providers.google.response import parse_response
from fantasy.providers.google.stream import GeminiEventSource
from fantasy.providers.google.stream import StreamTranslator as GeminiTranslator
from fantasy.types import FinishReason, StreamPart, StreamPartType, TextContent, Usage

T = StreamPartType
Path = tuple[str | int, ...]


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A deep copy of ``value`` with the node at ``path`` set to ``new``."""
    result = copy.deepcopy(value)
    node = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return result


def node_paths(value: Any, at: Path = ()) -> Iterator[Path]:
    """The path of every node under ``value`` (not ``value`` itself)."""
    if not isinstance(value, dict | list):
        return
    items: Any = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield (*at, key)
        yield from node_paths(child, (*at, key))


def error_part(parts: list[StreamPart]) -> BaseException:
    """The error a stream ended with: its last part, with no finish before it."""
    assert parts, "a stream always says how it ended"
    assert parts[-1].type is T.ERROR, [p.type for p in parts]
    assert T.FINISH not in [p.type for p in parts]
    assert parts[-1].error is not None
    return parts[-1].error


def pumped(pump: StreamPump[Any], raw: list[bytes]) -> list[StreamPart]:
    parts = pump.start()
    for chunk in raw:
        parts.extend(pump.feed(chunk))
        if pump.done:
            return parts
    return parts + pump.finish()


# =========================================================================== Anthropic

MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-20250514",
    "content": [
        {"type": "thinking", "thinking": "Let me see.", "signature": "sig"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Rome"}},
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "rome weather"},
        },
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_1",
            "content": [
                {
                    "type": "web_search_result",
                    "url": "https://example.com",
                    "title": "Weather",
                    "encrypted_content": "enc",
                    "page_age": "1 day",
                }
            ],
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 2,
        "cache_read_input_tokens": 1,
    },
}


def _block_start(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, **body: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": body}


def _block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


EVENTS: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": None,
            "usage": {
                "input_tokens": 424,
                "output_tokens": 5,
                "cache_creation_input_tokens": 7,
                "cache_read_input_tokens": 3,
            },
        },
    },
    _block_start(0, type="thinking", thinking="", signature=""),
    _delta(0, type="thinking_delta", thinking="Let me see."),
    _delta(0, type="signature_delta", signature="sig"),
    _block_stop(0),
    _block_start(1, type="redacted_thinking", data="opaque"),
    _block_stop(1),
    _block_start(2, type="text", text=""),
    _delta(2, type="text_delta", text="Let me check."),
    _block_stop(2),
    _block_start(3, type="tool_use", id="toolu_1", name="weather", input={}),
    _delta(3, type="input_json_delta", partial_json='{"city":'),
    _delta(3, type="input_json_delta", partial_json='"Rome"}'),
    _block_stop(3),
    _block_start(4, type="server_tool_use", id="srvtoolu_1", name="web_search", input={}),
    _delta(4, type="input_json_delta", partial_json='{"query":"rome weather"}'),
    _block_stop(4),
    _block_start(5, **MESSAGE["content"][5]),
    _block_stop(5),
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 90},
    },
    {"type": "message_stop"},
]

# Where each kind of event is in EVENTS.
MESSAGE_START, SIGNATURE, TEXT_START, TEXT_DELTA, TOOL_START, TOOL_DELTA = 0, 3, 7, 8, 10, 11
WEB_START, MESSAGE_DELTA = 17, 19


def sse_bytes(events: list[dict[str, Any]]) -> list[bytes]:
    """Each event as Anthropic sends it: named by its (documented) type."""
    raw = []
    for event in events:
        name = event["type"] if isinstance(event.get("type"), str) else "message_start"
        raw.append(f"event: {name}\ndata: {json.dumps(event)}\n\n".encode())
    return raw


BEDROCK_HEADERS = {
    ":event-type": "chunk",
    ":content-type": "application/json",
    ":message-type": "event",
}


def bedrock_frame(wrapper: dict[str, Any]) -> bytes:
    return encode_message(BEDROCK_HEADERS, json.dumps(wrapper).encode())


def bedrock_bytes(events: list[dict[str, Any]]) -> list[bytes]:
    """Each event as Bedrock sends it: base64 in a ``chunk`` frame."""
    return [
        bedrock_frame({"bytes": base64.b64encode(json.dumps(e).encode()).decode(), "p": "ab"})
        for e in events
    ]


ENCODE = {"sse": sse_bytes, "bedrock": bedrock_bytes}


def anthropic_stream(framing: str, raw: list[bytes]) -> list[StreamPart]:
    source = SSEEvents("anthropic") if framing == "sse" else BedrockEvents("bedrock")
    translator = AnthropicTranslator("anthropic", [])
    return pumped(StreamPump(source, translator, "anthropic", "https://x/messages"), raw)


def stream_with(framing: str, at: int, path: Path, value: Any) -> list[StreamPart]:
    events = [*EVENTS]
    events[at] = replaced(events[at], path, value)
    return anthropic_stream(framing, ENCODE[framing](events))


def test_documented_answers_pass() -> None:
    """The samples the tests below break are well-formed."""
    response = parse_message(MESSAGE)
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage(10, 5, 15, cache_creation_tokens=2, cache_read_tokens=1)
    for framing in ("sse", "bedrock"):
        parts = anthropic_stream(
            framing, (sse_bytes if framing == "sse" else bedrock_bytes)(EVENTS)
        )
        assert parts[-1].type is T.FINISH, parts[-1]
        assert parts[-1].usage == Usage(424, 90, 514, cache_creation_tokens=7, cache_read_tokens=3)
        calls = [p for p in parts if p.type is T.TOOL_CALL]
        assert [c.tool_call_input for c in calls] == ['{"city":"Rome"}', '{"query":"rome weather"}']
    gemini = parse_response(GEMINI, counter())
    assert gemini.finish_reason is FinishReason.TOOL_CALLS
    parts = gemini_stream([data(chunk) for chunk in CHUNKS])
    assert parts[-1].type is T.FINISH, parts[-1]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("content", 2, "text"), 42, "content[2].text: expected a string, got number 42"),
        (("content",), "hi", "content: expected an array, got string 'hi'"),
        (("content", 0), "x", "content[0]: expected an object, got string 'x'"),
        (("content", 0, "type"), 1, "content[0].type: expected a string, got number 1"),
        (("content", 0, "thinking"), [], "content[0].thinking: expected a string, got array"),
        (("content", 0, "signature"), 5, "content[0].signature: expected a string, got number"),
        (("content", 1, "data"), {}, "content[1].data: expected a string, got object"),
        (("content", 3, "input"), [1], "content[3].input: expected an object, got array"),
        (("content", 3, "id"), 7, "content[3].id: expected a string, got number 7"),
        (("content", 3, "name"), True, "content[3].name: expected a string, got boolean True"),
        (("content", 4, "input"), "q", "content[4].input: expected an object, got string 'q'"),
        (
            ("content", 5, "content"),
            5,
            "content[5].content: expected an array or an object, got number 5",
        ),
        (("content", 5, "content", 0), "r", "content[5].content[0]: expected an object"),
        (
            ("content", 5, "content", 0, "url"),
            3,
            "content[5].content[0].url: expected a string, got number 3",
        ),
        (("content", 5, "tool_use_id"), 1, "content[5].tool_use_id: expected a string"),
        (("stop_reason",), 7, "stop_reason: expected a string, got number 7"),
        (("usage",), [], "usage: expected an object, got array"),
        (
            ("usage", "input_tokens"),
            "10",
            "usage.input_tokens: expected an integer, got string '10'",
        ),
        (("usage", "output_tokens"), 1.5, "usage.output_tokens: expected an integer, got number"),
        (("usage", "cache_read_input_tokens"), True, "usage.cache_read_input_tokens: expected"),
    ],
)
def test_anthropic_whole_answer_of_the_wrong_shape(path: Path, value: Any, expected: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        parse_message(replaced(MESSAGE, path, value))
    assert expected in str(caught.value)
    assert caught.value.title == "invalid provider response"
    assert not caught.value.is_retryable


def test_anthropic_web_search_error_content() -> None:
    block = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": {"type": "web_search_tool_result_error", "error_code": 9},
    }
    with pytest.raises(InvalidResponseError, match=r"content\[0\]\.content\.error_code: expected"):
        parse_message({**MESSAGE, "content": [block]})


STREAM_CASES = [
    (
        TEXT_DELTA,
        ("delta", "text"),
        42,
        "event(content_block_delta).delta.text: expected a string, got number 42",
    ),
    (
        TEXT_DELTA,
        ("delta",),
        [1],
        "event(content_block_delta).delta: expected an object, got array",
    ),
    (
        TEXT_DELTA,
        ("index",),
        "2",
        "event(content_block_delta).index: expected an integer, got string '2'",
    ),
    (TEXT_DELTA, ("delta", "type"), 3, "event(content_block_delta).delta.type: expected a string"),
    (
        SIGNATURE,
        ("delta", "signature"),
        {},
        "event(content_block_delta).delta.signature: expected a string, got object",
    ),
    (
        TOOL_DELTA,
        ("delta", "partial_json"),
        {"city": "Rome"},
        "event(content_block_delta).delta.partial_json: expected a string, got object",
    ),
    (
        MESSAGE_START,
        ("message", "usage", "input_tokens"),
        "424",
        "event(message_start).message.usage.input_tokens: expected an integer, got string '424'",
    ),
    (MESSAGE_START, ("message",), "m", "event(message_start).message: expected an object"),
    (MESSAGE_START, ("message", "id"), 1, "event(message_start).message.id: expected a string"),
    (
        MESSAGE_DELTA,
        ("delta", "stop_reason"),
        7,
        "event(message_delta).delta.stop_reason: expected a string, got number 7",
    ),
    (
        MESSAGE_DELTA,
        ("usage", "output_tokens"),
        "90",
        "event(message_delta).usage.output_tokens: expected an integer, got string '90'",
    ),
    (MESSAGE_DELTA, ("usage",), 5, "event(message_delta).usage: expected an object, got number 5"),
    (
        TEXT_START,
        ("content_block",),
        "text",
        "event(content_block_start).content_block: expected an object, got string 'text'",
    ),
    (
        TEXT_START,
        ("index",),
        None,
        "event(content_block_start).index: expected an integer, got null",
    ),
    (
        TOOL_START,
        ("content_block", "name"),
        5,
        "event(content_block_start).content_block.name: expected a string, got number 5",
    ),
    (
        TOOL_START,
        ("content_block", "type"),
        ["tool_use"],
        "event(content_block_start).content_block.type: expected a string, got array",
    ),
    (
        WEB_START,
        ("content_block", "content", 0, "url"),
        3,
        "event(content_block_start).content_block.content[0].url: expected a string",
    ),
    (TEXT_DELTA, ("type",), [1], "event.type: expected a string, got array"),
]


@pytest.mark.parametrize("framing", ["sse", "bedrock"])
@pytest.mark.parametrize(("at", "path", "value", "expected"), STREAM_CASES)
def test_anthropic_stream_of_the_wrong_shape(
    framing: str, at: int, path: Path, value: Any, expected: str
) -> None:
    parts = stream_with(framing, at, path, value)
    error = error_part(parts)
    assert isinstance(error, InvalidResponseError), repr(error)
    assert expected in str(error)
    assert error.provider == "anthropic" and error.url == "https://x/messages"
    if at > TEXT_START:
        # What came before the bad event was delivered, ahead of its error.
        assert T.REASONING_END in [p.type for p in parts]


@pytest.mark.parametrize(
    ("wrapper", "expected"),
    [
        ({"bytes": 42}, "chunk.bytes: expected a string, got number 42"),
        ({"bytes": ["eyJ9"]}, "chunk.bytes: expected a string, got array"),
        ({"bytes": base64.b64encode(b"[1]").decode()}, "expected a JSON object, got list"),
    ],
)
def test_bedrock_chunk_of_the_wrong_shape(wrapper: dict[str, Any], expected: str) -> None:
    raw = bedrock_bytes(EVENTS[:3])
    raw.append(bedrock_frame(wrapper))
    error = error_part(anthropic_stream("bedrock", raw))
    assert isinstance(error, InvalidResponseError)
    assert expected in str(error)


def test_anthropic_lenient_on_purpose() -> None:
    """Null and missing fields are "not sent", unknown event, block and delta kinds are
    skipped (a future block's fields of any type are not read), and a usage count left
    out of message_delta keeps message_start's."""
    message = replaced(MESSAGE, ("content", 2, "text"), None)
    message = replaced(message, ("usage",), None)
    message["content"].append({"type": "container_upload", "data": {"x": 1}, "id": 5})
    response = parse_message(message)
    assert TextContent("") in list(response.content)
    assert response.usage == Usage()

    events = [
        *EVENTS[:-2],
        {"type": "future_event", "payload": [1, 2]},
        _block_start(9, type="future_block", id=[1], name={}, data=3.5),
        _delta(9, type="future_delta", text=[1]),
        _block_stop(9),
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": None},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
        EVENTS[-1],
    ]
    for framing in ("sse", "bedrock"):
        parts = anthropic_stream(
            framing, (sse_bytes if framing == "sse" else bedrock_bytes)(events)
        )
        assert parts[-1].type is T.FINISH
        assert parts[-1].usage == Usage(424, 5, 429, cache_creation_tokens=7, cache_read_tokens=3)


def test_computer_use_input_is_read_on_purpose() -> None:
    with pytest.raises(ValueError, match=r"^action: expected a string, got number 5$"):
        anthropic.parse_computer_use_input('{"action": 5}')
    with pytest.raises(ValueError, match=r"scroll_amount: expected an integer, got string"):
        anthropic.parse_computer_use_input('{"action": "scroll", "scroll_amount": "3"}')
    with pytest.raises(ValueError, match=r"duration: expected a number"):
        anthropic.parse_computer_use_input('{"action": "wait", "duration": "1"}')
    with pytest.raises(ValueError, match=r"text: expected a string, got array"):
        anthropic.parse_computer_use_input('{"action": "type", "text": ["a"]}')


# =========================================================================== Gemini


def counter() -> Callable[[], str]:
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"call-{count}"

    return next_id


GEMINI: dict[str, Any] = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Thinking it over.", "thought": True},
                    {"text": "Let me check.", "thoughtSignature": "c2ln"},
                    {
                        "functionCall": {"id": "fc_1", "name": "weather", "args": {"city": "Rome"}},
                        "thoughtSignature": "c2ln",
                    },
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 54,
        "candidatesTokenCount": 15,
        "totalTokenCount": 117,
        "thoughtsTokenCount": 48,
        "cachedContentTokenCount": 7,
    },
    "modelVersion": "gemini-2.5-flash",
}

PARTS = ("candidates", 0, "content", "parts")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("candidates",), {"0": {}}, "candidates: expected an array, got object"),
        (("candidates", 0), "x", "candidates[0]: expected an object, got string 'x'"),
        (("candidates", 0, "content"), [], "candidates[0].content: expected an object, got array"),
        (PARTS, "hi", "candidates[0].content.parts: expected an array, got string 'hi'"),
        ((*PARTS, 1), 4, "candidates[0].content.parts[1]: expected an object, got number 4"),
        ((*PARTS, 1, "text"), 42, "candidates[0].content.parts[1].text: expected a string, got"),
        ((*PARTS, 0, "thought"), "yes", "candidates[0].content.parts[0].thought: expected a bool"),
        ((*PARTS, 1, "thoughtSignature"), 5, "parts[1].thoughtSignature: expected a string"),
        ((*PARTS, 2, "functionCall"), [], "parts[2].functionCall: expected an object, got array"),
        (
            (*PARTS, 2, "functionCall", "args"),
            [1],
            "candidates[0].content.parts[2].functionCall.args: expected an object, got array",
        ),
        ((*PARTS, 2, "functionCall", "name"), 3, "parts[2].functionCall.name: expected a string"),
        ((*PARTS, 2, "functionCall", "id"), {}, "parts[2].functionCall.id: expected a string"),
        (
            ("candidates", 0, "finishReason"),
            7,
            "candidates[0].finishReason: expected a string, got number 7",
        ),
        (("usageMetadata",), [], "usageMetadata: expected an object, got array"),
        (
            ("usageMetadata", "promptTokenCount"),
            "54",
            "usageMetadata.promptTokenCount: expected an integer, got string '54'",
        ),
        (("usageMetadata", "thoughtsTokenCount"), 0.5, "thoughtsTokenCount: expected an integer"),
    ],
)
def test_gemini_whole_answer_of_the_wrong_shape(path: Path, value: Any, expected: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        parse_response(replaced(GEMINI, path, value), counter())
    assert expected in str(caught.value)
    assert not caught.value.is_retryable


def test_gemini_block_reason_of_the_wrong_shape() -> None:
    with pytest.raises(InvalidResponseError, match=r"promptFeedback\.blockReason: expected"):
        parse_response({"promptFeedback": {"blockReason": 3}}, counter())
    with pytest.raises(InvalidResponseError, match=r"promptFeedback: expected an object"):
        parse_response({"promptFeedback": "SAFETY"}, counter())


CHUNKS: list[dict[str, Any]] = [
    {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Thinking.", "thought": True}]}}
        ],
        "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
    },
    {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Let me ", "thoughtSignature": "c2ln"},
                        {"text": "check."},
                        {
                            "functionCall": {"name": "weather", "args": {"city": "Rome"}},
                            "thoughtSignature": "c2ln",
                        },
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 5,
            "candidatesTokenCount": 9,
            "totalTokenCount": 14,
            "thoughtsTokenCount": 3,
        },
    },
]

CHUNK_PARTS = ("candidates", 0, "content", "parts")


def data(chunk: Any) -> bytes:
    return f"data: {json.dumps(chunk)}\r\n\r\n".encode()


def gemini_stream(raw: list[bytes]) -> list[StreamPart]:
    url = "https://x/stream"
    translator = GeminiTranslator(counter(), [], url=url)
    return pumped(StreamPump(GeminiEventSource(url=url), translator, "google", url), raw)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("candidates",), {}, "chunk.candidates: expected an array, got object"),
        (("candidates", 0), 1, "chunk.candidates[0]: expected an object, got number 1"),
        (("candidates", 0, "content"), "c", "chunk.candidates[0].content: expected an object"),
        (CHUNK_PARTS, "hi", "chunk.candidates[0].content.parts: expected an array, got string"),
        ((*CHUNK_PARTS, 1), [], "chunk.candidates[0].content.parts[1]: expected an object"),
        (
            (*CHUNK_PARTS, 0, "text"),
            42,
            "chunk.candidates[0].content.parts[0].text: expected a string, got number 42",
        ),
        ((*CHUNK_PARTS, 0, "thought"), 1, "content.parts[0].thought: expected a boolean, got"),
        ((*CHUNK_PARTS, 0, "thoughtSignature"), [], "parts[0].thoughtSignature: expected a str"),
        (
            (*CHUNK_PARTS, 2, "functionCall", "args"),
            ["Rome"],
            "chunk.candidates[0].content.parts[2].functionCall.args: expected an object, got array",
        ),
        ((*CHUNK_PARTS, 2, "functionCall"), "f", "parts[2].functionCall: expected an object"),
        (
            (*CHUNK_PARTS, 2, "functionCall", "name"),
            1,
            "parts[2].functionCall.name: expected a string",
        ),
        (
            ("candidates", 0, "finishReason"),
            7,
            "chunk.candidates[0].finishReason: expected a string, got number 7",
        ),
        (("usageMetadata",), "u", "chunk.usageMetadata: expected an object, got string 'u'"),
        (
            ("usageMetadata", "totalTokenCount"),
            "14",
            "chunk.usageMetadata.totalTokenCount: expected an integer, got string '14'",
        ),
        (
            ("usageMetadata", "candidatesTokenCount"),
            [9],
            "chunk.usageMetadata.candidatesTokenCount: expected an integer, got array",
        ),
    ],
)
def test_gemini_stream_of_the_wrong_shape(path: Path, value: Any, expected: str) -> None:
    parts = gemini_stream([data(CHUNKS[0]), data(replaced(CHUNKS[1], path, value))])
    error = error_part(parts)
    assert isinstance(error, InvalidResponseError), repr(error)
    assert expected in str(error)
    assert error.provider == "google" and error.url == "https://x/stream"
    # The first chunk's parts were delivered, ahead of the error.
    assert [p.type for p in parts[:2]] == [T.REASONING_START, T.REASONING_DELTA]


def test_gemini_stream_part_far_down_the_list() -> None:
    chunk = {"candidates": [{"content": {"parts": [{"text": "a"}] * 9 + [{"text": 42}]}}]}
    error = error_part(gemini_stream([data(chunk)]))
    assert "chunk.candidates[0].content.parts[9].text: expected a string" in str(error)


def test_gemini_stream_error_of_the_wrong_shape() -> None:
    error = error_part(gemini_stream([data(CHUNKS[0]), data({"error": "boom"})]))
    assert isinstance(error, InvalidResponseError)
    assert "chunk.error: expected an object, got string 'boom'" in str(error)


def test_gemini_error_fields_of_the_wrong_type_are_left_out() -> None:
    """An error is still reported as the error it is when a field has the wrong type."""
    odd = {"code": True, "message": "quota", "status": ["RESOURCE_EXHAUSTED"], "details": 5}
    for raw in (data({"error": odd}), json.dumps({"error": odd}).encode() + b"\n\n"):
        error = error_part(gemini_stream([raw]))
        assert isinstance(error, ProviderError) and not isinstance(error, InvalidResponseError)
        assert error.message == "quota"
        assert error.error_type == ""


def test_gemini_lenient_on_purpose() -> None:
    """Null and missing fields are "not sent", null parts and null part data are
    skipped, and usage is the last counted chunk's (Gemini's counts are running totals;
    Fantasy adds them up chunk by chunk)."""
    chunks = [
        {"candidates": None, "usageMetadata": None},
        {"candidates": [{"content": {"parts": [None, {"inlineData": None}]}}]},
        {"candidates": [{"content": None, "finishReason": None}]},
        *CHUNKS,
        {"usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 10}},
        {"usageMetadata": {"candidatesTokenCount": 10, "totalTokenCount": 19}},
    ]
    parts = gemini_stream([data(chunk) for chunk in chunks])
    assert parts[-1].type is T.FINISH
    assert parts[-1].usage == Usage(0, 10, 19)


# =========================================================================== every field

WRONG: list[Any] = [None, 42, 1.5, -1, True, "x", "", [], [1], {}, {"k": [1]}]
"""A value of every JSON type, for every field of the documented answers."""


GEMINI_ERROR: dict[str, Any] = {
    "error": {
        "code": 429,
        "message": "quota",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"reason": "RATE_LIMIT_EXCEEDED"}],
    }
}
ANTHROPIC_ERROR: dict[str, Any] = {
    "type": "error",
    "error": {"type": "overloaded_error", "message": "busy"},
}


def _feed_all(source: Any, translator: Any, raw: list[bytes]) -> None:
    """Bytes through a framing and a translator, without the shell and its catch-all."""
    translator.start()
    for chunk in raw:
        for event in source.feed(chunk):
            translator.feed(event)
    for event in source.end():
        translator.feed(event)
    translator.finish()


def _anthropic_whole(message: Any) -> None:
    parse_message(message)


def _anthropic_sse(events: list[Any]) -> None:
    _feed_all(SSEEvents("anthropic"), AnthropicTranslator("anthropic", []), sse_bytes(events))


def _anthropic_bedrock(events: list[Any]) -> None:
    raw = bedrock_bytes(events)
    _feed_all(BedrockEvents("bedrock"), AnthropicTranslator("bedrock", []), raw)


def _bedrock_wrapper(wrapper: Any) -> None:
    raw = [*bedrock_bytes(EVENTS[:2]), bedrock_frame(wrapper)]
    _feed_all(BedrockEvents("bedrock"), AnthropicTranslator("bedrock", []), raw)


def _gemini_whole(answer: Any) -> None:
    parse_response(answer, counter())


def _gemini_stream(chunks: list[Any]) -> None:
    raw = [data(chunk) for chunk in chunks]
    _feed_all(GeminiEventSource(), GeminiTranslator(counter(), []), raw)


def _gemini_error_line(error: Any) -> None:
    raw = [data(CHUNKS[0]), json.dumps(error).encode() + b"\n\n"]
    _feed_all(GeminiEventSource(), GeminiTranslator(counter(), []), raw)


# (name, the sample, the run of a changed sample, where a changed event goes or None)
SAMPLES: list[tuple[str, Any, Callable[[Any], None], int | None]] = [
    ("anthropic whole", MESSAGE, _anthropic_whole, None),
    *[(f"anthropic sse event {i}", e, _anthropic_sse, i) for i, e in enumerate(EVENTS)],
    *[(f"bedrock event {i}", e, _anthropic_bedrock, i) for i, e in enumerate(EVENTS)],
    ("bedrock chunk wrapper", {"bytes": "eyJ9", "p": "ab"}, _bedrock_wrapper, None),
    ("anthropic sse error event", ANTHROPIC_ERROR, _anthropic_sse, len(EVENTS)),
    ("bedrock error event", ANTHROPIC_ERROR, _anthropic_bedrock, len(EVENTS)),
    ("gemini whole", GEMINI, _gemini_whole, None),
    *[(f"gemini chunk {i}", c, _gemini_stream, i) for i, c in enumerate(CHUNKS)],
    ("gemini error chunk", GEMINI_ERROR, _gemini_stream, len(CHUNKS)),
    ("gemini error line", GEMINI_ERROR, _gemini_error_line, None),
]


@pytest.mark.parametrize(("name", "sample", "run", "at"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_no_field_of_any_type_escapes_as_a_bare_exception(
    name: str, sample: Any, run: Callable[[Any], None], at: int | None
) -> None:
    """Every field of a documented answer, set to a value of every JSON type: the answer
    is read, or the translator raises an error of its own. For an answer, that error is
    an `InvalidResponseError` (or Gemini's "no response" when it lost its candidate);
    for an error event, the provider's error."""
    events = EVENTS if name.startswith(("anthropic sse", "bedrock e")) else CHUNKS
    failures: list[str] = []
    for path in node_paths(sample):
        for value in WRONG:
            changed = replaced(sample, path, value)
            if at is not None:
                changed = [*events[:at], changed, *events[at + 1 :]]
            try:
                run(changed)
            except InvalidResponseError:
                pass
            except ProviderError:
                if "error" not in name:
                    failures.append(f"{path}={value!r}: not an invalid response")
            except FantasyError as exc:
                if exc.title != "no response":
                    failures.append(f"{path}={value!r}: {exc!r}")
            except Exception as exc:
                failures.append(f"{path}={value!r}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
