"""Standard logging: a logger per layer, DEBUG records of each request (method, URL,
status, duration, attempt), nothing above DEBUG on success, and no credential in any
record, httpx's own included (it logs a base_url's password as given)."""

from __future__ import annotations

import logging

import pytest

import fantasy
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, answer, run_agent
from tests.faults.server import FaultServer, Reply
from tests.faults.wire import OPENAI_CHAT, openai_error

PASSWORD = "hunter2-PASSWORD-f00d"


def userinfo_url(server: FaultServer) -> str:
    return server.url.replace("http://", f"http://robot:{PASSWORD}@") + "/v1"


def leaked(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        if any(s in text for s in (PASSWORD, FAKE_KEY, "robot:")):
            found.append(f"{record.name}: {text}")
    return found


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_requests_are_debug_records_with_their_attempt(
    server: FaultServer, caplog: pytest.LogCaptureFixture, mode: str, streaming: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script(
        Reply(503, openai_error("overloaded", 503)), answer(OPENAI_CHAT, ["Hi"], streaming)
    )
    model = OPENAI_CHAT.make(userinfo_url(server), FAKE_KEY)
    agent = fantasy.Agent(model, sleep=RecordingSleep())
    assert run_agent(agent, mode, streaming).text == "Hi"

    http = [r for r in caplog.records if r.name == "fantasy.http"]
    assert [r.levelno for r in http] == [logging.DEBUG, logging.DEBUG]
    first, second = (r.getMessage() for r in http)
    url = server.url.replace("http://", "http://[REDACTED]@") + "/v1/chat/completions"
    assert first.startswith(f"POST {url} -> 503 in ")
    assert first.endswith("s (attempt 1, openai)")
    assert second.startswith(f"POST {url} -> 200 in ")
    assert second.endswith("s (attempt 2, openai)")
    retried = [r.getMessage() for r in caplog.records if r.name == "fantasy.agent"]
    assert len(retried) == 1 and retried[0].startswith("attempt 1 failed (ProviderUnavailable")
    provider = [r.getMessage() for r in caplog.records if r.name == "fantasy.providers.openai"]
    assert len(provider) == 2 and "failed" in provider[0]
    assert provider[1].startswith("streaming from" if streaming else "answer from")

    ours = [r for r in caplog.records if r.name.startswith("fantasy")]
    assert [r for r in ours if r.levelno > logging.DEBUG] == []
    assert leaked(caplog.records) == []


def test_httpx_s_own_request_line_hides_a_base_url_password(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    server.script(answer(OPENAI_CHAT, ["Hi"], False))
    model = OPENAI_CHAT.make(userinfo_url(server), FAKE_KEY)
    assert fantasy.Agent(model).generate("hi").text == "Hi"
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1 and "HTTP Request: POST http://[REDACTED]@127.0.0.1" in lines[0]
    assert leaked(caplog.records) == []


def test_a_network_failure_is_logged_at_debug_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    model = OPENAI_CHAT.make(f"http://robot:{PASSWORD}@127.0.0.1:9/v1", FAKE_KEY)
    agent = fantasy.Agent(model, max_retries=0)
    with pytest.raises(fantasy.ProviderError):
        agent.generate("hi")
    failures = [r.getMessage() for r in caplog.records if r.name == "fantasy.http"]
    assert len(failures) == 1 and " failed after " in failures[0]
    assert "(attempt 1, openai)" in failures[0]
    assert leaked(caplog.records) == []


def test_nothing_is_logged_at_info_by_a_successful_run(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fantasy")
    server.script(answer(OPENAI_CHAT, ["Hi"], True))
    model = OPENAI_CHAT.make(server.url + "/v1", FAKE_KEY)
    assert fantasy.Agent(model).stream("hi").result.text == "Hi"
    assert [r for r in caplog.records if r.name.startswith("fantasy")] == []


def test_httpx2_s_request_line_is_filtered_too(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    import httpx2

    from fantasy.providers import openai

    caplog.set_level(logging.INFO, logger="httpx2")
    server.script(answer(OPENAI_CHAT, ["Hi"], False))
    with httpx2.Client() as client:
        provider = openai.Provider(FAKE_KEY, base_url=userinfo_url(server), http_client=client)
        agent = fantasy.Agent(provider.language_model("gpt-4o-mini"))
        assert agent.generate("hi").text == "Hi"
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx2"]
    assert len(lines) == 1 and "HTTP Request: POST http://[REDACTED]@127.0.0.1" in lines[0]
    assert leaked(caplog.records) == []
