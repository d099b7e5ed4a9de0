"""``AgentResult[T]`` for type checkers: mypy accepts what the typed output allows and
refuses a wrong assignment (tests/typing/agent_output.py marks the lines that must fail)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ROOT / "tests" / "typing" / "agent_output.py"


def test_typed_output_type_checks_and_a_wrong_one_fails() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            str(CHECKED),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    errors = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"agent_output\.py:(\d+): error: .*\[([a-z-]+)\]", run.stdout)
    }
    lines = CHECKED.read_text().splitlines()
    expected = {
        n: line.split("# E: ")[1].strip() for n, line in enumerate(lines, 1) if "# E: " in line
    }
    assert expected, "the checked file marks the lines that must fail"
    assert errors == expected, run.stdout
