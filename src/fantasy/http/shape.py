"""Reading provider JSON on purpose: each field with its expected type and its path.

A provider documents the shape of its answers; a proxy, a gateway or a broken
server may send valid JSON of another shape (``"content": 42``, a list where an
object belongs). Translators read fields through these helpers, so such an answer
becomes an `InvalidResponseError` that names the JSON path and what was found
(``choices[0].message.content: expected a string, got number 42``), never a bare
``TypeError`` from deep inside a translator, and never a silent ``""``. A missing
field or ``null`` is "not sent" and gives the default, as the providers' own SDKs
read it. Real bugs in a translator are no longer caught and relabelled: they
surface as the bugs they are.
"""

from __future__ import annotations

from typing import Any

from fantasy.errors import InvalidResponseError, ProviderError

_JSON_NAMES = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _found(value: Any) -> str:
    kind = _JSON_NAMES.get(type(value), type(value).__name__)
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return kind if isinstance(value, list | dict) else f"{kind} {shown}"


def shape_error(path: str, expected: str, value: Any) -> ProviderError:
    """The error for ``value`` at ``path`` when ``expected`` was documented."""
    error = ProviderError(
        f"{path}: expected {expected}, got {_found(value)}",
        title="invalid provider response",
    )
    assert isinstance(error, InvalidResponseError)
    return error


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def as_object(value: Any, path: str) -> dict[str, Any]:
    """``value`` as a JSON object; ``None`` is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise shape_error(path, "an object", value)
    return value


def as_list(value: Any, path: str) -> list[Any]:
    """``value`` as a JSON array; ``None`` is an empty one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise shape_error(path, "an array", value)
    return value


def obj(data: dict[str, Any], key: str, path: str = "") -> dict[str, Any]:
    """The object at ``data[key]``; missing or ``null`` is ``{}``."""
    value = data.get(key)
    if type(value) is dict:  # the common case first, without building the path
        return value
    return as_object(value, join(path, key))


def arr(data: dict[str, Any], key: str, path: str = "") -> list[Any]:
    """The array at ``data[key]``; missing or ``null`` is ``[]``."""
    value = data.get(key)
    if type(value) is list:
        return value
    return as_list(value, join(path, key))


def objects(data: dict[str, Any], key: str, path: str = "") -> list[dict[str, Any]]:
    """The array of objects at ``data[key]``, each checked."""
    where = join(path, key)
    return [as_object(item, join(where, i)) for i, item in enumerate(as_list(data.get(key), where))]


def text(data: dict[str, Any], key: str, path: str = "", default: str = "") -> str:
    """The string at ``data[key]``; missing or ``null`` is ``default``."""
    value = data.get(key)
    if type(value) is str:  # the common case first: this runs for every streamed delta
        return value
    if value is None:
        return default
    if not isinstance(value, str):
        raise shape_error(join(path, key), "a string", value)
    return value


def label(data: dict[str, Any], key: str) -> str | None:
    """The non-empty string at ``data[key]``, else None: for what an answer says of
    itself (its id, the model that wrote it), which never fails a request."""
    value = data.get(key)
    return value if type(value) is str and value else None


def integer(data: dict[str, Any], key: str, path: str = "", default: int = 0) -> int:
    """The integer at ``data[key]`` (a whole float such as ``3.0`` too); missing or
    ``null`` is ``default``."""
    value = data.get(key)
    if type(value) is int:  # the common case first
        return value
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise shape_error(join(path, key), "an integer", value)
    if isinstance(value, float):
        if not value.is_integer():
            raise shape_error(join(path, key), "an integer", value)
        return int(value)
    return value


def number(data: dict[str, Any], key: str, path: str = "", default: float = 0.0) -> float:
    """The number at ``data[key]``; missing or ``null`` is ``default``."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise shape_error(join(path, key), "a number", value)
    return float(value)


def boolean(data: dict[str, Any], key: str, path: str = "", default: bool = False) -> bool:
    """The boolean at ``data[key]``; missing or ``null`` is ``default``."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise shape_error(join(path, key), "a boolean", value)
    return value
