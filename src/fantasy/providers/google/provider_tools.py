"""Gemini's built-in tools: Google Search grounding, URL context and code execution.

The constructors give `fantasy.ProviderDefinedTool` values for
``Agent(provider_tools=[...])``; `builtin_tool_json` turns one into the request's
tool object. Google runs them all: what they did comes back as sources and
``provider_metadata["google"]`` (search, URL context) or as provider-executed tool
calls and results (code execution). The arguments may have been through JSON, so
they are read leniently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fantasy._record import Record
from fantasy.persistence.registry import persisted
from fantasy.types import JSON, ProviderDefinedTool

GOOGLE_SEARCH_TOOL_ID = "google.google_search"
URL_CONTEXT_TOOL_ID = "google.url_context"
CODE_EXECUTION_TOOL_ID = "google.code_execution"

CODE_EXECUTION_TOOL_NAME = "code_execution"
"""The tool name of Gemini's code execution calls and results (``executableCode`` /
``codeExecutionResult`` parts) in response content."""


@persisted(omit_empty=["*"])
class TimeRangeFilter(Record):
    """Only results published in this interval (RFC 3339 times, e.g.
    ``"2025-01-01T00:00:00Z"``); either end may be left empty."""

    __slots__ = ("start_time", "end_time")

    start_time: str
    end_time: str

    def __init__(self, *, start_time: str = "", end_time: str = "") -> None:
        self.start_time = start_time
        self.end_time = end_time


def google_search_tool(
    *,
    time_range_filter: TimeRangeFilter | None = None,
    exclude_domains: Sequence[str] | None = None,
) -> ProviderDefinedTool:
    """Grounding with Google Search. Pages used become the response's sources; the
    queries and the search entry point (which Google's terms ask you to display) are
    in ``provider_metadata["google"].grounding_metadata``.

    ``exclude_domains`` is a Vertex AI option (the Gemini API refuses it).
    """
    args: dict[str, Any] = {}
    if time_range_filter is not None:
        args["time_range_filter"] = time_range_filter
    if exclude_domains:
        args["exclude_domains"] = list(exclude_domains)
    return ProviderDefinedTool(GOOGLE_SEARCH_TOOL_ID, "google_search", args)


def url_context_tool() -> ProviderDefinedTool:
    """Lets the model read the URLs in the prompt. Which pages it fetched, and how that
    went, is in ``provider_metadata["google"].url_context_metadata``; pages it cites
    are sources."""
    return ProviderDefinedTool(URL_CONTEXT_TOOL_ID, "url_context")


def code_execution_tool() -> ProviderDefinedTool:
    """Lets the model write and run Python on Google's side. Each program is a
    provider-executed tool call named ``"code_execution"`` (input
    ``{"language": ..., "code": ...}``), its output a provider-executed tool result
    (text; an error result when the run failed); files it makes (charts) come back
    as file content."""
    return ProviderDefinedTool(CODE_EXECUTION_TOOL_ID, CODE_EXECUTION_TOOL_NAME)


BUILTIN_TOOL_IDS = frozenset({GOOGLE_SEARCH_TOOL_ID, URL_CONTEXT_TOOL_ID, CODE_EXECUTION_TOOL_ID})


def _time_range(value: Any) -> JSON | None:
    start: Any
    end: Any
    if isinstance(value, TimeRangeFilter):
        start, end = value.start_time, value.end_time
    elif isinstance(value, dict):
        start, end = value.get("start_time"), value.get("end_time")
    else:
        return None
    wire = {
        key: item
        for key, item in (("startTime", start), ("endTime", end))
        if isinstance(item, str) and item
    }
    return wire or None


def builtin_tool_json(tool: ProviderDefinedTool) -> JSON:
    """The request's ``Tool`` object for one of this module's tools."""
    args = tool.args or {}
    if tool.id == GOOGLE_SEARCH_TOOL_ID:
        search: JSON = {}
        window = _time_range(args.get("time_range_filter"))
        if window is not None:
            search["timeRangeFilter"] = window
        domains = args.get("exclude_domains")
        if isinstance(domains, list | tuple) and domains:
            search["excludeDomains"] = [str(d) for d in domains]
        return {"googleSearch": search}
    if tool.id == URL_CONTEXT_TOOL_ID:
        return {"urlContext": {}}
    return {"codeExecution": {}}
