"""The JSON field readers translators use: the right type or an error naming the path."""

from __future__ import annotations

from typing import Any

import pytest

from fantasy import InvalidResponseError
from fantasy.http import shape


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (shape.text, 42, "choices[0].message.content: expected a string, got number 42"),
        (shape.integer, "7", "choices[0].message.content: expected an integer, got string '7'"),
        (shape.integer, 1.5, "expected an integer, got number 1.5"),
        (shape.integer, True, "expected an integer, got boolean True"),
        (shape.number, "x", "expected a number, got string 'x'"),
        (shape.boolean, 1, "expected a boolean, got number 1"),
        (shape.obj, [1], "choices[0].message.content: expected an object, got array"),
        (shape.arr, {"a": 1}, "expected an array, got object"),
    ],
)
def test_a_field_of_the_wrong_type_names_its_path(reader: Any, value: Any, expected: str) -> None:
    with pytest.raises(InvalidResponseError) as info:
        reader({"content": value}, "content", "choices[0].message")
    assert expected in str(info.value)
    assert not info.value.retryable


@pytest.mark.parametrize("missing", [{}, {"content": None}])
def test_missing_or_null_is_the_default(missing: dict[str, Any]) -> None:
    assert shape.text(missing, "content") == ""
    assert shape.text(missing, "content", default="x") == "x"
    assert shape.integer(missing, "content") == 0
    assert shape.number(missing, "content") == 0.0
    assert shape.boolean(missing, "content") is False
    assert shape.obj(missing, "content") == {}
    assert shape.arr(missing, "content") == []
    assert shape.objects(missing, "content") == []


def test_values_of_the_right_type_pass_through() -> None:
    data = {"s": "a", "i": 3, "w": 3.0, "f": 0.5, "b": True, "o": {"k": 1}, "l": [{"x": 1}]}
    assert shape.text(data, "s") == "a"
    assert shape.integer(data, "i") == 3 and shape.integer(data, "w") == 3
    assert shape.number(data, "f") == 0.5 and shape.number(data, "i") == 3.0
    assert shape.boolean(data, "b") is True
    assert shape.obj(data, "o") == {"k": 1}
    assert shape.objects(data, "l") == [{"x": 1}]


def test_each_item_of_an_array_of_objects_is_checked() -> None:
    with pytest.raises(InvalidResponseError, match=r"output\[1\]: expected an object"):
        shape.objects({"output": [{}, "oops"]}, "output")
