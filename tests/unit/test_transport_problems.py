"""What the transport makes of failures httpx reports, and of bodies that are not what
was asked for, checked without a network (an httpx MockTransport raises or answers).

A request that cannot be sent as configured is not retried; a network failure is.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from fantasy import Agent, _runtime
from fantasy.errors import ProviderError
from fantasy.http.transport import HttpTransport
from fantasy.http.unexpected import (
    StreamSniffer,
    envelope,
    fallback_message,
    is_transient_kind,
    preview,
    redirect_error,
)
from fantasy.model import Call
from fantasy.providers import openai
from fantasy.types import user_message

KEY = "sk-transport-0123456789"


def _raising(exc: BaseException, cause: BaseException | None = None) -> httpx.MockTransport:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if cause is not None:
            raise exc from cause
        raise exc

    transport = httpx.MockTransport(handle)
    transport.calls = calls  # type: ignore[attr-defined]
    return transport


async def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"a retry slept {seconds}s: the error should not be retried")


CONFIG_FAILURES = {
    "unsupported-protocol": (
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol"),
        None,
        "base_url must start with https://",
    ),
    "invalid-url": (httpx.InvalidURL("Invalid port: 'x'"), None, "is invalid"),
    "local-protocol": (
        httpx.LocalProtocolError("Illegal header value b'sk-secret\\n'"),
        None,
        "header name or value",
    ),
    "host-not-found": (
        httpx.ConnectError("[Errno -2] Name or service not known"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        "the host 'api.example.com' does not exist",
    ),
    "certificate": (
        httpx.ConnectError("certificate verify failed"),
        ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate"),
        "TLS certificate of 'api.example.com' did not verify",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_FAILURES))
@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_a_request_that_cannot_work_as_configured_is_not_retried(
    case: str, streaming: bool
) -> None:
    exc, cause, expected = CONFIG_FAILURES[case]
    transport = _raising(exc, cause)
    model = openai.Provider(
        KEY, base_url="https://api.example.com/v1", transport=transport
    ).language_model("gpt-4o-mini")
    agent = Agent(model, sleep=_no_sleep)
    with pytest.raises(ProviderError) as info:
        if streaming:
            _ = agent.stream("hi").result
        else:
            agent.generate("hi")
    err = info.value
    assert err.title == "invalid request"
    assert expected in str(err)
    assert not err.is_retryable
    assert err.provider == "openai"
    assert err.__cause__ is exc
    assert "sk-secret" not in str(err)
    assert len(transport.calls) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            ConnectionRefusedError(111, "refused"),
        ),
        (
            httpx.ConnectError("Temporary failure in name resolution"),
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        ),
        (httpx.ConnectError("EOF occurred in violation of protocol"), ssl.SSLEOFError(8, "EOF")),
        (httpx.ReadTimeout("timed out"), None),
    ],
    ids=["refused", "dns-again", "tls-eof", "timeout"],
)
def test_network_failures_stay_retryable(exc: Exception, cause: BaseException | None) -> None:
    model = openai.Provider(KEY, transport=_raising(exc, cause)).language_model("gpt-4o-mini")
    with pytest.raises(ProviderError) as info:
        asyncio.run(model.agenerate(Call([user_message("hi")])))
    assert info.value.is_retryable
    assert info.value.title == "network error"


# --------------------------------------------------------------------------- pieces


def test_preview_is_one_bounded_line() -> None:
    assert preview(b"") == "an empty body"
    assert preview(b"  \n ") == "4 bytes of whitespace"
    assert preview(b"<h1>Hi</h1>\n\n  <p>there</p>") == "'<h1>Hi</h1> <p>there</p>'"
    long = preview(b"x" * 5000)
    assert long == repr("x" * 200) + "… (5000 bytes in all)"
    assert preview(b"abc", whole=False) == "'abc'… (more followed)"
    assert "\ufffd" in preview(b"caf\xc3")


def test_fallback_messages_are_bounded() -> None:
    assert fallback_message(b"Bad Gateway", 502) == "Bad Gateway"
    assert fallback_message(b"", 503) == "HTTP 503"
    page = b"<html>" + b"y" * 100_000
    message = fallback_message(page, 502)
    assert message.startswith("HTTP 502 with '<html>yyy")
    assert len(message) < 300
    text = fallback_message(b"z" * 10_000, 400)
    assert text.startswith("HTTP 400 with 'zzz") and text.endswith("(10000 bytes in all)")
    assert fallback_message(b"w" * 1_500, 400) == "w" * 1_500


@pytest.mark.parametrize(
    ("body", "is_error"),
    [
        ({"error": {"message": "m"}}, True),
        ({"type": "error", "error": {"type": "api_error", "message": "m"}}, True),
        ([{"error": {"code": 400, "message": "m"}}], True),
        ({"error": "m"}, True),
        ({"error": None, "output": [], "object": "response"}, False),
        ({"error": {"message": "failed"}, "output": [], "status": "failed"}, False),
        ({"choices": [], "error": {"message": "m"}}, False),
        ({"error": {}}, False),
        ({"candidates": []}, False),
    ],
)
def test_what_counts_as_an_error_object(body: object, is_error: bool) -> None:
    assert (envelope(body) is not None) is is_error


@pytest.mark.parametrize(
    ("kind", "transient"),
    [
        ("server_error", True),
        ("overloaded_error", True),
        ("rate_limit_exceeded", True),
        ("UNAVAILABLE", True),
        ("RESOURCE_EXHAUSTED", True),
        ("throttlingException", True),
        ("invalid_request_error", False),
        ("NOT_FOUND", False),
        ("authentication_error", False),
        ("", False),
    ],
)
def test_which_error_kinds_are_passing(kind: str, transient: bool) -> None:
    assert is_transient_kind(kind) is transient


def test_a_redirects_suggested_base_url() -> None:
    err = redirect_error(
        308,
        {"location": "https://new.example/openai/v1/chat/completions"},
        "https://old.example/v1/chat/completions",
        provider="openai",
        base_url="https://old.example/v1",
    )
    assert "set base_url='https://new.example/openai/v1'" in str(err)
    assert err.status_code == 308 and not err.is_retryable


def _sniff(content_type: str, *chunks: bytes, expected: str = "text/event-stream") -> bytes:
    sniffer = StreamSniffer(200, {"content-type": content_type}, "u", "p", expected)
    out = b""
    for chunk in chunks:
        released = sniffer.feed(chunk)
        if released is not None:
            out += released
            sniffer = None  # type: ignore[assignment]
            break
    rest = chunks[chunks.index(chunk) + 1 :] if sniffer is None else ()
    if sniffer is not None:
        out += sniffer.finish()
    return out + b"".join(rest)


def test_the_sniffer_passes_streams_through_untouched() -> None:
    body = [b"da", b"ta: {}\n\n", b"data: [DONE]\n\n"]
    assert _sniff("text/event-stream", *body) == b"".join(body)
    assert _sniff("", *body) == b"".join(body)
    assert _sniff("text/plain", *body) == b"".join(body)
    assert _sniff("text/event-stream", b"\n", b"\n", b": ping\n\n") == b"\n\n: ping\n\n"
    assert _sniff("text/event-stream") == b""
    frame = b"\x00\x00\x00\x20" + b"\x00" * 28
    assert (
        _sniff(
            "application/vnd.amazon.eventstream",
            frame,
            expected="application/vnd.amazon.eventstream",
        )
        == frame
    )


@pytest.mark.parametrize(
    ("content_type", "chunks", "expected"),
    [
        ("text/html", [b"<ht", b"ml>hello</html>"], "text/html, '<html>hello</html>'"),
        ("text/event-stream", [b"  <html>", b"</html>"], "'<html></html>'"),
        ("application/json", [b'{"id": ', b'"x"}'], 'application/json, \'{"id": "x"}\''),
        ("text/plain", [b"upstream reset\n"], "text/plain, 'upstream reset'"),
    ],
)
def test_the_sniffer_reports_what_is_not_a_stream(
    content_type: str, chunks: list[bytes], expected: str
) -> None:
    with pytest.raises(ProviderError) as info:
        _sniff(content_type, *chunks)
    assert expected in str(info.value)
    assert not info.value.is_retryable


# --------------------------------------------------------------------------- responses closed


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that fails (or, async, hangs) after its first piece and records
    whether the transport closed it."""

    def __init__(self, failure: str) -> None:
        self.failure = failure
        self.closed = False

    def _fail(self) -> None:
        if self.failure == "read error":
            raise httpx.ReadError("connection reset while reading the error body")
        raise KeyboardInterrupt

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"error": {"mess'
        self._fail()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"error": {"mess'
        if self.failure == "cancelled":
            await asyncio.Event().wait()
        self._fail()

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class _Answers(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with one status and a `_Body`, keeping the bodies."""

    def __init__(self, status: int, failure: str) -> None:
        self.status = status
        self.failure = failure
        self.bodies: list[_Body] = []

    def _response(self) -> httpx.Response:
        body = _Body(self.failure)
        self.bodies.append(body)
        headers = {"Content-Type": "application/json", "Location": "https://elsewhere.test/"}
        return httpx.Response(self.status, headers=headers, stream=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._response()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._response()


def _open_stream(transport: HttpTransport, face: str) -> None:
    opened = transport.post_stream("https://api.example.com/v1/chat", b"{}", {})
    if face == "sync":
        _runtime.run_sync(opened)
    else:
        asyncio.run(opened)


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize("status", [500, 429])
def test_a_response_whose_error_body_cannot_be_read_is_closed(face: str, status: int) -> None:
    answers = _Answers(status, "read error")
    transport = HttpTransport(transport=answers, provider="openai")
    with pytest.raises(ProviderError) as info:
        _open_stream(transport, face)
    assert info.value.is_retryable
    assert [body.closed for body in answers.bodies] == [True]


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_response_is_closed_when_reading_its_error_body_is_interrupted(face: str) -> None:
    answers = _Answers(500, "interrupted")
    with pytest.raises(KeyboardInterrupt):
        _open_stream(HttpTransport(transport=answers), face)
    assert [body.closed for body in answers.bodies] == [True]


def test_a_response_is_closed_when_the_task_reading_its_error_body_is_cancelled() -> None:
    answers = _Answers(500, "cancelled")
    transport = HttpTransport(transport=answers)

    async def main() -> None:
        task = asyncio.ensure_future(
            transport.post_stream("https://api.example.com/v1/chat", b"{}", {})
        )
        while not answers.bodies:
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert [body.closed for body in answers.bodies] == [True]


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_redirect_response_is_closed(face: str) -> None:
    answers = _Answers(307, "read error")
    with pytest.raises(ProviderError, match="redirect"):
        _open_stream(HttpTransport(transport=answers), face)
    assert [body.closed for body in answers.bodies] == [True]
