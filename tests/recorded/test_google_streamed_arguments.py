"""Gemini's streamed function-call arguments (``partialArgs``), as Vertex AI records them.

Shape from the AI SDK's recordings of Gemini 3 on Vertex AI with
``streamFunctionCallArguments`` (vercel/ai, packages/google/src/__fixtures__/
google-stream-tool-call-arguments.chunks.txt, ...-nested.1.chunks.txt,
...-array-arguments-missing-terminal-function-call.chunks.txt,
google-stream-no-args-tool-call.chunks.txt): a part names the call with
``willContinue``, the next parts each carry one ``partialArgs`` value at a JSON
path (a string in pieces, its last piece empty), and an empty ``functionCall`` (or
the last part without ``willContinue``) ends it. Before, each of those parts became
a call of its own, with no name and ``{}`` for arguments.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fantasy import Agent, tool
from fantasy.errors import InvalidResponseError
from fantasy.types import FinishReason
from tests.faults.server import FaultServer, Stream
from tests.recorded.replay import SIZES, cuts, model, sse, streamed

SIGNATURE = "CiMBjz1rX25KieIB4d4AwFn8"


def chunk(*parts: dict[str, Any], finish: str = "", usage: bool = False) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    out: dict[str, Any] = {
        "candidates": [candidate],
        "usageMetadata": {"trafficType": "ON_DEMAND"},
        "modelVersion": "gemini-3.1-pro-preview",
        "responseId": "dqHOab6xGLzWodAPkPuViA4",
    }
    if usage:
        out["usageMetadata"] = {
            "promptTokenCount": 26,
            "candidatesTokenCount": 23,
            "totalTokenCount": 181,
            "thoughtsTokenCount": 132,
            "trafficType": "ON_DEMAND",
        }
    return out


def call(**fields: Any) -> dict[str, Any]:
    return {"functionCall": fields}


def arg(path: str, more: bool = True, **value: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"jsonPath": path, **value}
    if more:
        item["willContinue"] = True
    return call(partialArgs=[item], willContinue=True)


def two_weather_calls() -> bytes:
    return sse(
        chunk({**call(name="getWeather", willContinue=True), "thoughtSignature": SIGNATURE}),
        chunk(arg("$.location", stringValue="Bos")),
        chunk(arg("$.location", stringValue="ton")),
        chunk(arg("$.location", more=False, stringValue="")),
        chunk(call()),
        chunk(call(name="getWeather", willContinue=True)),
        chunk(arg("$.location", stringValue="San Francisco")),
        chunk(arg("$.location", more=False, stringValue="")),
        chunk(call(), finish="STOP", usage=True),
    )


@pytest.mark.parametrize("size", SIZES)
def test_each_call_comes_once_with_its_arguments(server: FaultServer, size: int) -> None:
    seen = streamed("google", server, two_weather_calls(), size)
    assert seen.errors == []
    assert seen.calls == [
        ("getWeather", {"location": "Boston"}),
        ("getWeather", {"location": "San Francisco"}),
    ]
    assert seen.finish is FinishReason.TOOL_CALLS
    assert seen.usage is not None and seen.usage.input_tokens == 26


def test_the_async_face_reads_them_too(server: FaultServer) -> None:
    seen = streamed("google", server, two_weather_calls(), 61, sync=False)
    assert seen.calls == [
        ("getWeather", {"location": "Boston"}),
        ("getWeather", {"location": "San Francisco"}),
    ]


def test_nested_paths_arrays_numbers_and_a_missing_end(server: FaultServer) -> None:
    """Objects in arrays, a number, a boolean and a null, and a last part without
    ``willContinue`` and no empty ``functionCall`` after it (then an empty text part)."""
    body = sse(
        chunk(call(name="writeItems", willContinue=True)),
        chunk(arg("$.operations[0].action", stringValue="add")),
        chunk(arg("$.operations[0].action", more=False, stringValue="")),
        chunk(arg("$.operations[0].price", more=False, numberValue=0.5)),
        chunk(call(willContinue=True)),
        chunk(arg("$.operations[1].action", stringValue="add")),
        chunk(arg("$.operations[1].action", more=False, stringValue="")),
        chunk(arg("$.operations[1]['in stock']", more=False, boolValue=True)),
        chunk(arg("$.note", more=False, nullValue=None)),
        chunk(call(partialArgs=[{"jsonPath": "$.operations[1].price", "numberValue": 0.3}])),
        chunk({"text": ""}, finish="STOP", usage=True),
    )
    seen = streamed("google", server, body, 61)
    assert seen.errors == []
    assert seen.calls == [
        (
            "writeItems",
            {
                "operations": [
                    {"action": "add", "price": 0.5},
                    {"action": "add", "in stock": True, "price": 0.3},
                ],
                "note": None,
            },
        )
    ]
    assert seen.finish is FinishReason.TOOL_CALLS


def test_whole_calls_and_streamed_ones_mixed(server: FaultServer) -> None:
    """A call without arguments comes whole; the streamed ones around it keep theirs."""
    body = sse(
        chunk({"text": "**Reading the screens**", "thought": True}),
        chunk(call(name="read_theme")),
        chunk(call(name="read_screen", willContinue=True)),
        chunk(arg("$.id", stringValue="A")),
        chunk(arg("$.id", more=False, stringValue="")),
        chunk(call()),
        chunk(call(name="read_screen", willContinue=True)),
        chunk(arg("$.id", stringValue="B")),
        chunk(arg("$.id", more=False, stringValue="")),
        chunk(call()),
        chunk({"text": ""}, finish="STOP", usage=True),
    )
    seen = streamed("google", server, body, 7)
    assert seen.reasoning == "**Reading the screens**"
    assert seen.calls == [
        ("read_theme", {}),
        ("read_screen", {"id": "A"}),
        ("read_screen", {"id": "B"}),
    ]


def test_a_first_part_with_some_arguments_keeps_them(server: FaultServer) -> None:
    """``args`` on the naming part (an empty object, or values known at once) and
    pieces after it make one call."""
    body = sse(
        chunk(call(name="getWeather", args={"unit": "celsius"}, willContinue=True)),
        chunk(arg("$.location", stringValue="Oslo")),
        chunk(arg("$.location", more=False, stringValue="")),
        chunk(call()),
        chunk(call(name="getWeather", args={}, willContinue=True)),
        chunk(arg("$.location", more=False, stringValue="Bergen")),
        chunk(call(), finish="STOP", usage=True),
    )
    seen = streamed("google", server, body, 61)
    assert seen.calls == [
        ("getWeather", {"location": "Oslo", "unit": "celsius"}),
        ("getWeather", {"location": "Bergen"}),
    ]


def test_a_stream_that_ends_inside_a_call_still_gives_it(server: FaultServer) -> None:
    body = sse(
        chunk(call(name="getWeather", willContinue=True)),
        chunk(arg("$.location", stringValue="Rome")),
        chunk(arg("$.location", more=False, stringValue=""), finish="STOP", usage=True),
    )
    seen = streamed("google", server, body, 61)
    assert seen.calls == [("getWeather", {"location": "Rome"})]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("location", {"stringValue": "x"}),
        ("$.items[5]", {"stringValue": "x"}),
        ("$.location", {}),
        ("$.location", {"numberValue": "12"}),
    ],
    ids=["not-a-path", "index-past-the-end", "no-value", "number-as-text"],
)
def test_a_bad_partial_argument_is_an_invalid_response(
    server: FaultServer, path: str, value: dict[str, Any]
) -> None:
    body = sse(
        chunk(call(name="getWeather", willContinue=True)),
        chunk(call(partialArgs=[{"jsonPath": path, **value}], willContinue=True)),
        chunk(call(), finish="STOP", usage=True),
    )
    seen = streamed("google", server, body, 61)
    assert seen.calls == []
    assert len(seen.errors) == 1
    assert isinstance(seen.errors[0], InvalidResponseError)
    assert "partialArgs[0]" in str(seen.errors[0])


def test_the_agent_runs_the_call_and_sends_it_back_signed(server: FaultServer) -> None:
    """What a user sees: the tool runs once per call with the streamed arguments, and
    the next request carries both calls with their arguments and the signature."""
    ran: list[str] = []

    @tool
    def getWeather(location: str) -> str:
        """The weather in a city."""
        ran.append(location)
        return f"sunny in {location}"

    answer = sse(chunk({"text": "Both sunny."}, finish="STOP", usage=True))
    server.script(Stream(cuts(two_weather_calls(), 61)), Stream(cuts(answer, 61)))
    agent = Agent(model("google", server), tools=[getWeather])
    result = agent.stream("weather in Boston and SF?").result
    assert ran == ["Boston", "San Francisco"]
    assert result.text == "Both sunny."
    sent = json.loads(server.requests[1].body)
    calls = [p for c in sent["contents"] for p in c["parts"] if "functionCall" in p]
    assert [c["functionCall"]["args"] for c in calls] == [
        {"location": "Boston"},
        {"location": "San Francisco"},
    ]
    assert calls[0].get("thoughtSignature") == SIGNATURE
