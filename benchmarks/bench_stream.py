"""Per-chunk and per-call cost of fantasy against its floor and its peers, in one run.

Every contender talks to the same local OpenAI-compatible server (`server.py`,
started here in a subprocess) and reads the same stream of text chunks:

  (r) a raw asyncio socket, hand-rolled HTTP/1.1 (chunked and Content-Length), one
      json.loads per SSE event, no library (`floor.py`): the floor
  (a) bare httpx.AsyncClient + aiter_lines + json.loads: the floor of httpx users
  (a2) the same loop on httpx2 (the HTTP client under openai 3.x and pydantic-ai)
  (b) the raw openai SDK, AsyncOpenAI streaming
  (c0) fantasy LanguageModel.astream (the provider alone, no agent loop)
  (p) fantasy's own stream parsing (SSE, JSON, translator: `StreamPump`) fed by the raw
      floor's socket: what a thin HTTP path under fantasy could reach (not an API)
  (c) fantasy Agent.astream over the openai provider
  (d) fantasy Agent.stream (the sync face)
  (e) pydantic-ai Agent.run_stream + stream_text(delta=True, debounce_by=None)

Then non-streamed calls (sequential, one connection kept alive), the time to the
first token (from the call to the first text, minus the server's own delay),
structured output streamed per delta (typed partial objects against the floor), and
a memory and linearity check of a fantasy stream of N vs 10·N chunks.

    python benchmarks/bench_stream.py [--chunks 2000] [--runs 7] [--warmups 2]
                                      [--calls 200] [--call-rounds 3] [--big 20000]
                                      [--ttft 50] [--ttft-delay 20] [--object-deltas 2000]
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

from floor import RawConnection, sse_json
from server import object_document, serve, text_of

MODEL = "gpt-4o-mini"
SYSTEM = "You are a helpful assistant"
PROMPT = "Say hi in Portuguese"
API_KEY = "sk-bench"
RAW_AUTH = f"Authorization: Bearer {API_KEY}\r\n"

Runner = Callable[[int], Any]  # n -> (seconds, text chunks seen); may return an awaitable


@dataclass
class Contender:
    key: str
    label: str
    run: Runner
    is_async: bool
    samples: list[float] = field(default_factory=list)  # seconds per item
    cpu: list[float] = field(default_factory=list)  # CPU seconds of this process per item
    last_cpu: float = 0.0
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
    raw = RawConnection(url)

    async def run_raw(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        body = json.dumps(
            {
                "model": MODEL,
                "messages": _messages(),
                "max_tokens": n,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        ).encode()
        count = 0
        async for chunk in sse_json(raw.post("/chat/completions", body, RAW_AUTH)):
            for choice in chunk["choices"]:  # type: ignore[attr-defined]
                if choice["delta"].get("content"):
                    count += 1
        return time.perf_counter() - t0, count

    out.append(Contender("r", "raw socket + HTTP/1.1 by hand + json.loads", run_raw, True))

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

    from fantasy.http.shell import StreamPump
    from fantasy.providers.openai.sse_stream import openai_events

    pipe_raw = RawConnection(url)

    async def pump_parts(n: int) -> Any:
        body = json.dumps(
            {
                "model": MODEL,
                "messages": _messages(),
                "max_tokens": n,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        ).encode()
        pump = StreamPump(openai_events("openai", url), model.codec.new_stream([]), "openai", url)
        for part in pump.start():
            yield part
        async for piece in pipe_raw.post("/chat/completions", body, RAW_AUTH):
            for part in pump.feed(piece):
                yield part
        for part in pump.finish():
            yield part

    async def run_pipeline_raw(n: int) -> tuple[float, int]:
        """What fantasy's own stream work costs without an HTTP library: its framing and
        translator (`StreamPump`), parts handed on by an async generator, on the raw
        floor's socket. Not an API: the measure of what a thin transport could reach."""
        t0 = time.perf_counter()
        count = 0
        async for part in pump_parts(n):
            if part.type is text_delta:
                count += 1
        return time.perf_counter() - t0, count

    out.append(Contender("c0", "fantasy LanguageModel.astream (no agent)", run_model, True))
    out.append(Contender("p", "fantasy's parsing alone, on the raw socket", run_pipeline_raw, True))
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
    raw = RawConnection(url)

    async def run_raw(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        for _ in range(n):
            body = json.dumps({"model": MODEL, "messages": _messages()}).encode()
            content = b"".join([p async for p in raw.post("/chat/completions", body, RAW_AUTH)])
            data = json.loads(content)
            assert data["choices"][0]["message"]["content"]
        return time.perf_counter() - t0, n

    out.append(Contender("r", "raw socket post + json.loads", run_raw, True))

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


# ----------------------------------------------------------------------------- first token


_TTFT_CPU = [0.0, 0.0]
"""The process CPU time at the call and the CPU time it took to the first text."""


def _ttft_start() -> float:
    _TTFT_CPU[0] = time.process_time()
    return time.perf_counter()


def _ttft_first(t0: float) -> float:
    _TTFT_CPU[1] = time.process_time() - _TTFT_CPU[0]
    return time.perf_counter() - t0


def ttft_contenders(url: str, delay_ms: int) -> list[Contender]:
    """Contenders timing the call to the first text (``run(n)`` returns that time, and the
    stream's text chunks); the server waits ``delay_ms`` before it answers."""
    import fantasy
    from fantasy.providers import openai as fopenai

    base = url.replace("/v1", f"/delay/{delay_ms}/v1")
    out: list[Contender] = []
    raw = RawConnection(base)

    async def run_raw(n: int) -> tuple[float, int]:
        t0 = _ttft_start()
        first = 0.0
        body = json.dumps(
            {"model": MODEL, "messages": _messages(), "max_tokens": n, "stream": True}
        ).encode()
        count = 0
        async for chunk in sse_json(raw.post("/chat/completions", body, RAW_AUTH)):
            for choice in chunk["choices"]:  # type: ignore[attr-defined]
                if choice["delta"].get("content"):
                    count += 1
                    if count == 1:
                        first = _ttft_first(t0)
        return first, count

    out.append(Contender("r", "raw socket + HTTP/1.1 by hand + json.loads", run_raw, True))

    try:
        from openai import AsyncOpenAI

        oai = AsyncOpenAI(api_key=API_KEY, base_url=base, max_retries=0)

        async def run_openai(n: int) -> tuple[float, int]:
            t0 = _ttft_start()
            first = 0.0
            count = 0
            stream = await oai.chat.completions.create(
                model=MODEL,
                messages=_messages(),  # type: ignore[arg-type]
                max_tokens=n,
                stream=True,
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    count += 1
                    if count == 1:
                        first = _ttft_first(t0)
            return first, count

        out.append(Contender("b", "openai SDK AsyncOpenAI stream", run_openai, True))
    except ImportError:
        print("openai is not installed: skipping (b)", file=sys.stderr)

    agent = fantasy.Agent(
        fopenai.Provider(api_key=API_KEY, base_url=base).language_model(MODEL),
        system_prompt=SYSTEM,
    )
    text_delta = fantasy.StreamPartType.TEXT_DELTA

    async def run_astream(n: int) -> tuple[float, int]:
        t0 = _ttft_start()
        first = 0.0
        count = 0
        async for part in agent.astream(PROMPT, max_output_tokens=n):
            if part.type is text_delta:
                count += 1
                if count == 1:
                    first = _ttft_first(t0)
        return first, count

    def run_stream(n: int) -> tuple[float, int]:
        t0 = _ttft_start()
        first = 0.0
        count = 0
        for part in agent.stream(PROMPT, max_output_tokens=n):
            if part.type is text_delta:
                count += 1
                if count == 1:
                    first = _ttft_first(t0)
        return first, count

    out.append(Contender("c", "fantasy Agent.astream", run_astream, True))
    out.append(Contender("d", "fantasy Agent.stream (sync)", run_stream, False))

    try:
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        pmodel = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=base, api_key=API_KEY))
        pagent = PAgent(pmodel, system_prompt=SYSTEM)

        async def run_pydantic_ai(n: int) -> tuple[float, int]:
            t0 = _ttft_start()
            first = 0.0
            count = 0
            async with pagent.run_stream(PROMPT, model_settings={"max_tokens": n}) as result:
                async for _ in result.stream_text(delta=True, debounce_by=None):
                    count += 1
                    if count == 1:
                        first = _ttft_first(t0)
            return first, count

        out.append(
            Contender("e", "pydantic-ai Agent.run_stream (stream_text)", run_pydantic_ai, True)
        )
    except ImportError as exc:
        print(f"pydantic-ai is not usable ({exc}): skipping (e)", file=sys.stderr)
    return out


def time_to_first_token(
    loop: asyncio.AbstractEventLoop, url: str, runs: int, delay_ms: int, only: set[str]
) -> None:
    """Median time from the call to its first text, minus the server's ``delay_ms``."""
    contenders = [c for c in ttft_contenders(url, delay_ms) if not only or c.key in only]
    n = 20
    for c in contenders:  # warm-up: connection open, code paths run once
        for _ in range(3):
            _once(loop, c, n)
    for _ in range(runs):
        for c in contenders:
            first, _ = _once(loop, c, n)
            c.samples.append(first - delay_ms / 1000)
            c.cpu.append(_TTFT_CPU[1])
    print(
        f"Time to first token: from the call to the first text part, minus the server's "
        f"{delay_ms} ms delay; median of {runs} (ms; connection kept alive); cpu: the "
        "client's CPU time from the call to the first text"
    )
    header = (
        f"  {'':4}{'contender':44}{'ms':>8}{'min':>8}{'max':>8}{'÷ raw':>9}{'÷ openai':>10}"
        f"{'cpu ms':>8}{'cpu ÷ raw':>11}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    med = {c.key: statistics.median(c.samples) for c in contenders}
    cpu = {c.key: statistics.median(c.cpu) for c in contenders}
    for c in contenders:
        m = med[c.key]
        raw_ratio = _fmt_ratio(m / med["r"] if med.get("r") else None)
        sdk_ratio = _fmt_ratio(m / med["b"] if med.get("b") else None)
        cpu_ratio = _fmt_ratio(cpu[c.key] / cpu["r"] if cpu.get("r") else None)
        print(
            f"  ({c.key}){'':{3 - len(c.key)}}{c.label:44}{m * 1e3:8.2f}"
            f"{min(c.samples) * 1e3:8.2f}{max(c.samples) * 1e3:8.2f}{raw_ratio:>9}{sdk_ratio:>10}"
            f"{cpu[c.key] * 1e3:8.2f}{cpu_ratio:>11}"
        )
    print()


# ----------------------------------------------------------------------------- objects


def object_contenders(url: str) -> list[Contender]:
    """Structured output streamed as typed partial objects, per delta, against the floor
    reading the same stream (the server spells a JSON object in 4-character deltas)."""
    from pydantic import BaseModel

    import fantasy
    from fantasy.providers import openai as fopenai

    class Record(BaseModel):
        id: int
        name: str
        tags: list[str]

    class Records(BaseModel):
        items: list[Record]

    schema_format = {
        "type": "json_schema",
        "json_schema": {"name": "records", "schema": Records.model_json_schema()},
    }
    out: list[Contender] = []
    raw = RawConnection(url)

    async def run_raw(n: int) -> tuple[float, int]:
        """The floor: the deltas joined once at the end, parsed and validated once."""
        t0 = time.perf_counter()
        body = json.dumps(
            {
                "model": MODEL,
                "messages": _messages(),
                "max_tokens": n,
                "stream": True,
                "response_format": schema_format,
            }
        ).encode()
        deltas: list[str] = []
        async for chunk in sse_json(raw.post("/chat/completions", body, RAW_AUTH)):
            for choice in chunk["choices"]:  # type: ignore[attr-defined]
                text = choice["delta"].get("content")
                if text:
                    deltas.append(text)
        Records.model_validate_json("".join(deltas))
        return time.perf_counter() - t0, len(deltas)

    out.append(Contender("r", "raw socket + json.loads, validated at the end", run_raw, True))

    model = fopenai.Provider(api_key=API_KEY, base_url=url).language_model(MODEL)

    async def run_partial(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        stream = fantasy.astream_object(model, PROMPT, Records, max_output_tokens=n)
        async for _ in stream.partial_objects():
            pass
        return time.perf_counter() - t0, n

    def run_partial_sync(n: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        stream = fantasy.stream_object(model, PROMPT, Records, max_output_tokens=n)
        for _ in stream.partial_objects():
            pass
        return time.perf_counter() - t0, n

    out.append(Contender("c", "fantasy astream_object().partial_objects()", run_partial, True))
    out.append(
        Contender("d", "fantasy stream_object().partial_objects() (sync)", run_partial_sync, False)
    )
    return out


def objects_per_delta(
    loop: asyncio.AbstractEventLoop, url: str, n: int, runs: int, warmups: int, only: set[str]
) -> None:
    contenders = [c for c in object_contenders(url) if not only or c.key in only]
    deltas = len(object_document(n)) // 4 + 1
    measure(loop, contenders, n, runs, warmups)
    for c in contenders:  # measure() divides by n: per delta instead
        c.samples = [x * n / deltas for x in c.samples]
        c.cpu = [x * n / deltas for x in c.cpu]
        c.note = ""
    print_table(
        f"Structured output: one object streamed as {deltas:,} deltas of 4 characters, "
        f"typed partial objects; median of {runs} runs after {warmups} warm-ups (µs per delta)",
        contenders,
        "µs/delta",
        1e6,
        "a",
        "b",
    )


# ----------------------------------------------------------------------------- driver


def _once(loop: asyncio.AbstractEventLoop, c: Contender, n: int) -> tuple[float, int]:
    """One run (after a full collection); its process CPU time goes to ``c.last_cpu``."""
    gc.collect()
    cpu0 = time.process_time()
    if c.is_async:
        out: tuple[float, int] = loop.run_until_complete(c.run(n))
    else:
        out = c.run(n)
    c.last_cpu = time.process_time() - cpu0
    return out


def measure(
    loop: asyncio.AbstractEventLoop,
    contenders: list[Contender],
    n: int,
    runs: int,
    warmups: int,
) -> None:
    """Round-robin: each round runs every contender once, so drift hits all alike."""
    for c in contenders:
        count = n
        for _ in range(warmups):
            _, count = _once(loop, c, n)
        if count != n:
            c.note = f"saw {count} text parts for {n} chunks"
    for _ in range(runs):
        for c in contenders:
            seconds, _ = _once(loop, c, n)
            c.cpu.append(c.last_cpu / n)
            c.samples.append(seconds / n)


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_table(
    title: str,
    contenders: list[Contender],
    unit: str,
    scale: float,
    floor: str,
    sdk: str,
    raw_floor: str = "r",
) -> dict[str, float]:
    med = {c.key: statistics.median(c.samples) for c in contenders if c.samples}
    base = med.get(floor)
    ref = med.get(sdk)
    rawm = med.get(raw_floor)
    print(title)
    cpu = {c.key: statistics.median(c.cpu) for c in contenders if c.cpu}
    header = (
        f"  {'':4}{'contender':44}{unit:>10}{'min':>9}{'max':>9}{'÷ raw':>9}{'÷ httpx':>10}"
        f"{'÷ openai':>10}{'cpu':>8}{'cpu ÷ raw':>11}"
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
            f"{_fmt_ratio(m / rawm if rawm else None):>9}"
            f"{_fmt_ratio(m / base if base else None):>10}"
            f"{_fmt_ratio(m / ref if ref else None):>10}"
            + (
                f"{cpu[c.key] * scale:8.1f}"
                f"{_fmt_ratio(cpu[c.key] / cpu[raw_floor] if raw_floor in cpu else None):>11}"
                if c.key in cpu
                else ""
            )
            + (f"   [{c.note}]" if c.note else "")
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
    p.add_argument("--ttft", type=int, default=30, help="time-to-first-token runs")
    p.add_argument("--ttft-delay", type=int, default=20, help="the server's delay (ms)")
    p.add_argument(
        "--object-deltas", type=int, default=2000, help="deltas of the structured-output stream"
    )
    p.add_argument("--only", default="", help="comma-separated contender keys, e.g. a,b,c")
    p.add_argument("--skip-ttft", action="store_true")
    p.add_argument("--skip-objects", action="store_true")
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
                    c.cpu.append(c.last_cpu / args.calls)
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

        if not args.skip_ttft:
            time_to_first_token(loop, url, args.ttft, args.ttft_delay, only)
        if not args.skip_objects:
            objects_per_delta(loop, url, args.object_deltas, args.runs, args.warmups, only)

        cpu = {c.key: statistics.median(c.cpu) for c in streams if c.cpu}
        print("Ratios against DESIGN §6 goals")
        for key, label in (("c", "Agent.astream"), ("d", "Agent.stream (sync)")):
            if key in med and "r" in med:
                print(
                    f"  stream  fantasy {label:22} ÷ raw socket = {med[key] / med['r']:.2f}x "
                    f"wall, {cpu[key] / cpu['r']:.2f}x CPU (goal ≤ 1.5x)"
                )
            if key in med and "a" in med:
                line = f"  stream  fantasy {label:22} ÷ bare httpx = {med[key] / med['a']:.2f}x"
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
