"""Toolsets: tools that live somewhere else (an MCP server) and may change between steps.

An agent's ``tools=`` are fixed when it is built. A toolset is asked for its tools at
every step instead, so a server that adds or removes tools mid-run is honoured on the
next step. A toolset may need starting (a subprocess, a connection): a run enters each
of the agent's toolsets before its first step and leaves them when it ends, however it
ends (finished, failed, cancelled, Ctrl-C). Entering is counted, so a toolset the caller
entered already (``async with toolset`` or ``with agent``) stays up across runs, and one
nobody entered lives exactly as long as the run that needed it.

The loop knows only this protocol; `fantasy.mcp` implements it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from fantasy.errors import InvalidArgumentError
from fantasy.tools import AgentTool, ToolInfo

logger = logging.getLogger("fantasy.agent")


@runtime_checkable
class Toolset(Protocol):
    """Tools listed per step, with a lifetime entered around each run."""

    async def get_tools(self) -> Sequence[AgentTool]:
        """The tools for the next step (called once per step)."""
        ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: object) -> Any: ...


class ToolNameClashError(InvalidArgumentError):
    """Two toolsets (or a toolset and the agent's own tools) offer a tool of the same name."""


def check_toolsets(toolsets: object) -> list[Toolset]:
    """``toolsets=`` as given to the agent: a list of `Toolset`s (one alone is accepted)."""
    if toolsets is None:
        return []
    if isinstance(toolsets, Toolset):
        return [toolsets]
    if not isinstance(toolsets, Sequence) or isinstance(toolsets, str | bytes):
        raise InvalidArgumentError(
            f"Agent: toolsets must be a list of toolsets, got {type(toolsets).__name__}"
        )
    out: list[Toolset] = []
    for index, item in enumerate(toolsets):
        if not isinstance(item, Toolset):
            raise InvalidArgumentError(
                f"Agent: toolsets[{index}] must be a toolset (fantasy.mcp.MCPServerStdio(...), "
                f"say), got {type(item).__name__}; functions go in tools="
            )
        out.append(item)
    return out


def label(toolset: object) -> str:
    """How errors name a toolset: its ``label`` when it has one, else its repr."""
    given = getattr(toolset, "label", None)
    return given if isinstance(given, str) and given else repr(toolset)


class RunToolsets:
    """One run's hold on the agent's toolsets: entered on the first step, left at the end."""

    def __init__(self, toolsets: Sequence[Toolset]):
        self.toolsets = tuple(toolsets)
        self._entered: list[Toolset] = []
        self._started = False

    async def tools(self, fixed: Sequence[AgentTool]) -> list[AgentTool]:
        """The step's tools from every toolset, after ``fixed`` (the agent's own).

        A name offered twice is a `ToolNameClashError` naming both owners: a model
        told about two tools of one name calls one of them, and nobody can say which.
        """
        if not self.toolsets:
            return []
        if not self._started:
            self._started = True
            for toolset in self.toolsets:
                await toolset.__aenter__()
                self._entered.append(toolset)
        owners = {t.info.name: "the agent's tools=" for t in fixed}
        out: list[AgentTool] = []
        for toolset in self.toolsets:
            for tool in await toolset.get_tools():
                name = tool.info.name
                other = owners.get(name)
                if other is not None:
                    raise ToolNameClashError(
                        f'tool "{name}" is offered by both {other} and {label(toolset)}; '
                        "give one of the servers a prefix (prefix='...') or filter the tool "
                        "out (allow=/deny=)"
                    )
                owners[name] = label(toolset)
                out.append(tool)
        return out

    async def close(self) -> None:
        """Leave every toolset this run entered, last first; a failure to stop one is
        logged, never raised over the run's own outcome."""
        while self._entered:
            toolset = self._entered.pop()
            try:
                await toolset.__aexit__(None, None, None)
            except Exception:
                logger.warning("stopping toolset %s failed", label(toolset), exc_info=True)


async def enter_all(toolsets: Sequence[Toolset]) -> None:
    """Enter each toolset (``async with agent``); on a failure, leave the ones entered."""
    entered: list[Toolset] = []
    try:
        for toolset in toolsets:
            await toolset.__aenter__()
            entered.append(toolset)
    except BaseException:
        await exit_all(entered)
        raise


async def exit_all(toolsets: Sequence[Toolset]) -> None:
    """Leave each toolset, last first, logging (not raising) a failure to stop one."""
    for toolset in reversed(list(toolsets)):
        try:
            await toolset.__aexit__(None, None, None)
        except Exception:
            logger.warning("stopping toolset %s failed", label(toolset), exc_info=True)


def full_input_schema(info: ToolInfo) -> dict[str, Any] | None:
    """The input schema to send for a tool that carries a whole one (`ToolInfo.schema`, an
    MCP server's), normalized as every tool's is; None for tools that carry only their
    properties and required list (the wire for those is unchanged)."""
    if info.schema is None:
        return None
    from fantasy.schema import normalize

    schema = copy.deepcopy(info.schema)
    schema.setdefault("type", "object")
    if schema.get("type") == "object" and "properties" not in schema:
        schema["properties"] = {}
    return normalize(schema)
