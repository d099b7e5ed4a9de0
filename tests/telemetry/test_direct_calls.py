"""Model calls outside an agent under `fantasy.telemetry.instrument()`: each request is
one ``chat {model}`` span (and its metrics), read by the real providers from a loopback
server on all four faces; nested models (a fallback's members, a limiter's model) and
agent runs are not traced twice; `uninstrument` puts every method back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry import trace

import fantasy
import fantasy.telemetry
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.providers import openai
from fantasy.providers._exchange import ExchangeModel
from fantasy.testing import FakeModel, text_response
from fantasy.types import StreamPartType, user_message
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import answer, closing_after, error_reply, generate, stream_parts
from tests.faults.server import FaultServer
from tests.faults.wire import ANTHROPIC, BEDROCK, GOOGLE, OPENAI_CHAT, OPENAI_RESPONSES, Family
from tests.telemetry.conftest import Recorded, children

FAMILIES = [OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC, BEDROCK, GOOGLE]
FACES = [("sync", False), ("async", False), ("sync", True), ("async", True)]


def instrument(otel: Recorded, **options: Any) -> None:
    fantasy.telemetry.instrument(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider, **options
    )


def text(model: Any, mode: str, streaming: bool) -> str:
    if not streaming:
        return generate(model, mode).text
    parts = stream_parts(model, mode)
    return "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
@pytest.mark.parametrize(
    ("mode", "streaming"), FACES, ids=["generate", "agenerate", "stream", "astream"]
)
def test_a_direct_call_is_one_chat_span_with_its_metrics(
    otel: Recorded, server: FaultServer, family: Family, mode: str, streaming: bool
) -> None:
    server.script(answer(family, ["Hel", "lo"], streaming))
    model = family.make(server.url, FAKE_KEY)
    instrument(otel)
    assert text(model, mode, streaming) == "Hello"

    (chat,) = otel.spans
    assert chat.name == f"chat {model.model}"
    assert chat.kind is trace.SpanKind.CLIENT and chat.parent is None
    attrs: dict[str, Any] = dict(chat.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == model.model
    assert attrs["gen_ai.request.stream"] is streaming
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
    assert "fantasy.request.attempt" not in attrs  # no agent, no attempts to number
    assert ("gen_ai.response.time_to_first_chunk" in attrs) is streaming
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes or {})["gen_ai.operation.name"] == "chat"
    assert {
        dict(p.attributes or {})["gen_ai.token.type"]
        for p in otel.points("gen_ai.client.token.usage")
    } == {"input", "output"}


@pytest.mark.parametrize(("mode", "streaming"), FACES)
def test_a_failed_direct_call_is_an_error_span(
    otel: Recorded, server: FaultServer, mode: str, streaming: bool
) -> None:
    server.script(error_reply(OPENAI_CHAT, 400, "no such thing"))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    instrument(otel)
    if streaming:
        parts = stream_parts(model, mode)
        assert parts[-1].type is StreamPartType.ERROR
    else:
        with pytest.raises(fantasy.InvalidRequestError):
            generate(model, mode)
    (chat,) = otel.spans
    assert chat.status.status_code is trace.StatusCode.ERROR
    assert dict(chat.attributes or {})["error.type"] == "InvalidRequestError"


def test_the_callers_current_span_is_the_parent(otel: Recorded, server: FaultServer) -> None:
    server.script(answer(OPENAI_CHAT, ["Hi"], False))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    instrument(otel)
    tracer = otel.tracer_provider.get_tracer("my-app")
    with tracer.start_as_current_span("handle request"):
        model.generate(Call([user_message("hi")]))
    parent = otel.root()
    assert parent.name == "handle request"
    assert [s.name for s in children(otel.spans, parent)] == ["chat gpt-4o-mini"]


@pytest.mark.parametrize("streaming", [False, True])
def test_an_agent_run_still_has_one_chat_span_per_request(
    otel: Recorded, server: FaultServer, streaming: bool
) -> None:
    server.script(answer(OPENAI_CHAT, ["Hel", "lo"], streaming))
    agent = fantasy.Agent(OPENAI_CHAT.make(server.url, FAKE_KEY))
    instrument(otel)
    result = agent.stream("hi").result if streaming else agent.generate("hi")
    assert result.text == "Hello"
    assert [s.name for s in otel.spans] == ["invoke_agent", "chat gpt-4o-mini"]
    (chat,) = otel.named("chat")
    assert dict(chat.attributes or {})["fantasy.request.attempt"] == 1


def test_a_model_called_by_a_tool_is_traced_under_the_tools_span(otel: Recorded) -> None:
    inner = FakeModel([text_response("42")])

    @fantasy.tool
    def ask(question: str) -> str:
        """Ask another model."""
        return inner.generate(Call([user_message(question)])).text

    outer = FakeModel(
        [fantasy.testing.tool_call_response("ask", {"question": "?"}), text_response("done")]
    )
    instrument(otel)
    assert fantasy.Agent(outer, tools=[ask]).generate("go").text == "done"
    (tool,) = otel.named("execute_tool")
    assert [s.name for s in children(otel.spans, tool)] == ["chat fake-model"]
    assert len(otel.named("chat")) == 3


@pytest.mark.parametrize("streaming", [False, True])
def test_a_fallback_model_is_one_span_naming_the_member_that_answered(
    otel: Recorded, server: FaultServer, streaming: bool
) -> None:
    server.script(error_reply(OPENAI_CHAT, 503, "down"), answer(OPENAI_CHAT, ["Hi"], streaming))
    primary = OPENAI_CHAT.make(server.url, FAKE_KEY)
    backup = openai.Provider(api_key=FAKE_KEY, base_url=server.url).language_model("gpt-4o")
    model = fantasy.FallbackModel(primary, backup)
    instrument(otel)
    assert text(model, "sync", streaming) == "Hi"
    (chat,) = otel.spans
    attrs: dict[str, Any] = dict(chat.attributes or {})
    assert chat.name == "chat gpt-4o-mini"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini"  # as the loopback answer names it
    (event,) = [e for e in chat.events if e.name == "fantasy.fallback"]
    assert dict(event.attributes or {})["fantasy.fallback.failed.model"] == "gpt-4o-mini"


def test_a_limited_model_is_one_span(otel: Recorded, server: FaultServer) -> None:
    server.script(answer(OPENAI_CHAT, ["Hi"], False))
    limiter = fantasy.RequestLimiter(max_concurrent=1)
    model = fantasy.LimitedModel(OPENAI_CHAT.make(server.url, FAKE_KEY), limiter)
    instrument(otel)
    assert model.generate(Call([user_message("hi")])).text == "Hi"
    assert [s.name for s in otel.spans] == ["chat gpt-4o-mini"]


def test_generate_object_is_traced(otel: Recorded) -> None:
    model = FakeModel([text_response('{"name": "Ada"}')])
    model.object_mode = "text"
    instrument(otel)
    result = fantasy.generate_object(model, "who?", dict[str, str])
    assert result.object == {"name": "Ada"}
    assert [s.name for s in otel.spans] == ["chat fake-model"]


def test_a_class_defined_after_instrument_is_traced_until_uninstrument(otel: Recorded) -> None:
    instrument(otel)

    class Echo(BaseLanguageModel):
        provider_name = "echo"
        model_id = "echo-1"

        async def agenerate(self, call: Call) -> Response:
            return text_response("echo")

    original = Echo.__dict__["agenerate"].__wrapped__
    assert Echo().generate(Call([user_message("hi")])).text == "echo"
    assert [s.name for s in otel.spans] == ["chat echo-1"]
    fantasy.telemetry.uninstrument()
    assert Echo.__dict__["agenerate"] is original
    assert Echo().generate(Call([user_message("hi")])).text == "echo"
    assert len(otel.spans) == 1


def test_uninstrument_puts_every_method_back(otel: Recorded, server: FaultServer) -> None:
    before = (ExchangeModel.__dict__["agenerate"], FakeModel.__dict__["astream"])
    hook = BaseLanguageModel.__dict__.get("__init_subclass__")
    instrument(otel)
    assert ExchangeModel.__dict__["agenerate"] is not before[0]
    fantasy.telemetry.uninstrument()
    assert (ExchangeModel.__dict__["agenerate"], FakeModel.__dict__["astream"]) == before
    assert BaseLanguageModel.__dict__.get("__init_subclass__") is hook
    server.script(answer(OPENAI_CHAT, ["Hi"], False))
    OPENAI_CHAT.make(server.url, FAKE_KEY).generate(Call([user_message("hi")]))
    assert otel.spans == []


def test_model_calls_false_traces_agents_only(otel: Recorded) -> None:
    instrument(otel, model_calls=False)
    FakeModel([text_response("a")]).generate(Call([user_message("hi")]))
    assert otel.spans == []
    fantasy.Agent(FakeModel([text_response("b")])).generate("hi")
    assert [s.name for s in otel.spans] == ["invoke_agent", "chat fake-model"]


def test_a_refused_stream_raises_at_the_call_as_without_telemetry(otel: Recorded) -> None:
    class Strict(BaseLanguageModel):
        provider_name = "strict"
        model_id = "strict-1"

        async def agenerate(self, call: Call) -> Response:
            raise NotImplementedError

        def astream(self, call: Call) -> Any:
            raise fantasy.InvalidArgumentError("strict: no such option")

    instrument(otel)
    with pytest.raises(fantasy.InvalidArgumentError, match="no such option"):
        Strict().astream(Call([user_message("hi")]))


def test_batch_stand_ins_are_not_traced(otel: Recorded) -> None:
    from fantasy.batch.requests import _Recorder

    model = FakeModel([])
    instrument(otel)

    async def record() -> None:
        with pytest.raises(Exception):  # noqa: B017 - the recorder stops every call
            await _Recorder(model).agenerate(Call([user_message("hi")]))

    asyncio.run(record())
    assert otel.spans == []


def test_importing_telemetry_wraps_nothing_until_instrument() -> None:
    code = (
        "import fantasy.telemetry\n"
        "from fantasy.model import BaseLanguageModel\n"
        "from fantasy.testing import FakeModel\n"
        "print(hasattr(FakeModel.__dict__['agenerate'], '__wrapped__'),"
        " '__init_subclass__' in BaseLanguageModel.__dict__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


async def test_concurrent_direct_streams_each_have_their_span(
    otel: Recorded, server: FaultServer
) -> None:
    server.script(*[answer(OPENAI_CHAT, ["a", "b"], True) for _ in range(3)])
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    instrument(otel)

    async def one() -> str:
        parts = [p async for p in model.astream(Call([user_message("hi")]))]
        return "".join(p.delta for p in parts if p.type is StreamPartType.TEXT_DELTA)

    async def all_three() -> list[str]:
        return list(await asyncio.gather(one(), one(), one()))

    assert await closing_after(model, all_three()) == ["ab"] * 3
    spans = otel.named("chat")
    assert len(spans) == 3 and all(s.parent is None for s in spans)
