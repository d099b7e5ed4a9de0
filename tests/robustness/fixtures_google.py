"""Gemini answers as Google documents them (``generateContent`` and
``streamGenerateContent?alt=sse``, Gemini API and Vertex AI).

Every part type (text, thought, thoughtSignature, inlineData, fileData,
functionCall, functionResponse, executableCode, codeExecutionResult), candidate
field (finishReason values, safetyRatings, citationMetadata, groundingMetadata,
urlContextMetadata, avgLogprobs, logprobsResult, finishMessage), and
usageMetadata field. Streams send each part in a chunk of its own, the
candidate's metadata and finish reason with the last, and running usage totals
on every chunk (the last chunk's are the answer's).
"""

from __future__ import annotations

from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

MODEL = "gemini-2.5-flash"
SIG = "CiQBvj72+y6VX8BA4jMLQJOJ=="
PNG = "iVBORw0KGgo="  # the PNG signature, base64


def _usage(prompt: int, out: int, thoughts: int = 0, **extra: Any) -> dict[str, Any]:
    total = prompt + out + thoughts + extra.get("toolUsePromptTokenCount", 0)
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": out,
        "totalTokenCount": total,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    usage.update(extra)
    return usage


def _body(
    parts: list[dict[str, Any]], usage: dict[str, Any] | None, finish: str | None, **extra: Any
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    candidate.update(extra)
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": MODEL, "responseId": "r1"}
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def whole(
    parts: list[dict[str, Any]],
    usage: dict[str, Any],
    finish: str = "STOP",
    **extra: Any,
) -> dict[str, Any]:
    """A ``generateContent`` answer; ``extra`` are candidate fields."""
    return _body(parts, usage, finish, **extra)


def stream(
    parts: list[dict[str, Any]],
    usage: dict[str, Any],
    finish: str = "STOP",
    **extra: Any,
) -> bytes:
    """The same answer streamed: one part per chunk with running usage totals (which
    grow; the first chunk's prompt count is smaller, as Gemini 3 sends it), the
    metadata and finish reason on the last chunk."""
    chunks = []
    for i, part in enumerate(parts):
        running = {
            "promptTokenCount": max(1, usage["promptTokenCount"] // 2),
            "candidatesTokenCount": i + 1,
            "totalTokenCount": usage["promptTokenCount"] // 2 + i + 1,
        }
        if usage.get("thoughtsTokenCount"):
            running["thoughtsTokenCount"] = usage["thoughtsTokenCount"]
        chunks.append(_body([part], running, None))
    chunks.append(_body([], usage, finish, **extra))
    return sse(*chunks)


def fixture(
    name: str,
    parts: list[dict[str, Any]],
    expect: Expected,
    *,
    usage: dict[str, Any] | None = None,
    finish: str = "STOP",
    **extra: Any,
) -> Fixture:
    usage = usage or _usage(10, 5)
    return Fixture(
        name=name,
        family="google",
        whole=whole(parts, usage, finish, **extra),
        stream=stream(parts, usage, finish, **extra),
        expect=expect,
        build_options={"tool_call_id": _call_id},
    )


def _call_id() -> str:
    """Gemini sends no id with code (nor with calls before Gemini 3): the provider's
    generator makes one, the same on every path here."""
    return "call-1"


def _expected_usage(usage: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=usage["promptTokenCount"] + usage.get("toolUsePromptTokenCount", 0),
        output_tokens=usage["candidatesTokenCount"],
        total_tokens=usage["totalTokenCount"],
        reasoning_tokens=usage.get("thoughtsTokenCount", 0),
        cache_read_tokens=usage.get("cachedContentTokenCount", 0),
    )


U = _usage(10, 5)
THINKING_USAGE = _usage(95, 29, 68)
SEARCH_USAGE = _usage(12, 40, toolUsePromptTokenCount=300)
ALL_USAGE = _usage(
    120,
    30,
    12,
    cachedContentTokenCount=100,
    toolUsePromptTokenCount=8,
    cacheTokensDetails=[{"modality": "TEXT", "tokenCount": 100}],
    candidatesTokensDetails=[{"modality": "TEXT", "tokenCount": 30}],
    toolUsePromptTokensDetails=[{"modality": "TEXT", "tokenCount": 8}],
)

GROUNDING = {
    "webSearchQueries": ["weather florence today"],
    "searchEntryPoint": {"renderedContent": "<div class='chip'>weather florence</div>"},
    "groundingChunks": [
        {"web": {"uri": "https://vertexaisearch.cloud.google.com/r/1", "title": "meteo.it"}},
        {"web": {"uri": "https://vertexaisearch.cloud.google.com/r/2", "title": "ilmeteo.it"}},
        {"retrievedContext": {"uri": "gs://bucket/florence.pdf", "title": "florence.pdf"}},
        {"retrievedContext": {"uri": "https://example.com/kb/1", "title": "KB"}},
        {"maps": {"uri": "https://maps.google.com/?cid=1", "title": "Piazza", "placeId": "p1"}},
    ],
    "groundingSupports": [
        {
            "segment": {"startIndex": 0, "endIndex": 20, "text": "It is sunny in Florence"},
            "groundingChunkIndices": [0, 1],
            "confidenceScores": [0.9, 0.8],
        }
    ],
    "retrievalMetadata": {"googleSearchDynamicRetrievalScore": 0.7},
}

SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
]

FINISH_REASONS = [
    ("STOP", FinishReason.STOP),
    ("MAX_TOKENS", FinishReason.LENGTH),
    ("SAFETY", FinishReason.CONTENT_FILTER),
    ("RECITATION", FinishReason.ERROR),
    ("LANGUAGE", FinishReason.ERROR),
    ("OTHER", FinishReason.OTHER),
    ("BLOCKLIST", FinishReason.CONTENT_FILTER),
    ("PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
    ("SPII", FinishReason.CONTENT_FILTER),
    ("MALFORMED_FUNCTION_CALL", FinishReason.ERROR),
    ("IMAGE_SAFETY", FinishReason.CONTENT_FILTER),
    ("IMAGE_PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
    ("IMAGE_RECITATION", FinishReason.CONTENT_FILTER),
    ("IMAGE_OTHER", FinishReason.OTHER),
    ("NO_IMAGE", FinishReason.OTHER),
    ("UNEXPECTED_TOOL_CALL", FinishReason.ERROR),
    ("TOO_MANY_TOOL_CALLS", FinishReason.ERROR),
    ("MISSING_THOUGHT_SIGNATURE", FinishReason.ERROR),
    ("FINISH_REASON_UNSPECIFIED", FinishReason.UNKNOWN),
]

FIXTURES = [
    fixture(
        "text",
        [{"text": "Olá"}, {"text": "! Tudo bem?"}],
        Expected(
            text="Olá! Tudo bem?",
            raw_finish_reason="STOP",
            usage=_expected_usage(U),
        ),
    ),
    fixture(
        "thoughts, then a signed function call",
        [
            {"text": "The user wants", "thought": True},
            {"text": " the weather.", "thought": True},
            {
                "functionCall": {"name": "weather", "args": {"location": "Florence"}},
                "thoughtSignature": SIG,
            },
        ],
        Expected(
            reasoning="The user wants the weather.",
            tool_calls=[("call-1", "weather", {"location": "Florence"})],
            finish_reason=FinishReason.TOOL_CALLS,
            raw_finish_reason="STOP",
            usage=_expected_usage(THINKING_USAGE),
        ),
        usage=THINKING_USAGE,
    ),
    fixture(
        "gemini 3: a call with its own id, text ended by a signature-only part",
        [
            {"text": "It is 40 C in Florence"},
            {"text": ", stay cool."},
            {"text": "", "thoughtSignature": SIG},
        ],
        Expected(
            text="It is 40 C in Florence, stay cool.",
            raw_finish_reason="STOP",
            usage=_expected_usage(THINKING_USAGE),
        ),
        usage=THINKING_USAGE,
    ),
    fixture(
        "google search grounding",
        [{"text": "It is sunny in Florence today."}],
        Expected(
            text="It is sunny in Florence today.",
            sources=[
                "https://vertexaisearch.cloud.google.com/r/1",
                "https://vertexaisearch.cloud.google.com/r/2",
                "google-source-3",
                "https://example.com/kb/1",
                "https://maps.google.com/?cid=1",
            ],
            raw_finish_reason="STOP",
            usage=_expected_usage(SEARCH_USAGE),
        ),
        usage=SEARCH_USAGE,
        groundingMetadata=GROUNDING,
    ),
    fixture(
        "url context",
        [{"text": "The page says hello."}],
        Expected(
            text="The page says hello.",
            sources=["https://example.com/hello"],
            raw_finish_reason="STOP",
        ),
        urlContextMetadata={
            "urlMetadata": [
                {
                    "retrievedUrl": "https://example.com/hello",
                    "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS",
                },
                {
                    "retrievedUrl": "https://example.com/gone",
                    "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_ERROR",
                },
            ]
        },
        groundingMetadata={
            "groundingChunks": [{"web": {"uri": "https://example.com/hello", "title": "Hello"}}]
        },
    ),
    fixture(
        "code execution",
        [
            {"text": "Let me compute it."},
            {"executableCode": {"language": "PYTHON", "code": "print(sum(range(101)))"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "5050\n"}},
            {"text": "The sum is 5050."},
        ],
        Expected(
            text="Let me compute it.The sum is 5050.",
            provider_calls=[("call-1", "code_execution")],
            provider_results=[("call-1", "code_execution")],
            raw_finish_reason="STOP",
        ),
    ),
    fixture(
        "code execution that failed, with the chart it drew",
        [
            {"executableCode": {"language": "PYTHON", "code": "1/0"}},
            {
                "codeExecutionResult": {
                    "outcome": "OUTCOME_FAILED",
                    "output": "ZeroDivisionError: division by zero",
                }
            },
            {"executableCode": {"language": "PYTHON", "code": "plot()"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_DEADLINE_EXCEEDED"}},
            {"inlineData": {"mimeType": "image/png", "data": PNG}},
        ],
        Expected(
            provider_calls=[("call-1", "code_execution"), ("call-1", "code_execution")],
            provider_results=[("call-1", "code_execution"), ("call-1", "code_execution")],
            files=["image/png"],
            raw_finish_reason="STOP",
        ),
    ),
    fixture(
        "generated image with a thought signature, and a thought image",
        [
            {"inlineData": {"mimeType": "image/png", "data": PNG}, "thought": True},
            {"text": "Here is your cat."},
            {"inlineData": {"mimeType": "image/jpeg", "data": PNG}, "thoughtSignature": SIG},
        ],
        Expected(
            text="Here is your cat.",
            files=["image/png", "image/jpeg"],
            raw_finish_reason="STOP",
        ),
    ),
    fixture(
        "citations (Gemini API citationSources, Vertex citations)",
        [{"text": "To be or not to be."}],
        Expected(
            text="To be or not to be.",
            sources=["https://example.com/hamlet", "google-source-2"],
            raw_finish_reason="STOP",
        ),
        citationMetadata={
            "citationSources": [
                {"startIndex": 0, "endIndex": 18, "uri": "https://example.com/hamlet"},
                {"startIndex": 0, "endIndex": 18, "license": "mit"},
            ],
            "citations": [
                {"startIndex": 0, "endIndex": 18, "uri": "https://example.com/hamlet"},
                {"startIndex": 0, "endIndex": 18, "title": "Hamlet", "publicationDate": {}},
            ],
        },
    ),
    fixture(
        "safety ratings, log probabilities and a finish message",
        [{"text": "Partial"}],
        Expected(
            text="Partial",
            finish_reason=FinishReason.CONTENT_FILTER,
            raw_finish_reason="SAFETY",
        ),
        finish="SAFETY",
        safetyRatings=SAFETY_RATINGS,
        finishMessage="The response was blocked.",
        avgLogprobs=-0.42,
        logprobsResult={
            "topCandidates": [{"candidates": [{"token": "Partial", "logProbability": -0.42}]}],
            "chosenCandidates": [{"token": "Partial", "logProbability": -0.42}],
        },
        tokenCount=1,
    ),
    fixture(
        "every usage field",
        [{"text": "ok", "thought": True}, {"text": "ok"}],
        Expected(
            text="ok",
            reasoning="ok",
            raw_finish_reason="STOP",
            usage=_expected_usage(ALL_USAGE),
        ),
        usage=ALL_USAGE,
    ),
    fixture(
        "parts an answer should not hold are reported",
        [
            {"text": "See the file."},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://b/f.pdf"}},
            {"functionResponse": {"name": "weather", "response": {"result": "40 C"}}},
        ],
        Expected(
            text="See the file.",
            raw_finish_reason="STOP",
            warnings=["fileData part", "functionResponse part"],
        ),
    ),
    fixture(
        "a part or candidate field of a kind not documented is reported",
        [{"text": "Hi"}, {"hologram": {"uri": "x"}, "thoughtSignature": SIG}],
        Expected(
            text="Hi",
            raw_finish_reason="STOP",
            warnings=["unsupported part type hologram", "unsupported candidate field aura"],
        ),
        aura={"x": 1},
    ),
    *[
        fixture(
            f"finish reason {raw}",
            [{"text": "x"}],
            Expected(text="x", finish_reason=mapped, raw_finish_reason=raw),
            finish=raw,
        )
        for raw, mapped in FINISH_REASONS
    ],
]
