"""One credentials module per cloud (`fantasy.http.auth`): AWS SigV4 checked against
botocore's own signer and against the algorithm written out by hand; Vertex tokens from a
fake token provider and from fake google-auth credentials, on both faces. Every provider on
a cloud uses that cloud's one implementation."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import inspect
import pkgutil
import subprocess
import sys
import types
from typing import Any

import botocore.auth as botocore_auth  # the dev extra installs botocore: these never skip
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fantasy import _runtime
from fantasy.errors import FantasyError, ProviderError
from fantasy.http.auth import Authenticator, MissingExtraError
from fantasy.http.auth.aws import SigV4Auth
from fantasy.http.auth.google import CLOUD_PLATFORM_SCOPE, VertexAuth

FROZEN = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke"
BODY = b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[]}'
HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "X-Trace": "t"}


def sign(auth: Authenticator, url: str = URL, body: bytes = BODY) -> dict[str, str]:
    headers = dict(HEADERS)
    _runtime.run_sync(auth.apply(url, body, headers))
    return headers


def asign(auth: Authenticator, url: str = URL, body: bytes = BODY) -> dict[str, str]:
    headers = dict(HEADERS)
    asyncio.run(auth.apply(url, body, headers))
    return headers


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda *a, **k: FROZEN)


# =========================================================================== AWS


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("session_token", [None, "session-token"])
@pytest.mark.parametrize("face", [sign, asign], ids=["sync", "async"])
def test_sigv4_equals_botocores_own_signature(session_token: str | None, face: Any) -> None:
    ours = face(
        SigV4Auth(
            "us-east-1",
            service="bedrock",
            access_key_id="AKIDEXAMPLE",
            secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            session_token=session_token,
        )
    )
    request = AWSRequest(method="POST", url=URL, data=BODY, headers=dict(HEADERS))
    credentials = Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", session_token
    )
    botocore_auth.SigV4Auth(credentials, "bedrock", "us-east-1").add_auth(request)
    theirs = dict(request.headers.items())
    assert ours == theirs
    assert ours["X-Amz-Date"] == "20260102T030405Z"
    assert ("X-Amz-Security-Token" in ours) is (session_token is not None)
    assert "wJalr" not in ours["Authorization"]


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@pytest.mark.usefixtures("frozen_clock")
def test_sigv4_follows_the_published_algorithm() -> None:
    """AWS's SigV4 steps written out, for a request with nothing to escape."""
    url = "https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/invoke"
    headers = sign(
        SigV4Auth("eu-west-1", service="bedrock", access_key_id="AKID", secret_access_key="s3"),
        url,
    )
    amz_date, day = "20260102T030405Z", "20260102"
    signed = {
        "accept": "application/json",
        "content-type": "application/json",
        "host": "bedrock-runtime.eu-west-1.amazonaws.com",
        "x-amz-date": amz_date,
        "x-trace": "t",
    }
    names = ";".join(sorted(signed))
    canonical = "\n".join(
        [
            "POST",
            "/model/m/invoke",
            "",
            "".join(f"{k}:{signed[k]}\n" for k in sorted(signed)),
            names,
            hashlib.sha256(BODY).hexdigest(),
        ]
    )
    scope = f"{day}/eu-west-1/bedrock/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = b"AWS4s3"
    for part in (day, "eu-west-1", "bedrock", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert headers["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential=AKID/{scope}, SignedHeaders={names}, Signature={signature}"
    )


def test_sigv4_repr_and_errors_show_no_secret() -> None:
    auth = SigV4Auth(
        "us-east-1", service="bedrock", access_key_id="AKIDSECRET", secret_access_key="hush"
    )
    assert repr(auth) == "SigV4Auth(service='bedrock', region='us-east-1')"


def test_sigv4_without_credentials_is_an_auth_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore import session

    class NoCredentials:
        def __init__(self, profile: str | None = None):
            pass

        def get_credentials(self) -> None:
            return None

    monkeypatch.setattr(session, "Session", NoCredentials)
    auth = SigV4Auth("us-east-1", service="bedrock", provider="my-bedrock", hint="try a key")
    with pytest.raises(ProviderError) as caught:
        sign(auth)
    assert caught.value.auth_error and caught.value.provider == "my-bedrock"
    assert str(caught.value).endswith("or try a key")


def test_sigv4_without_botocore_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "botocore" or m.startswith("botocore.")]:
        monkeypatch.setitem(sys.modules, name, None)
    auth = SigV4Auth("us-east-1", service="bedrock", access_key_id="A", secret_access_key="B")
    with pytest.raises(MissingExtraError, match=r"botocore: pip install 'fantasy\[bedrock\]'"):
        sign(auth)


# =========================================================================== Google


def headers_of(auth: VertexAuth) -> dict[str, str]:
    return _runtime.run_sync(auth.headers("https://aiplatform.googleapis.com/v1/x"))


def test_vertex_token_provider_sync_and_async() -> None:
    seen: list[str] = []

    def sync_provider() -> str:
        seen.append("sync")
        return "tok-1"

    async def async_provider() -> str:
        seen.append("async")
        return "tok-2"

    assert headers_of(VertexAuth(token_provider=sync_provider)) == {"Authorization": "Bearer tok-1"}
    assert headers_of(VertexAuth(token_provider=async_provider)) == {
        "Authorization": "Bearer tok-2"
    }
    headers: dict[str, str] = {"Content-Type": "application/json"}
    asyncio.run(VertexAuth(token_provider=async_provider).apply("https://x", b"{}", headers))
    assert headers == {"Content-Type": "application/json", "Authorization": "Bearer tok-2"}
    assert seen == ["sync", "async", "async"]


def test_vertex_token_provider_must_give_a_token() -> None:
    with pytest.raises(FantasyError, match="returned no token"):
        headers_of(VertexAuth(token_provider=lambda: ""))


def test_vertex_static_token_skip_and_repr() -> None:
    assert headers_of(VertexAuth(token="abc")) == {"Authorization": "Bearer abc"}
    assert headers_of(VertexAuth(skip=True, token="abc")) == {}
    assert repr(VertexAuth(token="secret-token")) == "VertexAuth(token)"
    assert repr(VertexAuth(token_provider=lambda: "t")) == "VertexAuth(token provider)"
    assert repr(VertexAuth()) == "VertexAuth(google-auth)"


class _Credentials:
    def __init__(self) -> None:
        self.refreshes = 0

    def before_request(self, request: Any, method: str, url: str, headers: dict[str, str]) -> None:
        self.refreshes += 1
        headers["authorization"] = f"Bearer adc-{self.refreshes}"


def _fake_google_auth(monkeypatch: pytest.MonkeyPatch, credentials: Any) -> list[Any]:
    asked: list[Any] = []

    def default(scopes: Any = None) -> tuple[Any, str]:
        asked.append(scopes)
        return credentials, "project"

    error = type("GoogleAuthError", (Exception,), {})
    monkeypatch.setitem(sys.modules, "google.auth", types.SimpleNamespace(default=default))
    monkeypatch.setitem(
        sys.modules, "google.auth.transport.requests", types.SimpleNamespace(Request=object)
    )
    monkeypatch.setitem(
        sys.modules, "google.auth.exceptions", types.SimpleNamespace(GoogleAuthError=error)
    )
    return asked


def test_vertex_application_default_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = _Credentials()
    asked = _fake_google_auth(monkeypatch, credentials)
    auth = VertexAuth()
    assert headers_of(auth) == {"authorization": "Bearer adc-1"}
    assert asyncio.run(auth.headers("https://x")) == {"authorization": "Bearer adc-2"}
    assert asked == [[CLOUD_PLATFORM_SCOPE]]  # found once, refreshed per request


def test_vertex_without_google_auth_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with pytest.raises(MissingExtraError, match=r"google-auth: pip install 'fantasy\[vertex\]'"):
        headers_of(VertexAuth())


# =========================================================================== one per cloud


def test_every_provider_on_a_cloud_uses_its_one_implementation() -> None:
    from fantasy.providers import anthropic, bedrock, google

    claude_vertex: Any = anthropic.Provider(
        vertex_project="p", vertex_location="us-east5", vertex_token=lambda: "t"
    ).language_model("claude-sonnet-4")
    gemini_vertex: Any = google.Provider(project="p", location="us-east5", token="t")
    claude_on_google: Any = gemini_vertex.language_model("claude-sonnet-4")
    claude_bedrock: Any = bedrock.Provider(
        region="us-east-1", aws_access_key_id="A", aws_secret_access_key="B"
    ).language_model("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert type(claude_vertex.auth) is VertexAuth
    assert type(gemini_vertex.auth) is VertexAuth
    assert type(claude_on_google.auth) is VertexAuth
    assert type(claude_bedrock.auth) is SigV4Auth
    assert claude_bedrock.auth.service == "bedrock"


def test_no_provider_defines_its_own_cloud_auth() -> None:
    import fantasy.providers

    defined: list[str] = []
    for info in pkgutil.walk_packages(fantasy.providers.__path__, "fantasy.providers."):
        module = __import__(info.name, fromlist=["_"])
        for name, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == info.name and issubclass(value, Authenticator):
                defined.append(f"{info.name}.{name}")
    assert defined == []


def test_importing_the_providers_loads_no_cloud_library() -> None:
    code = (
        "import sys, fantasy\n"
        "from fantasy.providers import anthropic, bedrock, google\n"
        "import fantasy.http.auth.aws, fantasy.http.auth.google\n"
        "print(sorted({'botocore', 'google.auth'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]"]
