"""A tiny scripted model behind every provider's real HTTP API, for running examples offline.

`StubProvider.handle` is an ``httpx.MockTransport`` handler. It recognises the request by
its URL, reads the JSON body the provider's translator built, and answers in that
provider's own wire format (the byte builders of `tests.faults.wire`), whole or streamed,
so that an agent runs end to end through the real request and response code:

======================================================  ==============================
URL                                                     dialect
======================================================  ==============================
``.../chat/completions``                                OpenAI Chat Completions (OpenAI,
                                                        Azure, OpenAI-compatible,
                                                        OpenRouter, Vercel)
``.../responses``                                       OpenAI Responses API
``.../v1/messages``, Vertex ``:rawPredict`` /           Anthropic Messages (SSE)
``:streamRawPredict``
``.../model/<id>/invoke``, ``.../invoke-with-response-  Anthropic Messages on Bedrock
stream``                                                (AWS event-stream frames)
``...:generateContent``, ``...:streamGenerateContent``  Gemini (API and Vertex)
======================================================  ==============================

A request streams when its body says ``"stream": true`` or its URL is a streaming one.
What the model answers:

1. If the request offers function tools, does not turn them off (``tool_choice`` none),
   and its last message is not a tool result: a call of the tool it forces, else of the
   first one, with arguments generated from the tool's JSON schema (`example_value`).
   After a tool result, a request that offers a tool named ``final_result`` (an agent's
   final-answer tool for its ``output_type``) gets a call of it.
2. Else, if it asks for structured output natively (``response_format``, Responses
   ``text.format``, Gemini ``responseJsonSchema`` / ``responseSchema``) or in text mode
   (fantasy's "You must respond with valid JSON that matches this schema: ..."
   instruction): that schema's example value, as JSON text.
3. Else: `TEXT`.

Every answer carries usage numbers. Any other URL gets a 404 whose JSON error names the
URL, so that an example calling something unexpected fails with a clear message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.faults import wire

TEXT = "It is 40 C and sunny in Florence."
"""The model's answer when it neither calls a tool nor writes an object."""

TEXT_MODE_MARKER = "You must respond with valid JSON that matches this schema: "
"""The start of fantasy's text-mode instruction (`fantasy.objects.text_mode_instruction`)."""

SSE = "text/event-stream"
EVENT_STREAM = "application/vnd.amazon.eventstream"
JSON = "application/json"

# --------------------------------------------------------------------------- example values

_MAX_DEPTH = 8


def example_value(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A value that satisfies ``schema`` (the common JSON-schema keywords, Gemini's
    upper-case types included): objects get all their properties, strings are
    ``"Florence"`` (or the first enum value), integers 2, numbers 2.5, booleans true,
    arrays one item, ``anyOf`` / ``oneOf`` the first branch that is not null."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return "Florence"
    if depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return example_value(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            branches = [b for b in schema[key] if _type_of(b, root) != "null"]
            return example_value((branches or schema[key])[0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(part["$ref"], root) if "$ref" in part else part
            merged.setdefault("properties", {}).update(part.get("properties", {}))
            merged["required"] = [*merged.get("required", []), *part.get("required", [])]
            merged.setdefault("type", part.get("type"))
        return example_value(merged, root, depth + 1)
    kind = _type_of(schema, root)
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        value: dict[str, Any] = {}
        for name, sub in properties.items():
            item = example_value(sub, root, depth + 1)
            if item is not None or name in required:
                value[name] = item
        return value
    if kind == "array":
        items = schema.get("items", {})
        if isinstance(items, list):  # a tuple schema
            return [example_value(i, root, depth + 1) for i in items]
        count = max(1, int(schema.get("minItems") or 0))
        item = example_value(items, root, depth + 1)
        return [] if item is None else [item] * count
    if kind == "integer":
        return int(_in_bounds(2, schema))
    if kind == "number":
        return float(_in_bounds(2.5, schema))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _example_string(schema)


def _type_of(schema: Any, root: Any) -> str:
    if not isinstance(schema, dict):
        return "string"
    if "$ref" in schema:
        return _type_of(_resolve(schema["$ref"], root), root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if kind:
        return str(kind).lower()
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _resolve(ref: str, root: Any) -> Any:
    """A local ``#/...`` reference; anything else resolves to an empty schema."""
    if not ref.startswith("#"):
        return {}
    node = root
    for piece in ref.lstrip("#").strip("/").split("/"):
        if not piece:
            continue
        piece = piece.replace("~1", "/").replace("~0", "~")
        node = node.get(piece, {}) if isinstance(node, dict) else {}
    return node


def _in_bounds(default: float, schema: dict[str, Any]) -> float:
    value = default
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, (int, float)) and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if isinstance(high, (int, float)) and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
    return value


def _example_string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2025-01-01T12:00:00Z"
    if fmt == "date":
        return "2025-01-01"
    if fmt in ("uri", "url"):
        return "https://example.com/florence"
    if fmt == "email":
        return "florence@example.com"
    text = "Florence"
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(text) < min_length:
        text = text + "." * (min_length - len(text))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int):
        text = text[:max_length]
    return text


# --------------------------------------------------------------------------- what is asked


@dataclass
class Ask:
    """What a request asks of the model, whatever its dialect."""

    tools: list[tuple[str, Any]] = field(default_factory=list)
    """Function tools offered: (name, JSON schema of the input)."""
    forced: str | None = None
    """The tool ``tool_choice`` forces, if it names one."""
    tools_off: bool = False
    """``tool_choice`` none."""
    after_tool_result: bool = False
    """The last message carries a tool result."""
    object_schema: Any = None
    """The schema of the structured output asked for natively, if any."""
    stream: bool = False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def text_mode_schema(body: Any) -> Any:
    """The schema of fantasy's text-mode instruction, wherever the request carries it."""
    for text in _strings(body):
        at = text.find(TEXT_MODE_MARKER)
        if at >= 0:
            try:
                schema, _ = json.JSONDecoder().raw_decode(text, at + len(TEXT_MODE_MARKER))
            except ValueError:
                continue
            return schema
    return None


def ask_chat(body: dict[str, Any]) -> Ask:
    tools = [
        (t["function"]["name"], t["function"].get("parameters") or {})
        for t in body.get("tools") or []
        if t.get("type") == "function" and isinstance(t.get("function"), dict)
    ]
    choice = body.get("tool_choice")
    messages = body.get("messages") or [{}]
    fmt = body.get("response_format") or {}
    return Ask(
        tools=tools,
        forced=(choice.get("function") or {}).get("name") if isinstance(choice, dict) else None,
        tools_off=choice == "none",
        after_tool_result=messages[-1].get("role") == "tool",
        object_schema=(fmt.get("json_schema") or {}).get("schema")
        if fmt.get("type") == "json_schema"
        else None,
        stream=bool(body.get("stream")),
    )


def ask_responses(body: dict[str, Any]) -> Ask:
    tools = [
        (t["name"], t.get("parameters") or {})
        for t in body.get("tools") or []
        if t.get("type") == "function"
    ]
    choice = body.get("tool_choice")
    items = body.get("input")
    last = items[-1] if isinstance(items, list) and items else {}
    fmt = (body.get("text") or {}).get("format") or {}
    return Ask(
        tools=tools,
        forced=choice.get("name") if isinstance(choice, dict) else None,
        tools_off=choice == "none",
        after_tool_result=isinstance(last, dict) and last.get("type") == "function_call_output",
        object_schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
        stream=bool(body.get("stream")),
    )


def ask_anthropic(body: dict[str, Any], stream: bool) -> Ask:
    tools = [
        (t["name"], t.get("input_schema") or {})
        for t in body.get("tools") or []
        if "input_schema" in t and t.get("type") in (None, "custom")
    ]
    choice = body.get("tool_choice") or {}
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content")
    after = isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )
    return Ask(
        tools=tools,
        forced=choice.get("name") if choice.get("type") == "tool" else None,
        tools_off=choice.get("type") == "none",
        after_tool_result=messages[-1].get("role") == "user" and after,
        stream=stream or bool(body.get("stream")),
    )


def ask_gemini(body: dict[str, Any], stream: bool) -> Ask:
    tools = [
        (d["name"], d.get("parameters") or d.get("parametersJsonSchema") or {})
        for t in body.get("tools") or []
        for d in t.get("functionDeclarations") or []
    ]
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    allowed = calling.get("allowedFunctionNames") or []
    contents = body.get("contents") or [{}]
    parts = contents[-1].get("parts") or []
    config = body.get("generationConfig") or {}
    return Ask(
        tools=tools,
        forced=allowed[0] if calling.get("mode") == "ANY" and allowed else None,
        tools_off=calling.get("mode") == "NONE",
        after_tool_result=any(isinstance(p, dict) and "functionResponse" in p for p in parts),
        object_schema=config.get("responseJsonSchema") or config.get("responseSchema"),
        stream=stream,
    )


# --------------------------------------------------------------------------- the stub


@dataclass
class Answer:
    kind: str
    """``tool``, ``json`` or ``text``."""
    text: str = ""
    tool: str = ""
    arguments: str = ""
    call_id: str = ""

    def pieces(self) -> list[str]:
        """The text as a few deltas, as a model streams it."""
        if self.kind == "text":
            return [w + " " for w in self.text.split(" ")[:-1]] + [self.text.split(" ")[-1]]
        step = max(1, len(self.text) // 3)
        return [self.text[i : i + step] for i in range(0, len(self.text), step)]


@dataclass
class Exchange:
    """One request the stub answered."""

    method: str
    url: str
    body: Any
    status: int
    answer: Answer | None


class StubProvider:
    """Answers every provider's HTTP API like a tiny scripted model (see the module doc)."""

    def __init__(self, text: str = TEXT) -> None:
        self.text = text
        self.exchanges: list[Exchange] = []
        self._calls = 0

    def transport(self) -> httpx.MockTransport:
        """An httpx transport (sync and async) that sends every request here."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        # The raw path: an escaped "/" in a model id (a Bedrock ARN) stays escaped.
        path = request.url.raw_path.decode("ascii", "replace").split("?")[0]
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = None
        route = _ROUTES.get(_route(path)) if request.method == "POST" else None
        if route is None or not isinstance(body, dict):
            problem = (
                f"stub provider: no route for {request.method} {url}"
                if route is None
                else f"stub provider: the body sent to {url} is not a JSON object"
            )
            self.exchanges.append(Exchange(request.method, url, body, 404, None))
            return _error(404 if route is None else 400, problem)
        ask = route.ask(body, path)
        if ask.object_schema is None:
            ask.object_schema = text_mode_schema(body)
        answer = self.decide(ask)
        self.exchanges.append(Exchange(request.method, url, body, 200, answer))
        if ask.stream:
            content, kind = b"".join(route.stream(answer)), route.stream_type
        else:
            content, kind = route.whole(answer), JSON
        if request.url.host == "openrouter.ai":
            content = _with_openrouter_cost(content)
        return httpx.Response(200, headers={"content-type": kind}, content=content)

    def decide(self, ask: Ask) -> Answer:
        by_name = dict(ask.tools)
        final = ask.after_tool_result and "final_result" in by_name and not ask.tools_off
        if final or (ask.tools and not ask.tools_off and not ask.after_tool_result):
            name = ask.forced if ask.forced in by_name else ask.tools[0][0]
            if final:
                name = "final_result"
            self._calls += 1
            arguments = json.dumps(example_value(by_name[name]), separators=(",", ":"))
            return Answer("tool", tool=name, arguments=arguments, call_id=f"call_{self._calls}")
        schema = ask.object_schema
        if schema is not None:
            return Answer("json", text=json.dumps(example_value(schema)))
        return Answer("text", text=self.text)

    @property
    def urls(self) -> list[str]:
        return [e.url for e in self.exchanges]


def _error(status: int, message: str) -> httpx.Response:
    """An error body every provider's error reader finds its message in."""
    error = {
        "type": "error",
        "message": message,
        "error": {"type": "not_found_error", "message": message, "code": status},
    }
    return httpx.Response(status, headers={"content-type": JSON}, content=json.dumps(error))


def _with_openrouter_cost(content: bytes) -> bytes:
    """OpenRouter's usage accounting: a cost and the upstream provider, whole or streamed."""

    def add(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("usage"), dict):
            body["usage"]["cost"] = 0.00012
            body["provider"] = "Anthropic"
        return body

    if not content.startswith(b"data: "):
        return json.dumps(add(json.loads(content))).encode()
    events = []
    for event in content.split(b"\n\n"):
        if event.startswith(b"data: {"):
            event = b"data: " + json.dumps(add(json.loads(event[6:]))).encode()
        events.append(event)
    return b"\n\n".join(events)


# --------------------------------------------------------------------------- dialects


@dataclass(frozen=True)
class _Route:
    ask: Any
    whole: Any
    stream: Any
    stream_type: str = SSE


def _chat_whole(a: Answer) -> bytes:
    if a.kind == "tool":
        return wire.chat_tool_whole(a.call_id, a.tool, a.arguments)
    return wire.chat_whole(a.text)


def _chat_stream(a: Answer) -> list[bytes]:
    if a.kind == "tool":
        return wire.chat_tool_call_stream(a.call_id, a.tool, a.arguments)
    return wire.chat_stream(a.pieces())


def _responses_whole(a: Answer) -> bytes:
    if a.kind == "tool":
        return wire.responses_tool_whole(a.call_id, a.tool, a.arguments)
    return wire.responses_whole(a.text)


def _responses_stream(a: Answer) -> list[bytes]:
    if a.kind == "tool":
        return wire.responses_tool_call_stream(a.call_id, a.tool, a.arguments)
    return wire.responses_stream(a.pieces())


def _anthropic_whole(a: Answer) -> bytes:
    if a.kind == "tool":
        return wire.anthropic_tool_whole(a.call_id, a.tool, a.arguments)
    return wire.anthropic_whole(a.text)


def _anthropic_stream(a: Answer) -> list[bytes]:
    if a.kind == "tool":
        return wire.anthropic_tool_call_stream(a.call_id, a.tool, a.arguments)
    return wire.anthropic_stream(a.pieces())


def _bedrock_stream(a: Answer) -> list[bytes]:
    if a.kind == "tool":
        return wire.bedrock_tool_call_stream(a.call_id, a.tool, a.arguments)
    return wire.bedrock_stream(a.pieces())


def _gemini_whole(a: Answer) -> bytes:
    if a.kind == "tool":
        return wire.gemini_tool_whole(a.tool, a.arguments)
    return wire.gemini_whole(a.text)


def _gemini_stream(a: Answer) -> list[bytes]:
    if a.kind == "tool":
        return wire.gemini_text_then_tool([], a.tool, a.arguments)
    return wire.gemini_stream(a.pieces())


_ROUTES: dict[str, _Route] = {
    "chat": _Route(lambda b, p: ask_chat(b), _chat_whole, _chat_stream),
    "responses": _Route(lambda b, p: ask_responses(b), _responses_whole, _responses_stream),
    "anthropic": _Route(
        lambda b, p: ask_anthropic(b, p.endswith(":streamRawPredict")),
        _anthropic_whole,
        _anthropic_stream,
    ),
    "bedrock": _Route(
        lambda b, p: ask_anthropic(b, p.endswith("/invoke-with-response-stream")),
        _anthropic_whole,
        _bedrock_stream,
        EVENT_STREAM,
    ),
    "gemini": _Route(
        lambda b, p: ask_gemini(b, p.endswith(":streamGenerateContent")),
        _gemini_whole,
        _gemini_stream,
    ),
}

_BEDROCK = re.compile(r"/model/[^/]+/(invoke|invoke-with-response-stream)$")


def _route(path: str) -> str:
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/v1/messages") or path.endswith((":rawPredict", ":streamRawPredict")):
        return "anthropic"
    if _BEDROCK.search(path):
        return "bedrock"
    if path.endswith((":generateContent", ":streamGenerateContent")):
        return "gemini"
    return ""
