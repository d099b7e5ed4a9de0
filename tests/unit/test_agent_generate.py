"""The agent loop's semantics, pinned against a scripted model through every face.

Mirrors Fantasy's agent_test.go (loop rule, final response, usage, prompt validation,
system prompt, tool choice, active tools, stop conditions, prepare_step, retries),
adapted where fantasy deliberately differs (prepare_step ``system`` replaces the system
message; Retry-After keeps fractions and ignores header case).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import fantasy
from fantasy import (
    Agent,
    Call,
    FinishReason,
    Message,
    PrepareStepOptions,
    PrepareStepResult,
    ProviderError,
    Response,
    ResponseContent,
    Role,
    TextContent,
    TextPart,
    ToolCallContent,
    ToolResultOutputText,
    Usage,
)
from fantasy.testing import (
    FakeModel,
    FakeModelError,
    RecordingSleep,
    text_response,
    tool_call_response,
)

if TYPE_CHECKING:
    from conftest import RunAgent

# --------------------------------------------------------------------------- helpers


def make_echo() -> tuple[fantasy.TypedTool, list[str]]:
    """An ``echo(text)`` tool that records every input it ran with."""
    seen: list[str] = []

    @fantasy.tool
    def echo(text: str) -> str:
        """Echo the text back."""
        seen.append(text)
        return f"echo: {text}"

    return echo, seen


def make_named_tool(name: str) -> fantasy.TypedTool:
    def fn() -> str:
        return name

    return fantasy.tool(fn, name=name, description=f"the {name} tool")


def echo_call(call_id: str = "call-1", text: str = "hi") -> tuple[str, str, str]:
    return (call_id, "echo", f'{{"text": "{text}"}}')


def tool_names(call: Call) -> list[str]:
    return [t.name for t in call.tools]


def prompt_texts(call: Call) -> list[tuple[Role, str]]:
    """Each message's role with its first text part (or "" if it has none)."""
    out: list[tuple[Role, str]] = []
    for m in call.prompt:
        text = next((p.text for p in m.content if isinstance(p, TextPart)), "")
        out.append((m.role, text))
    return out


# --------------------------------------------------------------------------- loop rule


def test_single_step_with_mixed_content_and_finish_stop_runs_the_tool_once(
    run_generate: RunAgent,
) -> None:
    echo, seen = make_echo()
    original = [
        fantasy.TextContent("Hello"),
        fantasy.SourceContent(fantasy.SourceType.URL, "src-1", url="https://example.com"),
        fantasy.FileContent(b"\x89PNG", "image/png"),
        fantasy.ReasoningContent("thinking"),
        ToolCallContent("call-1", "echo", '{"text": "x"}'),
        fantasy.TextContent("Bye"),
    ]
    model = FakeModel([Response(ResponseContent(original), FinishReason.STOP)])

    result = run_generate(Agent(model, tools=[echo]), "go")

    assert len(model.calls) == 1
    assert len(result.steps) == 1
    content = result.steps[0].content
    assert content[:6] == original
    assert len(content) == 7
    assert result.response.content == content
    last = content[6]
    assert isinstance(last, fantasy.ToolResultContent)
    assert last.tool_call_id == "call-1"
    assert last.result == ToolResultOutputText("echo: x")
    assert seen == ["x"]


def test_tool_choice_auto_is_sent_even_without_tools_and_prompt_is_the_user_message(
    run: RunAgent,
) -> None:
    model = FakeModel([text_response("hello")])

    run(Agent(model), "hi")

    call = model.last_call
    assert call.tool_choice == "auto"
    assert call.tools == []
    assert call.prompt == [fantasy.user_message("hi")]


def test_two_steps_sum_usage_and_answer_with_the_second_step(run: RunAgent) -> None:
    echo, _ = make_echo()
    u1 = Usage(3, 10, 13, reasoning_tokens=1, cache_creation_tokens=2, cache_read_tokens=4)
    u2 = Usage(5, 7, 12, reasoning_tokens=2, cache_creation_tokens=0, cache_read_tokens=1)
    model = FakeModel([tool_call_response(echo_call(), usage=u1), text_response("done", usage=u2)])

    result = run(Agent(model, tools=[echo]), "go")

    assert len(result.steps) == 2
    assert result.total_usage == Usage(8, 17, 25, 3, 2, 5)
    assert result.text == "done"
    assert result.response.usage == u2
    assert result.response.content.tool_calls == []
    assert result.response.content.tool_results == []
    second = model.calls[1]
    assert [m.role for m in second.prompt] == [Role.USER, Role.ASSISTANT, Role.TOOL]
    assert second.prompt[1:] == result.steps[0].messages
    assert result.response_messages == result.steps[0].messages + result.steps[1].messages
    assert result.messages == [second.prompt[0], *result.response_messages]


def test_tools_run_on_finish_stop_but_no_second_step_follows(run: RunAgent) -> None:
    echo, seen = make_echo()
    model = FakeModel([tool_call_response(echo_call(), finish_reason=FinishReason.STOP)])

    result = run(Agent(model, tools=[echo]), "go")

    assert seen == ["hi"]
    assert len(result.steps) == 1
    assert len(model.calls) == 1
    assert len(result.steps[0].content.tool_results) == 1


@pytest.mark.parametrize(
    "finish_reason", [FinishReason.LENGTH, FinishReason.UNKNOWN, FinishReason.CONTENT_FILTER]
)
def test_any_finish_reason_other_than_tool_calls_ends_the_run(
    run: RunAgent, finish_reason: FinishReason
) -> None:
    echo, seen = make_echo()
    model = FakeModel([tool_call_response(echo_call(), finish_reason=finish_reason)])

    result = run(Agent(model, tools=[echo]), "go")

    assert seen == ["hi"]
    assert len(result.steps) == 1


def test_finish_tool_calls_without_any_call_ends_the_run(run: RunAgent) -> None:
    model = FakeModel([text_response("nothing to do", finish_reason=FinishReason.TOOL_CALLS)])

    result = run(Agent(model), "go")

    assert len(result.steps) == 1


def test_only_provider_executed_calls_do_not_continue_the_loop(run: RunAgent) -> None:
    call = ToolCallContent("ws-1", "web_search", "{}", provider_executed=True)
    model = FakeModel([tool_call_response(call)])

    result = run(Agent(model), "go")

    assert len(result.steps) == 1
    assert result.steps[0].content.tool_results == []


def test_an_invalid_call_counts_as_a_call_and_the_loop_continues(run: RunAgent) -> None:
    echo, seen = make_echo()
    model = FakeModel([tool_call_response(("call-1", "echo", "{}")), text_response("sorry")])

    result = run(Agent(model, tools=[echo]), "go")

    assert len(result.steps) == 2
    assert seen == []


def test_there_is_no_default_step_limit(run: RunAgent) -> None:
    echo, seen = make_echo()
    script: list[Any] = [tool_call_response(echo_call(f"c{i}", str(i))) for i in range(12)]
    model = FakeModel([*script, text_response("finally")])

    result = run(Agent(model, tools=[echo]), "go")

    assert len(result.steps) == 13
    assert len(seen) == 12
    assert result.text == "finally"


# --------------------------------------------------------------------------- final response


def test_final_response_skips_a_later_step_whose_text_is_only_whitespace(
    run: RunAgent,
) -> None:
    echo, _ = make_echo()
    first = tool_call_response(echo_call(), text="Let me check", usage=Usage(1, 1, 2))
    model = FakeModel([first, text_response("  \n\t", usage=Usage(4, 4, 8))])

    result = run(Agent(model, tools=[echo]), "go")

    assert len(result.steps) == 2
    assert result.text == "Let me check"
    assert result.response.usage == Usage(1, 1, 2)
    assert result.total_usage == Usage(5, 5, 10)


def test_final_response_is_the_last_step_when_no_step_has_text(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = FakeModel(
        [
            tool_call_response(echo_call("c1"), usage=Usage(1, 1, 2)),
            tool_call_response(
                echo_call("c2"), finish_reason=FinishReason.STOP, usage=Usage(2, 2, 4)
            ),
        ]
    )

    result = run(Agent(model, tools=[echo]), "go")

    assert len(result.steps) == 2
    assert result.text == ""
    assert result.response.usage == Usage(2, 2, 4)
    assert [c.tool_call_id for c in result.response.content.tool_calls] == ["c2"]


def test_result_text_is_the_first_text_block_of_the_final_response(run_generate: RunAgent) -> None:
    content = ResponseContent([TextContent("first"), TextContent("second")])
    model = FakeModel([Response(content, FinishReason.STOP)])

    result = run_generate(Agent(model), "go")

    assert result.text == "first"
    assert result.response.content.all_text == "firstsecond"


def test_response_content_getters_pick_each_kind_and_join_reasoning_without_separator() -> None:
    call = ToolCallContent("call1", "test_tool", '{"arg": "value"}')
    result = fantasy.ToolResultContent("call1", "test_tool", ToolResultOutputText("result"))
    source = fantasy.SourceContent(fantasy.SourceType.URL, "s", url="https://example.com")
    content = ResponseContent(
        [
            TextContent("Hello world"),
            fantasy.ReasoningContent("First thought"),
            fantasy.FileContent(b"file1", "text/plain"),
            source,
            call,
            result,
            fantasy.ReasoningContent("Second thought"),
            fantasy.FileContent(b"file2", "image/png"),
            TextContent("More"),
        ]
    )

    assert content.text == "Hello world"
    assert content.reasoning_text == "First thoughtSecond thought"
    assert [r.text for r in content.reasoning] == ["First thought", "Second thought"]
    assert [f.media_type for f in content.files] == ["text/plain", "image/png"]
    assert content.sources == [source]
    assert content.tool_calls == [call]
    assert content.tool_results == [result]
    empty = ResponseContent()
    assert (empty.text, empty.reasoning_text) == ("", "")
    assert empty.reasoning == empty.files == empty.sources == []
    assert empty.tool_calls == [] and empty.tool_results == []


# --------------------------------------------------------------------------- prompt


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "prompt can't be empty when there are no messages"),
        (
            {
                "messages": [fantasy.user_message("earlier")],
                "files": [fantasy.FilePart(b"data", "text/plain")],
            },
            "prompt can't be empty when there are files",
        ),
        (
            {"messages": [Message(Role.ASSISTANT, [TextPart("I said")])]},
            "prompt can't be empty when the last message is not a user or tool message",
        ),
        (
            {"messages": [fantasy.system_message("be nice")]},
            "prompt can't be empty when the last message is not a user or tool message",
        ),
    ],
)
def test_empty_prompt_is_rejected_with_fantasys_message(
    run: RunAgent, options: dict[str, Any], message: str
) -> None:
    model = FakeModel()

    with pytest.raises(fantasy.InvalidArgumentError) as info:
        run(Agent(model), "", **options)

    assert info.value.message == message
    assert str(info.value) == f"invalid argument: {message}"
    assert model.calls == []


@pytest.mark.parametrize("role", [Role.USER, Role.TOOL])
def test_empty_prompt_is_fine_when_the_last_message_is_user_or_tool(
    run: RunAgent, role: Role
) -> None:
    last = (
        fantasy.user_message("question")
        if role is Role.USER
        else Message(Role.TOOL, [fantasy.ToolResultPart("c1", ToolResultOutputText("tool says"))])
    )
    history = [fantasy.user_message("hi"), last]
    model = FakeModel([text_response("ok")])

    result = run(Agent(model, system_prompt="sys"), "", messages=history)

    assert result.text == "ok"
    assert model.last_call.prompt == [fantasy.system_message("sys"), *history]


def test_system_prompt_comes_first_as_one_text_part(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])

    run(Agent(model, system_prompt="You are helpful."), "hi")

    prompt = model.last_call.prompt
    assert len(prompt) == 2
    assert prompt[0].role is Role.SYSTEM
    assert prompt[0].content == [TextPart("You are helpful.")]
    assert prompt[1] == fantasy.user_message("hi")


def test_history_comes_between_system_prompt_and_the_new_user_message_with_files(
    run: RunAgent,
) -> None:
    history = [fantasy.user_message("a"), Message(Role.ASSISTANT, [TextPart("b")])]
    file = fantasy.FilePart(b"data", "text/plain", "notes.txt")
    model = FakeModel([text_response("ok")])

    run(Agent(model, system_prompt="sys"), "c", messages=history, files=[file])

    assert model.last_call.prompt == [
        fantasy.system_message("sys"),
        *history,
        fantasy.user_message("c", file),
    ]


# --------------------------------------------------------------------------- call options


def test_call_options_override_agent_defaults_and_zero_is_a_value(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(
        model,
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=100,
        presence_penalty=0.5,
        frequency_penalty=0.25,
        tool_choice="required",
        headers={"X-Agent": "a", "X-Both": "agent"},
        provider_options={"fake": {"a": 1}, "both": "agent"},
        user_agent="my-app/1.0",
    )

    run(
        agent,
        "hi",
        temperature=0.0,
        top_k=0,
        tool_choice="none",
        headers={"X-Both": "call", "X-Call": "c"},
        provider_options={"both": "call"},
    )

    call = model.last_call
    assert call.temperature == 0.0
    assert call.top_k == 0
    assert call.top_p == 0.9
    assert call.max_output_tokens == 100
    assert call.presence_penalty == 0.5
    assert call.frequency_penalty == 0.25
    assert call.tool_choice == "none"
    assert call.headers == {"X-Agent": "a", "X-Both": "call", "X-Call": "c"}
    assert call.provider_options == {"fake": {"a": 1}, "both": "call"}
    assert call.user_agent == "my-app/1.0"


def test_unset_options_stay_unset_and_user_agent_is_empty(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])

    run(Agent(model), "hi")

    call = model.last_call
    assert call.temperature is None
    assert call.max_output_tokens is None
    assert call.top_k is None
    assert call.user_agent == ""
    assert call.headers == {}


# --------------------------------------------------------------------------- active tools


def test_active_tools_filter_the_tools_sent(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(model, tools=[make_named_tool("tool1"), make_named_tool("tool2")])

    run(agent, "hi", active_tools=["tool1"])

    assert tool_names(model.last_call) == ["tool1"]


def test_function_tools_are_sent_before_provider_tools_both_filtered(run: RunAgent) -> None:
    model = FakeModel([text_response("ok"), text_response("ok")])
    provider_tools = [
        fantasy.ProviderDefinedTool("fake.web_search", "web_search"),
        fantasy.ProviderDefinedTool("fake.code", "code_execution"),
    ]
    agent = Agent(
        model,
        tools=[make_named_tool("tool1"), make_named_tool("tool2")],
        provider_tools=provider_tools,
    )

    run(agent, "hi")
    run(agent, "hi", active_tools=["web_search", "tool2"])

    all_tools, filtered = model.calls
    assert tool_names(all_tools) == ["tool1", "tool2", "web_search", "code_execution"]
    assert [type(t) for t in all_tools.tools] == [
        fantasy.FunctionTool,
        fantasy.FunctionTool,
        fantasy.ProviderDefinedTool,
        fantasy.ProviderDefinedTool,
    ]
    assert tool_names(filtered) == ["tool2", "web_search"]


def test_function_tool_definition_carries_the_normalized_input_schema(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = FakeModel([text_response("ok")])

    run(Agent(model, tools=[echo]), "hi")

    (sent,) = model.last_call.tools
    assert isinstance(sent, fantasy.FunctionTool)
    assert sent.name == "echo"
    assert sent.description == "Echo the text back."
    assert sent.input_schema["type"] == "object"
    assert sent.input_schema["properties"] == {"text": {"type": "string"}}
    assert sent.input_schema["required"] == ["text"]


# --------------------------------------------------------------------------- stop conditions


def looping_model(n: int, usage: Usage | None = None) -> FakeModel:
    """A model that asks for ``echo`` ``n`` times, then would answer with text."""
    return FakeModel(
        [
            *(tool_call_response(echo_call(f"c{i}"), usage=usage) for i in range(n)),
            text_response("end"),
        ]
    )


def test_step_count_is_one_stops_after_the_first_step(run: RunAgent) -> None:
    echo, seen = make_echo()
    model = looping_model(3)

    result = run(Agent(model, tools=[echo], stop_when=[fantasy.step_count_is(1)]), "go")

    assert len(result.steps) == 1
    assert len(model.calls) == 1
    assert seen == ["hi"]


def test_stop_conditions_are_ored(run: RunAgent) -> None:
    echo, _ = make_echo()
    finish = make_named_tool("finish")
    model = FakeModel(
        [
            tool_call_response(echo_call("c1")),
            tool_call_response(("c2", "finish", "{}")),
            tool_call_response(echo_call("c3")),
            text_response("never"),
        ]
    )
    conditions = [fantasy.step_count_is(10), fantasy.has_tool_call("finish")]

    result = run(Agent(model, tools=[echo, finish], stop_when=conditions), "go")

    assert len(result.steps) == 2
    assert model.remaining == 2


def test_call_stop_conditions_replace_the_agents(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = looping_model(5)
    agent = Agent(model, tools=[echo], stop_when=[fantasy.step_count_is(1)])

    result = run(agent, "go", stop_when=[fantasy.step_count_is(3)])

    assert len(result.steps) == 3


def test_max_tokens_used_stops_once_the_sum_reaches_the_limit(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = looping_model(5, usage=Usage(10, 10, 20))

    result = run(Agent(model, tools=[echo], stop_when=[fantasy.max_tokens_used(50)]), "go")

    assert len(result.steps) == 3
    assert result.total_usage.total_tokens == 60


def test_finish_reason_and_has_content_conditions_stop_the_loop(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = looping_model(3)
    by_reason = Agent(
        model, tools=[echo], stop_when=[fantasy.finish_reason_is(FinishReason.TOOL_CALLS)]
    )
    assert len(run(by_reason, "go").steps) == 1

    model2 = FakeModel(
        [
            tool_call_response(echo_call("c1")),
            tool_call_response(echo_call("c2"), text="thinking aloud"),
            tool_call_response(echo_call("c3")),
        ]
    )
    by_content = Agent(model2, tools=[echo], stop_when=[fantasy.has_content("text")])
    assert len(run(by_content, "go").steps) == 2


# --------------------------------------------------------------------------- prepare_step


def test_prepare_step_system_reaches_the_model_and_replaces_the_system_message(
    run: RunAgent,
) -> None:
    model = FakeModel([text_response("ok")])

    def prepare(options: PrepareStepOptions) -> PrepareStepResult:
        return PrepareStepResult(
            system_prompt=f"Modified system prompt for step {options.step_number}"
        )

    run(Agent(model, system_prompt="original", prepare_step=prepare), "hi")

    assert prompt_texts(model.last_call) == [
        (Role.SYSTEM, "Modified system prompt for step 0"),
        (Role.USER, "hi"),
    ]


def test_prepare_step_system_is_inserted_when_the_agent_has_none(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    history = [fantasy.user_message("first"), Message(Role.ASSISTANT, [TextPart("answer")])]

    run(
        Agent(model, prepare_step=lambda _: PrepareStepResult(system_prompt="inserted")),
        "second",
        messages=history,
    )

    assert prompt_texts(model.last_call) == [
        (Role.SYSTEM, "inserted"),
        (Role.USER, "first"),
        (Role.ASSISTANT, "answer"),
        (Role.USER, "second"),
    ]


def test_prepare_step_empty_system_removes_the_system_message(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])

    run(
        Agent(
            model,
            system_prompt="original",
            prepare_step=lambda _: PrepareStepResult(system_prompt=""),
        ),
        "hi",
    )

    assert model.last_call.prompt == [fantasy.user_message("hi")]


def test_prepare_step_tool_choice_applies_to_its_step_only(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = FakeModel([tool_call_response(echo_call()), text_response("ok")])

    def prepare(options: PrepareStepOptions) -> PrepareStepResult:
        return PrepareStepResult(tool_choice="required" if options.step_number == 0 else None)

    run(Agent(model, tools=[echo], prepare_step=prepare), "go")

    assert [c.tool_choice for c in model.calls] == ["required", "auto"]


def test_prepare_step_tool_choice_none_is_sent(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])

    run(Agent(model, prepare_step=lambda _: PrepareStepResult(tool_choice="none")), "go")

    assert model.last_call.tool_choice == "none"


def test_prepare_step_active_tools_filter_the_tools_sent(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(
        model,
        tools=[make_named_tool("a"), make_named_tool("b"), make_named_tool("c")],
        prepare_step=lambda _: PrepareStepResult(active_tools=["c", "a"]),
    )

    run(agent, "go", active_tools=["b"])

    assert tool_names(model.last_call) == ["a", "c"]


def test_prepare_step_empty_active_tools_keeps_the_call_setting(run: RunAgent) -> None:
    model = FakeModel([text_response("ok"), text_response("ok")])
    agent = Agent(
        model,
        tools=[make_named_tool("a"), make_named_tool("b")],
        prepare_step=lambda _: PrepareStepResult(active_tools=[]),
    )

    run(agent, "go")
    run(agent, "go", active_tools=["b"])

    assert tool_names(model.calls[0]) == ["a", "b"]
    assert tool_names(model.calls[1]) == ["b"]


def test_prepare_step_disable_all_tools_sends_none_but_still_sends_tool_choice(
    run: RunAgent,
) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(
        model,
        tools=[make_named_tool("a")],
        provider_tools=[fantasy.ProviderDefinedTool("fake.search", "search")],
        prepare_step=lambda _: PrepareStepResult(disable_all_tools=True),
    )

    run(agent, "go")

    assert model.last_call.tools == []
    assert model.last_call.tool_choice == "auto"


def test_prepare_step_tools_replace_the_agent_tools_for_that_step(run: RunAgent) -> None:
    echo, seen = make_echo()
    special_runs: list[str] = []

    @fantasy.tool
    def special(value: str) -> str:
        """Only available in step 0."""
        special_runs.append(value)
        return "special done"

    model = FakeModel(
        [
            tool_call_response(
                ("c1", "special", '{"value": "v"}'), ("c2", "echo", '{"text": "x"}')
            ),
            text_response("ok"),
        ]
    )

    def prepare(options: PrepareStepOptions) -> PrepareStepResult | None:
        return PrepareStepResult(tools=[special]) if options.step_number == 0 else None

    result = run(Agent(model, tools=[echo], prepare_step=prepare), "go")

    assert tool_names(model.calls[0]) == ["special"]
    assert tool_names(model.calls[1]) == ["echo"]
    assert special_runs == ["v"]
    assert seen == []
    echo_call_content = result.steps[0].content.tool_calls[1]
    assert echo_call_content.invalid
    assert echo_call_content.validation_error == ("tool not found: echo. Available tools: special")


def test_prepare_step_model_override_applies_to_its_step_only(run: RunAgent) -> None:
    echo, _ = make_echo()
    agent_model = FakeModel([text_response("from the agent model")], model="agent-model")
    step_model = FakeModel([tool_call_response(echo_call())], model="step-model")
    models_seen: list[fantasy.LanguageModel] = []

    def prepare(options: PrepareStepOptions) -> PrepareStepResult:
        models_seen.append(options.model)
        return PrepareStepResult(model=step_model if options.step_number == 0 else None)

    result = run(Agent(agent_model, tools=[echo], prepare_step=prepare), "go")

    assert len(step_model.calls) == 1
    assert len(agent_model.calls) == 1
    assert models_seen == [agent_model, agent_model]
    assert result.text == "from the agent model"


def test_prepare_step_messages_override_is_for_that_step_only(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = FakeModel([tool_call_response(echo_call()), text_response("ok")])
    override = [fantasy.user_message("replaced prompt")]

    def prepare(options: PrepareStepOptions) -> PrepareStepResult | None:
        return PrepareStepResult(messages=override) if options.step_number == 0 else None

    result = run(Agent(model, tools=[echo], prepare_step=prepare), "original")

    assert model.calls[0].prompt == override
    assert model.calls[1].prompt == [
        fantasy.user_message("original"),
        *result.steps[0].messages,
    ]


def test_prepare_step_overrides_combine(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    other = FakeModel([text_response("from the step model")])
    agent = Agent(
        model,
        system_prompt="original",
        tools=[make_named_tool("a"), make_named_tool("b"), make_named_tool("c")],
        prepare_step=lambda _: PrepareStepResult(
            model=other, system_prompt="combined", tool_choice="b", active_tools=["b", "c"]
        ),
    )

    result = run(agent, "go")

    assert model.calls == []
    call = other.last_call
    assert prompt_texts(call)[0] == (Role.SYSTEM, "combined")
    assert call.tool_choice == "b"
    assert tool_names(call) == ["b", "c"]
    assert result.text == "from the step model"


def test_prepare_step_none_fields_keep_the_defaults(run: RunAgent) -> None:
    echo, _ = make_echo()
    model = FakeModel([tool_call_response(echo_call()), text_response("ok")])
    results: list[PrepareStepResult | None] = [PrepareStepResult(), None]

    def prepare(options: PrepareStepOptions) -> PrepareStepResult | None:
        return results[options.step_number]

    run(Agent(model, system_prompt="sys", tools=[echo], prepare_step=prepare), "go")

    for call in model.calls:
        assert call.prompt[0] == fantasy.system_message("sys")
        assert call.tool_choice == "auto"
        assert tool_names(call) == ["echo"]


def test_prepare_step_sees_step_number_previous_steps_and_the_step_input(
    run: RunAgent,
) -> None:
    echo, _ = make_echo()
    model = FakeModel([tool_call_response(echo_call()), text_response("ok")])
    seen: list[tuple[int, int, list[Message]]] = []

    async def prepare(options: PrepareStepOptions) -> None:  # async hooks are awaited
        seen.append((options.step_number, len(options.steps), list(options.messages)))

    run(Agent(model, tools=[echo], prepare_step=prepare), "go")

    assert [(n, k) for n, k, _ in seen] == [(0, 0), (1, 1)]
    assert seen[0][2] == model.calls[0].prompt
    assert seen[1][2] == model.calls[1].prompt


def test_call_level_prepare_step_replaces_the_agents(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(model, prepare_step=lambda _: PrepareStepResult(system_prompt="agent hook"))

    run(agent, "go", prepare_step=lambda _: PrepareStepResult(system_prompt="call hook"))

    assert prompt_texts(model.last_call)[0] == (Role.SYSTEM, "call hook")


def test_prepare_step_error_fails_the_run(run: RunAgent) -> None:
    model = FakeModel([text_response("ok")])

    def prepare(_: PrepareStepOptions) -> PrepareStepResult:
        raise LookupError("no such step")

    with pytest.raises(LookupError, match="no such step"):
        run(Agent(model, prepare_step=prepare), "go")
    assert model.calls == []


# --------------------------------------------------------------------------- retries


def unavailable(headers: dict[str, str] | None = None, status: int = 503) -> ProviderError:
    return ProviderError(
        "try later", title="service unavailable", status_code=status, response_headers=headers
    )


def test_a_retryable_model_error_is_retried_with_backoff(run: RunAgent) -> None:
    sleep = RecordingSleep()
    retries: list[tuple[ProviderError | None, float]] = []
    first, second = unavailable(), unavailable(status=429)
    model = FakeModel([first, second, text_response("finally")])

    result = run(
        Agent(model, sleep=sleep),
        "go",
        on_retry=lambda err, delay: retries.append((err, delay)),
    )

    assert result.text == "finally"
    assert len(model.calls) == 3
    assert sleep.delays == [5.0, 10.0]
    assert retries == [(first, 5.0), (second, 10.0)]


def test_retry_after_keeps_fractions_and_ignores_header_case(run: RunAgent) -> None:
    sleep = RecordingSleep()
    model = FakeModel(
        [
            unavailable({"Retry-After": "1.5"}),
            unavailable({"RETRY-AFTER-MS": "250.5"}),
            text_response("ok"),
        ]
    )

    run(Agent(model, sleep=sleep), "go")

    assert sleep.delays == [1.5, 0.2505]


def test_retries_exhausted_raise_a_retry_error_with_every_attempt(run: RunAgent) -> None:
    sleep = RecordingSleep()
    errors = [unavailable() for _ in range(3)]
    model = FakeModel(errors)

    with pytest.raises(fantasy.RetryError) as info:
        run(Agent(model, max_retries=2, sleep=sleep), "go")

    assert info.value.errors == errors
    assert len(model.calls) == 3
    assert sleep.delays == [5.0, 10.0]


def test_max_retries_zero_raises_the_error_itself(run: RunAgent) -> None:
    error = unavailable()
    model = FakeModel([error, text_response("never")])

    with pytest.raises(ProviderError) as info:
        run(Agent(model, max_retries=5, sleep=RecordingSleep()), "go", max_retries=0)

    assert info.value is error
    assert len(model.calls) == 1


def test_a_non_retryable_error_on_the_first_attempt_is_raised_as_is(run: RunAgent) -> None:
    error = ProviderError("bad request", title="bad request", status_code=400)
    model = FakeModel([error])
    sleep = RecordingSleep()

    with pytest.raises(ProviderError) as info:
        run(Agent(model, sleep=sleep), "go")

    assert info.value is error
    assert sleep.delays == []


def test_model_provider_is_asked_for_the_model_on_every_attempt(run: RunAgent) -> None:
    model = FakeModel([unavailable(), text_response("ok")])
    asked: list[int] = []

    def provide() -> fantasy.LanguageModel:
        asked.append(1)
        return model

    unused = FakeModel()
    result = run(Agent(unused, sleep=RecordingSleep()), "go", model_provider=provide)

    assert result.text == "ok"
    assert len(asked) == 2
    assert unused.calls == []


def test_usage_counts_only_the_successful_attempt(run: RunAgent) -> None:
    model = FakeModel([unavailable(), text_response("ok", usage=Usage(1, 2, 3))])

    result = run(Agent(model, sleep=RecordingSleep()), "go")

    assert result.total_usage == Usage(1, 2, 3)


# --------------------------------------------------------------------------- fake model


def test_the_fake_model_fails_the_test_when_called_more_than_scripted(run: RunAgent) -> None:
    model = FakeModel()

    with pytest.raises(FakeModelError, match="call #1"):
        run(Agent(model), "go")


def test_the_fake_model_answers_with_a_function_of_the_call(run: RunAgent) -> None:
    def answer(call: Call) -> Response:
        return text_response(f"you said {len(call.prompt)} message(s)")

    model = FakeModel([answer])

    assert run(Agent(model), "go").text == "you said 1 message(s)"
