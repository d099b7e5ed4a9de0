"""The pieces around the engine, without it: reading the model's text (reasoning, text,
calls, split anywhere), the grammars made from schemas, and decoding bytes as the
grammar does."""

from __future__ import annotations

from pathlib import Path

import pytest

import fantasy
from fantasy.providers.llamacpp.formats import HERMES, LLAMA3, call_format
from fantasy.providers.llamacpp.grammar import output_grammar
from fantasy.providers.llamacpp.output import (
    OutputReader,
    Reasoning,
    ReasoningEnd,
    Text,
    ToolCall,
)
from fantasy.providers.llamacpp.utf8 import GrammarUtf8Decoder
from fantasy.types import FunctionTool
from tests.local.support import LLAMA3_TEMPLATE, local_provider

ANSWER = (
    "<think>let me see</think>\n"
    '<tool_call>\n{"name": "weather", "arguments": {"city": "Rome"}}\n</tool_call>\n'
    '<tool_call>\n{"name": "time", "arguments": "{\\"zone\\": \\"CET\\"}"}\n</tool_call>'
)


def read(text: str, calls: bool, piece: int) -> list[object]:
    reader = OutputReader(HERMES if calls else None)
    events: list[object] = []
    for i in range(0, len(text), piece):
        events += reader.feed(text[i : i + piece])
    events += reader.finish()
    merged: list[object] = []
    for event in events:  # deltas split by the pieces, joined back
        last = merged[-1] if merged else None
        if isinstance(event, Text) and isinstance(last, Text):
            merged[-1] = Text(last.delta + event.delta)
        elif isinstance(event, Reasoning) and isinstance(last, Reasoning):
            merged[-1] = Reasoning(last.delta + event.delta)
        else:
            merged.append(event)
    return merged


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
def test_reasoning_and_calls_are_read_however_the_text_is_split(piece: int) -> None:
    assert read(ANSWER, calls=True, piece=piece) == [
        Reasoning("let me see"),
        ReasoningEnd(),
        ToolCall("weather", '{"city": "Rome"}'),
        ToolCall("time", '{"zone": "CET"}'),
    ]


@pytest.mark.parametrize("piece", [1, 4, 1000])
def test_text_stays_text(piece: int) -> None:
    assert read("<b>bold</b> and <tool_call>", calls=False, piece=piece) == [
        Text("<b>bold</b> and <tool_call>")
    ]
    assert read("Hello <tool_call>", calls=True, piece=piece) == [Text("Hello <tool_call>")]
    assert read("<think>hm", calls=False, piece=piece) == [Reasoning("hm"), ReasoningEnd()]


def test_a_call_cut_short_is_kept_as_text() -> None:
    cut = '<tool_call>\n{"name": "weather", "argu'
    assert read(cut, calls=True, piece=5) == [Text(cut)]
    broken = "<tool_call>\nnot json\n</tool_call>"
    assert read(broken, calls=True, piece=5) == [Text(broken)]


WEATHER = FunctionTool(
    "weather",
    "",
    {
        "type": "object",
        "properties": {"place": {"$ref": "#/$defs/Place"}},
        "required": ["place"],
        "$defs": {"Place": {"type": "string", "enum": ["Rome"]}},
    },
)
OTHER = FunctionTool(
    "other",
    "",
    {
        "type": "object",
        "properties": {"place": {"$ref": "#/$defs/Place"}},
        "required": ["place"],
        "$defs": {"Place": {"type": "integer"}},
    },
)


def test_tools_sharing_a_defs_name_keep_their_own_rules() -> None:
    grammar = output_grammar([WEATHER, OTHER], "required", None, thinks=False)
    assert grammar is not None
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines())
    assert rules["t0-Place"] == '"\\"Rome\\""'
    assert rules["t0-place"] == "t0-Place"
    assert rules["t1-place"] == "t1-integer"  # the second tool's Place, not the first's
    assert rules["root"] == "(calls)"
    assert rules["calls"] == 'call ("\\n" call)*'


def test_what_each_choice_allows() -> None:
    def root(*args: object, **kwargs: object) -> str:
        grammar = output_grammar(*args, **kwargs)  # type: ignore[arg-type]
        assert grammar is not None
        return grammar.splitlines()[0]

    assert root([WEATHER], "auto", None, thinks=False) == "root ::= (calls | answer)"
    assert root([WEATHER], "auto", {"type": "boolean"}, thinks=True) == (
        "root ::= think (calls | o-root)"
    )
    assert root([], "auto", {"type": "boolean"}, thinks=False) == "root ::= (o-root)"
    assert output_grammar([WEATHER], "none", None, thinks=False) is None
    single = output_grammar([WEATHER], "required", None, thinks=False, parallel_calls=False)
    assert single is not None and "calls ::= call\n" in single
    with pytest.raises(fantasy.InvalidArgumentError, match="'missing'"):
        output_grammar([WEATHER], "missing", None, thinks=False)


def test_json_strings_may_not_hold_control_characters() -> None:
    grammar = output_grammar([], "auto", {"type": "string"}, thinks=False)
    assert grammar is not None
    assert '[^"\\\\\\x7F\\x00-\\x1F]' in grammar


def test_a_schema_llama_cpp_cannot_convert_is_refused_naming_the_tool() -> None:
    bad = FunctionTool("bad", "", {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}})
    with pytest.raises(fantasy.InvalidArgumentError, match="tool 'bad'"):
        output_grammar([bad], "auto", None, thinks=False)


def decode_bytewise(data: bytes) -> str:
    decoder = GrammarUtf8Decoder()
    return "".join(decoder.decode(bytes([b])) for b in data) + decoder.decode(b"", final=True)


def test_valid_utf8_decodes_as_usual_byte_by_byte() -> None:
    text = "héllo wörld € 𝄞 日本"
    assert decode_bytewise(text.encode()) == text


def test_bytes_decode_as_llama_cpps_grammar_reads_them() -> None:
    # An overlong quote is a quote to the grammar; a surrogate one character.
    assert decode_bytewise(b"a\xc0\xa2b") == 'a"b'
    assert decode_bytewise(b"\xed\xa0\x80") == "\ufffd"
    # Not characters at all: a lone continuation byte, a sequence cut short.
    assert decode_bytewise(b"\x80a\xe2a\xe2") == "\ufffda\ufffda\ufffd"


def test_the_call_format_follows_the_template_family() -> None:
    assert call_format(LLAMA3_TEMPLATE) is LLAMA3
    assert call_format("{% for tool in tools %}<tool_call>{% endfor %}") is HERMES
    assert call_format("<|im_start|>{{ tools }}") is HERMES


@pytest.mark.parametrize("piece", [1, 5, 1000])
def test_llama3_calls_are_one_bare_object(piece: int) -> None:
    def read3(text: str) -> list[object]:
        reader = OutputReader(LLAMA3)
        events = []
        for i in range(0, len(text), piece):
            events += reader.feed(text[i : i + piece])
        return events + reader.finish()

    call = '{"name": "weather", "parameters": {"city": "Rome"}}'
    assert read3(call) == [ToolCall("weather", '{"city": "Rome"}')]
    assert "".join(e.delta for e in read3("It is sunny {ok}")) == "It is sunny {ok}"  # type: ignore[attr-defined]
    not_a_call = '{"verdict": "yes"}'  # structured output next to tools
    assert read3(not_a_call) == [Text(not_a_call)]


def test_llama3_grammar_writes_one_bare_object() -> None:
    grammar = output_grammar([WEATHER], "auto", None, thinks=False, call_format=LLAMA3)
    assert grammar is not None
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines())
    assert rules["call"] == "call-body"
    assert rules["calls"] == "call"
    assert rules["call-body"] == (
        '("{\\"name\\": " "\\"weather\\"" ", \\"parameters\\": " t0-root "}")'
    )
    assert rules["answer"] == '"" | [^{] ([^{] | "{")*'


def test_check_schema_refuses_what_the_converter_cannot_express(tiny_model: Path) -> None:
    from fantasy.schema_dialects import SchemaError

    with local_provider(tiny_model) as provider:
        model = provider.language_model()
        model.check_schema(WEATHER.input_schema, 'tool "weather"')
        with pytest.raises(SchemaError, match=r'tool "bad": llama\.cpp cannot'):
            model.check_schema({"$ref": "#/nowhere"}, 'tool "bad"')
    assert not provider.loaded  # the check needs no model


def test_templates_get_hugging_faces_helpers() -> None:
    from datetime import datetime

    from fantasy.providers.llamacpp.prompt import render

    def rendered(template: str) -> str:
        messages = [{"role": "user", "content": "<b>hi</b>"}]
        return render(template, messages, [], bos_token="<s>", eos_token="</s>", variables={})

    assert rendered("{{ strftime_now('%Y') }}") == str(datetime.now().year)
    assert rendered("{{ messages | tojson }}") == '[{"role": "user", "content": "<b>hi</b>"}]'
    assert rendered("{{ bos_token }}{% if add_generation_prompt %}go{% endif %}") == "<s>go"
    with pytest.raises(fantasy.InvalidArgumentError, match="refused the prompt: no users"):
        rendered("{{ raise_exception('no users') }}")
    with pytest.raises(fantasy.InvalidArgumentError, match="chat template failed"):
        rendered("{% for %}")
