"""GPT's ``multi_tool_use.parallel``: a tool call that wraps other tool calls.

OpenAI's models were trained with a built-in wrapper for parallel calls, and they
sometimes write it as an ordinary function call although no such tool was offered:
``{"name": "multi_tool_use.parallel", "arguments": "{\\"tool_uses\\": [{\\"recipient_name\\":
\\"functions.weather\\", \\"parameters\\": {...}}, ...]}"}``. Run as it stands it is a call to
an unknown tool. When the request offered no tool of that name, the calls it names are
read as the separate calls they are (``functions.`` taken off each name), with ids made
from the wrapper's (``<id>_0``, ``<id>_1``, ...) so that their results can answer them.
A wrapper whose arguments are not that shape is left as it came.
"""

from __future__ import annotations

import json

from fantasy import _json
from fantasy.model import Call
from fantasy.types import Content, ResponseContent, ToolCallContent

WRAPPER = "multi_tool_use.parallel"
_PREFIX = "functions."


def unwraps(call: Call) -> bool:
    """Whether answers to ``call`` have their wrappers unwrapped: unless the call offered
    a tool of the wrapper's name, which is then a real tool."""
    return all(getattr(tool, "name", "") != WRAPPER for tool in call.tools)


def wrapped_calls(call_id: str, arguments: str) -> list[tuple[str, str, str]] | None:
    """(id, name, arguments as JSON) of each call the wrapper names; None when its
    arguments are not a list of ``tool_uses`` with a name and an object each."""
    try:
        data = _json.loads(arguments)
    except ValueError:
        return None
    uses = data.get("tool_uses") if isinstance(data, dict) else None
    if not isinstance(uses, list) or not uses:
        return None
    calls: list[tuple[str, str, str]] = []
    for i, use in enumerate(uses):
        if not isinstance(use, dict):
            return None
        name = use.get("recipient_name")
        parameters = use.get("parameters", {})
        if not isinstance(name, str) or not name or not isinstance(parameters, dict):
            return None
        name = name.removeprefix(_PREFIX)
        calls.append((f"{call_id}_{i}", name, json.dumps(parameters, ensure_ascii=False)))
    return calls


def unwrap_content(content: ResponseContent) -> ResponseContent:
    """``content`` with each wrapper call replaced by the calls it names, in place."""
    if not any(isinstance(c, ToolCallContent) and c.tool_name == WRAPPER for c in content):
        return content
    out = ResponseContent()
    for item in content:
        out.extend(_unwrapped(item))
    return out


def _unwrapped(item: Content) -> list[Content]:
    if not isinstance(item, ToolCallContent) or item.tool_name != WRAPPER:
        return [item]
    calls = wrapped_calls(item.tool_call_id, item.input)
    if calls is None:
        return [item]
    return [
        ToolCallContent(call_id, name, arguments, provider_metadata=item.provider_metadata)
        for call_id, name, arguments in calls
    ]
