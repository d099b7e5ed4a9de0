"""``gen_ai.response.id`` and ``gen_ai.response.model`` on each ``chat`` span: what the
provider's answer says of itself, read by the real providers from a loopback server,
on all four faces; absent when the answer does not say."""

from __future__ import annotations

import pytest

import fantasy
from fantasy.testing import FakeModel
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import answer, run_agent
from tests.faults.server import FaultServer
from tests.faults.wire import ANTHROPIC, BEDROCK, GOOGLE, OPENAI_CHAT, OPENAI_RESPONSES, Family
from tests.telemetry.conftest import Recorded

# What each family's loopback answer (tests/faults/wire.py) names, whole and streamed:
# its id and its model (the Responses stream here names no model; Gemini's, no id).
NAMED: list[tuple[Family, tuple[str | None, str | None], tuple[str | None, str | None]]] = [
    (OPENAI_CHAT, ("chatcmpl-1", "gpt-4o-mini"), ("chatcmpl-1", "gpt-4o-mini")),
    (OPENAI_RESPONSES, ("resp_1", "gpt-4o-mini"), ("resp_1", None)),
    (ANTHROPIC, ("msg_1", "claude-sonnet-4"), ("msg_1", "claude-sonnet-4")),
    (BEDROCK, ("msg_1", "claude-sonnet-4"), ("msg_1", "claude-sonnet-4")),
    (GOOGLE, (None, "gemini-2.5-flash"), (None, "gemini-2.5-flash")),
]
FACES = [("sync", False), ("async", False), ("sync", True), ("async", True)]


@pytest.mark.parametrize(
    ("family", "whole", "streamed"), NAMED, ids=lambda v: getattr(v, "name", "")
)
@pytest.mark.parametrize(
    ("mode", "streaming"), FACES, ids=["generate", "agenerate", "stream", "astream"]
)
def test_the_chat_span_names_the_answer_and_its_model(
    otel: Recorded,
    server: FaultServer,
    family: Family,
    whole: tuple[str | None, str | None],
    streamed: tuple[str | None, str | None],
    mode: str,
    streaming: bool,
) -> None:
    response_id, response_model = streamed if streaming else whole
    server.script(answer(family, ["Hel", "lo"], streaming))
    agent = fantasy.Agent(family.make(server.url, FAKE_KEY), telemetry=otel.telemetry())
    result = run_agent(agent, mode, streaming)
    assert result.text == "Hello"
    step = result.steps[0]
    assert (step.response_id, step.response_model) == (response_id, response_model)

    (chat,) = otel.named("chat")
    attrs = dict(chat.attributes or {})
    assert attrs.get("gen_ai.response.id") == response_id
    assert attrs.get("gen_ai.response.model") == response_model
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes or {}).get("gen_ai.response.model") == response_model


def test_a_response_built_by_hand_carries_its_id_and_model(otel: Recorded) -> None:
    model = FakeModel(
        [
            fantasy.Response(
                fantasy.ResponseContent([fantasy.TextContent("Hi")]),
                response_id="r-9",
                response_model="m-2",
            )
        ]
    )
    agent = fantasy.Agent(model, telemetry=otel.telemetry())
    assert agent.generate("hi").steps[0].response_id == "r-9"
    (chat,) = otel.named("chat")
    attrs = dict(chat.attributes or {})
    assert attrs["gen_ai.response.id"] == "r-9"
    assert attrs["gen_ai.response.model"] == "m-2"
