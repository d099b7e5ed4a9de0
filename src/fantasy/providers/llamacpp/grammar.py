"""GBNF grammars that make a local model's tool calls and JSON objects valid by
construction: llama.cpp samples only tokens the grammar allows.

A JSON schema becomes rules through llama-cpp-python's converter (the one llama.cpp
ships), each schema with its own rule names, so tools whose schemas share a ``$defs``
name cannot clash. The answer of a call with tools is either one or more calls,
each ``<tool_call>\\n{"name": ..., "arguments": ...}\\n</tool_call>`` with arguments
matching that tool's schema, or (tool choice ``auto``) an answer that does not begin
with ``<``; with a structured-output schema, the answer is that JSON. A template that
thinks aloud (it mentions ``<think>``) may open with a ``<think>...</think>`` block.
"""

from __future__ import annotations

import re
from typing import Any

from fantasy.errors import InvalidArgumentError
from fantasy.providers.llamacpp.formats import HERMES, CallFormat
from fantasy.types import FunctionTool

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]|[A-Za-z][A-Za-z0-9-]*|.', re.S)


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def schema_rules(schema: dict[str, Any], prefix: str, what: str) -> tuple[str, list[str]]:
    """Rules matching JSON valid against ``schema``, every name starting with ``prefix``;
    returns the name of the top rule and the rule lines."""
    import copy

    from llama_cpp import llama_grammar

    make_converter: Any = llama_grammar.SchemaConverter  # untyped upstream
    converter = make_converter(
        prop_order={"name": 0, "arguments": 1},
        allow_fetch=False,
        dotall=False,
        raw_pattern=False,
    )
    try:
        resolved = converter.resolve_refs(copy.deepcopy(schema), "schema")
        converter.visit(resolved, "")
        grammar = converter.format_grammar()
    except (AssertionError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidArgumentError(
            f"{what}: llama.cpp cannot turn its schema into a grammar: {exc}"
        ) from exc
    lines = [line.partition(" ::= ") for line in grammar.splitlines() if line.strip()]
    names = {name for name, _, _ in lines}

    def rename(match: re.Match[str]) -> str:
        token = match.group(0)
        return f"{prefix}{token}" if token in names else token

    renamed = [
        f"{prefix}{name} ::= {_TOKEN.sub(rename, _strict_chars(name, body))}"
        for name, _, body in lines
    ]
    return f"{prefix}root", renamed


_LOOSE_CHAR = '[^"\\\\]'
_STRICT_CHAR = '[^"\\\\\\x7F\\x00-\\x1F]'


def _strict_chars(name: str, body: str) -> str:
    """llama-cpp-python's converter lets JSON strings hold raw control characters, which
    JSON forbids (llama.cpp's own converter does not): its string characters, fixed."""
    if name == "char" or name.endswith("-char"):
        return body.replace(_LOOSE_CHAR, _STRICT_CHAR, 1)
    return body


_THINK = [
    'think ::= ("<think>" think-char* "</think>" [ \\n]*)?',
    'think-char ::= [^<] | "<" [^/]',
]


def output_grammar(
    tools: list[FunctionTool],
    tool_choice: str,
    answer_schema: dict[str, Any] | None,
    thinks: bool,
    parallel_calls: bool = True,
    call_format: CallFormat = HERMES,
) -> str | None:
    """The grammar for a call: None when the answer is free text."""
    fmt = call_format
    with_tools = bool(tools) and tool_choice != "none"
    if not with_tools and answer_schema is None:
        return None
    rules: list[str] = []
    alternatives: list[str] = []
    if with_tools:
        chosen = tools
        if tool_choice not in ("auto", "required"):
            chosen = [t for t in tools if t.name == tool_choice]
            if not chosen:
                raise InvalidArgumentError(
                    f"tool_choice names {tool_choice!r}, which is not among the call's tools"
                )
        calls = []
        for i, tool in enumerate(chosen):
            top, lines = schema_rules(tool.input_schema, f"t{i}-", f"tool {tool.name!r}")
            rules += lines
            calls.append(
                f'"{{\\"name\\": " {_literal(_json_string(tool.name))} '
                f'{_literal(", " + _json_string(fmt.arguments_key) + ": ")} {top} "}}"'
            )
        rules.append("call-body ::= " + " | ".join(f"({c})" for c in calls))
        if fmt.open:
            rules.append(f"call ::= {_literal(fmt.open)} call-body {_literal(fmt.close)}")
        else:
            rules.append("call ::= call-body")
        if parallel_calls and fmt.separator:
            rules.append(f"calls ::= call ({_literal(fmt.separator)} call)*")
        else:
            rules.append("calls ::= call")
        alternatives.append("calls")
    if answer_schema is not None:
        top, lines = schema_rules(answer_schema, "o-", "the structured output")
        rules += lines
        if not with_tools or tool_choice == "auto":
            alternatives.append(top)
    elif tool_choice == "auto":
        first = fmt.first_char
        rules.append(f'answer ::= "" | [^{first}] ([^{first}] | "{first}")*')
        alternatives.append("answer")
    think = "think " if thinks else ""
    if thinks:
        rules += _THINK
    root = f"root ::= {think}(" + " | ".join(alternatives) + ")"
    return "\n".join([root, *rules]) + "\n"


def _json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
