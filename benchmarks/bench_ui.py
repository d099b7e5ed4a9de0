"""What serving an agent to a page costs: the UI message stream encoder per part, and a
whole run through `fantasy.ui.asgi` on a loopback uvicorn server.

* encoder: N text-delta parts through `UIMessageStreamEncoder` and the SSE framing, µs
  per part, next to the floor of framing the same dict with ``json.dumps`` alone;
* endpoint: an agent (a FakeModel streaming N deltas) behind the endpoint, read by
  httpx to ``[DONE]``, µs per delta from the request to the last byte;
* import: ``import fantasy``, then ``fantasy.ui`` with its endpoint, in a fresh
  interpreter (ms), and the modules the second adds (asyncio among them).

    python benchmarks/bench_ui.py [--parts 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

import fantasy
import fantasy.ui
from fantasy import StreamPart, StreamPartType
from fantasy.testing import FakeModel, finish_part
from fantasy.ui import ai_sdk
from fantasy.ui._sse import sse_event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ui.conftest import serve  # the loopback uvicorn server of the tests


def deltas(n: int) -> list[StreamPart]:
    return [
        StreamPart(StreamPartType.TEXT_START, id="t"),
        *(StreamPart(StreamPartType.TEXT_DELTA, id="t", delta="token ") for _ in range(n)),
        StreamPart(StreamPartType.TEXT_END, id="t"),
        finish_part(),
    ]


def encoder_us(n: int) -> tuple[float, float]:
    parts = deltas(n)
    encoder = ai_sdk.UIMessageStreamEncoder(message_id="m")
    began = time.perf_counter()
    for part in parts:
        for chunk in encoder.encode(part):
            sse_event(chunk)
    ours = (time.perf_counter() - began) / len(parts) * 1e6
    began = time.perf_counter()
    for part in parts:
        payload = {"type": "text-delta", "id": part.id, "delta": part.delta}
        (b"data: " + json.dumps(payload).encode() + b"\n\n")
    floor = (time.perf_counter() - began) / len(parts) * 1e6
    return ours, floor


def endpoint_us(n: int) -> float:
    model = FakeModel([deltas(n)])
    body = {"messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": "go"}]}]}
    with serve(fantasy.ui.asgi(fantasy.Agent(model), keepalive=None)) as url:
        began = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            text = client.post(url, json=body).text
        elapsed = time.perf_counter() - began
    assert text.endswith("data: [DONE]\n\n")
    return elapsed / n * 1e6


def import_ms() -> tuple[float, float, int]:
    """``import fantasy`` (ms), then ``import fantasy.ui`` and its endpoint after it (ms,
    modules added)."""
    code = (
        "import sys, time; t = time.perf_counter(); import fantasy;"
        " base = (time.perf_counter() - t) * 1000; before = set(sys.modules);"
        " t = time.perf_counter(); import fantasy.ui; fantasy.ui.asgi;"
        " print(base, (time.perf_counter() - t) * 1000, len(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, ui, modules = out.stdout.split()
    return float(base), float(ui), int(modules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    enc = [encoder_us(args.parts) for _ in range(args.runs)]
    end = [endpoint_us(args.parts) for _ in range(args.runs)]
    imp = [import_ms() for _ in range(args.runs)]
    print(
        f"encoder: {statistics.median(e[0] for e in enc):.2f} µs/part "
        f"(json.dumps floor {statistics.median(e[1] for e in enc):.2f} µs)"
    )
    print(
        f"endpoint over loopback: {statistics.median(end):.1f} µs/delta "
        f"({args.parts} deltas, request to [DONE])"
    )
    print(
        f"import fantasy: {statistics.median(i[0] for i in imp):.1f} ms; then fantasy.ui "
        f"with its endpoint: {statistics.median(i[1] for i in imp):.1f} ms, +{imp[0][2]} modules"
    )


if __name__ == "__main__":
    main()
