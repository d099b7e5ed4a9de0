"""fantasy.testing: cassette format, matching, replay, record and the pytest fixture."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from fantasy.testing import (
    Cassette,
    CassetteFormatError,
    CassetteMismatchError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    RecordingTransport,
    ReplayTransport,
    UnusedInteractionsError,
    requests_match,
    split_body,
)
from fantasy.testing.matcher import REDACTED, json_equal, urls_match
from fantasy.testing.transport import go_duration, is_credential_name

pytest_plugins = ["pytester"]

URL = "https://api.example.com/v1/chat?beta=true"
SECRET = "sk-test-0123456789abcdef"

CASSETTE_YAML = """\
---
version: 2
interactions:
- id: 0
  request:
    proto: HTTP/1.1
    proto_major: 1
    proto_minor: 1
    content_length: 40
    host: ""
    body: '{"model":"m","max_tokens":4000,"stream":true}'
    headers:
      Content-Type:
      - application/json
    url: https://api.example.com/v1/chat?beta=true
    method: POST
  response:
    proto: HTTP/2.0
    proto_major: 2
    proto_minor: 0
    content_length: -1
    body: |+
      data: {"text":"Olá! 日本語 café"}

      data: [DONE]

    headers:
      Content-Type:
      - text/event-stream
      Content-Length:
      - "999"
      Content-Encoding:
      - gzip
    status: 200 OK
    code: 200
    duration: 1.5s
- id: 1
  request:
    proto: HTTP/1.1
    proto_major: 1
    proto_minor: 1
    content_length: 0
    host: ""
    body: ""
    headers: {}
    url: https://api.example.com/v1/models
    method: GET
  response:
    proto: HTTP/2.0
    proto_major: 2
    proto_minor: 0
    content_length: -1
    body: !!binary |
      AAECA/79gIE=
    headers:
      Content-Type:
      - application/vnd.amazon.eventstream
    status: 201 Created
    code: 201
    duration: 10ms
"""


def _request(body: str | bytes = "", *, method: str = "POST", url: str = URL) -> RecordedRequest:
    return RecordedRequest(method=method, url=url, body=body)


def _interaction(request: RecordedRequest, body: str | bytes = "ok") -> Interaction:
    return Interaction(request=request, response=RecordedResponse(body=body))


def _cassette(*interactions: Interaction) -> Cassette:
    return Cassette(interactions=list(interactions))


@pytest.fixture
def cassette_file(tmp_path: Path) -> Path:
    path = tmp_path / "chat.yaml"
    path.write_text(CASSETTE_YAML, encoding="utf-8")
    return path


# --- matching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "sent"),
    [
        ("plain text", "plain text"),
        ("line one\r\nline two", "line one\nline two"),
        ('{"a":1,"b":[1,2]}', '{"a": 1, "b": [1, 2]}'),
        ('{"a":1,"b":2}', '{"b":2,"a":1}'),
        ('{"max_tokens":4000}', '{"max_tokens":4000.0}'),
        ('{"x":null}', '{"x": null}'),
        (b"\xff\xfe", b"\xff\xfe"),
    ],
)
def test_bodies_that_match(recorded: str | bytes, sent: str | bytes) -> None:
    assert requests_match(_request(recorded), _request(sent))


@pytest.mark.parametrize(
    ("recorded", "sent"),
    [
        ('{"stream":true}', '{"stream":1}'),
        ('{"stream":false}', '{"stream":0}'),
        ('{"x":null}', '{"x":0}'),
        ('{"x":null}', '{"x":false}'),
        ('{"a":[1,2]}', '{"a":[2,1]}'),
        ('{"a":1}', '{"a":1,"b":2}'),
        ('{"a":"1"}', '{"a":1}'),
        ("plain text", "plain  text"),
        (b"\xff\xfe", b"\xff\xff"),
    ],
)
def test_bodies_that_do_not_match(recorded: str | bytes, sent: str | bytes) -> None:
    assert not requests_match(_request(recorded), _request(sent))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", URL),
        ("POST", "https://api.example.com/v1/chat"),
        ("POST", "https://api.example.com/v1/chat?beta=false"),
        ("POST", "https://api.example.com/v2/chat?beta=true"),
    ],
)
def test_method_and_full_url_must_be_equal(method: str, url: str) -> None:
    assert not requests_match(_request("{}"), _request("{}", method=method, url=url))


def test_mismatch_raises_through_client_with_a_readable_diff(cassette_file: Path) -> None:
    transport = ReplayTransport(cassette_file)
    with httpx.Client(transport=transport) as client, pytest.raises(CassetteMismatchError) as err:
        client.post(
            URL,
            json={"stream": True, "model": "m", "max_tokens": 4096},
            headers={"Authorization": f"Bearer {SECRET}", "x-api-key": SECRET},
        )
    message = str(err.value)
    assert f"POST {URL}" in message
    assert '-  "max_tokens": 4000,' in message
    assert '+  "max_tokens": 4096,' in message
    assert "2 of 2 recorded interactions are unused" in message
    assert SECRET not in message
    assert "Bearer" not in message
    assert transport.used_count == 0


def test_mismatch_diff_targets_the_nearest_request() -> None:
    cassette = _cassette(
        _interaction(_request('{"model":"far","n":1}', url="https://other.example/x")),
        _interaction(_request('{"model":"near","n":1}')),
        _interaction(_request('{"model":"nearer","n":2}')),
    )
    transport = ReplayTransport(cassette)
    with httpx.Client(transport=transport) as client, pytest.raises(CassetteMismatchError) as err:
        client.post(URL, content='{"model":"nearer","n":3}')
    message = str(err.value)
    assert "nearest unused interaction #2" in message
    assert '-  "n": 2' in message and '+  "n": 3' in message


def test_mismatch_reports_url_difference_and_exhaustion() -> None:
    transport = ReplayTransport(_cassette(_interaction(_request("{}"))))
    with httpx.Client(transport=transport) as client:
        with pytest.raises(CassetteMismatchError, match="url differs"):
            client.post(URL + "&x=1", content="{}")
        client.post(URL, content="{}")
        with pytest.raises(CassetteMismatchError, match="all 1 recorded interactions"):
            client.post(URL, content="{}")


# --- serving --------------------------------------------------------------------------


def test_each_interaction_serves_once_and_duplicates_in_order() -> None:
    same = _request('{"q":1}')
    cassette = _cassette(_interaction(same, "first"), _interaction(same, "second"))
    transport = ReplayTransport(cassette)
    with httpx.Client(transport=transport) as client:
        assert client.post(URL, content='{"q": 1}').text == "first"
        assert transport.used_count == 1
        assert client.post(URL, content='{"q": 1}').text == "second"
        with pytest.raises(CassetteMismatchError):
            client.post(URL, content='{"q": 1}')
    transport.assert_all_used()


def test_assert_all_used_lists_unused_interactions(cassette_file: Path) -> None:
    transport = ReplayTransport(cassette_file)
    with httpx.Client(transport=transport) as client:
        client.get("https://api.example.com/v1/models")
    assert transport.used_count == 1
    assert [i.request.url for i in transport.unused] == [URL]
    with pytest.raises(UnusedInteractionsError) as err:
        transport.assert_all_used()
    assert err.value.unused == [(0, "POST", URL)]
    assert f"#0 POST {URL}" in str(err.value)
    assert "1 of 2" in str(err.value)


def test_response_status_headers_and_text(cassette_file: Path) -> None:
    with httpx.Client(transport=ReplayTransport(cassette_file)) as client:
        response = client.post(URL, content='{"stream":true,"max_tokens":4000,"model":"m"}')
        binary = client.get("https://api.example.com/v1/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert "content-length" not in response.headers
    assert "content-encoding" not in response.headers
    assert response.text.startswith('data: {"text":"Olá! 日本語 café"}\n\n')
    assert response.url == httpx.URL(URL)
    assert (binary.status_code, binary.reason_phrase) == (201, "Created")
    assert binary.content == b"\x00\x01\x02\x03\xfe\xfd\x80\x81"


def test_pieces_are_deterministic_and_split_multibyte_characters() -> None:
    body = ("é日本 " * 200).encode("utf-8")
    pieces = split_body(body, seed=7, max_piece=16)
    assert pieces == split_body(body, seed=7, max_piece=16)
    assert pieces != split_body(body, seed=8, max_piece=16)
    assert b"".join(pieces) == body
    assert all(1 <= len(p) <= 16 for p in pieces)
    assert any(_splits_a_character(p) for p in pieces[:-1])


def test_a_single_multibyte_character_is_split_on_purpose() -> None:
    body = b"a" * 3 + "é".encode()
    for seed in range(20):
        pieces = split_body(body, seed=seed, max_piece=64)
        assert b"".join(pieces) == body
        assert len(pieces) > 1


def _splits_a_character(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_streamed_pieces_reach_the_client(cassette_file: Path) -> None:
    expected = Cassette.load(cassette_file).interactions[0].response.body
    assert isinstance(expected, str)

    def stream(seed: int) -> list[bytes]:
        transport = ReplayTransport(cassette_file, seed=seed, max_piece=5)
        with httpx.Client(transport=transport) as client:
            payload = '{"model":"m","max_tokens":4000,"stream":true}'
            with client.stream("POST", URL, content=payload) as response:
                return list(response.iter_raw())

    pieces = stream(seed=3)
    assert pieces == stream(seed=3)
    assert len(pieces) > 1
    assert b"".join(pieces) == expected.encode("utf-8")
    assert any(_splits_a_character(p) for p in pieces)


async def test_async_client_uses_the_same_transport(cassette_file: Path) -> None:
    transport = ReplayTransport(cassette_file, max_piece=4)
    async with httpx.AsyncClient(transport=transport) as client:
        payload = {"model": "m", "max_tokens": 4000, "stream": True}
        async with client.stream("POST", URL, json=payload) as response:
            pieces = [piece async for piece in response.aiter_raw()]
        binary = await client.get("https://api.example.com/v1/models")
    assert len(pieces) > 1
    assert "日本語".encode() in b"".join(pieces)
    assert binary.content == base64.b64decode("AAECA/79gIE=")
    transport.assert_all_used()


# --- format ---------------------------------------------------------------------------


def test_load_reads_fields_and_binary_bodies(cassette_file: Path) -> None:
    cassette = Cassette.load(cassette_file)
    first, second = cassette.interactions
    assert first.request.headers == {"Content-Type": ["application/json"]}
    assert first.response.status == "200 OK"
    assert first.response.duration == "1.5s"
    assert (first.response.proto, first.response.proto_minor) == ("HTTP/2.0", 0)
    assert isinstance(second.response.body, bytes)
    assert second.request.body == ""


def test_save_load_round_trip_then_replay(cassette_file: Path, tmp_path: Path) -> None:
    original = Cassette.load(cassette_file)
    copy = tmp_path / "nested" / "copy.yaml"
    original.save(copy)
    text = copy.read_text(encoding="utf-8")
    assert text.startswith("---\nversion: 2\ninteractions:\n- id: 0\n")
    assert "!!binary" in text
    assert "body: |" in text
    assert Cassette.load(copy) == original
    transport = ReplayTransport(copy)
    with httpx.Client(transport=transport) as client:
        client.get("https://api.example.com/v1/models")
        client.post(URL, content='{"model":"m","max_tokens":4000,"stream":true}')
    transport.assert_all_used()


def test_unknown_fields_survive_a_round_trip() -> None:
    text = CASSETTE_YAML.replace(
        '    host: ""\n', '    host: ""\n    form:\n      beta:\n      - "true"\n', 1
    )
    cassette = Cassette.loads(text)
    assert cassette.interactions[0].request.extra == {"form": {"beta": ["true"]}}
    dumped = cassette.dumps()
    assert dumped.index("form:") < dumped.index("headers:")
    assert Cassette.loads(dumped) == cassette


def test_other_versions_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("version: 1\ninteractions: []\n", encoding="utf-8")
    with pytest.raises(CassetteFormatError, match=r"old\.yaml.*version 2"):
        Cassette.load(path)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (1.5e-7, "150ns"), (0.3120085, "312.0085ms"), (1.133625875, "1.133625875s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_import_fantasy_does_not_import_testing_or_yaml() -> None:
    code = "import sys, fantasy; print('yaml' in sys.modules, 'fantasy.testing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_real_cassette_smoke() -> None:
    root = Path(__file__).resolve().parents[2]
    corpus = Path(os.environ.get("FANTASY_CASSETTES", root.parent / "shared" / "fantasy-cassettes"))
    path = corpus / "TestOpenAICommon" / "openai-gpt-4o" / "simple.yaml"
    if not path.exists():
        pytest.skip(f"cassette corpus not found at {corpus}")
    cassette = Cassette.load(path)
    request = cassette.interactions[0].request
    transport = ReplayTransport(cassette)
    with httpx.Client(transport=transport) as client:
        body = json.loads(request.body)
        response = client.request(request.method, request.url, json=body)
    assert response.json()["object"] == "chat.completion"
    transport.assert_all_used()


# --- record ---------------------------------------------------------------------------


def _fake_provider(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers=[
            ("Content-Type", "application/json"),
            ("Set-Cookie", "session=abc"),
            ("X-Api-Token", "tok"),
            ("openai-organization-key", "org"),
            ("X-Request-Id", "req-1"),
        ],
        json={"echo": json.loads(request.content), "note": f"key was {SECRET}"},
    )


def _record_sync(tmp_path: Path) -> tuple[Path, httpx.Response]:
    path = tmp_path / "rec" / "recorded.yaml"
    transport = RecordingTransport(httpx.MockTransport(_fake_provider), path, secrets=[SECRET])
    with httpx.Client(transport=transport) as client:
        response = client.post(
            f"https://api.example.com/v1/chat?key={SECRET}",
            json={"prompt": "hi", "api_key": SECRET},
            headers={
                "Authorization": f"Bearer {SECRET}",
                "x-api-key": SECRET,
                "Accept": "application/json",
                "user-agent": "fantasy-test/1.0",
            },
        )
    transport.save()
    return path, response


def test_record_keeps_only_safe_headers_and_scrubs_secrets(tmp_path: Path) -> None:
    path, response = _record_sync(tmp_path)
    assert response.json()["note"] == f"key was {SECRET}"  # the caller sees the real body
    text = path.read_text(encoding="utf-8")
    for leaked in (SECRET, "Authorization", "authorization", "x-api-key", "X-Api-Key", "Bearer"):
        assert leaked not in text
    for dropped in ("Set-Cookie", "X-Api-Token", "Openai-Organization-Key", "session=abc"):
        assert dropped not in text
    interaction = Cassette.load(path).interactions[0]
    assert set(interaction.request.headers) == {"Accept", "Content-Type", "User-Agent"}
    assert interaction.request.headers["User-Agent"] == ["fantasy-test/1.0"]
    assert interaction.request.url == "https://api.example.com/v1/chat?key=[REDACTED]"
    assert json.loads(interaction.request.body)["api_key"] == "[REDACTED]"
    assert interaction.response.headers["X-Request-Id"] == ["req-1"]
    assert interaction.response.status == "200 OK"


def test_recorded_cassette_replays(tmp_path: Path) -> None:
    path, _ = _record_sync(tmp_path)
    transport = ReplayTransport(path)
    with httpx.Client(transport=transport) as client:
        response = client.post(
            "https://api.example.com/v1/chat?key=[REDACTED]",
            json={"api_key": "[REDACTED]", "prompt": "hi"},
        )
    assert response.json() == {
        "echo": {"prompt": "hi", "api_key": "[REDACTED]"},
        "note": "key was [REDACTED]",
    }
    transport.assert_all_used()


async def test_record_async_stores_binary_bodies_as_bytes(tmp_path: Path) -> None:
    payload = b"\x00\x00\x01\xff event-stream frame \x80"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload, headers={"content-type": "application/x"})

    path = tmp_path / "binary.yaml"
    transport = RecordingTransport(httpx.MockTransport(handler), path)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post("https://api.example.com/stream", content=b"{}")
    assert response.content == payload
    transport.save()
    assert "!!binary" in path.read_text(encoding="utf-8")
    replay = ReplayTransport(path)
    async with httpx.AsyncClient(transport=replay) as client:
        assert (await client.post("https://api.example.com/stream", content=b"{}")).content == (
            payload
        )


def test_record_decompresses_gzip_bodies(tmp_path: Path) -> None:
    import gzip

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-type": "text/plain"}
        return httpx.Response(200, content=gzip.compress(b"hello"), headers=headers)

    transport = RecordingTransport(httpx.MockTransport(handler), tmp_path / "gz.yaml")
    with httpx.Client(transport=transport) as client:
        assert client.get("https://api.example.com/").text == "hello"
    recorded = transport.cassette.interactions[0].response
    assert recorded.body == "hello"
    assert recorded.extra == {"uncompressed": True}
    assert "Content-Encoding" not in recorded.headers


# --- pytest plugin --------------------------------------------------------------------


def _write_plugin_test(pytester: pytest.Pytester, cassette_file: Path, calls: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_uses_cassette=textwrap.dedent(
            f"""
            import httpx

            def test_it(fantasy_cassette):
                transport = fantasy_cassette({str(cassette_file)!r})
                with httpx.Client(transport=transport) as client:
                    {calls}
            """
        )
    )


def test_fixture_fails_a_test_that_leaves_interactions_unused(
    pytester: pytest.Pytester, cassette_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FANTASY_RECORD", raising=False)
    _write_plugin_test(pytester, cassette_file, 'client.get("https://api.example.com/v1/models")')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*1 of 2 recorded interactions*", f"*#0 POST {URL}*"])


def test_fixture_passes_when_every_interaction_is_used(
    pytester: pytest.Pytester, cassette_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FANTASY_RECORD", raising=False)
    calls = (
        'client.get("https://api.example.com/v1/models"); '
        f"client.post({URL!r}, json={{'model': 'm', 'max_tokens': 4000, 'stream': True}})"
    )
    _write_plugin_test(pytester, cassette_file, calls)
    pytester.runpytest().assert_outcomes(passed=1)


def test_fixture_record_mode_writes_the_cassette(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANTASY_RECORD", "1")
    target = tmp_path / "new" / "dir" / "made.yaml"
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        textwrap.dedent(
            f"""
            from fantasy.testing import RecordingTransport

            def test_it(fantasy_cassette):
                assert isinstance(fantasy_cassette({str(target)!r}), RecordingTransport)
            """
        )
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert Cassette.load(target).interactions == []


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("key", True),
        ("api_key", True),
        ("apiKey", True),
        ("access_token", True),
        ("client_secret", True),
        ("X-Amz-Signature", True),
        ("X-Amz-Security-Token", True),
        ("password", True),
        ("max_tokens", False),
        ("prompt_cache_key", False),
        ("alt", False),
        ("monkey", False),
    ],
)
def test_what_the_recorder_counts_as_a_credential_name(name: str, credential: bool) -> None:
    assert is_credential_name(name) is credential


def test_a_redacted_recording_matches_any_value_there_and_nothing_else() -> None:
    recorded = "https://h/v1?key=[REDACTED]&alt=sse"
    assert urls_match(recorded, "https://h/v1?key=anything&alt=sse")
    assert not urls_match(recorded, "https://h/v1?key=anything&alt=json")
    assert not urls_match(recorded, "https://h/v2?key=anything&alt=sse")
    assert not urls_match(recorded, "https://h/v1?token=anything&alt=sse")
    assert not urls_match("https://h/v1?key=abc", "https://h/v1?key=abd")
    assert json_equal({"k": REDACTED, "n": 1}, {"k": "real", "n": 1}, redacted=True)
    assert not json_equal({"k": REDACTED}, {"k": "real"}), "only when asked"
    assert not json_equal({"k": REDACTED}, {"k": 1}, redacted=True), "a string for a string"
