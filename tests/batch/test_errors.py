"""Bad input fails at once with a message that says what to do; nothing is sent."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fantasy import Call, batch, user_message
from fantasy.errors import AuthenticationError, InvalidArgumentError
from fantasy.testing import FakeModel
from tests.batch.conftest import MODELS, ModelFactory
from tests.batch.server import GEMINI_KEY, BatchServer

HELLO = Call([user_message("hello")])


@pytest.mark.parametrize(
    "requests, message",
    [
        ({}, "at least one request"),
        ([("a", HELLO), ("a", HELLO)], "'a' is used twice"),
        ({"has space": HELLO}, "letters, digits"),
        ({"x" * 65: HELLO}, "1-64"),
        ({"": HELLO}, "non-empty string"),
        ([("a", "hello")], "expected a fantasy.Call"),
        (["a"], "got str"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_sent(
    server: BatchServer, requests: object, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        batch.submit(MODELS["openai-chat"](server), requests)  # type: ignore[arg-type]
    assert server.seen == []


def test_a_model_without_a_batch_api_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="openai, anthropic or google"):
        batch.submit(FakeModel([]), {"a": HELLO})


def test_gemini_on_vertex_is_refused_with_the_reason() -> None:
    from fantasy.providers import google

    model = google.Provider(
        vertex=True, project="p", location="us-central1", token="t"
    ).language_model("gemini-2.5-flash")
    with pytest.raises(InvalidArgumentError, match="batch prediction jobs"):
        batch.submit(model, {"a": HELLO})


def test_claude_on_vertex_is_refused_with_the_reason() -> None:
    from fantasy.providers import anthropic

    model = anthropic.Provider(
        vertex_project="p", vertex_location="us-east5", vertex_token="t"
    ).language_model("claude-sonnet-4")
    with pytest.raises(InvalidArgumentError, match="Claude on vertex"):
        batch.submit(model, {"a": HELLO})


def test_per_call_headers_cannot_ride_in_a_batch(
    server: BatchServer, make_model: ModelFactory
) -> None:
    call = Call([user_message("hi")], headers={"X-Trace": "1"})
    with pytest.raises(InvalidArgumentError, match=r"'a' sets headers of its own \(X-Trace\)"):
        batch.submit(make_model(server), {"a": call})
    assert not any("batch" in s.path or s.path.endswith("/files") for s in server.seen)


def test_a_bad_batch_id_is_refused_before_it_reaches_a_url(
    server: BatchServer, make_model: ModelFactory
) -> None:
    job = batch.resume(make_model(server), "../../secrets")
    with pytest.raises(InvalidArgumentError, match="not a"):
        job.poll()
    with pytest.raises(InvalidArgumentError, match="batch_id"):
        batch.resume(make_model(server), "")


def test_wait_options_are_checked(server: BatchServer) -> None:
    job = batch.resume(MODELS["openai-chat"](server), "batch_1")
    with pytest.raises(InvalidArgumentError, match="poll_interval"):
        job.result(poll_interval=-1)
    with pytest.raises(InvalidArgumentError, match="timeout"):
        job.result(timeout="soon")
    with pytest.raises(InvalidArgumentError, match="progress must be True, False or a text"):
        job.result(progress=42)
    assert server.seen == []


def test_an_unknown_batch_is_the_providers_error(
    server: BatchServer, make_model: ModelFactory
) -> None:
    from fantasy.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        batch.resume(make_model(server), "batch_404").poll()
    assert caught.value.status_code == 404


def test_a_refused_key_is_an_authentication_error_without_the_key(server: BatchServer) -> None:
    from fantasy.providers import google

    model = google.Provider(api_key="wrong-key-0123456789", base_url=server.url).language_model(
        "gemini-2.5-flash"
    )
    with pytest.raises(AuthenticationError) as caught:
        batch.submit(model, {"a": HELLO})
    assert "wrong-key-0123456789" not in str(caught.value)
    assert GEMINI_KEY not in repr(caught.value)


def test_import_fantasy_does_not_load_batch_and_batch_loads_no_provider() -> None:
    code = (
        "import sys, fantasy\n"
        "assert 'fantasy.batch' not in sys.modules\n"
        "import fantasy.batch\n"
        "loaded = [m for m in sys.modules if m.startswith('fantasy.providers') or m == 'httpx']\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
