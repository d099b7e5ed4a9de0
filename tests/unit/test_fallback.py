"""FallbackModel: the next model answers when one fails with an outage, never when the
request itself is wrong; each attempt is visible; each model keeps its own options.

Scripted with `FakeModel`s through every face of the agent and of the object
functions. The same behaviours over real HTTP, two providers on the loopback fault
server, are in tests/faults/test_fallback.py.
"""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from tests.unit.conftest import RunAgent

import fantasy
from fantasy import (
    AuthenticationError,
    ContextWindowError,
    FallbackError,
    FallbackMetadata,
    FallbackModel,
    InvalidArgumentError,
    InvalidRequestError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StreamInterruptedError,
)
from fantasy.model import Call
from fantasy.testing import FakeModel, text_response, tool_call_response
from fantasy.testing.fake import (
    error_part,
    stream_parts_for_text,
    stream_parts_for_tool_calls,
)
from fantasy.types import CallWarning, StreamPart, StreamPartType, user_message


def unavailable(message: str = "down") -> ProviderError:
    return ProviderError(message, status_code=503, provider="p")


def bad_request(message: str = "bad") -> ProviderError:
    return ProviderError(message, status_code=400, provider="p")


def fake(name: str, *script: Any) -> FakeModel:
    return FakeModel(list(script), provider=name, model=f"{name}-model")


async def no_sleep(seconds: float) -> None:
    return None


def agent(model: Any, **options: Any) -> fantasy.Agent:
    options.setdefault("max_retries", 0)
    return fantasy.Agent(model, sleep=no_sleep, **options)


OUTAGES = [
    pytest.param(lambda: unavailable(), id="503"),
    pytest.param(lambda: ProviderError("slow down", status_code=429), id="429"),
    pytest.param(lambda: ProviderError("overloaded", status_code=529), id="529-overloaded"),
    pytest.param(lambda: ProviderError("late", status_code=504), id="504"),
    pytest.param(lambda: ProviderError("timed out", title="deadline exceeded"), id="timeout"),
    pytest.param(
        lambda: ProviderError("unexpected EOF", title="stream transport error", transient=True),
        id="stream-cut",
    ),
    pytest.param(lambda: ProviderError("conflict", status_code=409), id="409-retryable"),
    pytest.param(lambda: ConnectionRefusedError("refused"), id="connection-refused"),
]


# --------------------------------------------------------------------------- the policy


@pytest.mark.parametrize("make_error", OUTAGES)
def test_an_outage_of_the_primary_is_answered_by_the_fallback(
    make_error: Any, run: RunAgent
) -> None:
    primary = fake("openai", make_error())
    backup = fake("anthropic", text_response("from the fallback"))
    result = run(agent(FallbackModel(primary, backup)), "hi")

    assert result.text == "from the fallback"
    assert primary.remaining == backup.remaining == 0
    record = result.steps[0].provider_metadata["fallback"]
    assert isinstance(record, FallbackMetadata)
    assert (record.provider, record.model, record.index) == ("anthropic", "anthropic-model", 1)
    assert [(f.provider, f.model) for f in record.failures] == [("openai", "openai-model")]
    assert type(make_error()).__name__ in record.failures[0].error


def test_the_default_kinds_are_the_outage_kinds() -> None:
    assert (
        RateLimitError,
        ProviderUnavailableError,
        ProviderTimeoutError,
        StreamInterruptedError,
    ) == fantasy.DEFAULT_FALLBACK_ERRORS
    assert fantasy.default_fallback_on(RateLimitError("quota", status_code=429))
    assert not fantasy.default_fallback_on(InvalidRequestError("no", status_code=400))


REQUEST_ERRORS = [
    pytest.param(lambda: bad_request(), InvalidRequestError, id="400"),
    pytest.param(lambda: ProviderError("no model", status_code=404), InvalidRequestError, id="404"),
    pytest.param(
        lambda: ProviderError("too long", status_code=400, context_too_large=True),
        ContextWindowError,
        id="context-window",
    ),
    pytest.param(lambda: ProviderError("key", status_code=401), AuthenticationError, id="401"),
    pytest.param(
        lambda: ProviderError("html", title="invalid provider response"),
        fantasy.InvalidResponseError,
        id="not-the-api",
    ),
    pytest.param(lambda: ValueError("a bug"), ValueError, id="not-a-provider-error"),
]


@pytest.mark.parametrize(("make_error", "kind"), REQUEST_ERRORS)
def test_an_error_caused_by_the_request_is_raised_without_fallback(
    make_error: Any, kind: type[BaseException], run: RunAgent
) -> None:
    primary = fake("openai", make_error())
    backup = fake("anthropic", text_response("never"))
    with pytest.raises(kind) as info:
        run(agent(FallbackModel(primary, backup)), "hi")
    assert not isinstance(info.value, FallbackError)
    assert backup.remaining == 1 and backup.calls == []


def test_on_names_the_failures_that_fall_back(run: RunAgent) -> None:
    too_long = ProviderError("too long", status_code=400, context_too_large=True)
    primary = fake("openai", too_long)
    backup = fake("anthropic", text_response("bigger window"))
    model = FallbackModel(primary, backup, on=ContextWindowError)
    assert run(agent(model), "hi").text == "bigger window"

    # Only what on= names: a 503 is not a context-window error.
    primary = fake("openai", unavailable())
    backup = fake("anthropic", text_response("never"))
    with pytest.raises(ProviderUnavailableError):
        run(agent(FallbackModel(primary, backup, on=ContextWindowError)), "hi")
    assert backup.calls == []


def test_on_takes_predicates_and_lists_of_types_and_predicates(run: RunAgent) -> None:
    seen: list[BaseException] = []

    def by_message(error: BaseException) -> bool:
        seen.append(error)
        return "try elsewhere" in str(error)

    model = FallbackModel(
        fake("a", bad_request("try elsewhere")),
        fake("b", ContextWindowError("too long", status_code=400)),
        fake("c", text_response("c answered")),
        on=[fantasy.default_fallback_on, ContextWindowError, by_message],
    )
    assert run(agent(model), "hi").text == "c answered"
    assert [e.message for e in seen] == ["try elsewhere"]  # type: ignore[attr-defined]


def test_types_in_on_match_the_provider_error_inside_a_wrapper(run: RunAgent) -> None:
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = RateLimitError("slow", status_code=429)
    model = FallbackModel(fake("a", wrapped), fake("b", text_response("ok")), on=RateLimitError)
    assert run(agent(model), "hi").text == "ok"


def test_the_callers_own_exceptions_never_fall_back(run: RunAgent) -> None:
    def failing_predicate(error: BaseException) -> bool:
        raise KeyError("my bug")

    model = FallbackModel(
        fake("a", unavailable()), fake("b", text_response("never")), on=failing_predicate
    )
    with pytest.raises(KeyError, match="my bug"):
        run(agent(model, max_retries=3), "hi")


# --------------------------------------------------------------------------- visibility


def test_on_fallback_hears_each_fallback_in_order(run: RunAgent) -> None:
    first, second = unavailable("a is down"), RateLimitError("b is busy", status_code=429)
    a, b, c = fake("a", first), fake("b", second), fake("c", text_response("c answered"))
    heard: list[tuple[BaseException, str, str]] = []
    model = FallbackModel(
        a, b, c, on_fallback=lambda e, frm, to: heard.append((e, frm.provider, to.provider))
    )
    result = run(agent(model), "hi")

    assert result.text == "c answered"
    assert heard == [(first, "a", "b"), (second, "b", "c")]
    record = result.steps[0].provider_metadata["fallback"]
    assert (record.provider, record.index) == ("c", 2)
    assert [f.provider for f in record.failures] == ["a", "b"]
    assert "a is down" in record.failures[0].error and "b is busy" in record.failures[1].error


def test_on_fallback_may_be_async_and_what_it_raises_ends_the_call(run: RunAgent) -> None:
    heard: list[str] = []

    async def hear(error: BaseException, frm: Any, to: Any) -> None:
        await asyncio.sleep(0)
        heard.append(to.provider)

    model = FallbackModel(
        fake("a", unavailable()), fake("b", text_response("ok")), on_fallback=hear
    )
    assert run(agent(model), "hi").text == "ok" and heard == ["b"]

    def refuse(error: BaseException, frm: Any, to: Any) -> None:
        raise PermissionError("no fallback today")

    backup = fake("b", text_response("never"))
    model = FallbackModel(fake("a", unavailable()), backup, on_fallback=refuse)
    with pytest.raises(PermissionError):
        run(agent(model, max_retries=3), "hi")
    assert backup.calls == []


def test_the_primary_answering_is_recorded_too(run: RunAgent) -> None:
    model = FallbackModel(fake("a", text_response("a answered")), fake("b"))
    result = run(agent(model), "hi")
    record = result.steps[0].provider_metadata["fallback"]
    assert (record.provider, record.model, record.index, record.failures) == (
        "a",
        "a-model",
        0,
        [],
    )


def test_when_every_model_fails_the_error_holds_each_models_error(run: RunAgent) -> None:
    errors = [unavailable("a down"), RateLimitError("b busy", status_code=429)]
    model = FallbackModel(fake("a", errors[0]), fake("b", errors[1]))
    with pytest.raises(FallbackError) as info:
        run(agent(model), "hi")

    err = info.value
    assert err.errors == errors and err.last_error is errors[1]
    assert err.models == ["a:a-model", "b:b-model"]
    assert "a:a-model: ProviderUnavailableError" in str(err) and "b busy" in str(err)
    assert err.__cause__ is errors[1]
    assert err.partial_result is not None  # it ended the run like any other error


def test_a_request_error_after_a_fallback_is_a_fallback_error_and_not_retried(
    run: RunAgent,
) -> None:
    errors = [unavailable(), bad_request("the fallback refuses the request")]
    model = FallbackModel(fake("a", errors[0]), fake("b", errors[1]))
    with pytest.raises(FallbackError) as info:
        run(agent(model, max_retries=3), "hi")
    assert info.value.errors == errors  # raised at once: no RetryError around it


def test_the_agent_retries_the_whole_chain_from_the_primary(run: RunAgent) -> None:
    """Fallback happens inside an attempt; the agent's retry starts over at the primary."""
    order: list[str] = []

    def log(name: str, answer: Any) -> Any:
        def answer_call(call: Call) -> Any:
            order.append(name)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        return answer_call

    primary = fake("a", log("a", unavailable()), log("a", text_response("a is back")))
    backup = fake("b", log("b", RateLimitError("busy", status_code=429)))
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(seconds)

    result = run(fantasy.Agent(FallbackModel(primary, backup), max_retries=2, sleep=record), "hi")
    assert result.text == "a is back"
    assert order == ["a", "b", "a"]
    assert delays == [5.0]  # one wait, between the two attempts of the chain


def test_retries_that_run_out_hold_a_fallback_error_per_attempt(run: RunAgent) -> None:
    model = FallbackModel(
        fake("a", unavailable(), unavailable()), fake("b", unavailable(), unavailable())
    )
    with pytest.raises(fantasy.RetryError) as info:
        run(agent(model, max_retries=1), "hi")
    assert [type(e) for e in info.value.errors] == [FallbackError, FallbackError]
    assert all(len(e.errors) == 2 for e in info.value.errors)  # type: ignore[attr-defined]


def test_fallback_error_pickles_with_each_models_error() -> None:
    err = FallbackError([unavailable("a"), bad_request("b")], ["a:x", "b:y"])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is FallbackError and str(back) == str(err)
    assert [type(e) for e in back.errors] == [ProviderUnavailableError, InvalidRequestError]
    assert back.models == ["a:x", "b:y"]


def test_fallback_metadata_is_saved_and_loaded_with_a_response() -> None:
    record = FallbackMetadata(provider="b", model="m", index=1)
    response = fantasy.Response(provider_metadata={"fallback": record})
    text = fantasy.to_json(response)
    assert '"type":"fallback.metadata"' in text.replace(" ", "")
    # A fresh process that never imported fantasy.fallback loads it all the same.
    code = (
        "import sys, fantasy\n"
        f"r = fantasy.from_json({text!r}, fantasy.Response)\n"
        "m = r.provider_metadata['fallback']\n"
        "print(type(m).__name__, m.model)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["FallbackMetadata", "m"]


# --------------------------------------------------------------------------- streams


def test_a_stream_falls_back_on_an_error_part_before_any_output(run_stream: RunAgent) -> None:
    warning = CallWarning(type="other", message="primary's warning")
    primary = fake(
        "a",
        [StreamPart(StreamPartType.WARNINGS, warnings=[warning]), error_part(unavailable())],
    )
    backup = fake("b", stream_parts_for_text(["from ", "b"]))
    result = run_stream(agent(FallbackModel(primary, backup)), "hi")
    assert result.text == "from b"
    assert result.steps[0].warnings == []  # the failed model's warnings went with it
    assert result.steps[0].provider_metadata["fallback"].provider == "b"


def test_a_stream_falls_back_when_the_connection_fails_first() -> None:
    primary = fake("a", [ConnectionResetError("reset")])
    backup = fake("b", stream_parts_for_text("from b"))
    parts = list(FallbackModel(primary, backup).stream(Call([user_message("hi")])))
    assert [p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA] == ["from b"]
    finish = parts[-1]
    assert finish.type is StreamPartType.FINISH
    assert finish.provider_metadata is not None
    assert finish.provider_metadata["fallback"].index == 1


@pytest.mark.parametrize("how", ["error-part", "raised"])
def test_a_stream_never_falls_back_after_its_first_part(how: str, run_stream: RunAgent) -> None:
    parts = stream_parts_for_text("half an answer")[:2]  # text_start, one delta
    failure = unavailable("cut")
    primary = fake("a", [*parts, error_part(failure) if how == "error-part" else failure])
    backup = fake("b", stream_parts_for_text("never"))
    with pytest.raises(ProviderUnavailableError, match="cut"):
        run_stream(agent(FallbackModel(primary, backup)), "hi")
    assert backup.calls == []


def test_a_stream_keeps_its_warnings_when_it_answers() -> None:
    warning = CallWarning(type="other", message="kept")
    primary = fake(
        "a", [StreamPart(StreamPartType.WARNINGS, warnings=[warning]), *stream_parts_for_text("x")]
    )
    parts = list(FallbackModel(primary, fake("b")).stream(Call([user_message("hi")])))
    assert parts[0].type is StreamPartType.WARNINGS and parts[0].warnings == [warning]


def test_a_stream_where_every_model_fails_ends_with_one_fallback_error_part() -> None:
    errors = [unavailable("a"), unavailable("b")]
    model = FallbackModel(fake("a", [error_part(errors[0])]), fake("b", [errors[1]]))

    async def collect() -> list[StreamPart]:
        return [p async for p in model.astream(Call([user_message("hi")]))]

    with pytest.raises(FallbackError) as info:
        asyncio.run(collect())
    assert info.value.errors == errors

    model = FallbackModel(fake("a", [error_part(errors[0])]), fake("b", [error_part(errors[1])]))
    parts = list(model.stream(Call([user_message("hi")])))
    assert [p.type for p in parts] == [StreamPartType.ERROR]
    assert isinstance(parts[0].error, FallbackError) and parts[0].error.errors == errors


def test_tools_run_once_whichever_model_asked(run: RunAgent) -> None:
    ran: list[str] = []

    @fantasy.tool
    def weather(location: str) -> str:
        """Weather."""
        ran.append(location)
        return "40 C"

    calls = tool_call_response(("c1", "weather", {"location": "Rome"}))
    streaming = run.mode in ("stream", "astream")
    primary = fake("a", unavailable(), unavailable())
    backup = fake(
        "b",
        stream_parts_for_tool_calls(("c1", "weather", {"location": "Rome"}))
        if streaming
        else calls,
        text_response("hot"),
    )
    result = run(agent(FallbackModel(primary, backup), tools=[weather]), "weather?")
    assert result.text == "hot" and ran == ["Rome"]
    assert [s.provider_metadata["fallback"].provider for s in result.steps] == ["b", "b"]


# --------------------------------------------------------------------------- options


@dataclass
class OptionsA:
    value: str


def test_each_model_gets_its_own_provider_options(run: RunAgent) -> None:
    primary = fake("openai", unavailable())
    backup = fake("anthropic", text_response("ok"))
    model = FallbackModel(
        (primary, {"openai": OptionsA("primary's own")}),
        (backup, {"anthropic": OptionsA("fallback's own")}),
    )
    shared = {"openai": OptionsA("the call's"), "other": OptionsA("shared")}
    run(agent(model), "hi", provider_options=shared)

    assert primary.calls[0].provider_options == {
        "openai": OptionsA("primary's own"),  # its own wins under the same key
        "other": OptionsA("shared"),
    }
    assert backup.calls[0].provider_options == {
        "openai": OptionsA("the call's"),
        "other": OptionsA("shared"),
        "anthropic": OptionsA("fallback's own"),
    }
    assert shared == {"openai": OptionsA("the call's"), "other": OptionsA("shared")}


# --------------------------------------------------------------------------- objects


@dataclass
class City:
    name: str


def object_answer(name: str) -> Any:
    return tool_call_response(("c1", "generate_object", {"name": name}))


def test_generate_object_falls_back_on_both_faces() -> None:
    for face in ("sync", "async"):
        primary = fake("a", RateLimitError("busy", status_code=429))
        backup = fake("b", object_answer("Rome"))
        options = {"b": OptionsA("b's")}
        model = FallbackModel(primary, (backup, options))
        if face == "sync":
            result = fantasy.generate_object(model, "a city", City)
        else:
            result = asyncio.run(fantasy.agenerate_object(model, "a city", City))
        assert result.object == City("Rome")
        assert result.provider_metadata["fallback"].provider == "b"
        assert backup.calls[0].provider_options == options


def test_stream_object_falls_back_before_its_first_part_on_both_faces() -> None:
    for face in ("sync", "async"):
        primary = fake("a", [error_part(unavailable())])
        backup = fake("b", stream_parts_for_tool_calls(("c1", "generate_object", {"name": "Oslo"})))
        model = FallbackModel(primary, backup)
        if face == "sync":
            result = fantasy.stream_object(model, "a city", City).result
        else:
            result = asyncio.run(fantasy.astream_object(model, "a city", City).collect())
        assert result.object == City("Oslo")
        assert result.provider_metadata["fallback"].index == 1


def test_a_schema_must_suit_every_model() -> None:
    class Picky(FakeModel):
        def check_schema(self, schema: dict[str, Any], where: str) -> None:
            raise InvalidArgumentError(f"{where}: picky refuses")

    model = FallbackModel(fake("a"), Picky([], provider="picky"))
    with pytest.raises(InvalidArgumentError, match="output type City: picky refuses"):
        fantasy.generate_object(model, "a city", City)


# --------------------------------------------------------------------------- building


def test_a_fallback_model_names_its_models() -> None:
    model = FallbackModel(fake("a"), fake("b"))
    assert model.provider == "fallback"
    assert model.model == "a:a-model, b:b-model"
    assert isinstance(model, fantasy.LanguageModel)


def test_typed_output_asks_every_model_what_all_of_them_can_do() -> None:
    def model(native: bool, with_tools: bool, mode: str = "auto") -> FakeModel:
        m = FakeModel()
        m.native_object_output = native
        m.native_output_with_tools = with_tools  # type: ignore[attr-defined]
        m.object_mode = mode
        return m

    both = FallbackModel(model(True, True), model(True, True))
    assert (both.native_object_output, both.native_output_with_tools) == (True, True)
    assert both.object_mode == "auto"
    one = FallbackModel(model(True, True), model(True, False, "tool"))
    assert (one.native_object_output, one.native_output_with_tools) == (True, False)
    assert one.object_mode == "tool"
    assert FallbackModel(model(True, True), model(False, False, "text")).object_mode == "text"


def test_models_may_be_given_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    model = FallbackModel("openai:gpt-4o-mini", ("anthropic:claude-sonnet-4", {"anthropic": 1}))
    assert [(m.provider, m.model) for m in model.models] == [
        ("openai", "gpt-4o-mini"),
        ("anthropic", "claude-sonnet-4"),
    ]
    assert model.model_options == [{}, {"anthropic": 1}]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((42,), {}, "the primary model must be a language model"),
        ((FakeModel(), (FakeModel(),)), {}, r"fallback 1 must be .* a tuple of 1"),
        ((FakeModel(), (FakeModel(), ["x"])), {}, "provider options of fallback 1"),
        ((FakeModel(),), {"on": "RateLimitError"}, "on= takes exception types"),
        ((FakeModel(),), {"on": [int]}, "on= takes exception types"),
        ((FakeModel(),), {"on": []}, "on= is empty"),
        ((FakeModel(),), {"on_fallback": "print"}, "on_fallback must be a function"),
    ],
)
def test_a_fallback_model_built_wrong_says_what_is_wrong(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        FallbackModel(*args, **kwargs)
