"""What pyproject.toml promises about Pythons and extras, and how scripts/test finds 3.13.

CI runs the whole suite on 3.11 and, when the machine has a working Python 3.13, the unit,
conformance and robustness tests there too (with the `dev-light` extra); these tests keep
the metadata and that check honest.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SCRIPT = (ROOT / "scripts" / "test").read_text(encoding="utf-8")


def test_dev_light_is_dev_without_the_local_extra() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras["dev-light"]) <= set(extras["dev"])
    missing = set(extras["dev"]) - set(extras["dev-light"]) - set(extras["local"])
    assert not missing, f"add these to dev-light too (scripts/test's 3.13 check): {missing}"
    assert set(extras["local"]) <= set(extras["dev"]) - set(extras["dev-light"])


def test_classifiers_name_every_python_from_requires_python_to_the_one_ci_adds() -> None:
    project = PYPROJECT["project"]
    lowest = re.fullmatch(r">=3\.(\d+)", project["requires-python"])
    assert lowest, project["requires-python"]
    minors = sorted(
        int(m.group(1))
        for c in project["classifiers"]
        if (m := re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c))
    )
    assert minors[0] == int(lowest.group(1)) == 11
    assert minors == list(range(minors[0], minors[-1] + 1)), "no Python skipped"
    assert "python3.13" in SCRIPT and minors[-1] >= 13


def finder(tmp_path: Path) -> Path:
    """scripts/test's python313 function alone, in a script that prints what it finds."""
    function = re.search(r"^python313\(\) \{\n.*?^\}\n", SCRIPT, re.S | re.M)
    assert function, "scripts/test defines python313()"
    script = tmp_path / "find.sh"
    script.write_text(function.group(0) + 'python313 || echo "none"\n', encoding="utf-8")
    return script


def found(tmp_path: Path, fake_python: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "python3.13"
    shim.write_text(fake_python, encoding="utf-8")
    shim.chmod(0o755)
    run = subprocess.run(
        ["bash", str(finder(tmp_path))],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.strip()


def reports_3_13(python: str) -> bool:
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return version.stdout.strip() == "(3, 13)"


def test_a_python313_command_that_fails_is_not_taken(tmp_path: Path) -> None:
    # What pyenv puts on PATH when 3.13 is installed but not selected.
    name = found(tmp_path, "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    assert name == "none" or (name != str(tmp_path / "bin" / "python3.13") and reports_3_13(name))


def test_a_python313_command_that_runs_another_python_is_not_taken(tmp_path: Path) -> None:
    name = found(tmp_path, f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    if sys.version_info[:2] != (3, 13):
        assert name != str(tmp_path / "bin" / "python3.13")
    assert name == "none" or reports_3_13(name)
