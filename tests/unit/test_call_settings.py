"""`CallSettings` is the one definition of the generation settings.

Every test here walks `SETTING_NAMES`, so a setting added to `CallSettings` and
forgotten anywhere (the agent's keyword arguments, the per-call and structured-output
TypedDicts, the `Call` / `ObjectCall` a provider receives, the option checks, the
persisted JSON) fails here, naming the setting.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest

import fantasy
from fantasy import Agent, Call, CallSettings, InvalidArgumentError
from fantasy.agent.run_types import CallOptions, StreamOptions
from fantasy.call_settings import SETTING_NAMES, SETTING_TYPES, merge, values
from fantasy.objects import ObjectCall, ObjectStreamPart
from fantasy.objects.typed import ObjectOptions
from fantasy.testing import FakeModel, text_response

# The keys of each TypedDict that are not generation settings. A new key must be added
# here (or to CallSettings), so the TypedDicts cannot silently grow a setting of their own.
CALL_OPTIONS_BESIDES_SETTINGS = {
    "files",
    "messages",
    "active_tools",
    "tool_choice",
    "headers",
    "provider_options",
    "stop_when",
    "max_steps",
    "prepare_step",
    "repair_tool_call",
    "max_retries",
    "timeout",
    "output_mode",
    "output_retries",
    "total_timeout",
    "on_retry",
    "on_auth_refresh",
    "model_provider",
    "usage_limits",
    "limiter",
    "approve",
    "approval_timeout",
    "approvals",
    "tool_results",
}
OBJECT_OPTIONS_BESIDES_SETTINGS = {
    "system_prompt",
    "schema_name",
    "schema_description",
    "provider_options",
    "headers",
    "user_agent",
    "repair_text",
    "timeout",
}

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def sample(name: str, second: bool = False) -> Any:
    """A valid value for the setting, of its own type (two different ones)."""
    kind = SETTING_TYPES[name]
    if kind is int:
        return 9 if second else 7
    if kind is float:
        return 0.75 if second else 0.25
    raise AssertionError(f"no sample value for a {kind.__name__} setting: add one here")


def one(name: str, value: Any) -> dict[str, Any]:
    """A keyword argument whose name is only known at run time."""
    return {name: value}


def spelled(annotation: Any) -> str:
    """An annotation as written (a string, a ForwardRef or a type)."""
    if isinstance(annotation, str):
        return annotation
    return str(getattr(annotation, "__forward_arg__", annotation))


def setting_annotation(name: str) -> str:
    return spelled(next(f.type for f in dataclasses.fields(CallSettings) if f.name == name))


# --------------------------------------------------------------------------- one definition


@pytest.mark.parametrize(
    ("options", "besides"),
    [
        (CallOptions, CALL_OPTIONS_BESIDES_SETTINGS),
        (StreamOptions, None),
        (ObjectOptions, OBJECT_OPTIONS_BESIDES_SETTINGS),
    ],
    ids=["CallOptions", "StreamOptions", "ObjectOptions"],
)
def test_typed_dicts_list_exactly_the_settings(options: Any, besides: set[str] | None) -> None:
    keys = set(options.__annotations__)
    if besides is not None:
        assert keys - besides == set(SETTING_NAMES)
    for name in SETTING_NAMES:
        assert name in keys, f"{options.__name__} lacks the setting {name}"
        assert spelled(options.__annotations__[name]) == setting_annotation(name), name


def test_agent_takes_every_setting_as_a_keyword_defaulting_to_none() -> None:
    parameters = inspect.signature(Agent.__init__).parameters
    for name in SETTING_NAMES:
        assert name in parameters, f"Agent() lacks the setting {name}"
        parameter = parameters[name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.default is None, name
        assert spelled(parameter.annotation) == setting_annotation(name), name


def test_call_and_object_call_carry_the_settings() -> None:
    assert issubclass(Call, CallSettings) and issubclass(ObjectCall, CallSettings)
    for kind in (Call, ObjectCall):
        names = {f.name for f in dataclasses.fields(kind)}
        assert set(SETTING_NAMES) <= names, kind.__name__
    given = {name: sample(name) for name in SETTING_NAMES}
    call = Call([fantasy.user_message("hi")], **given)
    object_call = ObjectCall([fantasy.user_message("hi")], SCHEMA, **given)
    assert values(call) == values(object_call) == given


def test_only_the_prompt_and_schema_are_positional() -> None:
    with pytest.raises(TypeError):
        Call([], 100)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ObjectCall([], SCHEMA, "name")  # type: ignore[call-arg, arg-type]


# --------------------------------------------------------------------------- merging


def test_merge_the_call_wins_and_none_is_not_set() -> None:
    defaults = CallSettings(temperature=0.5, top_k=40, max_output_tokens=100)
    merged = merge(defaults, {"temperature": 0.0, "top_k": 0, "top_p": 0.9, "max_steps": 3})
    assert merged == CallSettings(temperature=0.0, top_k=0, top_p=0.9, max_output_tokens=100)
    assert merge(defaults, {"temperature": None}) == defaults
    assert merge(defaults, {}) is defaults
    assert merge(CallSettings(), values(defaults)) == defaults
    for name in SETTING_NAMES:
        merged = merge(CallSettings(**one(name, sample(name))), one(name, sample(name, True)))
        assert getattr(merged, name) == sample(name, True), name
        assert values(merged) == {**dict.fromkeys(SETTING_NAMES), name: sample(name, True)}


def test_merge_reads_only_settings_from_keyword_arguments() -> None:
    options = {"temperature": 0.3, "max_steps": 4, "headers": {"X": "1"}}
    assert merge(CallSettings(), options) == CallSettings(temperature=0.3)
    assert merge(CallSettings(), {"max_steps": 4}) == CallSettings()


# --------------------------------------------------------------------------- the agent


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_an_agent_default_reaches_the_call(name: str) -> None:
    model = FakeModel([text_response("ok")])
    agent = Agent(model, **one(name, sample(name)))
    assert getattr(agent.settings, name) == sample(name)
    agent.generate("hi")
    assert getattr(model.last_call, name) == sample(name)


@pytest.mark.parametrize("name", SETTING_NAMES)
@pytest.mark.parametrize("face", ["generate", "stream"])
def test_a_call_setting_wins_over_the_agent_default(name: str, face: str) -> None:
    model = FakeModel([text_response("ok"), text_response("ok")])
    agent = Agent(model, **one(name, sample(name)))
    if face == "generate":
        agent.generate("hi", **one(name, sample(name, True)))
        agent.generate("hi", **one(name, None))
    else:
        agent.stream("hi", **one(name, sample(name, True))).collect()
        agent.stream("hi", **one(name, None)).collect()
    first, second = model.calls
    assert getattr(first, name) == sample(name, True)
    assert getattr(second, name) == sample(name)  # None is "not set": the default stays


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_a_setting_of_the_wrong_type_is_refused_everywhere(name: str) -> None:
    model = FakeModel([text_response("ok")])
    with pytest.raises(InvalidArgumentError, match=f"Agent: {name} must be"):
        Agent(model, **one(name, "hot"))
    with pytest.raises(InvalidArgumentError, match=f"Agent.generate: {name} must be"):
        Agent(model).generate("hi", **one(name, "hot"))
    with pytest.raises(InvalidArgumentError, match=f"generate_object: {name} must be"):
        fantasy.generate_object(model, "hi", SCHEMA, **one(name, "hot"))
    with pytest.raises(InvalidArgumentError, match=f"Call: {name} must be"):
        Call([], **one(name, "hot"))
    assert model.calls == []


# --------------------------------------------------------------------------- structured output


class ObjectRecorder(FakeModel):
    """A fake model that also keeps the `ObjectCall`s it is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.native_object_output = True
        self.object_calls: list[ObjectCall] = []

    async def agenerate_object(self, call: ObjectCall) -> fantasy.objects.ObjectResponse:
        self.object_calls.append(call)
        return await super().agenerate_object(call)

    def astream_object(self, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
        self.object_calls.append(call)
        return super().astream_object(call)


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_generate_object_carries_every_setting(name: str) -> None:
    model = ObjectRecorder([text_response('{"a": 1}'), text_response('{"a": 2}')])
    fantasy.generate_object(model, "hi", SCHEMA, **one(name, sample(name)))
    fantasy.stream_object(model, "hi", SCHEMA, **one(name, sample(name, True))).object()
    assert [getattr(c, name) for c in model.object_calls] == [sample(name), sample(name, True)]
    assert [getattr(c, name) for c in model.calls] == [sample(name), sample(name, True)]


# --------------------------------------------------------------------------- persistence


def test_every_setting_is_persisted_in_fantasys_order() -> None:
    given = {name: sample(name) for name in SETTING_NAMES}
    call = Call([fantasy.user_message("hi")], **given)
    data = fantasy.to_dict(call)
    keys = list(data)
    assert keys[: len(SETTING_NAMES) + 1] == ["prompt", *SETTING_NAMES]
    assert {name: data[name] for name in SETTING_NAMES} == given
    loaded = fantasy.from_json(fantasy.to_json(call), Call)
    assert values(loaded) == given
    unset = fantasy.to_dict(Call([fantasy.user_message("hi")]))
    assert {name: unset[name] for name in SETTING_NAMES} == dict.fromkeys(SETTING_NAMES)


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_a_persisted_setting_of_the_wrong_type_names_it(name: str) -> None:
    with pytest.raises(fantasy.SerializationError, match=f"call.{name}: expected"):
        fantasy.from_dict({"prompt": [], name: "hot"}, Call)
