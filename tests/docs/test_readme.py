"""The README's Python examples, executed offline against a stub of every provider.

Convention (for whoever writes README.md)
=========================================

* Every fenced block whose info string is ``python`` is executed, in README order.
  Other blocks (``sh``, plain fences, ...) are ignored.
* Blocks under the same level-2 heading (a line starting with ``## ``) share one
  namespace: a later block may use names an earlier one defined. The namespace is
  reset at every ``## `` heading; ``###`` and deeper headings do not reset it.
  The namespace is a fresh module named ``readme_example`` (so dataclasses, pydantic
  models and ``typing.get_type_hints`` behave as in a script).
* One pytest test per block, with an id ``L<line>-<slugged ## heading>`` where
  ``<line>`` is the README line of the opening fence. A block's test first runs
  the earlier blocks of its section (their failures are reported in their own tests,
  and named in this one's message), then the block itself.
* A block may use top-level ``await`` / ``async for`` / ``async with``: such a block
  runs as a whole inside ``asyncio.run``.
* An HTML comment ending on the line right before the opening fence controls the block
  (no blank line in between; nothing of it shows on GitHub):

  ``<!-- readme-test: skip <reason> -->``
      The block is not executed, only compiled (``compile(..., "exec")``), so a syntax
      error still fails. The reason is required. Its test is reported as skipped with
      that reason.

  ``<!-- readme-test: setup <python code> -->``
      The code runs, hidden, just before the block, in the block's namespace (for
      example to define ``png_bytes``). It may span several lines::

          <!-- readme-test: setup
          png_bytes = b"\\x89PNG\\r\\n\\x1a\\n"
          earlier_messages = []
          -->

      The code must not contain ``-->``.

  Any other ``readme-test:`` comment, or one that is not directly followed by a
  ``python`` fence, fails `test_readme_directives_are_attached`.

Environment of every block: the current directory is a fresh temporary directory
(files the examples write land there); every provider's API key is set to a fake value
in the environment (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GOOGLE_API_KEY``,
``GEMINI_API_KEY``, ``OPENROUTER_API_KEY``, ``AI_GATEWAY_API_KEY``,
``AZURE_OPENAI_API_KEY`` with ``AZURE_OPENAI_ENDPOINT``, ``AWS_BEARER_TOKEN_BEDROCK``
with ``AWS_REGION``) and variables that would redirect a provider (``*_BASE_URL``,
Vertex and AWS settings) are removed; ``FANTASY_CASSETTES`` keeps its value (made
absolute; by default ``../shared/fantasy-cassettes`` from the repository root), so a
block may replay a recorded cassette.

No network: every provider built without its own ``transport=`` / ``http_client=`` /
``async_http_client=`` sends its requests to `tests.docs.stub_provider.StubProvider`,
which answers like a tiny model in that provider's real wire format: it calls the first
(or the forced) function tool with arguments made from the tool's schema ("Florence",
2, 2.5, true, ...), then, after the tool result, answers
``"It is 40 C and sunny in Florence."``; asked for an object, it returns an example of
the schema. A request to a URL no provider uses gets a 404 naming the URL. A block that
would sleep before a retry fails instead of waiting.

A failure names the README line and heading of the failing block, and shows the
traceback from the README's own lines (the code is compiled with the README's path and
line numbers, so each frame quotes the README line).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import sys
import textwrap
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.docs.stub_provider import StubProvider

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEFAULT_CASSETTES = "../shared/fantasy-cassettes"
MODULE_NAME = "readme_example"
DIRECTIVE = "readme-test:"
FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

FAKE_ENV = {
    "OPENAI_API_KEY": "sk-readme-test-openai",
    "ANTHROPIC_API_KEY": "sk-ant-readme-test",
    "GOOGLE_API_KEY": "readme-test-google-key",
    "GEMINI_API_KEY": "readme-test-gemini-key",
    "OPENROUTER_API_KEY": "sk-or-readme-test",
    "AI_GATEWAY_API_KEY": "readme-test-gateway-key",
    "AZURE_OPENAI_API_KEY": "readme-test-azure-key",
    "AZURE_OPENAI_ENDPOINT": "https://readme-test.openai.azure.com",
    "AWS_BEARER_TOKEN_BEDROCK": "readme-test-bedrock-key",
    "AWS_REGION": "us-east-1",
}
"""A fake key for every provider (names from the providers' modules)."""

CLEARED_ENV = (
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_CLOUD_REGION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "OLLAMA_BASE_URL",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
    "FANTASY_RECORD",
)
"""Variables that would send a request elsewhere, pick other credentials, or record."""


# --------------------------------------------------------------------------- the README


@dataclass(frozen=True)
class Block:
    line: int
    """README line (1-based) of the opening fence; the code starts on the next line."""
    heading: str
    """The ``## `` heading the block is under ("" before the first one)."""
    section: int
    code: str
    skip: str | None = None
    """The reason given by ``readme-test: skip``."""
    setup: str | None = None
    setup_line: int = 0
    """README line where the setup code's first line is."""
    problem: str | None = None
    """What is wrong with the block's directive, if anything."""

    @property
    def id(self) -> str:
        return f"L{self.line}-{slug(self.heading)}"

    @property
    def where(self) -> str:
        heading = f'"## {self.heading}"' if self.heading else "(before the first ## heading)"
        return f"README.md line {self.line}, under {heading}"


@dataclass(frozen=True)
class Directive:
    start: int
    """README line (1-based) where the comment starts."""
    end: int
    kind: str
    rest: str
    """What follows the kind, up to ``-->``, line breaks kept."""


def slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "top"


_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(
    r"^[ \t]*<!--\s*readme-test:\s*(?P<kind>[a-z-]*)(?P<rest>.*?)-->", re.S | re.M
)


def parse_readme(text: str) -> tuple[list[Block], list[Directive], list[int]]:
    """The Python blocks, every ``readme-test`` comment, and the lines of the comments
    that are not attached to a Python block."""
    lines = text.split("\n")
    directives = _directives(text)
    by_end = {d.end: d for d in directives}
    blocks: list[Block] = []
    attached: set[int] = set()
    fenced: list[range] = []
    heading, section = "", 0
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence is None:
            if line.startswith("## "):
                heading, section = line[3:].strip(), section + 1
            i += 1
            continue
        # A fenced block: find its end (same character, at least as long).
        mark = fence["fence"]
        close = re.compile(rf"^\s*{re.escape(mark[0])}{{{len(mark)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        fenced.append(range(i + 1, j + 2))
        info = fence["info"].strip().split()
        if info and info[0] == "python":
            indent = len(fence["indent"])
            code = "\n".join(body[indent:] for body in lines[i + 1 : j])
            directive = by_end.get(i)  # a comment ending on the line before (1-based i)
            blocks.append(_block(i + 1, heading, section, code, directive))
            if directive is not None:
                attached.add(directive.start)
        i = j + 1
    orphans = [
        d.start
        for d in directives
        if d.start not in attached and not any(d.start in r for r in fenced)
    ]
    return blocks, directives, orphans


def _directives(text: str) -> list[Directive]:
    found = []
    for match in _DIRECTIVE.finditer(text):
        start = text.count("\n", 0, match.start()) + 1
        end = text.count("\n", 0, match.end()) + 1
        found.append(Directive(start, end, match["kind"], match["rest"]))
    return found


def _block(line: int, heading: str, section: int, code: str, d: Directive | None) -> Block:
    block = Block(line, heading, section, code)
    if d is None:
        return block
    if d.kind == "skip":
        reason = " ".join(d.rest.split())
        if not reason:
            return _with(block, problem="`readme-test: skip` needs a reason after `skip`")
        return _with(block, skip=reason)
    if d.kind == "setup":
        first, *others = d.rest.split("\n")
        setup = first.strip() + "\n" + textwrap.dedent("\n".join(others))
        if not setup.strip():
            return _with(block, problem="`readme-test: setup` has no code")
        return _with(block, setup=setup, setup_line=d.start)
    return _with(block, problem=f"unknown directive `readme-test: {d.kind}` (skip or setup)")


def _with(block: Block, **changes: Any) -> Block:
    return Block(**{**block.__dict__, **changes})


BLOCKS, DIRECTIVES, ORPHANS = parse_readme(README.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- running


class StubSleepError(AssertionError):
    """A README block waited before a retry: the stub answered with something retryable."""


def _compile(code: str, first_line: int) -> types.CodeType:
    """``code`` compiled as README lines ``first_line``..., so errors and tracebacks
    point at the README itself."""
    return compile("\n" * (first_line - 1) + code, str(README), "exec", flags=FLAGS)


def _execute(code: types.CodeType, namespace: dict[str, Any]) -> None:
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


@dataclass
class Outcome:
    block: Block
    error: BaseException | None = None
    in_setup: bool = False


def run_block(block: Block, namespace: dict[str, Any]) -> Outcome:
    try:
        if block.setup is not None:
            try:
                _execute(_compile(block.setup, block.setup_line), namespace)
            except Exception as exc:
                return Outcome(block, exc, in_setup=True)
        _execute(_compile(block.code, block.line + 1), namespace)
    except (Exception, SystemExit) as exc:
        return Outcome(block, exc)
    return Outcome(block)


def readme_traceback(exc: BaseException) -> str:
    """The exception with its traceback from the first README frame on."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != str(README):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    first = text.split("\n")[0]
    return first if len(first) <= 300 else first[:297] + "..."


def failure_message(outcome: Outcome, earlier: list[Outcome]) -> str:
    assert outcome.error is not None
    block = outcome.block
    what = "the setup comment of the block" if outcome.in_setup else "the block"
    lines = [
        f"{block.where}: {what} failed with {one_line(outcome.error)}",
        "",
        readme_traceback(outcome.error).rstrip(),
    ]
    if earlier:
        lines += ["", "Earlier blocks of this section failed too (they ran first, same namespace):"]
        lines += [f"  line {o.block.line}: {one_line(o.error)}" for o in earlier if o.error]
    return "\n".join(lines)


# --------------------------------------------------------------------------- environment


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StubProvider]:
    """The README's world: a temporary directory, fake keys, and the stub provider
    behind every HTTP transport that was not given one."""
    from fantasy import _runtime
    from fantasy.http import transport as http_transport

    cassettes = os.environ.get("FANTASY_CASSETTES") or DEFAULT_CASSETTES
    monkeypatch.setenv("FANTASY_CASSETTES", str((ROOT / cassettes).resolve()))
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    provider = StubProvider()
    built: list[Any] = []
    original = http_transport.HttpTransport.__init__

    def init(self: Any, **kwargs: Any) -> None:
        given = ("transport", "http_client", "async_http_client")
        if all(kwargs.get(k) is None for k in given):
            kwargs["transport"] = provider.transport()
        original(self, **kwargs)
        built.append(self)

    async def no_sleep(seconds: float) -> None:
        if seconds > 0:
            last = provider.exchanges[-1] if provider.exchanges else None
            raise StubSleepError(
                f"the example would wait {seconds}s before a retry (last request: "
                f"{last.url if last else 'none'}, status {last.status if last else '-'})"
            )

    monkeypatch.setattr(http_transport.HttpTransport, "__init__", init)
    monkeypatch.setattr(_runtime, "sleep", no_sleep)
    # Types a block registers for persistence stay in that block's world.
    from fantasy.persistence import registry

    for table in ("_user_types", "_user_ids", "_user_specs"):
        monkeypatch.setattr(registry, table, dict(getattr(registry, table)))
    # So do providers built from model names, and the servers a block registers.
    from fantasy import model_names

    monkeypatch.setattr(model_names, "_providers", {})
    monkeypatch.setattr(model_names, "_registered", dict(model_names._registered))
    module = types.ModuleType(MODULE_NAME)
    monkeypatch.setitem(sys.modules, MODULE_NAME, module)
    try:
        yield provider
    finally:
        for transport in built:
            transport.close()


@pytest.fixture
def namespace(stub: StubProvider) -> dict[str, Any]:
    return sys.modules[MODULE_NAME].__dict__


# --------------------------------------------------------------------------- the tests


def test_readme_has_python_blocks() -> None:
    assert BLOCKS, f"no ```python blocks found in {README}"


def test_readme_directives_are_attached() -> None:
    """A ``readme-test`` comment that is not right before a ```python fence (a blank
    line in between, say) would silently do nothing."""
    assert not ORPHANS, (
        "readme-test comments not on the line right before a ```python fence, at README "
        f"lines {ORPHANS}"
    )


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, namespace: dict[str, Any]) -> None:
    if block.problem is not None:
        pytest.fail(f"{block.where}: {block.problem}", pytrace=False)
    if block.skip is not None:
        try:
            _compile(block.code, block.line + 1)
        except SyntaxError as exc:
            message = f"{block.where}: the skipped block does not compile"
            pytest.fail(f"{message}\n\n{readme_traceback(exc)}", pytrace=False)
        pytest.skip(f"{block.where}: {block.skip}")
    earlier = []
    for prior in BLOCKS:
        if prior is block:
            break
        if prior.section == block.section and prior.skip is None and prior.problem is None:
            outcome = run_block(prior, namespace)
            if outcome.error is not None:
                earlier.append(outcome)
    outcome = run_block(block, namespace)
    if outcome.error is not None:
        pytest.fail(failure_message(outcome, earlier), pytrace=False)


# --------------------------------------------------------------------------- the parser

SAMPLE = """# Title

```python
before = 1
```

## First section

<!-- readme-test: setup x = 1 -->
```python
y = x + 1
```

```sh
## not a heading
```

### A subsection keeps the namespace

<!-- readme-test: setup
a = 1
  # indented lines keep their relative indent
b = 2
-->
```python
c = a + b
```

## Second

<!-- readme-test: skip needs a real account -->
````python
print(
````

<!-- readme-test: skip -->
```python
pass
```

<!-- readme-test: frobnicate -->
```python
pass
```

<!-- readme-test: setup z = 1 -->

```python
pass
```
"""


def test_parser_sections_lines_and_directives() -> None:
    blocks, directives, orphans = parse_readme(SAMPLE)
    assert [(b.line, b.id, b.section) for b in blocks] == [
        (3, "L3-top", 0),
        (10, "L10-first-section", 1),
        (25, "L25-first-section", 1),
        (32, "L32-second", 2),
        (37, "L37-second", 2),
        (42, "L42-second", 2),
        (48, "L48-second", 2),
    ]
    assert blocks[1].setup == "x = 1\n" and blocks[1].setup_line == 9
    assert blocks[2].setup is not None and blocks[2].setup_line == 20
    assert blocks[2].setup.splitlines()[1:] == [
        "a = 1",
        "  # indented lines keep their relative indent",
        "b = 2",
    ]
    assert blocks[3].skip == "needs a real account"
    assert blocks[4].problem is not None and "needs a reason" in blocks[4].problem
    assert blocks[5].problem is not None and "unknown directive" in blocks[5].problem
    assert blocks[6].setup is None
    assert len(directives) == 6
    assert orphans == [46]  # a blank line between the comment and the fence


def test_blocks_run_with_readme_line_numbers(tmp_path: Path) -> None:
    blocks, _, _ = parse_readme(SAMPLE)
    namespace: dict[str, Any] = {}
    assert run_block(blocks[1], namespace).error is None
    assert namespace["y"] == 2
    assert run_block(blocks[2], namespace).error is None
    assert namespace["c"] == 3
    failing = _with(blocks[0], code="ok = 1\nraise ValueError('boom')")
    outcome = run_block(failing, {})
    assert isinstance(outcome.error, ValueError)
    message = failure_message(outcome, [])
    assert message.startswith("README.md line 3, under (before the first ## heading)")
    assert f'File "{README}", line 5, in <module>' in message
    assert "ValueError: boom" in message


def test_top_level_await_runs_in_asyncio() -> None:
    code = "import asyncio\nawait asyncio.sleep(0)\nvalue = 42"
    namespace: dict[str, Any] = {}
    assert run_block(Block(1, "", 0, code), namespace).error is None
    assert namespace["value"] == 42
