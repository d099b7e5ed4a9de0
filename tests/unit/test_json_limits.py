"""JSON read and written as `fantasy._json` promises: bounded nesting, valid Unicode both
ways. The provider paths are tried over the loopback server in
`tests/faults/test_hostile_json.py`; these are the parts no provider answer reaches:
the reader itself, saved conversations, the validator, the incremental parser, tools.
"""

from __future__ import annotations

import asyncio
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fantasy
from fantasy import _json
from fantasy.objects.partial_json import PartialJSONError, PartialJSONParser
from fantasy.objects.validate import SchemaValidationError, Validator, validate
from fantasy.schema_dialects import SchemaError
from fantasy.testing import FakeModel
from fantasy.tools import ToolCall, as_response

DEEP = "[" * 1000 + "]" * 1000
TOO_DEEP = "nested more than 200 levels deep"


def nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


# --------------------------------------------------------------------------- the reader


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_values, st.booleans())
def test_it_reads_what_json_loads_reads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _json.loads(text) == json.loads(text)
    assert _json.loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
def test_nesting_too_deep_is_a_value_error_naming_where(depth: int) -> None:
    text = '{"messages":[{"content":' + "[" * depth + "]" * depth + "}]}"

    with pytest.raises(_json.JSONDepthError) as info:
        _json.loads(text)

    assert isinstance(info.value, ValueError)
    assert TOO_DEEP in str(info.value)
    assert info.value.path.startswith("messages[0].content[0][0]")
    assert "more levels" in info.value.path, "a long path is shortened"


@pytest.mark.parametrize("depth", [199, 200])
def test_two_hundred_levels_are_read(depth: int) -> None:
    assert _json.loads(nested(depth - 1, "[]")) is not None
    assert _json.loads(nested(depth - 1, '"\\ud83d"')) is not None  # the slower path too


@pytest.mark.parametrize("depth", [201, 300, 900])
def test_deeper_than_two_hundred_is_refused_on_either_path(depth: int) -> None:
    for leaf in ("[]", '"\\ud83d"'):  # the fast parser's refusal, and the fallback's
        with pytest.raises(_json.JSONDepthError, match=TOO_DEEP):
            _json.loads(nested(depth - 1, "{" + '"x":' + leaf + "}"))


def test_malformed_json_keeps_json_loads_message() -> None:
    # The stdlib's wording changes between Pythons ("Expecting value" up to 3.12, "Illegal
    # trailing comma before end of array" from 3.13): ours is whatever json.loads says.
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads("[1,]")
    with pytest.raises(json.JSONDecodeError) as info:
        _json.loads("[1,]")
    assert str(info.value) == str(expected.value)
    assert info.value.pos == expected.value.pos


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b'"caf\xe9"', "caf\ufffd"),
        (b'"a\xf0\x9f\x98"', "a\ufffd"),
        (b'"\\ud83d"', "\ufffd"),
        (b'"\\ude00\\ud83d"', "\ufffd\ufffd"),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b'\xef\xbb\xbf"bom"', "bom"),
        ('"lone \udc80"', "lone \ufffd"),
    ],
)
def test_text_read_is_always_valid_unicode(raw: bytes | str, text: str) -> None:
    assert _json.loads(raw) == text
    if isinstance(raw, str):
        assert _json.loads('{"k":[' + raw + "]}") == {"k": [text]}
    elif not raw.startswith(b"\xef\xbb\xbf"):
        assert _json.loads(b'{"k":[' + raw + b"]}") == {"k": [text]}


def test_keys_are_valid_unicode_too() -> None:
    assert _json.loads('{"\\ud83dk": {"\\udc80": 1}}') == {"\ufffdk": {"\ufffd": 1}}


def test_the_depth_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(_json.JSONDepthError("a[0]")))
    assert isinstance(error, _json.JSONDepthError)
    assert error.path == "a[0]"
    assert str(error) == "JSON nested more than 200 levels deep at a[0]"


# --------------------------------------------------------------------------- the writer


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("plain", "plain"),
        ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),
        ("half \ud83d", "half \ufffd"),
        ("\udc80\ud83d", "\ufffd\ufffd"),
        ("pair \ud83d\ude00", "pair \U0001f600"),  # two halves written apart: joined
    ],
)
def test_text_sent_is_valid_utf8(text: str, sent: str) -> None:
    assert _json.encode(text) == sent.encode()
    assert _json.valid_text(text) == sent


def test_valid_text_is_not_copied() -> None:
    text = "caf\u00e9 " * 100
    assert _json.valid_text(text) is text


# --------------------------------------------------------------------------- persistence


def test_a_saved_conversation_nested_too_deep_names_the_element() -> None:
    saved = fantasy.to_json([fantasy.user_message("hi")])
    deep = saved.replace('"text":"hi"', f'"text":"hi","extra":{DEEP}')

    with pytest.raises(fantasy.SerializationError) as info:
        fantasy.from_json(deep, list[fantasy.Message])

    assert info.value.path.startswith("messages[0].content[0].data.extra[0][0]")
    assert info.value.reason == "not valid JSON: nested more than 200 levels deep"


def test_a_saved_conversation_that_is_not_utf8_loads_with_replacement_characters() -> None:
    saved = fantasy.to_json([fantasy.user_message("caf\u00e9")]).encode()
    latin1 = saved.replace("caf\u00e9".encode(), b"caf\xe9")

    (message,) = fantasy.from_json(latin1, list[fantasy.Message])

    assert message.content[0].text == "caf\ufffd"  # type: ignore[union-attr]


def test_lone_surrogates_are_saved_and_loaded_as_replacement_characters() -> None:
    saved = fantasy.to_json([fantasy.user_message("half \ud83d of a smile")])

    saved.encode("utf-8")  # writing it to a UTF-8 file cannot fail
    assert "half \ufffd of a smile" in saved
    (message,) = fantasy.from_json(saved.replace("\ufffd", "\\ud83d"), list[fantasy.Message])
    assert message.content[0].text == "half \ufffd of a smile"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- validation


def test_a_schema_that_refers_to_itself_forever_is_a_validation_error() -> None:
    schema = {
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
        "$ref": "#/$defs/a",
    }

    with pytest.raises(SchemaValidationError, match="nested too deep to check"):
        validate({"x": 1}, schema)
    assert Validator(schema).errors_against(1, schema)


def test_a_value_too_deep_for_a_recursive_schema_is_a_validation_error() -> None:
    value: Any = []
    for _ in range(2000):  # built in code: no parser bounded it
        value = [value]

    errors = Validator({"type": "array", "items": {"$ref": "#"}}).errors(value)

    assert errors and "nested too deep to check" in errors[0]


# --------------------------------------------------------------------------- partial JSON


def test_the_incremental_parser_refuses_what_loads_refuses() -> None:
    parser = PartialJSONParser()
    parser.feed('{"a":[' + "[" * 198)  # 200 levels: accepted

    with pytest.raises(PartialJSONError) as info:
        parser.feed("[")

    assert f"{TOO_DEEP} at a[0][0]" in str(info.value)
    assert info.value.offset == len('{"a":[') + 198


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ('"\\ud83d"', "\ufffd"),
        ('"\\ud83dx"', "\ufffdx"),
        ('"\\ude00"', "\ufffd"),
        ('"\\ud83d\\ude00"', "\U0001f600"),
    ],
)
def test_the_incremental_parser_reads_lone_surrogates_as_loads_does(text: str, read: str) -> None:
    parser = PartialJSONParser()
    for ch in text:
        parser.feed(ch)
    assert parser.snapshot() == read == _json.loads(text)


# --------------------------------------------------------------------------- schemas


def test_a_schema_nested_too_deep_fails_when_the_agent_is_built() -> None:
    parameters: dict[str, Any] = {"type": "string"}
    for _ in range(300):
        parameters = {"type": "object", "properties": {"x": parameters}}

    class Deep(fantasy.AgentTool):
        info = fantasy.ToolInfo("deep", "", {"x": parameters})

        async def run(self, call: ToolCall) -> fantasy.ToolResponse:
            return fantasy.ToolResponse.text("")

    with pytest.raises(SchemaError) as info:
        fantasy.Agent(FakeModel(), tools=[Deep()])

    assert info.value.where == 'tool "deep"'
    assert TOO_DEEP in info.value.reason


def test_an_output_schema_nested_too_deep_fails_before_the_call() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(300):
        schema = {"type": "object", "properties": {"x": schema}}

    with pytest.raises(SchemaError, match=TOO_DEEP):
        fantasy.generate_object(FakeModel(), "hi", schema)


# --------------------------------------------------------------------------- tools


def test_a_tool_result_holding_a_lone_surrogate_is_sent_as_valid_text() -> None:
    assert as_response({"sky": "sunny \udc80"}).content == '{"sky":"sunny \ufffd"}'


def test_a_tool_result_that_cannot_be_json_stays_an_error() -> None:
    with pytest.raises(Exception, match="Unable to serialize"):
        as_response(object())


def test_typed_tool_reads_a_lone_surrogate_escape_as_a_replacement_character() -> None:
    @fantasy.tool
    def echo(city: str) -> str:
        return city

    response = asyncio.run(echo.run(ToolCall("c1", "echo", '{"city":"Lisb\\ud83don"}')))

    assert response.content == "Lisb\ufffdon"
