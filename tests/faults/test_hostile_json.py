"""Answers that are not what JSON or Unicode should be, and text that is not valid
Unicode on its way out. Each is a real exchange with the loopback fault server, for
every family it concerns, whole and streamed, through both faces.

What a caller relies on:

* tool-call arguments nested too deep are an invalid tool call: the model gets an error
  result saying so and the run goes on, as for any other malformed arguments;
* an answer or a stream event nested too deep is an `InvalidResponseError` naming
  where, and an error body that deep keeps its status: never a ``RecursionError``;
* structured output nested too deep is a `NoObjectGeneratedError` saying why;
* text read is valid Unicode: bytes that are not UTF-8 and lone surrogates from a
  provider read as U+FFFD, the same whether the answer is streamed or not;
* text sent is valid UTF-8: lone surrogates go as U+FFFD, never a ``UnicodeEncodeError``;
* a field of the wrong type is an `InvalidResponseError` naming its JSON path.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

import fantasy
from fantasy.http.eventstream import EventStreamDecoder, encode_message
from fantasy.types import StreamPartType, ToolResultOutputError
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import MODES, closing_after, generate, run_agent, stream_parts
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import (
    ANTHROPIC,
    AZURE_CHAT,
    BEDROCK,
    FAMILIES,
    GOOGLE,
    OPENAI_CHAT,
    OPENAI_COMPAT,
    OPENAI_RESPONSES,
    Family,
    anthropic_tool_call_stream,
    anthropic_tool_whole,
    bedrock_tool_call_stream,
    chat_tool_call_stream,
    chat_tool_whole,
    gemini_text_then_tool,
    gemini_tool_whole,
    responses_tool_call_stream,
    responses_tool_whole,
)

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])

DEPTH = 1000
"""As deep as the issue reproduced; deeper than Python's recursion limit lets json.loads go."""
DEEP = "[" * DEPTH + "]" * DEPTH
TOO_DEEP = "nested more than 200 levels deep"
MARK = "MARK"
"""Placed in an answer's text where the test then puts what it is about."""


def _in_answer(chunks: list[bytes], old: bytes, new: bytes, family: Family) -> list[bytes]:
    """The answer with the JSON text ``old`` made ``new`` wherever it is (the Responses API
    repeats the text in its closing events); inside the base64 of Bedrock's frames too."""
    out, hits = [], 0
    for chunk in chunks:
        if family is BEDROCK:
            (message,) = EventStreamDecoder().feed(chunk)
            inner = base64.b64decode(json.loads(message.payload)["bytes"])
            if old in inner:
                hits += 1
                wrapped = {"bytes": base64.b64encode(inner.replace(old, new)).decode()}
                headers = {k: v for k, v in message.headers.items() if isinstance(v, str)}
                chunk = encode_message(headers, json.dumps(wrapped).encode())
        elif old in chunk:
            hits += 1
            chunk = chunk.replace(old, new)
        out.append(chunk)
    assert hits, f"{old!r} is in no event"
    return out


def _stream(family: Family, chunks: list[bytes]) -> Stream:
    return Stream(chunks, content_type=family.content_type)


# --------------------------------------------------------------------------- deep tool arguments

CallAnswer = Callable[[str], bytes | list[bytes]]
STRING_ARGUMENTS: list[tuple[Family, bool, CallAnswer]] = [
    *[
        (f, False, lambda a: chat_tool_whole("call_1", "weather", a))
        for f in (OPENAI_CHAT, AZURE_CHAT, OPENAI_COMPAT)
    ],
    *[
        (f, True, lambda a: chat_tool_call_stream("call_1", "weather", a))
        for f in (OPENAI_CHAT, AZURE_CHAT, OPENAI_COMPAT)
    ],
    (OPENAI_RESPONSES, False, lambda a: responses_tool_whole("call_1", "weather", a)),
    (OPENAI_RESPONSES, True, lambda a: responses_tool_call_stream("call_1", "weather", a)),
    (ANTHROPIC, True, lambda a: anthropic_tool_call_stream("toolu_1", "weather", a)),
    (BEDROCK, True, lambda a: bedrock_tool_call_stream("toolu_1", "weather", a)),
]
"""Every dialect whose tool arguments arrive as a JSON string (the ones in an object, as in
Anthropic's and Gemini's whole answers, are the answer's own nesting: see below)."""


@pytest.mark.parametrize(
    ("family", "streaming", "tool_call"),
    STRING_ARGUMENTS,
    ids=[f"{f.name}-{'stream' if s else 'generate'}" for f, s, _ in STRING_ARGUMENTS],
)
@MODE
def test_tool_arguments_nested_too_deep_are_an_invalid_call_the_model_hears_about(
    family: Family, streaming: bool, tool_call: CallAnswer, mode: str, server: FaultServer
) -> None:
    answer = tool_call('{"city":' + DEEP + "}")
    done = _stream(family, family.stream(["All done."])) if streaming else None
    if isinstance(answer, list):
        server.script(_stream(family, answer), done or Reply(body=family.whole("All done.")))
    else:
        server.script(Reply(body=answer), done or Reply(body=family.whole("All done.")))
    ran: list[Any] = []

    @fantasy.tool
    def weather(city: Any) -> str:
        ran.append(city)
        return "sunny"

    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), tools=[weather], max_retries=0)
    result = run_agent(agent, mode, streaming)

    assert result.text == "All done.", "the run went on after the invalid call"
    assert ran == [], "the tool never runs with arguments that were refused"
    (tool_result,) = result.steps[0].content.tool_results
    assert isinstance(tool_result.result, ToolResultOutputError)
    assert TOO_DEEP in tool_result.result.error
    assert "city[0][0]" in tool_result.result.error, "the error says where"
    assert TOO_DEEP.encode() in server.requests[1].body, "the model is told why"


INLINE_ARGUMENTS: list[tuple[Family, bool, bytes | list[bytes], str]] = [
    (
        ANTHROPIC,
        False,
        anthropic_tool_whole("toolu_1", "weather", '{"city":1}'),
        "content[0].input.city",
    ),
    (
        BEDROCK,
        False,
        anthropic_tool_whole("toolu_1", "weather", '{"city":1}'),
        "content[0].input.city",
    ),
    (GOOGLE, False, gemini_tool_whole("weather", '{"city":1}'), "functionCall.args.city"),
    (GOOGLE, True, gemini_text_then_tool([], "weather", '{"city":1}'), "functionCall.args.city"),
]


@pytest.mark.parametrize(
    ("family", "streaming", "answer", "where"),
    INLINE_ARGUMENTS,
    ids=[f"{f.name}-{'stream' if s else 'generate'}" for f, s, _, _ in INLINE_ARGUMENTS],
)
@MODE
def test_tool_arguments_nested_too_deep_inside_the_answer_are_an_invalid_response(
    family: Family,
    streaming: bool,
    answer: bytes | list[bytes],
    where: str,
    mode: str,
    server: FaultServer,
) -> None:
    deep = b'"city":' + DEEP.encode()
    if isinstance(answer, list):
        server.script(_stream(family, _in_answer(answer, b'"city":1', deep, family)))
    else:
        server.script(Reply(body=answer.replace(b'"city":1', deep)))
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), max_retries=3)

    with pytest.raises(fantasy.InvalidResponseError) as info:
        run_agent(agent, mode, streaming)

    assert TOO_DEEP in info.value.message
    assert where in info.value.message
    assert not info.value.retryable
    assert len(server.requests) == 1, "an answer that deep is not asked for again"


# --------------------------------------------------------------------------- deep answers


@FAMILY
@MODE
def test_a_whole_answer_nested_too_deep_is_an_invalid_response(
    family: Family, mode: str, server: FaultServer
) -> None:
    body = family.whole(MARK).replace(f'"{MARK}"'.encode(), f'"Hi","extra":{DEEP}'.encode())
    server.script(Reply(body=body))

    with pytest.raises(fantasy.InvalidResponseError) as info:
        generate(family.make(server.url, FAKE_KEY), mode)

    assert TOO_DEEP in info.value.message
    assert "extra[0][0]" in info.value.message
    assert not info.value.retryable


@FAMILY
@MODE
def test_a_stream_event_nested_too_deep_is_an_invalid_response(
    family: Family, mode: str, server: FaultServer
) -> None:
    chunks = family.stream(["Hi", MARK, "!"])
    new = f'"there","extra":{DEEP}'.encode()
    server.script(_stream(family, _in_answer(chunks, f'"{MARK}"'.encode(), new, family)))

    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)

    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "Hi"
    error = parts[-1].error
    assert isinstance(error, fantasy.InvalidResponseError), repr(error)
    assert TOO_DEEP in error.message
    assert "extra[0][0]" in error.message


@FAMILY
@MODE
@STREAMING
def test_an_error_body_nested_too_deep_keeps_its_status(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    body = family.http_error("boom", 500).replace(b'"boom"', f'"boom","extra":{DEEP}'.encode())
    server.script(Reply(500, body))
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), max_retries=0)

    with pytest.raises(fantasy.ProviderUnavailableError) as info:
        run_agent(agent, mode, streaming)

    assert info.value.status_code == 500
    assert info.value.retryable


# --------------------------------------------------------------------------- structured output


class Answer(BaseModel):
    a: list[Any]


SCHEMA = {"type": "object", "properties": {"a": {"type": "array"}}, "required": ["a"]}
DEEP_OBJECT = '{"a":' + DEEP + "}"


def _object_answer(family: Family, streaming: bool) -> Reply | Stream:
    half = len(DEEP_OBJECT) // 2
    if family is GOOGLE:  # native JSON mode: the object is the answer's text
        if streaming:
            return _stream(family, family.stream([DEEP_OBJECT[:half], DEEP_OBJECT[half:]]))
        return Reply(body=family.whole(DEEP_OBJECT))
    # Anthropic's tool mode, streamed: the object is the tool call's input string
    return _stream(family, anthropic_tool_call_stream("toolu_1", "generate_object", DEEP_OBJECT))


@pytest.mark.parametrize(
    ("family", "streaming"),
    [(GOOGLE, False), (GOOGLE, True), (ANTHROPIC, True)],
    ids=["google-generate", "google-stream", "anthropic-stream"],
)
@pytest.mark.parametrize("kind", [Answer, SCHEMA], ids=["typed", "schema"])
@MODE
def test_structured_output_nested_too_deep_is_no_object(
    family: Family, streaming: bool, kind: Any, mode: str, server: FaultServer
) -> None:
    server.script(_object_answer(family, streaming))
    model = family.make(server.url, FAKE_KEY)

    def sync() -> Any:
        if streaming:
            return fantasy.stream_object(model, "Nest", kind).object()
        return fantasy.generate_object(model, "Nest", kind).object

    async def run() -> Any:
        if streaming:
            return await fantasy.astream_object(model, "Nest", kind).object()
        return (await fantasy.agenerate_object(model, "Nest", kind)).object

    with pytest.raises(fantasy.NoObjectGeneratedError) as info:
        sync() if mode == "sync" else asyncio.run(closing_after(model, run()))

    assert TOO_DEEP in str(info.value)
    assert "a[0][0]" in str(info.value)


# --------------------------------------------------------------------------- wrong types


WRONG_TYPED_TEXT = {
    "openai-chat": ("choices[0].message.content", "choices[0].delta.content"),
    "azure-chat": ("choices[0].message.content", "choices[0].delta.content"),
    "openaicompat": ("choices[0].message.content", "choices[0].delta.content"),
    "openai-responses": ("output[0].content[0].text", ".delta"),
    "anthropic": ("content[0].text", "delta.text"),
    "bedrock": ("content[0].text", "delta.text"),
    "google": ("candidates[0].content.parts[0].text", "candidates[0].content.parts[0].text"),
}


@FAMILY
@MODE
@STREAMING
def test_a_text_field_of_the_wrong_type_is_an_invalid_response_naming_it(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    """``"content": 42`` (OpenAI chat), ``"text": 42`` (Anthropic, Gemini), ...: never an
    AttributeError, never a silent ``""``."""
    if streaming:
        chunks = _in_answer(family.stream(["Hi", MARK]), f'"{MARK}"'.encode(), b"42", family)
        server.script(_stream(family, chunks))
    else:
        server.script(Reply(body=family.whole(MARK).replace(f'"{MARK}"'.encode(), b"42")))
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), max_retries=0)

    with pytest.raises(fantasy.InvalidResponseError) as info:
        run_agent(agent, mode, streaming)

    where = WRONG_TYPED_TEXT[family.name][streaming]
    assert f"{where}: expected a string, got number 42" in info.value.message


# --------------------------------------------------------------------------- Unicode


def _text_of(family: Family, mode: str, streaming: bool, server: FaultServer) -> str:
    model = family.make(server.url, FAKE_KEY)
    if not streaming:
        return generate(model, mode).text
    parts = stream_parts(model, mode)
    assert parts[-1].type is StreamPartType.FINISH, parts[-1]
    return "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)


@FAMILY
@MODE
@STREAMING
@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (b"caf\xe9 au lait", "caf\ufffd au lait"),  # Latin-1, not UTF-8
        (b"a \xf0\x9f\x98 b", "a \ufffd b"),  # an emoji cut short
        (b"a \\ud83d b", "a \ufffd b"),  # a JSON escape of half an emoji
        (b"x \\ude00\\ud83d y", "x \ufffd\ufffd y"),  # both halves, in the wrong order
    ],
    ids=["latin1", "cut-emoji", "lone-high-escape", "swapped-escapes"],
)
def test_text_that_is_not_valid_unicode_reads_as_replacement_characters(
    family: Family, mode: str, streaming: bool, sent: bytes, read: str, server: FaultServer
) -> None:
    """One policy on both paths: one bad byte never loses a long answer."""
    if streaming:
        chunks = family.stream(["Start: ", MARK, " end."])
        server.script(_stream(family, _in_answer(chunks, MARK.encode(), sent, family)))
    else:
        server.script(Reply(body=family.whole(f"Start: {MARK} end.").replace(MARK.encode(), sent)))

    assert _text_of(family, mode, streaming, server) == f"Start: {read} end."


@FAMILY
@MODE
@STREAMING
def test_user_text_with_a_lone_surrogate_is_sent_with_a_replacement_character(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    server.script(
        _stream(family, family.stream(["Hi"])) if streaming else Reply(body=family.whole("Hi"))
    )
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), max_retries=0)

    # Half an emoji, as a file read with errors="surrogatepass" or a JS string can give.
    prompt = "smile \ud83d please"
    if mode == "sync":
        result = agent.stream(prompt).result if streaming else agent.generate(prompt)
    else:

        async def go() -> fantasy.AgentResult:
            if streaming:
                return await agent.astream(prompt).collect()
            return await agent.agenerate(prompt)

        result = asyncio.run(closing_after(agent.model, go()))

    assert result.text == "Hi"
    sent = server.requests[0].body
    assert "smile \ufffd please".encode() in sent
    json.loads(sent)  # valid UTF-8 JSON


@MODE
@STREAMING
@pytest.mark.parametrize(
    "returned", ["sunny \udc80", {"sky": "sunny \udc80"}], ids=["text", "json"]
)
def test_a_tool_result_with_a_lone_surrogate_is_sent_with_a_replacement_character(
    mode: str, streaming: bool, returned: Any, server: FaultServer
) -> None:
    family = OPENAI_CHAT
    call = chat_tool_call_stream("call_1", "weather", '{"city":"Lisbon"}')
    done = family.stream(["All done."])
    if streaming:
        server.script(_stream(family, call), _stream(family, done))
    else:
        whole = chat_tool_whole("call_1", "weather", '{"city":"Lisbon"}')
        server.script(Reply(body=whole), Reply(body=family.whole("All done.")))

    @fantasy.tool
    def weather(city: str) -> Any:
        return returned

    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), tools=[weather], max_retries=0)
    result = run_agent(agent, mode, streaming)

    assert result.text == "All done."
    (tool_message,) = [
        m for m in json.loads(server.requests[1].body)["messages"] if m["role"] == "tool"
    ]
    assert "sunny \ufffd" in tool_message["content"]


@MODE
def test_tool_arguments_with_a_lone_surrogate_escape_reach_the_tool(
    mode: str, server: FaultServer
) -> None:
    """pydantic's parser refuses ``"\\ud83d"``; the arguments are read as the rest of the
    answer is, with U+FFFD, and the tool runs."""
    family = OPENAI_CHAT
    server.script(
        Reply(body=chat_tool_whole("call_1", "weather", '{"city":"Lisb\\ud83don"}')),
        Reply(body=family.whole("All done.")),
    )
    seen: list[str] = []

    @fantasy.tool
    def weather(city: str) -> str:
        seen.append(city)
        return "sunny"

    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), tools=[weather], max_retries=0)
    result = run_agent(agent, mode, False)

    assert seen == ["Lisb\ufffdon"]
    assert result.text == "All done."
    assert re.search(rb'"content":\s*"sunny"', server.requests[1].body)
