"""Run every benchmark, each in its own fresh interpreter, and print everything.

python benchmarks/run_all.py            # the defaults (about 10 minutes on 2 cores)
python benchmarks/run_all.py --quick    # fewer runs, for a smoke check
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

QUICK = {
    "bench_stream.py": [
        *("--runs", "3", "--warmups", "1", "--calls", "50", "--call-rounds", "1"),
        *("--ttft", "10", "--object-deltas", "500"),
    ],
    "bench_import.py": ["--runs", "3", "--warmups", "1"],
    "bench_concurrency.py": ["--chunks", "50", "--runs", "1", "--skip-memory"],
    "bench_http_libraries.py": ["--runs", "2", "--imports", "2", "--streams", "1,100"],
}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = 0
    scripts = (
        "bench_stream.py",
        "bench_import.py",
        "bench_concurrency.py",
        "bench_http_libraries.py",
    )
    for script in scripts:
        args = QUICK[script] if quick else []
        title = f" {script} {' '.join(args)} ".rstrip()
        print(f"{'=' * 8}{title} {'=' * max(4, 90 - len(title))}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, os.path.join(HERE, script), *args])
        print(f"({script} took {time.perf_counter() - t0:.0f} s, exit {code})\n", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
