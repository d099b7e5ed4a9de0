"""pytest plugin: the `fantasy_cassette` fixture (auto-loaded once fantasy is installed).

Use it in your own test suite to run code built on fantasy against recorded provider
traffic, with no network and no API key::

    def test_agent(fantasy_cassette):
        transport = fantasy_cassette("cassettes/hello.yaml")  # relative to this test file
        client = httpx.Client(transport=transport)  # or httpx.AsyncClient
        ...  # build your provider with this client and run the agent

The test fails if a request matches no recorded interaction, and also if it leaves any
recorded interaction unused: a conversation that stops early is a regression too.

To (re)record, run with real credentials and ``FANTASY_RECORD=1`` (or
``pytest --fantasy-record``): the same call then returns a `RecordingTransport` that talks
to the provider and, when the test passes, writes the cassette (creating folders). Only
the Accept, Content-Type and User-Agent request headers are written, and every credential
the requests carried (headers, URL userinfo, credential query parameters and body fields),
the values of environment variables that look like credentials (``*_API_KEY``,
``*TOKEN*``, ``*SECRET*``...) and anything passed in ``secrets=`` are replaced by
``[REDACTED]`` wherever they occur, in every encoding (see `RecordingTransport`).

PyYAML (``pip install fantasy[testing]``) is needed only when the fixture is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from fantasy.testing.transport import RecordingTransport, ReplayTransport

    CassetteTransport = ReplayTransport | RecordingTransport

__all__ = ["RECORD_ENV", "CassetteFactory", "fantasy_cassette"]

RECORD_ENV = "FANTASY_RECORD"
_TRUTHY = frozenset({"1", "true", "yes", "on"})
_CREDENTIAL_ENV = re.compile(r"API_?KEY|TOKEN|SECRET|PASSWORD|ACCESS_KEY", re.IGNORECASE)
_MIN_SECRET_LENGTH = 8  # shorter values ("1", "true") would redact unrelated text
_TRANSPORTS = pytest.StashKey[list["CassetteTransport"]]()


class CassetteFactory(Protocol):
    """The callable `fantasy_cassette` yields."""

    def __call__(
        self,
        path: str | os.PathLike[str],
        *,
        seed: int = 0,
        max_piece: int = 48,
        secrets: Iterable[str] = (),
    ) -> CassetteTransport: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fantasy").addoption(
        "--fantasy-record",
        action="store_true",
        default=False,
        help=f"record fantasy cassettes from live providers (same as {RECORD_ENV}=1)",
    )


@pytest.fixture
def fantasy_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteFactory]:
    """Factory of replay (or, in record mode, recording) transports for this test."""
    from fantasy.testing.transport import RecordingTransport, ReplayTransport

    record = _record_mode(request.config)
    base = request.path.parent
    made = request.node.stash.setdefault(_TRANSPORTS, [])

    def factory(
        path: str | os.PathLike[str],
        *,
        seed: int = 0,
        max_piece: int = 48,
        secrets: Iterable[str] = (),
    ) -> CassetteTransport:
        target = base / Path(path)  # an absolute `path` wins over `base`
        transport: CassetteTransport
        if record:
            transport = RecordingTransport(path=target, secrets=(*secrets, *_env_secrets()))
        else:
            transport = ReplayTransport(target, seed=seed, max_piece=max_piece)
        made.append(transport)
        return transport

    yield factory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Check cassettes right after a passing test body, so leftovers fail the test itself.

    Doing it here rather than in fixture teardown reports a FAILED test instead of a
    teardown ERROR, and skips the check (and the save) when the body already failed.
    """
    result = yield
    _finish(item.stash.get(_TRANSPORTS, []))
    return result


def _finish(transports: list[CassetteTransport]) -> None:
    from fantasy.testing.transport import RecordingTransport, UnusedInteractionsError

    problems: list[str] = []
    for transport in transports:
        if isinstance(transport, RecordingTransport):
            transport.save()
            continue
        try:
            transport.assert_all_used()
        except UnusedInteractionsError as exc:
            problems.append(str(exc))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _record_mode(config: pytest.Config) -> bool:
    if config.getoption("--fantasy-record", default=False):
        return True
    return os.environ.get(RECORD_ENV, "").strip().lower() in _TRUTHY


def _env_secrets() -> list[str]:
    """Credential-looking environment values, scrubbed even if they leak into a URL or body."""
    return [
        value
        for name, value in os.environ.items()
        if _CREDENTIAL_ENV.search(name) and len(value) >= _MIN_SECRET_LENGTH
    ]
