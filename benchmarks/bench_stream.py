"""Per-chunk and per-call cost of fantasy against its floor and its peers, in one run.

Every contender talks to the same local OpenAI-compatible server (`server.py`,
started here in a subprocess) and reads the same stream of text chunks:

  (a) bare httpx.AsyncClient + aiter_lines + json.loads: the floor
  (a2) the same loop on httpx2 (the HTTP client under openai 3.x and pydantic-ai)
  (b) the raw openai SDK, AsyncOpenAI streaming
  (c0) fantasy LanguageModel.astream (the provider alone, no agent loop)
  (c) fantasy Agent.astream over the openai provider
  (d) fantasy Agent.stream (the sync face)
  (e) pydantic-ai Agent.run_stream + stream_text(delta=True, debounce_by=None)

Then non-streamed calls (sequential, one connection kept alive), and a memory
and linearity check of a fantasy stream of N vs 10·N chunks.

    python benchmarks/bench_stream.py [--chunks 2000] [--runs 7] [--warmups 2]
                                      [--calls 200] [--call-rounds 3] [--big 20000]
                                      [--profile]

Numbers are medians; the machine is noisy, so compare the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import serve, text_of

MODEL = "gpt-4o-mini"
SYSTEM = "You are a helpful assistant"
PROMPT = "Say hi in Portuguese"
API_KEY = "sk-bench"

Runner = Callable[[int], Any]  # n -> (seconds, text chunks seen); may return an awaitable


@dataclass
class Contender:
    key: str
    label: str
    run: Runner
    is_async: bool
    samples: list[float] = field(default_factory=list)  # seconds per item
    note: str = ""


def _messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]


# ----------------------------------------------------------------------------- streams


def stream_contenders(url: str) -> list[Contender]:
    import httpx

    import fantasy
    from fantasy.providers import openai as fopenai

    out: list[Contender] = []
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    def bare(client: Any) -> Callable[[int], Awaitable[tuple[float, int]]]:
        async def run(n: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            body = json.dumps(
                {
                    "model": MODEL,
                    "messages": _messages(),
                    "max_tokens": n,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                }
            )
            count = 0
            async with client.stream(
                "POST", f"{url}/chat/completions", content=body, headers=headers
            ) as r:
                async for line in r.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    for choice in chunk["choices"]:
                        if choice["delta"].get("content"):
                            count += 1
            return time.perf_counter() - t0, count

        return run

    out.append(
        Contender(
            "a", "bare httpx + aiter_lines + json.loads", bare(httpx.AsyncClient(timeout=60)), True
        )
    )
    try:
        import httpx2

        out.append(
            Contender(
                "a2",
                "bare httpx2 + aiter_lines + json.loads",
                bare(httpx2.AsyncClient(timeout=60)),
                True,
            )
        )
    except ImportError:
        pass

    try:
        from openai import AsyncOpenAI

        oai = AsyncOpenAI(api_key=API_KEY, base_url=url, max_retries=0)

        async def run_openai(n: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            count = 0
            stream = await oai.chat.completions.create(
                model=MODEL,
                messages=_messages(),  # type: ignore[arg-type]
                max_tokens=n,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    count += 1
            return time.perf_counter() - t0, count

        out.append(Contender("b", "openai SDK AsyncOpenAI stream", run_openai, True))
    except ImportError:
        print("openai is not installed: skipping (b)", file=sys.stderr)

    provider = fopenai.Provider(api_key=API_KEY, base_url=url)
    model = provider.language_model(MODEL)
    agent = fantasy.Agent(model, system_prompt=SYSTEM)
    text_delta = fantasy.StreamPartType.TEXT_DELTA

    async def run_model(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        call = fantasy.Call(
            prompt=[fantasy.system_message(SYSTEM), fantasy.user_message(PROMPT)],
            max_output_tokens=n,
        )
        count = 0
        async for part in model.astream(call):
            if part.type is text_delta:
                count += 1
        return time.perf_counter() - t0, count

    async def run_astream(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        count = 0
        stream = agent.astream(PROMPT, max_output_tokens=n)
        async for part in stream:
            if part.type is text_delta:
                count += 1
        _ = stream.result
        return time.perf_counter() - t0, count

    def run_stream(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        count = 0
        stream = agent.stream(PROMPT, max_output_tokens=n)
        for part in stream:
            if part.type is text_delta:
                count += 1
        _ = stream.result
        return time.perf_counter() - t0, count

    out.append(Contender("c0", "fantasy LanguageModel.astream (no agent)", run_model, True))
    out.append(Contender("c", "fantasy Agent.astream", run_astream, True))
    out.append(Contender("d", "fantasy Agent.stream (sync)", run_stream, False))

    try:
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        pmodel = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=url, api_key=API_KEY))
        pagent = PAgent(pmodel, system_prompt=SYSTEM)

        async def run_pydantic_ai(n: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            count = 0
            async with pagent.run_stream(PROMPT, model_settings={"max_tokens": n}) as result:
                async for _ in result.stream_text(delta=True, debounce_by=None):
                    count += 1
            return time.perf_counter() - t0, count

        out.append(
            Contender("e", "pydantic-ai Agent.run_stream (stream_text)", run_pydantic_ai, True)
        )
    except ImportError as exc:
        print(f"pydantic-ai is not usable ({exc}): skipping (e)", file=sys.stderr)
    return out


# ----------------------------------------------------------------------------- calls


def call_contenders(url: str) -> list[Contender]:
    import httpx

    import fantasy
    from fantasy.providers import openai as fopenai

    out: list[Contender] = []
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    client = httpx.AsyncClient(timeout=60)

    async def run_bare(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        for _ in range(n):
            body = json.dumps({"model": MODEL, "messages": _messages()})
            r = await client.post(f"{url}/chat/completions", content=body, headers=headers)
            data = json.loads(r.content)
            assert data["choices"][0]["message"]["content"]
        return time.perf_counter() - t0, n

    out.append(Contender("a", "bare httpx post + json.loads", run_bare, True))

    try:
        from openai import AsyncOpenAI

        oai = AsyncOpenAI(api_key=API_KEY, base_url=url, max_retries=0)

        async def run_openai(n: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            for _ in range(n):
                resp = await oai.chat.completions.create(
                    model=MODEL,
                    messages=_messages(),  # type: ignore[arg-type]
                )
                assert resp.choices[0].message.content
            return time.perf_counter() - t0, n

        out.append(Contender("b", "openai SDK chat.completions.create", run_openai, True))
    except ImportError:
        pass

    provider = fopenai.Provider(api_key=API_KEY, base_url=url)
    agent = fantasy.Agent(provider.language_model(MODEL), system_prompt=SYSTEM)

    async def run_agenerate(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        for _ in range(n):
            result = await agent.agenerate(PROMPT)
            assert result.text
        return time.perf_counter() - t0, n

    def run_generate(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        for _ in range(n):
            result = agent.generate(PROMPT)
            assert result.text
        return time.perf_counter() - t0, n

    out.append(Contender("c", "fantasy Agent.agenerate", run_agenerate, True))
    out.append(Contender("d", "fantasy Agent.generate (sync)", run_generate, False))

    try:
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        pmodel = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=url, api_key=API_KEY))
        pagent = PAgent(pmodel, system_prompt=SYSTEM)

        async def run_pydantic_ai(n: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            for _ in range(n):
                result = await pagent.run(PROMPT)
                assert result.output
            return time.perf_counter() - t0, n

        out.append(Contender("e", "pydantic-ai Agent.run", run_pydantic_ai, True))
    except ImportError:
        pass
    return out


# ----------------------------------------------------------------------------- driver


def _once(loop: asyncio.AbstractEventLoop, c: Contender, n: int) -> tuple[float, int]:
    gc.collect()
    if c.is_async:
        return loop.run_until_complete(c.run(n))  # type: ignore[no-any-return]
    return c.run(n)  # type: ignore[no-any-return]


def measure(
    loop: asyncio.AbstractEventLoop,
    contenders: list[Contender],
    n: int,
    runs: int,
    warmups: int,
) -> None:
    """Round-robin: each round runs every contender once, so drift hits all alike."""
    for c in contenders:
        for _ in range(warmups):
            _, count = _once(loop, c, n)
        if count != n:
            c.note = f"saw {count} text parts for {n} chunks"
    for _ in range(runs):
        for c in contenders:
            seconds, _ = _once(loop, c, n)
            c.samples.append(seconds / n)


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_table(
    title: str, contenders: list[Contender], unit: str, scale: float, floor: str, sdk: str
) -> dict[str, float]:
    med = {c.key: statistics.median(c.samples) for c in contenders if c.samples}
    base = med.get(floor)
    ref = med.get(sdk)
    print(title)
    header = (
        f"  {'':4}{'contender':44}{unit:>10}{'min':>9}{'max':>9}{'÷ httpx':>10}{'÷ openai':>10}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for c in contenders:
        if not c.samples:
            continue
        m = med[c.key]
        print(
            f"  ({c.key}){'':{3 - len(c.key)}}{c.label:44}{m * scale:10.1f}"
            f"{min(c.samples) * scale:9.1f}{max(c.samples) * scale:9.1f}"
            f"{_fmt_ratio(m / base if base else None):>10}"
            f"{_fmt_ratio(m / ref if ref else None):>10}" + (f"   [{c.note}]" if c.note else "")
        )
    print()
    return med


# ----------------------------------------------------------------------------- memory


def memory_check(
    loop: asyncio.AbstractEventLoop, url: str, small: int, big: int, runs: int
) -> None:
    """Peak memory and per-chunk time of fantasy streams of small, big and 2*big chunks.

    A stream's peak has a fixed part (the HTTP read buffers and the events of one
    network read) plus a part per chunk (the deltas kept until the text is joined).
    Linear growth shows as the same bytes per chunk between every pair of sizes;
    re-joining accumulated text per chunk would double it at each doubling.
    """
    import fantasy
    from fantasy.providers import openai as fopenai

    provider = fopenai.Provider(api_key=API_KEY, base_url=url)
    agent = fantasy.Agent(provider.language_model(MODEL), system_prompt=SYSTEM)
    sizes = (small, big, 2 * big)

    async def run(n: int) -> tuple[float, str]:
        t0 = time.perf_counter()
        stream = agent.astream(PROMPT, max_output_tokens=n)
        async for _ in stream:
            pass
        text = stream.result.text
        return time.perf_counter() - t0, text

    for n in sizes:  # warm the connection and the server's cache; check the text
        _, text = loop.run_until_complete(run(n))
        assert text == text_of(n), "fantasy's streamed text differs from what the server sent"

    per_chunk: dict[int, float] = {}
    for n in sizes:
        samples = []
        for _ in range(runs):
            gc.collect()
            seconds, _ = loop.run_until_complete(run(n))
            samples.append(seconds / n)
        per_chunk[n] = statistics.median(samples)

    peaks: dict[int, int] = {}
    for n in sizes:
        gc.collect()
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            _, text = loop.run_until_complete(run(n))
            peaks[n] = tracemalloc.get_traced_memory()[1] - start
            del text
        finally:
            tracemalloc.stop()

    print(f"Memory and linearity: fantasy Agent.astream of {', '.join(f'{n:,}' for n in sizes)}")
    print("  peak = tracemalloc peak during one stream, above what was allocated before it;")
    print(f"  time = median of {runs} untraced runs")
    print(f"  {'chunks':>8}{'peak (KiB)':>14}{'µs/chunk':>12}")
    for n in sizes:
        print(f"  {n:>8,}{peaks[n] / 1024:>14.1f}{per_chunk[n] * 1e6:>12.1f}")
    slope1 = (peaks[big] - peaks[small]) / (big - small)
    slope2 = (peaks[2 * big] - peaks[big]) / big
    fixed = peaks[small] - slope1 * small
    print(
        f"  peak ratio {big:,}/{small:,} = {peaks[big] / peaks[small]:.2f}x for "
        f"{big / small:g}x the chunks: below {big / small:g}x because of a fixed "
        f"~{fixed / 1024:.0f} KiB (read buffers), not per chunk"
    )
    print(
        f"  bytes per chunk: {slope1:.0f} B from {small:,} to {big:,}, {slope2:.0f} B from "
        f"{big:,} to {2 * big:,} (ratio {slope2 / slope1:.2f}: 1 = linear, 2 = quadratic)"
    )
    print(
        f"  per-chunk time ratio {big:,}/{small:,} = {per_chunk[big] / per_chunk[small]:.2f}x, "
        f"{2 * big:,}/{small:,} = {per_chunk[2 * big] / per_chunk[small]:.2f}x (flat = 1.0)"
    )
    print()


# ----------------------------------------------------------------------------- profile


def profile_fantasy(loop: asyncio.AbstractEventLoop, url: str, n: int, sync: bool) -> None:
    import cProfile
    import pstats

    import fantasy
    from fantasy.providers import openai as fopenai

    provider = fopenai.Provider(api_key=API_KEY, base_url=url)
    agent = fantasy.Agent(provider.language_model(MODEL), system_prompt=SYSTEM)

    async def run() -> None:
        async for _ in agent.astream(PROMPT, max_output_tokens=n):
            pass

    def run_sync() -> None:
        for _ in agent.stream(PROMPT, max_output_tokens=n):
            pass

    for _ in range(2):
        run_sync() if sync else loop.run_until_complete(run())
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        run_sync() if sync else loop.run_until_complete(run())
    prof.disable()
    face = "Agent.stream (sync)" if sync else "Agent.astream"
    print(f"cProfile of fantasy {face}, 3 streams x {n:,} chunks, by own time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    print("  ... by cumulative time:")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chunks", type=int, default=2000, help="text chunks per stream")
    p.add_argument("--runs", type=int, default=7, help="measured runs per contender")
    p.add_argument("--warmups", type=int, default=2, help="warm-up runs per contender")
    p.add_argument("--calls", type=int, default=200, help="sequential calls per call round")
    p.add_argument("--call-rounds", type=int, default=3, help="measured rounds of --calls")
    p.add_argument(
        "--big", type=int, default=20000, help="long stream (and 2x) for the memory check"
    )
    p.add_argument("--only", default="", help="comma-separated contender keys, e.g. a,b,c")
    p.add_argument("--skip-calls", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--profile", action="store_true", help="cProfile fantasy's stream and exit")
    p.add_argument("--profile-sync", action="store_true", help="profile the sync face instead")
    args = p.parse_args(argv)

    only = {k for k in args.only.split(",") if k}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    print(
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
        "loopback server in a subprocess"
    )
    versions = []
    for dist in ("httpx", "httpx2", "openai", "pydantic-ai-slim", "fantasy"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            pass
    print("  " + ", ".join(versions))
    print()
    with serve(prewarm=(args.chunks, args.big, 2 * args.big)) as url:
        if args.profile or args.profile_sync:
            profile_fantasy(loop, url, args.chunks, args.profile_sync)
            return

        streams = [c for c in stream_contenders(url) if not only or c.key in only]
        measure(loop, streams, args.chunks, args.runs, args.warmups)
        med = print_table(
            f"Streaming: one stream of {args.chunks:,} text chunks; median of {args.runs} "
            f"runs after {args.warmups} warm-ups (µs per chunk, whole request included)",
            streams,
            "µs/chunk",
            1e6,
            "a",
            "b",
        )

        call_med: dict[str, float] = {}
        if not args.skip_calls:
            calls = [c for c in call_contenders(url) if not only or c.key in only]
            for c in calls:  # warm-up: 20 calls each
                _once(loop, c, 20)
            for _ in range(args.call_rounds):
                for c in calls:
                    seconds, _ = _once(loop, c, args.calls)
                    c.samples.append(seconds / args.calls)
            call_med = print_table(
                f"Non-streamed: {args.calls} sequential calls per round; median of "
                f"{args.call_rounds} rounds after 20 warm-up calls (ms per call)",
                calls,
                "ms/call",
                1e3,
                "a",
                "b",
            )

        print("Ratios against DESIGN §6 goals")
        for key, label in (("c", "Agent.astream"), ("d", "Agent.stream (sync)")):
            if key in med and "a" in med:
                line = f"  stream  fantasy {label:22} ÷ bare httpx = {med[key] / med['a']:.2f}x"
                line += " (goal ≤ 1.5x)"
                if "b" in med:
                    line += f";  ÷ openai SDK = {med[key] / med['b']:.2f}x (goal < 1)"
                print(line)
        for key, label in (("c", "Agent.agenerate"), ("d", "Agent.generate (sync)")):
            if key in call_med and "a" in call_med:
                line = f"  call    fantasy {label:22} ÷ bare httpx = "
                line += f"{call_med[key] / call_med['a']:.2f}x"
                if "b" in call_med:
                    line += f";  ÷ openai SDK = {call_med[key] / call_med['b']:.2f}x (goal < 1)"
                print(line)
        print()

        if not args.skip_memory:
            memory_check(loop, url, args.chunks, args.big, args.runs)
    loop.close()


if __name__ == "__main__":
    main()
