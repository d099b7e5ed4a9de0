"""Cost per delta of streamed structured output, as the object grows.

A synthetic object (a list of records, serialised as JSON) is cut into
token-sized deltas (4 characters) and fed through:

* ``fantasy``: `fantasy.objects.PartialObjects`, the incremental parser plus
  full-schema validation and dedupe that every object stream runs per delta;
* ``stream_object``: the same, end to end through a scripted model's
  ``stream_object`` (object stream parts, text deltas, finish);
* ``typed partial_objects``: `fantasy.stream_object` with a pydantic model, the typed
  partial objects (validated into the model, each compared with the one before);
* ``naive pydantic_core``: re-parsing the accumulated text with
  ``pydantic_core.from_json(allow_partial=True)`` after each delta;
* ``naive json_repair``: re-repairing the accumulated text with
  ``json_repair.loads`` after each delta (what Fantasy does in Go).

It prints microseconds per delta for each length and the ratio between
successive lengths: a flat µs/delta (ratio ≈ 1) means linear total work, a
ratio near the length ratio (10) means quadratic. The naive approaches are
skipped at lengths where one run would take minutes.

    python benchmarks/bench_objects.py [--lengths 1000 10000 100000] [--delta 4]
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["id", "name", "tags"],
            },
        }
    },
    "required": ["items"],
}


def document(length: int) -> str:
    """A JSON object of about ``length`` characters."""
    items: list[dict[str, Any]] = []
    text = json.dumps({"items": items})
    while len(text) < length:
        n = len(items)
        items.append({"id": n, "name": f"record number {n}", "tags": ["alpha", "beta"]})
        text = json.dumps({"items": items})
    return text


def deltas(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def run_fantasy(pieces: list[str]) -> int:
    from fantasy.objects import PartialObjects
    from fantasy.objects.partial_json import MISSING

    tracker = PartialObjects(SCHEMA)
    emitted = 0
    for piece in pieces:
        if tracker.feed(piece) is not MISSING:
            emitted += 1
    return emitted


def run_stream_object(pieces: list[str]) -> int:
    import fantasy
    from fantasy.objects import ObjectCall
    from fantasy.testing import FakeModel, stream_parts_for_text

    model = FakeModel([stream_parts_for_text(pieces)])
    model.native_object_output = True
    call = ObjectCall(prompt=[fantasy.user_message("x")], schema=SCHEMA)
    return sum(1 for _ in model.stream_object(call))


@functools.cache
def records_type() -> type:
    """The pydantic model of `SCHEMA`'s records, made once (as a program's would be)."""
    from pydantic import BaseModel

    class Record(BaseModel):
        id: int
        name: str
        tags: list[str]

    class Records(BaseModel):
        items: list[Record]

    return Records


def run_typed(pieces: list[str]) -> int:
    """`fantasy.stream_object(...).partial_objects()` with a pydantic model: the typed
    partial objects a program reads (the same records as `SCHEMA`)."""
    import fantasy
    from fantasy.testing import FakeModel, stream_parts_for_text

    model = FakeModel([stream_parts_for_text(pieces)])
    model.native_object_output = True
    stream: fantasy.ObjectStream[Any] = fantasy.stream_object(model, "x", records_type())
    return sum(1 for _ in stream.partial_objects())


def run_naive_pydantic_core(pieces: list[str]) -> int:
    from pydantic_core import from_json

    from fantasy.objects.validate import Validator

    validator = Validator(SCHEMA)
    text, last, emitted = "", None, 0
    for piece in pieces:
        text += piece
        try:
            value = from_json(text, allow_partial=True)
        except ValueError:
            continue
        if value != last and validator.is_valid(value):
            last, emitted = value, emitted + 1
    return emitted


def run_naive_json_repair(pieces: list[str]) -> int:
    import json_repair

    from fantasy.objects.validate import Validator

    validator = Validator(SCHEMA)
    text, last, emitted = "", None, 0
    for piece in pieces:
        text += piece
        value = json_repair.loads(text)
        if value != last and validator.is_valid(value):
            last, emitted = value, emitted + 1
    return emitted


CASES: list[tuple[str, Callable[[list[str]], int], int]] = [
    # (name, runner, longest length it is run at)
    ("fantasy", run_fantasy, 10**9),
    ("stream_object", run_stream_object, 10**9),
    ("typed partial_objects", run_typed, 10**9),
    ("naive pydantic_core", run_naive_pydantic_core, 100_000),
    ("naive json_repair", run_naive_json_repair, 10_000),
]


def measure(runner: Callable[[list[str]], int], pieces: list[str], repeat: int) -> float:
    """Best of ``repeat`` runs, in µs per delta."""
    runner(pieces[: min(len(pieces), 50)])  # warm up imports
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        runner(pieces)
        best = min(best, time.perf_counter() - start)
    return best / len(pieces) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--delta", type=int, default=4, help="characters per delta")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"{'case':<22}{'length':>9}{'deltas':>8}{'µs/delta':>11}{'ratio':>8}")
    for name, runner, longest in CASES:
        previous = None
        for length in args.lengths:
            if length > longest:
                print(f"{name:<22}{length:>9}{'':>8}{'skipped':>11}")
                continue
            pieces = deltas(document(length), args.delta)
            repeat = args.repeat if length <= 10_000 else 1
            per_delta = measure(runner, pieces, repeat)
            ratio = f"{per_delta / previous:.2f}" if previous else ""
            print(f"{name:<22}{length:>9}{len(pieces):>8}{per_delta:>11.2f}{ratio:>8}")
            previous = per_delta
        print()


if __name__ == "__main__":
    main()
