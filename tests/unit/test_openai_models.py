"""OpenAI's model capabilities: one table (`fantasy.providers.openai.models`) for the Chat
Completions and Responses paths, checked row by row, against Fantasy's own functions
(transcribed below from providers/openai, v0.41.2) over many ids, and on the wire of both
codecs where the two paths differ."""

from __future__ import annotations

from typing import Any

import pytest

from fantasy.model import Call
from fantasy.providers.openai import (
    ChatCodec,
    ProviderOptions,
    ResponsesCodec,
    ResponsesProviderOptions,
    is_reasoning_model,
    is_responses_model,
)
from fantasy.providers.openai.models import RULES, capabilities
from fantasy.types import Message, Role, TextPart

# =========================================================================== the table

# model, path: reasoning, flex, priority, system role, token limit key, drops temperature
ROWS: list[tuple[str, str, bool, bool, bool, str, str, bool]] = [
    ("gpt-4o", "chat", False, False, True, "system", "max_tokens", False),
    ("gpt-4o", "responses", False, False, True, "system", "max_output_tokens", False),
    ("gpt-4o-search-preview", "chat", False, False, True, "system", "max_tokens", True),
    (
        "gpt-4o-search-preview",
        "responses",
        False,
        False,
        True,
        "system",
        "max_output_tokens",
        False,
    ),
    ("gpt-5", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("gpt-5", "responses", True, True, True, "developer", "max_output_tokens", True),
    ("openai/gpt-5", "chat", True, True, True, "system", "max_completion_tokens", True),
    # gpt-5-chat: a reasoning model on chat, not on responses (nor flex, nor priority there)
    ("gpt-5-chat-latest", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("gpt-5-chat-latest", "responses", False, False, False, "system", "max_output_tokens", False),
    # gpt-5-nano: priority on chat only
    ("gpt-5-nano", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("gpt-5-nano", "responses", True, True, False, "developer", "max_output_tokens", True),
    ("gpt-5-mini", "responses", True, True, True, "developer", "max_output_tokens", True),
    # upper case: flex lower-cases on chat, not on responses
    ("GPT-5", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("GPT-5", "responses", True, False, True, "developer", "max_output_tokens", True),
    ("o4-mini", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("o4-mini", "responses", True, True, True, "developer", "max_output_tokens", True),
    ("o3-pro", "chat", True, True, True, "system", "max_completion_tokens", True),
    ("azure-o3-deployment", "responses", True, True, True, "developer", "max_output_tokens", True),
    # o1-mini/o1-preview: no system prompt on responses
    ("o1-mini", "chat", True, False, False, "system", "max_completion_tokens", True),
    ("o1-mini", "responses", True, False, False, "remove", "max_output_tokens", True),
    ("o1-preview", "responses", True, False, False, "remove", "max_output_tokens", True),
    # codex- and computer-use ids: reasoning models on responses only
    ("codex-mini-latest", "chat", False, False, False, "system", "max_tokens", False),
    ("codex-mini-latest", "responses", True, False, False, "developer", "max_output_tokens", True),
    ("computer-use-preview", "chat", False, False, False, "system", "max_tokens", False),
    (
        "computer-use-preview",
        "responses",
        True,
        False,
        False,
        "developer",
        "max_output_tokens",
        True,
    ),
    ("gpt-4.1", "responses", False, False, True, "system", "max_output_tokens", False),
    ("claude-sonnet-4", "chat", False, False, False, "system", "max_tokens", False),
]


@pytest.mark.parametrize(
    ("model", "api", "reasoning", "flex", "priority", "role", "max_key", "no_temperature"),
    ROWS,
    ids=[f"{r[1]}-{r[0]}" for r in ROWS],
)
def test_capability_table(
    model: str,
    api: Any,
    reasoning: bool,
    flex: bool,
    priority: bool,
    role: str,
    max_key: str,
    no_temperature: bool,
) -> None:
    caps = capabilities(model, api)
    assert (caps.reasoning, caps.flex, caps.priority) == (reasoning, flex, priority)
    assert (caps.system_role, caps.max_tokens_key) == (role, max_key)
    assert caps.drops_temperature is no_temperature
    assert is_reasoning_model(model, api) is reasoning


def test_what_each_path_drops_for_a_reasoning_model() -> None:
    chat, responses = capabilities("gpt-5", "chat"), capabilities("gpt-5", "responses")
    assert chat.dropped_settings == {
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
    }
    assert responses.dropped_settings == {"temperature", "top_p"}
    assert (chat.drops_logprobs, responses.drops_logprobs) == (True, False)
    # Reasoning options: always sent on chat, only to reasoning models on responses.
    assert capabilities("gpt-4o", "chat").reasoning_options
    assert not capabilities("gpt-4o", "responses").reasoning_options
    assert capabilities("gpt-5", "responses").reasoning_options
    plain = capabilities("gpt-4o", "chat")
    assert plain.dropped_settings == frozenset() and not plain.drops_logprobs


def test_the_table_has_a_column_per_path_for_every_question() -> None:
    assert set(RULES) == {"reasoning", "flex", "priority", "search_preview", "no_system_prompt"}
    for row in RULES.values():
        assert isinstance(row.chat, tuple) and isinstance(row.responses, tuple)


# =========================================================================== Fantasy's functions


def _go_is_reasoning_model(m: str) -> bool:  # language_model.go isReasoningModel
    return (
        m.startswith("o1")
        or "-o1" in m
        or m.startswith("o3")
        or "-o3" in m
        or m.startswith("o4")
        or "-o4" in m
        or m.startswith("oss")
        or "-oss" in m
        or "gpt-5" in m.lower()
    )


def _go_supports_flex(m: str) -> bool:  # language_model.go supportsFlexProcessing
    return m.startswith("o3") or "-o3" in m or "o4-mini" in m or "gpt-5" in m.lower()


def _go_supports_priority(m: str) -> bool:  # language_model.go supportsPriorityProcessing
    return (
        "gpt-4" in m.lower()
        or "gpt-5" in m.lower()
        or m.startswith("o3")
        or "-o3" in m
        or "o4-mini" in m
    )


def _go_responses_config(m: str) -> tuple[bool, str, bool, bool]:
    """responses_language_model.go getResponsesModelConfig: reasoning, mode, flex, priority."""
    flex = (
        m.startswith("o3")
        or "-o3" in m
        or "o4-mini" in m
        or ("gpt-5" in m and "gpt-5-chat" not in m)
    )
    priority = (
        "gpt-4" in m.lower()
        or "gpt-5-mini" in m.lower()
        or (
            "gpt-5" in m.lower() and "gpt-5-nano" not in m.lower() and "gpt-5-chat" not in m.lower()
        )
        or m.startswith("o3")
        or "-o3" in m
        or "o4-mini" in m
    )
    if "gpt-5-chat" in m.lower():
        return False, "system", flex, priority
    if (
        m.startswith("o1")
        or "-o1" in m
        or m.startswith("o3")
        or "-o3" in m
        or m.startswith("o4")
        or "-o4" in m
        or m.startswith("oss")
        or "-oss" in m
        or "gpt-5" in m.lower()
        or "codex-" in m
        or "computer-use" in m
    ):
        if "o1-mini" in m or "o1-preview" in m:
            return True, "remove", flex, priority
        return True, "developer", flex, priority
    return False, "system", flex, priority


IDS = sorted(
    {row[0] for row in ROWS}
    | {
        "o1",
        "o1-2024-12-17",
        "o3",
        "o3-mini",
        "o4-mini-2025-04-16",
        "gpt-oss-120b",
        "oss-20b",
        "openai/gpt-oss-20b",
        "gpt-4o-mini",
        "gpt-4.5-preview",
        "chatgpt-4o-latest",
        "gpt-3.5-turbo",
        "gpt-5.1-codex",
        "gpt-5.1-chat",
        "GPT-5-CHAT",
        "Gpt-5-Nano",
        "gpt-5-mini-gpt-5-nano",
        "my-o1-mini-deployment",
        "openai/o4-mini",
        "x-ai/grok-4",
        "gpt-5-search-preview",
        "gpt-4o-mini-search-preview",
        "O3",
        "",
    }
)


@pytest.mark.parametrize("model", IDS)
def test_the_table_answers_as_fantasy_does(model: str) -> None:
    chat = capabilities(model, "chat")
    assert chat.reasoning is _go_is_reasoning_model(model)
    assert chat.flex is _go_supports_flex(model)
    assert chat.priority is _go_supports_priority(model)
    assert chat.search_preview is ("search-preview" in model)
    assert chat.system_role == "system"
    responses = capabilities(model, "responses")
    expected = _go_responses_config(model)
    got = (responses.reasoning, responses.system_role, responses.flex, responses.priority)
    assert got == expected
    assert not responses.search_preview


@pytest.mark.parametrize(
    ("model", "routed"),
    [("gpt-5-chat-latest", True), ("o3", True), ("o3-pro", False), ("gpt-oss-120b", True)],
)
def test_responses_routing(model: str, routed: bool) -> None:
    assert is_responses_model(model) is routed


# =========================================================================== on the wire

PROMPT = [Message(Role.SYSTEM, [TextPart("Be brief.")]), Message(Role.USER, [TextPart("Hi")])]


def chat_body(model: str, **options: Any) -> tuple[dict[str, Any], list[str]]:
    call = Call(
        prompt=PROMPT,
        temperature=0.5,
        max_output_tokens=100,
        provider_options={"openai": ProviderOptions(**options)} if options else {},
    )
    body, warnings = ChatCodec(model).build_body(call, stream=False)
    return body, [w.setting for w in warnings]


def responses_body(model: str, **options: Any) -> tuple[dict[str, Any], list[str]]:
    call = Call(
        prompt=PROMPT,
        temperature=0.5,
        max_output_tokens=100,
        provider_options={"openai": ResponsesProviderOptions(**options)} if options else {},
    )
    body, warnings = ResponsesCodec(model).build_body(call, stream=False)
    return body, [w.setting for w in warnings]


def test_gpt_5_chat_on_both_paths() -> None:
    body, dropped = chat_body("gpt-5-chat-latest", service_tier="flex")
    assert "temperature" not in body and dropped == ["temperature"]
    assert body["max_completion_tokens"] == 100 and body["service_tier"] == "flex"
    assert body["messages"][0]["role"] == "system"
    body, dropped = responses_body("gpt-5-chat-latest", service_tier="flex")
    assert body["temperature"] == 0.5 and dropped == ["serviceTier"]
    assert body["max_output_tokens"] == 100 and "service_tier" not in body
    assert body["input"][0]["role"] == "system"


def test_gpt_5_nano_priority_on_both_paths() -> None:
    body, _ = chat_body("gpt-5-nano", service_tier="priority")
    assert body["service_tier"] == "priority"
    body, dropped = responses_body("gpt-5-nano", service_tier="priority")
    assert "service_tier" not in body and dropped == ["temperature", "serviceTier"]
    assert body["input"][0]["role"] == "developer"


def test_codex_mini_on_both_paths() -> None:
    body, dropped = chat_body("codex-mini-latest", reasoning_effort="low")
    assert body["temperature"] == 0.5 and body["max_tokens"] == 100 and dropped == []
    assert body["reasoning_effort"] == "low"
    body, dropped = responses_body("codex-mini-latest", reasoning_effort="low")
    assert "temperature" not in body and dropped == ["temperature"]
    assert body["reasoning"] == {"effort": "low"}


def test_reasoning_options_on_a_model_that_does_not_reason() -> None:
    body, _ = chat_body("gpt-4o", reasoning_effort="low")
    assert body["reasoning_effort"] == "low"  # Fantasy sends it on chat whatever the model
    body, dropped = responses_body("gpt-4o", reasoning_effort="low")
    assert "reasoning" not in body and dropped == ["reasoningEffort"]


def test_search_preview_drops_temperature_on_chat_only() -> None:
    body, dropped = chat_body("gpt-4o-search-preview")
    assert "temperature" not in body and dropped == ["temperature"]
    body, dropped = responses_body("gpt-4o-search-preview")
    assert body["temperature"] == 0.5 and dropped == []


def test_o1_mini_system_prompt() -> None:
    body, _ = chat_body("o1-mini")
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    body, _ = responses_body("o1-mini")
    assert [item["role"] for item in body["input"]] == ["user"]
