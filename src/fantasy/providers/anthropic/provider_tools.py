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
from enum import StrEnum
from typing import Any, Literal

from fantasy import _json
from fantasy._record import Record, as_dict
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
        value = as_dict(value)
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


class ComputerUseInput(Record):
    """A computer use call's input; which fields are set depends on ``action``."""

    __slots__ = (
        "action",
        "coordinate",
        "start_coordinate",
        "text",
        "scroll_direction",
        "scroll_amount",
        "duration",
        "region",
    )

    action: str
    coordinate: tuple[int, int] | None
    start_coordinate: tuple[int, int] | None
    text: str
    """Text to type, a key combination, or a modifier held during a click or scroll."""
    scroll_direction: str
    scroll_amount: int
    duration: float
    """Seconds to hold a key or wait."""
    region: tuple[int, int, int, int] | None
    """``[x1, y1, x2, y2]`` to zoom into (``computer_20251124`` only)."""

    def __init__(
        self,
        *,
        action: str,
        coordinate: tuple[int, int] | None = None,
        start_coordinate: tuple[int, int] | None = None,
        text: str = "",
        scroll_direction: str = "",
        scroll_amount: int = 0,
        duration: float = 0,
        region: tuple[int, int, int, int] | None = None,
    ) -> None:
        self.action = action
        self.coordinate = coordinate
        self.start_coordinate = start_coordinate
        self.text = text
        self.scroll_direction = scroll_direction
        self.scroll_amount = scroll_amount
        self.duration = duration
        self.region = region


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


# --------------------------------------------------------------------------- hosted tools

WEB_FETCH_TOOL_ID = "anthropic.web_fetch"
CODE_EXECUTION_TOOL_ID = "anthropic.code_execution"
TOOL_SEARCH_TOOL_ID = "anthropic.tool_search"

WebFetchVersion = Literal["web_fetch_20250910", "web_fetch_20260209", "web_fetch_20260309"]
CodeExecutionVersion = Literal[
    "code_execution_20250825", "code_execution_20250522", "code_execution_20260120"
]
ToolSearchKind = Literal["regex", "bm25"]

TOOL_BETA_FLAGS: dict[str, str] = {
    "web_fetch_20250910": "web-fetch-2025-09-10",
    "code_execution_20250522": "code-execution-2025-05-22",
    "code_execution_20250825": "code-execution-2025-08-25",
    "tool_search_tool_regex_20251119": "advanced-tool-use-2025-11-20",
    "tool_search_tool_bm25_20251119": "advanced-tool-use-2025-11-20",
    "memory_20250818": "context-management-2025-06-27",
}
"""The beta flag each tool version was released under (later versions need none)."""


def web_fetch_tool(
    *,
    max_uses: int | None = None,
    allowed_domains: Sequence[str] | None = None,
    blocked_domains: Sequence[str] | None = None,
    citations: bool = False,
    max_content_tokens: int | None = None,
    version: WebFetchVersion = "web_fetch_20250910",
) -> ProviderDefinedTool:
    """Anthropic's server-side web fetch: the model reads pages (and PDFs) whose URLs the
    user gave or a search found. Each fetch comes back as a provider-executed call
    (``web_fetch``) and result: the page's text as the result's output, the whole
    document in ``provider_metadata["anthropic"]`` (`ServerToolResultMetadata`).
    ``citations=True`` lets the model cite the fetched page."""
    args: dict[str, Any] = {"version": version}
    if max_uses:
        args["max_uses"] = max_uses
    if allowed_domains:
        args["allowed_domains"] = list(allowed_domains)
    if blocked_domains:
        args["blocked_domains"] = list(blocked_domains)
    if citations:
        args["citations"] = True
    if max_content_tokens:
        args["max_content_tokens"] = max_content_tokens
    return ProviderDefinedTool(WEB_FETCH_TOOL_ID, "web_fetch", args)


def code_execution_tool(
    *, version: CodeExecutionVersion = "code_execution_20250825"
) -> ProviderDefinedTool:
    """Anthropic's sandboxed code execution (Bash commands and file edits from
    ``code_execution_20250825``; Python only in ``code_execution_20250522``). Calls come
    back provider-executed (``bash_code_execution``, ``text_editor_code_execution``, or
    ``code_execution``) with results whose output is stdout (or the file viewed) and
    whose metadata has stdout, stderr, the return code and created file ids."""
    return ProviderDefinedTool(CODE_EXECUTION_TOOL_ID, "code_execution", {"version": version})


def tool_search_tool(kind: ToolSearchKind = "regex") -> ProviderDefinedTool:
    """Anthropic's tool search: tools marked ``provider_options=anthropic.defer_loading()``
    stay out of the prompt until the model finds them (by regex or BM25). The search
    comes back as a provider-executed call and a result listing the tools found."""
    if kind not in ("regex", "bm25"):
        raise ValueError(f"tool search kind {kind!r}: use 'regex' or 'bm25'")
    return ProviderDefinedTool(TOOL_SEARCH_TOOL_ID, f"tool_search_tool_{kind}", {"kind": kind})


def _version(tool: ProviderDefinedTool, default: str) -> str:
    version = (tool.args or {}).get("version")
    return version if isinstance(version, str) and version else default


def hosted_tool_json(tool: ProviderDefinedTool) -> JSON:
    """The tool object of a hosted tool (web fetch, code execution, tool search)."""
    args = tool.args or {}
    if tool.id == WEB_FETCH_TOOL_ID:
        wire: JSON = {"name": "web_fetch", "type": _version(tool, "web_fetch_20250910")}
        if allowed := _strings(args.get("allowed_domains")):
            wire["allowed_domains"] = allowed
        if blocked := _strings(args.get("blocked_domains")):
            wire["blocked_domains"] = blocked
        if args.get("citations") is True:
            wire["citations"] = {"enabled": True}
        tokens = as_int(args.get("max_content_tokens"))
        if tokens is not None and tokens > 0:
            wire["max_content_tokens"] = tokens
        max_uses = as_int(args.get("max_uses"))
        if max_uses is not None and max_uses > 0:
            wire["max_uses"] = max_uses
        return wire
    if tool.id == CODE_EXECUTION_TOOL_ID:
        return {"name": "code_execution", "type": _version(tool, "code_execution_20250825")}
    kind = args.get("kind") if args.get("kind") in ("regex", "bm25") else "regex"
    return {"name": f"tool_search_tool_{kind}", "type": f"tool_search_tool_{kind}_20251119"}


HOSTED_TOOL_IDS = frozenset({WEB_FETCH_TOOL_ID, CODE_EXECUTION_TOOL_ID, TOOL_SEARCH_TOOL_ID})


# --------------------------------------------------------------------------- client tools

MEMORY_TOOL_ID = "anthropic.memory"
BASH_TOOL_ID = "anthropic.bash"
TEXT_EDITOR_TOOL_ID = "anthropic.text_editor"

CLIENT_TOOLS: dict[str, tuple[str, str]] = {
    MEMORY_TOOL_ID: ("memory", "memory_20250818"),
    BASH_TOOL_ID: ("bash", "bash_20250124"),
    TEXT_EDITOR_TOOL_ID: ("str_replace_based_edit_tool", "text_editor_20250728"),
}
"""Anthropic-defined tools run by the client: (the name the model calls, the type)."""


def memory_tool(run: Callable[[ToolCall], Any]) -> ExecutableProviderTool:
    """Anthropic's memory tool, run here: the model keeps files under ``/memories``
    across conversations through ``view``, ``create``, ``str_replace``, ``insert``,
    ``delete`` and ``rename`` commands (parse each call with `parse_memory_command`);
    ``run`` stores them where you choose and answers in text."""
    return ExecutableProviderTool(ProviderDefinedTool(MEMORY_TOOL_ID, "memory", {}), run)


def bash_tool(run: Callable[[ToolCall], Any]) -> ExecutableProviderTool:
    """Anthropic's bash tool (``bash_20250124``), run here: each call's input is
    ``{"command": ...}`` or ``{"restart": true}``; answer with the command's output."""
    return ExecutableProviderTool(ProviderDefinedTool(BASH_TOOL_ID, "bash", {}), run)


def text_editor_tool(
    run: Callable[[ToolCall], Any], *, max_characters: int | None = None
) -> ExecutableProviderTool:
    """Anthropic's text editor tool (``text_editor_20250728``, called
    ``str_replace_based_edit_tool``), run here: ``view``, ``create``, ``str_replace``
    and ``insert`` commands (`parse_memory_command` reads them too)."""
    args: dict[str, Any] = {}
    if max_characters:
        args["max_characters"] = max_characters
    definition = ProviderDefinedTool(TEXT_EDITOR_TOOL_ID, "str_replace_based_edit_tool", args)
    return ExecutableProviderTool(definition, run)


def client_tool_json(tool: ProviderDefinedTool) -> JSON:
    name, kind = CLIENT_TOOLS[tool.id]
    wire: JSON = {"name": name, "type": kind}
    limit = as_int((tool.args or {}).get("max_characters"))
    if tool.id == TEXT_EDITOR_TOOL_ID and limit is not None and limit > 0:
        wire["max_characters"] = limit
    return wire


class MemoryCommand(Record):
    """A memory (or text editor) tool call's input; which fields are set depends on
    ``command``."""

    __slots__ = (
        "command",
        "path",
        "file_text",
        "old_str",
        "new_str",
        "insert_line",
        "insert_text",
        "view_range",
        "old_path",
        "new_path",
    )

    command: str
    path: str
    file_text: str
    old_str: str
    new_str: str
    insert_line: int | None
    insert_text: str
    view_range: tuple[int, int] | None
    old_path: str
    new_path: str

    def __init__(
        self,
        *,
        command: str,
        path: str = "",
        file_text: str = "",
        old_str: str = "",
        new_str: str = "",
        insert_line: int | None = None,
        insert_text: str = "",
        view_range: tuple[int, int] | None = None,
        old_path: str = "",
        new_path: str = "",
    ) -> None:
        self.command = command
        self.path = path
        self.file_text = file_text
        self.old_str = old_str
        self.new_str = new_str
        self.insert_line = insert_line
        self.insert_text = insert_text
        self.view_range = view_range
        self.old_path = old_path
        self.new_path = new_path


def parse_memory_command(text: str) -> MemoryCommand:
    """Parse a memory or text editor call's JSON input; ValueError when malformed."""
    data = _json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("memory tool input must be a JSON object")
    view = _point(data, "view_range", 2)
    try:
        insert_line = data.get("insert_line")
        line = None if insert_line is None else shape.integer(data, "insert_line")
        # The text editor calls it new_str, the memory tool insert_text.
        return MemoryCommand(
            command=shape.text(data, "command"),
            path=shape.text(data, "path"),
            file_text=shape.text(data, "file_text"),
            old_str=shape.text(data, "old_str"),
            new_str=shape.text(data, "new_str"),
            insert_line=line,
            insert_text=shape.text(data, "insert_text"),
            view_range=(view[0], view[1]) if view else None,
            old_path=shape.text(data, "old_path"),
            new_path=shape.text(data, "new_path"),
        )
    except InvalidResponseError as exc:
        raise ValueError(exc.message) from None
