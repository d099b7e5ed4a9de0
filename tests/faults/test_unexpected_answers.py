"""Answers no provider sends, from a real loopback server, for every provider family:
a redirect, an HTML page with status 200, a JSON error object with status 200 (as a
whole answer, in place of a stream, and as a stream's first event), a body that is
not an event stream, a huge error page, and a request httpx refuses to send.

What must hold: each fails at once (one attempt, no sleep) with a `ProviderError`
that says what arrived, unless the server said its fault was passing, in which
case the retry policy retries it. Nothing quotes the key; no message is megabytes.
"""

from __future__ import annotations

import json

import pytest

from fantasy import Agent
from fantasy.agent import AgentResult
from fantasy.errors import ProviderError, RetryError
from fantasy.http.limits import DEFAULT_LIMITS
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, answer, generate, run_agent
from tests.faults.server import FaultServer, Reply, Request, Stream
from tests.faults.wire import BEDROCK, FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
SSE_FAMILIES = pytest.mark.parametrize(
    "family", [f for f in FAMILIES if f is not BEDROCK], ids=lambda f: f.name
)
MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])

TEXTS = ["Olá", ", mundo"]
ELSEWHERE = "https://api.elsewhere.example/v9"


def run(
    family: Family,
    server: FaultServer,
    sleeps: RecordingSleep,
    mode: str,
    streaming: bool,
    **agent_options: object,
) -> AgentResult:
    agent = Agent(family.make(server.url, FAKE_KEY), sleep=sleeps, **agent_options)  # type: ignore[arg-type]
    return run_agent(agent, mode, streaming)


def fails_at_once(
    family: Family,
    server: FaultServer,
    sleeps: RecordingSleep,
    mode: str,
    streaming: bool,
    *,
    requests: int = 1,
    **agent_options: object,
) -> ProviderError:
    """The run's error, after checking it was not retried and quotes no key."""
    with pytest.raises(ProviderError) as info:
        run(family, server, sleeps, mode, streaming, **agent_options)
    err = info.value
    assert not isinstance(err, RetryError)
    assert not err.is_retryable
    assert sleeps.delays == [], "nothing was retried"
    assert len(server.requests) == requests, "one attempt only"
    assert FAKE_KEY not in str(err) + repr(err)
    assert len(str(err)) < 1500
    return err


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


# --------------------------------------------------------------------------- redirects


@FAMILY
@MODE
@STREAMING
def test_a_redirect_says_where_it_points_and_which_base_url_reaches_it(
    family: Family, mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    def moved(request: Request) -> Reply:
        return Reply(307, b"", headers={"Location": ELSEWHERE + request.path})

    server.responder = moved
    err = fails_at_once(family, server, sleeps, mode, streaming)
    assert err.title == "unexpected redirect"
    assert err.status_code == 307
    assert f"redirecting to '{ELSEWHERE}{server.requests[0].path}'" in str(err)
    assert f"set base_url='{ELSEWHERE}'" in str(err)
    assert err.provider


@FAMILY
@STREAMING
def test_a_redirect_to_another_path_or_nowhere(
    family: Family, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Reply(301, b"", headers={"Location": "/login"}))
    err = fails_at_once(family, server, sleeps, "sync", streaming)
    assert f"redirecting to '{server.url}/login'" in str(err)
    assert "point base_url at it" in str(err)

    server.requests.clear()
    server.script(Reply(302, b"moved"))
    err = fails_at_once(family, server, sleeps, "sync", streaming)
    assert "HTTP 302, a redirect, without saying where to" in str(err)


# --------------------------------------------------------------------------- HTML with 200

PORTAL = (
    b"<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi</title></head>\n<body>"
    b"<h1>Sign in to the Wi-Fi</h1><p>session "
    + FAKE_KEY.encode()
    + b"</p>"
    + b"<p>terms</p>" * 20_000
    + b"</body></html>"
)


@FAMILY
@MODE
@STREAMING
def test_an_html_page_with_status_200_says_what_came(
    family: Family, mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Reply(200, PORTAL, content_type="text/html; charset=utf-8"))
    err = fails_at_once(family, server, sleeps, mode, streaming)
    text = str(err)
    assert err.title == "invalid provider response"
    assert err.status_code == 200
    assert "HTTP 200, text/html" in text
    assert "<!DOCTYPE html> <html><head><title>Hotel Wi-Fi</title>" in text
    if streaming:
        assert "… (more followed)" in text, "a stream is not read to its end"
    else:
        shown = len(PORTAL) - len(FAKE_KEY) + len("[REDACTED]")  # the body as redacted
        assert f"({shown} bytes in all)" in text
    assert "[REDACTED]" in text, "the key the page echoes is hidden"
    assert "base_url" in text
    if streaming:
        assert "expected an event stream" in text
    else:
        assert "expected a JSON object" in text


@FAMILY
@MODE
def test_a_stream_of_html_chunks_is_not_decoded_as_events(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        Stream(
            [b"<html><body>", b"<p>Bad gateway</p>", b"</body></html>"], content_type="text/html"
        )
    )
    err = fails_at_once(family, server, sleeps, mode, True)
    assert "'<html><body><p>Bad gateway</p></body></html>'" in str(err)


# --------------------------------------------------------------------------- error objects with 200

FATAL_SHAPES = {
    "openai": {
        "error": {
            "message": "The model `nope` does not exist",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    },
    "anthropic": {
        "type": "error",
        "error": {"type": "not_found_error", "message": "The model `nope` does not exist"},
    },
    "google": {
        "error": {"code": 404, "message": "The model `nope` does not exist", "status": "NOT_FOUND"}
    },
    "google-list": [
        {"error": {"code": 400, "message": "The model `nope` does not exist", "status": "INVALID"}}
    ],
    "bare-string": {"error": "The model `nope` does not exist"},
}
TRANSIENT_SHAPES = {
    "type-server-error": {"error": {"message": "try later", "type": "server_error"}},
    "code-429": {"error": {"message": "try later", "code": 429}},
    "code-503-string": {"error": {"message": "try later", "code": "503"}},
    "anthropic-overloaded": {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "try later"},
    },
    "google-unavailable": {"error": {"code": 503, "message": "try later", "status": "UNAVAILABLE"}},
}


@FAMILY
@MODE
@STREAMING
def test_a_json_error_object_with_status_200_carries_the_providers_message(
    family: Family, mode: str, streaming: bool, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Reply(200, _json(FATAL_SHAPES["openai"])))
    err = fails_at_once(family, server, sleeps, mode, streaming)
    assert "The model `nope` does not exist" in str(err)
    assert "invalid_request_error" in str(err)
    assert "HTTP 200" in str(err)
    assert err.status_code == 200


@FAMILY
@STREAMING
@pytest.mark.parametrize("shape", list(FATAL_SHAPES))
def test_every_error_object_shape_is_read(
    family: Family, streaming: bool, shape: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Reply(200, _json(FATAL_SHAPES[shape])))
    err = fails_at_once(family, server, sleeps, "sync", streaming)
    assert "The model `nope` does not exist" in str(err)


@FAMILY
@STREAMING
@pytest.mark.parametrize("shape", list(TRANSIENT_SHAPES))
def test_an_error_object_that_says_it_is_passing_is_retried(
    family: Family, streaming: bool, shape: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Reply(200, _json(TRANSIENT_SHAPES[shape])), answer(family, TEXTS, streaming))
    result = run(family, server, sleeps, "sync", streaming)
    assert result.text == "".join(TEXTS)
    assert len(server.requests) == 2
    assert sleeps.delays == [5.0]


# --------------------------------------------------------------------------- streams


def _sse(payload: object) -> bytes:
    return b"data: " + _json(payload) + b"\n\n"


@FAMILY
@MODE
def test_the_providers_own_error_as_the_first_stream_event(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    error = family.stream_error(family.fatal_type, "your request is malformed")
    server.script(Stream([error], content_type=family.content_type))
    err = fails_at_once(family, server, sleeps, mode, True)
    assert "your request is malformed" in str(err)


@SSE_FAMILIES
@MODE
def test_a_proxys_error_object_as_the_first_stream_event(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(Stream([_sse(FATAL_SHAPES["openai"])]))
    err = fails_at_once(family, server, sleeps, mode, True)
    assert "The model `nope` does not exist" in str(err)


@SSE_FAMILIES
def test_a_passing_error_as_the_first_stream_event_is_retried(
    family: Family, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        Stream([_sse({"error": {"message": "busy", "type": "server_error", "code": 503}})]),
        answer(family, TEXTS, streaming=True),
    )
    assert run(family, server, sleeps, "sync", True).text == "".join(TEXTS)
    assert len(server.requests) == 2
    assert sleeps.delays == [5.0]


@FAMILY
@MODE
def test_a_whole_json_answer_where_a_stream_belongs(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    """A server (or proxy) that ignores the request to stream and answers whole."""
    server.script(Reply(200, family.whole("hello")))
    err = fails_at_once(family, server, sleeps, mode, True)
    assert f"expected an event stream ({family.content_type}) but got HTTP 200" in str(err)
    assert "application/json" in str(err)


@FAMILY
@MODE
def test_plain_text_where_a_stream_belongs(
    family: Family, mode: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    server.script(
        Stream(
            [b"upstream connect error or disconnect/reset before headers\n"],
            content_type="text/plain",
        )
    )
    err = fails_at_once(family, server, sleeps, mode, True)
    assert "text/plain" in str(err)
    assert "upstream connect error" in str(err)


@FAMILY
@pytest.mark.parametrize("label", ["missing", "json", "text-plain"])
def test_a_real_stream_under_another_content_type_still_streams(
    family: Family, label: str, server: FaultServer, sleeps: RecordingSleep
) -> None:
    """Leniency: only what cannot be the stream is refused."""
    if label == "text-plain" and family is BEDROCK:
        pytest.skip("binary frames cannot be told apart from text; Bedrock labels them")
    content_type = {"missing": "", "json": "application/json", "text-plain": "text/plain"}[label]
    server.script(Stream(family.stream(TEXTS), content_type=content_type))
    assert run(family, server, sleeps, "sync", True).text == "".join(TEXTS)
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- sizes and config


@FAMILY
@STREAMING
@pytest.mark.parametrize("status", [400, 502])
def test_a_huge_error_page_is_quoted_briefly_and_kept_in_part(
    family: Family, streaming: bool, status: int, server: FaultServer, sleeps: RecordingSleep
) -> None:
    page = b"<html><body>" + b"<p>upstream failed</p>" * 100_000 + b"</body></html>"
    server.script(Reply(status, page, content_type="text/html"))
    with pytest.raises(ProviderError) as info:
        run(family, server, sleeps, "sync", streaming, max_retries=0)
    err = info.value
    assert len(str(err)) < 1000
    assert f"({len(page)} bytes in all)" in str(err)
    kept = DEFAULT_LIMITS.max_error_body_bytes
    assert err.response_body.startswith(page[:kept]), "the start of the body is kept"
    assert err.response_body.endswith(b"\n[truncated: %d bytes in all]" % len(page))
    assert len(err.response_body) < kept + 100, "and no more than HttpLimits says"
    assert err.is_retryable == (status >= 500)
    assert len(server.requests) == 1


@FAMILY
@MODE
@STREAMING
@pytest.mark.parametrize("value", ["two\nlines", "caf\u00e9 \u2713"], ids=["newline", "non-ascii"])
def test_a_header_httpx_cannot_send_fails_at_once(
    family: Family,
    mode: str,
    streaming: bool,
    value: str,
    server: FaultServer,
    sleeps: RecordingSleep,
) -> None:
    err = fails_at_once(
        family, server, sleeps, mode, streaming, requests=0, headers={"X-Trace": value}
    )
    assert err.title == "invalid request"
    assert "header" in str(err)
    assert value not in str(err)


@FAMILY
def test_a_model_called_directly_reports_the_same(family: Family, server: FaultServer) -> None:
    server.script(Reply(200, b"<html>portal</html>", content_type="text/html"))
    with pytest.raises(ProviderError, match="HTTP 200, text/html, '<html>portal</html>'"):
        generate(family.make(server.url, FAKE_KEY), "async")
