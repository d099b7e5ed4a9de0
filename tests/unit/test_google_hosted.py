"""Gemini's built-in tools and everything else its answers hold beyond text and calls
(issue 15): the tools on the wire, code execution, generated images, sources and
metadata on both paths, thought signatures kept and sent back (also through
persistence), reasoning that always closes, streamed usage, blocked prompts."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import fantasy
from fantasy.errors import FantasyError
from fantasy.http.shell import StreamPump
from fantasy.model import Call
from fantasy.providers import google
from fantasy.providers.google.stream import GeminiEventSource
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FileContent,
    ProviderDefinedTool,
    ReasoningContent,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
    Usage,
    user_message,
)

T = StreamPartType
SIG = "CvMBAb4+9vvZ=="
SIG2 = "EtACCs0CAb4+9vvh=="
PNG = "iVBORw0KGgo="


def body(*parts: dict[str, Any], finish: str | None = "STOP", **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    candidate.update(extra)
    return {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(f"data: {json.dumps(c)}\r\n\r\n".encode() for c in chunks)


def ids() -> Any:
    n = 0

    def next_id() -> str:
        nonlocal n
        n += 1
        return f"id-{n}"

    return next_id


def translate(raw: bytes) -> list[StreamPart]:
    translator = google.StreamTranslator(ids(), [])
    pump = StreamPump(GeminiEventSource(), translator, "google", "u")
    parts = pump.start()
    parts.extend(pump.feed(raw))
    return parts + pump.finish()


def build(**kw: Any) -> dict[str, Any]:
    wire, _ = google.RequestBuilder("gemini-2.5-flash").build_body(
        Call(prompt=[user_message("hi")], **kw)
    )
    return wire


WEATHER = fantasy.FunctionTool(
    "weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)


# =========================================================================== tools on the wire


def test_builtin_tools_are_sent_as_their_own_tool_objects() -> None:
    wire = build(
        tools=[
            WEATHER,
            google.google_search_tool(),
            google.url_context_tool(),
            google.code_execution_tool(),
        ]
    )
    assert wire["tools"] == [
        {"functionDeclarations": [wire["tools"][0]["functionDeclarations"][0]]},
        {"googleSearch": {}},
        {"urlContext": {}},
        {"codeExecution": {}},
    ]


def test_google_search_options() -> None:
    tool = google.google_search_tool(
        time_range_filter=google.TimeRangeFilter(start_time="2025-01-01T00:00:00Z"),
        exclude_domains=["example.com"],
    )
    assert build(tools=[tool])["tools"] == [
        {
            "googleSearch": {
                "timeRangeFilter": {"startTime": "2025-01-01T00:00:00Z"},
                "excludeDomains": ["example.com"],
            }
        }
    ]
    # As it comes back from JSON (a dict instead of the dataclass).
    loaded = ProviderDefinedTool(
        tool.id, tool.name, {"time_range_filter": {"end_time": "2026-01-01T00:00:00Z"}}
    )
    assert build(tools=[loaded])["tools"] == [
        {"googleSearch": {"timeRangeFilter": {"endTime": "2026-01-01T00:00:00Z"}}}
    ]


def test_other_provider_tools_are_still_reported_and_not_sent() -> None:
    other = ProviderDefinedTool("anthropic.web_search", "web_search")
    wire, warnings = google.RequestBuilder("gemini-2.5-flash").build_body(
        Call(prompt=[user_message("hi")], tools=[other, google.url_context_tool()])
    )
    assert wire["tools"] == [{"urlContext": {}}]
    assert warnings == [
        CallWarning(CallWarningType.UNSUPPORTED_TOOL, tool=other, message="tool is not supported")
    ]


# =========================================================================== generate


def test_code_execution_and_images_are_content() -> None:
    resp = google.parse_response(
        body(
            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
            {"executableCode": {"language": "PYTHON", "code": "1/0"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_FAILED", "output": "ZeroDivisionError"}},
            {"inlineData": {"mimeType": "image/png", "data": PNG}, "thoughtSignature": SIG},
        ),
        ids(),
    )
    assert list(resp.content) == [
        ToolCallContent("id-1", "code_execution", '{"language":"PYTHON","code":"print(1)"}', True),
        ToolResultContent(
            "id-1",
            "code_execution",
            ToolResultOutputText("1\n"),
            provider_executed=True,
            provider_metadata={"google": google.CodeExecutionResultMetadata(outcome="OUTCOME_OK")},
        ),
        ToolCallContent("id-2", "code_execution", '{"language":"PYTHON","code":"1/0"}', True),
        ToolResultContent(
            "id-2",
            "code_execution",
            ToolResultOutputError("ZeroDivisionError"),
            provider_executed=True,
            provider_metadata={
                "google": google.CodeExecutionResultMetadata(outcome="OUTCOME_FAILED")
            },
        ),
        FileContent(
            b"\x89PNG\r\n\x1a\n", "image/png", {"google": google.FileMetadata(signature=SIG)}
        ),
    ]
    assert resp.finish_reason is fantasy.FinishReason.STOP  # provider-executed: not tool-calls


def test_grounding_becomes_sources_and_metadata() -> None:
    grounding = {
        "webSearchQueries": ["florence weather"],
        "searchEntryPoint": {"renderedContent": "<div>chip</div>"},
        "groundingChunks": [
            {"web": {"uri": "https://a.example/1", "title": "a.example"}},
            {"web": {"uri": "https://a.example/1", "title": "a.example"}},
            {"retrievedContext": {"uri": "gs://b/doc.pdf", "title": "doc.pdf"}},
        ],
        "groundingSupports": [{"segment": {"endIndex": 5}, "groundingChunkIndices": [0]}],
    }
    url_context = {
        "urlMetadata": [
            {
                "retrievedUrl": "https://c.example",
                "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS",
            }
        ]
    }
    resp = google.parse_response(
        body(
            {"text": "Sunny."},
            groundingMetadata=grounding,
            urlContextMetadata=url_context,
            citationMetadata={"citationSources": [{"uri": "https://d.example", "license": ""}]},
            safetyRatings=[{"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW"}],
            avgLogprobs=-0.5,
        )
        | {"promptFeedback": {"safetyRatings": []}, "usageMetadata": {"totalTokenCount": 3}},
        ids(),
    )
    assert resp.content.sources == [
        SourceContent(SourceType.URL, "google-source-1", url="https://d.example"),
        SourceContent(
            SourceType.URL, "google-source-2", url="https://a.example/1", title="a.example"
        ),
        SourceContent(SourceType.DOCUMENT, "google-source-3", title="doc.pdf"),
    ]
    meta = resp.provider_metadata["google"]
    assert isinstance(meta, google.ResponseMetadata)
    assert meta.grounding_metadata is not None
    assert meta.grounding_metadata.web_search_queries == ["florence weather"]
    assert meta.grounding_metadata.search_entry_point == google.SearchEntryPoint(
        rendered_content="<div>chip</div>"
    )
    assert meta.grounding_metadata.grounding_supports == grounding["groundingSupports"]
    assert meta.url_context_metadata == [
        google.UrlMetadata(
            retrieved_url="https://c.example", url_retrieval_status="URL_RETRIEVAL_STATUS_SUCCESS"
        )
    ]
    assert meta.safety_ratings == [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW"}]
    assert meta.avg_logprobs == -0.5
    assert meta.prompt_feedback == {"safetyRatings": []}
    assert meta.usage_metadata == {"totalTokenCount": 3}


def test_tool_use_prompt_tokens_are_input() -> None:
    resp = google.parse_response(
        body({"text": "x"})
        | {
            "usageMetadata": {
                "promptTokenCount": 10,
                "toolUsePromptTokenCount": 200,
                "candidatesTokenCount": 5,
                "totalTokenCount": 215,
            }
        },
        ids(),
    )
    assert resp.usage == Usage(input_tokens=210, output_tokens=5, total_tokens=215)


def test_unknown_parts_and_fields_are_warnings() -> None:
    resp = google.parse_response(
        body(
            {"text": "a"},
            {"fileData": {"fileUri": "gs://x", "mimeType": "text/plain"}},
            {"hologram": {}},
            {"hologram": {}},
            aura=1,
        ),
        ids(),
    )
    assert [w.message for w in resp.warnings] == [
        "google: fileData part in the answer was skipped",
        "google: unsupported part type hologram in the answer was skipped",
        "google: unsupported candidate field aura was skipped",
    ]
    assert all(w.type is CallWarningType.OTHER for w in resp.warnings)


def test_signature_on_an_empty_part_after_text_stays_on_the_text() -> None:
    resp = google.parse_response(body({"text": "Hi"}, {"text": "", "thoughtSignature": SIG}), ids())
    assert list(resp.content) == [
        TextContent("Hi", {"google": google.ReasoningMetadata(signature=SIG)})
    ]


# =========================================================================== stream


def test_stream_reasoning_closes_before_code_files_and_at_the_end() -> None:
    parts = translate(
        sse(
            body({"text": "plan", "thought": True}, finish=None),
            body({"executableCode": {"language": "PYTHON", "code": "1"}}, finish=None),
            body({"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}}, finish=None),
            body({"text": "more", "thought": True}, finish=None),
            body({"inlineData": {"mimeType": "image/png", "data": PNG}}, finish=None),
            body({"text": "last thought", "thought": True}),
        )
    )
    assert [(p.type, p.id) for p in parts] == [
        (T.REASONING_START, "0"),
        (T.REASONING_DELTA, "0"),
        (T.REASONING_END, "0"),
        (T.TOOL_INPUT_START, "id-1"),
        (T.TOOL_INPUT_DELTA, "id-1"),
        (T.TOOL_INPUT_END, "id-1"),
        (T.TOOL_CALL, "id-1"),
        (T.TOOL_RESULT, "id-1"),
        (T.REASONING_START, "1"),
        (T.REASONING_DELTA, "1"),
        (T.REASONING_END, "1"),
        (T.FILE, ""),
        (T.REASONING_START, "2"),
        (T.REASONING_DELTA, "2"),
        (T.REASONING_END, "2"),
        (T.FINISH, ""),
    ]
    assert all(p.provider_executed for p in parts[3:8])
    result = parts[7].tool_result
    assert result is not None and result.result == ToolResultOutputText("1")
    file = parts[11].file
    assert file is not None and file.media_type == "image/png"


def test_stream_sources_and_metadata_on_the_finish_part() -> None:
    parts = translate(
        sse(
            body({"text": "Sunny"}, finish=None),
            body(
                {"text": "."},
                groundingMetadata={
                    "webSearchQueries": ["q"],
                    "groundingChunks": [{"web": {"uri": "https://a.example", "title": "A"}}],
                },
            ),
        )
    )
    sources = [p for p in parts if p.type is T.SOURCE]
    assert [(p.url, p.title) for p in sources] == [("https://a.example", "A")]
    assert sources[0].source == SourceContent(
        SourceType.URL, "google-source-1", url="https://a.example", title="A"
    )
    finish = parts[-1]
    assert finish.type is T.FINISH and finish.provider_metadata is not None
    meta = finish.provider_metadata["google"]
    assert meta.grounding_metadata.web_search_queries == ["q"]


def test_stream_warnings_arrive_mid_stream_once() -> None:
    parts = translate(
        sse(
            body({"text": "a"}, {"hologram": 1}, finish=None),
            body({"hologram": 2}, {"text": "b"}),
        )
    )
    warnings = [p for p in parts if p.type is T.WARNINGS]
    assert len(warnings) == 1 and warnings[0].warnings is not None
    assert "hologram" in (warnings[0].warnings[0].message or "")
    assert "".join(p.delta for p in parts if p.type is T.TEXT_DELTA) == "ab"


def test_stream_signature_on_the_last_empty_part_stays_on_the_text() -> None:
    """Gemini 3 ends a streamed answer with ``{"text": "", "thoughtSignature": ...}``."""
    parts = translate(
        sse(
            body({"text": "It is hot"}, finish=None),
            body({"text": "", "thoughtSignature": SIG}),
        )
    )
    end = next(p for p in parts if p.type is T.TEXT_END)
    assert end.provider_metadata == {"google": google.ReasoningMetadata(signature=SIG)}
    assert not [p for p in parts if p.type is T.REASONING_START]


def test_stream_usage_is_the_last_chunks_totals_as_gemini_3_sends_them() -> None:
    """From the recorded gemini-3 stream: the prompt count grows on the last chunk
    (95, then 189) and every chunk repeats the running totals."""

    def chunk(text: str, prompt: int, out: int, total: int, finish: str | None = None) -> Any:
        usage = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": out,
            "totalTokenCount": total,
            "thoughtsTokenCount": 68,
        }
        return body({"text": text}, finish=finish) | {"usageMetadata": usage}

    parts = translate(
        sse(
            chunk("The weather", 95, 23, 186),
            chunk(" is hot", 95, 29, 192),
            chunk("", 189, 29, 286, "STOP"),
        )
    )
    # Fantasy: input 95, output 81, reasoning 204, total 186.
    assert parts[-1].usage == Usage(
        input_tokens=189, output_tokens=29, total_tokens=286, reasoning_tokens=68
    )


def test_stream_blocked_prompt_is_the_same_error_as_generate_not_a_retry() -> None:
    blocked = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
    }
    parts = translate(sse(blocked))
    error = parts[-1].error
    assert parts[-1].type is T.ERROR and isinstance(error, FantasyError)
    assert "prompt blocked: PROHIBITED_CONTENT" in str(error)
    assert not getattr(error, "retryable", False)
    with pytest.raises(FantasyError, match="prompt blocked: PROHIBITED_CONTENT"):
        google.parse_response(blocked, ids())


# ======================================================================== replay through the agent


SIGNED_ANSWER = body(
    {"text": "Let me compute.", "thought": True, "thoughtSignature": SIG},
    {"executableCode": {"language": "PYTHON", "code": "print(6*7)"}},
    {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}},
    {"inlineData": {"mimeType": "image/png", "data": PNG}, "thoughtSignature": SIG2},
    {"text": "It is 42."},
    {"functionCall": {"name": "weather", "args": {"city": "Rome"}}, "thoughtSignature": SIG},
)
"""An answer whose every part must go back on the next request."""

REPLAYED = [
    {"executableCode": {"language": "PYTHON", "code": "print(6*7)"}, "thoughtSignature": SIG},
    {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}},
    {"inlineData": {"data": PNG, "mimeType": "image/png"}, "thoughtSignature": SIG2},
    {"text": "It is 42."},
    {
        "functionCall": {"args": {"city": "Rome"}, "id": "id-2", "name": "weather"},
        "thoughtSignature": SIG,
    },
]
"""The model turn of the next request: the thought's signature on the part after it,
the image's on the image, the call's on the call (Fantasy's rule)."""


def _agent(transport: httpx.MockTransport) -> fantasy.Agent:
    model = google.Provider("k", transport=transport, tool_call_id=ids()).language_model(
        "gemini-2.5-flash"
    )

    @fantasy.tool
    def weather(city: str) -> str:
        """Weather."""
        return "hot"

    return fantasy.Agent(
        model, tools=[weather], provider_tools=[google.code_execution_tool()], max_retries=0
    )


@pytest.mark.parametrize("streaming", [False, True])
def test_everything_goes_back_on_the_next_request_and_through_json(streaming: bool) -> None:
    answers = [SIGNED_ANSWER, body({"text": "Done."})]
    requests: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(json.loads(request.content))
        answer = answers[min(len(requests), 2) - 1]
        if streaming:
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=sse(answer)
            )
        return httpx.Response(200, json=answer)

    agent = _agent(httpx.MockTransport(handler))
    if streaming:
        stream = agent.stream("go")
        for _ in stream:
            pass
        result = stream.result
    else:
        result = agent.generate("go")
    assert result.text == "Done."
    sent = requests[1]["contents"][1]
    assert sent["role"] == "model"
    assert sent["parts"] == REPLAYED
    step = result.steps[0]
    assert [type(c) for c in step.content] == [
        ReasoningContent,
        ToolCallContent,
        ToolResultContent,
        FileContent,
        TextContent,
        ReasoningContent,  # the call's signature, as Fantasy keeps it
        ToolCallContent,
        ToolResultContent,  # the agent's run of the weather tool
    ]

    # The conversation saved and loaded sends the same model turn.
    history = result.all_messages()[:3]  # the prompt, the model turn, the tool result
    loaded = fantasy.from_json(fantasy.to_json(history), list[fantasy.Message])
    again: list[dict[str, Any]] = []

    def replay(request: httpx.Request) -> httpx.Response:
        again.append(json.loads(request.content))
        return httpx.Response(200, json=body({"text": "ok"}))

    _agent(httpx.MockTransport(replay)).generate(messages=loaded)
    assert again[0]["contents"][1] == sent


def test_response_metadata_survives_json() -> None:
    resp = google.parse_response(
        body(
            {"text": "x"},
            groundingMetadata={
                "webSearchQueries": ["q"],
                "searchEntryPoint": {"renderedContent": "<b>"},
                "groundingChunks": [{"web": {"uri": "https://a.example"}}],
            },
            urlContextMetadata={"urlMetadata": [{"retrievedUrl": "https://a.example"}]},
            avgLogprobs=-0.1,
        )
        | {"usageMetadata": {"promptTokenCount": 1, "promptTokensDetails": [{"modality": "TEXT"}]}},
        ids(),
    )
    resp.raw_finish_reason = ""  # not in Fantasy's saved JSON
    assert fantasy.from_json(fantasy.to_json(resp), fantasy.Response) == resp
    content = list(resp.content)
    assert fantasy.from_json(fantasy.to_json(content), list[fantasy.Content]) == content
