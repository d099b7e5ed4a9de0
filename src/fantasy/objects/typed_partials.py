"""Typed partial objects without re-validating what is complete.

A typed object stream turns each partial object (decoded JSON) into the output
type with pydantic. Validating the whole partial object at every delta costs
O(size of the object) per delta, and so does comparing it with the one before
(pydantic's ``__eq__`` walks every sub-model): quadratic over a stream.

The incremental parser marks the containers it has completed (an object part's
``complete_ids``): they never change and later partial objects share them. So
once a completed JSON object has been validated into an instance of a model or
dataclass, that instance can stand in for it in later validations: pydantic
takes an instance of the expected class as it is (``revalidate_instances`` is
``"never"`` by default), so the result is the one full validation gives, and
successive typed partial objects share their completed sub-objects, which makes
comparing them cheap too (identity first).

Where an instance is reused must be certain: `plan_for` reads the pydantic
core schema of the output type and only follows models, dataclasses, lists,
``dict[str, ...]``, ``Optional`` and defaults. Anything else (unions, tuples,
sets, TypedDicts, custom validators that could reorder or rebuild values) ends
the plan there: below such a node everything is validated from the JSON as
before, so the result never differs from validating the partial object whole.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

__all__ = ["Plan", "TypedPartials", "plan_for"]

_CONTAINERS = (dict, list)


class _Instance:
    """A model or dataclass: an instance built from a complete JSON object is reusable.

    ``fields`` maps the JSON key to the attribute and the plan below it, for the fields
    where instances can be found (none when a validator of the whole model sits between
    the JSON and the fields)."""

    __slots__ = ("cls", "fields")

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.fields: dict[str, tuple[str, Plan]] = {}


class _Items:
    """A list whose items follow a plan (item i of the output comes from item i)."""

    __slots__ = ("item",)

    def __init__(self, item: Plan) -> None:
        self.item = item


class _Values:
    """A ``dict[str, X]``: the output has the input's keys, values following a plan."""

    __slots__ = ("value",)

    def __init__(self, value: Plan) -> None:
        self.value = value


Plan = _Instance | _Items | _Values | None
"""Where reusable instances can be found in the output (None: nowhere below here)."""


def plan_for(core_schema: Any) -> Plan:
    """The plan of a pydantic core schema, or None when no instance can be reused."""
    compiler = _Compiler()
    plan = compiler.compile(core_schema)
    return plan if compiler.has_instances else None


class _Compiler:
    def __init__(self) -> None:
        self.definitions: dict[str, Any] = {}
        self.done: dict[str, Plan] = {}
        self.has_instances = False

    def compile(self, node: Any) -> Plan:
        if not isinstance(node, dict):
            return None
        kind = node.get("type")
        if kind == "definitions":
            for definition in node.get("definitions", ()):
                if isinstance(definition, dict) and "ref" in definition:
                    self.definitions[definition["ref"]] = definition
            return self.compile(node.get("schema"))
        if kind == "definition-ref":
            ref = node.get("schema_ref")
            if not isinstance(ref, str):
                return None
            if ref in self.done:
                return self.done[ref]
            return self.compile(self.definitions.get(ref))
        if kind in ("nullable", "default"):
            return self.compile(node.get("schema"))
        if kind == "list":
            item = self.compile(node.get("items_schema"))
            return None if item is None else _Items(item)
        if kind == "dict":
            if node.get("keys_schema", {"type": "str"}) != {"type": "str"}:
                return None
            value = self.compile(node.get("values_schema"))
            return None if value is None else _Values(value)
        if kind == "model":
            return self._model(node)
        if kind == "dataclass":
            return self._dataclass(node)
        return None

    def _reusable(self, node: dict[str, Any]) -> bool:
        config = node.get("config") or {}
        revalidate = node.get("revalidate_instances", config.get("revalidate_instances"))
        return revalidate in (None, "never") and isinstance(node.get("cls"), type)

    def _remember(self, node: dict[str, Any], plan: _Instance) -> None:
        ref = node.get("ref")
        if isinstance(ref, str):
            self.done[ref] = plan  # before the fields: a recursive type refers to itself
        self.has_instances = True

    def _model(self, node: dict[str, Any]) -> Plan:
        if node.get("root_model") or node.get("custom_init") or not self._reusable(node):
            return None
        plan = _Instance(node["cls"])
        self._remember(node, plan)
        inner = node.get("schema") or {}
        if inner.get("type") != "model-fields":
            return plan  # a validator of the whole model: reuse it, but look no further
        by_name = _by_name(node.get("config") or {})
        for name, field in (inner.get("fields") or {}).items():
            key = _json_key(name, field, by_name)
            sub = self.compile(field.get("schema")) if key is not None else None
            if key is not None and sub is not None:
                plan.fields[key] = (name, sub)
        return plan

    def _dataclass(self, node: dict[str, Any]) -> Plan:
        if not self._reusable(node):
            return None
        plan = _Instance(node["cls"])
        self._remember(node, plan)
        inner = node.get("schema") or {}
        if inner.get("type") != "dataclass-args":
            return plan
        by_name = _by_name(node.get("config") or {})
        for field in inner.get("fields") or ():
            if field.get("init_only") or field.get("init") is False:
                continue
            name = field.get("name")
            key = _json_key(name, field, by_name) if isinstance(name, str) else None
            sub = self.compile(field.get("schema")) if key is not None else None
            if key is not None and sub is not None:
                plan.fields[key] = (name, sub)
        return plan


def _by_name(config: dict[str, Any]) -> bool:
    """Whether a field may be given under its name as well as its alias (then which one
    a value came from is not certain)."""
    return any(
        key in config for key in ("populate_by_name", "validate_by_name", "validate_by_alias")
    )


def _json_key(name: str, field: dict[str, Any], by_name: bool) -> str | None:
    alias = field.get("validation_alias")
    if alias is None:
        return name
    if isinstance(alias, str) and not by_name:
        return alias
    return None  # alias paths and choices, or name-or-alias: not followed


class TypedPartials:
    """Validates successive partial objects of one stream, reusing completed instances.

    ``validate`` is pydantic's ``validate_python`` for the output type; ``plan`` says
    where instances are (`plan_for`). Forms of complete containers (the instance, or a
    copy whose reusable items are instances) are kept by the container's id, with the
    container itself, so the id stays its own.
    """

    def __init__(self, validate: Any, plan: Plan) -> None:
        self._validate = validate
        self._plan = plan
        self._forms: dict[int, Any] = {}
        self._kept: list[Any] = []
        self._prefixes: dict[int, tuple[int, Any, list[Any]]] = {}
        self._learned = -1  # how many containers were complete when forms were last learned

    def convert(self, value: Any, complete: Set[int] | None) -> Any:
        """The typed object of ``value`` (raises pydantic's ValidationError)."""
        if complete is None or self._plan is None or type(value) not in _CONTAINERS:
            return self._validate(value)
        typed = self._validate(self._input(value, self._plan))
        if len(complete) != self._learned:  # containers were completed since last time
            self._learn(value, typed, self._plan, complete)
            self._learned = len(complete)
        return typed

    def _input(self, value: Any, plan: Plan) -> Any:
        """``value`` with each complete container replaced by its known form. The plan says
        where forms can be; entries not known yet are at the end of a list or dict (the
        parser only adds there), so only those are walked, and a model's fields."""
        forms = self._forms
        if isinstance(plan, _Instance):
            if type(value) is not dict or not plan.fields:
                return value  # nothing below can be replaced: the JSON as it is
            out = dict(value)
            for key, (_, sub) in plan.fields.items():
                child = value.get(key)
                if type(child) in _CONTAINERS:
                    known = forms.get(id(child))
                    out[key] = self._input(child, sub) if known is None else known
            return out
        if isinstance(plan, _Items):
            return self._list_input(value, plan) if type(value) is list else value
        if isinstance(plan, _Values):
            if type(value) is not dict:
                return value
            values = value.values()
            out = dict(zip(value, map(forms.get, map(id, values), values), strict=True))
            for key in reversed(value):
                child = value[key]
                if type(child) not in _CONTAINERS or id(child) in forms:
                    break
                out[key] = self._input(child, plan.value)
            return out
        return value

    def _list_input(self, value: list[Any], plan: _Items) -> list[Any]:
        """`_input` of an open list. Its entries before the last only ever stay as they
        are, so what they became is kept from one partial object to the next (for each
        list plan: its length, last entry and output); a list seen again (its entry at
        that length is the same container) only maps the entries after them."""
        forms = self._forms
        kept = self._prefixes.get(id(plan))
        start = 0
        if kept is not None:
            length, last, done = kept
            if length <= len(value) and value[length - 1] is last:
                start = length
        if start:
            rest = value[start:]
            out = done + list(map(forms.get, map(id, rest), rest))
        else:
            out = list(map(forms.get, map(id, value), value))
        stable = len(value)
        for index in range(len(value) - 1, start - 1, -1):
            child = value[index]
            if type(child) not in _CONTAINERS or id(child) in forms:
                break
            out[index] = self._input(child, plan.item)
            stable = index
        if stable and type(value[stable - 1]) in _CONTAINERS:
            self._prefixes[id(plan)] = (stable, value[stable - 1], out[:stable])
        return out

    def _learn(self, value: Any, typed: Any, plan: Plan, complete: Set[int]) -> None:
        """Record the forms of the complete containers newly seen along the open path."""
        if isinstance(plan, _Instance):
            if type(value) is not dict or type(typed) is not plan.cls:
                return
            for key, (attribute, sub) in plan.fields.items():
                child = value.get(key)
                if type(child) in _CONTAINERS:
                    self._child(child, getattr(typed, attribute, None), sub, complete)
        elif isinstance(plan, _Items):
            if type(value) is not list or type(typed) is not list or len(typed) != len(value):
                return
            for index in range(len(value) - 1, -1, -1):  # new entries are at the end
                child = value[index]
                if type(child) not in _CONTAINERS or id(child) in self._forms:
                    break
                self._child(child, typed[index], plan.item, complete)
        elif isinstance(plan, _Values):
            if type(value) is not dict or type(typed) is not dict:
                return
            for key in reversed(value):
                child = value[key]
                if type(child) not in _CONTAINERS or id(child) in self._forms:
                    break
                if key in typed:
                    self._child(child, typed[key], plan.value, complete)

    def _child(self, child: Any, typed: Any, plan: Plan, complete: Set[int]) -> None:
        if id(child) not in complete:
            self._learn(child, typed, plan, complete)  # still open: look inside
        elif id(child) not in self._forms:
            self._forms[id(child)] = _form(child, typed, plan)
            self._kept.append(child)


def _form(value: Any, typed: Any, plan: Plan) -> Any:
    """What stands in for a complete container: its instance, or a copy of it whose
    reusable parts are instances (the container itself when there are none)."""
    if isinstance(plan, _Instance):
        return typed if type(value) is dict and type(typed) is plan.cls else value
    if isinstance(plan, _Items):
        if type(value) is list and type(typed) is list and len(typed) == len(value):
            return [_form(v, t, plan.item) for v, t in zip(value, typed, strict=True)]
        return value
    if isinstance(plan, _Values):
        if type(value) is dict and type(typed) is dict and typed.keys() == value.keys():
            return {k: _form(v, typed[k], plan.value) for k, v in value.items()}
        return value
    return value
