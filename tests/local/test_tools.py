"""Tool calls on the real engine: the grammar made from the tools' schemas makes every
call parse and validate, so an agent runs the tool and carries on."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

import fantasy
from fantasy.model import Call
from fantasy.objects.validate import Validator
from fantasy.providers import llamacpp
from fantasy.providers.llamacpp.prompt import to_messages, without_native_tools
from fantasy.testing.tiny_llama import TINY_CHAT_TEMPLATE
from fantasy.types import (
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    Role,
    StreamPartType,
    TextPart,
    ToolCallPart,
    ToolResultOutputText,
    ToolResultPart,
    user_message,
)
from tests.local.support import LLAMA3_TEMPLATE, local_provider

WEATHER = FunctionTool(
    "weather",
    "The weather in a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "enum": ["Paris", "Rome", "Oslo"]},
            "days": {"type": "integer"},
            "metric": {"type": "boolean"},
        },
        "required": ["city", "days", "metric"],
    },
)
TIME = FunctionTool(
    "time",
    "The time in a zone",
    {
        "type": "object",
        "properties": {"zone": {"type": "string", "maxLength": 6}},
        "required": ["zone"],
        "additionalProperties": False,
    },
)


def tool_call(seed: int, choice: str = "required", **settings: object) -> Call:
    settings.setdefault("max_output_tokens", 600)
    return Call(
        [user_message("weather in Paris?")],
        tools=[WEATHER, TIME],
        tool_choice=choice,
        provider_options={"llamacpp": llamacpp.ProviderOptions(seed=seed)},
        **settings,  # type: ignore[arg-type]
    )


def assert_valid(name: str, arguments: str) -> None:
    tool = {"weather": WEATHER, "time": TIME}[name]
    assert Validator(tool.input_schema).errors(json.loads(arguments)) == []


@pytest.mark.parametrize("seed", range(6))
def test_required_calls_always_parse_and_match_their_schema(
    provider: llamacpp.Provider, seed: int
) -> None:
    response = provider.language_model().generate(tool_call(seed))
    assert response.finish_reason == FinishReason.TOOL_CALLS
    assert response.raw_finish_reason == "tool_calls"
    assert response.content.tool_calls
    assert not response.text
    for call in response.content.tool_calls:
        assert call.tool_call_id.startswith("call_")
        assert_valid(call.tool_name, call.input)


def test_parallel_calls_are_each_valid(tiny_model: Path) -> None:
    counts = []
    with local_provider(tiny_model, n_ctx=4096) as provider:
        for seed in range(3):
            response = provider.language_model().generate(tool_call(seed, max_output_tokens=600))
            calls = response.content.tool_calls
            for call in calls:
                assert_valid(call.tool_name, call.input)
            if response.finish_reason == FinishReason.TOOL_CALLS:
                assert not response.text
            else:  # cut at the limit: the unfinished call is left as text
                assert response.finish_reason == FinishReason.LENGTH
                rest = response.text.lstrip()
                assert rest and "<tool_call>".startswith(rest[:11])
            counts.append(len(calls))
    assert max(counts) > 1


def test_a_named_tool_choice_calls_that_tool(provider: llamacpp.Provider) -> None:
    for seed in range(3):
        response = provider.language_model().generate(tool_call(seed, choice="time"))
        assert {c.tool_name for c in response.content.tool_calls} == {"time"}


def test_tool_choice_auto_answers_with_text_or_valid_calls(provider: llamacpp.Provider) -> None:
    kinds = set()
    for seed in range(12):
        response = provider.language_model().generate(tool_call(seed, choice="auto"))
        if response.content.tool_calls:
            kinds.add("calls")
            assert response.finish_reason == FinishReason.TOOL_CALLS
            for call in response.content.tool_calls:
                assert_valid(call.tool_name, call.input)
        else:
            kinds.add("text")
            assert not response.text.startswith("<")
    assert kinds  # which of the two a random model picks depends on the seed


def test_tool_choice_none_sends_no_grammar(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    with_none = model.generate(tool_call(3, choice="none"))
    assert not with_none.content.tool_calls
    assert with_none.finish_reason != FinishReason.TOOL_CALLS


def test_streamed_calls_come_as_input_parts_then_the_call(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    parts = list(model.stream(tool_call(2)))
    generated = model.generate(tool_call(2))
    calls = [p for p in parts if p.type == StreamPartType.TOOL_CALL]
    assert [(c.tool_call_name, c.tool_call_input) for c in calls] == [
        (c.tool_name, c.input) for c in generated.content.tool_calls
    ]
    first = calls[0]
    kinds = [(p.type, p.id) for p in parts if p.id == first.id]
    assert [k for k, _ in kinds] == [
        StreamPartType.TOOL_INPUT_START,
        StreamPartType.TOOL_INPUT_DELTA,
        StreamPartType.TOOL_INPUT_END,
        StreamPartType.TOOL_CALL,
    ]
    assert parts[-1].type == StreamPartType.FINISH
    assert parts[-1].finish_reason == FinishReason.TOOL_CALLS


def test_provider_defined_tools_are_warned_about(provider: llamacpp.Provider) -> None:
    call = tool_call(1)
    call.tools.append(ProviderDefinedTool("openai.web_search", "web_search"))
    response = provider.language_model().generate(call)
    assert [w.message for w in response.warnings] == ["tool is not supported"]


def test_a_tool_choice_naming_no_tool_is_refused(provider: llamacpp.Provider) -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="nope"):
        provider.language_model().generate(tool_call(1, choice="nope"))


class Place(typing.TypedDict):
    city: typing.Literal["Paris", "Rome"]


def make_weather_tool(seen: list[str]) -> fantasy.AgentTool:
    @fantasy.tool
    def weather(city: typing.Literal["Paris", "Rome"], days: int) -> str:
        """The weather in a city."""
        seen.append(city)
        return f"40 C in {city}"

    return weather


def tool_then_answer(options: fantasy.PrepareStepOptions) -> fantasy.PrepareStepResult:
    # A random model calls tools only when made to: first step a call, then an answer.
    return fantasy.PrepareStepResult(tool_choice="required" if options.step_number == 0 else "none")


def check_run(result: fantasy.AgentResult[typing.Any], seen: list[str]) -> None:
    assert len(result.steps) == 2
    first, second = result.steps
    assert first.finish_reason == FinishReason.TOOL_CALLS
    calls = first.content.tool_calls
    assert calls and not any(c.invalid for c in calls)
    assert seen == [json.loads(c.input)["city"] for c in calls]
    assert [r.result for r in first.content.tool_results] == [
        ToolResultOutputText(f"40 C in {city}") for city in seen
    ]
    assert second.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert result.total_usage.input_tokens > second.usage.input_tokens > first.usage.input_tokens
    # The second prompt holds the first: llama.cpp kept it.
    assert second.usage.cache_read_tokens > 0


def test_an_agent_runs_the_tool_and_continues(provider: llamacpp.Provider) -> None:
    seen: list[str] = []
    agent = fantasy.Agent(
        provider.language_model(),
        tools=[make_weather_tool(seen)],
        prepare_step=tool_then_answer,
        max_output_tokens=300,
        provider_options={"llamacpp": llamacpp.ProviderOptions(seed=1)},
    )
    check_run(agent.generate("weather in Paris?"), seen)


async def test_an_async_streaming_agent_runs_the_tool_and_continues(
    provider: llamacpp.Provider,
) -> None:
    seen: list[str] = []
    agent = fantasy.Agent(
        provider.language_model(),
        tools=[make_weather_tool(seen)],
        prepare_step=tool_then_answer,
        max_output_tokens=300,
    )
    kinds = []
    stream = agent.astream("weather in Paris?")
    async for part in stream:
        kinds.append(part.type)
    check_run(stream.result, seen)
    assert StreamPartType.TOOL_RESULT in kinds


def test_templates_without_tools_get_them_in_the_system_message() -> None:
    prompt = [
        Message(Role.SYSTEM, [TextPart("be brief")]),
        user_message("weather?"),
        Message(Role.ASSISTANT, [ToolCallPart("c1", "weather", '{"city": "Rome"}')]),
        Message(Role.TOOL, [ToolResultPart("c1", ToolResultOutputText("40 C"))]),
    ]
    native, warnings = to_messages(prompt, "llamacpp", "tiny")
    assert warnings == []
    assert native[0] == {"role": "system", "content": "be brief"}
    assert native[2]["tool_calls"][0]["function"] == {
        "name": "weather",
        "arguments": {"city": "Rome"},
    }
    assert native[3] == {"role": "tool", "tool_call_id": "c1", "name": "weather", "content": "40 C"}

    messages = without_native_tools(native, [WEATHER])
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("be brief\n\nYou can call tools.")
    assert '"name": "weather"' in messages[0]["content"]
    assert messages[2] == {
        "role": "assistant",
        "content": '<tool_call>\n{"name": "weather", "arguments": {"city": "Rome"}}\n</tool_call>',
    }
    assert messages[3] == {"role": "user", "content": "<tool_response>\n40 C\n</tool_response>"}
    assert native[0] == {"role": "system", "content": "be brief"}  # not changed in place


def test_an_agent_on_a_model_without_a_template(no_template_model: Path) -> None:
    seen: list[str] = []
    with local_provider(no_template_model, parallel_tool_calls=False) as provider:
        agent = fantasy.Agent(
            provider.language_model(),
            tools=[make_weather_tool(seen)],
            prepare_step=tool_then_answer,
            max_output_tokens=300,
        )
        check_run(agent.generate("weather in Paris?"), seen)


def test_a_llama3_template_gets_calls_in_its_own_format(tiny_model: Path) -> None:
    seen: list[str] = []
    with local_provider(tiny_model, chat_template=LLAMA3_TEMPLATE) as provider:
        model = provider.language_model()
        for seed in range(3):
            response = model.generate(tool_call(seed))
            assert response.finish_reason == FinishReason.TOOL_CALLS
            [call] = response.content.tool_calls  # the format holds one call
            assert_valid(call.tool_name, call.input)
            auto = model.generate(tool_call(seed, choice="auto"))
            assert auto.content.tool_calls or not auto.text.startswith("{")
        agent = fantasy.Agent(
            model,
            tools=[make_weather_tool(seen)],
            prepare_step=tool_then_answer,
            max_output_tokens=300,
        )
        check_run(agent.generate("weather in Paris?"), seen)


def test_a_thinking_template_may_think_before_its_calls(tiny_model: Path) -> None:
    # The grammar lets the answer open with <think>...</think>; a random model that opens
    # one rarely closes it, so its answers are reasoning cut at the limit, or calls.
    template = "{# a model that thinks in <think> blocks #}" + TINY_CHAT_TEMPLATE
    with local_provider(tiny_model, chat_template=template, parallel_tool_calls=False) as p:
        outcomes = set()
        for seed in range(4):
            response = p.language_model().generate(tool_call(seed, max_output_tokens=150))
            assert not response.text
            if response.finish_reason == FinishReason.TOOL_CALLS:
                [call] = response.content.tool_calls
                assert_valid(call.tool_name, call.input)
            else:
                assert response.finish_reason == FinishReason.LENGTH
                assert response.content.reasoning and not response.content.tool_calls
            outcomes.add(response.finish_reason)
    assert FinishReason.LENGTH in outcomes  # it did think
