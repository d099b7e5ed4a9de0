"""Anthropic's built-in tools: server-side web search, and computer use run by the client.

The constructors give `fantasy.ProviderDefinedTool` / `fantasy.ExecutableProviderTool`
values for ``Agent(provider_tools=[...])``; the ``*_json`` functions turn those
definitions into the request's tool objects. The arguments may have been through
JSON (numbers as floats, locations as dicts), so they are read leniently and
written back as the API's integers.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from fantasy import _json
from fantasy.errors import InvalidResponseError
from fantasy.http import shape
from fantasy.providers.anthropic.options import UserLocation
from fantasy.tools import ExecutableProviderTool, ToolCall
from fantasy.types import (
    JSON,
    ProviderDefinedTool,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

WEB_SEARCH_TOOL_ID = "web_search"
"""Fantasy's id for the web search tool; ``"anthropic.web_search"`` is accepted too."""
WEB_SEARCH_TOOL_IDS = frozenset({WEB_SEARCH_TOOL_ID, "anthropic.web_search"})
COMPUTER_USE_TOOL_ID = "anthropic.computer"
COMPUTER_USE_API_NAME = "computer"

ComputerUseToolVersion = Literal["computer_20250124", "computer_20251124"]
COMPUTER_USE_20250124: ComputerUseToolVersion = "computer_20250124"
COMPUTER_USE_20251124: ComputerUseToolVersion = "computer_20251124"
COMPUTER_USE_BETA_FLAGS: dict[str, str] = {
    COMPUTER_USE_20250124: "computer-use-2025-01-24",
    COMPUTER_USE_20251124: "computer-use-2025-11-24",
}

_MAX_EXACT_FLOAT_INT = float(2**53 - 1)


# --------------------------------------------------------------------------- web search


def web_search_tool(
    *,
    max_uses: int | None = None,
    allowed_domains: Sequence[str] | None = None,
    blocked_domains: Sequence[str] | None = None,
    user_location: UserLocation | None = None,
) -> ProviderDefinedTool:
    """Anthropic's server-side web search. The server runs it; results and sources come
    back as provider-executed tool call/result content and are replayed in history.

    ``allowed_domains`` and ``blocked_domains`` cannot be combined (the API refuses).
    """
    args: dict[str, Any] = {}
    if max_uses:
        args["max_uses"] = max_uses
    if allowed_domains:
        args["allowed_domains"] = list(allowed_domains)
    if blocked_domains:
        args["blocked_domains"] = list(blocked_domains)
    if user_location is not None:
        args["user_location"] = user_location
    return ProviderDefinedTool(WEB_SEARCH_TOOL_ID, "web_search", args)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, str) and item]


def as_int(value: Any) -> int | None:
    """An integer argument, also when JSON made it a float; None when it is not whole."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if (
        isinstance(value, float)
        and math.isfinite(value)
        and value.is_integer()
        and abs(value) <= _MAX_EXACT_FLOAT_INT
    ):
        return int(value)
    return None


def _location(value: Any) -> JSON | None:
    if isinstance(value, UserLocation):
        value = asdict(value)
    if not isinstance(value, Mapping):
        return None
    fields = {
        key: value[key]
        for key in ("city", "region", "country", "timezone")
        if isinstance(value.get(key), str) and value[key]
    }
    if not fields:
        return None
    return {"type": "approximate", **fields}


def web_search_tool_json(tool: ProviderDefinedTool) -> JSON:
    wire: JSON = {"name": "web_search", "type": "web_search_20250305"}
    args = tool.args or {}
    if allowed := _strings(args.get("allowed_domains")):
        wire["allowed_domains"] = allowed
    if blocked := _strings(args.get("blocked_domains")):
        wire["blocked_domains"] = blocked
    max_uses = as_int(args.get("max_uses"))
    if max_uses is not None and max_uses > 0:
        wire["max_uses"] = max_uses
    location = _location(args.get("user_location"))
    if location is not None:
        wire["user_location"] = location
    return wire


# --------------------------------------------------------------------------- computer use


def computer_use_definition(
    *,
    display_width_px: int,
    display_height_px: int,
    tool_version: ComputerUseToolVersion,
    display_number: int | None = None,
    enable_zoom: bool | None = None,
    cache_control: bool = False,
) -> ProviderDefinedTool:
    """The computer use tool as sent to the model, without a function to run it."""
    args: dict[str, Any] = {
        "display_width_px": display_width_px,
        "display_height_px": display_height_px,
        "tool_version": tool_version,
    }
    if display_number is not None:
        args["display_number"] = display_number
    if enable_zoom is not None:
        args["enable_zoom"] = enable_zoom
    if cache_control:
        args["cache_control"] = {"type": "ephemeral"}
    return ProviderDefinedTool(COMPUTER_USE_TOOL_ID, COMPUTER_USE_API_NAME, args)


def computer_use_tool(
    run: Callable[[ToolCall], Any],
    *,
    display_width_px: int,
    display_height_px: int,
    tool_version: ComputerUseToolVersion,
    display_number: int | None = None,
    enable_zoom: bool | None = None,
    cache_control: bool = False,
) -> ExecutableProviderTool:
    """Computer use, executed here: ``run`` gets each call (parse it with
    `parse_computer_use_input`) and usually answers with a screenshot,
    ``fantasy.ToolResponse.image(png_bytes, "image/png")``. ``run`` may be async.

    ``tool_version`` must match the model (``computer_20251124`` for the newest
    models, ``computer_20250124`` for Claude 4 and 3.7); ``enable_zoom`` exists only in
    ``computer_20251124``. Requests that carry the tool go to the beta API.
    """
    definition = computer_use_definition(
        display_width_px=display_width_px,
        display_height_px=display_height_px,
        tool_version=tool_version,
        display_number=display_number,
        enable_zoom=enable_zoom,
        cache_control=cache_control,
    )
    return ExecutableProviderTool(definition, run)


def is_computer_use_tool(tool: Any) -> bool:
    if isinstance(tool, ExecutableProviderTool):
        tool = tool.definition
    return isinstance(tool, ProviderDefinedTool) and tool.id == COMPUTER_USE_TOOL_ID


def computer_use_version(tool: ProviderDefinedTool) -> str | None:
    version = (tool.args or {}).get("tool_version")
    return version if isinstance(version, str) else None


def computer_use_tool_json(tool: ProviderDefinedTool) -> JSON:
    """The beta tool object; ValueError when the arguments cannot make one."""
    args = tool.args or {}
    version = computer_use_version(tool)
    if version is None:
        raise ValueError("computer use tool: tool_version arg is missing")
    if version not in COMPUTER_USE_BETA_FLAGS:
        raise ValueError(f"unsupported computer use tool version: {version!r}")
    height = as_int(args.get("display_height_px"))
    width = as_int(args.get("display_width_px"))
    if height is None or width is None:
        raise ValueError(
            "display_height_px and display_width_px must be whole numbers "
            f"(height ok={height is not None}, width ok={width is not None})"
        )
    wire: JSON = {
        "display_height_px": height,
        "display_width_px": width,
        "name": COMPUTER_USE_API_NAME,
        "type": version,
    }
    if "display_number" in args:
        number = as_int(args["display_number"])
        if number is None:
            raise ValueError("computer use tool has invalid display_number")
        wire["display_number"] = number
    if version == COMPUTER_USE_20251124 and isinstance(args.get("enable_zoom"), bool):
        wire["enable_zoom"] = args["enable_zoom"]
    if "cache_control" in args:
        wire["cache_control"] = {"type": "ephemeral"}
    return wire


class ComputerAction(StrEnum):
    """What the model asks the computer to do; most actions are answered with a screenshot."""

    SCREENSHOT = "screenshot"
    LEFT_CLICK = "left_click"
    RIGHT_CLICK = "right_click"
    DOUBLE_CLICK = "double_click"
    TRIPLE_CLICK = "triple_click"
    MIDDLE_CLICK = "middle_click"
    MOUSE_MOVE = "mouse_move"
    LEFT_CLICK_DRAG = "left_click_drag"
    TYPE = "type"
    KEY = "key"
    SCROLL = "scroll"
    LEFT_MOUSE_DOWN = "left_mouse_down"
    LEFT_MOUSE_UP = "left_mouse_up"
    HOLD_KEY = "hold_key"
    WAIT = "wait"
    CURSOR_POSITION = "cursor_position"
    ZOOM = "zoom"


@dataclass(slots=True, kw_only=True)
class ComputerUseInput:
    """A computer use call's input; which fields are set depends on ``action``."""

    action: str
    coordinate: tuple[int, int] | None = None
    start_coordinate: tuple[int, int] | None = None
    text: str = ""
    """Text to type, a key combination, or a modifier held during a click or scroll."""
    scroll_direction: str = ""
    scroll_amount: int = 0
    duration: float = 0
    """Seconds to hold a key or wait."""
    region: tuple[int, int, int, int] | None = None
    """``[x1, y1, x2, y2]`` to zoom into (``computer_20251124`` only)."""


def _point(data: Mapping[str, Any], key: str, size: int) -> tuple[int, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected an array")
    if len(value) != size:
        raise ValueError(f"{key}: expected {size} elements, got {len(value)}")
    numbers = [as_int(v) for v in value]
    if any(n is None for n in numbers):
        raise ValueError(f"{key}: expected whole numbers")
    return tuple(n for n in numbers if n is not None)


def parse_computer_use_input(text: str) -> ComputerUseInput:
    """Parse a call's JSON input; ValueError when it is malformed or a coordinate has the
    wrong number of elements (a silently padded coordinate would click the wrong spot)."""
    data = _json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("computer use input must be a JSON object")
    coordinate = _point(data, "coordinate", 2)
    start = _point(data, "start_coordinate", 2)
    region = _point(data, "region", 4)
    try:
        action = shape.text(data, "action")
        typed = shape.text(data, "text")
        direction = shape.text(data, "scroll_direction")
        amount = shape.integer(data, "scroll_amount")
        duration = shape.number(data, "duration")
    except InvalidResponseError as exc:  # the model's input, read as the API documents it
        raise ValueError(exc.message) from None
    return ComputerUseInput(
        action=action,
        coordinate=(coordinate[0], coordinate[1]) if coordinate else None,
        start_coordinate=(start[0], start[1]) if start else None,
        text=typed,
        scroll_direction=direction,
        scroll_amount=amount,
        duration=duration,
        region=(region[0], region[1], region[2], region[3]) if region else None,
    )


def screenshot_result(
    tool_call_id: str, image: bytes, media_type: str = "image/png"
) -> ToolResultPart:
    """A tool message part answering a computer use call with a screenshot."""
    data = base64.b64encode(image).decode("ascii")
    return ToolResultPart(tool_call_id, ToolResultOutputMedia(data, media_type))


def error_result(tool_call_id: str, message: str) -> ToolResultPart:
    """A tool message part saying the action failed; the model may retry or adapt."""
    return ToolResultPart(tool_call_id, ToolResultOutputError(message))


def text_result(tool_call_id: str, text: str) -> ToolResultPart:
    return ToolResultPart(tool_call_id, ToolResultOutputText(text))
