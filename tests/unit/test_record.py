"""`fantasy._record.Record`: value classes written without `dataclasses`, which still
behave as dataclasses to users and to `dataclasses` itself (issue 23).

Each `Record` in the library is held to the rules of `fantasy._record` (fields in
``__slots__``, an ``__init__`` that sets them all), and a `Record` is compared with the
`@dataclass` it replaces: fields, defaults, repr, equality, hashing, replace, asdict,
pattern matching, pickling.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import pickle
import subprocess
import sys
from typing import Any

import pytest

import fantasy
from fantasy._record import Record, field_names, replaced
from fantasy.call_settings import CallSettings
from fantasy.errors import InvalidArgumentError
from fantasy.http.limits import DEFAULT_LIMITS, HttpLimits
from fantasy.model import Call, Response
from fantasy.providers.openai import ChatHooks
from fantasy.types import (
    ContentType,
    Message,
    ProviderDefinedTool,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    Usage,
)

# The modules whose Records a provider import defines; importing them makes sure
# every subclass below is known.
MODULES = (
    "fantasy.types",
    "fantasy.model",
    "fantasy.call_settings",
    "fantasy.http.limits",
    "fantasy.http.backend",
    "fantasy.http.transport",
    "fantasy.http.shell",
    "fantasy.providers.openai.options",
    "fantasy.providers.openai.hooks",
    "fantasy.tools",
    "fantasy.retry",
    "fantasy.http.sse",
    "fantasy.http.eventstream",
    "fantasy.agent.steps",
    "fantasy.agent.run_types",
    "fantasy.agent.run",
    "fantasy.providers.anthropic.options",
    "fantasy.providers.anthropic.provider_tools",
    "fantasy.providers.anthropic.platforms",
    "fantasy.providers.google.options",
    "fantasy.providers.google.provider_tools",
    "fantasy.providers.openaicompat",
    "fantasy.providers._gateway",
    "fantasy.providers.openrouter",
    "fantasy.providers.vercel",
)


def all_records() -> list[type[Record]]:
    for name in MODULES:
        importlib.import_module(name)
    found: list[type[Record]] = []
    pending = list(Record.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        made_by_dataclass = cls.__init__.__code__.co_filename == "<string>"
        if cls.__module__.startswith("fantasy.") and not made_by_dataclass:
            found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


# Required arguments that __init__ checks, by class; others get a placeholder string.
CHECKED_ARGUMENTS: dict[str, dict[str, Any]] = {"Call": {"prompt": []}}


def placeholder_instance(cls: type[Record]) -> Record:
    """An instance with a distinct object for every required parameter."""
    code: Any = cls.__init__.__code__
    positional = code.co_varnames[1 : code.co_argcount]
    keyword = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    defaults = cls.__init__.__defaults__ or ()
    required = positional[: len(positional) - len(defaults)]
    kw_defaults = cls.__init__.__kwdefaults__ or {}
    args = {name: f"<{name}>" for name in required}
    args.update({name: f"<{name}>" for name in keyword if name not in kw_defaults})
    args.update(CHECKED_ARGUMENTS.get(cls.__qualname__, {}))
    return cls(**args)


RECORDS = all_records()


def test_the_provider_vocabulary_is_made_of_records() -> None:
    names = {c.__qualname__ for c in RECORDS}
    assert {"TextPart", "StreamPart", "Message", "Call", "Response", "HttpLimits"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_every_record_keeps_the_rules(cls: type[Record]) -> None:
    own = vars(cls).get("__slots__", ())
    assert isinstance(own, tuple), "__slots__ must be a tuple of the fields in order"
    assert field_names(cls)[-len(own) :] == own if own else True
    described = dataclasses.fields(cls)  # type: ignore[arg-type]
    assert tuple(f.name for f in described) == field_names(cls)
    code: Any = cls.__init__.__code__
    parameters = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    assert set(parameters) <= set(field_names(cls)), "every parameter is a field"
    assert [f.name for f in described if f.init] == [n for n in field_names(cls) if n in parameters]
    # __init__ sets every slot, so no field is ever missing on an instance.
    instance = placeholder_instance(cls)
    missing = [n for n in field_names(cls) if not hasattr(instance, n)]
    assert missing == []
    assert dataclasses.is_dataclass(instance)
    # What __init__ sets without a parameter is a declared constant, and a None default
    # of a field that is no Optional is a declared factory: the dataclass description
    # (which pydantic builds instances from, bypassing __init__) must say so.
    for f in described:
        if not f.init:
            assert cls._record_constants[f.name] == getattr(instance, f.name), f.name
        elif f.default is None and "None" not in str(f.type) and "Any" not in str(f.type):
            pytest.fail(f"{cls.__qualname__}.{f.name}: None default, not declared a factory")
        if f.name in cls._record_factories:
            assert getattr(instance, f.name) == cls._record_factories[f.name](), f.name
    assert eval(repr(instance).split("(", 1)[0], vars(sys.modules[cls.__module__])) is cls


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_every_record_copies_compares_and_pickles(cls: type[Record]) -> None:
    instance = placeholder_instance(cls)
    twin = replaced(instance)
    assert twin == instance and twin is not instance
    assert dataclasses.replace(instance) == instance  # type: ignore[type-var]
    assert copy.deepcopy(instance) == instance
    if not cls.__qualname__.startswith("_") and cls.__module__ != "fantasy.http.shell":
        assert pickle.loads(pickle.dumps(instance)) == instance
    assert (instance != object()) is True


# A Record and the @dataclass it stands for, side by side.


class Point(Record):
    __slots__ = ("x", "y", "tags", "kind")

    x: int
    y: int
    tags: list[str]
    kind: str

    def __init__(self, x: int, y: int = 0, *, tags: list[str] | None = None) -> None:
        self.x = x
        self.y = y
        self.tags = [] if tags is None else tags
        self.kind = "point"


@dataclasses.dataclass(slots=True)
class PointDataclass:
    x: int
    y: int = 0
    _: dataclasses.KW_ONLY
    tags: list[str] = dataclasses.field(default_factory=list)
    kind: str = dataclasses.field(default="point", init=False)


class Frozen(Record, frozen=True):
    __slots__ = ("a", "b")

    a: int
    b: str

    def __init__(self, a: int, b: str = "") -> None:
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)


def test_a_record_describes_itself_as_its_dataclass_would() -> None:
    ours = {f.name: f for f in dataclasses.fields(Point)}  # type: ignore[arg-type]
    theirs = {f.name: f for f in dataclasses.fields(PointDataclass)}
    assert list(ours) == list(theirs)
    for name, f in ours.items():
        g = theirs[name]
        assert (f.init, f.type) == (g.init, g.type), name
        assert not f.init or f.kw_only == g.kw_only, name
        if f.init and name != "tags":  # a factory's field: None in the signature
            assert f.default == g.default, name
    assert Point.__match_args__ == PointDataclass.__match_args__ == ("x", "y")


def test_a_record_repr_equality_and_hash_match_a_dataclass() -> None:
    assert repr(Point(1, 2)).replace("Point", "PointDataclass") == repr(PointDataclass(1, 2))
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, tags=["a"]) != Point(1)
    assert Point(1).__eq__(PointDataclass(1)) is NotImplemented
    with pytest.raises(TypeError):
        hash(Point(1))
    assert Point(1).tags is not Point(1).tags  # a fresh list each time


def test_replace_asdict_and_match_work_on_a_record() -> None:
    p = Point(1, 2, tags=["t"])
    moved = dataclasses.replace(p, y=5)  # type: ignore[type-var]
    assert (moved.x, moved.y, moved.tags, moved.kind) == (1, 5, ["t"], "point")
    # dataclasses raises ValueError for an init=False field up to 3.12, TypeError from 3.13.
    init_false_error = ValueError if sys.version_info < (3, 13) else TypeError
    with pytest.raises(init_false_error, match="init=False"):
        dataclasses.replace(p, kind="other")  # type: ignore[type-var]
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "tags": ["t"], "kind": "point"}  # type: ignore[call-overload]
    assert replaced(p, x=9) == Point(9, 2, tags=["t"])
    assert p.__replace__(x=9) == Point(9, 2, tags=["t"])  # copy.replace on Python 3.13
    if sys.version_info >= (3, 13):
        assert copy.replace(p, y=7) == Point(1, 7, tags=["t"])  # type: ignore[attr-defined]
    match p:
        case Point(x, y):
            assert (x, y) == (1, 2)
        case _:
            pytest.fail("positional pattern did not match")


def test_a_frozen_record_refuses_assignment_and_hashes() -> None:
    f = Frozen(1, "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del f.b
    assert hash(f) == hash(Frozen(1, "b"))
    assert {f, Frozen(1, "b")} == {f}
    assert dataclasses.fields(Frozen)[0].name == "a"  # type: ignore[arg-type]
    assert Frozen.__dataclass_params__.frozen is True
    assert dataclasses.replace(f, a=3) == Frozen(3, "b")  # type: ignore[type-var]


def test_a_dataclass_may_extend_a_record() -> None:
    @dataclasses.dataclass(slots=True)
    class Extended(CallSettings):
        extra: int = 0

    e = Extended(temperature=0.5, extra=3)
    assert [f.name for f in dataclasses.fields(e)] == [*CallSettings._record_fields, "extra"]
    assert (e.temperature, e.extra) == (0.5, 3)
    # The base's description is its own, not the subclass's, and vice versa.
    assert "extra" not in CallSettings.__dataclass_fields__


def test_each_record_class_has_its_own_description() -> None:
    assert list(Call.__dataclass_fields__)[:6] == list(CallSettings.__dataclass_fields__)
    assert "prompt" in Call.__dataclass_fields__
    assert "prompt" not in CallSettings.__dataclass_fields__


def test_the_library_records_behave_like_the_dataclasses_they_were() -> None:
    part = TextPart("hi")
    assert (
        repr(part) == "TextPart(text='hi', provider_options=None, type=<ContentType.TEXT: 'text'>)"
    )
    assert part.type is ContentType.TEXT
    assert dataclasses.asdict(Message(Role.USER, [part]))["content"][0]["text"] == "hi"
    assert StreamPart(StreamPartType.TEXT_DELTA, delta="x").delta == "x"
    assert Usage(1, 2) + Usage(3, 4) == Usage(4, 6)
    assert Response().content == [] and Response().usage == Usage()
    assert Response().warnings is not Response().warnings
    assert ProviderDefinedTool("a.b", "b").args == {}
    call = Call([], temperature=0.2)
    assert call.tools == [] and call.temperature == 0.2
    with pytest.raises(InvalidArgumentError, match="temperature"):
        Call([], temperature="hot")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="stream_idle_timeout"):
        replaced(DEFAULT_LIMITS, stream_idle_timeout=-1)
    assert isinstance(replaced(DEFAULT_LIMITS, stream_idle_timeout=5), HttpLimits)
    hooks = ChatHooks(usage=lambda *_: None)
    assert hooks.merged(ChatHooks()) == hooks and not hooks.is_empty()
    assert ChatHooks().is_empty()
    with pytest.raises(dataclasses.FrozenInstanceError):
        hooks.usage = None  # type: ignore[misc]
    match part:
        case TextPart(text):
            assert text == "hi"


def test_pydantic_builds_and_dumps_records_as_it_would_their_dataclasses() -> None:
    import pydantic

    class Envelope(pydantic.BaseModel):
        usage: Usage
        parts: list[TextPart]
        tool: ProviderDefinedTool

    built = Envelope.model_validate(
        {"usage": {"input_tokens": 3}, "parts": [{"text": "a"}], "tool": {"id": "x.y", "name": "y"}}
    )
    assert built.usage == Usage(input_tokens=3)
    assert built.parts == [TextPart("a")] and built.parts[0].type is ContentType.TEXT
    assert built.tool.args == {} and built.tool.type == "provider-defined"
    assert built.model_dump(mode="json")["parts"] == [
        {"text": "a", "provider_options": None, "type": "text"}
    ]
    message = pydantic.TypeAdapter(Message).validate_python(
        {"role": "user", "content": [{"text": "hi", "type": "text"}]}
    )
    assert message == Message(Role.USER, [TextPart("hi")])


@pytest.mark.parametrize(
    "statement",
    [
        *(
            f"import fantasy.providers.{provider}"
            for provider in (
                "openai",
                "azure",
                "anthropic",
                "google",
                "bedrock",
                "openaicompat",
                "openrouter",
                "vercel",
            )
        ),
        "fantasy.Agent, fantasy.tool, fantasy.AgentResult",
    ],
)
def test_a_provider_or_agent_import_loads_neither_dataclasses_nor_inspect(statement: str) -> None:
    code = (
        f"import sys, fantasy\n{statement}\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert fantasy.__name__ == "fantasy"
