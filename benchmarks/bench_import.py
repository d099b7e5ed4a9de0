"""Import time of fantasy against its peers, each import in a fresh interpreter.

For each case a new ``python -c`` process times the import statement with
``time.perf_counter()`` (the method of python-anchors.md §4.1) and
``time.process_time()`` (its CPU time, which a loaded machine moves far less) and
counts the modules it added to ``sys.modules``; the parent also records the wall time
and the CPU time of the whole process, interpreter start included (the figures DESIGN
§6 quotes), and subtracts an empty interpreter's for the import budget (issue 23).
Cases run round-robin: 2 warm-up rounds (they also compile bytecode), then the
median of 9.

fantasy defers httpx, pydantic and json-repair until first use, so
``import fantasy`` alone does not show what a program pays before its first
answer. The "+ Provider" case adds building a provider and a model, and the
"first call" cases add one real request to a local server (`server.py`), import
included, for fantasy and for the peers alike.

    python benchmarks/bench_import.py [--runs 9] [--warmups 2] [--no-first-call]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import serve

# Modules whose presence tells what an import really pulled in.
WATCH = (
    "httpx",
    "httpx2",
    "pydantic",
    "openai",
    "anyio",
    "json_repair",
    "asyncio",
    "ssl",
    "mcp",
    "opentelemetry",
    "temporalio",
    "starlette",
    "llama_cpp",
)

PRELUDE = (
    "import sys, time\nm0 = set(sys.modules)\nc0 = time.process_time()\nt0 = time.perf_counter()\n"
)
EPILOGUE = (
    "\nt1 = time.perf_counter()\nc1 = time.process_time()\n"
    "watch = {watch!r}\n"
    "print(t1 - t0, c1 - c0, len(set(sys.modules) - m0),"
    " ','.join(w for w in watch if w in sys.modules))\n"
)


@dataclass
class Case:
    key: str
    label: str
    code: str
    needs_server: bool = False
    times: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    """CPU time of the statement(s), in the process."""
    process_cpus: list[float] = field(default_factory=list)
    """CPU time of the whole process, interpreter start and exit included."""
    modules: int = 0
    loaded: str = ""


FANTASY = "import fantasy, fantasy.providers.openai"
FANTASY_MODEL = (
    "import fantasy\n"
    "from fantasy.providers import openai\n"
    "m = openai.Provider(api_key='sk-bench', base_url='http://127.0.0.1:9/v1')"
    ".language_model('gpt-4o-mini')\n"
    "agent = fantasy.Agent(m, system_prompt='You are a helpful assistant')"
)
FANTASY_CALL = (
    "import os\n"
    "import fantasy\n"
    "from fantasy.providers import openai\n"
    "m = openai.Provider(api_key='sk-bench', base_url=os.environ['BENCH_URL'])"
    ".language_model('gpt-4o-mini')\n"
    "agent = fantasy.Agent(m, system_prompt='You are a helpful assistant')\n"
    "assert agent.generate('Say hi in Portuguese').text"
)
OPENAI_CALL = (
    "import os\n"
    "import openai\n"
    "c = openai.OpenAI(api_key='sk-bench', base_url=os.environ['BENCH_URL'], max_retries=0)\n"
    "r = c.chat.completions.create(model='gpt-4o-mini', messages=["
    "{'role': 'system', 'content': 'You are a helpful assistant'},"
    "{'role': 'user', 'content': 'Say hi in Portuguese'}])\n"
    "assert r.choices[0].message.content"
)
PYDANTIC_AI_CALL = (
    "import os\n"
    "from pydantic_ai import Agent\n"
    "from pydantic_ai.models.openai import OpenAIChatModel\n"
    "from pydantic_ai.providers.openai import OpenAIProvider\n"
    "m = OpenAIChatModel('gpt-4o-mini', "
    "provider=OpenAIProvider(base_url=os.environ['BENCH_URL'], api_key='sk-bench'))\n"
    "agent = Agent(m, system_prompt='You are a helpful assistant')\n"
    "assert agent.run_sync('Say hi in Portuguese').output"
)


def cases(first_call: bool) -> list[Case]:
    out = [
        Case("f", "import fantasy, fantasy.providers.openai", FANTASY),
        Case("fm", "  + Provider() + language_model() + Agent()", FANTASY_MODEL),
        Case("o", "import openai", "import openai"),
        Case("p", "from pydantic_ai import Agent", "from pydantic_ai import Agent"),
        Case(
            "po",
            "  + pydantic_ai.models.openai.OpenAIChatModel",
            "from pydantic_ai import Agent\nfrom pydantic_ai.models.openai import OpenAIChatModel",
        ),
        Case("h", "import httpx", "import httpx"),
        Case("h2", "import httpx2", "import httpx2"),
        Case(
            "hp",
            "import httpx + from pydantic import BaseModel",
            "import httpx\nfrom pydantic import BaseModel",
        ),
        Case("n", "(nothing: interpreter start, wall baseline)", "pass"),
    ]
    if first_call:
        out += [
            Case("fc", "fantasy: import + first Agent.generate", FANTASY_CALL, True),
            Case("oc", "openai: import + first create()", OPENAI_CALL, True),
            Case("pc", "pydantic-ai: import + first run_sync", PYDANTIC_AI_CALL, True),
        ]
    return out


def _available(case: Case) -> bool:
    probe = {"o": "openai", "p": "pydantic_ai", "po": "pydantic_ai", "h2": "httpx2"}
    probe.update({"oc": "openai", "pc": "pydantic_ai"})
    name = probe.get(case.key)
    if name is None:
        return True
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import importlib.util as u, sys; sys.exit(not u.find_spec({name!r}))",
        ],
        capture_output=True,
    )
    return r.returncode == 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_case(case: Case, env: dict[str, str]) -> tuple[float, float, float, float, int, str]:
    """(statement seconds, process wall, statement CPU, process CPU, modules, loaded)."""
    script = PRELUDE + case.code + EPILOGUE.format(watch=WATCH)
    c0 = _children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    process_cpu = _children_cpu() - c0
    if r.returncode != 0:
        raise RuntimeError(f"{case.label} failed:\n{r.stderr}")
    seconds, cpu, modules, loaded = r.stdout.split("\n")[-2].split(" ", 3)
    return float(seconds), wall, float(cpu), process_cpu, int(modules), loaded


def importtime_rows(code: str, env: dict[str, str]) -> list[tuple[int, int, str]]:
    """``-X importtime`` for ``code`` in a fresh process: (self µs, cumulative µs, name)."""
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env
    )
    rows: list[tuple[int, int, str]] = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|", 2)
        rows.append((int(self_us), int(cumulative), name.strip()))
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--warmups", type=int, default=2)
    p.add_argument("--no-first-call", action="store_true", help="skip the first-call cases")
    args = p.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    todo = [c for c in cases(not args.no_first_call) if _available(c)]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; each import in a fresh "
        f"process; median of {args.runs} after {args.warmups} warm-ups"
    )
    print()
    with serve() as url:
        env["BENCH_URL"] = url
        for round_ in range(args.warmups + args.runs):
            for c in list(todo):
                try:
                    seconds, wall, cpu, process_cpu, modules, loaded = run_case(c, env)
                except RuntimeError as exc:
                    print(f"FAILED, left out: {exc}", file=sys.stderr)
                    todo.remove(c)
                    continue
                if round_ >= args.warmups:
                    c.times.append(seconds)
                    c.walls.append(wall)
                    c.cpus.append(cpu)
                    c.process_cpus.append(process_cpu)
                    c.modules, c.loaded = modules, loaded
        rows = importtime_rows(FANTASY, env)

    med = {c.key: statistics.median(c.times) for c in todo}
    wall = {c.key: statistics.median(c.walls) for c in todo}
    cpu_med = {c.key: statistics.median(c.cpus) for c in todo}
    proc_med = {c.key: statistics.median(c.process_cpus) for c in todo}
    print(
        f"  {'case':52}{'import ms':>10}{'min':>8}{'max':>8}{'CPU ms':>8}{'wall ms':>9}"
        f"{'proc CPU':>9}{'modules':>9}   watched modules loaded"
    )
    print("  " + "-" * 139)
    for c in todo:
        ms = [t * 1e3 for t in c.times]
        print(
            f"  {c.label:52}{med[c.key] * 1e3:10.1f}{min(ms):8.1f}{max(ms):8.1f}"
            f"{cpu_med[c.key] * 1e3:8.1f}{wall[c.key] * 1e3:9.1f}{proc_med[c.key] * 1e3:9.1f}"
            f"{c.modules:9d}   {c.loaded or '-'}"
        )
    print()
    print("  import ms: perf_counter around the statement(s) inside the fresh process;")
    print("  CPU ms: process_time around the same statement(s);")
    print("  wall ms, proc CPU: the whole `python -c` process, interpreter start and exit")
    print("  included (its wall time; its user + system CPU time);")
    print("  modules: entries the statement(s) added to sys.modules.")
    print()

    print("Ratios (in-process import time; DESIGN §6: fantasy well under 150 ms and")
    print("at most a quarter of `from pydantic_ai import Agent`)")
    pairs = (
        ("f", "o", "import fantasy+openai provider ÷ import openai"),
        ("f", "p", "import fantasy+openai provider ÷ from pydantic_ai import Agent"),
        ("fm", "o", "  + Provider/model/Agent ÷ import openai"),
        ("fm", "p", "  + Provider/model/Agent ÷ from pydantic_ai import Agent"),
        ("fc", "oc", "first call incl. import: fantasy ÷ openai"),
        ("fc", "pc", "first call incl. import: fantasy ÷ pydantic-ai"),
    )
    for a, b, label in pairs:
        if a in med and b in med:
            print(f"  {label:62}{med[a] / med[b]:6.2f}x")
    if "f" in med and "n" in wall:
        print(
            f"  import fantasy + one provider above interpreter start: "
            f"{(proc_med['f'] - proc_med['n']) * 1e3:.1f} ms of process CPU "
            f"(goal ≤ 40 ms), {cpu_med['f'] * 1e3:.1f} ms CPU in-process, {med['f'] * 1e3:.1f} ms "
            f"in-process wall, {(wall['f'] - wall['n']) * 1e3:.1f} ms of process wall"
        )
        print(
            f"  wall, interpreter start subtracted: fantasy+provider "
            f"{(wall['f'] - wall['n']) * 1e3:.0f} ms"
            + (f", openai {(wall['o'] - wall['n']) * 1e3:.0f} ms" if "o" in wall else "")
            + (f", pydantic_ai Agent {(wall['p'] - wall['n']) * 1e3:.0f} ms" if "p" in wall else "")
        )
    print()
    print(f"`-X importtime` of `{FANTASY}` (one run; -X importtime inflates times):")
    # `fantasy` itself imports nothing eagerly: the statement's cost is the cumulative
    # time of each fantasy module imported at the top level (the package, the provider).
    total = sum(cum for _, cum, name in rows if name in ("fantasy", "fantasy.providers.openai"))
    print(f"  fantasy + provider total (cumulative): {total / 1e3:.1f} ms. Top self times:")
    for self_us, _, name in sorted(rows, reverse=True)[:10]:
        print(f"    {self_us / 1e3:7.2f} ms  {name}")
    print("  Heaviest subtrees that are not fantasy's own modules (cumulative):")
    others = [(cum, name) for _, cum, name in rows if not name.startswith("fantasy")]
    for cum, name in sorted(others, reverse=True)[:8]:
        print(f"    {cum / 1e3:7.2f} ms  {name}")
    print()


if __name__ == "__main__":
    main()
