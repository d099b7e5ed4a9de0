"""A provider (or a proxy posing as one) that echoes credentials back, in any form, on
any path: nothing of the key reaches an error, a repr, a traceback or a cassette.

`test_secrets.py` covers the key as the provider was given it, echoed whole in an HTTP
error body. Here the echo is hostile: inside a stream's error event, in a 200 that
carries an error, in a page that is not the API's, in response headers, cut short,
URL-encoded, JSON-escaped, or as the base64 of basic auth; the key sits in the
base_url's userinfo; and a cassette is recorded with the key passed in code only
(no ``secrets=``), so the recorder must find every credential it sent by itself.
"""

from __future__ import annotations

import base64
import json
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import yaml

from fantasy.errors import InvalidArgumentError, ProviderError
from fantasy.http.eventstream import encode_message
from fantasy.testing import RecordingTransport, ReplayTransport
from fantasy.types import StreamPartType
from tests.faults.drive import MODES, answer, generate, stream_parts
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import (
    ANTHROPIC,
    BEDROCK,
    CREATED,
    FAMILIES,
    OPENAI_RESPONSES,
    Family,
)

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)

KEY = "sk-hostile/Key+0123456789-abcdefXYZ"
"""A key with a ``/`` and a ``+``, so that its URL-encoded and JSON-escaped forms differ
from it."""

FORMS = {
    "plain": KEY,
    "url-encoded": quote(KEY, safe=""),
    "url-encoded, lower case": quote(KEY, safe="").replace("%2F", "%2f").replace("%2B", "%2b"),
    "form-encoded": quote_plus(KEY),
    "json-escaped": KEY.replace("/", "\\/"),
    "cut by one": KEY[:-1],
    "first 20": KEY[:20],
}
"""Each way a provider may echo the key (the JSON-escaped one as it stands in a body)."""

ECHO = (
    f"Incorrect API key provided: {KEY}. As sent: {quote(KEY, safe='')} or "
    f"{quote_plus(KEY)}; escaped @ESCAPED@; cut {KEY[:-1]}; shortened {KEY[:20]}..."
)
"""An error message quoting the key in every form but the JSON-escaped one, which
`_with_escaped` puts into a JSON body (where ``\\/`` is valid)."""

MASKED = f"{KEY[:7]}****{KEY[-4:]}"
"""How providers such as OpenAI show a refused key: too little of it to matter."""

MIN_RUN = 12
"""The shortest run of a key's characters that is redacted (`fantasy.errors.FRAGMENT_LENGTH`)."""


def _with_escaped(body: bytes) -> bytes:
    return body.replace(b"@ESCAPED@", KEY.replace("/", "\\/").encode())


def _runs(secret: str) -> list[str]:
    return [secret[i : i + MIN_RUN] for i in range(len(secret) - MIN_RUN + 1)]


def _no_key_in(*texts: str, secrets: tuple[str, ...] = (KEY,)) -> None:
    """Not the key in any form, nor any run of 12 of its characters."""
    for text in texts:
        for secret in secrets:
            for label, form in FORMS.items():
                if secret is KEY:
                    assert form not in text, f"the key, {label}, is in {text[:300]!r}"
            for run in _runs(secret):
                assert run not in text, f"{run!r} (part of a secret) is in {text[:300]!r}"


def _everything_about(err: BaseException) -> list[str]:
    """Every text an error shows: str, repr, traceback, and each attribute."""
    out = ["".join(traceback.format_exception(err))]
    seen = 0
    current: BaseException | None = err
    while current is not None and seen < 10:
        out += [str(current), repr(current), repr(current.args)]
        if isinstance(current, ProviderError):
            out += [
                current.message,
                current.title,
                current.url,
                current.error_type,
                current.request_body.decode(errors="replace"),
                current.response_body.decode(errors="replace"),
                repr(current.response_headers),
            ]
        current = current.__cause__ or current.__context__
        seen += 1
    return out


def _error_part(model: Any, mode: str) -> ProviderError:
    parts = stream_parts(model, mode)
    assert parts[-1].type is StreamPartType.ERROR, parts
    error = parts[-1].error
    assert isinstance(error, ProviderError)
    return error


# --------------------------------------------------------------------------- in-stream errors


def _stream_error(family: Family, message: str) -> bytes:
    if family is BEDROCK:
        frame = encode_message(
            {":exception-type": family.fatal_type, ":message-type": "exception"},
            _with_escaped(json.dumps({"message": message}).encode()),
        )
        return frame
    return _with_escaped(family.stream_error(family.fatal_type, message))


@FAMILY
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("where", ["first", "after-text"])
def test_a_key_echoed_in_a_stream_error_event_is_redacted(
    family: Family, mode: str, where: str, server: FaultServer
) -> None:
    """OpenAI's ``data: {"error": ...}``, Anthropic's ``event: error``, Gemini's in-stream
    error, a Bedrock exception frame, the Responses API's ``error`` event."""
    head = family.stream(["Hel", "lo"])[:2] if where == "after-text" else []
    error = _stream_error(family, ECHO)
    server.script(Stream([*head, error], content_type=family.content_type))
    err = _error_part(family.make(server.url, KEY), mode)
    assert "Incorrect API key provided: [REDACTED]" in err.message
    _no_key_in(*_everything_about(err))


def _bedrock_error_frame(message: str) -> bytes:
    return encode_message(
        {
            ":message-type": "error",
            ":error-code": "UnrecognizedClientException",
            ":error-message": message,
        },
        b"",
    )


def _responses_failed(message: str) -> bytes:
    event = {
        "type": "response.failed",
        "response": {
            "id": "resp_1",
            "status": "failed",
            "error": {"code": "invalid_api_key", "message": message},
        },
    }
    return _with_escaped(f"event: response.failed\ndata: {json.dumps(event)}\n\n".encode())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("family", "frame"),
    [(BEDROCK, _bedrock_error_frame), (OPENAI_RESPONSES, _responses_failed)],
    ids=["bedrock-error-frame", "responses-response.failed"],
)
def test_a_key_echoed_in_a_platform_specific_stream_failure_is_redacted(
    family: Family, frame: Any, mode: str, server: FaultServer
) -> None:
    message = ECHO.replace("@ESCAPED@", "")  # an event-stream header is not JSON
    if family is OPENAI_RESPONSES:
        message = ECHO
    chunks = [*family.stream(["Hi"])[:2], frame(message)]
    server.script(Stream(chunks, content_type=family.content_type))
    err = _error_part(family.make(server.url, KEY), mode)
    assert "[REDACTED]" in err.message
    _no_key_in(*_everything_about(err))


# --------------------------------------------------------------------------- 200 with an error


def _error_object(family: Family, message: str) -> bytes:
    """A JSON error object in the family's shape (the HTTP error body's)."""
    return _with_escaped(family.http_error(message, 401))


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_a_key_in_a_200_that_carries_an_error_object_is_redacted(
    family: Family, mode: str, server: FaultServer
) -> None:
    """Whole and where a stream was expected; the echoing response headers too."""
    if family is BEDROCK:
        body = _with_escaped(json.dumps({"error": {"message": ECHO}}).encode())
    else:
        body = _error_object(family, ECHO)
    headers = {"X-Echo-Key": KEY, "Authorization": f"Bearer {KEY}"}
    server.script(Reply(200, body, headers=headers), Reply(200, body, headers=headers))
    model = family.make(server.url, KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    streamed = _error_part(model, mode)
    for err in (info.value, streamed):
        assert "[REDACTED]" in err.message
        assert err.response_headers["authorization"] == "[REDACTED]"
        assert err.response_headers["x-echo-key"] == "[REDACTED]"
        _no_key_in(*_everything_about(err))


@pytest.mark.parametrize("mode", MODES)
def test_a_key_in_a_failed_responses_answer_is_redacted(mode: str, server: FaultServer) -> None:
    """A well-formed Responses API answer whose ``error`` quotes the key: the message
    and the body the error keeps."""
    failed = {
        "id": "resp_1",
        "object": "response",
        "status": "failed",
        "output": [],
        "error": {"code": "invalid_api_key", "message": ECHO},
    }
    server.script(Reply(200, _with_escaped(json.dumps(failed).encode())))
    with pytest.raises(ProviderError) as info:
        generate(OPENAI_RESPONSES.make(server.url, KEY), mode)
    assert "[REDACTED]" in info.value.message
    assert info.value.response_body, "the body is kept, redacted"
    _no_key_in(*_everything_about(info.value))


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_a_page_that_quotes_part_of_the_key_is_previewed_without_it(
    family: Family, mode: str, server: FaultServer
) -> None:
    """An HTML page with status 200 (a portal, a proxy) quoting the key cut short: its
    preview in the message and the body kept on the error."""
    page = f"<html><body>Denied for {KEY[:20]}... ({KEY[:-1]})</body></html>".encode()
    server.script(
        Reply(200, page, content_type="text/html"), Reply(200, page, content_type="text/html")
    )
    model = family.make(server.url, KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    streamed = _error_part(model, mode)
    for err in (info.value, streamed):
        assert "Denied for [REDACTED]" in str(err)
        _no_key_in(*_everything_about(err))


# --------------------------------------------------------------------------- HTTP errors


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_a_key_echoed_cut_short_or_encoded_in_an_error_body_is_redacted(
    family: Family, mode: str, server: FaultServer
) -> None:
    """Cut short, its first 20 characters, URL-encoded, JSON-escaped; a masked echo
    (the first 7 and the last 4 characters) is left as sent: it shows too little."""
    message = f"{ECHO} Masked: {MASKED}"
    body = _with_escaped(family.http_error(message, 401))
    server.script(Reply(401, body), Reply(401, body))
    model = family.make(server.url, KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    streamed = _error_part(model, mode)
    for err in (info.value, streamed):
        assert err.status_code == 401
        assert "Incorrect API key provided: [REDACTED]." in err.message
        assert f"Masked: {MASKED}" in err.message
        _no_key_in(*_everything_about(err))


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_response_headers_on_an_error_hold_no_credential(
    family: Family, mode: str, server: FaultServer
) -> None:
    """A proxy that reflects the request's headers, and a server that sets a cookie:
    the values of credential headers are replaced, a header echoing the key redacted,
    the others kept."""
    headers = {
        "Authorization": f"Bearer {KEY}",
        "X-Api-Key": KEY,
        "Set-Cookie": "session=abcdef0123456789; Path=/",
        "X-Reflected": f"key={KEY[:-1]}",
        "X-Request-Id": "req-42",
        "Retry-After": "7",
    }
    body = family.http_error("invalid credentials", 401)
    server.script(Reply(401, body, headers=headers), Reply(401, body, headers=headers))
    model = family.make(server.url, KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    streamed = _error_part(model, mode)
    for err in (info.value, streamed):
        kept = err.response_headers
        assert kept["authorization"] == kept["x-api-key"] == kept["set-cookie"] == "[REDACTED]"
        assert kept["x-reflected"] == "key=[REDACTED]"
        assert kept["x-request-id"] == "req-42" and err.request_id == "req-42"
        assert kept["retry-after"] == "7"
        _no_key_in(*_everything_about(err))
        assert "abcdef0123456789" not in repr(kept)


# --------------------------------------------------------------------------- userinfo

PASSWORD = "hunter2-Password-0123456789"


def _with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://alice:{PASSWORD}@")


@FAMILY
@pytest.mark.parametrize("mode", MODES)
def test_a_password_in_base_url_is_in_no_error_or_repr(
    family: Family, mode: str, server: FaultServer
) -> None:
    """Not in ``err.url``, the message, a repr; nor where the server echoes the basic
    auth httpx made of it."""
    basic = _basic("alice", PASSWORD)
    echo = f"refused {basic}, that is alice:{PASSWORD}, password {PASSWORD[:-1]}"
    body = family.http_error(echo, 401)
    server.script(Reply(401, body), Reply(401, body))
    model = family.make(_with_userinfo(server.url), KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    streamed = _error_part(model, mode)
    texts = [repr(model), repr(getattr(model, "transport", None))]
    for err in (info.value, streamed):
        assert err.url.startswith("http://[REDACTED]@127.0.0.1:")
        assert "refused [REDACTED], that is [REDACTED], password [REDACTED]" in err.message
        texts += _everything_about(err)
    _no_key_in(*texts, secrets=(KEY, PASSWORD, basic.split()[1]))


def test_a_password_in_base_url_is_in_no_provider_repr(server: FaultServer) -> None:
    from fantasy.providers import anthropic, openai

    for provider in (
        openai.Provider("sk-x", base_url=_with_userinfo(server.url)),
        anthropic.Provider("sk-x", base_url=_with_userinfo(server.url)),
    ):
        shown = repr(provider) + repr(getattr(provider, "platform", ""))
        assert PASSWORD not in shown and "alice" not in shown
        assert "http://[REDACTED]@127.0.0.1" in shown


@pytest.mark.parametrize("mode", MODES)
def test_a_password_in_base_url_is_in_no_network_error(mode: str) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = ANTHROPIC.make(f"http://alice:{PASSWORD}@127.0.0.1:{port}", KEY)
    with pytest.raises(ProviderError) as info:
        generate(model, mode)
    _no_key_in(*_everything_about(info.value), secrets=(KEY, PASSWORD))


def test_a_base_url_that_cannot_work_is_quoted_without_its_password() -> None:
    from fantasy.providers import openai

    with pytest.raises(InvalidArgumentError) as info:
        openai.Provider("sk-x", base_url=f"http://alice:{PASSWORD}@example.com/v1?x=1")
    assert "http://[REDACTED]@example.com/v1?x=1" in str(info.value)
    _no_key_in(str(info.value), repr(info.value), secrets=(PASSWORD,))


# --------------------------------------------------------------------------- cassettes


def _strings(value: Any) -> list[str]:
    """Every string in a loaded YAML document, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes):
        return [value.decode("utf-8", errors="replace")]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _saved(path: Path) -> list[str]:
    """The cassette file's text, and each string in it as loaded (YAML may escape or
    fold a long line, which a search of the text alone would miss)."""
    text = path.read_text(encoding="utf-8")
    return [text, *_strings(yaml.safe_load(text))]


@FAMILY
def test_a_cassette_recorded_with_the_key_in_code_holds_none_of_its_forms(
    family: Family, server: FaultServer, tmp_path: Path
) -> None:
    """No ``secrets=``: the recorder hides the key it sent, in every form the provider
    echoes it in (body and headers), in both faces."""
    echo_headers = {"X-Echo-Key": quote(KEY, safe=""), "X-Reflected": f"Bearer {KEY}"}
    error = Reply(401, _with_escaped(family.http_error(ECHO, 401)), headers=echo_headers)
    server.script(answer(family, ["hi"], streaming=True), error, error)
    path = tmp_path / "session.yaml"
    recorder = RecordingTransport(path=path)
    model = family.make(server.url, KEY, transport=recorder)
    assert stream_parts(model, "sync")[-1].type is StreamPartType.FINISH
    for mode in MODES:
        with pytest.raises(ProviderError):
            generate(model, mode)
    recorder.save()
    saved = _saved(path)
    assert server.url in saved[0], "the exchanges were recorded"
    assert "Incorrect API key provided: [REDACTED]" in saved[0], "the echo, redacted"
    assert len(yaml.safe_load(saved[0])["interactions"]) == 3
    _no_key_in(*saved)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_cassette_holds_no_part_of_basic_auth(server: FaultServer, tmp_path: Path) -> None:
    """Basic auth, given as a header or as the base_url's userinfo (which httpx sends
    as basic auth): the base64, the decoded pair and each part, echoed by the server."""
    from fantasy.providers import openaicompat

    user, password = "svc-account-0123456789", PASSWORD
    basic = _basic(user, password)
    echo = f"refused {basic} = {user}:{password}; user {user}; password {quote(password)}"
    reply = Reply(401, json.dumps({"error": {"message": echo}}).encode())
    server.script(reply, reply)
    path = tmp_path / "basic.yaml"
    recorder = RecordingTransport(path=path)
    for provider in (
        openaicompat.Provider(server.url, headers={"Authorization": basic}, transport=recorder),
        openaicompat.Provider(
            server.url.replace("http://", f"http://{user}:{password}@"), transport=recorder
        ),
    ):
        model = provider.language_model("llama-3")
        CREATED.append(model)
        with pytest.raises(ProviderError) as info:
            generate(model, "sync")
        _no_key_in(*_everything_about(info.value), secrets=(user, password))
    assert [r.headers["authorization"] for r in server.requests] == [basic, basic]
    recorder.save()
    saved = _saved(path)
    assert saved[0].count(f"url: {server.url}/chat/completions") == 2, "no userinfo in the URL"
    for text in saved:
        for secret in (basic.split()[1], f"{user}:{password}", user, password, quote(password)):
            assert secret not in text
    _no_key_in(*saved, secrets=(user, password, basic.split()[1]))


def test_a_cassette_holds_no_credential_from_the_query_or_the_body(
    server: FaultServer, tmp_path: Path
) -> None:
    """``?key=`` (Gemini's way), and a credential field of a JSON or a form body, echoed
    in every encoding; the recording still replays for another key."""
    body_secret = "client-secret-9876543210-zyxw"
    reply = Reply(
        401,
        _with_escaped(
            json.dumps(
                {"error": {"message": f"{ECHO} and {body_secret}", "query": f"key={quote(KEY)}"}}
            ).encode()
        ),
        headers={"X-Echo": body_secret},
    )
    server.script(reply, reply)
    path = tmp_path / "query.yaml"
    recorder = RecordingTransport(path=path)
    with httpx.Client(transport=recorder) as client:
        client.post(
            f"{server.url}/v1beta/models/m:generateContent",
            params={"key": KEY, "alt": "sse"},
            json={"contents": [], "api_key": body_secret},
        )
        client.post(
            f"{server.url}/token",
            data={"grant_type": "refresh", "client_secret": body_secret},
        )
    recorder.save()
    saved = _saved(path)
    assert "key=[REDACTED]&alt=sse" in saved[0]
    _no_key_in(*saved, secrets=(KEY, body_secret))

    replay = ReplayTransport(path)
    with httpx.Client(transport=replay) as client:
        response = client.post(
            f"{server.url}/v1beta/models/m:generateContent",
            params={"key": "another-key-for-the-replay", "alt": "sse"},
            json={"contents": [], "api_key": "another-secret"},
        )
    assert response.status_code == 401
    assert "Incorrect API key provided: [REDACTED]" in response.text
