"""Gemini responses: ``generateContent`` bodies and ``streamGenerateContent`` streams.

No HTTP here: `parse_response` and `StreamTranslator` are pure translation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fantasy.errors import FantasyError, ProviderError
from fantasy.http.shell import StreamPump
from fantasy.providers.google import ReasoningMetadata, StreamTranslator, parse_response
from fantasy.providers.google.options import ResponseMetadata
from fantasy.providers.google.stream import EventDecoder, GeminiEventSource
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FileContent,
    FinishReason,
    ReasoningContent,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    Usage,
)

T = StreamPartType
SIG = "CvMBAb4+9vvZ=="


def counter() -> Callable[[], str]:
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return str(count)

    return next_id


def reply(*parts: dict[str, Any], finish: str | None = "STOP", usage: Any = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
    if usage is not None:
        data["usageMetadata"] = usage
    return data


def call(name: str, args: Any = None, id: str = "", signature: str = "") -> dict[str, Any]:
    fc: dict[str, Any] = {"name": name}
    if args is not None:
        fc["args"] = args
    if id:
        fc["id"] = id
    part: dict[str, Any] = {"functionCall": fc}
    if signature:
        part["thoughtSignature"] = signature
    return part


def google(signature: str, tool_id: str = "") -> dict[str, Any]:
    return {"google": ReasoningMetadata(signature=signature, tool_id=tool_id)}


# =========================================================================== generate


def test_text_and_usage() -> None:
    usage = {
        "promptTokenCount": 54,
        "candidatesTokenCount": 15,
        "totalTokenCount": 117,
        "thoughtsTokenCount": 48,
        "cachedContentTokenCount": 7,
    }
    resp = parse_response(reply({"text": "Olá!"}, usage=usage), counter())
    assert list(resp.content) == [TextContent("Olá!")]
    assert resp.finish_reason is FinishReason.STOP
    assert resp.usage == Usage(
        input_tokens=54,
        output_tokens=15,
        total_tokens=117,
        reasoning_tokens=48,
        cache_read_tokens=7,
    )
    # Everything else Gemini says about the answer is metadata (not on Fantasy's wire).
    assert resp.provider_metadata == {
        "google": ResponseMetadata(model_version="gemini-2.5-flash", usage_metadata=usage)
    }


def test_missing_usage_is_zero() -> None:
    assert parse_response(reply({"text": "hi"}), counter()).usage == Usage()


def test_signed_function_call_after_no_thoughts_gets_an_empty_reasoning() -> None:
    """TestGoogleCommon/gemini-2.5-flash/tool: the signature rides on the function call."""
    data = reply(call("weather", {"location": "Florence,Italy"}, signature=SIG))
    resp = parse_response(data, counter())
    assert list(resp.content) == [
        ReasoningContent("", google(SIG, "1")),
        ToolCallContent("1", "weather", '{"location":"Florence,Italy"}'),
    ]
    assert resp.finish_reason is FinishReason.TOOL_CALLS


def test_thoughts_become_reasoning_and_the_call_signs_the_latest() -> None:
    data = reply(
        {"text": "first thought", "thought": True, "thoughtSignature": "own"},
        {"text": "second thought", "thought": True},
        call("add", {"b": 3, "a": 2}, signature=SIG),
        call("multiply", {"a": 2, "b": 3}),
    )
    resp = parse_response(data, counter())
    assert list(resp.content) == [
        ReasoningContent("first thought", google("own")),
        ReasoningContent("second thought", google(SIG, "1")),
        ToolCallContent("1", "add", '{"a":2,"b":3}'),
        ToolCallContent("2", "multiply", '{"a":2,"b":3}'),
    ]


def test_signed_text_signs_the_latest_unsigned_reasoning() -> None:
    data = reply(
        {"text": "unsigned", "thought": True},
        {"text": "signed", "thought": True, "thoughtSignature": "own"},
        {"text": "Answer", "thoughtSignature": SIG},
    )
    resp = parse_response(data, counter())
    assert list(resp.content) == [
        ReasoningContent("unsigned", google(SIG)),
        ReasoningContent("signed", google("own")),
        TextContent("Answer"),
    ]


def test_signed_text_with_only_signed_reasoning_gets_its_own() -> None:
    data = reply(
        {"text": "t", "thought": True, "thoughtSignature": "own"},
        {"text": "A", "thoughtSignature": SIG},
    )
    resp = parse_response(data, counter())
    assert list(resp.content) == [
        ReasoningContent("t", google("own")),
        ReasoningContent("", google(SIG)),
        TextContent("A"),
    ]


def test_server_ids_win_but_the_generator_still_advances() -> None:
    """Fantasy calls its id function for every call (Go evaluates both arguments of cmp.Or)."""
    data = reply(call("a", {}, id="srv-1"), call("b", {}))
    resp = parse_response(data, counter())
    assert [c.tool_call_id for c in resp.content.tool_calls] == ["srv-1", "2"]


def test_call_without_arguments_has_an_empty_object() -> None:
    resp = parse_response(reply(call("now")), counter())
    assert resp.content.tool_calls[0].input == "{}"


def test_arguments_keep_unicode_and_nesting() -> None:
    args = {"z": [1, 2.5, None], "a": {"y": "é", "x": True}}
    resp = parse_response(reply(call("f", args)), counter())
    text = resp.content.tool_calls[0].input
    assert text == '{"a":{"x":true,"y":"é"},"z":[1,2.5,null]}'
    assert json.loads(text) == args


def test_code_and_files_are_content_and_a_lone_leading_signature_is_ignored() -> None:
    """Code execution and inline images were skipped (as Fantasy skips them); a
    signature on an empty first part has nothing to go with and is still ignored."""
    data = reply(
        {"text": "", "thoughtSignature": SIG},
        {"inlineData": {"mimeType": "image/png", "data": "aGk="}},
        {"executableCode": {"code": "print(1)"}},
        {"text": "done"},
    )
    assert list(parse_response(data, counter()).content) == [
        FileContent(b"hi", "image/png"),
        ToolCallContent("1", "code_execution", '{"language":"","code":"print(1)"}', True),
        TextContent("done"),
    ]


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("STOP", FinishReason.STOP),
        ("MAX_TOKENS", FinishReason.LENGTH),
        ("SAFETY", FinishReason.CONTENT_FILTER),
        ("BLOCKLIST", FinishReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
        ("SPII", FinishReason.CONTENT_FILTER),
        ("IMAGE_SAFETY", FinishReason.CONTENT_FILTER),
        ("RECITATION", FinishReason.ERROR),
        ("LANGUAGE", FinishReason.ERROR),
        ("MALFORMED_FUNCTION_CALL", FinishReason.ERROR),
        ("OTHER", FinishReason.OTHER),
        ("FINISH_REASON_UNSPECIFIED", FinishReason.UNKNOWN),
        ("UNEXPECTED_TOOL_CALL", FinishReason.ERROR),
        ("TOO_MANY_TOOL_CALLS", FinishReason.ERROR),
        ("MISSING_THOUGHT_SIGNATURE", FinishReason.ERROR),
        ("MALFORMED_RESPONSE", FinishReason.ERROR),
        ("IMAGE_PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
        ("IMAGE_RECITATION", FinishReason.CONTENT_FILTER),
        ("IMAGE_OTHER", FinishReason.OTHER),
        ("NO_IMAGE", FinishReason.OTHER),
        ("SOMETHING_NEW", FinishReason.UNKNOWN),
        (None, FinishReason.UNKNOWN),
    ],
)
def test_finish_reasons(reason: str | None, finish: FinishReason) -> None:
    assert parse_response(reply({"text": "x"}, finish=reason), counter()).finish_reason is finish


def test_thoughts_only_answer_cut_by_the_token_limit() -> None:
    data = {"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}]}
    resp = parse_response(data, counter())
    assert list(resp.content) == []
    assert resp.finish_reason is FinishReason.LENGTH


@pytest.mark.parametrize(
    "data",
    [{}, {"candidates": []}, {"candidates": [{"finishReason": "SAFETY"}]}, {"candidates": [None]}],
)
def test_no_answer_is_an_error(data: dict[str, Any]) -> None:
    with pytest.raises(FantasyError, match="no response from model"):
        parse_response(data, counter())


def test_blocked_prompt_says_why() -> None:
    with pytest.raises(FantasyError, match=r"prompt blocked: SAFETY"):
        parse_response({"promptFeedback": {"blockReason": "SAFETY"}}, counter())


# =========================================================================== stream


def sse(*payloads: Any, crlf: bool = True) -> bytes:
    end = "\r\n\r\n" if crlf else "\n\n"
    return "".join(
        f"data: {p if isinstance(p, str) else json.dumps(p)}{end}" for p in payloads
    ).encode()


def translate(
    raw: bytes | list[bytes],
    warnings: list[CallWarning] | None = None,
    ids: Callable[[], str] | None = None,
) -> list[StreamPart]:
    """What the shared shell makes of these bytes, as the model's stream would."""
    translator = StreamTranslator(ids or counter(), warnings or [], url="https://x/stream")
    pump = StreamPump(GeminiEventSource(url="https://x/stream"), translator, "google", "u")
    parts = pump.start()
    for chunk in [raw] if isinstance(raw, bytes) else raw:
        parts.extend(pump.feed(chunk))
        if pump.done:
            return parts
    return parts + pump.finish()


def kinds(parts: list[StreamPart]) -> list[tuple[StreamPartType, str]]:
    return [(p.type, p.id) for p in parts]


def finish_of(parts: list[StreamPart]) -> StreamPart:
    assert parts[-1].type is T.FINISH
    return parts[-1]


def error_of(parts: list[StreamPart]) -> BaseException:
    assert parts[-1].type is T.ERROR
    assert not [p for p in parts if p.type is T.FINISH]
    assert parts[-1].error is not None
    return parts[-1].error


def test_stream_text() -> None:
    parts = translate(sse(reply({"text": "Ol"}, finish=None), reply({"text": "á!"})))
    assert kinds(parts) == [
        (T.TEXT_START, "0"),
        (T.TEXT_DELTA, "0"),
        (T.TEXT_DELTA, "0"),
        (T.TEXT_END, "0"),
        (T.FINISH, ""),
    ]
    assert "".join(p.delta for p in parts) == "Olá!"
    assert finish_of(parts).finish_reason is FinishReason.STOP


def test_stream_warnings_come_first() -> None:
    warning = CallWarning(CallWarningType.OTHER, message="heads up")
    parts = translate(sse(reply({"text": "x"})), warnings=[warning])
    assert parts[0].type is T.WARNINGS and parts[0].warnings == [warning]


def test_stream_thoughts_then_text() -> None:
    parts = translate(
        sse(
            reply({"text": "Let me think", "thought": True}, finish=None),
            reply({"text": " more", "thought": True}, finish=None),
            reply({"text": "Answer", "thoughtSignature": SIG}),
        )
    )
    # The reasoning closes before the text begins.
    assert kinds(parts) == [
        (T.REASONING_START, "0"),
        (T.REASONING_DELTA, "0"),
        (T.REASONING_DELTA, "0"),
        (T.REASONING_END, "0"),
        (T.TEXT_START, "1"),
        (T.TEXT_DELTA, "1"),
        (T.TEXT_END, "1"),
        (T.FINISH, ""),
    ]
    assert parts[3].provider_metadata == google(SIG)


def test_stream_text_closing_unsigned_reasoning_carries_an_empty_signature() -> None:
    parts = translate(sse(reply({"text": "t", "thought": True}, finish=None), reply({"text": "A"})))
    end = next(p for p in parts if p.type is T.REASONING_END)
    assert end.provider_metadata == google("")


def test_stream_text_then_thoughts_closes_the_text() -> None:
    parts = translate(sse(reply({"text": "A"}, finish=None), reply({"text": "t", "thought": True})))
    assert kinds(parts) == [
        (T.TEXT_START, "0"),
        (T.TEXT_DELTA, "0"),
        (T.TEXT_END, "0"),
        (T.REASONING_START, "1"),
        (T.REASONING_DELTA, "1"),
        (T.REASONING_END, "1"),
        (T.FINISH, ""),
    ]
    assert parts[5].provider_metadata is None


def test_stream_lone_signature_on_text_gets_a_reasoning_block() -> None:
    parts = translate(sse(reply({"text": "A", "thoughtSignature": SIG})))
    assert kinds(parts)[:4] == [
        (T.REASONING_START, ""),
        (T.REASONING_END, ""),
        (T.TEXT_START, "0"),
        (T.TEXT_DELTA, "0"),
    ]
    assert parts[1].provider_metadata == google(SIG)


def test_stream_function_call_after_thoughts() -> None:
    """TestGoogleThinking/gemini-2.5-flash/thinking-streaming."""
    parts = translate(
        sse(
            reply({"text": "plan", "thought": True}, finish=None),
            reply(call("weather", {"location": "Florence, Italy"}, signature=SIG)),
        )
    )
    assert kinds(parts) == [
        (T.REASONING_START, "0"),
        (T.REASONING_DELTA, "0"),
        (T.REASONING_END, "0"),
        (T.TOOL_INPUT_START, "1"),
        (T.TOOL_INPUT_DELTA, "1"),
        (T.TOOL_INPUT_END, "1"),
        (T.TOOL_CALL, "1"),
        (T.FINISH, ""),
    ]
    assert parts[2].provider_metadata == google(SIG, "1")
    assert parts[3].tool_call_name == "weather"
    assert parts[4].delta == parts[6].tool_call_input == '{"location":"Florence, Italy"}'
    assert finish_of(parts).finish_reason is FinishReason.TOOL_CALLS


def test_stream_server_id_and_signature_without_thoughts() -> None:
    """gemini-3: the call has its own id; the signature opens and closes an empty block;
    the closing signature-only empty text is ignored."""
    parts = translate(
        sse(
            reply(call("weather", {"location": "Rome"}, id="9d532gc9", signature=SIG), finish=None),
            reply({"text": "", "thoughtSignature": "ignored"}),
        )
    )
    assert kinds(parts) == [
        (T.REASONING_START, ""),
        (T.REASONING_END, ""),
        (T.TOOL_INPUT_START, "9d532gc9"),
        (T.TOOL_INPUT_DELTA, "9d532gc9"),
        (T.TOOL_INPUT_END, "9d532gc9"),
        (T.TOOL_CALL, "9d532gc9"),
        (T.FINISH, ""),
    ]
    assert parts[1].provider_metadata == google(SIG, "9d532gc9")


def test_stream_text_then_calls() -> None:
    parts = translate(
        sse(reply({"text": "Sure."}, call("add", {"a": 2}), call("multiply", {"a": 2})))
    )
    assert kinds(parts) == [
        (T.TEXT_START, "0"),
        (T.TEXT_DELTA, "0"),
        (T.TEXT_END, "0"),
        (T.TOOL_INPUT_START, "1"),
        (T.TOOL_INPUT_DELTA, "1"),
        (T.TOOL_INPUT_END, "1"),
        (T.TOOL_CALL, "1"),
        (T.TOOL_INPUT_START, "2"),
        (T.TOOL_INPUT_DELTA, "2"),
        (T.TOOL_INPUT_END, "2"),
        (T.TOOL_CALL, "2"),
        (T.FINISH, ""),
    ]


def test_stream_usage_is_the_last_chunks_totals() -> None:
    """Gemini's counts are running totals: the last counted chunk's are the answer's
    (Fantasy keeps the first chunk's input and adds up the rest: 10, 16, 20, 12)."""
    parts = translate(
        sse(
            reply({"text": "a"}, finish=None, usage={"promptTokenCount": 9}),
            reply(
                {"text": "b"},
                finish=None,
                usage={
                    "promptTokenCount": 10,
                    "candidatesTokenCount": 4,
                    "totalTokenCount": 20,
                    "thoughtsTokenCount": 6,
                },
            ),
            reply(
                {"text": "c"},
                usage={
                    "promptTokenCount": 10,
                    "candidatesTokenCount": 12,
                    "totalTokenCount": 28,
                    "thoughtsTokenCount": 6,
                    "cachedContentTokenCount": 3,
                },
            ),
        )
    )
    assert finish_of(parts).usage == Usage(
        input_tokens=10, output_tokens=12, total_tokens=28, reasoning_tokens=6, cache_read_tokens=3
    )


def test_stream_without_usage_reports_zero() -> None:
    assert finish_of(translate(sse(reply({"text": "a"})))).usage == Usage()


def test_stream_finish_reason_is_the_last_one_seen() -> None:
    parts = translate(
        sse(reply({"text": "a"}, finish="MAX_TOKENS"), reply({"text": "b"}, finish=None))
    )
    assert finish_of(parts).finish_reason is FinishReason.LENGTH


def test_stream_without_finish_reason_is_a_retryable_truncation() -> None:
    parts = translate(
        sse(reply({"text": "a", "thought": True}, finish=None), reply({"text": "b"}, finish=None))
    )
    err = error_of(parts)
    assert isinstance(err, ProviderError) and err.is_retryable
    assert err.message == "unexpected EOF"
    # Open blocks are closed first, so what arrived is not lost.
    assert (T.TEXT_END, "1") in kinds(parts)


def test_tool_calls_finish_even_without_a_reason() -> None:
    parts = translate(sse(reply(call("now"), finish=None)))
    assert finish_of(parts).finish_reason is FinishReason.TOOL_CALLS


def test_empty_stream_is_a_retryable_truncation() -> None:
    err = error_of(translate(b""))
    assert isinstance(err, ProviderError) and err.is_retryable


def test_last_event_without_its_blank_line_is_still_read() -> None:
    raw = (
        sse(reply({"text": "a"}, finish=None))
        + b"data: "
        + json.dumps(reply({"text": "b"})).encode()
    )
    parts = translate(raw)
    assert finish_of(parts).finish_reason is FinishReason.STOP
    assert "".join(p.delta for p in parts) == "ab"


def test_last_event_cut_mid_json_is_a_retryable_truncation() -> None:
    raw = sse(reply({"text": "a"}, finish=None)) + b'data: {"candidates": [{"content": {"par'
    err = error_of(translate(raw))
    assert isinstance(err, ProviderError) and err.is_retryable


def test_invalid_json_mid_stream_is_an_error() -> None:
    parts = translate(b"data: {not json}\n\n" + sse(reply({"text": "never"})))
    err = error_of(parts)
    assert isinstance(err, ProviderError) and not err.is_retryable
    assert err.title == "invalid provider response"
    assert not [p for p in parts if p.type is T.TEXT_DELTA]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "null"])
def test_non_object_event_is_an_error(payload: str) -> None:
    err = error_of(translate(f"data: {payload}\n\n".encode()))
    assert isinstance(err, ProviderError) and "expected a JSON object" in err.message


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (
            {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"},
            True,
        ),
        ({"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}, True),
        ({"message": "Internal error", "status": "INTERNAL"}, True),
        (
            {
                "code": 400,
                "message": "Request contains an invalid argument.",
                "status": "INVALID_ARGUMENT",
            },
            False,
        ),
    ],
)
def test_error_event_in_stream(error: dict[str, Any], retryable: bool) -> None:
    for raw in (sse({"error": error}), json.dumps({"error": error}).encode() + b"\n\n"):
        parts = translate(
            sse(reply({"text": "a"}, finish=None)) + raw + sse(reply({"text": "never"}))
        )
        err = error_of(parts)
        assert isinstance(err, ProviderError)
        assert err.message == error["message"]
        assert err.is_retryable is retryable
        assert err.url == "https://x/stream"
        assert "never" not in "".join(p.delta for p in parts)


def test_unknown_line_is_an_error() -> None:
    err = error_of(translate(b"garbage here\n\n"))
    assert isinstance(err, ProviderError) and "invalid stream chunk" in err.message


def test_other_fields_are_errors_like_google_sdk_but_comments_pass() -> None:
    """Google's SDK reads every non-data event as an error or garbage; keep-alive
    comments, which only proxies send, are skipped."""
    err = error_of(translate(b"event: ping\n\n"))
    assert isinstance(err, ProviderError)
    parts = translate(b": keep-alive\n\n" + sse(reply({"text": "a"})))
    assert finish_of(parts).finish_reason is FinishReason.STOP


@pytest.mark.parametrize("crlf", [True, False])
def test_stream_split_at_every_byte(crlf: bool) -> None:
    raw = sse(
        reply({"text": "Olá 🌍", "thought": True}, finish=None),
        reply({"text": "ça va"}, call("f", {"x": "é"}, signature=SIG)),
        crlf=crlf,
    )
    whole = translate(raw)
    for cut in range(1, len(raw)):
        pieces = translate([raw[:cut], raw[cut:]])
        assert [(p.type, p.id, p.delta) for p in pieces] == [(p.type, p.id, p.delta) for p in whole]
    one_by_one = translate([raw[i : i + 1] for i in range(len(raw))])
    assert [(p.type, p.delta) for p in one_by_one] == [(p.type, p.delta) for p in whole]


def test_event_decoder_frames_like_google_sdk() -> None:
    decoder = EventDecoder()
    assert decoder.feed(b"data: 1\r\n\r\ndata: 2\n\ndat") == [b"data: 1", b"data: 2"]
    assert decoder.feed(b"a: 3\r\n") == []
    assert decoder.feed(b"\r\n\n\n") == [b"data: 3"]
    assert decoder.feed(b"data: 4") == []
    assert decoder.close() == [b"data: 4"]
    assert decoder.close() == []
