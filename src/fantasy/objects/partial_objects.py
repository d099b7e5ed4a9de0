"""Partial objects from streamed JSON text: which snapshots to emit, in O(1) per delta.

An object stream emits the object-so-far after a delta when it changed and,
as in Fantasy, when it validates against the *full* schema (so with required
properties the first object appears once every required key has a value).
Validating each snapshot from scratch would walk the whole object per delta:
quadratic over a stream. The parser's open containers only ever grow, by
entries that are complete, so this module checks each entry once, when it
is added, and per delta re-checks only what can change: the open containers
along the current path (their required keys and sizes) and the value in
progress at the end of that path.

Schemas whose open containers carry keywords that need the whole value
(``anyOf``, ``oneOf``, ``allOf``, ``$ref``, ``enum``, ``const``, ``not``) fall
back to validating the whole snapshot, with completed sub-objects remembered.
"""

from __future__ import annotations

import itertools
from typing import Any

from fantasy.objects.partial_json import MISSING, PartialJSONError, PartialJSONParser
from fantasy.objects.validate import _TYPES, Validator

__all__ = ["PartialObjects"]

_WHOLE_VALUE_KEYWORDS = ("anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not")


def _allows(schema: dict[str, Any], type_name: str) -> bool:
    declared = schema.get("type")
    if declared is None:
        return True
    return type_name in declared if isinstance(declared, list) else declared == type_name


class _Node:
    """The keywords of an open container's schema that the per-delta check reads."""

    __slots__ = (
        "array_ok",
        "extra",
        "items",
        "max_items",
        "min_items",
        "object_ok",
        "properties",
        "required",
    )

    def __init__(self, schema: dict[str, Any]):
        self.object_ok = _allows(schema, "object")
        self.array_ok = _allows(schema, "array")
        self.required: tuple[str, ...] = tuple(schema.get("required", ()))
        self.properties: dict[str, Any] = schema.get("properties") or {}
        self.extra: Any = schema.get("additionalProperties", True)
        self.items: Any = schema.get("items", True)
        self.min_items: int = schema.get("minItems", 0)
        self.max_items: int | None = schema.get("maxItems")


def _compile_node(schema: Any) -> _Node | bool | None:
    """A `_Node`; True or False for a schema that allows anything or nothing; None when
    keywords need the whole value."""
    if not isinstance(schema, dict):
        return schema is not False
    if any(k in schema for k in _WHOLE_VALUE_KEYWORDS):
        return None
    return _Node(schema)


def _complete_ok(container: dict[str, Any] | list[Any], node: _Node) -> bool:
    """The checks of a complete container that its entries' checks leave out."""
    if type(container) is dict:
        return node.object_ok and all(name in container for name in node.required)
    size = len(container)
    return (
        node.array_ok
        and size >= node.min_items
        and (node.max_items is None or size <= node.max_items)
    )


_ANNOTATIONS = frozenset({"type", "description", "title", "default", "examples", "$comment"})
_UNSET: Any = object()


def _type_only(schema: dict[str, Any]) -> Any:
    """The type check of a schema that says nothing else about a value, or None."""
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _TYPES and schema.keys() <= _ANNOTATIONS:
        return _TYPES[kind]
    return None


class _Checked:
    """What is known about one open container: how many entries passed, or a failure."""

    __slots__ = ("container", "count", "ok")

    def __init__(self, container: Any):
        self.container = container
        self.count = 0
        self.ok = True


class PartialObjects:
    """Feed deltas of JSON text; get each new acceptable object (or `MISSING`)."""

    def __init__(self, schema: dict[str, Any]):
        self._schema = schema
        self._parser = PartialJSONParser()
        self._validator = Validator(schema)
        self._checked: dict[int, _Checked] = {}
        self._nodes: dict[int, _Node | bool | None] = {}
        self._leaves: dict[int, Any] = {}
        self._rewrites = 0
        self._by_value = False  # whether the last path check looked at the scalar's content
        self._verdict_shape = -1
        self._verdict = False
        self._seen_version = -1
        self._chunks: list[str] = []
        self.error: PartialJSONError | None = None
        """Set once the text stopped being JSON; later deltas are only recorded."""
        self.last: Any = MISSING
        """The last accepted object, or `MISSING`."""

    @property
    def complete_ids(self) -> set[int]:
        """The ids of the complete containers in the objects fed out (never change again)."""
        return self._parser.closed

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    def feed(self, delta: str) -> Any:
        """Consume a delta; the new object to emit, or `MISSING`."""
        self._chunks.append(delta)
        if self.error is not None:
            return MISSING
        try:
            self._parser.feed(delta)
        except PartialJSONError as exc:
            self.error = exc
            return MISSING
        parser = self._parser
        if parser.rewrites != self._rewrites:  # an entry was replaced: check all again
            self._rewrites = parser.rewrites
            self._checked.clear()
        if parser.version == self._seen_version:
            return MISSING
        self._seen_version = parser.version
        if parser.done:
            value = parser.snapshot()
            ok = not self._validator.errors(value, parser.closed)
        else:
            ok = self._acceptable()
            value = parser.snapshot() if ok else MISSING
        if not ok or value is MISSING:
            return MISSING
        self.last = value
        return value

    def offer(self, value: Any) -> Any:
        """A complete object from elsewhere (a finished tool call): emit if it is new."""
        if self.last is not MISSING and self.last == value:
            return MISSING
        self.last = value
        return value

    def _acceptable(self) -> bool:
        """Whether the snapshot would validate, looking only at what changed.

        While only a string value grows (the parser's ``shape`` stays), a verdict that
        did not depend on that string's content still holds: most deltas of a long
        string are then decided without walking the path."""
        parser = self._parser
        scalar = parser.partial_scalar()
        if type(scalar) is str and parser.shape == self._verdict_shape:
            return self._verdict
        path = parser.open_containers()
        if not path:
            return scalar is not MISSING and not self._validator.errors(scalar)
        self._by_value = False
        verdict = self._check_path(path, 0, self._schema, scalar)
        if verdict is None:  # keywords that need the whole value
            value = parser.snapshot()
            return not self._validator.errors(value, parser.closed)
        if type(scalar) is str and not self._by_value:
            self._verdict_shape, self._verdict = parser.shape, verdict
        return verdict

    def _check_path(
        self,
        path: list[tuple[dict[str, Any] | list[Any], str | None]],
        depth: int,
        schema: Any,
        scalar: Any,
    ) -> bool | None:
        last = len(path) - 1
        while True:
            node = self._node(schema)
            if type(node) is not _Node:
                return node  # type: ignore[return-value]
            container, key = path[depth]
            innermost = depth == last
            child_visible = not innermost or scalar is not MISSING
            if not self._entries_ok(container, node):
                return False
            if type(container) is dict:
                if not node.object_ok:
                    return False
                for name in node.required:
                    if name not in container and not (child_visible and name == key):
                        return False
                if not child_visible or key is None:
                    return True
                sub = node.properties.get(key)
                if sub is None:
                    sub = node.extra
            else:
                if not node.array_ok:
                    return False
                size = len(container) + (1 if child_visible else 0)
                if size < node.min_items or (node.max_items is not None and size > node.max_items):
                    return False
                if not child_visible:
                    return True
                sub = node.items
            if innermost:
                return self._leaf_ok(scalar, sub)
            depth += 1
            schema = sub

    def _node(self, schema: Any) -> _Node | bool | None:
        """What an open container's schema says, worked out once per schema: the checks
        run at every delta, so they read prepared fields instead of the schema's keys."""
        if not isinstance(schema, dict):
            return schema is not False
        node = self._nodes.get(id(schema))
        if node is None:
            node = self._nodes[id(schema)] = _compile_node(self._container_schema(schema))
        return node

    def _leaf_ok(self, scalar: Any, sub: Any) -> bool:
        """The value in progress against its schema; a bare ``{"type": ...}`` (with
        annotations) is a type check, the rest goes to the validator."""
        if not isinstance(sub, dict):
            return sub is not False
        check = self._leaves.get(id(sub), _UNSET)
        if check is _UNSET:
            check = self._leaves[id(sub)] = _type_only(sub)
        if check is not None:
            return bool(check(scalar))
        self._by_value = True
        return not self._validator.errors_against(scalar, sub)

    def _container_schema(self, schema: dict[str, Any]) -> Any:
        """The schema an open container must match, through what cannot apply to it.

        An open container is an object or an array, never ``null``, so in the
        ``X | None`` shape `fantasy.schema.schema_for` writes (``anyOf`` of one
        schema and ``{"type": "null"}``) only X applies; and a lone local ``$ref``
        (a recursive type) is the schema it points to. Either way the incremental
        check carries on instead of validating the whole snapshot.
        """
        for _ in range(8):  # references to references: a few hops, then give up
            ref = schema.get("$ref")
            if isinstance(ref, str) and set(schema) <= {"$ref", "description"}:
                target = self._validator.resolve(ref)
                if not isinstance(target, dict):
                    return target
                schema = target
                continue
            variants = schema.get("anyOf")
            if isinstance(variants, list) and set(schema) <= {"anyOf", "description"}:
                others = [v for v in variants if v != {"type": "null"}]
                if len(others) == 1 and len(others) < len(variants):
                    if not isinstance(others[0], dict):
                        return others[0]
                    schema = others[0]
                    continue
            return schema
        return schema

    def _entries_ok(self, container: dict[str, Any] | list[Any], node: _Node) -> bool:
        """Check the entries added since last time; each entry is complete and checked once."""
        state = self._checked.get(id(container))
        if state is None or state.container is not container:
            state = self._checked[id(container)] = _Checked(container)
        if not state.ok:
            return False
        if len(container) == state.count:
            return True
        closed = self._parser.closed
        if isinstance(container, dict):
            properties = node.properties
            extra = node.extra
            new = itertools.islice(container.items(), state.count, None)
            for name, value in new:
                sub = properties.get(name, extra)
                if sub is False or (
                    isinstance(sub, dict) and not self._entry_ok(value, sub, closed)
                ):
                    state.ok = False
                    return False
                state.count += 1
        else:
            items = node.items
            for value in container[state.count :]:
                if items is False or (
                    isinstance(items, dict) and not self._entry_ok(value, items, closed)
                ):
                    state.ok = False
                    return False
                state.count += 1
        return True

    def _entry_ok(self, value: Any, schema: dict[str, Any], closed: set[int]) -> bool:
        """A complete entry against its schema: a scalar against a bare type with that
        type's check, anything else with the validator."""
        if type(value) not in (dict, list):
            check = self._leaves.get(id(schema), _UNSET)
            if check is _UNSET:
                check = self._leaves[id(schema)] = _type_only(schema)
            if check is not None:
                return bool(check(value))
        else:
            state = self._checked.get(id(value))
            node = self._node(schema) if state is not None else None
            if type(node) is _Node and state.container is value:  # type: ignore[union-attr]
                # Checked entry by entry while it was open: what is left is its new entries
                # and what the whole container must have, as the validator would find.
                return self._entries_ok(value, node) and _complete_ok(value, node)
        return not self._validator.errors_against(value, schema, closed)
