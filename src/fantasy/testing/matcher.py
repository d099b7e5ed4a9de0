"""Request matching with Fantasy's rules, and the diff shown when nothing matches.

Matching is deliberately strict (method, full URL, body) because the cassettes are a
conformance contract: a request that differs from what Fantasy sent is a porting bug,
and the most useful thing a failing test can show is exactly which field differs.
Headers are not compared: they were mostly stripped when recording.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence

from fantasy.testing.cassette import Body, Interaction, RecordedRequest

__all__ = [
    "CassetteMismatchError",
    "bodies_match",
    "describe_mismatch",
    "json_equal",
    "nearest_interaction",
    "requests_match",
    "urls_match",
]

REDACTED = "[REDACTED]"
"""What the recorder writes in place of a credential."""
_MAX_DIFF_LINES = 120
_MAX_LINE_CHARS = 240


class CassetteMismatchError(AssertionError):
    """No unused recorded interaction matches a request.

    An AssertionError so pytest reports it as a test failure, not an error in the code
    under test; httpx passes it through `client.send` unchanged.
    """


def requests_match(recorded: RecordedRequest, actual: RecordedRequest) -> bool:
    """Fantasy's matcher: same method, same full URL (query included), equivalent body.
    A credential the recorder replaced by ``[REDACTED]`` (a query value, a JSON string)
    matches whatever value the request carries there."""
    return (
        recorded.method.upper() == actual.method.upper()
        and urls_match(recorded.url, actual.url)
        and bodies_match(recorded.body, actual.body)
    )


def urls_match(recorded: str, actual: str) -> bool:
    """The same URL, where a recorded query value ``[REDACTED]`` matches any value."""
    if recorded == actual:
        return True
    if REDACTED not in recorded:
        return False
    base, _, query = recorded.partition("?")
    actual_base, _, actual_query = actual.partition("?")
    pairs, actual_pairs = query.split("&"), actual_query.split("&")
    if base != actual_base or len(pairs) != len(actual_pairs):
        return False
    for pair, actual_pair in zip(pairs, actual_pairs, strict=True):
        name, _, value = pair.partition("=")
        actual_name, _, _ = actual_pair.partition("=")
        if pair != actual_pair and (value != REDACTED or name != actual_name):
            return False
    return True


def bodies_match(recorded: Body, actual: Body) -> bool:
    """Equal as text after CRLF→LF, else equal as JSON values (key order ignored), where
    a recorded string ``[REDACTED]`` matches any string."""
    left, right = _text(recorded), _text(actual)
    if left is None or right is None:
        return _raw(recorded) == _raw(actual)
    if left == right:
        return True
    a, b = _parse_json(left), _parse_json(right)
    return a is not _NOT_JSON and b is not _NOT_JSON and json_equal(a, b, redacted=True)


def json_equal(a: object, b: object, *, redacted: bool = False) -> bool:
    """Deep equality with Go's `interface{}` semantics.

    Go decodes every JSON number to float64, so 4000 and 4000.0 are equal, but a bool is
    never a number; Python's `True == 1` must not leak into the comparison.
    ``redacted``: a string ``[REDACTED]`` in ``a`` (the recording) equals any string.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):  # bools excluded above
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b or (redacted and a == REDACTED)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            json_equal(x, y, redacted=redacted) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k], redacted=redacted) for k in a)
    return False


def nearest_interaction(
    candidates: Sequence[tuple[int, Interaction]], actual: RecordedRequest
) -> tuple[int, Interaction] | None:
    """The candidate most worth diffing against: same method+URL first, then closest body."""

    def score(item: tuple[int, Interaction]) -> tuple[bool, bool, float, int]:
        index, interaction = item
        recorded = interaction.request
        same_method = recorded.method.upper() == actual.method.upper()
        same_target = same_method and recorded.url == actual.url
        ratio = _similarity(_pretty(recorded.body), _pretty(actual.body))
        return (same_target, same_method, ratio, -index)

    return max(candidates, key=score, default=None)


def describe_mismatch(
    actual: RecordedRequest,
    unused: Sequence[tuple[int, Interaction]],
    *,
    total: int,
    cassette_name: str,
) -> str:
    """The message of a CassetteMismatchError; never mentions headers (they hold API keys)."""
    lines = [
        f"no unused interaction in {cassette_name} matches the request",
        f"  {actual.method} {actual.url}",
    ]
    near = nearest_interaction(unused, actual)
    if near is None:
        lines.append(f"all {total} recorded interactions have already been used")
        return "\n".join(lines)
    index, interaction = near
    lines += _nearest_section(index, interaction.request, actual)
    lines.append(f"{len(unused)} of {total} recorded interactions are unused")
    return "\n".join(lines)


def _nearest_section(index: int, recorded: RecordedRequest, actual: RecordedRequest) -> list[str]:
    lines = [f"nearest unused interaction #{index}:", f"  {recorded.method} {recorded.url}"]
    if recorded.method.upper() != actual.method.upper():
        lines.append(f"method differs: recorded {recorded.method}, sent {actual.method}")
    if recorded.url != actual.url:
        lines.append(f"url differs:\n  recorded {recorded.url}\n  sent     {actual.url}")
    if bodies_match(recorded.body, actual.body):
        lines.append("bodies are equal")
        return lines
    diff = list(
        difflib.unified_diff(
            _pretty(recorded.body),
            _pretty(actual.body),
            fromfile=f"recorded #{index}",
            tofile="sent",
            lineterm="",
        )
    )
    lines.append("body diff (- recorded, + sent):")
    lines += _clip(diff)
    return lines


def _clip(diff: list[str]) -> list[str]:
    """Keep huge bodies (base64 images) from burying the interesting lines."""
    shown = [
        line if len(line) <= _MAX_LINE_CHARS else line[:_MAX_LINE_CHARS] + "…"
        for line in diff[:_MAX_DIFF_LINES]
    ]
    if len(diff) > _MAX_DIFF_LINES:
        shown.append(f"… {len(diff) - _MAX_DIFF_LINES} more diff lines")
    return shown


def _similarity(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _pretty(body: Body) -> list[str]:
    """Sorted, indented JSON so a diff shows one changed value per line."""
    text = _text(body)
    if text is None:
        return [f"<{len(_raw(body))} bytes of binary data>"]
    try:
        value = json.loads(text)  # keep 4000 as 4000 in the diff, unlike _parse_json
    except ValueError:
        return text.split("\n")
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).split("\n")


def _text(body: Body) -> str | None:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return body.replace("\r\n", "\n")


def _raw(body: Body) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


_NOT_JSON = object()


def _parse_json(text: str) -> object:
    """Parse like Go's encoding/json into interface{}: integers become float64."""
    if not text.strip():
        return _NOT_JSON
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except ValueError:
        return _NOT_JSON


def _reject_constant(name: str) -> float:
    """Go rejects NaN/Infinity literals, so they never make two bodies JSON-equal."""
    raise ValueError(f"{name} is not JSON")
