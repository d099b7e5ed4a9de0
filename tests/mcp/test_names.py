"""Server tool names that providers refuse (``files.read``, longer than 64 characters) are
offered to the model under a name every provider accepts, and called under the server's."""

from __future__ import annotations

import re

import pytest

import fantasy
from fantasy.agent.toolsets import ToolNameClashError
from fantasy.mcp.names import provider_safe
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.types import ToolResultOutputError
from tests.mcp.servers import LONG_NAME

PROVIDER_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def texts(result: fantasy.AgentResult) -> list[str]:
    out = []
    for step in result.steps:
        for r in step.content.tool_results:
            output = r.result
            out.append(output.error if isinstance(output, ToolResultOutputError) else output.text)
    return out


def test_a_dotted_and_a_long_name_are_listed_valid_and_called_by_the_servers_names(
    make_stdio,
) -> None:
    server = make_stdio("dotted", prefix="fs")
    long_name = provider_safe(f"fs_{LONG_NAME}")
    model = FakeModel(
        [
            tool_call_response(
                ("c1", "fs_files_read", {"path": "notes.txt"}), ("c2", long_name, {})
            ),
            text_response("done"),
        ]
    )
    result = fantasy.Agent(model, toolsets=[server]).generate("read it")
    names = sorted(t.name for t in model.calls[0].tools)
    assert all(PROVIDER_NAME.match(n) for n in names), names
    assert names == sorted(["fs_files_read", long_name])
    # The long name keeps its start and ends in a hash of the full name: 64 characters.
    assert len(long_name) == 64 and long_name.startswith("fs_warehouse_inventory_stock_level")
    assert re.fullmatch(r".*_[0-9a-f]{8}", long_name)
    # Each call reached the server's tool under its real name.
    assert texts(result) == ["files.read ran for notes.txt", "the long one ran"]


def test_the_mapped_names_are_the_same_on_every_listing_and_server_process(make_stdio) -> None:
    async def names(which: str) -> list[str]:
        async with make_stdio(which) as server:
            return sorted(t.info.name for t in await server.get_tools())

    import asyncio

    first = asyncio.run(names("dotted"))
    assert first == asyncio.run(names("dotted"))
    assert "files_read" in first and all(PROVIDER_NAME.match(n) for n in first)


def test_allow_deny_and_approval_use_the_servers_names(make_stdio) -> None:
    server = make_stdio("dotted", allow=["files.read"], needs_approval=["files.read"])
    model = FakeModel([tool_call_response(("c1", "files_read", {"path": "a"})), text_response("x")])
    result = fantasy.Agent(model, toolsets=[server]).generate("go")
    assert [t.name for t in model.calls[0].tools] == ["files_read"]
    assert [c.tool_name for c in result.pending_approvals] == ["files_read"]


def test_two_tools_that_map_to_one_name_are_a_clear_error(make_stdio) -> None:
    server = make_stdio("dotted-clash", name="dotted")
    with pytest.raises(ToolNameClashError) as info:
        fantasy.Agent(FakeModel([text_response("x")]), toolsets=[server]).generate("go")
    message = str(info.value)
    assert 'MCP server "dotted"' in message
    assert "'files.read' and 'files_read'" in message and '"files_read"' in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("read_file", "read_file"),
        ("files.read", "files_read"),
        ("über tool/v1", "_ber_tool_v1"),
        ("", "tool"),
    ],
)
def test_provider_safe_names(name: str, expected: str) -> None:
    assert provider_safe(name) == expected


def test_long_names_that_share_a_start_stay_apart() -> None:
    first, second = provider_safe("a" * 70 + ".x"), provider_safe("a" * 70 + ".y")
    assert first != second and len(first) == len(second) == 64
    assert provider_safe("a" * 64) == "a" * 64
