"""The incremental partial-JSON parser: any split gives json.loads' value, and every
snapshot on the way is a prefix of it."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fantasy import _json
from fantasy.objects.partial_json import MISSING, PartialJSONError, PartialJSONParser, parse_partial

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def is_prefix(partial: Any, final: Any) -> bool:
    """``partial`` could have been read from a prefix of ``final``'s text."""
    if isinstance(final, dict):
        return isinstance(partial, dict) and all(
            k in final and is_prefix(v, final[k]) for k, v in partial.items()
        )
    if isinstance(final, list):
        return (
            isinstance(partial, list)
            and len(partial) <= len(final)
            and all(is_prefix(p, f) for p, f in zip(partial, final, strict=False))
        )
    if isinstance(final, str):
        return isinstance(partial, str) and final.startswith(partial)
    if isinstance(final, bool) or final is None:
        return partial is final
    return isinstance(partial, (int, float)) and not isinstance(partial, bool)


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=300, deadline=None)
@given(
    value=JSON_VALUES,
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 2]),
)
def test_any_split_parses_to_json_loads_and_snapshots_are_prefixes(
    value: Any, cuts: list[int], ensure_ascii: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    expected = json.loads(text)
    parser = PartialJSONParser()
    for piece in split(text, cuts):
        parser.feed(piece)
        snap = parser.snapshot()
        if snap is not MISSING:
            assert is_prefix(snap, expected), (snap, expected)
    parser.finish()
    assert parser.snapshot() == expected


def feed_chars(text: str) -> PartialJSONParser:
    parser = PartialJSONParser()
    for ch in text:
        parser.feed(ch)
    parser.finish()
    return parser


@pytest.mark.parametrize(
    "text",
    [
        r'{"a": "x\"y\\z\/\b\f\n\r\t"}',
        r'"\u00e9\u4e2d\ud83d\ude00"',
        r'["\ud83d", "\ud83dx"]',
        "[1, -0.5, 2e10, -3E-2, 0, 123456789012345678901234567890]",
        "[[[]], [[1], [2, [3]]], {}]",
        '{"nested": {"deep": {"deeper": [true, false, null]}}}',
    ],
)
def test_odd_input_char_by_char(text: str) -> None:
    """As the library reads whole JSON (`fantasy._json.loads`): like json.loads, but a lone
    surrogate escape is U+FFFD."""
    assert feed_chars(text).snapshot() == _json.loads(text)


def test_escape_split_across_chunks_is_held_until_complete() -> None:
    parser = PartialJSONParser()
    parser.feed('{"k": "a\\')
    assert parser.snapshot() == {"k": "a"}
    parser.feed("u00")
    assert parser.snapshot() == {"k": "a"}
    parser.feed('e9"}')
    assert parser.snapshot() == {"k": "aé"}


def test_numbers_split_show_their_valid_prefix() -> None:
    parser = PartialJSONParser()
    parser.feed('{"n": 12')
    assert parser.snapshot() == {"n": 12}
    parser.feed(".")
    assert parser.snapshot() == {"n": 12}
    parser.feed("5e")
    assert parser.snapshot() == {"n": 12.5}
    parser.feed("1}")
    assert parser.snapshot() == {"n": 125.0}


def test_unfinished_keys_and_literals_are_left_out() -> None:
    parser = PartialJSONParser()
    parser.feed('{"a": 1, "b')
    assert parser.snapshot() == {"a": 1}
    parser.feed('": tr')
    assert parser.snapshot() == {"a": 1}
    parser.feed("ue")
    assert parser.snapshot() == {"a": 1, "b": True}


def test_version_changes_only_with_the_visible_value() -> None:
    parser = PartialJSONParser()
    parser.feed('{"a": "x')
    seen = parser.version
    parser.feed('", "b')  # closing a string and starting a key show nothing new
    assert parser.version == seen
    parser.feed('": 1')
    assert parser.version > seen


def test_closed_containers_are_shared_between_snapshots() -> None:
    parser = PartialJSONParser()
    parser.feed('{"done": {"x": [1, 2]}, "open": "a')
    first = parser.snapshot()
    parser.feed("b")
    second = parser.snapshot()
    assert first["done"] is second["done"]
    assert id(second["done"]) in parser.closed
    assert second["open"] == "ab"


def test_markdown_fence_and_trailing_text_are_ignored() -> None:
    value, complete = parse_partial('```json\n{"a": 1}\n```\nHope this helps!')
    assert value == {"a": 1}
    assert complete


def test_truncated_text_is_completed() -> None:
    value, complete = parse_partial('{"title": "The Lo')
    assert value == {"title": "The Lo"}
    assert not complete
    assert parse_partial("") == (MISSING, False)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("Sure! Here is the JSON", 0),
        ('{"a" 1}', 5),
        ('{"a": tru3}', 7),
        ('["x" "y"]', 5),
        ('{"a": "\\q"}', 8),
        ("[1, 2}", 5),
        ("[01]", 1),
    ],
)
def test_garbage_is_a_clear_error_with_its_offset(text: str, offset: int) -> None:
    parser = PartialJSONParser()
    with pytest.raises(PartialJSONError) as info:
        parser.feed(text)
        parser.finish()
    assert info.value.offset == offset


def test_offsets_count_across_chunks() -> None:
    parser = PartialJSONParser()
    parser.feed('{"a": 1')
    with pytest.raises(PartialJSONError, match="offset 8"):
        parser.feed(" x")
