"""Each provider family's wire format, as the fault server speaks it.

A `Family` knows how to build a model pointed at the fault server and how to
say, in that provider's own dialect: a text answer (streamed and whole), the
same answer cut off before its terminal event, an in-stream error, and an HTTP
error body. The streams are written from the providers' documented shapes (the
same shapes the recorded cassettes show), trimmed to what the translators read.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fantasy.http.eventstream import encode_message
from fantasy.model import LanguageModel


def _j(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _sse(data: Any, event: str = "") -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else _j(data)
    return f"{head}data: {body}\n\n".encode()


CREATED: list[LanguageModel] = []
"""Every model `Family.make` built, so that the suite can close their connections."""


@dataclass(frozen=True)
class Family:
    name: str
    build: Callable[..., LanguageModel]
    stream: Callable[[list[str]], list[bytes]]
    """A whole streamed answer made of these text deltas, terminal event included."""
    truncated: Callable[[list[str]], list[bytes]]
    """The same answer without the event that says it is finished."""
    stream_error: Callable[[str, str], bytes]
    """An in-stream error event: (error type, message)."""
    http_error: Callable[[str, int], bytes]
    """An HTTP error body carrying this message, for this status."""
    whole: Callable[[str], bytes]
    """A non-streamed answer with this text."""
    auth_header: str
    """Where the API key travels (lower case)."""
    tool_stream: Callable[[list[str], str, str], list[bytes]]
    """A whole streamed answer: these text deltas, then a call of tool ``name`` with
    these JSON ``arguments``; it finishes for tool calls."""
    transient_type: str = "server_error"
    """An in-stream error type the provider uses for its own passing faults."""
    fatal_type: str = "invalid_request_error"
    """An in-stream error type that says the request itself is wrong: not worth retrying."""
    content_type: str = "text/event-stream"

    def make(self, base_url: str, api_key: str, **provider_kwargs: Any) -> LanguageModel:
        model = self.build(base_url, api_key, **provider_kwargs)
        CREATED.append(model)
        return model


# --------------------------------------------------------------------------- OpenAI chat


def _chat_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    return _sse(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def _chat_body(texts: list[str]) -> list[bytes]:
    return [_chat_chunk({"role": "assistant", "content": ""})] + [
        _chat_chunk({"content": t}) for t in texts
    ]


def chat_stream(texts: list[str]) -> list[bytes]:
    usage = _sse(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        }
    )
    return [*_chat_body(texts), _chat_chunk({}, "stop"), usage, b"data: [DONE]\n\n"]


def chat_tool_stream(call_id: str, name: str, arguments: str) -> list[bytes]:
    """One streamed tool call, its arguments in two pieces, finished with ``tool_calls``."""
    half = len(arguments) // 2
    first = {"index": 0, "id": call_id, "type": "function"}
    first["function"] = {"name": name, "arguments": arguments[:half]}  # type: ignore[assignment]
    return [
        _chat_chunk({"role": "assistant", "tool_calls": [first]}),
        _chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
        _chat_chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    ]


def chat_text_then_tool(texts: list[str], name: str, arguments: str) -> list[bytes]:
    return [*_chat_body(texts), *chat_tool_stream("call_1", name, arguments)]


def chat_whole(text: str) -> bytes:
    return _j(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        }
    ).encode()


def openai_error(message: str, status: int = 500) -> bytes:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return _j({"error": {"message": message, "type": kind, "code": None}}).encode()


def _chat_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import openai

    return openai.Provider(api_key, base_url=base_url, **kwargs).language_model("gpt-4o-mini")


OPENAI_CHAT = Family(
    tool_stream=chat_text_then_tool,
    name="openai-chat",
    build=_chat_model,
    stream=chat_stream,
    truncated=_chat_body,
    stream_error=lambda kind, message: _sse(
        {"error": {"message": message, "type": kind, "code": None}}
    ),
    http_error=openai_error,
    whole=chat_whole,
    auth_header="authorization",
)


def _azure_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import azure

    return azure.Provider(base_url=base_url, api_key=api_key, **kwargs).language_model(
        "gpt-4o-mini"
    )


AZURE_CHAT = Family(
    tool_stream=chat_text_then_tool,
    name="azure-chat",
    build=_azure_model,
    stream=chat_stream,
    truncated=_chat_body,
    stream_error=OPENAI_CHAT.stream_error,
    http_error=openai_error,
    whole=chat_whole,
    auth_header="api-key",
)


def _compat_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import openaicompat

    return openaicompat.Provider(base_url=base_url, api_key=api_key, **kwargs).language_model(
        "llama-3"
    )


OPENAI_COMPAT = Family(
    tool_stream=chat_text_then_tool,
    name="openaicompat",
    build=_compat_model,
    stream=chat_stream,
    truncated=_chat_body,
    stream_error=OPENAI_CHAT.stream_error,
    http_error=openai_error,
    whole=chat_whole,
    auth_header="authorization",
)


# --------------------------------------------------------------------------- OpenAI Responses


def _responses_body(texts: list[str]) -> list[bytes]:
    item = {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant"}
    out = [
        _sse(
            {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
            "response.created",
        ),
        _sse(
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**item, "content": []},
            },
            "response.output_item.added",
        ),
    ]
    for t in texts:
        out.append(
            _sse(
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": t,
                },
                "response.output_text.delta",
            )
        )
    done = {
        **item,
        "status": "completed",
        "content": [{"type": "output_text", "text": "".join(texts), "annotations": []}],
    }
    out.append(
        _sse(
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            "response.output_item.done",
        )
    )
    return out


def responses_stream(texts: list[str]) -> list[bytes]:
    completed = {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "output": [],
            "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
        },
    }
    return [*_responses_body(texts), _sse(completed, "response.completed")]


def responses_text_then_tool(texts: list[str], name: str, arguments: str) -> list[bytes]:
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": name}
    half = len(arguments) // 2
    events: list[dict[str, Any]] = [
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**call, "arguments": ""},
        },
        *[
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": piece}
            for piece in (arguments[:half], arguments[half:])
        ],
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {**call, "arguments": arguments, "status": "completed"},
        },
        {
            "type": "response.completed",
            "response": {
                "id": "resp_1",
                "status": "completed",
                "output": [],
                "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
            },
        },
    ]
    return [*_responses_body(texts), *[_sse(e, e["type"]) for e in events]]


def responses_whole(text: str) -> bytes:
    return _j(
        {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": "gpt-4o-mini",
            "output": [
                {
                    "id": "msg_1",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
        }
    ).encode()


def _responses_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import openai

    provider = openai.Provider(api_key, base_url=base_url, use_responses_api=True, **kwargs)
    return provider.language_model("gpt-4o-mini")


OPENAI_RESPONSES = Family(
    tool_stream=responses_text_then_tool,
    name="openai-responses",
    build=_responses_model,
    stream=responses_stream,
    truncated=_responses_body,
    stream_error=lambda kind, message: _sse(
        {"type": "error", "code": kind, "message": message, "param": None}, "error"
    ),
    http_error=openai_error,
    whole=responses_whole,
    auth_header="authorization",
)


# --------------------------------------------------------------------------- Anthropic


def _anthropic_events(texts: list[str]) -> list[dict[str, Any]]:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4",
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    }
    events: list[dict[str, Any]] = [
        start,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}
        for t in texts
    ]
    events.append({"type": "content_block_stop", "index": 0})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 5},
        }
    )
    return events


def _anthropic_tool_events(texts: list[str], name: str, arguments: str) -> list[dict[str, Any]]:
    events = _anthropic_events(texts)[:-1]
    block = {"type": "tool_use", "id": "toolu_1", "name": name, "input": {}}
    half = len(arguments) // 2
    events += [
        {"type": "content_block_start", "index": 1, "content_block": block},
        *[
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in (arguments[:half], arguments[half:])
        ],
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]
    return events


def anthropic_text_then_tool(texts: list[str], name: str, arguments: str) -> list[bytes]:
    return [_sse(e, e["type"]) for e in _anthropic_tool_events(texts, name, arguments)]


def anthropic_stream(texts: list[str]) -> list[bytes]:
    events = [*_anthropic_events(texts), {"type": "message_stop"}]
    return [_sse(e, e["type"]) for e in events]


def anthropic_truncated(texts: list[str]) -> list[bytes]:
    return [_sse(e, e["type"]) for e in _anthropic_events(texts)]


def anthropic_error(message: str, status: int = 500) -> bytes:
    kind = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    return _j({"type": "error", "error": {"type": kind, "message": message}}).encode()


def anthropic_whole(text: str) -> bytes:
    return _j(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 3, "output_tokens": 5},
        }
    ).encode()


def _anthropic_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import anthropic

    return anthropic.Provider(api_key, base_url=base_url, **kwargs).language_model(
        "claude-sonnet-4"
    )


ANTHROPIC = Family(
    tool_stream=anthropic_text_then_tool,
    name="anthropic",
    build=_anthropic_model,
    stream=anthropic_stream,
    truncated=anthropic_truncated,
    stream_error=lambda kind, message: _sse(
        {"type": "error", "error": {"type": kind, "message": message}}, "error"
    ),
    http_error=anthropic_error,
    whole=anthropic_whole,
    auth_header="x-api-key",
    transient_type="overloaded_error",
)


# --------------------------------------------------------------------------- Bedrock


def _frame(event: dict[str, Any]) -> bytes:
    payload = _j({"bytes": base64.b64encode(_j(event).encode()).decode()}).encode()
    return encode_message(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def bedrock_stream(texts: list[str]) -> list[bytes]:
    return [_frame(e) for e in [*_anthropic_events(texts), {"type": "message_stop"}]]


def bedrock_truncated(texts: list[str]) -> list[bytes]:
    return [_frame(e) for e in _anthropic_events(texts)]


def bedrock_text_then_tool(texts: list[str], name: str, arguments: str) -> list[bytes]:
    return [_frame(e) for e in _anthropic_tool_events(texts, name, arguments)]


def bedrock_exception(kind: str, message: str) -> bytes:
    return encode_message(
        {
            ":exception-type": kind,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        _j({"message": message}).encode(),
    )


def _bedrock_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import bedrock

    return bedrock.Provider(api_key, base_url=base_url, **kwargs).language_model(
        "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    )


BEDROCK = Family(
    tool_stream=bedrock_text_then_tool,
    name="bedrock",
    build=_bedrock_model,
    stream=bedrock_stream,
    truncated=bedrock_truncated,
    stream_error=bedrock_exception,
    http_error=lambda message, status: _j({"message": message}).encode(),
    whole=anthropic_whole,
    auth_header="authorization",
    transient_type="throttlingException",
    fatal_type="validationException",
    content_type="application/vnd.amazon.eventstream",
)


# --------------------------------------------------------------------------- Gemini


def _gemini_chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "index": 0,
    }
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}


def gemini_truncated(texts: list[str]) -> list[bytes]:
    return [_sse(_gemini_chunk(t)) for t in texts]


def gemini_stream(texts: list[str]) -> list[bytes]:
    last = _gemini_chunk("", "STOP")
    last["usageMetadata"] = {"promptTokenCount": 3, "candidatesTokenCount": 5, "totalTokenCount": 8}
    return [*gemini_truncated(texts), _sse(last)]


def gemini_text_then_tool(texts: list[str], name: str, arguments: str) -> list[bytes]:
    call = {"functionCall": {"name": name, "args": json.loads(arguments)}}
    last: dict[str, Any] = {
        "candidates": [
            {"content": {"parts": [call], "role": "model"}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 5, "totalTokenCount": 8},
    }
    return [*gemini_truncated(texts), _sse(last)]


def gemini_error(message: str, status: int = 500) -> bytes:
    """Google repeats the HTTP status as ``code`` and names it in gRPC style."""
    name = {v: k for k, v in _GRPC_CODES.items()}.get(status, "UNKNOWN")
    return _j({"error": {"code": status, "message": message, "status": name}}).encode()


def gemini_whole(text: str) -> bytes:
    body = _gemini_chunk(text, "STOP")
    body["usageMetadata"] = {"promptTokenCount": 3, "candidatesTokenCount": 5, "totalTokenCount": 8}
    return _j(body).encode()


_GRPC_CODES = {
    "UNAVAILABLE": 503,
    "INVALID_ARGUMENT": 400,
    "INTERNAL": 500,
    "RESOURCE_EXHAUSTED": 429,
    "UNAUTHENTICATED": 401,
    "NOT_FOUND": 404,
    "FAILED_PRECONDITION": 422,
}


def _gemini_model(base_url: str, api_key: str, **kwargs: Any) -> LanguageModel:
    from fantasy.providers import google

    return google.Provider(api_key, base_url=base_url, **kwargs).language_model("gemini-2.5-flash")


GOOGLE = Family(
    tool_stream=gemini_text_then_tool,
    name="google",
    build=_gemini_model,
    stream=gemini_stream,
    truncated=gemini_truncated,
    stream_error=lambda kind, message: _sse(
        {"error": {"code": _GRPC_CODES.get(kind, 500), "message": message, "status": kind}}
    ),
    http_error=gemini_error,
    whole=gemini_whole,
    auth_header="x-goog-api-key",
    transient_type="UNAVAILABLE",
    fatal_type="INVALID_ARGUMENT",
)


FAMILIES = [OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC, GOOGLE, BEDROCK, AZURE_CHAT, OPENAI_COMPAT]
"""Every wire dialect (chat, responses, messages SSE, Gemini SSE, event stream) and every
auth style (bearer, x-api-key, api-key, x-goog-api-key)."""


# --------------------------------------------------------------------------- tool calls alone
# A tool call with no text before it, whole and streamed, in every dialect: what a model
# answers when it goes straight to a tool (or when an object is asked for in tool mode).
# Written from the recorded cassettes' shapes (``tool.yaml`` / ``tool_streaming.yaml``).

USAGE_CHAT = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


def chat_tool_whole(call_id: str, name: str, arguments: str) -> bytes:
    """A non-streamed Chat Completions answer that calls one tool."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return _j(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": USAGE_CHAT,
        }
    ).encode()


def chat_tool_call_stream(call_id: str, name: str, arguments: str) -> list[bytes]:
    """`chat_tool_stream` with the usage chunk a real stream ends with."""
    usage = _sse(
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": USAGE_CHAT}
    )
    return [*chat_tool_stream(call_id, name, arguments)[:-1], usage, b"data: [DONE]\n\n"]


def _responses_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "id": f"fc_{call_id}",
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": call_id,
        "name": name,
    }


def responses_tool_whole(call_id: str, name: str, arguments: str) -> bytes:
    """A non-streamed Responses API answer whose only output is one function call."""
    return _j(
        {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": "gpt-4o-mini",
            "output": [_responses_call(call_id, name, arguments)],
            "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
        }
    ).encode()


def responses_tool_call_stream(call_id: str, name: str, arguments: str) -> list[bytes]:
    """A streamed Responses API answer whose only output is one function call."""
    item = _responses_call(call_id, name, arguments)
    half = len(arguments) // 2
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "arguments": "", "status": "in_progress"},
        },
        *[
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item["id"],
                "output_index": 0,
                "delta": piece,
            }
            for piece in (arguments[:half], arguments[half:])
        ],
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {
            "type": "response.completed",
            "response": {
                "id": "resp_1",
                "status": "completed",
                "output": [item],
                "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
            },
        },
    ]
    return [_sse(e, e["type"]) for e in events]


def anthropic_tool_whole(call_id: str, name: str, arguments: str) -> bytes:
    """A non-streamed Messages API answer (Anthropic, Vertex, Bedrock) calling one tool."""
    return _j(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4",
            "content": [
                {"type": "tool_use", "id": call_id, "name": name, "input": json.loads(arguments)}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 5},
        }
    ).encode()


def _anthropic_tool_only_events(call_id: str, name: str, arguments: str) -> list[dict[str, Any]]:
    start = _anthropic_events([])[0]
    block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
    half = len(arguments) // 2
    return [
        start,
        {"type": "content_block_start", "index": 0, "content_block": block},
        *[
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in (arguments[:half], arguments[half:])
        ],
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ]


def anthropic_tool_call_stream(call_id: str, name: str, arguments: str) -> list[bytes]:
    """A streamed Messages API answer whose only block is one tool call."""
    return [_sse(e, e["type"]) for e in _anthropic_tool_only_events(call_id, name, arguments)]


def bedrock_tool_call_stream(call_id: str, name: str, arguments: str) -> list[bytes]:
    """`anthropic_tool_call_stream` in Bedrock's event-stream frames."""
    return [_frame(e) for e in _anthropic_tool_only_events(call_id, name, arguments)]


def gemini_tool_whole(name: str, arguments: str) -> bytes:
    """A non-streamed generateContent answer that calls one function."""
    call = {"functionCall": {"name": name, "args": json.loads(arguments)}}
    return _j(
        {
            "candidates": [
                {"content": {"parts": [call], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": 3,
                "candidatesTokenCount": 5,
                "totalTokenCount": 8,
            },
            "modelVersion": "gemini-2.5-flash",
        }
    ).encode()
