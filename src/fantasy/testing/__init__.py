"""Cassette replay and record for tests of code built on fantasy.

Replays go-vcr "version 2" cassettes (the format of Fantasy's Go provider tests) through
httpx transports, and records new ones with credentials stripped. `import fantasy` never
imports this package; PyYAML (the `testing` extra) is needed only to load or save files.
See `fantasy.testing.pytest_plugin` for the `fantasy_cassette` fixture.
`FakeModel` (`fantasy.testing.fake`) answers from a script, to test agents with no HTTP at all.
"""

from fantasy.testing.cassette import (
    Body,
    Cassette,
    CassetteFormatError,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from fantasy.testing.fake import (
    FakeModel,
    FakeModelError,
    RecordingSleep,
    ScriptedStream,
    ScriptItem,
    ToolCallSpec,
    error_part,
    finish_part,
    stream_parts_for_response,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
    text_response,
    tool_call_response,
)
from fantasy.testing.matcher import CassetteMismatchError, bodies_match, requests_match
from fantasy.testing.transport import (
    RecordingTransport,
    ReplayTransport,
    UnusedInteractionsError,
    split_body,
)

__all__ = [
    "Body",
    "Cassette",
    "CassetteFormatError",
    "CassetteMismatchError",
    "FakeModel",
    "FakeModelError",
    "Headers",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingSleep",
    "RecordingTransport",
    "ReplayTransport",
    "ScriptItem",
    "ScriptedStream",
    "ToolCallSpec",
    "UnusedInteractionsError",
    "bodies_match",
    "error_part",
    "finish_part",
    "requests_match",
    "split_body",
    "stream_parts_for_response",
    "stream_parts_for_text",
    "stream_parts_for_tool_calls",
    "text_response",
    "tool_call_response",
]
