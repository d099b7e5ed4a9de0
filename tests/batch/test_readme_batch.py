"""The README's "Batch" section, run against the loopback batch server.

The docs suite (tests/docs) answers every provider with a stub that has no batch
endpoints, so the section's blocks are marked to skip there and run here instead:
in order, in one namespace, with OpenAI's key and base URL pointing at the server
(the blocks build their provider from the environment, as a user's program would)
and no real sleeping between polls.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from fantasy import _runtime
from tests.batch.server import OPENAI_KEY, BatchServer, echo

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    """The section's python blocks, each padded to its README line numbers."""
    text = README.read_text()
    start = text.index("\n## Batch\n")
    end = text.index("\n## ", start + 1)
    return [
        "\n" * text.count("\n", 0, start + found.start(1)) + found.group(1)
        for found in re.finditer(r"```python\n(.*?)```", text[start:end], re.S)
    ]


def _respond(kind: str, body: dict[str, Any]) -> Any:
    if '"label"' in json.dumps(body):  # asked for a Sentiment
        return {"label": "positive", "score": 0.9}
    return echo(kind, body)


def test_the_readme_batch_section_has_runnable_blocks() -> None:
    assert len(_blocks()) == 2


def test_the_readme_batch_section_runs(
    server: BatchServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.respond = _respond
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")

    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(_runtime, "sleep", no_sleep)
    namespace: dict[str, Any] = {"__name__": "readme_batch"}
    for block in _blocks():
        exec(compile(block, str(README), "exec"), namespace)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("batch_")
    assert lines[1:3] == [
        "r1 echo: Summarize in five words: Great phone, lasts two days.",
        "r2 echo: Summarize in five words: The battery died in a week.",
    ]
    assert lines[3] == "label='positive' score=0.9"
    assert lines[4] == "echo: Capital of Italy?"
    assert "2/2 done, 0 failed, 0 pending (completed)" in captured.err
