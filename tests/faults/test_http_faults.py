"""Every provider family against a server that fails: status errors, cut streams,
in-stream errors, garbage, stalls. Sync and async faces alike.

What must hold: what is worth retrying is retried, with the delays the provider
asked for (an injected sleep records them; nothing really sleeps); what is not
fails at once with the provider's own message; a retried stream leaves no trace
of the failed attempt in the result; nothing hangs.
"""

from __future__ import annotations

import pytest

from fantasy import Agent
from fantasy.errors import FantasyError, ProviderError, RetryError
from fantasy.types import StreamPartType
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import (
    MODES,
    answer,
    error_reply,
    generate,
    run_agent,
    stream_parts,
)
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])

TEXTS = ["Olá", ", mundo", "! ✓"]
"""Multi-byte text, so that a split inside a character would show."""


def agent_for(family: Family, server: FaultServer, sleeps: RecordingSleep, **kw: object) -> Agent:
    return Agent(family.make(server.url, FAKE_KEY), sleep=sleeps, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- status errors


@FAMILY
@MODE
@STREAMING
def test_429_and_5xx_are_retried_with_the_delays_the_provider_asked_for(
    family: Family, mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        error_reply(family, 429, "slow down", **{"retry-after-ms": "1500"}),
        error_reply(family, 503, "overloaded", **{"retry-after": "2"}),
        error_reply(family, 500, "oops"),
        answer(family, TEXTS, streaming),
    )
    retries: list[tuple[int, float]] = []
    agent = agent_for(
        family,
        server,
        sleeps,
        on_retry=lambda err, delay: retries.append((err.status_code if err else 0, delay)),
    )
    result = run_agent(agent, mode, streaming)
    assert result.text == "".join(TEXTS)
    # retry-after-ms, then retry-after, then the backoff (5 s doubled twice).
    assert sleeps.delays == [1.5, 2.0, 20.0]
    assert retries == [(429, 1.5), (503, 2.0), (500, 20.0)]
    assert len(server.requests) == 4
    assert len({r.body for r in server.requests}) == 1, "a retry sends the same request"


@FAMILY
@MODE
@STREAMING
@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_fail_at_once_with_the_providers_message(
    family: Family,
    mode: str,
    streaming: bool,
    status: int,
    server: FaultServer,
    sleeps: RecordingSleep,
) -> None:
    server.script(error_reply(family, status, f"the model said no ({status})"))
    with pytest.raises(ProviderError) as info:
        run_agent(agent_for(family, server, sleeps), mode, streaming)
    err = info.value
    assert not isinstance(err, RetryError)
    assert err.status_code == status
    assert f"the model said no ({status})" in str(err)
    assert not err.is_retryable
    assert sleeps.delays == []
    assert len(server.requests) == 1
    assert FAKE_KEY not in str(err) + repr(err)


@FAMILY
@STREAMING
def test_retries_give_up_after_the_budget_with_every_attempts_error(
    family: Family, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(*[error_reply(family, 502, f"bad gateway #{i}") for i in range(4)])
    with pytest.raises(RetryError) as info:
        run_agent(agent_for(family, server, sleeps, max_retries=3), "sync", streaming)
    assert [str(e).endswith(f"bad gateway #{i}") for i, e in enumerate(info.value.errors)] == [
        True
    ] * 4
    assert sleeps.delays == [5.0, 10.0, 20.0]
    assert len(server.requests) == 4


@FAMILY
def test_an_unreadable_error_body_still_gives_a_clear_error(
    family: Family, server: FaultServer
) -> None:
    server.script(Reply(500, b"<html>upstream exploded</html>", content_type="text/html"))
    model = family.make(server.url, FAKE_KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, "sync")
    assert info.value.status_code == 500
    assert info.value.is_retryable


# --------------------------------------------------------------------------- broken streams


@FAMILY
@MODE
@pytest.mark.parametrize("ending", ["drop", "no-terminal-event", "transient-error-event"])
def test_a_stream_broken_after_some_parts_is_raised_once_not_retried(
    family: Family, mode: str, ending: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    """Text already streamed cannot be taken back: a retry would show the caller a
    second answer after half of the first. The retryable error is raised instead."""
    partial = family.truncated(["Olá", ", mun"])
    if ending == "drop":
        broken = Stream(partial, ending="drop", content_type=family.content_type)
    elif ending == "no-terminal-event":
        broken = Stream(partial, content_type=family.content_type)
    else:
        error = family.stream_error(family.transient_type, "try again later")
        broken = Stream([*partial, error], content_type=family.content_type)
    server.script(broken, answer(family, TEXTS, streaming=True))
    seen: list[str] = []
    with pytest.raises(ProviderError) as info:
        run_agent(
            agent_for(family, server, sleeps),
            mode,
            True,
            on_text_delta=lambda _id, delta: seen.append(delta),
        )
    assert info.value.is_retryable
    assert any("not retried" in note for note in info.value.__notes__)
    assert len(server.requests) == 1
    assert sleeps.delays == []
    assert "".join(seen) == "Olá, mun", "each delta reached the callback once"
    assert info.value.partial_result.steps == []


@FAMILY
@MODE
@pytest.mark.parametrize("ending", ["drop", "transient-error-event"])
def test_a_stream_broken_before_any_output_is_retried_cleanly(
    family: Family, mode: str, ending: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    if ending == "drop":
        broken = Stream([], ending="drop", content_type=family.content_type)
    else:
        error = family.stream_error(family.transient_type, "try again later")
        broken = Stream([error], content_type=family.content_type)
    server.script(broken, answer(family, TEXTS, streaming=True))
    told: list[ProviderError | None] = []
    agent = agent_for(family, server, sleeps, on_retry=lambda err, delay: told.append(err))
    seen: list[str] = []
    result = run_agent(agent, mode, True, on_text_delta=lambda _id, delta: seen.append(delta))
    assert result.text == "".join(TEXTS)
    assert len(result.steps) == 1
    assert sleeps.delays == [5.0]
    assert len(told) == 1 and told[0] is not None and told[0].is_retryable
    assert "".join(seen) == "".join(TEXTS)


@FAMILY
@MODE
def test_a_fatal_in_stream_error_is_not_retried(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    error = family.stream_error(family.fatal_type, "your request is malformed")
    server.script(Stream([*family.truncated(["Hi"]), error], content_type=family.content_type))
    with pytest.raises(ProviderError) as info:
        run_agent(agent_for(family, server, sleeps), mode, True)
    assert "your request is malformed" in str(info.value)
    assert not info.value.is_retryable
    assert sleeps.delays == []


@FAMILY
@MODE
def test_the_model_stream_reports_a_cut_as_a_retryable_error_part_after_what_it_had(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(
        Stream(family.truncated(["Olá", "!"]), ending="drop", content_type=family.content_type)
    )
    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)
    deltas = [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA]
    assert "".join(deltas) == "Olá!", "what arrived before the cut is kept"
    assert parts[-1].type is StreamPartType.ERROR
    assert isinstance(parts[-1].error, ProviderError) and parts[-1].error.is_retryable
    assert sum(p.type is StreamPartType.ERROR for p in parts) == 1


@FAMILY
@MODE
def test_a_stream_cut_inside_the_event_that_finishes_it_is_a_retryable_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    """Half of the finishing event (or frame) arrives, then the connection ends: the
    decoders never hand on the half event, and the translator's end sees no finish."""
    head = b"".join(family.truncated(["Olá", "!"]))
    tail = b"".join(family.stream(["Olá", "!"]))[len(head) :]
    first_event = tail.find(b"\n\n") if family.content_type == "text/event-stream" else len(tail)
    cut = head + tail[: max(1, first_event // 2)]
    server.script(Stream([cut], ending="drop", content_type=family.content_type))
    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)
    assert "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA) == "Olá!"
    errors = [p.error for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1 and parts[-1].type is StreamPartType.ERROR
    assert isinstance(errors[0], ProviderError) and errors[0].is_retryable
    assert not [p for p in parts if p.type is StreamPartType.FINISH]


def _garbage(family: Family) -> list[bytes]:
    """A stream that starts well and then turns to rubbish, in the family's framing."""
    good = family.truncated(["Hi"])
    if family.content_type == "text/event-stream":
        return [*good, b"data: {this is not json\n\n", b"data: [1, 2\n\n"]
    return [*good, b"\x00\x00\x00\x20\x00\x00\x00\x00\xde\xad\xbe\xef" + b"\x00" * 20]


@FAMILY
@MODE
def test_garbage_in_a_stream_is_a_provider_error_not_a_crash(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stream(_garbage(family), content_type=family.content_type))
    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)
    errors = [p.error for p in parts if p.type is StreamPartType.ERROR]
    assert len(errors) == 1
    assert isinstance(errors[0], FantasyError)
    assert parts[-1].type is StreamPartType.ERROR


@FAMILY
def test_a_non_json_success_body_is_a_provider_error(family: Family, server: FaultServer) -> None:
    server.script(Reply(200, b"{not json"), Reply(200, b"[1, 2, 3]"))
    model = family.make(server.url, FAKE_KEY)
    for _ in range(2):
        with pytest.raises(ProviderError):
            generate(model, "sync")


@FAMILY
@MODE
def test_an_empty_stream_is_an_incomplete_stream_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stream([], content_type=family.content_type))
    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)
    assert parts[-1].type is StreamPartType.ERROR
    error = parts[-1].error
    assert isinstance(error, ProviderError) and error.is_retryable


# --------------------------------------------------------------------------- big answers


@pytest.mark.parametrize("family", FAMILIES[:5], ids=lambda f: f.name)
def test_a_huge_streamed_answer_arrives_whole(family: Family, server: FaultServer) -> None:
    texts = [f"{i:06d}" + "é" * 994 for i in range(2000)]  # ~4 MB of UTF-8, 2000 events
    server.script(answer(family, texts, streaming=True))
    parts = stream_parts(family.make(server.url, FAKE_KEY), "async")
    text = "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)
    assert text == "".join(texts)
    assert parts[-1].type is StreamPartType.FINISH


@pytest.mark.parametrize("family", FAMILIES[:5], ids=lambda f: f.name)
def test_a_huge_whole_answer_arrives_whole(family: Family, server: FaultServer) -> None:
    text = "ação " * 1_000_000  # ~6 MB
    server.script(Reply(body=family.whole(text)))
    assert generate(family.make(server.url, FAKE_KEY), "sync").text == text
