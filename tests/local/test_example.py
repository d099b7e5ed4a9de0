"""examples/local.py runs on a real GGUF file: here the tiny model."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "local.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_agent_calls_the_tool_and_answers(
    tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example()
    args = [str(tiny_model), "--force-tool", "--n-ctx", "4096", "--max-tokens", "3000"]
    args += ["--threads", "1"]
    assert example.main(args) == 0
    out = capsys.readouterr().out
    assert '-> cute_dog_tool({"location": "' in out
    assert "<- No cute dogs found.\n" in out
    assert "tokens/s" in out
    assert "Usage: Usage{Input: " in out
    assert out.rstrip().endswith("Unloading the model")


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "none.gguf")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "is not a file" in run.stderr
