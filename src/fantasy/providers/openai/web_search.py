"""OpenAI's built-in web search: the tool to offer, and what its calls leave behind.

The search runs on OpenAI's side. The model's answer arrives as ordinary text
with URL citations (sources); the search itself arrives as a provider-executed
tool call and result pair, so the agent records it without running anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fantasy.http.shape import obj, objects, text
from fantasy.persistence.registry import persisted
from fantasy.types import ProviderDefinedTool

WEB_SEARCH_TOOL_ID = "web_search"
"""Fantasy's id for OpenAI's web search tool (also its name)."""
WEB_SEARCH_TOOL_IDS = frozenset({WEB_SEARCH_TOOL_ID, "openai.web_search"})
"""Ids the Responses codec sends as web search; the second follows this library's
``"<provider>.<tool>"`` convention for provider-defined tools."""

SearchContextSize = Literal["low", "medium", "high"]


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class WebSearchUserLocation:
    """Where the user is, for more relevant results; empty fields are not sent."""

    city: str = ""
    region: str = ""
    country: str = ""
    """Two-letter ISO code, e.g. ``"JP"``."""
    timezone: str = ""
    """IANA name, e.g. ``"Asia/Tokyo"``."""


def web_search_tool(
    *,
    search_context_size: SearchContextSize | None = None,
    allowed_domains: Sequence[str] | None = None,
    user_location: WebSearchUserLocation | None = None,
) -> ProviderDefinedTool:
    """The web search tool, for ``Agent(provider_tools=[...])`` on a Responses API model.

    With no arguments OpenAI's defaults apply (medium context, no domain filter).
    ``allowed_domains`` limits results to those domains and their subdomains.
    """
    args: dict[str, Any] = {}
    if search_context_size:
        args["search_context_size"] = search_context_size
    if allowed_domains:
        args["allowed_domains"] = list(allowed_domains)
    if user_location is not None:
        args["user_location"] = user_location
    return ProviderDefinedTool(WEB_SEARCH_TOOL_ID, WEB_SEARCH_TOOL_ID, args)


def web_search_tool_param(tool: ProviderDefinedTool) -> dict[str, Any]:
    """The tool as the Responses API takes it; only the options that were set are sent."""
    wire: dict[str, Any] = {"type": "web_search"}
    args = tool.args or {}
    size = args.get("search_context_size")
    if isinstance(size, str) and size:
        wire["search_context_size"] = size
    domains = args.get("allowed_domains")
    if isinstance(domains, (list, tuple)) and domains:
        wire["filters"] = {"allowed_domains": [str(d) for d in domains]}
    # Fantasy sends no "type": "approximate"; OpenAI assumes it.
    where = user_location_fields(args.get("user_location"))
    if where:
        wire["user_location"] = where
    return wire


def user_location_fields(location: Any) -> dict[str, str]:
    """The fields of a search's ``user_location`` (a `WebSearchUserLocation` or a dict, as
    persisted) that are set, as both OpenAI APIs name them."""
    if isinstance(location, WebSearchUserLocation):
        location = {
            "city": location.city,
            "region": location.region,
            "country": location.country,
            "timezone": location.timezone,
        }
    if not isinstance(location, dict):
        return {}
    fields = ("city", "region", "country", "timezone")
    return {k: location[k] for k in fields if isinstance(location.get(k), str) and location[k]}


@dataclass(slots=True, kw_only=True)
class WebSearchSource:
    type: str = ""
    url: str = ""


@persisted(omit_empty=["query", "sources"])
@dataclass(slots=True, kw_only=True)
class WebSearchAction:
    """What the search did: ``"search"`` (with its query), ``"open_page"`` or ``"find"``."""

    type: str
    query: str = ""
    sources: list[WebSearchSource] = field(default_factory=list)
    """Filled only when ``"web_search_call.action.sources"`` is in ``include``."""


@persisted("openai.responses.web_search_call_metadata", omit_empty=["action"])
@dataclass(slots=True, kw_only=True)
class WebSearchCallMetadata:
    """On the provider-executed tool result under ``"openai"``: the server-side item id
    (replayed as an item reference when ``store=True``) and the search action."""

    item_id: str
    action: WebSearchAction | None = None


def web_search_call_metadata(item: dict[str, Any], path: str) -> WebSearchCallMetadata:
    """The metadata of a ``web_search_call`` output item, found at ``path``."""
    metadata = WebSearchCallMetadata(item_id=text(item, "id", path))
    action = obj(item, "action", path)
    where = f"{path}.action"
    kind = text(action, "type", where)
    if kind:
        sources = objects(action, "sources", where)
        metadata.action = WebSearchAction(
            type=kind,
            query=text(action, "query", where),
            sources=[
                WebSearchSource(
                    type=text(s, "type", f"{where}.sources[{i}]"),
                    url=text(s, "url", f"{where}.sources[{i}]"),
                )
                for i, s in enumerate(sources)
            ],
        )
    return metadata
