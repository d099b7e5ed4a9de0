"""The redaction every fantasy exception goes through (and the recorder uses): which
forms of a credential are hidden, which fragments, what is left alone, and how long a
transport's credentials are looked for."""

from __future__ import annotations

import base64
import gc
import pickle

from fantasy.errors import (
    REDACTED,
    InvalidArgumentError,
    ProviderError,
    SecretTokens,
    live_secrets,
    mask_userinfo,
    redact_bytes,
    redact_text,
    secret_forms,
    url_credentials,
)
from fantasy.http.transport import HttpTransport

KEY = "sk-unit-redaction/Key+0123456789"


def _tokens(*values: str) -> SecretTokens:
    return SecretTokens.of(values)


def test_forms_of_a_bearer_key_and_of_basic_auth() -> None:
    forms = secret_forms(f"Bearer {KEY}")
    assert {f"Bearer {KEY}", KEY, KEY.replace("/", "\\/")} <= forms
    assert {"sk-unit-redaction%2FKey%2B0123456789", "sk-unit-redaction%2fKey%2b0123456789"} <= forms
    basic = "Basic " + base64.b64encode(b"service-user:pass word/12345").decode()
    forms = secret_forms(basic)
    assert {basic, basic.split()[1], "service-user:pass word/12345", "service-user"} <= forms
    assert {"pass word/12345", "pass+word%2F12345", "pass%20word%2F12345"} <= forms
    assert secret_forms("short") == set(), "too short to look for"


def test_a_long_key_is_hidden_by_any_run_of_twelve_of_its_characters() -> None:
    tokens = _tokens(KEY)
    for echo in (KEY, KEY[:-1], KEY[:12], KEY[5:17], KEY[-12:], f"{KEY[:20]}..."):
        hidden = redact_text(f"key: {echo}!", tokens)
        assert hidden in (f"key: {REDACTED}!", f"key: {REDACTED}...!"), echo
    assert redact_text(f"key: {KEY[:11]}…{KEY[-4:]}", tokens) == f"key: {KEY[:11]}…{KEY[-4:]}"


def test_a_short_credential_is_hidden_only_whole() -> None:
    tokens = _tokens("abcd-1234-xy")  # 12 characters: under 20, no fragments
    assert redact_text("x abcd-1234-xy y abcd-1234", tokens) == f"x {REDACTED} y abcd-1234"


def test_text_around_a_secret_is_kept() -> None:
    tokens = _tokens(f"Bearer {KEY}")
    text = f"provided: {KEY}; again:{KEY}{KEY} and Bearer {KEY}."
    assert redact_text(text, tokens) == (
        f"provided: {REDACTED}; again:{REDACTED} and {REDACTED}."
    ), "overlapping and adjacent runs merge; the space before a key stays"
    assert redact_bytes(b"nothing here", tokens) == b"nothing here"


def test_userinfo_is_masked_in_any_url() -> None:
    text = "go to 'http://alice:pw@host:8/v1' or https://tok@h.example/x, not a@b.c"
    assert mask_userinfo(text) == (
        "go to 'http://[REDACTED]@host:8/v1' or https://[REDACTED]@h.example/x, not a@b.c"
    )
    found = url_credentials("http://us%40er:p%2Fw-long-password@host/v1")
    assert {"us@er", "p/w-long-password", "us@er:p/w-long-password", "p%2Fw-long-password"} <= set(
        found
    )
    assert "Basic " + base64.b64encode(b"us@er:p/w-long-password").decode() in found
    assert url_credentials("http://host/v1") == []


def test_errors_are_redacted_when_built_and_when_set() -> None:
    tokens = _tokens(KEY)
    err = ProviderError(
        f"bad key {KEY}",
        title=f"refused {KEY[:15]}",
        url="http://u:p@h/v1",
        response_body=KEY.encode(),
        response_headers={"Set-Cookie": "s=1", "X-Echo": KEY, "Retry-After": "3"},
        error_type=KEY,
    )
    assert str(err) == f"refused {REDACTED}: bad key {REDACTED}"
    assert err.url == "http://[REDACTED]@h/v1"
    assert err.response_body == REDACTED.encode() and err.error_type == REDACTED
    assert err.response_headers == {"set-cookie": REDACTED, "x-echo": REDACTED, "retry-after": "3"}
    err.response_body = f"later {KEY}".encode()
    err.message = f"later {KEY}"
    assert err.response_body == f"later {REDACTED}".encode() and err.message == f"later {REDACTED}"
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and copy.response_body == err.response_body
    assert str(copy) == str(err)
    assert InvalidArgumentError("base_url 'http://a:pw-0123@h' ...").message == (
        "base_url 'http://[REDACTED]@h' ..."
    )
    del tokens


def test_a_transports_credentials_are_looked_for_while_it_lives() -> None:
    secret = "sk-only-while-alive-0123456789"
    transport = HttpTransport(secrets=[f"Bearer {secret}"])
    assert secret.encode() in live_secrets()
    assert secret not in str(ProviderError(f"echo {secret}"))
    del transport
    gc.collect()
    assert secret.encode() not in live_secrets()
    assert secret in str(ProviderError(f"echo {secret}")), "nothing else is touched"


def test_credentials_and_responses_print_masked() -> None:
    """As locals of a traceback's frames (pytest --showlocals, rich tracebacks)."""
    from fantasy.http.transport import HttpResponse, secret_tokens

    tokens = secret_tokens([f"Bearer {KEY}"])
    assert KEY not in repr(tokens) and KEY not in str(tokens)
    assert repr(tokens) == f"SecretTokens(<{len(tokens)} hidden>)"
    response = HttpResponse(
        401, {"x-echo": KEY}, f"bad {KEY}".encode(), "http://u:pw-012345@h/v1", tokens
    )
    assert repr(response) == "HttpResponse(status_code=401, url='http://[REDACTED]@h/v1', 36 bytes)"
