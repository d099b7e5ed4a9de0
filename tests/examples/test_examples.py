"""The example programs (examples/*.py), ports of Fantasy's examples/: each runs offline
(a FakeModel, or Fantasy's recorded conversation replayed) and prints what Fantasy's
prints; the live path (a key set) runs too, against a loopback server that answers as
the provider would, reached through the provider's base-URL variable.

Each example runs as a user runs it, ``python examples/<name>.py``, in a subprocess
whose environment has no provider key unless the test sets one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import chat_stream, chat_tool_stream, chat_whole

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CASSETTES = Path(
    os.environ.get("FANTASY_CASSETTES") or ROOT.parent / "shared" / "fantasy-cassettes"
)
KEYS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENROUTER_API_KEY",
)


def run(name: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in KEYS}
    clean["FANTASY_CASSETTES"] = str(CASSETTES)
    clean["PYTHONPATH"] = str(ROOT / "src")
    clean.update(env)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def server() -> Iterator[FaultServer]:
    srv = FaultServer(max_wait=10.0).start()
    try:
        yield srv
    finally:
        srv.stop()


# --------------------------------------------------------------------------- offline


def test_simple_offline() -> None:
    out = run("simple")
    assert out.startswith("[offline] no OPENROUTER_API_KEY")
    # The tool really ran: its answer for Silver Lake is in the reply.
    assert "Cute dogs are everywhere!" in out


def test_stream_offline() -> None:
    out = run("stream")
    lines = out.splitlines()
    assert lines[:2] == [
        "[offline] no OPENAI_API_KEY: a FakeModel plays the model's part",
        "Generating...",
    ]
    assert '-> Invoking the bark tool with input {"dogName": "Corolla"}' in out
    barks = next(line for line in lines if line.startswith("-> Using the bark tool: "))
    assert set(barks.removeprefix("-> Using the bark tool: ").split()) == {"ruff"}
    assert out.count("-> Step completed") == 2
    assert "Welp, Chuck has spoken about Corolla. Thank you, Chuck." in out


def test_moon_offline() -> None:
    out = run("moon")
    assert out.startswith("[offline] no ANTHROPIC_API_KEY")
    assert "What is the moon phase today?" in out
    assert "Federico says" in out and "December 31" in out
    assert "Steps       3" in out  # two tool steps, then the answer


def test_moon_phase_tool_knows_the_almanac() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import moon
    finally:
        sys.path.remove(str(EXAMPLES))
    import datetime as dt

    # Full moons of 2026 (Jan 3, Jul 29) and new moons (Jan 18, Dec 9), from the almanac.
    assert moon.phase_on(dt.date(2026, 1, 3)).startswith("Full Moon")
    assert moon.phase_on(dt.date(2026, 7, 29)).startswith("Full Moon")
    assert moon.phase_on(dt.date(2026, 1, 18)).startswith("New Moon")
    assert moon.phase_on(dt.date(2026, 12, 9)).startswith("New Moon")


def test_structured_outputs_offline() -> None:
    out = run("structured_outputs")
    assert "Recipe: Chocolate Chip Cookies" in out
    assert "Prep time: 20 minutes" in out and "Ingredients: 6" in out
    assert "Tokens used: 180" in out
    updates = [line for line in out.splitlines() if line.strip().startswith("Update ")]
    assert len(updates) > 3, out  # the object grew piece by piece
    assert updates[-1].endswith("Banana Bread (6 ingredients, 3 steps)")


def test_web_search_offline_replays_fantasys_recording() -> None:
    out = run("web_search")
    assert out.startswith("[replay] no API key")
    assert "Tokyo" in out
    sources = [line for line in out.splitlines() if line.startswith("Source: ")]
    assert sources and all("https://" in line for line in sources)


def test_computer_use_offline() -> None:
    out = run("computer_use")
    assert out.splitlines()[1:] == [
        "Action: screenshot",
        "Agent finished.",
        "Steps: 2",
        "Claude said: The screenshot shows a completely black desktop.",
    ]


def test_the_screenshot_is_a_valid_png() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import computer_use
    finally:
        sys.path.remove(str(EXAMPLES))
    import zlib

    png = computer_use.take_screenshot()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # Every chunk's CRC checks out, and the one pixel is opaque black.
    offset, pixels = 8, b""
    while offset < len(png):
        size = int.from_bytes(png[offset : offset + 4], "big")
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + size]
        crc = int.from_bytes(png[offset + 8 + size : offset + 12 + size], "big")
        assert zlib.crc32(kind + data) == crc
        if kind == b"IDAT":
            pixels = zlib.decompress(data)
        offset += 12 + size
    assert pixels == b"\x00\x00\x00\x00\xff"


# --------------------------------------------------------------------------- live, on loopback


def test_stream_live(server: FaultServer) -> None:
    server.script(
        Stream(chat_tool_stream("call_1", "bark", '{"dogName": "Civic"}')),
        Stream(chat_stream(["Welp, ", "thank you Chuck."])),
    )
    out = run("stream", OPENAI_API_KEY="sk-example", OPENAI_BASE_URL=server.url + "/v1")
    assert out.startswith("[live] asking gpt-5 on OpenAI")
    assert '-> Invoking the bark tool with input {"dogName": "Civic"}' in out
    assert "Welp, thank you Chuck." in out
    first = json.loads(server.requests[0].body)
    assert first["model"] == "gpt-5" and first["stream"] is True
    assert first["tools"][0]["function"]["name"] == "bark"
    assert "dogName" in first["tools"][0]["function"]["parameters"]["properties"]
    assert server.requests[0].headers["authorization"] == "Bearer sk-example"


def test_structured_outputs_live(server: FaultServer) -> None:
    cookies = {"name": "Cookies", "ingredients": ["flour"], "steps": ["bake"], "prep_time": 5}
    bread = json.dumps({"name": "Bread", "ingredients": ["a", "b"], "steps": ["c"], "prep_time": 9})
    server.script(
        Reply(body=chat_whole(json.dumps(cookies))),
        Stream(chat_stream([bread[i : i + 10] for i in range(0, len(bread), 10)])),
    )
    out = run("structured_outputs", OPENAI_API_KEY="sk-x", OPENAI_BASE_URL=server.url + "/v1")
    assert "Recipe: Cookies" in out and "Prep time: 5 minutes" in out
    assert out.rstrip().splitlines()[-1].endswith("Bread (2 ingredients, 1 steps)")
    body = json.loads(server.requests[0].body)
    assert body["model"] == "gpt-4o-mini"
    # Go's object.Generate[T] sends no name of the type's: the provider's "response".
    assert body["response_format"]["json_schema"]["name"] == "response"
    assert set(body["response_format"]["json_schema"]["schema"]["properties"]) == {
        "name",
        "ingredients",
        "steps",
        "prep_time",
    }


def _anthropic(content: list[dict[str, object]], stop: str) -> bytes:
    return json.dumps(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-4-6",
            "content": content,
            "stop_reason": stop,
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
    ).encode()


def test_computer_use_live(server: FaultServer) -> None:
    call = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "computer",
        "input": {"action": "screenshot"},
    }
    server.script(
        Reply(body=_anthropic([call], "tool_use")),
        Reply(body=_anthropic([{"type": "text", "text": "A black desktop."}], "end_turn")),
    )
    out = run("computer_use", ANTHROPIC_API_KEY="sk-ant-x", ANTHROPIC_BASE_URL=server.url)
    assert "Action: screenshot" in out and "Claude said: A black desktop." in out
    first = json.loads(server.requests[0].body)
    assert first["model"] == "claude-opus-4-6"
    assert first["tools"] == [
        {
            "display_height_px": 1080,
            "display_width_px": 1920,
            "name": "computer",
            "type": "computer_20251124",
        }
    ]
    second = json.loads(server.requests[1].body)
    result = second["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["content"][0]["type"] == "image"
    assert server.requests[0].headers["anthropic-beta"].startswith("computer-use-2025-11-24")
