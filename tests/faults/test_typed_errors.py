"""Every provider's failures arrive as the same small tree of exceptions.

Each case is a real HTTP exchange with the loopback fault server, for every
provider family, sync and async, whole and streamed: a caller catches
``fantasy.RateLimitError`` (or `AuthenticationError`, ...) whichever provider it
talks to, and each is still a `ProviderError` with its status and retryability.
"""

from __future__ import annotations

import pytest

import fantasy
from fantasy import ProviderError
from tests.faults.conftest import FAKE_KEY, RecordingSleep
from tests.faults.drive import MODES, error_reply, generate, run_agent, stream_parts
from tests.faults.server import FaultServer, Reply, Stall, Stream
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)
STREAMING = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])


@FAMILY
@MODE
@STREAMING
@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (429, fantasy.RateLimitError, True),
        (401, fantasy.AuthenticationError, False),
        (403, fantasy.AuthenticationError, False),
        (500, fantasy.ProviderUnavailableError, True),
        (503, fantasy.ProviderUnavailableError, True),
        (400, fantasy.InvalidRequestError, False),
        (404, fantasy.InvalidRequestError, False),
    ],
)
def test_an_http_error_status_is_its_kind_of_provider_error(
    family: Family,
    mode: str,
    streaming: bool,
    status: int,
    expected: type[ProviderError],
    retryable: bool,
    server: FaultServer,
    sleeps: RecordingSleep,
) -> None:
    server.script(error_reply(family, status, "no luck", **{"x-request-id": "req_123"}))
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), max_retries=0, sleep=sleeps)

    with pytest.raises(expected) as info:
        run_agent(agent, mode, streaming)

    error = info.value
    assert type(error) is expected and isinstance(error, ProviderError)
    assert error.status_code == status
    assert error.retryable is retryable is error.is_retryable
    assert error.request_id == "req_123"
    assert "no luck" in error.message


@FAMILY
@MODE
def test_a_prompt_too_long_is_a_context_window_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    message = {
        "openai-chat": "This model's maximum context length is 128000 tokens. However, your "
        "messages resulted in 130000 tokens.",
        "azure-chat": "This model's maximum context length is 128000 tokens. However, your "
        "messages resulted in 130000 tokens.",
        "openaicompat": "This model's maximum context length is 128000 tokens. However, your "
        "messages resulted in 130000 tokens.",
        "openai-responses": "This model's maximum context length is 128000 tokens. However, "
        "your messages resulted in 130000 tokens.",
        "anthropic": "prompt is too long: 210000 tokens > 200000 maximum",
        "bedrock": "prompt is too long: 210000 tokens > 200000 maximum",
        "google": "The input token count (1200000) exceeds the maximum number of tokens "
        "allowed (1048576).",
    }[family.name]
    server.script(error_reply(family, 400, message))

    with pytest.raises(fantasy.ContextWindowError) as info:
        generate(family.make(server.url, FAKE_KEY), mode)

    assert info.value.is_context_too_large
    assert info.value.status_code == 400


@FAMILY
@MODE
def test_a_stream_cut_short_is_a_stream_interrupted_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stream(family.truncated(["Hi"]), ending="drop", content_type=family.content_type))

    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)

    error = parts[-1].error
    assert isinstance(error, fantasy.StreamInterruptedError)
    assert error.retryable


@FAMILY
@MODE
def test_an_html_page_is_an_invalid_response_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Reply(200, b"<html>captive portal</html>", content_type="text/html"))

    with pytest.raises(fantasy.InvalidResponseError) as info:
        generate(family.make(server.url, FAKE_KEY), mode)

    assert not info.value.retryable


@FAMILY
@MODE
def test_a_server_that_never_answers_is_a_timeout_error(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(Stall())

    with pytest.raises(fantasy.ProviderTimeoutError) as info:
        generate(family.make(server.url, FAKE_KEY), mode, _call_with_timeout(0.2))

    assert info.value.retryable


def _call_with_timeout(seconds: float) -> fantasy.Call:
    return fantasy.Call([fantasy.user_message("Say hi")], timeout=seconds)


@MODE
def test_a_refused_connection_is_provider_unavailable(mode: str, server: FaultServer) -> None:
    url = server.url
    server.stop()
    model = FAMILIES[0].make(url, FAKE_KEY)

    with pytest.raises(fantasy.ProviderUnavailableError) as info:
        generate(model, mode)

    assert info.value.retryable


def test_the_raw_provider_error_type_is_kept() -> None:
    error = ProviderError("slow down", status_code=429, error_type="rate_limit_error")
    assert type(error) is fantasy.RateLimitError
    assert error.error_type == "rate_limit_error"
    overloaded = ProviderError("busy", title="stream error", error_type="overloaded_error")
    assert type(overloaded) is fantasy.ProviderUnavailableError
    throttled = ProviderError("x", title="stream error", error_type="throttlingException")
    assert type(throttled) is fantasy.RateLimitError
    in_a_200 = ProviderError("x", title="provider error", status_code=200, error_type="429")
    assert type(in_a_200) is fantasy.RateLimitError
