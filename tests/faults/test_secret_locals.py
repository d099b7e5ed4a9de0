"""A key never shows in the locals of a traceback's frames.

``pytest --showlocals``, rich tracebacks and error trackers print every local of
every frame an exception passed through. Request headers holding the key sit in
several of them (the transport's, the shell's, the exchange's); they are kept in an
object whose repr masks credentials until the moment of sending.
"""

from __future__ import annotations

import socket
import types
from collections.abc import Iterator

import pytest

from fantasy import Agent
from fantasy.errors import ProviderError, RetryError
from fantasy.http.secret_headers import MASK, SecretHeaders
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, call, generate, run_agent
from tests.faults.server import FaultServer, Stall
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)


def _frames(err: BaseException) -> Iterator[types.FrameType]:
    """Every frame of the traceback of ``err`` and of the exceptions behind it."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            yield tb.tb_frame
            tb = tb.tb_next
        current = current.__cause__ or current.__context__


def _no_key_in_locals(err: BaseException) -> int:
    looked = 0
    for frame in _frames(err):
        for name, value in frame.f_locals.items():
            try:
                shown = repr(value)
            except Exception:  # a half-built object: pytest shows a placeholder too
                continue
            looked += 1
            assert FAKE_KEY not in shown, f"{frame.f_code.co_name}: local {name!r} shows the key"
            assert FAKE_KEY[:16] not in shown, f"{frame.f_code.co_name}: {name!r} shows part"
    return looked


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@FAMILY
@MODE
def test_a_refused_connection_leaves_no_key_in_any_frame(family: Family, mode: str) -> None:
    model = family.make(f"http://127.0.0.1:{_refusing_port()}", FAKE_KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    assert _no_key_in_locals(info.value) > 10, "the frames were looked at"


@FAMILY
@MODE
def test_a_timed_out_request_leaves_no_key_in_any_frame(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stall())
    with pytest.raises(ProviderError) as info:
        generate(family.make(server.url, FAKE_KEY), mode, call(timeout=0.2))
    assert _no_key_in_locals(info.value) > 10


@FAMILY
@MODE
def test_an_agent_run_that_gives_up_leaves_no_key_in_any_frame(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Stall(), Stall())
    agent = Agent(family.make(server.url, FAKE_KEY), sleep=sleeps, max_retries=1)
    with pytest.raises(RetryError) as info:
        run_agent(agent, mode, streaming=True, timeout=0.2)
    assert _no_key_in_locals(info.value) > 10


def test_secret_headers_send_as_a_dict_and_show_masked() -> None:
    headers = SecretHeaders(
        {"Authorization": f"Bearer {FAKE_KEY}", "X-Upstream-Token": FAKE_KEY, "Accept": "a/b"}
    )
    assert dict(headers)["Authorization"] == f"Bearer {FAKE_KEY}", "sent as given"
    for shown in (repr(headers), str(headers), repr([headers]), repr(headers.copy())):
        assert FAKE_KEY not in shown
        assert MASK in shown
    assert "'Accept': 'a/b'" in repr(headers)
