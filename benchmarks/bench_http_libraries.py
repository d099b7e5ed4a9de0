"""httpx or httpx2 under fantasy: import time, cost per chunk, and cost under concurrency.

fantasy takes a client of either library (`fantasy.http.backend`); this measures which
one should be the default, on the local server (`server.py`, a subprocess):

- import: a fresh interpreter's ``import httpx`` / ``import httpx2``, and
  ``import fantasy`` + a provider + one whole call on a client of each library;
- per chunk: one stream of ``--chunks`` text chunks through ``LanguageModel.astream``
  (and ``stream``, the sync face) on fantasy's own pool (httpx), a caller's
  ``httpx.AsyncClient`` and a caller's ``httpx2.AsyncClient``;
- concurrency: N streams at once on one client (the server holds each round's streams
  until N have arrived, so N are in flight together), µs per chunk (wall and CPU).

Contenders run back to back in every round (round robin, in a new order each round),
so the machine's noise falls on all of them alike; every number is a median.

    python benchmarks/bench_http_libraries.py [--chunks 2000] [--runs 9] [--streams 1,100,500]
                                              [--concurrent-chunks 50] [--imports 9]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import serve

MODEL = "gpt-4o-mini"
API_KEY = "sk-bench"
LIMIT = 1000
"""Connections a caller's client may open: as many as fantasy's own pool, so that the
concurrency rounds compare the libraries, not their default limits."""


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


# ----------------------------------------------------------------------------- imports

IMPORT_CASES = {
    "import httpx": "import httpx",
    "import httpx2": "import httpx2",
    "fantasy + first call, own client (httpx)": (
        "import fantasy\nfrom fantasy.providers import openai\n"
        "m = openai.Provider('k', base_url=URL).language_model('gpt-4o-mini')\n"
        "m.generate(fantasy.Call([fantasy.user_message('hi')]))"
    ),
    "fantasy + first call, httpx.Client": (
        "import httpx, fantasy\nfrom fantasy.providers import openai\n"
        "m = openai.Provider('k', base_url=URL, http_client=httpx.Client())"
        ".language_model('gpt-4o-mini')\n"
        "m.generate(fantasy.Call([fantasy.user_message('hi')]))"
    ),
    "fantasy + first call, httpx2.Client": (
        "import httpx2, fantasy\nfrom fantasy.providers import openai\n"
        "m = openai.Provider('k', base_url=URL, http_client=httpx2.Client())"
        ".language_model('gpt-4o-mini')\n"
        "m.generate(fantasy.Call([fantasy.user_message('hi')]))"
    ),
}


def measure_imports(url: str, runs: int) -> dict[str, list[float]]:
    """Milliseconds of each case in a fresh interpreter, the cases interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in IMPORT_CASES}
    for _ in range(runs):
        names = list(IMPORT_CASES)
        random.shuffle(names)
        for name in names:
            code = (
                f"URL = {url!r}\nimport time\nt0 = time.perf_counter()\n"
                f"{IMPORT_CASES[name]}\nprint((time.perf_counter() - t0) * 1000)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            samples[name].append(float(out.stdout.strip().splitlines()[-1]))
    return samples


# ----------------------------------------------------------------------------- streams

Run = Callable[[int, dict[str, str]], Awaitable[int]]


def _models(url: str) -> dict[str, Any]:
    import httpx
    import httpx2

    from fantasy.providers import openai

    def model(**clients: Any) -> Any:
        return openai.Provider(API_KEY, base_url=url, **clients).language_model(MODEL)

    timeout = 600.0
    return {
        "own pool (httpx)": model(),
        "httpx.AsyncClient": model(
            async_http_client=httpx.AsyncClient(
                timeout=timeout, limits=httpx.Limits(max_connections=LIMIT)
            )
        ),
        "httpx2.AsyncClient": model(
            async_http_client=httpx2.AsyncClient(
                timeout=timeout, limits=httpx2.Limits(max_connections=LIMIT)
            )
        ),
    }


def _sync_models(url: str) -> dict[str, Any]:
    import httpx
    import httpx2

    from fantasy.providers import openai

    def model(**clients: Any) -> Any:
        return openai.Provider(API_KEY, base_url=url, **clients).language_model(MODEL)

    return {
        "own client (httpx)": model(),
        "httpx.Client": model(http_client=httpx.Client(timeout=600.0)),
        "httpx2.Client": model(http_client=httpx2.Client(timeout=600.0)),
    }


def _call(n: int, headers: dict[str, str]) -> Any:
    import fantasy

    return fantasy.Call(
        [fantasy.user_message("Say hi")], max_output_tokens=n, headers=dict(headers)
    )


async def _astream(model: Any, n: int, headers: dict[str, str]) -> int:
    from fantasy.types import StreamPartType

    count = 0
    async for part in model.astream(_call(n, headers)):
        if part.type is StreamPartType.TEXT_DELTA:
            count += 1
    return count


def _stream(model: Any, n: int) -> int:
    from fantasy.types import StreamPartType

    return sum(1 for p in model.stream(_call(n, {})) if p.type is StreamPartType.TEXT_DELTA)


def measure_per_chunk(
    url: str, chunks: int, runs: int, warmups: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """µs per chunk of one stream, async and sync, contenders interleaved per round."""
    loop = asyncio.new_event_loop()
    models = _models(url)
    sync_models = _sync_models(url)
    out: dict[str, list[float]] = {name: [] for name in models}
    sync_out: dict[str, list[float]] = {name: [] for name in sync_models}
    for round_no in range(warmups + runs):
        names = list(models)
        random.shuffle(names)
        for name in names:
            t0 = time.perf_counter()
            seen = loop.run_until_complete(_astream(models[name], chunks, {}))
            elapsed = time.perf_counter() - t0
            assert seen == chunks, (name, seen)
            if round_no >= warmups:
                out[name].append(elapsed / chunks * 1e6)
        names = list(sync_models)
        random.shuffle(names)
        for name in names:
            t0 = time.perf_counter()
            seen = _stream(sync_models[name], chunks)
            elapsed = time.perf_counter() - t0
            assert seen == chunks, (name, seen)
            if round_no >= warmups:
                sync_out[name].append(elapsed / chunks * 1e6)
    loop.close()
    return out, sync_out


_round_ids = itertools.count()


def measure_concurrency(
    url: str, streams: list[int], chunks: int, runs: int
) -> dict[tuple[str, int], tuple[list[float], list[float]]]:
    """(wall µs/chunk, CPU µs/chunk) per contender and N, rounds interleaved."""
    loop = asyncio.new_event_loop()
    models = _models(url)
    out: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    for n in streams:
        repeats = max(1, 2000 // (n * chunks))
        for _ in range(runs + 1):  # the first round of each N warms the pools
            names = list(models)
            random.shuffle(names)
            for name in names:
                walls, cpus = out.setdefault((name, n), ([], []))
                c0, t0 = time.process_time(), time.perf_counter()
                seen = 0
                for _ in range(repeats):
                    extra = {}
                    if n > 1:
                        extra = {
                            "X-Bench-Round": f"{os.getpid()}-{next(_round_ids)}",
                            "X-Bench-Hold": str(n),
                        }

                    async def one_round(
                        model: Any = models[name], h: dict[str, str] = extra, width: int = n
                    ) -> int:
                        counts = await asyncio.gather(
                            *(_astream(model, chunks, h) for _ in range(width))
                        )
                        return sum(counts)

                    seen += loop.run_until_complete(one_round())
                wall = time.perf_counter() - t0
                cpu = time.process_time() - c0
                total = repeats * n * chunks
                assert seen == total, (name, n, seen, total)
                walls.append(wall / total * 1e6)
                cpus.append(cpu / total * 1e6)
        for name in models:  # drop the warm-up round
            walls, cpus = out[(name, n)]
            del walls[0], cpus[0]
    loop.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--streams", default="1,100,500")
    parser.add_argument("--concurrent-chunks", type=int, default=50)
    parser.add_argument("--concurrent-runs", type=int, default=5)
    parser.add_argument("--imports", type=int, default=9)
    args = parser.parse_args()
    streams = [int(s) for s in args.streams.split(",") if s]

    import httpx
    import httpx2

    print(
        f"httpx {httpx.__version__}, httpx2 {httpx2.__version__}, Python {sys.version.split()[0]}"
    )
    with serve(prewarm=(args.chunks, args.concurrent_chunks)) as url:
        imports = measure_imports(url, args.imports)
        print(f"\nImport, fresh interpreter (ms, median of {args.imports}, interleaved)")
        for name, xs in imports.items():
            print(f"  {name:<46} {_med(xs):8.1f}   min {min(xs):7.1f}  max {max(xs):7.1f}")

        per_chunk, sync_per_chunk = measure_per_chunk(url, args.chunks, args.runs, args.warmups)
        print(
            f"\nOne stream of {args.chunks} chunks (µs per chunk, median of {args.runs} "
            "rounds, contenders back to back)"
        )
        for face, table in (("astream", per_chunk), ("stream (sync)", sync_per_chunk)):
            for name, xs in table.items():
                spread = f"min {min(xs):6.2f}  max {max(xs):6.2f}"
                print(f"  {face:<14} {name:<22} {_med(xs):7.2f}   {spread}")

        concurrency = measure_concurrency(
            url, streams, args.concurrent_chunks, args.concurrent_runs
        )
        print(
            f"\nN concurrent streams of {args.concurrent_chunks} chunks on one client "
            f"(µs per chunk, median of {args.concurrent_runs}; ratio to the same client's N=1)"
        )
        print(f"  {'client':<22} {'N':>5} {'wall':>8} {'cpu':>8} {'wall/N=1':>9}")
        for (name, n), (walls, cpus) in sorted(concurrency.items()):
            base = _med(concurrency[(name, streams[0])][0])
            print(
                f"  {name:<22} {n:>5} {_med(walls):8.2f} {_med(cpus):8.2f} "
                f"{_med(walls) / base:8.2f}x"
            )


if __name__ == "__main__":
    main()
