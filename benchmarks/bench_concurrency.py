"""N concurrent agent streams against the local server: cost per chunk and memory per stream.

Each round starts N streams at once (``asyncio.gather``) on one client (one provider,
one SDK client, one agent), each of ``--chunks`` text chunks. The server (`server.py`,
a subprocess) holds every stream after its first event until N of the round have
arrived, so that all N are really in flight together (a client whose pool cannot
open N connections sends nothing new for 0.5 s, and then the held ones go on). The
contenders:

  (a)  bare httpx.AsyncClient (httpx's default pool) + aiter_lines + json.loads: the floor
  (a1) the same loop on fantasy's pool (`fantasy.http.pool.async_client`)
  (b)  the openai SDK, AsyncOpenAI streaming
  (c)  fantasy Agent.astream (the provider's own pool)
  (c1) fantasy Agent.astream over a caller's httpx.AsyncClient (httpx's default pool)
  (e)  pydantic-ai Agent.run_stream + stream_text(delta=True, debounce_by=None)

Per N, per contender: µs per chunk (wall time of the round / all its chunks; and the
client's CPU time / chunks, which a busy machine disturbs less), each as a ratio to the
same contender's N=1, the most streams the server saw in flight at once, and memory per
stream (how much the peak RSS grows during one more round, in a fresh process, / N).

    python benchmarks/bench_concurrency.py [--streams 1,100,1000] [--chunks 100]
                                           [--runs 3] [--only a,c] [--skip-memory]
                                           [--own-limits 1000,20] [--profile N]

Numbers are medians; the machine is noisy, so compare ratios within a run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import SERVER_PIDS, serve

MODEL = "gpt-4o-mini"
SYSTEM = "You are a helpful assistant"
PROMPT = "Say hi in Portuguese"
API_KEY = "sk-bench"
MIN_CHUNKS_PER_SAMPLE = 5000
"""A sample of few streams repeats the round until it has read at least this many chunks."""

Stream = Callable[[int, dict[str, str]], Awaitable[int]]
"""(chunks, extra headers) -> text chunks seen."""


@dataclass
class Contender:
    key: str
    label: str
    stream: Stream
    wall: dict[int, list[float]] = field(default_factory=dict)
    """Per N: seconds per chunk of each sampled round."""
    cpu: dict[int, list[float]] = field(default_factory=dict)
    peak: dict[int, int] = field(default_factory=dict)
    memory: dict[int, float] = field(default_factory=dict)
    """Per N: bytes per stream."""
    note: str = ""
    failed: set[int] = field(default_factory=set)
    """The N at which a round raised (the error is in ``note``): not run again."""


def _messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]


# ----------------------------------------------------------------------------- contenders


def contenders(url: str, own_limits: str = "") -> list[Contender]:
    import httpx

    import fantasy
    from fantasy.http.pool import async_client
    from fantasy.providers import openai as fopenai

    out: list[Contender] = []
    base_headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    def bare(client: Any) -> Stream:
        async def run(n: int, extra: dict[str, str]) -> int:
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
                "POST",
                f"{url}/chat/completions",
                content=body,
                headers={**base_headers, **extra},
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
            return count

        return run

    # httpx's default pool, with fantasy's timeout: httpx's 5 s pool timeout would fail
    # the streams queued behind the first hundred.
    timeout = httpx.Timeout(600, connect=10)
    out.append(
        Contender("a", "bare httpx, httpx's default pool", bare(httpx.AsyncClient(timeout=timeout)))
    )
    out.append(Contender("a1", "bare httpx, fantasy's pool", bare(async_client(timeout))))

    try:
        from openai import AsyncOpenAI

        # 600 s for every wait, as fantasy's read timeout: the SDK's 5 s to connect is
        # not always enough for the thousandth connection of a busy event loop.
        oai = AsyncOpenAI(api_key=API_KEY, base_url=url, max_retries=0, timeout=600.0)

        async def run_openai(n: int, extra: dict[str, str]) -> int:
            count = 0
            stream = await oai.chat.completions.create(
                model=MODEL,
                messages=_messages(),  # type: ignore[arg-type]
                max_tokens=n,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=extra,
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    count += 1
            return count

        out.append(Contender("b", "openai SDK AsyncOpenAI stream", run_openai))
    except ImportError:
        print("openai is not installed: skipping (b)", file=sys.stderr)

    text_delta = fantasy.StreamPartType.TEXT_DELTA

    def agent_stream(agent: fantasy.Agent) -> Stream:
        async def run(n: int, extra: dict[str, str]) -> int:
            count = 0
            stream = agent.astream(PROMPT, max_output_tokens=n, headers=extra)
            async for part in stream:
                if part.type is text_delta:
                    count += 1
            _ = stream.result
            return count

        return run

    provider = fopenai.Provider(api_key=API_KEY, base_url=url)
    agent = fantasy.Agent(provider.language_model(MODEL), system_prompt=SYSTEM)
    out.append(Contender("c", "fantasy Agent.astream", agent_stream(agent)))
    label = "fantasy, caller's httpx.AsyncClient"
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's default
    if own_limits:
        most, kept = (None if x == "none" else int(x) for x in own_limits.split(","))
        limits = httpx.Limits(max_connections=most, max_keepalive_connections=kept)
        label = f"fantasy, caller's AsyncClient({own_limits})"
    own_client = httpx.AsyncClient(timeout=timeout, limits=limits)
    own = fopenai.Provider(api_key=API_KEY, base_url=url, async_http_client=own_client)
    own_agent = fantasy.Agent(own.language_model(MODEL), system_prompt=SYSTEM)
    out.append(Contender("c1", label, agent_stream(own_agent)))

    try:
        from openai import AsyncOpenAI
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        # The SDK client of (b), waits included: its 5 s to connect fails at 1,000 streams.
        pclient = AsyncOpenAI(api_key=API_KEY, base_url=url, max_retries=0, timeout=600.0)
        pmodel = OpenAIChatModel(MODEL, provider=OpenAIProvider(openai_client=pclient))
        pagent = PAgent(pmodel, system_prompt=SYSTEM)

        async def run_pydantic_ai(n: int, extra: dict[str, str]) -> int:
            count = 0
            settings: Any = {"max_tokens": n, "extra_headers": extra}
            async with pagent.run_stream(PROMPT, model_settings=settings) as result:
                async for _ in result.stream_text(delta=True, debounce_by=None):
                    count += 1
            return count

        out.append(Contender("e", "pydantic-ai Agent.run_stream", run_pydantic_ai))
    except ImportError as exc:
        print(f"pydantic-ai is not usable ({exc}): skipping (e)", file=sys.stderr)
    return out


# ----------------------------------------------------------------------------- driver

_round_ids = itertools.count(1)


def _server_cpu() -> float:
    """CPU seconds the server process has used (Linux; 0 elsewhere)."""
    try:
        with open(f"/proc/{SERVER_PIDS[-1]}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _round_stats(url: str, round_id: str) -> dict[str, Any]:
    base = url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{base}/bench/round/{round_id}", timeout=10) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


async def _round(c: Contender, url: str, n: int, chunks: int) -> tuple[int, int]:
    """N streams at once; returns (text chunks seen, most in flight at the server)."""
    if n == 1:
        return await c.stream(chunks, {}), 1
    round_id = f"{os.getpid()}-{next(_round_ids)}"
    extra = {"X-Bench-Round": round_id, "X-Bench-Hold": str(n)}
    counts = await asyncio.gather(*(c.stream(chunks, extra) for _ in range(n)))
    return sum(counts), int(_round_stats(url, round_id)["peak"])


def sample(
    loop: asyncio.AbstractEventLoop, c: Contender, url: str, n: int, chunks: int
) -> tuple[float, float, float]:
    """One sample: (wall s/chunk, cpu s/chunk, server cpu share), repeating small rounds."""
    repeats = max(1, -(-MIN_CHUNKS_PER_SAMPLE // (n * chunks)))
    gc.collect()
    s0, c0, t0 = _server_cpu(), time.process_time(), time.perf_counter()
    seen = peak = 0
    for _ in range(repeats):
        got, top = loop.run_until_complete(_round(c, url, n, chunks))
        seen += got
        peak = max(peak, top)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    total = repeats * n * chunks
    if seen != total and not c.note:
        c.note = f"saw {seen} text chunks of {total}"
    c.peak[n] = max(c.peak.get(n, 0), peak)
    return wall / total, cpu / total, (_server_cpu() - s0) / wall


CHILD_OPTIONS: list[str] = []
"""The options a memory-measuring child process is started with (those of this run)."""


def measure_memory(
    loop: asyncio.AbstractEventLoop, c: Contender, url: str, n: int, chunks: int
) -> None:
    """How much the peak RSS grows during one round of N, per stream: in a fresh
    process (so that no other contender's freed memory is reused), after a round of one
    (imports done, first connection open)."""
    child = [sys.executable, os.path.abspath(__file__), *CHILD_OPTIONS]
    child += ["--chunks", str(chunks), "--memory-child", f"{c.key},{n},{url}"]
    out = subprocess.run(child, capture_output=True, text=True, check=True, timeout=1800)
    c.memory[n] = float(out.stdout.strip().splitlines()[-1])


def _status_bytes(name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no {name} in /proc/self/status")


def _memory_child(spec: str, chunks: int, own_limits: str) -> None:
    key, n, url = spec.split(",", 2)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    (c,) = [c for c in contenders(url, own_limits) if c.key == key]
    loop.run_until_complete(_round(c, url, 1, chunks))  # imports, first connection
    gc.collect()
    try:  # Linux: reset the high-water mark to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_bytes("VmRSS")
        loop.run_until_complete(_round(c, url, int(n), chunks))
        grown = _status_bytes("VmHWM") - before
    except OSError:  # elsewhere: the process's peak so far (bytes on macOS, KiB on Linux)
        scale = 1 if sys.platform == "darwin" else 1024
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        loop.run_until_complete(_round(c, url, int(n), chunks))
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * scale
    print(grown / int(n))


def guarded(run: Callable[..., Any], loop: Any, c: Contender, url: str, n: int, chunks: int) -> Any:
    """``run(...)``, unless this contender already failed at this N; a failure is noted."""
    if n in c.failed:
        return None
    try:
        return run(loop, c, url, n, chunks)
    except Exception as exc:
        c.failed.add(n)
        c.note = f"N = {n:,} failed: {type(exc).__name__}: {exc}"[:150]
        print(f"({c.key}) {c.note}", file=sys.stderr)
        return None


def raise_fd_limit(streams: int) -> None:
    """Each stream holds a socket (and the server, a process of its own, another)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = streams + 256
    if soft >= want:
        return
    target = want if hard == resource.RLIM_INFINITY else min(hard, want)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < want:
        print(f"warning: open files limited to {target}; {streams} streams may fail")


# ----------------------------------------------------------------------------- report


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def report(cs: list[Contender], ns: list[int], chunks: int, runs: int) -> None:
    base = ns[0]
    for n in ns:
        print(
            f"N = {n:,} concurrent stream{'s' if n > 1 else ''} x {chunks} chunks "
            f"(median of {runs}; ratios to N = {base:,} of the same contender)"
        )
        print(
            f"  {'':5}{'contender':38}{'µs/chunk':>9}{'xN=' + str(base):>8}"
            f"{'cpu µs':>9}{'xN=' + str(base):>8}{'in flight':>11}{'KiB/stream':>12}"
        )
        print("  " + "-" * 98)
        for c in cs:
            if n not in c.wall or base not in c.wall:
                continue
            wall, cpu = _med(c.wall[n]), _med(c.cpu[n])
            w1, c1 = _med(c.wall[base]), _med(c.cpu[base])
            mem = f"{c.memory[n] / 1024:12.1f}" if n in c.memory else f"{'-':>12}"
            print(
                f"  ({c.key}){'':{3 - len(c.key)}}{c.label:38}{wall * 1e6:9.1f}{wall / w1:7.2f}x"
                f"{cpu * 1e6:9.1f}{cpu / c1:7.2f}x{c.peak[n]:>11,}{mem}"
                + (f"   [{c.note}]" if c.note else "")
            )
        print()


def profile(loop: asyncio.AbstractEventLoop, c: Contender, url: str, n: int, chunks: int) -> None:
    import cProfile
    import pstats

    loop.run_until_complete(_round(c, url, n, chunks))
    prof = cProfile.Profile()
    prof.enable()
    loop.run_until_complete(_round(c, url, n, chunks))
    prof.disable()
    print(f"cProfile of ({c.key}) {c.label}, {n:,} streams x {chunks} chunks, by own time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--streams", default="1,100,1000", help="comma-separated N (first = base)")
    p.add_argument("--chunks", type=int, default=100, help="text chunks per stream")
    p.add_argument("--runs", type=int, default=3, help="measured rounds per contender and N")
    p.add_argument("--only", default="", help="comma-separated contender keys, e.g. a1,c")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument(
        "--own-limits",
        default="",
        help="max_connections,max_keepalive_connections of (c1)'s client (default: httpx's)",
    )
    p.add_argument("--profile", type=int, default=0, help="cProfile fantasy at N streams, exit")
    p.add_argument("--memory-child", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        raise_fd_limit(int(args.memory_child.split(",")[1]))
        _memory_child(args.memory_child, args.chunks, args.own_limits)
        return
    ns = [int(x) for x in args.streams.split(",") if x]
    if args.own_limits:
        CHILD_OPTIONS.extend(["--own-limits", args.own_limits])
    only = {k for k in args.only.split(",") if k}
    raise_fd_limit(max([*ns, args.profile]))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    print(
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
        "loopback server in a subprocess (one asyncio loop)"
    )
    versions = []
    for dist in ("httpx", "httpcore", "openai", "pydantic-ai-slim", "fantasy"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            pass
    print("  " + ", ".join(versions))
    print()
    with serve(prewarm=(args.chunks,)) as url:
        cs = [c for c in contenders(url, args.own_limits) if not only or c.key in only]
        if args.profile:
            profile(loop, next(c for c in cs if c.key == "c"), url, args.profile, args.chunks)
            return
        busy: list[float] = []
        for n in ns:
            for c in cs:  # warm-up: connections opened, caches filled
                guarded(sample, loop, c, url, n, args.chunks)
            for _ in range(args.runs):  # round-robin: drift hits every contender alike
                for c in cs:
                    got = guarded(sample, loop, c, url, n, args.chunks)
                    if got is not None:
                        wall, cpu, server = got
                        c.wall.setdefault(n, []).append(wall)
                        c.cpu.setdefault(n, []).append(cpu)
                        busy.append(server)
            if not args.skip_memory:
                for c in cs:
                    guarded(measure_memory, loop, c, url, n, args.chunks)
        report(cs, ns, args.chunks, args.runs)
        print(
            f"server process: busy {statistics.median(busy):.0%} of the wall time "
            f"(median over rounds; max {max(busy):.0%}): it is not what is measured"
        )
        top = ns[-1]
        for c in cs:
            if c.key == "c" and top in c.wall:
                print(
                    f"goal: fantasy Agent.astream at N = {top:,} costs "
                    f"{_med(c.wall[top]) / _med(c.wall[ns[0]]):.2f}x (wall), "
                    f"{_med(c.cpu[top]) / _med(c.cpu[ns[0]]):.2f}x (cpu) per chunk of "
                    f"N = {ns[0]:,} (goal ≤ 1.2x)"
                )
    loop.close()


if __name__ == "__main__":
    main()
