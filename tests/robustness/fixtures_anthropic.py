"""Messages API answers as Anthropic documents them, whole and streamed.

Written from the Messages API reference and its streaming event list: every
content block type of a ``Message`` (text with each citation location, thinking,
redacted_thinking, tool_use, server_tool_use, web_search_tool_result,
web_fetch_tool_result, code_execution_tool_result (plain, encrypted, error),
bash_code_execution_tool_result, text_editor_code_execution_tool_result (view,
create, str_replace, error), tool_search_tool_result with tool_reference blocks,
the MCP connector's mcp_tool_use / mcp_tool_result, the advisor's
advisor_tool_result, container_upload) and every stream event (message_start,
content_block_start / delta / stop with text_delta, input_json_delta,
thinking_delta, signature_delta and citations_delta, message_delta,
message_stop, ping). ``stream_of`` streams a whole message the way the API does:
text, thinking and tool input in deltas, hosted tool results whole in
``content_block_start``. The odd shapes proxies send (a tool's whole input in
``content_block_start``, the whole message in ``message_start``) and types the
reference does not document have fixtures of their own. The ``error`` event is a
failure, not an answer: it is tested with the stream errors
(tests/unit/test_anthropic_stream.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fantasy.http.eventstream import encode_message
from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

USAGE = {"input_tokens": 20, "output_tokens": 9}
STREAM_USAGE = Usage(input_tokens=20, output_tokens=9, total_tokens=29)


def message(*content: dict[str, Any], stop: str = "end_turn", **extra: Any) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": list(content),
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": USAGE,
        **extra,
    }


def _halves(value: str) -> list[str]:
    cut = len(value) // 2
    return [p for p in (value[:cut], value[cut:]) if p]


def _block_events(index: int, block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block["type"]
    deltas: list[dict[str, Any]] = []
    start = dict(block)
    if kind == "text":
        start = {"type": "text", "text": ""}
        deltas += [{"type": "citations_delta", "citation": c} for c in block.get("citations") or []]
        deltas += [{"type": "text_delta", "text": t} for t in _halves(block["text"])]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas += [{"type": "thinking_delta", "thinking": t} for t in _halves(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
        start = {**block, "input": {}}
        deltas += [
            {"type": "input_json_delta", "partial_json": ""},
            *(
                {"type": "input_json_delta", "partial_json": t}
                for t in _halves(json.dumps(block["input"]))
            ),
        ]
    return [
        {"type": "content_block_start", "index": index, "content_block": start},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


def events_of(whole: dict[str, Any]) -> list[dict[str, Any]]:
    """The documented event sequence of a whole message."""
    start = {
        **whole,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": whole["usage"]["input_tokens"], "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}, {"type": "ping"}]
    for i, block in enumerate(whole["content"]):
        events += _block_events(i, block)
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": whole["usage"]["output_tokens"]},
        },
        {"type": "message_stop"},
    ]
    return events


def stream_of(whole: dict[str, Any]) -> bytes:
    return sse(*events_of(whole), named=True)


def frame(event: dict[str, Any]) -> bytes:
    """One Bedrock event-stream frame carrying an event, as invoke-with-response-stream."""
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
    return encode_message(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        payload.encode(),
    )


def bedrock_stream_of(whole: dict[str, Any]) -> bytes:
    return b"".join(frame(e) for e in events_of(whole) if e["type"] != "ping")


def _fixture(
    name: str, whole: dict[str, Any], expect: Expected, family: str = "anthropic"
) -> Fixture:
    stream = bedrock_stream_of(whole) if family == "bedrock" else stream_of(whole)
    return Fixture(name=name, family=family, whole=whole, stream=stream, expect=expect)


# --------------------------------------------------------------------------- shapes

SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"

THINKING = message(
    {"type": "thinking", "thinking": "Let me add 2 and 2.", "signature": SIGNATURE},
    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"},
    {"type": "text", "text": "It is 4."},
)

TOOL_USE = message(
    {"type": "text", "text": "Checking the weather."},
    {
        "type": "tool_use",
        "id": "toolu_01",
        "name": "get_weather",
        "input": {"location": "Florence, Italy", "unit": "c"},
    },
    {"type": "tool_use", "id": "toolu_02", "name": "now", "input": {}},
    stop="tool_use",
)

WEB_RESULTS = [
    {
        "type": "web_search_result",
        "url": "https://example.com/tokyo",
        "title": "Tokyo",
        "encrypted_content": "EqgfCioIARgB",
        "page_age": "April 30, 2025",
    }
]

WEB_SEARCH = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_01",
        "name": "web_search",
        "input": {"query": "tokyo population"},
    },
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": WEB_RESULTS},
    {
        "type": "text",
        "text": "About 14 million people.",
        "citations": [
            {
                "type": "web_search_result_location",
                "url": "https://example.com/tokyo",
                "title": "Tokyo",
                "encrypted_index": "Eo8BCioIAhgB",
                "cited_text": "Tokyo has about 14 million residents",
            }
        ],
    },
)

WEB_FETCH = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_02",
        "name": "web_fetch",
        "input": {"url": "https://example.com/article"},
    },
    {
        "type": "web_fetch_tool_result",
        "tool_use_id": "srvtoolu_02",
        "content": {
            "type": "web_fetch_result",
            "url": "https://example.com/article",
            "retrieved_at": "2025-08-25T10:30:00Z",
            "content": {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": "Full text."},
                "title": "Article",
                "citations": {"enabled": True},
            },
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_03",
        "name": "web_fetch",
        "input": {"url": "https://blocked.example"},
    },
    {
        "type": "web_fetch_tool_result",
        "tool_use_id": "srvtoolu_03",
        "content": {"type": "web_fetch_tool_result_error", "error_code": "url_not_accessible"},
    },
    {
        "type": "text",
        "text": "The article says it is full.",
        "citations": [
            {
                "type": "char_location",
                "document_index": 0,
                "document_title": "Article",
                "start_char_index": 0,
                "end_char_index": 10,
                "cited_text": "Full text.",
            }
        ],
    },
)

CODE_EXECUTION = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_04",
        "name": "code_execution",
        "input": {"code": "print(2 + 2)"},
    },
    {
        "type": "code_execution_tool_result",
        "tool_use_id": "srvtoolu_04",
        "content": {
            "type": "code_execution_result",
            "stdout": "4\n",
            "stderr": "",
            "return_code": 0,
            "content": [{"type": "code_execution_output", "file_id": "file_01"}],
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_05",
        "name": "code_execution",
        "input": {"code": "print(secret)"},
    },
    {
        "type": "code_execution_tool_result",
        "tool_use_id": "srvtoolu_05",
        "content": {
            "type": "encrypted_code_execution_result",
            "encrypted_stdout": "RW5jcnlwdGVk",
            "stderr": "",
            "return_code": 0,
            "content": [],
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_06",
        "name": "code_execution",
        "input": {"code": "while True: pass"},
    },
    {
        "type": "code_execution_tool_result",
        "tool_use_id": "srvtoolu_06",
        "content": {
            "type": "code_execution_tool_result_error",
            "error_code": "execution_time_exceeded",
        },
    },
    {"type": "text", "text": "2 + 2 = 4."},
    container={"id": "container_011CRx", "expires_at": "2025-08-25T11:30:00Z"},
)

BASH_AND_EDITOR = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_07",
        "name": "bash_code_execution",
        "input": {"command": "ls -la"},
    },
    {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_07",
        "content": {
            "type": "bash_code_execution_result",
            "stdout": "total 0\n",
            "stderr": "",
            "return_code": 0,
            "content": [],
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_08",
        "name": "bash_code_execution",
        "input": {"command": "rm -rf /"},
    },
    {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_08",
        "content": {"type": "bash_code_execution_tool_result_error", "error_code": "unavailable"},
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_09",
        "name": "text_editor_code_execution",
        "input": {"command": "view", "path": "/tmp/a.py"},
    },
    {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_09",
        "content": {
            "type": "text_editor_code_execution_view_result",
            "file_type": "text",
            "content": "print('hi')\n",
            "num_lines": 1,
            "start_line": 1,
            "total_lines": 1,
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_10",
        "name": "text_editor_code_execution",
        "input": {"command": "create", "path": "/tmp/b.py", "file_text": "x = 1\n"},
    },
    {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_10",
        "content": {"type": "text_editor_code_execution_create_result", "is_file_update": False},
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_11",
        "name": "text_editor_code_execution",
        "input": {"command": "str_replace", "path": "/tmp/b.py", "old_str": "1", "new_str": "2"},
    },
    {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_11",
        "content": {
            "type": "text_editor_code_execution_str_replace_result",
            "old_start": 1,
            "old_lines": 1,
            "new_start": 1,
            "new_lines": 1,
            "lines": ["-x = 1", "+x = 2"],
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_12",
        "name": "text_editor_code_execution",
        "input": {"command": "view", "path": "/missing"},
    },
    {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_12",
        "content": {
            "type": "text_editor_code_execution_tool_result_error",
            "error_code": "file_not_found",
            "error_message": "File not found: /missing",
        },
    },
    {"type": "text", "text": "Done."},
)

TOOL_SEARCH = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_13",
        "name": "tool_search_tool_regex",
        "input": {"query": "weather"},
    },
    {
        "type": "tool_search_tool_result",
        "tool_use_id": "srvtoolu_13",
        "content": {
            "type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
        },
    },
    {
        "type": "server_tool_use",
        "id": "srvtoolu_14",
        "name": "tool_search_tool_bm25",
        "input": {"query": "("},
    },
    {
        "type": "tool_search_tool_result",
        "tool_use_id": "srvtoolu_14",
        "content": {
            "type": "tool_search_tool_result_error",
            "error_code": "invalid_pattern",
            "error_message": "bad regex",
        },
    },
    {"type": "tool_use", "id": "toolu_03", "name": "get_weather", "input": {"location": "Rome"}},
    stop="tool_use",
)

MCP = message(
    {
        "type": "mcp_tool_use",
        "id": "mcptoolu_01",
        "name": "echo",
        "server_name": "example-mcp",
        "input": {"text": "hello"},
    },
    {
        "type": "mcp_tool_result",
        "tool_use_id": "mcptoolu_01",
        "is_error": False,
        "content": [{"type": "text", "text": "hello"}],
    },
    {
        "type": "mcp_tool_use",
        "id": "mcptoolu_02",
        "name": "fail",
        "server_name": "example-mcp",
        "input": {},
    },
    {
        "type": "mcp_tool_result",
        "tool_use_id": "mcptoolu_02",
        "is_error": True,
        "content": "boom",
    },
    {"type": "text", "text": "The server said hello."},
)

ADVISOR = message(
    {"type": "server_tool_use", "id": "srvtoolu_15", "name": "advisor", "input": {}},
    {
        "type": "advisor_tool_result",
        "tool_use_id": "srvtoolu_15",
        "content": {
            "type": "advisor_result",
            "text": "Check the edge cases.",
            "stop_reason": "end_turn",
        },
    },
    {"type": "server_tool_use", "id": "srvtoolu_16", "name": "advisor", "input": {}},
    {
        "type": "advisor_tool_result",
        "tool_use_id": "srvtoolu_16",
        "content": {"type": "advisor_redacted_result", "encrypted_content": "ZW5j"},
    },
    {"type": "text", "text": "Taking the advice."},
)

DOCUMENT_CITATIONS = message(
    {
        "type": "text",
        "text": "The grass is green",
        "citations": [
            {
                "type": "page_location",
                "document_index": 1,
                "document_title": "Report",
                "start_page_number": 2,
                "end_page_number": 3,
                "cited_text": "Grass is green.",
            },
            {
                "type": "content_block_location",
                "document_index": 2,
                "document_title": None,
                "start_block_index": 0,
                "end_block_index": 1,
                "cited_text": "green grass",
                "file_id": "file_07",
            },
        ],
    },
    {
        "type": "text",
        "text": " and the sky is blue.",
        "citations": [
            {
                "type": "search_result_location",
                "source": "https://kb.example/sky",
                "title": "Sky",
                "search_result_index": 0,
                "start_block_index": 0,
                "end_block_index": 1,
                "cited_text": "The sky is blue.",
            },
            {
                "type": "search_result_location",
                "source": "kb://internal/sky",
                "title": None,
                "search_result_index": 1,
                "start_block_index": 0,
                "end_block_index": 1,
                "cited_text": "Blue.",
            },
        ],
    },
)

CONTAINER_UPLOAD = message(
    {"type": "container_upload", "file_id": "file_011"},
    {"type": "text", "text": "Uploaded."},
)

UNKNOWN = message(
    {"type": "hologram", "id": "h1"},
    {"type": "text", "text": "Still here."},
)


def _unknown_stream() -> bytes:
    events = events_of(UNKNOWN)
    extra = [
        {"type": "mystery_event", "x": 1},
        {"type": "content_block_start", "index": 5, "content_block": {"type": "sparkle"}},
        {"type": "content_block_delta", "index": 5, "delta": {"type": "sparkle_delta"}},
        {"type": "content_block_stop", "index": 5},
    ]
    return sse(*events[:2], *extra, *events[2:], named=True)


def _start_input_stream() -> bytes:
    """A tool's whole input in content_block_start, no deltas (some proxies)."""
    return sse(
        {"type": "message_start", "message": {**TOOL_USE, "content": [], "stop_reason": None}},
        *(
            e
            for i, block in enumerate(TOOL_USE["content"])
            for e in (
                [
                    {"type": "content_block_start", "index": i, "content_block": block},
                    {"type": "content_block_stop", "index": i},
                ]
                if block["type"] == "tool_use"
                else _block_events(i, block)
            )
        ),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
        named=True,
    )


TOOL_EXPECT = Expected(
    text="Checking the weather.",
    tool_calls=[
        ("toolu_01", "get_weather", {"location": "Florence, Italy", "unit": "c"}),
        ("toolu_02", "now", {}),
    ],
    finish_reason=FinishReason.TOOL_CALLS,
    raw_finish_reason="tool_use",
    usage=STREAM_USAGE,
)

FIXTURES = [
    _fixture(
        "text",
        message({"type": "text", "text": "Hello there, friend."}),
        Expected(text="Hello there, friend.", raw_finish_reason="end_turn", usage=STREAM_USAGE),
    ),
    _fixture(
        "thinking-and-redacted-thinking",
        THINKING,
        Expected(text="It is 4.", reasoning="Let me add 2 and 2.", raw_finish_reason="end_turn"),
    ),
    _fixture("tool-use", TOOL_USE, TOOL_EXPECT),
    Fixture(
        name="tool-input-whole-in-content-block-start",
        family="anthropic",
        stream=_start_input_stream(),
        expect=TOOL_EXPECT,
    ),
    Fixture(
        name="text-and-thinking-whole-in-content-block-start",
        family="anthropic",
        stream=sse(
            {"type": "message_start", "message": {**THINKING, "content": [], "stop_reason": None}},
            *(
                e
                for i, block in enumerate(THINKING["content"])
                for e in (
                    {"type": "content_block_start", "index": i, "content_block": block},
                    {"type": "content_block_stop", "index": i},
                )
            ),
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": USAGE},
            {"type": "message_stop"},
            named=True,
        ),
        expect=Expected(
            text="It is 4.",
            reasoning="Let me add 2 and 2.",
            raw_finish_reason="end_turn",
            usage=STREAM_USAGE,
        ),
    ),
    Fixture(
        name="whole-message-in-message-start",
        family="anthropic",
        stream=sse({"type": "message_start", "message": THINKING}, named=True),
        expect=Expected(
            text="It is 4.",
            reasoning="Let me add 2 and 2.",
            raw_finish_reason="end_turn",
            usage=STREAM_USAGE,
        ),
    ),
    Fixture(
        name="whole-message-in-message-start-then-message-stop",
        family="anthropic",
        stream=sse(
            {"type": "message_start", "message": TOOL_USE}, {"type": "message_stop"}, named=True
        ),
        expect=TOOL_EXPECT,
    ),
    _fixture(
        "web-search-with-citations",
        WEB_SEARCH,
        Expected(
            text="About 14 million people.",
            provider_calls=[("srvtoolu_01", "web_search")],
            provider_results=[("srvtoolu_01", "web_search")],
            sources=["https://example.com/tokyo", "https://example.com/tokyo"],
            raw_finish_reason="end_turn",
        ),
    ),
    _fixture(
        "web-fetch",
        WEB_FETCH,
        Expected(
            text="The article says it is full.",
            provider_calls=[("srvtoolu_02", "web_fetch"), ("srvtoolu_03", "web_fetch")],
            provider_results=[("srvtoolu_02", "web_fetch"), ("srvtoolu_03", "web_fetch")],
            sources=["document-0"],
        ),
    ),
    _fixture(
        "code-execution",
        CODE_EXECUTION,
        Expected(
            text="2 + 2 = 4.",
            provider_calls=[(f"srvtoolu_0{i}", "code_execution") for i in (4, 5, 6)],
            provider_results=[(f"srvtoolu_0{i}", "code_execution") for i in (4, 5, 6)],
        ),
    ),
    _fixture(
        "bash-and-text-editor-code-execution",
        BASH_AND_EDITOR,
        Expected(
            text="Done.",
            provider_calls=[
                ("srvtoolu_07", "bash_code_execution"),
                ("srvtoolu_08", "bash_code_execution"),
                *((f"srvtoolu_{i}", "text_editor_code_execution") for i in ("09", 10, 11, 12)),
            ],
            provider_results=[
                ("srvtoolu_07", "bash_code_execution"),
                ("srvtoolu_08", "bash_code_execution"),
                *((f"srvtoolu_{i}", "text_editor_code_execution") for i in ("09", 10, 11, 12)),
            ],
        ),
    ),
    _fixture(
        "tool-search",
        TOOL_SEARCH,
        Expected(
            tool_calls=[("toolu_03", "get_weather", {"location": "Rome"})],
            provider_calls=[
                ("srvtoolu_13", "tool_search_tool_regex"),
                ("srvtoolu_14", "tool_search_tool_bm25"),
            ],
            provider_results=[
                ("srvtoolu_13", "tool_search_tool_regex"),
                ("srvtoolu_14", "tool_search_tool_bm25"),
            ],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    _fixture(
        "mcp-connector",
        MCP,
        Expected(
            text="The server said hello.",
            provider_calls=[("mcptoolu_01", "echo"), ("mcptoolu_02", "fail")],
            provider_results=[("mcptoolu_01", "echo"), ("mcptoolu_02", "fail")],
        ),
    ),
    _fixture(
        "advisor",
        ADVISOR,
        Expected(
            text="Taking the advice.",
            provider_calls=[("srvtoolu_15", "advisor"), ("srvtoolu_16", "advisor")],
            provider_results=[("srvtoolu_15", "advisor"), ("srvtoolu_16", "advisor")],
        ),
    ),
    _fixture(
        "document-and-search-result-citations",
        DOCUMENT_CITATIONS,
        Expected(
            text="The grass is green and the sky is blue.",
            sources=["document-1", "file_07", "https://kb.example/sky", "kb://internal/sky"],
        ),
    ),
    _fixture(
        "container-upload-is-reported",
        CONTAINER_UPLOAD,
        Expected(text="Uploaded.", warnings=["container_upload block (file 'file_011')"]),
    ),
    Fixture(
        name="unknown-types-are-reported",
        family="anthropic",
        whole=UNKNOWN,
        stream=_unknown_stream(),
        expect=Expected(text="Still here.", warnings=["'hologram'"]),
        stream_expect=Expected(
            text="Still here.",
            warnings=["'mystery_event'", "'sparkle'", "'hologram'"],
        ),
    ),
    *(
        _fixture(
            f"stop-reason-{reason}",
            message({"type": "text", "text": "Cut"}, stop=reason),
            Expected(text="Cut", finish_reason=finish, raw_finish_reason=reason),
        )
        for reason, finish in (
            ("max_tokens", FinishReason.LENGTH),
            ("stop_sequence", FinishReason.STOP),
            ("pause_turn", FinishReason.STOP),
            ("refusal", FinishReason.CONTENT_FILTER),
            ("model_context_window_exceeded", FinishReason.LENGTH),
        )
    ),
    # Claude on Bedrock: the same events in AWS event-stream frames.
    _fixture("bedrock-tool-use", TOOL_USE, TOOL_EXPECT, family="bedrock"),
    _fixture(
        "bedrock-thinking",
        THINKING,
        Expected(text="It is 4.", reasoning="Let me add 2 and 2.", raw_finish_reason="end_turn"),
        family="bedrock",
    ),
    _fixture(
        "bedrock-code-execution",
        CODE_EXECUTION,
        Expected(
            text="2 + 2 = 4.",
            provider_calls=[(f"srvtoolu_0{i}", "code_execution") for i in (4, 5, 6)],
            provider_results=[(f"srvtoolu_0{i}", "code_execution") for i in (4, 5, 6)],
        ),
        family="bedrock",
    ),
    Fixture(
        name="bedrock-unknown-event-type",
        family="bedrock",
        stream=encode_message({":event-type": "metadata", ":message-type": "event"}, b"{}")
        + bedrock_stream_of(message({"type": "text", "text": "Hi."})),
        expect=Expected(text="Hi.", warnings=["'bedrock metadata'"]),
    ),
]
