"""The conventions' client metrics: token usage per type and request duration, with the
same request attributes as the spans; cost on spans where the price is known."""

from __future__ import annotations

import pytest

import fantasy
from fantasy.errors import ProviderError
from fantasy.testing import FakeModel, RecordingSleep, text_response, tool_call_response
from fantasy.types import Usage
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import run_agent
from tests.faults.server import FaultServer, Reply
from tests.faults.wire import OPENAI_CHAT, chat_whole, openai_error
from tests.telemetry.conftest import Recorded


@fantasy.tool
def noop() -> str:
    """Does nothing."""
    return "done"


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_token_usage_is_recorded_per_type(otel: Recorded, streaming: bool) -> None:
    model = FakeModel(
        [
            tool_call_response("noop", {}, usage=Usage(input_tokens=100, output_tokens=7)),
            text_response("ok", usage=Usage(input_tokens=120, output_tokens=3)),
        ]
    )
    agent = fantasy.Agent(model, tools=[noop], telemetry=otel.telemetry())
    if streaming:
        agent.stream("go").result  # noqa: B018
    else:
        agent.generate("go")
    points = otel.points("gen_ai.client.token.usage")
    by_type = {p.attributes["gen_ai.token.type"]: p for p in points}  # type: ignore[index]
    assert set(by_type) == {"input", "output"}
    assert (by_type["input"].count, by_type["input"].sum) == (2, 220)
    assert (by_type["output"].count, by_type["output"].sum) == (2, 10)
    assert (by_type["input"].min, by_type["input"].max) == (100, 120)
    attrs = dict(by_type["input"].attributes or {})
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "fake",
        "gen_ai.request.model": "fake-model",
        "gen_ai.token.type": "input",
    }
    # The conventions' advised buckets.
    assert list(by_type["input"].explicit_bounds)[:4] == [1, 4, 16, 64]
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 2 and duration.sum >= 0
    assert list(duration.explicit_bounds)[:3] == [0.01, 0.02, 0.04]
    first_chunk = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert [p.count for p in first_chunk] == ([2] if streaming else [])


def test_a_failed_request_is_timed_with_its_error_type(otel: Recorded) -> None:
    model = FakeModel([ProviderError("busy", status_code=503), text_response("ok")])
    agent = fantasy.Agent(model, sleep=RecordingSleep(), telemetry=otel.telemetry())
    agent.generate("go")
    points = otel.points("gen_ai.client.operation.duration")
    errors = {dict(p.attributes or {}).get("error.type"): p.count for p in points}
    assert errors == {"ProviderUnavailableError": 1, None: 1}
    assert otel.points("gen_ai.client.token.usage") == []  # FakeModel's answer had no usage


def test_a_request_over_http_carries_server_and_usage(otel: Recorded, server: FaultServer) -> None:
    """A real provider over loopback: the server's address and port, the usage it
    reported, and a 500 retried as a second attempt."""
    server.script(Reply(500, openai_error("overloaded")), Reply(body=chat_whole("Olá")))
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)
    agent = fantasy.Agent(model, sleep=RecordingSleep(), telemetry=otel.telemetry())
    assert run_agent(agent, "async", False).text == "Olá"
    failed, answered = otel.named("chat")
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    for span in (failed, answered):
        attrs = dict(span.attributes or {})
        assert attrs["server.address"] == "127.0.0.1"
        assert attrs["server.port"] == port
        assert attrs["gen_ai.provider.name"] == "openai"
    assert dict(failed.attributes or {})["error.type"] == "ProviderUnavailableError"
    assert dict(answered.attributes or {})["fantasy.request.attempt"] == 2
    assert dict(answered.attributes or {})["gen_ai.usage.input_tokens"] == 3
    assert dict(answered.attributes or {})["gen_ai.usage.output_tokens"] == 5
    tokens = otel.points("gen_ai.client.token.usage")
    assert {dict(p.attributes or {})["server.port"] for p in tokens} == {port}


def test_cost_is_an_attribute_when_the_price_is_known(otel: Recorded) -> None:
    priced = FakeModel(
        [text_response("ok", usage=Usage(input_tokens=1_000_000, output_tokens=0))],
        provider="openai",
        model="gpt-4o-mini",
    )
    agent = fantasy.Agent(priced, telemetry=otel.telemetry())
    result = agent.generate("go")
    (chat,) = otel.named("chat")
    cost = dict(chat.attributes or {})["fantasy.cost.usd"]
    assert cost == pytest.approx(float(result.total_cost.amount))  # type: ignore[arg-type]
    assert cost > 0
    assert dict(otel.root().attributes or {})["fantasy.cost.usd"] == pytest.approx(cost)
    unpriced = fantasy.Agent(FakeModel([text_response("ok")]), telemetry=otel.telemetry())
    otel.exporter.clear()
    unpriced.generate("go")
    assert "fantasy.cost.usd" not in dict(otel.named("chat")[0].attributes or {})
    assert "fantasy.cost.usd" not in dict(otel.root().attributes or {})
