"""``@fantasy.tool``, ToolResponse and how tool results are built (tool_test.go and more)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import fantasy
from fantasy import _runtime
from fantasy.tools import AgentTool, ToolCall, ToolInfo, ToolResponse, TypedTool


def run(tool: AgentTool, raw: str, *, id: str = "call_1") -> ToolResponse:
    """Run a tool through the async face."""
    return asyncio.run(tool.run(ToolCall(id, tool.name, raw)))


def run_sync(tool: AgentTool, raw: str, *, id: str = "call_1") -> ToolResponse:
    """Run a tool through the sync face (no event loop)."""
    return _runtime.run_sync(tool.run(ToolCall(id, tool.name, raw)))


# --------------------------------------------------------------------------- pydantic input


class WeatherInput(BaseModel):
    location: str = Field(description="the city")
    unit: Literal["celsius", "fahrenheit"] = "celsius"


@fantasy.tool
def weather(params: WeatherInput) -> str:
    """Get weather information for a location.

    The second paragraph is for humans reading the code.
    """
    return f"40 {params.unit[0].upper()} in {params.location}"


def test_pydantic_model_input_info() -> None:
    assert isinstance(weather, TypedTool)
    info = weather.info
    assert isinstance(info, ToolInfo)
    assert info.name == "weather"
    assert info.description == "Get weather information for a location."
    assert info.parameters == {
        "location": {"description": "the city", "type": "string"},
        "unit": {"enum": ["celsius", "fahrenheit"], "type": "string"},
    }
    assert info.required == ["location"]
    assert info.parallel is False


def test_pydantic_model_input_runs_in_both_faces() -> None:
    out = run(weather, '{"location": "Florence"}')
    assert out == ToolResponse.text("40 C in Florence")
    assert run_sync(weather, '{"location": "Oslo", "unit": "fahrenheit"}').content == (
        "40 F in Oslo"
    )


def test_enum_values_validated() -> None:
    out = run(weather, '{"location": "x", "unit": "kelvin"}')
    assert out.is_error
    assert out.content.startswith("invalid parameters: ")
    assert "unit" in out.content


@dataclass
class AddInput:
    a: int
    b: int = 0


@fantasy.tool
def add_dc(params: AddInput) -> int:
    return params.a + params.b


class MulInput(TypedDict):
    a: int
    b: int


@fantasy.tool
def mul_td(params: MulInput) -> int:
    return params["a"] * params["b"]


def test_dataclass_and_typeddict_inputs() -> None:
    assert add_dc.info.required == ["a"]
    assert run(add_dc, '{"a": 2, "b": 3}').content == "5"
    assert mul_td.info.required == ["a", "b"]
    assert run(mul_td, '{"a": 2, "b": 3}').content == "6"


# --------------------------------------------------------------------------- plain parameters


@fantasy.tool(name="add", description="Add two numbers", parallel=True)
def add_plain(
    a: Annotated[int, Field(description="first addend")],
    b: Annotated[int, Field(description="second addend")] = 1,
) -> str:
    return str(a + b)


def test_plain_typed_parameters() -> None:
    info = add_plain.info
    assert info.name == "add"
    assert info.description == "Add two numbers"
    assert info.parameters == {
        "a": {"description": "first addend", "type": "integer"},
        "b": {"description": "second addend", "type": "integer"},
    }
    assert info.required == ["a"]
    assert info.parallel is True
    assert run(add_plain, '{"a": 2, "b": 3}').content == "5"
    assert run(add_plain, '{"a": 2}').content == "3"


def test_empty_input_means_an_empty_object() -> None:
    @fantasy.tool
    def ping() -> str:
        return "pong"

    assert ping.info.parameters == {}
    assert ping.info.required == []
    assert run(ping, "").content == "pong"
    assert run(ping, "{}").content == "pong"


def test_explicit_empty_description_is_kept() -> None:
    @fantasy.tool(description="")
    def documented() -> str:
        """A docstring the explicit description overrides."""
        return ""

    assert documented.info.description == ""


def test_no_docstring_means_empty_description() -> None:
    @fantasy.tool
    def bare(x: int) -> int:
        return x

    assert bare.info.name == "bare"
    assert bare.info.description == ""


def test_docstring_first_paragraph_spanning_lines() -> None:
    @fantasy.tool
    def long_doc(x: int) -> int:
        """Do a thing
        across two lines.

        Args:
            x: the thing
        """
        return x

    assert long_doc.info.description == "Do a thing\nacross two lines."


# --------------------------------------------------------------------------- async tools


@fantasy.tool
async def slow_echo(text: str) -> str:
    """Echo after yielding once."""
    await asyncio.sleep(0)
    return text.upper()


def test_async_tool_in_the_async_face() -> None:
    assert run(slow_echo, '{"text": "hi"}').content == "HI"


def test_async_tool_in_the_sync_face() -> None:
    # The sync face has no loop; a real coroutine tool still runs.
    assert run_sync(slow_echo, '{"text": "hi"}').content == "HI"


def test_sync_tool_runs_off_the_event_loop_thread() -> None:
    seen: list[int] = []

    @fantasy.tool
    def where() -> str:
        seen.append(threading.get_ident())
        return "ok"

    async def main() -> int:
        await where.run(ToolCall("c", "where", "{}"))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert seen and seen[0] != loop_thread


# --------------------------------------------------------------------------- ToolCall parameter


def test_tool_call_parameter_receives_the_call() -> None:
    received: list[ToolCall] = []

    @fantasy.tool
    def lookup(query: str, call: ToolCall) -> str:
        received.append(call)
        return f"{call.id}:{query}"

    assert set(lookup.info.parameters) == {"query"}
    assert lookup.info.required == ["query"]
    out = run(lookup, '{"query": "q"}', id="call_9")
    assert out.content == "call_9:q"
    assert received == [ToolCall("call_9", "lookup", '{"query": "q"}')]


def test_tool_call_parameter_with_model_input_and_async() -> None:
    @fantasy.tool
    async def forecast(params: WeatherInput, call: ToolCall) -> str:
        return f"{call.id} {params.location}"

    assert forecast.info.required == ["location"]
    assert run(forecast, '{"location": "Rome"}', id="x1").content == "x1 Rome"
    assert run_sync(forecast, '{"location": "Rome"}', id="x2").content == "x2 Rome"


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    "raw",
    ["{not json", '{"a": "not a number"}', "{}", "[]", "null", '{"a": 1.5}'],
)
def test_invalid_input_becomes_an_error_response(raw: str) -> None:
    called: list[int] = []

    @fantasy.tool
    def needs_int(a: int) -> str:
        called.append(a)
        return "ran"

    out = run(needs_int, raw)
    assert out.is_error
    assert out.type == "text"
    assert out.content.startswith("invalid parameters: ")
    assert called == []


def test_validation_message_names_the_field() -> None:
    out = run(weather, '{"unit": "celsius"}')
    assert out.is_error
    assert "location" in out.content
    assert "Field required" in out.content


# --------------------------------------------------------------------------- return values


@pytest.mark.parametrize(
    ("value", "content"),
    [
        ("plain text", "plain text"),
        ("", ""),
        (None, ""),
        ({"temp": 40, "unit": "C"}, '{"temp":40,"unit":"C"}'),
        ([1, 2, 3], "[1,2,3]"),
        (42, "42"),
        (True, "true"),
        ({"name": "café"}, '{"name":"café"}'),
    ],
)
def test_return_value_conversions(value: Any, content: str) -> None:
    @fantasy.tool
    def give() -> Any:
        return value

    out = run(give, "{}")
    assert out == ToolResponse.text(content)
    if content.startswith(("{", "[")):
        assert json.loads(out.content) == value


def test_pydantic_model_return_is_json() -> None:
    @fantasy.tool
    def give() -> WeatherInput:
        return WeatherInput(location="Paris")

    assert json.loads(run(give, "{}").content) == {"location": "Paris", "unit": "celsius"}


def test_tool_response_return_is_kept_as_is() -> None:
    response = ToolResponse.image(b"\x89PNG", "image/png", "a chart")

    @fantasy.tool
    def chart() -> ToolResponse:
        return response

    assert run(chart, "{}") is response


def test_exceptions_propagate_from_run() -> None:
    # The agent, not the tool wrapper, turns exceptions into error results.
    @fantasy.tool
    def broken() -> str:
        raise RuntimeError("kaput")

    with pytest.raises(RuntimeError, match="kaput"):
        run(broken, "{}")


# --------------------------------------------------------------------------- ToolResponse


def test_text_constructor() -> None:
    r = ToolResponse.text("hello")
    assert (r.type, r.content, r.data, r.media_type, r.is_error, r.stop_turn) == (
        "text",
        "hello",
        b"",
        "",
        False,
        False,
    )
    assert ToolResponse.text("bye", stop_turn=True).stop_turn is True


def test_error_constructor() -> None:
    r = ToolResponse.error("it broke")
    assert (r.type, r.content, r.is_error, r.stop_turn) == ("text", "it broke", True, False)
    assert ToolResponse.error("x", stop_turn=True).stop_turn is True


def test_image_constructor() -> None:
    r = ToolResponse.image(b"\x89PNG\r\n", "image/png")
    assert r.type == "image"
    assert r.data == b"\x89PNG\r\n"
    assert r.media_type == "image/png"
    assert r.is_error is False
    assert r.content == ""
    assert r.media_base64 == base64.b64encode(b"\x89PNG\r\n").decode()


def test_media_constructor() -> None:
    r = ToolResponse.media(b"RIFF", "audio/wav", "a beep")
    assert (r.type, r.data, r.media_type, r.content, r.is_error) == (
        "media",
        b"RIFF",
        "audio/wav",
        "a beep",
        False,
    )


def test_with_metadata_serialises_json() -> None:
    r = ToolResponse.text("ok").with_metadata({"rows": 3, "names": ["a", "é"]})
    assert json.loads(r.metadata) == {"rows": 3, "names": ["a", "é"]}
    assert r.content == "ok"


def test_with_metadata_returns_the_same_response() -> None:
    r = ToolResponse.text("ok")
    assert r.with_metadata([1]) is r
    assert r.metadata == "[1]"


def test_with_metadata_none_leaves_it_unchanged() -> None:
    r = ToolResponse.text("ok").with_metadata({"a": 1})
    assert r.with_metadata(None).metadata == '{"a":1}'
    assert ToolResponse.text("x").with_metadata(None).metadata == ""


@pytest.mark.parametrize("value", [{1, 2}, object(), {"f": lambda: 1}])
def test_with_metadata_unserialisable_leaves_it_unchanged(value: Any) -> None:
    r = ToolResponse.text("ok").with_metadata({"kept": True})
    assert r.with_metadata(value).metadata == '{"kept":true}'
    assert ToolResponse.text("x").with_metadata(value).metadata == ""


def test_with_metadata_circular_leaves_it_unchanged() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    assert ToolResponse.text("x").with_metadata(loop).metadata == ""


# --------------------------------------------------------------------------- still a function


def test_decorated_function_is_still_callable() -> None:
    assert weather(WeatherInput(location="Turin")) == "40 C in Turin"
    assert add_plain(2, b=5) == "7"
    assert add_dc(AddInput(1, 2)) == 3


def test_decorated_async_function_is_still_awaitable() -> None:
    assert asyncio.run(slow_echo("abc")) == "ABC"


def test_repr_and_name() -> None:
    assert weather.name == "weather"
    assert repr(weather) == "TypedTool(name='weather')"


def test_provider_options_are_kept() -> None:
    @fantasy.tool(provider_options={"anthropic": {"cache": True}})
    def cached() -> str:
        return ""

    assert cached.provider_options == {"anthropic": {"cache": True}}
