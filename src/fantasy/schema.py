"""JSON schemas for tool inputs and structured output, in Fantasy's dialect.

Fantasy describes tool parameters with a deliberately small JSON-schema
subset: ``type``, ``properties``, ``required``, ``items``, ``description``,
``enum``, ``format``, ``minimum``, ``maximum``, ``minLength``, ``maxLength``.
Every provider we talk to understands that subset (Gemini's converter keeps
even less of it), so a schema that stays inside it behaves the same on every
provider. Pydantic already knows how to turn Python types into JSON schema;
this module lets it do that and then rewrites the result into the dialect:
references are inlined, titles and defaults are dropped, ``Optional[X]``
becomes ``X``, and so on (see `schema_for` for the full list).

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
from collections.abc import Callable, Collection, Iterable
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
    because what the model writes is fed straight back into that validation.

    How pydantic's output is bent into the dialect, and why:

    * ``$ref``/``$defs`` are inlined: several providers reject references.
      A type that appears again inside itself (a linked list's ``next``)
      becomes a bare ``{"type": "object"}`` at the second occurrence, which
      is Fantasy's recursion guard and keeps the schema finite.
    * ``title``, ``default``, ``examples`` and any keyword outside the
      dialect (``pattern``, ``multipleOf``, ``uniqueItems``...) are dropped.
      Titles only repeat the field name; defaults matter to the validator,
      not to the model that writes the arguments.
    * ``Optional[X]`` becomes ``X``: like a Go pointer in Fantasy, "may be
      null" is not advertised. Whether the field is *required* is pydantic's
      own notion: fields without a default. Other unions become ``anyOf``
      (with ``null`` removed), the same shape `normalize` produces for type
      lists, since a union genuinely offers the model a choice.
    * ``Literal`` and ``Enum`` become ``enum`` with a ``type`` inferred from
      the values when they share one.
    * ``dict[str, V]`` becomes ``{"type": "object", "properties": {},
      "additionalProperties": V}``. Fantasy writes ``properties: {"*": V}``,
      but models (and validators) read ``"*"`` as a literal key name, while
      ``additionalProperties`` is the standard way of saying "any key, values
      of this shape". When ``V`` is unconstrained (``dict[str, Any]``) the
      keyword is left out.
    * ``ge``/``le`` become ``minimum``/``maximum``. ``gt``/``lt`` have no
      place in the dialect, so they become ``minimum``/``maximum`` too: exact
      for integers (``gt=0`` is ``minimum: 1``), an approximation that admits
      the bound itself for floats. Pydantic still enforces the strict bound.
    * Heterogeneous tuples (``prefixItems``) become ``items`` holding the
      single element schema, or an ``anyOf`` of the distinct ones.
    * ``Any`` stays ``{}``. Fantasy maps Go's ``any`` to an object, but
      Python's ``Any`` means any JSON value, and an object-only schema would
      push the model into wrapping scalars.

    Objects always carry ``properties`` (possibly empty), except the
    recursion guard. ``required`` is left out when nothing is required.
    Schema keywords come out sorted, as Go's ``encoding/json`` writes
    Fantasy's schema maps; property names keep their declaration order,
    because that order is what a model follows when it writes the object.
    """
    from pydantic import TypeAdapter

    raw = TypeAdapter(tp).json_schema(mode="validation")
    defs = raw.get("$defs", {})
    return _convert(raw, defs if isinstance(defs, dict) else {}, frozenset())


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


def _convert(node: Any, defs: dict[str, Any], path: frozenset[str]) -> dict[str, Any]:
    """Rewrite one pydantic schema node; ``path`` holds the definitions being inlined."""
    if not isinstance(node, dict):
        return {}  # boolean schemas (``true``) say nothing useful to a model

    out: dict[str, Any] = {}

    # What the node refers to or combines comes first, so that the node's own
    # keywords (a field's description, say) override the referenced type's.
    ref = node.get("$ref")
    if isinstance(ref, str):
        _merge(out, _resolve(ref, defs, path))
    for part in node.get("allOf", ()):
        _merge(out, _convert(part, defs, path))
    variants = node.get("anyOf") or node.get("oneOf")
    if isinstance(variants, list):
        _merge(out, _union(_convert(v, defs, path) for v in variants))

    own_type = node.get("type")
    if isinstance(own_type, str):
        out["type"] = own_type
    elif isinstance(own_type, list):
        kept = [t for t in own_type if t != "null"]
        if kept:
            out["type"] = kept[0] if len(kept) == 1 else kept

    values: list[Any] | None = None
    if "const" in node:
        values = [node["const"]]
    elif isinstance(node.get("enum"), list):
        values = list(node["enum"])
    if values is not None:
        values = [v for v in values if v is not None]  # Literal["a", None]: None is Optional's job
        if values:
            out["enum"] = values
            if "type" not in out and (inferred := _enum_type(values)) is not None:
                out["type"] = inferred

    properties = node.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {name: _convert(prop, defs, path) for name, prop in properties.items()}
    elif own_type == "object":
        out.setdefault("properties", {})
    required = node.get("required")
    if isinstance(required, list) and required:
        out["required"] = list(required)

    if isinstance(node.get("items"), dict):
        out["items"] = _convert(node["items"], defs, path)
    elif isinstance(node.get("prefixItems"), list):
        out["items"] = _union(_convert(p, defs, path) for p in node["prefixItems"])

    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and (value_schema := _convert(extra, defs, path)):
        out["additionalProperties"] = value_schema

    _bounds(node, out)
    for key in _VERBATIM_KEYS:
        if key in node:
            out[key] = node[key]

    return dict(sorted(out.items()))


def _resolve(ref: str, defs: dict[str, Any], path: frozenset[str]) -> dict[str, Any]:
    if not ref.startswith(_DEFS_PREFIX):
        return {}
    name = ref[len(_DEFS_PREFIX) :].replace("~1", "/").replace("~0", "~")
    if name in path:
        return {"type": "object"}
    return _convert(defs.get(name), defs, path | {name})


def _merge(out: dict[str, Any], extra: dict[str, Any]) -> None:
    """Fold ``extra`` into ``out``; object parts combine (``allOf`` of two models)."""
    for key, value in extra.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = out[key] + [r for r in value if r not in out[key]]
        else:
            out[key] = value


def _union(branches: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Collapse converted union branches: null dropped, duplicates merged, one left unwrapped."""
    kept: list[dict[str, Any]] = []
    for branch in branches:
        if branch == {"type": "null"} or branch in kept:
            continue
        if not branch:
            return {}  # a union with Any in it accepts anything
        kept.append(branch)
    if not kept:
        return {"type": "null"}
    if len(kept) == 1:
        return dict(kept[0])
    return {"anyOf": kept}


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
