"""The README stays coherent as many hands add to it: the Contents line leads to every
section, in order, with the anchor GitHub gives it; Dependencies says what each extra of
pyproject.toml is for; Development names every test folder."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def lines_and_fences(markdown: str) -> list[tuple[str, bool]]:
    """Each line, and whether it is inside a fenced code block (where ``## `` is no
    heading)."""
    out: list[tuple[str, bool]] = []
    fence = ""
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if fence:
            out.append((line, True))
            if stripped.startswith(fence):
                fence = ""
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            out.append((line, True))
        else:
            out.append((line, False))
    return out


def is_heading(line: str, in_code: bool) -> bool:
    return not in_code and line.startswith("## ")


def headings(markdown: str) -> list[str]:
    return [line[3:].strip() for line, code in lines_and_fences(markdown) if is_heading(line, code)]


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped (hyphens and
    underscores kept), each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` (its code blocks too), up to the next heading."""
    lines = lines_and_fences(markdown)
    start = lines.index((f"## {heading}", False)) + 1
    end = next((i for i in range(start, len(lines)) if is_heading(*lines[i])), len(lines))
    return "\n".join(line for line, _ in lines[start:end])


def contents_links(markdown: str) -> list[tuple[str, str]]:
    (line,) = [line for line in markdown.splitlines() if line.startswith("Contents: ")]
    return re.findall(r"\[([^\]]+)\]\(#([^)]+)\)", line)


def test_github_anchor_matches_github() -> None:
    assert github_anchor("Serving agents to a UI") == "serving-agents-to-a-ui"
    assert github_anchor("What happens when things fail?") == "what-happens-when-things-fail"
    assert github_anchor("`fantasy.ui` and AG-UI") == "fantasyui-and-ag-ui"
    assert github_anchor("Errors & retries") == "errors--retries"


def test_the_contents_line_lists_every_section_in_order_with_its_anchor() -> None:
    expected = [(h, github_anchor(h)) for h in headings(README)]
    assert contents_links(README) == expected


def test_dependencies_names_every_extra_of_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    text = section(README, "Dependencies")
    missing = [name for name in extras if not re.search(rf"`{re.escape(name)}` extra", text)]
    assert not missing, f"README's Dependencies section does not say what these are for: {missing}"


def test_development_names_every_test_folder() -> None:
    folders = sorted(
        p.name
        for p in (ROOT / "tests").iterdir()
        if p.is_dir() and not p.name.startswith(("_", "."))
    )
    text = section(README, "Development")
    missing = [name for name in folders if f"tests/{name}" not in text]
    assert not missing, f"README's Development section does not name: {missing}"
