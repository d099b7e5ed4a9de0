"""Fantasy's examples/computer-use: Claude drives a (pretend) desktop through Anthropic's
computer use tool, which runs here: every action is parsed, and a screenshot goes back.

    python examples/computer_use.py

With ANTHROPIC_API_KEY set it asks claude-opus-4-6. Without it, a
`fantasy.testing.FakeModel` plays the model's part (it asks for a screenshot, then
describes it), so the program runs offline; the tool runs as it does live. The desktop
is a 1x1 black PNG, as in Fantasy's example. It says which it did.
"""

from __future__ import annotations

import os
import struct
import zlib

import fantasy
from fantasy.providers import anthropic
from fantasy.testing import FakeModel, text_response, tool_call_response


def take_screenshot() -> bytes:
    """A 1x1 black PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8 bits, RGBA
    pixels = zlib.compress(b"\x00" + b"\x00\x00\x00\xff")  # one row: filter 0, black
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def computer(call: fantasy.ToolCall) -> fantasy.ToolResponse:
    action = anthropic.parse_computer_use_input(call.input)
    print(f"Action: {action.action}")
    return fantasy.ToolResponse.image(take_screenshot(), "image/png")


def offline_model() -> FakeModel:
    """The model's part, scripted: a screenshot, then what it shows."""
    return FakeModel(
        [
            tool_call_response(("toolu_1", "computer", {"action": "screenshot"})),
            text_response("The screenshot shows a completely black desktop."),
        ]
    )


def model() -> fantasy.LanguageModel:
    if os.environ.get("ANTHROPIC_API_KEY"):
        print("[live] asking claude-opus-4-6 on Anthropic (ANTHROPIC_API_KEY)")
        return anthropic.Provider().language_model("claude-opus-4-6")
    print("[offline] no ANTHROPIC_API_KEY: a FakeModel plays the model's part")
    return offline_model()


def main() -> None:
    computer_tool = anthropic.computer_use_tool(
        computer,
        display_width_px=1920,
        display_height_px=1080,
        tool_version=anthropic.COMPUTER_USE_20251124,
    )
    agent = fantasy.Agent(
        model(), provider_tools=[computer_tool], stop_when=fantasy.step_count_is(10)
    )
    result = agent.generate("Take a screenshot of the desktop")
    print("Agent finished.")
    print(f"Steps: {len(result.steps)}")
    if result.response.content.text:
        print("Claude said:", result.response.content.text)


if __name__ == "__main__":
    main()
