"""A chat over several runs: the result's views of the conversation, fed back as
``messages=``, make exactly the request one longer conversation would.

Every test runs through each face of the agent (generate, agenerate, stream,
astream), since a chat loop is written against whichever one the program uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import fantasy
from fantasy import Agent, FilePart, Message, Role, TextPart
from fantasy.testing import FakeModel, text_response, tool_call_response

if TYPE_CHECKING:
    from conftest import RunAgent


@fantasy.tool
def add(a: int, b: int) -> str:
    """Add two numbers."""
    return str(a + b)


def two_turn_model() -> FakeModel:
    """Turn one: a tool call, then an answer. Turn two: an answer."""
    return FakeModel(
        [
            tool_call_response(("call-1", "add", '{"a": 2, "b": 3}')),
            text_response("2 + 3 = 5"),
            text_response("5 + 1 = 6"),
        ]
    )


def test_all_messages_holds_the_prompt_and_everything_the_run_added(run: RunAgent) -> None:
    model = two_turn_model()
    agent = Agent(model, system_prompt="Be brief.", tools=[add])

    result = run(agent, "What is 2 + 3?")

    roles = [m.role for m in result.all_messages()]
    assert roles == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    assert result.all_messages()[0] == fantasy.user_message("What is 2 + 3?")
    # The system prompt stays out: the agent sends it on every call.
    assert all(m.role is not Role.SYSTEM for m in result.all_messages())
    assert result.new_messages() == result.all_messages()
    assert result.messages == result.new_messages()
    assert result.response_messages == result.all_messages()[1:]


def test_a_chat_loop_on_all_messages_sends_what_one_long_conversation_would(
    run: RunAgent,
) -> None:
    model = two_turn_model()
    agent = Agent(model, system_prompt="Be brief.", tools=[add])

    first = run(agent, "What is 2 + 3?")
    second = run(agent, "And plus one?", messages=first.all_messages())

    sent = model.calls[2].prompt
    assert sent == [
        fantasy.system_message("Be brief."),
        fantasy.user_message("What is 2 + 3?"),
        *first.steps[0].messages,
        *first.steps[1].messages,
        fantasy.user_message("And plus one?"),
    ]
    assert second.text == "5 + 1 = 6"
    # The second result's views grow the conversation by exactly its own turn.
    assert second.all_messages() == [*first.all_messages(), *second.new_messages()]
    assert [m.role for m in second.new_messages()] == [Role.USER, Role.ASSISTANT]


def test_a_history_kept_by_hand_with_new_messages_is_the_same_conversation(
    run: RunAgent,
) -> None:
    model = two_turn_model()
    agent = Agent(model, tools=[add])
    history: list[Message] = []

    for prompt in ("What is 2 + 3?", "And plus one?"):
        result = run(agent, prompt, messages=history)
        history += result.messages

    assert [m.role for m in history] == [
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.USER,
        Role.ASSISTANT,
    ]
    assert model.calls[2].prompt == history[:-1]


def test_the_user_prompt_keeps_its_files(run: RunAgent) -> None:
    model = FakeModel([text_response("a cat")])
    image = FilePart(b"\x89PNG...", "image/png", filename="cat.png")

    result = run(Agent(model), "What is this?", files=[image])

    assert result.new_messages()[0] == Message(Role.USER, [TextPart("What is this?"), image])
    assert model.calls[0].prompt == result.all_messages()[:1]


def test_a_continuation_without_prompt_adds_no_user_message(run: RunAgent) -> None:
    model = FakeModel([text_response("hello")])
    earlier = [fantasy.user_message("hi")]

    result = run(Agent(model), messages=earlier)

    assert result.new_messages() == result.response_messages
    assert result.all_messages() == [*earlier, *result.response_messages]


def test_all_messages_survive_json_and_continue_the_same_conversation(run: RunAgent) -> None:
    model = two_turn_model()
    agent = Agent(model, system_prompt="Be brief.", tools=[add])
    first = run(agent, "What is 2 + 3?")

    saved = fantasy.to_json(first.all_messages())
    loaded = fantasy.from_json(saved, list[fantasy.Message])
    run(agent, "And plus one?", messages=loaded)

    unsaved_model = two_turn_model()
    unsaved_agent = Agent(unsaved_model, system_prompt="Be brief.", tools=[add])
    unsaved_first = run(unsaved_agent, "What is 2 + 3?")
    run(unsaved_agent, "And plus one?", messages=unsaved_first.all_messages())
    assert loaded == first.all_messages()
    assert model.calls[2] == unsaved_model.calls[2]


def test_openai_style_dicts_are_accepted_as_messages(run: RunAgent) -> None:
    model = FakeModel([text_response("6")])

    run(
        Agent(model),
        "And plus one?",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is 2 + 3?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "function": {"name": "add", "arguments": '{"a":2,"b":3}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "5"},
            {"role": "assistant", "content": [{"type": "text", "text": "5"}]},
        ],
    )

    prompt = model.calls[0].prompt
    assert [m.role for m in prompt] == [
        Role.SYSTEM,
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.USER,
    ]
    assert prompt[2].content == [fantasy.ToolCallPart("c1", "add", '{"a":2,"b":3}')]
    assert prompt[3].content == [fantasy.ToolResultPart("c1", fantasy.ToolResultOutputText("5"))]
    assert prompt[4].content == [TextPart("5")]


def test_saving_a_result_itself_says_to_save_its_messages() -> None:
    result = Agent(FakeModel([text_response("hi")])).generate("hello")
    with pytest.raises(fantasy.SerializationError, match=r"to_json\(result.all_messages\(\)\)"):
        fantasy.to_json(result)


def test_a_prompt_of_none_continues_from_the_messages(run: RunAgent) -> None:
    model = FakeModel([text_response("hello")])
    earlier = [fantasy.user_message("hi")]

    result = run(Agent(model), None, messages=earlier)  # type: ignore[arg-type]

    assert model.calls[0].prompt == earlier
    assert result.new_messages() == result.response_messages
