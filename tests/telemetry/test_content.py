"""Content capture: off by default; when on, the conventions' message attributes,
capped, passed through the redaction hook, and never holding a credential."""

from __future__ import annotations

import json
from typing import Any

import pytest

import fantasy
from fantasy.testing import FakeModel, text_response, tool_call_response
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import run_agent
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import OPENAI_CHAT, chat_tool_stream, chat_whole
from tests.telemetry.conftest import Recorded

CONTENT = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)


@fantasy.tool
def lookup(customer: str) -> str:
    """A customer's record."""
    return f"{customer}: card 4111-1111-1111-1111"


def tool_run(otel: Recorded, streaming: bool, **telemetry: Any) -> dict[str, dict[str, Any]]:
    model = FakeModel(
        [tool_call_response("lookup", {"customer": "Ana"}), text_response("Ana is on file.")]
    )
    agent = fantasy.Agent(
        model,
        system_prompt="You are a bank clerk.",
        tools=[lookup],
        telemetry=otel.telemetry(**telemetry),
    )
    if streaming:
        agent.stream("Find Ana").result  # noqa: B018
    else:
        agent.generate("Find Ana")
    out: dict[str, dict[str, Any]] = {}
    for span in otel.spans:
        key = span.name if span.name not in out else span.name + " 2"
        out[key] = dict(span.attributes or {})
    return out


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_nothing_of_the_conversation_is_recorded_by_default(
    otel: Recorded, streaming: bool
) -> None:
    spans = tool_run(otel, streaming)
    for attrs in spans.values():
        assert not set(CONTENT) & set(attrs)
        assert not any("Ana" in str(v) or "4111" in str(v) for v in attrs.values())


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_captured_content_is_the_conventions_messages(otel: Recorded, streaming: bool) -> None:
    spans = tool_run(otel, streaming, capture_content=True)
    first = spans["chat fake-model"]
    assert json.loads(first["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "You are a bank clerk."}
    ]
    assert json.loads(first["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Find Ana"}]}
    ]
    (call,) = json.loads(first["gen_ai.output.messages"])[0]["parts"]
    assert call["type"] == "tool_call" and call["name"] == "lookup"
    assert call["arguments"] == {"customer": "Ana"}
    tool = spans["execute_tool lookup"]
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"customer": "Ana"}
    assert tool["gen_ai.tool.call.result"] == "Ana: card 4111-1111-1111-1111"
    second = spans["chat fake-model 2"]
    history = json.loads(second["gen_ai.input.messages"])
    assert [m["role"] for m in history] == ["user", "assistant", "tool"]
    assert history[2]["parts"][0]["response"] == "Ana: card 4111-1111-1111-1111"
    assert json.loads(second["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Ana is on file."}],
            "finish_reason": "stop",
        }
    ]


def test_the_redaction_hook_sees_every_value_and_its_attribute(otel: Recorded) -> None:
    seen: list[str] = []

    def redact(attribute: str, text: str) -> str:
        seen.append(attribute)
        return text.replace("4111-1111-1111-1111", "<card>")

    spans = tool_run(otel, False, capture_content=True, redact=redact)
    assert spans["execute_tool lookup"]["gen_ai.tool.call.result"] == "Ana: card <card>"
    assert "4111" not in json.dumps(spans)
    assert set(seen) == set(CONTENT)


def test_a_hook_that_returns_no_string_is_a_clear_error(otel: Recorded) -> None:
    with pytest.raises(TypeError, match="redact hook must return a string"):
        tool_run(otel, False, capture_content=True, redact=lambda attribute, text: None)


def test_captured_values_are_capped(otel: Recorded) -> None:
    model = FakeModel([text_response("x" * 5000)])
    agent = fantasy.Agent(
        model, telemetry=otel.telemetry(capture_content=True, max_content_length=100)
    )
    agent.generate("y" * 5000)
    attrs = dict(otel.named("chat")[0].attributes or {})
    for name in ("gen_ai.input.messages", "gen_ai.output.messages"):
        assert len(attrs[name]) == 100
        assert attrs[name].endswith("…[truncated]")
    with pytest.raises(ValueError, match="max_content_length"):
        otel.telemetry(max_content_length=3)


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
def test_an_api_key_never_reaches_a_span(
    otel: Recorded, server: FaultServer, streaming: bool
) -> None:
    """Whatever the prompt, the tool or the error holds, the key of a live provider is
    redacted from every recorded value, with content capture on and no hook."""
    model = OPENAI_CHAT.make(server.url, FAKE_KEY)

    @fantasy.tool
    def leak(what: str) -> str:
        """Leaks."""
        raise RuntimeError(f"failed with key {FAKE_KEY}")

    body = json.loads(chat_whole("ok"))
    body["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "leak", "arguments": json.dumps({"what": FAKE_KEY})},
            }
        ],
    }
    body["choices"][0]["finish_reason"] = "tool_calls"
    arguments = json.dumps({"what": FAKE_KEY})
    first = (
        Stream(chat_tool_stream("call_1", "leak", arguments))
        if streaming
        else Reply(body=json.dumps(body).encode())
    )
    server.script(
        first,
        Reply(401, json.dumps({"error": {"message": f"bad key {FAKE_KEY}"}}).encode()),
    )
    agent = fantasy.Agent(model, tools=[leak], telemetry=otel.telemetry(capture_content=True))
    with pytest.raises(fantasy.AuthenticationError):
        run_agent(agent, "sync", streaming, messages=[{"role": "user", "content": FAKE_KEY}])
    recorded = [
        (
            dict(s.attributes or {}),
            s.status.description,
            [dict(e.attributes or {}) for e in s.events],
        )
        for s in otel.spans
    ]
    text = json.dumps(recorded, default=str)
    assert "REDACTED" in text
    assert "failed with key" in text
    assert FAKE_KEY not in text
    assert FAKE_KEY[8:24] not in text
