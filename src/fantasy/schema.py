"""JSON schemas for tool inputs and structured output, from Python types.

Fantasy describes tool parameters with a deliberately small JSON-schema
subset: ``type``, ``properties``, ``required``, ``items``, ``description``,
``enum``, ``format``, ``minimum``, ``maximum``, ``minLength``, ``maxLength``.
This module keeps to that subset plus what exactness needs: ``anyOf`` (unions,
and ``null`` where the type admits ``None``), ``additionalProperties``
(``dict`` values, closed models) and ``$ref`` (a recursive type pointing back
at where it is inlined). Pydantic already knows how to turn Python types into
JSON schema; this module lets it do that and then rewrites the result:
references are inlined, titles and defaults are dropped, ``X | None`` becomes
``anyOf [X, null]``, and so on (see `schema_for` for the full list). The
result accepts the JSON values pydantic accepts, and refuses the ones it
refuses, so the schema a model is given and the validation its answer meets
agree.

What a provider cannot express of such a schema (OpenAI's strict mode, Gemini's
OpenAPI subset) is converted or refused with a clear error when the request
is built, by the provider; see `fantasy.schema_dialects`.

Pydantic is imported lazily, inside the functions that need it: ``import
fantasy`` must stay cheap for programs that never define a typed tool.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, TypeGuard, cast

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "normalize",
    "schema_for",
    "schema_for_signature",
    "to_parameters",
    "tool_input_schema",
]

_VERBATIM_KEYS = ("description", "format", "minLength", "maxLength", "minItems", "maxItems")
"""Keywords copied as they are: in the dialect, or (array sizes) harmless and informative."""

_DEFS_PREFIX = "#/$defs/"


def schema_for(tp: Any) -> dict[str, Any]:
    """Return the Fantasy-dialect JSON schema for a Python type.

    ``tp`` may be a pydantic model, a dataclass, a TypedDict or any type
    pydantic can validate (``str``, ``list[int]``, ``Literal[...]``, an
    ``Enum``, ``Annotated[...]``, unions, nested models...). The schema
    describes what pydantic will *accept* (validation mode, field aliases),
    because what the model writes is fed straight back into that validation:
    a JSON value pydantic accepts matches the schema, and for the type
    families below a value pydantic rejects does not.

    How pydantic's output is bent into the dialect, and why:

    * ``$ref``/``$defs`` are inlined: several providers reject references,
      and tools carry only their properties. A type that appears again
      inside itself (a linked list's ``next``, a tree's ``children``)
      becomes a reference to the place where it is being inlined, as a
      JSON pointer from the schema's root: ``{"$ref": "#"}`` for the root
      type, ``{"$ref": "#/properties/tree"}`` for a parameter. The schema
      stays finite and exact, and pointers survive the trip through a
      tool's properties (the wire's root has the same properties).
      Providers that want ``$defs`` get them when the request is built
      (`fantasy.schema_dialects.refs_to_defs`).
    * ``title``, ``default``, ``examples`` and any keyword outside the
      dialect (``pattern``, ``multipleOf``, ``uniqueItems``...) are dropped.
      Titles only repeat the field name; defaults matter to the validator,
      not to the model that writes the arguments.
    * ``None`` is allowed exactly where the type allows it: ``X | None``
      becomes ``{"anyOf": [X, {"type": "null"}]}`` (a field's description
      stays on the outer node), ``Literal["a", None]`` becomes an ``anyOf``
      of the string enum and null. Whether a field is *required* is
      pydantic's own notion: fields without a default (``str | None``
      without a default is required and nullable; ``TypedDict`` keys under
      ``total=False`` or ``NotRequired`` are optional). Other unions become
      ``anyOf`` (duplicates merged, a single branch unwrapped;
      discriminated unions' ``oneOf`` too, since their branches are
      disjoint).
    * ``Literal`` and ``Enum`` become ``enum`` with a ``type`` inferred from
      the values when they share one.
    * ``dict[str, V]`` becomes ``{"type": "object", "properties": {},
      "additionalProperties": V}``. Fantasy writes ``properties: {"*": V}``,
      but models (and validators) read ``"*"`` as a literal key name, while
      ``additionalProperties`` is the standard way of saying "any key, values
      of this shape". When ``V`` is unconstrained (``dict[str, Any]``) the
      keyword is left out. A model with ``extra="forbid"`` gets
      ``"additionalProperties": false``, since pydantic rejects other keys.
    * ``ge``/``le`` become ``minimum``/``maximum``. ``gt``/``lt`` have no
      place in the dialect, so they become ``minimum``/``maximum`` too: exact
      for integers (``gt=0`` is ``minimum: 1``), an approximation that admits
      the bound itself for floats. Pydantic still enforces the strict bound.
    * Heterogeneous tuples (``prefixItems``) become ``items`` holding the
      single element schema, or an ``anyOf`` of the distinct ones (so the
      schema admits the right elements in any order; pydantic checks the
      order).
    * ``Any`` stays ``{}``. Fantasy maps Go's ``any`` to an object, but
      Python's ``Any`` means any JSON value, and an object-only schema would
      push the model into wrapping scalars.

    Objects always carry ``properties`` (possibly empty). ``required`` is
    left out when nothing is required. Schema keywords come out sorted, as
    Go's ``encoding/json`` writes Fantasy's schema maps; property names keep
    their declaration order, because that order is what a model follows
    when it writes the object. What each provider can express of this is
    checked, and converted, by the provider (see `fantasy.schema_dialects`).
    """
    from pydantic import TypeAdapter

    raw = TypeAdapter(tp).json_schema(mode="validation")
    defs = raw.get("$defs", {})
    converter = _Converter(defs if isinstance(defs, dict) else {})
    return _link(converter.convert(raw, ()))


def schema_for_signature(
    fn: Callable[..., Any], *, skip: Collection[str] = ()
) -> tuple[type[BaseModel], dict[str, Any]]:
    """Build the pydantic model for a function's parameters, and its schema.

    This is what turns a plain typed function into a tool: the model
    validates the arguments the LLM sent (``model_validate_json``), and the
    schema tells the LLM what to send. Sync and async functions are treated
    alike, since only the signature matters.

    Each parameter becomes a field. A description comes from
    ``Annotated[T, Field(description=...)]`` or a ``Field(...)`` default, and
    otherwise from the docstring's Google-style ``Args:`` section, so a
    documented function needs no extra markup. Parameters with a default are
    optional. Names in ``skip`` are left out entirely: they are for
    parameters the caller fills in itself, such as a run context.

    Raises:
        TypeError: for ``*args``/``**kwargs`` (a JSON object has no place for
            them) and for parameters without a type annotation (the schema
            would have to guess).
    """
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    name = getattr(fn, "__name__", type(fn).__name__)
    signature = inspect.signature(fn)
    hints = _type_hints(fn, skip)
    doc_descriptions = _docstring_args(inspect.getdoc(fn))

    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name in skip:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            stars = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise TypeError(
                f"{name}(): parameter {stars}{param.name} cannot be a tool input; "
                "tool arguments arrive as one JSON object, so use named parameters "
                f"(or list it in skip=)"
            )
        annotation = hints.get(param.name, param.annotation)
        if annotation is inspect.Parameter.empty:
            raise TypeError(
                f"{name}(): parameter {param.name!r} needs a type annotation "
                "to become part of the tool's input schema"
            )
        if isinstance(annotation, str):
            raise TypeError(
                f"{name}(): cannot resolve the annotation {annotation!r} of parameter "
                f"{param.name!r}; the type must be importable from the function's module "
                "(a class defined inside another function is not, under "
                "`from __future__ import annotations`)"
            )
        description = doc_descriptions.get(param.name)
        if description:
            # Placed first, so any explicit Field(description=...) in the
            # annotation or the default, merged after it, wins.
            annotation = _prepend_metadata(annotation, FieldInfo(description=description))
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)

    model: type[BaseModel] = create_model(
        name, __module__=getattr(fn, "__module__", None) or __name__, **fields
    )
    return model, schema_for(model)


def normalize(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a raw schema, in place, into what strict providers accept.

    OpenAI rejects ``"type": ["string", "null"]`` and Gemini rejects an
    array without ``items``; hand-written schemas (MCP tools, copied
    examples) contain both. Following Fantasy's ``Normalize``: every nested
    dict is visited; a ``type`` list becomes ``anyOf: [{"type": t}, ...]``
    (array variants get ``items: {}``) and the ``type`` key is removed; a
    ``"type": "array"`` without ``items`` gets ``items: {}``. Returns
    ``schema`` itself, for chaining.
    """
    for child in schema.values():
        if isinstance(child, dict):
            normalize(child)
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, dict):
                    normalize(item)

    types = schema.get("type")
    if not isinstance(types, list):
        if types == "array" and "items" not in schema:
            schema["items"] = {}
        return schema

    variants: list[dict[str, Any]] = []
    for t in types:
        variant: dict[str, Any] = {"type": t}
        if t == "array":
            variant["items"] = {}
        variants.append(variant)
    del schema["type"]
    schema["anyOf"] = variants
    return schema


def to_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """Return the properties of an object schema, as a tool's parameter map.

    Tools carry their parameters and required list separately (Fantasy's
    ``ToolInfo``), and the object wrapper is rebuilt when the tool is sent
    (`tool_input_schema`). A copy is returned so sending a tool can never
    alter the schema it was built from. Anything that is not an object
    schema with properties gives ``{}``.
    """
    if not isinstance(schema, dict):
        return {}
    if schema.get("type", "object") != "object":
        return {}
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return copy.deepcopy(properties)


def tool_input_schema(properties: dict[str, Any], required: list[str] | None) -> dict[str, Any]:
    """Return the input schema sent to a provider for one function tool.

    Like Fantasy, the object wrapper is rebuilt around the tool's parameters
    and the whole thing goes through `normalize`. ``required`` is sent as
    given, ``[]`` included (Fantasy's typed tools send ``[]`` when nothing is
    required); ``None`` leaves the key out rather than sending ``null``,
    which Fantasy only does by accident for hand-written tools and some
    providers reject. ``properties`` is copied, not normalized in place.
    """
    schema: dict[str, Any] = {"properties": copy.deepcopy(properties)}
    if required is not None:
        schema["required"] = list(required)
    schema["type"] = "object"
    return normalize(schema)


# --- pydantic output -> dialect ----------------------------------------------

_ANCHOR = "\x00anchor"
"""Hidden key on a node that holds an inlined definition: the ids of its inlinings.

It travels with the node's content through merges and union collapsing, and
`_link` turns it into the JSON pointer that recursive references point to."""

_NULL: dict[str, Any] = {"type": "null"}


class _Ref:
    """A reference, not yet a pointer, to the node where a definition is being inlined."""

    __slots__ = ("anchor",)

    def __init__(self, anchor: int):
        self.anchor = anchor

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ref) and other.anchor == self.anchor

    def __hash__(self) -> int:
        return hash(self.anchor)


_Stack = tuple[tuple[str, int], ...]
"""The definitions being inlined around the current node, each with its inlining id."""


class _Converter:
    """Rewrites pydantic's schema nodes into the dialect (see `schema_for`)."""

    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        self.anchors = 0

    def convert(self, node: Any, stack: _Stack) -> dict[str, Any]:
        """One complete node: its content, made nullable when it admits ``null``."""
        content, nullable = self.parts(node, stack)
        if content is None:
            return dict(_NULL)
        return _with_null(content) if nullable else content

    def parts(self, node: Any, stack: _Stack) -> tuple[dict[str, Any] | None, bool]:
        """The node's non-null content (None when it admits nothing but ``null``), and
        whether it admits ``null``."""
        if not isinstance(node, dict):
            return {}, False  # boolean schemas (``true``) say nothing useful to a model

        out: dict[str, Any] = {}
        nullable = False

        # What the node refers to or combines comes first, so that the node's own
        # keywords (a field's description, say) override the referenced type's.
        ref = node.get("$ref")
        if isinstance(ref, str):
            nullable |= self._reference(ref, stack, out)
        for part in node.get("allOf", ()):
            content, part_nullable = self.parts(part, stack)
            _merge(out, content or {})
            nullable |= part_nullable
        variants = node.get("anyOf") or node.get("oneOf")
        if isinstance(variants, list):
            content, union_nullable = self._union(variants, stack)
            if content is None:
                out["type"] = "null"
            else:
                _merge(out, content)
            nullable |= union_nullable

        own_type = node.get("type")
        if isinstance(own_type, str):
            out["type"] = own_type
        elif isinstance(own_type, list):
            kept = [t for t in own_type if t != "null"]
            if kept:
                out["type"] = kept[0] if len(kept) == 1 else kept
                nullable |= len(kept) < len(own_type)
            elif own_type:
                out["type"] = "null"

        values: list[Any] | None = None
        if "const" in node:
            values = [node["const"]]
        elif isinstance(node.get("enum"), list):
            values = list(node["enum"])
        if values is not None:
            kept_values = [v for v in values if v is not None]
            if kept_values:
                out["enum"] = kept_values
                nullable |= len(kept_values) < len(values)
                if "type" not in out and (inferred := _enum_type(kept_values)) is not None:
                    out["type"] = inferred
            elif values:
                out["type"] = "null"  # Literal[None]
                out.pop("enum", None)

        properties = node.get("properties")
        if isinstance(properties, dict):
            out["properties"] = {
                name: self.convert(prop, stack) for name, prop in properties.items()
            }
        elif own_type == "object":
            out.setdefault("properties", {})
        required = node.get("required")
        if isinstance(required, list) and required:
            out["required"] = list(required)

        if isinstance(node.get("items"), dict):
            out["items"] = self.convert(node["items"], stack)
        elif isinstance(node.get("prefixItems"), list):
            out["items"] = _collapse([self.convert(p, stack) for p in node["prefixItems"]])

        extra = node.get("additionalProperties")
        if extra is False:
            out["additionalProperties"] = False  # extra="forbid": other keys are rejected
        elif isinstance(extra, dict) and (value_schema := self.convert(extra, stack)):
            out["additionalProperties"] = value_schema

        _bounds(node, out)
        for key in _VERBATIM_KEYS:
            if key in node:
                out[key] = node[key]

        if out.get("type") == "null" and set(out) <= {"type", "description"}:
            return None, True  # nothing but null (``None``, ``Literal[None]``)
        return dict(sorted(out.items())), nullable

    def _reference(self, ref: str, stack: _Stack, out: dict[str, Any]) -> bool:
        """Inline a definition into ``out``, or point back at its enclosing inlining."""
        if not ref.startswith(_DEFS_PREFIX):
            return False
        name = ref[len(_DEFS_PREFIX) :].replace("~1", "/").replace("~0", "~")
        for inlined, anchor in reversed(stack):
            if inlined == name:
                # The pointer names the definition's non-null content; when the type
                # itself admits None (a recursive alias with None in it), so does this.
                out["$ref"] = _Ref(anchor)
                return self._admits_null(self.defs.get(name), frozenset({name}))
        self.anchors += 1
        anchor = self.anchors
        content, nullable = self.parts(self.defs.get(name), (*stack, (name, anchor)))
        if content is None:
            out["type"] = "null"
        elif content:
            _merge(out, content)
            out[_ANCHOR] = (*out.get(_ANCHOR, ()), anchor)
        return nullable

    def _admits_null(self, node: Any, seen: frozenset[str]) -> bool:
        """Whether a raw pydantic node accepts ``null`` at its top level."""
        if not isinstance(node, dict):
            return node is True
        kind = node.get("type")
        if kind == "null" or (isinstance(kind, list) and "null" in kind):
            return True
        if ("const" in node and node["const"] is None) or None in (node.get("enum") or ()):
            return True
        variants = node.get("anyOf") or node.get("oneOf") or ()
        if any(self._admits_null(v, seen) for v in variants):
            return True
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            name = ref[len(_DEFS_PREFIX) :].replace("~1", "/").replace("~0", "~")
            if name not in seen:
                return self._admits_null(self.defs.get(name), seen | {name})
        return False

    def _union(self, variants: list[Any], stack: _Stack) -> tuple[dict[str, Any] | None, bool]:
        """Union branches: null noted apart, duplicates merged, one branch left unwrapped."""
        nullable = False
        contents: list[dict[str, Any]] = []
        for variant in variants:
            content, variant_nullable = self.parts(variant, stack)
            nullable |= variant_nullable
            if content is not None:
                contents.append(content)
        if not contents:
            return None, nullable
        return _collapse(contents), nullable


def _collapse(branches: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema for several: duplicates merged, a single one unwrapped, else ``anyOf``."""
    kept: list[dict[str, Any]] = []
    for branch in branches:
        if not branch:
            return {}  # a union with Any in it accepts anything
        if branch not in kept:
            kept.append(branch)
    if len(kept) == 1:
        return dict(kept[0])
    return {"anyOf": kept}


def _with_null(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` or ``null``, with the description kept on the outer node."""
    if not content:
        return {}  # Any already admits null
    variants = content.get("anyOf")
    if isinstance(variants, list) and set(content) <= {"anyOf", "description"}:
        return {**content, "anyOf": [*variants, dict(_NULL)]}
    inner = dict(content)
    description = inner.pop("description", None)
    out: dict[str, Any] = {"anyOf": [inner, dict(_NULL)]}
    if description is not None:
        out["description"] = description
    return out


def _link(root: dict[str, Any]) -> dict[str, Any]:
    """Replace inlining marks and pending references by JSON pointers from ``root``."""
    pointers: dict[int, str] = {}
    pending: list[dict[str, Any]] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for anchor in node.pop(_ANCHOR, ()):
                pointers.setdefault(anchor, pointer)
            for key, child in node.items():
                if key == "$ref" and isinstance(child, _Ref):
                    pending.append(node)
                else:
                    walk(child, f"{pointer}/{_escape(key)}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{pointer}/{index}")

    walk(root, "#")
    for node in pending:
        target = pointers.get(node["$ref"].anchor)
        if target is None:  # the inlined node was dropped (a union with Any): anything goes
            del node["$ref"]
        else:
            node["$ref"] = target
    return root


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _merge(out: dict[str, Any], extra: dict[str, Any]) -> None:
    """Fold ``extra`` into ``out``; object parts combine (``allOf`` of two models)."""
    for key, value in extra.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = out[key] + [r for r in value if r not in out[key]]
        elif key == _ANCHOR:
            out[key] = (*out.get(key, ()), *value)
        else:
            out[key] = value


def _enum_type(values: list[Any]) -> str | None:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return None


def _bounds(node: dict[str, Any], out: dict[str, Any]) -> None:
    """Map inclusive and exclusive numeric bounds onto ``minimum``/``maximum``."""
    integer = node.get("type") == "integer"
    lows: list[float] = []
    highs: list[float] = []
    if _is_number(low := node.get("minimum")):
        lows.append(low)
    if _is_number(high := node.get("maximum")):
        highs.append(high)
    if _is_number(xlow := node.get("exclusiveMinimum")):
        lows.append(math.floor(xlow) + 1 if integer else xlow)
    if _is_number(xhigh := node.get("exclusiveMaximum")):
        highs.append(math.ceil(xhigh) - 1 if integer else xhigh)
    if lows:
        out["minimum"] = max(lows)
    if highs:
        out["maximum"] = min(highs)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- signatures ----------------------------------------------------------------


def _type_hints(fn: Callable[..., Any], skip: Collection[str]) -> dict[str, Any]:
    """Resolved annotations (string annotations included), keeping ``Annotated`` metadata.

    When the whole set cannot be resolved, typically because a skipped
    parameter's type is imported only under ``TYPE_CHECKING``, each remaining
    annotation is resolved on its own, so one unresolvable context type does
    not cost the others. Whatever still fails is left out; the caller then
    sees the raw string annotation and reports it.
    """
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target) or isinstance(target, type)):
        target = type(target).__call__  # a callable object: its annotations live on __call__
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:
        pass
    unwrapped = inspect.unwrap(target) if callable(target) else target
    annotations = getattr(unwrapped, "__annotations__", None) or {}
    globalns = getattr(unwrapped, "__globals__", None)
    hints: dict[str, Any] = {}
    for name, annotation in annotations.items():
        if name in skip or name == "return":
            continue
        holder = types.SimpleNamespace(__annotations__={name: annotation})
        try:
            hints.update(typing.get_type_hints(holder, globalns, include_extras=True))
        except Exception:
            continue
    return hints


def _prepend_metadata(annotation: Any, metadata: Any) -> Any:
    """``Annotated[T, metadata, *existing]``, so existing metadata keeps the last word."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *existing = typing.get_args(annotation)
        return cast(Any, typing.Annotated)[(base, metadata, *existing)]
    return cast(Any, typing.Annotated)[annotation, metadata]


_SECTION_HEADER = re.compile(r"^(\s*)(Args|Arguments|Parameters|Params)\s*:\s*$")
_ARG_LINE = re.compile(r"^\s*\**(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _docstring_args(doc: str | None) -> dict[str, str]:
    """Parameter descriptions from a Google-style ``Args:`` section.

    Continuation lines (indented deeper than the entry) are joined with a
    space. Anything that does not look like that section is ignored: a
    description is a courtesy to the model, never worth an error.
    """
    if not doc:
        return {}
    result: dict[str, str] = {}
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        header = _SECTION_HEADER.match(lines[i])
        i += 1
        if header is None:
            continue
        header_indent = len(header.group(1))
        entry_indent: int | None = None
        current: str | None = None
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= header_indent:
                break
            if entry_indent is None:
                entry_indent = indent
            match = _ARG_LINE.match(line) if indent == entry_indent else None
            if match is not None:
                current = match.group(1)
                result[current] = match.group(2).strip()
            elif current is not None and indent > entry_indent:
                result[current] = f"{result[current]} {line.strip()}".strip()
            i += 1
        break
    return {name: text for name, text in result.items() if text}
