"""Cassette replay and record for tests of code built on fantasy.

Replays go-vcr "version 2" cassettes (the format of Fantasy's Go provider tests) through
httpx transports, and records new ones with credentials stripped. `import fantasy` never
imports this package; PyYAML (the `testing` extra) is needed only to load or save files.
See `fantasy.testing.pytest_plugin` for the `fantasy_cassette` fixture.
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
    "Headers",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingTransport",
    "ReplayTransport",
    "UnusedInteractionsError",
    "bodies_match",
    "requests_match",
    "split_body",
]
