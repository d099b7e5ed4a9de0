"""Streams: Anthropic events to stream parts, and the SSE and Bedrock framings to events,
including error events, truncation and corrupt frames."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from fantasy.errors import InvalidResponseError, ProviderError
from fantasy.http.eventstream import encode_message
from fantasy.providers import anthropic
from fantasy.providers.anthropic.events import BedrockEvents, SSEEvents
from fantasy.providers.anthropic.stream import StreamTranslator
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FinishReason,
    SourceType,
    StreamPart,
    StreamPartType,
    Usage,
)

T = StreamPartType

START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "usage": {
            "input_tokens": 424,
            "cache_creation_input_tokens": 7,
            "cache_read_input_tokens": 3,
            "output_tokens": 5,
        },
    },
}
STOP = {"type": "message_stop"}


def delta(index: int, **body: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": body}


def block_start(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(reason: str | None, **usage: Any) -> dict[str, Any]:
    return {"type": "message_delta", "delta": {"stop_reason": reason}, "usage": usage}


def translate(
    *events: dict[str, Any], warnings: list[CallWarning] | None = None
) -> list[StreamPart]:
    translator = StreamTranslator("anthropic", warnings or [])
    parts = translator.start()
    for event in events:
        parts.extend(translator.feed(event))
    parts.extend(translator.finish())
    return parts


def kinds(parts: list[StreamPart]) -> list[StreamPartType]:
    return [p.type for p in parts]


def meta(part: StreamPart) -> anthropic.ReasoningMetadata:
    value = (part.provider_metadata or {})["anthropic"]
    assert isinstance(value, anthropic.ReasoningMetadata)
    return value


# =========================================================================== translator


def test_text_stream_finishes_with_usage() -> None:
    parts = translate(
        START,
        block_start(0, type="text", text=""),
        delta(0, type="text_delta", text="Ol"),
        delta(0, type="text_delta", text="á!"),
        block_stop(0),
        message_delta("end_turn", output_tokens=12),
        STOP,
    )
    assert kinds(parts) == [T.TEXT_START, T.TEXT_DELTA, T.TEXT_DELTA, T.TEXT_END, T.FINISH]
    assert {p.id for p in parts[:4]} == {"0"}
    assert "".join(p.delta for p in parts if p.type is T.TEXT_DELTA) == "Olá!"
    finish = parts[-1]
    assert finish.id == "msg_1"
    assert finish.finish_reason is FinishReason.STOP
    assert finish.usage == Usage(
        input_tokens=424,
        output_tokens=12,
        total_tokens=436,
        cache_creation_tokens=7,
        cache_read_tokens=3,
    )
    assert finish.provider_metadata == {}


def test_warnings_come_first() -> None:
    warning = CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting="FrequencyPenalty")
    parts = translate(START, message_delta("end_turn"), STOP, warnings=[warning])
    assert parts[0].type is T.WARNINGS and parts[0].warnings == [warning]


def test_message_delta_replaces_counts_it_carries_only() -> None:
    parts = translate(
        START,
        message_delta("end_turn", output_tokens=2, input_tokens=500, cache_read_input_tokens=None),
        STOP,
    )
    usage = parts[-1].usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (500, 2, 3)


def test_output_tokens_from_message_start_are_kept_when_message_delta_omits_them() -> None:
    """message_delta's counts are cumulative totals (Anthropic's streaming docs): one it
    gives replaces message_start's, and one it leaves out (some proxies send ``usage: {}``
    or ``output_tokens: null``) keeps it instead of becoming 0."""
    for usage in ({}, {"output_tokens": None}, {"input_tokens": 430}):
        parts = translate(START, message_delta("end_turn", **usage), STOP)
        finish = parts[-1].usage
        assert finish is not None
        assert finish.output_tokens == 5, usage
        assert finish.total_tokens == finish.input_tokens + 5
    # Given, it replaces (a total, never added to message_start's 5); the last one wins.
    parts = translate(
        START,
        message_delta(None, output_tokens=9),
        message_delta("end_turn", output_tokens=12),
        STOP,
    )
    assert parts[-1].usage == Usage(
        input_tokens=424,
        output_tokens=12,
        total_tokens=436,
        cache_creation_tokens=7,
        cache_read_tokens=3,
    )


def test_thinking_signature_arrives_in_deltas_and_rides_on_the_end() -> None:
    parts = translate(
        START,
        block_start(0, type="thinking", thinking="", signature=""),
        delta(0, type="thinking_delta", thinking="first"),
        delta(0, type="signature_delta", signature="sig_"),
        delta(0, type="thinking_delta", thinking=" second"),
        delta(0, type="signature_delta", signature="tail"),
        block_stop(0),
        message_delta("end_turn"),
        STOP,
    )
    reasoning = [
        p for p in parts if p.type in (T.REASONING_START, T.REASONING_DELTA, T.REASONING_END)
    ]
    assert kinds(reasoning) == [T.REASONING_START, *[T.REASONING_DELTA] * 4, T.REASONING_END]
    assert reasoning[0].provider_metadata is None
    assert reasoning[1].delta == "first" and reasoning[1].provider_metadata is None
    assert meta(reasoning[2]).signature == "sig_"
    assert reasoning[3].provider_metadata is None
    assert meta(reasoning[5]).signature == "sig_tail"


def test_unsigned_thinking_ends_without_metadata() -> None:
    parts = translate(
        START,
        block_start(0, type="thinking", thinking=""),
        block_stop(0),
        message_delta("end_turn"),
        STOP,
    )
    assert parts[1].type is T.REASONING_END and parts[1].provider_metadata is None


def test_redacted_thinking_interleaved() -> None:
    parts = translate(
        START,
        block_start(0, type="redacted_thinking", data="redacted_0"),
        block_stop(0),
        block_start(1, type="thinking", thinking=""),
        delta(1, type="thinking_delta", thinking="reasoning_1"),
        delta(1, type="signature_delta", signature="sig_1"),
        block_stop(1),
        message_delta("end_turn"),
        STOP,
    )
    reasoning = [
        p for p in parts if p.type in (T.REASONING_START, T.REASONING_DELTA, T.REASONING_END)
    ]
    assert [(p.type, p.id) for p in reasoning] == [
        (T.REASONING_START, "0"),
        (T.REASONING_END, "0"),
        (T.REASONING_START, "1"),
        (T.REASONING_DELTA, "1"),
        (T.REASONING_DELTA, "1"),
        (T.REASONING_END, "1"),
    ]
    assert meta(reasoning[0]).redacted_data == "redacted_0"
    assert meta(reasoning[1]).redacted_data == "redacted_0"
    assert meta(reasoning[5]).signature == "sig_1"


def test_tool_input_fragments_are_joined_at_the_block_end() -> None:
    parts = translate(
        START,
        block_start(1, type="tool_use", id="toolu_1", name="weather", input={}),
        delta(1, type="input_json_delta", partial_json=""),
        delta(1, type="input_json_delta", partial_json='{"location":'),
        delta(1, type="input_json_delta", partial_json=' "Florence"}'),
        block_stop(1),
        message_delta("tool_use"),
        STOP,
    )
    assert kinds(parts) == [
        T.TOOL_INPUT_START,
        T.TOOL_INPUT_DELTA,
        T.TOOL_INPUT_DELTA,
        T.TOOL_INPUT_END,
        T.TOOL_CALL,
        T.FINISH,
    ]
    assert parts[0].id == "toolu_1" and parts[0].tool_call_name == "weather"
    assert [p.delta for p in parts[1:3]] == ['{"location":', ' "Florence"}']
    call = parts[4]
    assert (call.id, call.tool_call_name, call.tool_call_input) == (
        "toolu_1",
        "weather",
        '{"location": "Florence"}',
    )
    assert not call.provider_executed
    assert parts[-1].finish_reason is FinishReason.TOOL_CALLS


def test_tool_without_arguments_gets_an_empty_object() -> None:
    parts = translate(
        START,
        block_start(0, type="tool_use", id="t", name="now", input={}),
        block_stop(0),
        message_delta("tool_use"),
        STOP,
    )
    assert parts[2].type is T.TOOL_CALL and parts[2].tool_call_input == "{}"


def test_web_search_stream() -> None:
    result = {
        "type": "web_search_tool_result",
        "tool_use_id": "srv_1",
        "content": [
            {
                "type": "web_search_result",
                "title": "Tokyo",
                "url": "https://t.example",
                "encrypted_content": "e1",
            },
            {
                "type": "web_search_result",
                "title": "Japan",
                "url": "https://j.example",
                "encrypted_content": "e2",
                "page_age": "1 day ago",
            },
        ],
    }
    parts = translate(
        START,
        block_start(0, type="server_tool_use", id="srv_1", name="web_search", input={}),
        delta(0, type="input_json_delta", partial_json='{"query": "tokyo"}'),
        block_stop(0),
        {"type": "content_block_start", "index": 1, "content_block": result},
        block_stop(1),
        block_start(2, type="text", text=""),
        delta(
            2,
            type="citations_delta",
            citation={
                "type": "web_search_result_location",
                "url": "https://t.example",
                "title": "Tokyo",
                "cited_text": "big",
                "encrypted_index": "ix",
            },
        ),
        delta(2, type="text_delta", text="Big."),
        block_stop(2),
        message_delta("end_turn"),
        STOP,
    )
    assert kinds(parts) == [
        T.TOOL_INPUT_START,
        T.TOOL_INPUT_DELTA,
        T.TOOL_INPUT_END,
        T.TOOL_CALL,
        T.SOURCE,
        T.SOURCE,
        T.TOOL_RESULT,
        T.TEXT_START,
        T.TEXT_DELTA,
        T.TEXT_END,
        T.SOURCE,
        T.FINISH,
    ]
    citation = (parts[9].provider_metadata or {})["anthropic"].citations[0]
    assert (citation.type, citation.url, citation.cited_text) == (
        "web_search_result_location",
        "https://t.example",
        "big",
    )
    assert parts[10].source is not None and parts[10].source.url == "https://t.example"
    assert all(p.provider_executed for p in parts[:4])
    assert parts[3].tool_call_input == '{"query": "tokyo"}'
    assert (parts[4].source_type, parts[4].id, parts[4].url, parts[4].title) == (
        SourceType.URL,
        "https://t.example",
        "https://t.example",
        "Tokyo",
    )
    tool_result = parts[6]
    assert tool_result.id == "srv_1" and tool_result.tool_call_name == "web_search"
    assert tool_result.provider_executed
    metadata = (tool_result.provider_metadata or {})["anthropic"]
    assert [r.encrypted_content for r in metadata.results] == ["e1", "e2"]
    assert metadata.results[1].page_age == "1 day ago"


def test_web_search_error_result_keeps_its_code() -> None:
    error = {
        "type": "web_search_tool_result",
        "tool_use_id": "srv_1",
        "content": {"type": "web_search_tool_result_error", "error_code": "too_many_requests"},
    }
    parts = translate(
        START,
        {"type": "content_block_start", "index": 0, "content_block": error},
        block_stop(0),
        message_delta("end_turn"),
        STOP,
    )
    assert kinds(parts) == [T.TOOL_RESULT, T.FINISH]
    assert parts[0].provider_metadata == {
        "anthropic": anthropic.WebSearchResultMetadata(error_code="too_many_requests")
    }


def test_unknown_events_and_blocks_are_warnings_once_each() -> None:
    parts = translate(
        START,
        {"type": "mystery"},
        {"type": "mystery"},
        block_start(0, type="container_upload", file_id="f1"),
        block_stop(0),
        block_start(1, type="hologram"),
        delta(1, type="hologram_delta", x=1),
        block_stop(1),
        block_start(2, type="text", text=""),
        delta(2, type="sparkle_delta"),
        delta(2, type="sparkle_delta"),
        block_stop(2),
        message_delta("end_turn"),
        STOP,
    )
    said = [w.message for p in parts if p.type is T.WARNINGS for w in p.warnings or []]
    assert said == [
        "unsupported stream event 'mystery' skipped",
        "container_upload block (file 'f1') is not mapped to content",
        "unsupported content block type 'hologram' skipped",
        "unsupported delta type 'sparkle_delta' skipped",
    ]
    assert [k for k in kinds(parts) if k is not T.WARNINGS] == [T.TEXT_START, T.TEXT_END, T.FINISH]


def test_a_stop_for_a_block_never_opened_is_an_error() -> None:
    with pytest.raises(InvalidResponseError, match="content_block_stop for index 7"):
        translate(START, block_stop(7), message_delta("end_turn"), STOP)


@pytest.mark.parametrize(
    "events",
    [
        # closed before message_stop
        [
            START,
            block_start(0, type="text", text=""),
            delta(0, type="text_delta", text="hi"),
            block_stop(0),
            message_delta("end_turn"),
        ],
        # message_stop without a stop reason
        [START, block_start(0, type="text", text=""), block_stop(0), STOP],
        # nothing at all
        [],
    ],
)
def test_incomplete_stream_is_a_retryable_error(events: list[dict[str, Any]]) -> None:
    parts = translate(*events)
    assert parts[-1].type is T.ERROR
    assert T.FINISH not in kinds(parts)
    error = parts[-1].error
    assert isinstance(error, ProviderError) and error.is_retryable
    assert "unexpected EOF" in str(error)


# =========================================================================== SSE framing


def sse(name: str, data: Any) -> bytes:
    body = data if isinstance(data, str) else json.dumps(data)
    return f"event: {name}\ndata: {body}\n\n".encode()


def test_sse_events_skip_pings_and_name_unknown_kinds() -> None:
    source = SSEEvents("anthropic")
    raw = (
        sse("message_start", START)
        + sse("ping", {"type": "ping"})
        + sse("future_event", {"x": 1})
        + sse("message_stop", STOP)
    )
    events = [e for i in range(0, len(raw), 5) for e in source.feed(raw[i : i + 5])]
    # An unknown kind reaches the translator by name, which reports it.
    assert events == [START, {"type": "future_event"}, STOP]


def test_unnamed_sse_events_use_their_type() -> None:
    source = SSEEvents("anthropic")
    assert list(source.feed(b'data: {"type":"message_stop"}\n\n')) == [STOP]
    with pytest.raises(ProviderError, match="busy"):
        list(
            source.feed(
                b'data: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}\n\n'
            )
        )


@pytest.mark.parametrize(
    ("kind", "title", "retryable"),
    [
        ("overloaded_error", "provider overloaded", True),
        ("rate_limit_error", "rate limit exceeded", True),
        ("api_error", "api error", True),
        ("invalid_request_error", "invalid request error", False),
    ],
)
def test_sse_error_event(kind: str, title: str, retryable: bool) -> None:
    payload = {"type": "error", "error": {"type": kind, "message": "stream down"}}
    with pytest.raises(ProviderError) as caught:
        list(SSEEvents("anthropic").feed(sse("error", payload)))
    error = caught.value
    assert error.message == "stream down"
    assert error.title == title
    assert error.is_retryable is retryable
    assert error.provider == "anthropic"
    assert json.loads(error.response_body) == payload


def test_sse_error_event_without_a_shape_keeps_the_payload() -> None:
    with pytest.raises(ProviderError) as caught:
        list(SSEEvents("anthropic").feed(sse("error", "upstream went away")))
    assert caught.value.message == "upstream went away"
    assert caught.value.title == "provider stream error"
    assert not caught.value.is_retryable


def test_sse_event_that_is_not_json() -> None:
    with pytest.raises(ProviderError, match="not valid JSON") as caught:
        list(SSEEvents("anthropic").feed(sse("message_start", "{truncated")))
    assert caught.value.title == "invalid provider response"


# =========================================================================== Bedrock framing

HEADERS = {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}


def frame(event: dict[str, Any]) -> bytes:
    wrapped = base64.b64encode(json.dumps(event).encode()).decode()
    return encode_message(HEADERS, json.dumps({"bytes": wrapped, "p": "abcdef"}).encode())


def test_bedrock_chunks_become_events() -> None:
    metrics = {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 5}}
    raw = frame(START) + frame({"type": "ping"}) + frame(metrics)
    source = BedrockEvents("bedrock")
    events = [e for i in range(0, len(raw), 3) for e in source.feed(raw[i : i + 3])]
    assert events == [START, metrics]


def test_bedrock_other_event_types_reach_the_translator_by_name() -> None:
    raw = encode_message({":event-type": "metadata", ":message-type": "event"}, b"{}")
    assert list(BedrockEvents("bedrock").feed(raw)) == [{"type": "bedrock metadata"}]


@pytest.mark.parametrize(
    ("exception", "retryable"),
    [("throttlingException", True), ("validationException", False)],
)
def test_bedrock_exception_frame(exception: str, retryable: bool) -> None:
    raw = encode_message(
        {
            ":exception-type": exception,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        b'{"message":"Too many tokens, please wait before trying again."}',
    )
    with pytest.raises(ProviderError) as caught:
        list(BedrockEvents("bedrock").feed(raw))
    error = caught.value
    assert (
        error.message
        == f"received exception {exception}: Too many tokens, please wait before trying again."
    )
    assert error.is_retryable is retryable
    assert error.provider == "bedrock"


def test_bedrock_error_frame() -> None:
    raw = encode_message(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "oops"}, b""
    )
    with pytest.raises(ProviderError, match="received error InternalFailure: oops"):
        list(BedrockEvents("bedrock").feed(raw))


def test_bedrock_anthropic_error_inside_a_chunk() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(ProviderError) as caught:
        list(BedrockEvents("bedrock").feed(frame(error)))
    assert caught.value.message == "Overloaded" and caught.value.is_retryable


def test_bedrock_corrupt_frame_is_a_clear_retryable_error_not_data() -> None:
    raw = bytearray(frame(START))
    raw[40] ^= 0x20
    with pytest.raises(ProviderError) as caught:
        list(BedrockEvents("bedrock").feed(bytes(raw)))
    error = caught.value
    assert "corrupt event stream" in error.message and "checksum" in error.message
    assert error.title == "invalid provider response"
    assert error.is_retryable


def test_bedrock_chunk_that_is_not_base64() -> None:
    raw = encode_message(HEADERS, b'{"bytes":"%%%not-base64%%%"}')
    with pytest.raises(ProviderError, match="not valid base64"):
        list(BedrockEvents("bedrock").feed(raw))


def test_bedrock_frame_without_message_type() -> None:
    with pytest.raises(ProviderError, match="no :message-type"):
        list(BedrockEvents("bedrock").feed(encode_message({":event-type": "chunk"}, b"{}")))
