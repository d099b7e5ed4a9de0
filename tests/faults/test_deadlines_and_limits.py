"""A hostile or broken server decides how slowly and how much it sends; the library
decides how long it waits and how much it holds. Each case here is a server that
defeats httpx's per-read timeout or grows an answer without end:

* a body (whole answer or error) sent a byte at a time, headers sent a byte at a
  time: the call's ``timeout`` ends the request however the bytes come;
* a stream kept warm with comments or pings only, or silent after its first data:
  `HttpLimits.stream_idle_timeout` ends it;
* a gzip bomb, a body larger than allowed, a stream line that never ends: a
  `ProviderError` naming the limit, with memory bounded;
* an error page of megabytes: the error keeps a bounded, visibly cut part of it.

Assertions are on what happened (which error, that the connection was closed,
that the server had more to send), never on how long it took.
"""

from __future__ import annotations

import functools
import gzip
import re
import struct
import zlib

import pytest

from fantasy import Agent, HttpLimits, InvalidResponseError, ProviderTimeoutError
from fantasy.errors import InvalidArgumentError, ProviderError, RetryError
from fantasy.http.limits import clip_body
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, call, generate, run_agent, stream_parts
from tests.faults.server import FaultServer, Reply, Stall, Stream, Trickle, response_bytes
from tests.faults.wire import ANTHROPIC, BEDROCK, FAMILIES, OPENAI_CHAT, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
SSE_FAMILIES = [f for f in FAMILIES if f.content_type == "text/event-stream"]
MODE = pytest.mark.parametrize("mode", MODES)
DEADLINE = 0.4
"""The call's timeout: far shorter than the trickles below would take to finish."""


def _deadline_passed(err: BaseException | None, seconds: float = DEADLINE) -> ProviderError:
    assert isinstance(err, ProviderTimeoutError), repr(err)
    assert f"the call's timeout of {seconds:g}s passed" in str(err)
    assert err.is_retryable
    return err


# --------------------------------------------------------------------------- deadlines


@FAMILY
@MODE
def test_a_whole_answer_sent_a_byte_at_a_time_ends_at_the_calls_deadline(
    family: Family, mode: str, server: FaultServer
) -> None:
    body = response_bytes(200, family.whole("Hello there, this is a long enough answer."))
    server.script(Trickle(body, delay=0.05))
    with pytest.raises(ProviderError) as info:
        generate(family.make(server.url, FAKE_KEY), mode, call(timeout=DEADLINE))
    _deadline_passed(info.value)
    assert server.wait_connections_closed(), "the client hung up"


@FAMILY
@MODE
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_an_error_body_sent_a_byte_at_a_time_ends_at_the_calls_deadline(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    body = response_bytes(500, family.http_error("overloaded, please try again later", 500))
    server.script(Trickle(body, delay=0.05))
    model = family.make(server.url, FAKE_KEY)
    if streaming:
        parts = stream_parts(model, mode, call(timeout=DEADLINE))
        _deadline_passed(parts[-1].error)
    else:
        with pytest.raises(ProviderError) as info:
            generate(model, mode, call(timeout=DEADLINE))
        _deadline_passed(info.value)
    assert server.wait_connections_closed()


@MODE
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_headers_sent_a_byte_at_a_time_end_at_the_calls_deadline(
    mode: str, streaming: bool, server: FaultServer
) -> None:
    head = response_bytes(200, b"", "text/event-stream", **{"X-Padding": "p" * 400})
    server.script(Trickle(head, delay=0.05))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    if streaming:
        _deadline_passed(stream_parts(model, mode, call(timeout=DEADLINE))[-1].error)
    else:
        with pytest.raises(ProviderError) as info:
            generate(model, mode, call(timeout=DEADLINE))
        _deadline_passed(info.value)
    assert server.wait_connections_closed()


@MODE
def test_a_streams_data_sent_a_byte_at_a_time_ends_at_the_calls_deadline(
    mode: str, server: FaultServer
) -> None:
    chunks = b"".join(OPENAI_CHAT.stream(["Hello", " there"] * 20))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    server.script(Trickle(head + chunks, delay=0.02, size=40))
    parts = stream_parts(OPENAI_CHAT.make(server.url, FAKE_KEY), mode, call(timeout=DEADLINE))
    assert any(p.type is StreamPartType.TEXT_DELTA for p in parts), "data came, then the cut"
    _deadline_passed(parts[-1].error)
    assert server.wait_connections_closed()


def _keep_alive(family: Family) -> bytes:
    """What the family's server sends to keep a connection warm without advancing."""
    if family is ANTHROPIC:
        return b'event: ping\ndata: {"type": "ping"}\n\n'
    return b": keep-alive\n\n"


@pytest.mark.parametrize("family", SSE_FAMILIES, ids=lambda f: f.name)
@MODE
def test_a_stream_of_keep_alives_only_is_cut_by_the_idle_timeout(
    family: Family, mode: str, server: FaultServer
) -> None:
    # The provider's per-read timeout is never reached: a comment comes every 20 ms.
    server.script(
        Stream([_keep_alive(family)] * 1000, delay=0.02, content_type=family.content_type)
    )
    limits = HttpLimits(stream_idle_timeout=DEADLINE)
    model = family.make(server.url, FAKE_KEY, timeout=3, limits=limits)
    parts = stream_parts(model, mode)
    error = parts[-1].error
    assert isinstance(error, ProviderTimeoutError), repr(error)
    assert f"nothing that advanced it for {DEADLINE:g}s" in str(error)
    assert "stream_idle_timeout" in str(error)
    assert server.wait_connections_closed()


@FAMILY
@MODE
def test_a_stream_that_falls_silent_after_data_is_cut_by_the_idle_timeout(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stream(family.truncated(["Hi"]), ending="hang", content_type=family.content_type))
    # The provider's own read timeout (ten minutes by default) would wait on.
    model = family.make(server.url, FAKE_KEY, limits=HttpLimits(stream_idle_timeout=DEADLINE))
    parts = stream_parts(model, mode)
    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "Hi"
    error = parts[-1].error
    assert isinstance(error, ProviderTimeoutError), repr(error)
    assert "stream_idle_timeout" in str(error)
    assert server.wait_connections_closed()


@MODE
def test_a_stream_that_keeps_advancing_is_not_cut_by_the_idle_timeout(
    mode: str, server: FaultServer
) -> None:
    # 40 deltas 20 ms apart take twice the idle limit in all; each one resets it.
    texts = ["x"] * 40
    server.script(Stream(OPENAI_CHAT.stream(texts), delay=0.02))
    limits = HttpLimits(stream_idle_timeout=DEADLINE)
    parts = stream_parts(OPENAI_CHAT.make(server.url, FAKE_KEY, limits=limits), mode)
    assert parts[-1].type is StreamPartType.FINISH, parts[-1]
    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "x" * 40


# --------------------------------------------------------------------------- sizes


@functools.cache
def _bomb(size: int) -> bytes:
    """A gzip body that inflates to ``size`` bytes of JSON-looking padding."""
    return gzip.compress(b'{"pad": "' + b"0" * size + b'"}', compresslevel=9)


@FAMILY
@MODE
@pytest.mark.parametrize("status", [200, 500])
def test_a_gzip_bomb_stops_at_the_response_limit(
    family: Family, mode: str, status: int, server: FaultServer
) -> None:
    bomb = _bomb(64 * 1024 * 1024)  # about 64 KB on the wire, 64 MB inflated
    assert len(bomb) < 256 * 1024
    server.script(Reply(status, bomb, headers={"Content-Encoding": "gzip"}))
    limits = HttpLimits(max_response_bytes=4 * 1024 * 1024)
    with pytest.raises(InvalidResponseError) as info:
        generate(family.make(server.url, FAKE_KEY, limits=limits), mode)
    err = info.value
    assert "larger than HttpLimits.max_response_bytes (4,194,304 bytes" in str(err)
    assert err.is_retryable == (status >= 500), "a 5xx stays a server's passing fault"
    assert len(err.response_body) <= limits.max_error_body_bytes


@MODE
def test_a_declared_length_past_the_limit_is_refused_unread(mode: str, server: FaultServer) -> None:
    body = b'{"pad": "' + b"0" * 300_000 + b'"}'
    server.script(Reply(200, body))
    limits = HttpLimits(max_response_bytes=100_000)
    with pytest.raises(InvalidResponseError, match="max_response_bytes"):
        generate(OPENAI_CHAT.make(server.url, FAKE_KEY, limits=limits), mode)


@FAMILY
@MODE
def test_a_stream_line_that_never_ends_stops_at_the_event_limit(
    family: Family, mode: str, server: FaultServer
) -> None:
    first = family.stream(["Hi"])[:2]
    if family is BEDROCK:
        # A frame whose prelude (checksum and all) announces 10 MB, then its bytes.
        prelude = struct.pack(">II", 10 * 1024 * 1024, 0)
        start = prelude + struct.pack(">I", zlib.crc32(prelude))
    else:
        start = b"data: "  # a line that never ends
    endless = [start + b"x" * 65536] + [b"x" * 65536] * 150  # about 10 MB
    server.script(Stream([*first, *endless], content_type=family.content_type))
    limits = HttpLimits(max_event_bytes=1024 * 1024)
    parts = stream_parts(family.make(server.url, FAKE_KEY, limits=limits), mode)
    error = parts[-1].error
    assert isinstance(error, InvalidResponseError), repr(error)
    assert "without completing an event" in str(error)
    assert "max_event_bytes (1,048,576)" in str(error)


@FAMILY
@MODE
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_a_megabytes_long_error_page_is_kept_in_part(
    family: Family, mode: str, streaming: bool, server: FaultServer
) -> None:
    page = b"<html><body>" + b"<p>bad gateway</p>" * 300_000 + b"</body></html>"  # 5 MB
    server.script(Reply(502, page, content_type="text/html"))
    model = family.make(server.url, FAKE_KEY)
    if streaming:
        err = stream_parts(model, mode)[-1].error
    else:
        with pytest.raises(ProviderError) as info:
            generate(model, mode)
        err = info.value
    assert isinstance(err, ProviderError)
    assert len(str(err)) < 3000
    assert err.response_body == clip_body(page, 8192)
    assert err.response_body.endswith(b"[truncated: %d bytes in all]" % len(page))


def test_limits_are_checked_when_given() -> None:
    with pytest.raises(InvalidArgumentError, match="max_event_bytes must be an int > 0"):
        HttpLimits(max_event_bytes=0)
    with pytest.raises(InvalidArgumentError, match="stream_idle_timeout must be seconds > 0"):
        HttpLimits(stream_idle_timeout=-1)
    with pytest.raises(InvalidArgumentError, match=r"limits must be a fantasy\.HttpLimits"):
        OPENAI_CHAT.make("http://127.0.0.1:1", FAKE_KEY, limits={"max_event_bytes": 1})
    assert HttpLimits().max_error_body_bytes == 8192


# --------------------------------------------------------------------------- a whole run


@MODE
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_total_timeout_ends_a_run_whose_next_retry_would_pass_it(
    mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Stall(), Stall(), Stall())
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), sleep=sleeps, max_retries=2)
    with pytest.raises(RetryError) as info:
        run_agent(agent, mode, streaming, total_timeout=DEADLINE)
    err = info.value
    # The one attempt had the whole run's time; the 5 s wait for the next would pass it.
    assert len(server.requests) == 1
    assert sleeps.delays == []
    (only,) = err.errors
    assert isinstance(only, ProviderTimeoutError)
    assert re.search(r"the call's timeout of 0\.[1-4]\d*s passed", str(only)), str(only)
    assert any("would pass the run's total_timeout" in note for note in err.__notes__)


@MODE
def test_total_timeout_bounds_every_attempt_and_the_waits_between(
    mode: str, server: FaultServer
) -> None:
    server.script(*[Stall() for _ in range(10)])
    agent = Agent(OPENAI_CHAT.make(server.url, FAKE_KEY), max_retries=9, retry_initial_delay=0.01)
    with pytest.raises(RetryError) as info:
        run_agent(agent, mode, False, timeout=0.2, total_timeout=0.5)
    # Each attempt takes its 0.2 s (the last one what is left): three at the most.
    assert 1 <= len(server.requests) <= 3
    for error in info.value.errors:
        assert isinstance(error, ProviderTimeoutError)
    assert any("total_timeout" in note for note in info.value.__notes__)


def test_total_timeout_is_checked_like_the_other_options() -> None:
    agent = Agent(OPENAI_CHAT.make("http://127.0.0.1:1", FAKE_KEY))
    with pytest.raises(InvalidArgumentError, match="total_timeout"):
        agent.generate("hi", total_timeout=-3)


@MODE
def test_the_providers_timeout_also_bounds_a_stream_of_keep_alives(
    mode: str, server: FaultServer
) -> None:
    server.script(Stream([b": keep-alive\n\n"] * 1000, delay=0.02))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY, timeout=DEADLINE)
    error = stream_parts(model, mode)[-1].error
    assert isinstance(error, ProviderTimeoutError), repr(error)
    assert f"nothing that advanced it for {DEADLINE:g}s" in str(error)
    assert server.wait_connections_closed()
