"""Error bodies of OpenAI-compatible servers that are not OpenAI's envelope.

OpenAI answers an error with ``{"error": {"message", "type", "code"}}``. Servers that
speak its format often do not: vLLM (before 0.9) answers ``{"object": "error",
"message", "type": "BadRequestError", "param", "code": 400}`` at the top level, in a
stream too; Ollama ``{"error": "model \\"x\\" not found, try pulling it first"}``;
FastAPI servers (LiteLLM's proxy, TGI's router, many gateways) ``{"detail": "..."}``, or
a list of validation errors under ``detail``. The exception's message was the raw JSON;
it is now the server's own text, with the body still on the error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy.errors import ContextWindowError, ProviderError
from tests.faults.server import FaultServer, Reply
from tests.recorded.replay import SIZES, model, sse, streamed

VLLM = {
    "object": "error",
    "message": (
        "This model's maximum context length is 4096 tokens. However, you requested "
        "5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the "
        "length of the messages or completion."
    ),
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}
OLLAMA = {"error": 'model "llama9" not found, try pulling it first'}
DETAIL = {"detail": "Authentication Error, Invalid proxy server token passed."}
VALIDATION = {
    "detail": [
        {
            "type": "missing",
            "loc": ["body", "messages"],
            "msg": "Field required",
            "input": {"model": "m"},
        }
    ]
}

CASES: list[tuple[str, int, dict[str, Any], str]] = [
    ("vllm", 400, VLLM, VLLM["message"]),
    ("ollama", 404, OLLAMA, OLLAMA["error"]),
    ("detail", 401, DETAIL, DETAIL["detail"]),
    ("validation", 422, VALIDATION, "body.messages: Field required"),
]


@pytest.mark.parametrize("family", ["openaicompat", "openai", "anthropic", "google"])
@pytest.mark.parametrize(("name", "status", "body", "message"), CASES, ids=[c[0] for c in CASES])
def test_an_error_status_says_the_servers_message(
    server: FaultServer, family: str, name: str, status: int, body: Any, message: str
) -> None:
    raw = json.dumps(body).encode()
    server.script(Reply(status=status, body=raw))
    from fantasy.model import Call
    from fantasy.types import user_message

    with pytest.raises(ProviderError) as caught:
        model(family, server).generate(Call([user_message("hi")]))
    error = caught.value
    assert error.message == message
    assert error.status_code == status
    assert error.response_body == raw  # the whole body is still there


def test_vllms_context_error_is_a_context_window_error(server: FaultServer) -> None:
    server.script(Reply(status=400, body=json.dumps(VLLM).encode()))
    from fantasy.model import Call
    from fantasy.types import user_message

    with pytest.raises(ContextWindowError) as caught:
        model("openaicompat", server).generate(Call([user_message("hi")]))
    assert (caught.value.context_used_tokens, caught.value.context_max_tokens) == (5000, 4096)
    assert caught.value.error_type == "BadRequestError"


def chunk(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-9",
        "object": "chat.completion.chunk",
        "created": 1744000000,
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


@pytest.mark.parametrize("size", SIZES)
def test_vllms_flat_error_in_a_stream_is_its_message(server: FaultServer, size: int) -> None:
    failure = {
        "object": "error",
        "message": "CUDA out of memory while decoding",
        "type": "InternalServerError",
        "param": None,
        "code": 500,
    }
    seen = streamed("openaicompat", server, sse(chunk("Hel"), failure, done=True), size)
    assert seen.text == "Hel"
    assert len(seen.errors) == 1
    error = seen.errors[0]
    assert isinstance(error, ProviderError)
    assert error.message == "CUDA out of memory while decoding"
    assert error.retryable  # a 500 from the server is passing
