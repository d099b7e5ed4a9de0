"""Options are checked where they are given: an unknown name is a TypeError that says
what was meant, a wrong type an InvalidArgumentError that names the option, and the
shapes users reach for first (a plain function as a tool, one stop condition) work."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import fantasy
from fantasy import Agent, InvalidArgumentError, MaxStepsExceededError, Role
from fantasy.testing import FakeModel, text_response, tool_call_response


def _calls(agent: Agent) -> dict[str, Any]:
    """Each public entry point of a run, called with the given keyword arguments."""
    return {
        "generate": lambda **kw: agent.generate("hi", **kw),
        "agenerate": lambda **kw: asyncio.run(agent.agenerate("hi", **kw)),
        "stream": lambda **kw: agent.stream("hi", **kw),
        "astream": lambda **kw: agent.astream("hi", **kw),
    }


ENTRY_POINTS = ("generate", "agenerate", "stream", "astream")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("max_tokens", "max_output_tokens"),
        ("system", None),
        ("temprature", "temperature"),
        ("stop_condition", "stop_when"),
    ],
)
def test_an_unknown_option_is_a_type_error_naming_what_was_meant(
    entry: str, given: str, meant: str | None
) -> None:
    model = FakeModel([text_response("never")])

    with pytest.raises(TypeError) as info:
        _calls(Agent(model))[entry](**{given: 1})

    message = str(info.value)
    assert f"unexpected keyword argument {given!r}" in message
    if meant:
        assert f"did you mean {meant!r}?" in message
    assert "valid options:" in message and "max_output_tokens" in message
    assert model.calls == [], "nothing was sent"


def test_system_is_spelt_system_prompt_everywhere() -> None:
    with pytest.raises(TypeError, match="did you mean 'system_prompt'"):
        fantasy.generate_object(FakeModel(), "a city", {"type": "object"}, system="x")
    with pytest.raises(TypeError):
        Agent(FakeModel(), system="x")  # type: ignore[call-arg]
    assert "system_prompt" in fantasy.PrepareStepResult.__dataclass_fields__
    assert "system" not in fantasy.PrepareStepResult.__dataclass_fields__


def test_generation_callbacks_are_refused_by_generate() -> None:
    with pytest.raises(TypeError, match="on_text_delta"):
        Agent(FakeModel()).generate("hi", on_text_delta=print)  # type: ignore[call-arg]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("temperature", "hot", "temperature must be a number, got str 'hot'"),
        ("max_output_tokens", 0, "max_output_tokens must be an int >= 1"),
        ("max_output_tokens", 10.5, "max_output_tokens must be an int >= 1"),
        ("top_k", True, "top_k must be an int >= 0"),
        ("timeout", -1, "timeout must be a number of seconds > 0"),
        ("max_retries", "3", "max_retries must be an int >= 0"),
        ("headers", {"X-A": 1}, "headers must be a dict of strings to strings"),
        ("active_tools", "add", "active_tools must be a list of tool names"),
        ("active_tools", ["nope"], "active_tools names unknown tool(s) 'nope'"),
        ("tool_choice", "requried", "tool_choice must be 'auto', 'none', 'required'"),
        ("prepare_step", "later", "prepare_step must be a function"),
        ("messages", "hello", "messages must be a list of fantasy.Message"),
        (
            "messages",
            fantasy.AgentResult([], fantasy.Response(), fantasy.Usage()),
            "pass result.all_messages()",
        ),
        ("messages", [{"role": "robot", "content": "x"}], "messages[0]: role must be"),
        ("files", [b"png"], "files must be a list of fantasy.FilePart"),
    ],
)
def test_a_wrong_value_is_an_invalid_argument_error_at_the_call(
    entry: str, option: str, value: Any, expected: str
) -> None:
    @fantasy.tool
    def add(a: int, b: int) -> str:
        return str(a + b)

    model = FakeModel([text_response("never")])

    with pytest.raises(InvalidArgumentError) as info:
        _calls(Agent(model, tools=[add]))[entry](**{option: value})

    assert expected in str(info.value)
    assert model.calls == []


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("temperature", "hot", "Agent: temperature must be a number"),
        ("max_steps", 0, "Agent: max_steps must be an int >= 1"),
        ("tool_timeout", "5s", "Agent: tool_timeout must be a number of seconds"),
        ("stop_when", [3], "Agent: stop_when must be a list of stop conditions"),
        ("tools", [42], "Agent: tools[0] must be a function or a fantasy.AgentTool, got int"),
        ("provider_tools", [print], "Agent: provider_tools[0] must be a provider-defined tool"),
    ],
)
def test_agent_checks_its_defaults_when_built(option: str, value: Any, expected: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Agent(FakeModel(), **{option: value})
    assert expected in str(info.value)


def test_a_model_that_is_not_a_model_is_refused_when_the_agent_is_built() -> None:
    with pytest.raises(InvalidArgumentError, match="model must be a language model"):
        Agent(42)  # type: ignore[arg-type]
    # A string is a model's name, and this one names no provider.
    with pytest.raises(InvalidArgumentError, match=r"no provider prefix.*'openai:gpt-4o'"):
        Agent("gpt-4o")


def test_a_plain_function_in_tools_becomes_a_tool() -> None:
    def multiply(a: int, b: int) -> str:
        """Multiply two numbers."""
        return str(a * b)

    model = FakeModel([tool_call_response("multiply", {"a": 6, "b": 7}), text_response("42")])
    result = Agent(model, tools=[multiply]).generate("6 * 7?")

    (sent,) = model.calls[0].tools
    assert sent.name == "multiply" and sent.description == "Multiply two numbers."
    assert result.steps[0].content.tool_results[0].result == fantasy.ToolResultOutputText("42")


def test_a_function_that_cannot_be_a_tool_says_why() -> None:
    def untyped(a):  # type: ignore[no-untyped-def]
        return a

    with pytest.raises(InvalidArgumentError, match=r"tools\[0\] \('untyped'\).*type annotation"):
        Agent(FakeModel(), tools=[untyped])


def test_a_single_stop_condition_is_accepted() -> None:
    @fantasy.tool
    def ping() -> str:
        return "pong"

    model = FakeModel([tool_call_response("ping", {}) for _ in range(5)])
    agent = Agent(model, tools=[ping], stop_when=fantasy.step_count_is(2))
    assert len(agent.generate("go").steps) == 2

    model = FakeModel([tool_call_response("ping", {}) for _ in range(5)])
    result = Agent(model, tools=[ping]).generate("go", stop_when=fantasy.step_count_is(3))
    assert len(result.steps) == 3


# --------------------------------------------------------------------------- step limit


def _endless(n: int) -> FakeModel:
    return FakeModel([tool_call_response("ping", {}) for _ in range(n)])


@fantasy.tool
def ping() -> str:
    """Answer pong."""
    return "pong"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_model_that_never_stops_calling_tools_ends_at_the_default_step_limit(
    entry: str,
) -> None:
    model = _endless(30)
    agent = Agent(model, tools=[ping])

    def consume(**kw: Any) -> Any:
        outcome = _calls(agent)[entry](**kw)
        if entry == "stream":
            return outcome.result
        if entry == "astream":
            return asyncio.run(outcome.collect())
        return outcome

    with pytest.raises(MaxStepsExceededError) as info:
        consume()

    assert info.value.max_steps == fantasy.DEFAULT_MAX_STEPS == 20
    assert len(model.calls) == 20
    partial = info.value.partial_result
    assert len(partial.steps) == 20
    # The last step's tool ran; its result is in the history, ready to resume from.
    assert partial.all_messages()[-1].role is Role.TOOL


def test_the_step_limit_can_be_set_per_agent_per_call_or_lifted() -> None:
    with pytest.raises(MaxStepsExceededError):
        Agent(_endless(5), tools=[ping], max_steps=3).generate("go")
    model = _endless(5)
    with pytest.raises(MaxStepsExceededError):
        Agent(model, tools=[ping]).generate("go", max_steps=2)
    assert len(model.calls) == 2

    model = _endless(25).add(text_response("done at last"))
    result = Agent(model, tools=[ping], max_steps=None).generate("go")
    assert result.text == "done at last" and len(result.steps) == 26


def test_a_run_resumed_after_the_step_limit_answers_the_last_tool_results() -> None:
    model = _endless(2).add(text_response("finally"))
    agent = Agent(model, tools=[ping], max_steps=2)
    with pytest.raises(MaxStepsExceededError) as info:
        agent.generate("go")

    result = agent.generate(messages=info.value.partial_result.all_messages())

    assert result.text == "finally"
    assert model.calls[2].prompt[-1].role is Role.TOOL


# --------------------------------------------------------------------------- schemas at build time


def test_a_tool_the_provider_cannot_express_fails_when_the_agent_is_built() -> None:
    from fantasy.providers import google

    @fantasy.tool
    def tag(labels: dict[str, int]) -> str:
        """Tag things."""
        return "ok"

    model = google.Provider(api_key="k").language_model("gemini-2.5-flash")
    with pytest.raises(InvalidArgumentError) as info:
        Agent(model, tools=[tag])
    assert str(info.value).startswith('invalid argument: tool "tag": field "labels": Gemini')


def test_an_output_type_the_provider_cannot_express_fails_before_the_call() -> None:
    from pydantic import BaseModel

    from fantasy.providers import openai

    class Invoice(BaseModel):
        meta: dict[str, str]

    sent: list[object] = []
    model = openai.Provider(api_key="k", transport=_Recorder(sent)).language_model("gpt-4o")
    with pytest.raises(InvalidArgumentError) as info:
        fantasy.generate_object(model, "an invoice", Invoice)
    assert 'output type Invoice: field "meta": OpenAI strict mode' in str(info.value)
    assert sent == []


class _Recorder:
    """An httpx transport that records requests and fails them: nothing may be sent."""

    def __init__(self, sent: list[object]):
        self.sent = sent

    def handle_request(self, request: Any) -> Any:
        self.sent.append(request)
        raise AssertionError("no request should be sent")


# --------------------------------------------------------------------------- provider options


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"user": 5}, "openai provider options: user must be a string, got int 5"),
        ({"reasoning_effort": "hard"}, "reasoning_effort must be one of 'none', 'minimal'"),
        ({"metadata": "run-7"}, "metadata must be a dict, got str 'run-7'"),
        ({"logprobs": "yes"}, "logprobs must be True or False"),
    ],
)
def test_a_provider_option_of_the_wrong_type_fails_before_the_call(
    options: dict[str, Any], expected: str
) -> None:
    from fantasy.providers import openai

    sent: list[object] = []
    model = openai.Provider(api_key="k", transport=_Recorder(sent)).language_model("gpt-4o")
    with pytest.raises(InvalidArgumentError) as info:
        Agent(model).generate("hi", provider_options={"openai": openai.ProviderOptions(**options)})
    assert expected in str(info.value)
    assert sent == []


# --------------------------------------------------------------------------- providers


def _providers() -> dict[str, Any]:
    from fantasy.providers import anthropic, azure, google, openai, openaicompat, openrouter, vercel

    return {
        "openai": lambda **kw: openai.Provider(api_key="k", **kw),
        "anthropic": lambda **kw: anthropic.Provider(api_key="k", **kw),
        "google": lambda **kw: google.Provider(api_key="k", **kw),
        "openrouter": lambda **kw: openrouter.Provider(api_key="k", **kw),
        "vercel": lambda **kw: vercel.Provider(api_key="k", **kw),
        "openaicompat": lambda **kw: openaicompat.Provider(
            api_key="k", base_url="http://localhost:8000/v1", **kw
        ),
        "azure": lambda **kw: azure.Provider(
            api_key="k", base_url="https://res.openai.azure.com", **kw
        ),
    }


PROVIDERS = ("openai", "anthropic", "google", "openrouter", "vercel", "openaicompat", "azure")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("timeout", "30s", "timeout must be a number of seconds > 0 or an httpx.Timeout"),
        ("timeout", 0, "timeout must be a number of seconds > 0"),
        (
            "http_client",
            "client",
            "http_client must be an httpx.Client or an httpx2.Client, got str",
        ),
        ("async_http_client", object(), "async_http_client must be an httpx.AsyncClient or an"),
        ("transport", "replay.yaml", "transport must be an httpx transport"),
        ("headers", {"X-Team": 7}, "header 'X-Team' must be a string"),
    ],
)
def test_a_provider_setting_of_the_wrong_type_fails_when_the_provider_is_built(
    provider: str, option: str, value: Any, expected: str
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _providers()[provider](**{option: value})
    assert expected in str(info.value)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("model_id", [5, "", None])
def test_a_model_id_that_is_not_a_name_fails_at_language_model(
    provider: str, model_id: Any
) -> None:
    with pytest.raises(InvalidArgumentError, match="model_id must be a non-empty string"):
        _providers()[provider]().language_model(model_id)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_provider_setting_is_a_type_error(provider: str) -> None:
    with pytest.raises(TypeError, match="tiemout"):
        _providers()[provider](tiemout=3)


# --------------------------------------------------------------------------- model-level calls


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"prompt": "hi"}, "Call: prompt must be a list of Message, got str 'hi'"),
        ({"temperature": "hot"}, "Call: temperature must be a number"),
        ({"max_output_tokens": 1.5}, "Call: max_output_tokens must be an int"),
        ({"headers": {"X-A": 1}}, "Call: headers must be a dict of str values"),
    ],
)
def test_a_call_built_by_hand_is_checked_when_built(fields: dict[str, Any], expected: str) -> None:
    base: dict[str, Any] = {"prompt": [fantasy.user_message("hi")]}
    with pytest.raises(InvalidArgumentError) as info:
        fantasy.Call(**(base | fields))
    assert expected in str(info.value)


def test_an_object_call_built_by_hand_is_checked_when_built() -> None:
    with pytest.raises(InvalidArgumentError, match="ObjectCall: schema must be a dict"):
        fantasy.ObjectCall(prompt=[fantasy.user_message("hi")], schema="Invoice")  # type: ignore[arg-type]


def test_a_prepare_step_returning_the_wrong_type_says_what_it_must_return() -> None:
    model = FakeModel([text_response("never")])
    agent = Agent(model, prepare_step=lambda _: {"tool_choice": "none"})
    with pytest.raises(InvalidArgumentError, match="prepare_step must return a fantasy"):
        agent.generate("hi")
    assert model.calls == []
