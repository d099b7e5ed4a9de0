"""Tools the model can call: definitions, the ``@tool`` decorator, and what tools return.

A tool's schema is derived from its input type (a pydantic model, dataclass or
TypedDict taken as the single argument) or from a typed function signature, so
the schema the model sees and the validation the input gets cannot drift apart.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeAlias, overload

from fantasy import _json, _runtime
from fantasy._record import Record
from fantasy.types import ProviderDefinedTool, ProviderOptions


class ToolCall(Record, frozen=True):
    """What a tool is given besides its parsed input: the call id, name and raw JSON input."""

    __slots__ = ("id", "name", "input")

    id: str
    name: str
    input: str

    def __init__(self, id: str, name: str, input: str) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "input", input)


class ToolResponse(Record):
    """A tool's answer. Build it with the class methods; a plain ``str`` return also works."""

    __slots__ = ("type", "content", "data", "media_type", "metadata", "is_error", "stop_turn")

    type: str
    """``"text"``, ``"image"`` or ``"media"``; anything else is treated as text."""
    content: str
    data: bytes
    media_type: str
    metadata: str
    """JSON for your application (not sent to the model); becomes the result's client metadata."""
    is_error: bool
    stop_turn: bool
    """End the agent run after this step's results, instead of asking the model again."""

    def __init__(
        self,
        type: str = "text",
        content: str = "",
        data: bytes = b"",
        media_type: str = "",
        metadata: str = "",
        is_error: bool = False,
        stop_turn: bool = False,
    ) -> None:
        self.type = type
        self.content = content
        self.data = data
        self.media_type = media_type
        self.metadata = metadata
        self.is_error = is_error
        self.stop_turn = stop_turn

    @classmethod
    def text(cls, content: str, *, stop_turn: bool = False) -> ToolResponse:
        return cls("text", content, stop_turn=stop_turn)

    @classmethod
    def error(cls, content: str, *, stop_turn: bool = False) -> ToolResponse:
        """A failure the model should see and may recover from; the loop goes on."""
        return cls("text", content, is_error=True, stop_turn=stop_turn)

    @classmethod
    def image(cls, data: bytes, media_type: str, text: str = "") -> ToolResponse:
        return cls("image", text, data, media_type)

    @classmethod
    def media(cls, data: bytes, media_type: str, text: str = "") -> ToolResponse:
        return cls("media", text, data, media_type)

    def with_metadata(self, value: Any) -> ToolResponse:
        """Attach JSON-serialisable metadata; a value that cannot be serialised is ignored."""
        if value is None:
            return self
        with contextlib.suppress(TypeError, ValueError):
            self.metadata = json.dumps(value, separators=(",", ":"))
        return self

    @property
    def media_base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


NeedsApproval: TypeAlias = "bool | Callable[[Any], bool | Awaitable[bool]]"
"""A tool's ``needs_approval``: a constant, or a function of the call's validated input."""


class Denied(Record, frozen=True):
    """A "no" to a tool call that needed approval, with a reason the model sees.

    Return it from an ``approve`` callback, or give it in ``approvals=`` when resuming
    (``False`` is a denial without a reason). The tool does not run; the model gets an
    error result ``denied: <reason>`` for the call and the run goes on.
    """

    __slots__ = ("reason",)

    reason: str

    def __init__(self, reason: str = "") -> None:
        object.__setattr__(self, "reason", reason)


class PendingCall(Record, frozen=True):
    """A tool call the run did not settle itself: one waiting for approval, or one
    whose result comes from outside the run (a deferred tool).

    ``input`` is the call's input validated by the tool (the value its function
    would receive: a pydantic model, a dataclass, ...), ``raw_input`` the JSON the
    model sent. An ``approve`` callback receives one of these; a paused run lists
    them in ``result.pending_approvals`` and ``result.pending_calls``.
    """

    __slots__ = ("tool_call_id", "tool_name", "input", "raw_input", "kind")

    tool_call_id: str
    tool_name: str
    input: Any
    raw_input: str
    kind: Literal["approval", "deferred"]

    def __init__(
        self,
        tool_call_id: str,
        tool_name: str,
        input: Any,
        raw_input: str,
        kind: Literal["approval", "deferred"] = "approval",
    ) -> None:
        object.__setattr__(self, "tool_call_id", tool_call_id)
        object.__setattr__(self, "tool_name", tool_name)
        object.__setattr__(self, "input", input)
        object.__setattr__(self, "raw_input", raw_input)
        object.__setattr__(self, "kind", kind)


class ToolInfo(Record, factories={"required": list}):
    __slots__ = ("name", "description", "parameters", "required", "parallel", "schema")
    name: str
    description: str
    parameters: dict[str, Any]
    """The ``properties`` map of the input schema."""
    required: list[str]
    parallel: bool
    """Safe to run alongside other calls of the same step: both faces run such calls
    concurrently (at most 5 at once), keeping their results in call order."""
    schema: dict[str, Any] | None
    """The whole input schema, for a tool that has one beyond ``parameters`` and
    ``required`` (an MCP server's, with ``$defs`` or ``additionalProperties``): sent to
    the model as given. None (every ``@tool``) sends the object built from the two."""

    def __init__(
        self,
        name: str,
        description: str,
        parameters: dict[str, Any],
        required: list[str] | None = None,
        parallel: bool = False,
        schema: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.parameters = parameters
        self.required = [] if required is None else required
        self.parallel = parallel
        self.schema = schema


class AgentTool:
    """A tool the agent can run. Subclass it, or use ``@fantasy.tool`` on a function."""

    info: ToolInfo
    provider_options: ProviderOptions | None = None
    timeout: float | None = None
    """Seconds a run may take; past that the model gets a "timed out" error result and
    the agent goes on (a sync tool's thread cannot be killed: it is abandoned)."""
    needs_approval: NeedsApproval = False
    """Ask before running a call: ``True`` for every call, or a function of the call's
    validated input (the value `parse_input` returns; sync or async) that says whether
    this call needs it, e.g. ``lambda inp: inp.amount > 100``. The agent's ``approve``
    callback answers at once; without one the run pauses with the call in
    ``result.pending_approvals`` (see README, "Human in the loop"). A call whose input
    does not validate is not asked about: it runs, and the model gets the error."""
    deferred: bool = False
    """The result is produced outside the run (a human, a queue, another service): the
    run never calls `run`; it pauses with the call in ``result.pending_calls`` and is
    resumed with ``tool_results={call_id: value}``."""

    @property
    def name(self) -> str:
        return self.info.name

    def parse_input(self, call: ToolCall) -> Any:
        """The call's input as the tool reads it, for `needs_approval` and `PendingCall`;
        raises `ValueError` when it is not valid. Here the decoded JSON."""
        return _json.loads(call.input) if call.input.strip() else {}

    async def run(self, call: ToolCall) -> ToolResponse:
        raise NotImplementedError


class ExecutableProviderTool:
    """A provider-defined tool (computer use, say) whose calls run here, on the client."""

    def __init__(
        self,
        definition: ProviderDefinedTool,
        run: Callable[[ToolCall], Any],
        *,
        free_form_input: bool = False,
        needs_approval: NeedsApproval = False,
    ):
        self.definition = definition
        self._run = run
        self.free_form_input = free_form_input
        """The model's input is plain text, not a JSON object (OpenAI's custom tools):
        it is given to ``run`` as it came, without JSON validation or repair."""
        self.needs_approval = needs_approval
        """As `AgentTool.needs_approval`; the function gets the decoded JSON input (the
        text itself for a free-form tool)."""

    @property
    def name(self) -> str:
        return self.definition.name

    def parse_input(self, call: ToolCall) -> Any:
        """The input `needs_approval` sees: the text as it came for a free-form tool,
        else the decoded JSON (`ValueError` when it is not JSON)."""
        if self.free_form_input:
            return call.input
        return _json.loads(call.input) if call.input.strip() else {}

    async def run(self, call: ToolCall) -> ToolResponse:
        return as_response(await _invoke(self._run, call))


async def _invoke(fn: Callable[..., Any], *args: Any) -> Any:
    if _runtime.is_coroutine_function(fn):
        return await _runtime.call_user(fn, *args)
    return await _runtime.run_in_worker(fn, *args)


def as_response(value: Any) -> ToolResponse:
    """What a tool returned, as a response: a string as text, None as empty text,
    anything else as its JSON."""
    if isinstance(value, ToolResponse):
        return value
    if isinstance(value, str):
        return ToolResponse.text(value)
    if value is None:
        return ToolResponse.text("")
    from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

    try:
        return ToolResponse.text(to_json(value).decode())
    except PydanticSerializationError as exc:
        # A string holding a lone surrogate does not encode: it is sent with U+FFFD in
        # its place, as all text is (`fantasy._json`). Anything else stays an error.
        try:
            plain = to_jsonable_python(value)
        except PydanticSerializationError:
            raise exc from None
        return ToolResponse.text(
            _json.valid_text(json.dumps(plain, ensure_ascii=False, separators=(",", ":")))
        )


class TypedTool(AgentTool):
    """A function plus the pydantic model its JSON input is validated into."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        description: str,
        input_model: Any,
        schema: dict[str, Any],
        single_argument: bool,
        call_param: str | None,
        parallel: bool,
        provider_options: ProviderOptions | None,
        timeout: float | None = None,
        needs_approval: NeedsApproval = False,
        deferred: bool = False,
    ):
        self.fn = fn
        self.timeout = timeout
        self.needs_approval = needs_approval
        self.deferred = deferred
        self.input_model = input_model
        self.schema = schema
        self._single = single_argument
        self._call_param = call_param
        self.info = ToolInfo(
            name=name,
            description=description,
            parameters=dict(schema.get("properties") or {}),
            required=list(schema.get("required") or []),
            parallel=parallel,
        )
        self.provider_options = provider_options

    def parse_input(self, call: ToolCall) -> Any:
        """The validated input (what the function receives: its single argument, or a
        model whose attributes are its parameters); `ValueError` when it does not
        validate (pydantic's ValidationError is one)."""
        raw = call.input if call.input and call.input.strip() != "null" else "{}"
        from pydantic import ValidationError

        try:
            return self.input_model.validate_json(raw)
        except ValidationError as exc:
            fixed = _readable_json(raw, exc)
            if fixed is None:
                raise
            return self.input_model.validate_json(fixed)

    async def run(self, call: ToolCall) -> ToolResponse:
        from pydantic import ValidationError

        try:
            # An empty or ``null`` input means "no arguments", as Go's json.Unmarshal
            # into a struct reads it.
            raw = call.input if call.input and call.input.strip() != "null" else "{}"
            parsed = self.input_model.validate_json(raw)
        except ValidationError as exc:
            fixed = _readable_json(raw, exc)
            if fixed is None:
                return ToolResponse.error(f"invalid parameters: {_short_validation_error(exc)}")
            try:
                parsed = self.input_model.validate_json(fixed)
            except ValidationError as again:
                return ToolResponse.error(f"invalid parameters: {_short_validation_error(again)}")
        kwargs: dict[str, Any] = {}
        if self._call_param:
            kwargs[self._call_param] = call
        if self._single:
            result = await _invoke(_bind(self.fn, kwargs), parsed)
        else:
            result = await _invoke(_bind(self.fn, {**_model_fields(parsed), **kwargs}))
        return as_response(result)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The decorated function stays callable as itself."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"TypedTool(name={self.info.name!r})"


def _readable_json(raw: str, exc: Any) -> str | None:
    """``raw`` as `fantasy._json.loads` reads it (a lone surrogate escape as U+FFFD), for
    input pydantic's stricter parser refused as JSON; None when that cannot help."""
    if not any(e.get("type") == "json_invalid" for e in exc.errors(include_url=False)):
        return None
    try:
        value = _json.loads(raw)
    except ValueError:
        return None
    fixed = json.dumps(value, ensure_ascii=False)
    return fixed if fixed != raw else None


def _model_fields(values: Any) -> dict[str, Any]:
    if hasattr(values, "model_dump"):
        return {k: getattr(values, k) for k in type(values).model_fields}
    return dict(values)


def _bind(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    import inspect

    if not kwargs:
        return fn
    if inspect.iscoroutinefunction(fn):

        async def bound_async(*args: Any) -> Any:
            return await fn(*args, **kwargs)

        return bound_async

    def bound(*args: Any) -> Any:
        return fn(*args, **kwargs)

    return bound


def _short_validation_error(exc: Any) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err.get("loc", ())) or "input"
        problems.append(f"{where}: {err.get('msg')}")
    return "; ".join(problems)


def _is_structured_type(annotation: Any) -> bool:
    import dataclasses

    from typing_extensions import is_typeddict

    if isinstance(annotation, type):
        if hasattr(annotation, "model_json_schema"):
            return True
        if dataclasses.is_dataclass(annotation):
            return True
    return bool(is_typeddict(annotation))


def _make_tool(
    fn: Callable[..., Any],
    name: str | None,
    description: str | None,
    parallel: bool,
    provider_options: ProviderOptions | None,
    timeout: float | None = None,
    needs_approval: NeedsApproval = False,
    deferred: bool = False,
) -> TypedTool:
    import inspect

    from pydantic import TypeAdapter

    from fantasy import schema as schema_mod

    hints = _type_hints(fn)
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    call_param = next((p.name for p in params if hints.get(p.name) is ToolCall), None)
    value_params = [p for p in params if p.name != call_param]
    tool_name = name or fn.__name__
    doc = inspect.getdoc(fn) or ""
    tool_description = description if description is not None else doc.split("\n\n")[0].strip()
    if len(value_params) == 1 and _is_structured_type(hints.get(value_params[0].name)):
        model = hints[value_params[0].name]
        adapter: Any = TypeAdapter(model)
        return TypedTool(
            fn,
            name=tool_name,
            description=tool_description,
            input_model=adapter,
            schema=schema_mod.schema_for(model),
            single_argument=True,
            call_param=call_param,
            parallel=parallel,
            provider_options=provider_options,
            timeout=timeout,
            needs_approval=needs_approval,
            deferred=deferred,
        )
    skip = (call_param,) if call_param else ()
    model, tool_schema = schema_mod.schema_for_signature(fn, skip=skip)
    return TypedTool(
        fn,
        name=tool_name,
        description=tool_description,
        input_model=TypeAdapter(model),
        schema=tool_schema,
        single_argument=False,
        call_param=call_param,
        parallel=parallel,
        provider_options=provider_options,
        timeout=timeout,
        needs_approval=needs_approval,
        deferred=deferred,
    )


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        return dict(getattr(fn, "__annotations__", {}))


@overload
def tool(fn: Callable[..., Any], /) -> TypedTool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    parallel: bool = False,
    provider_options: ProviderOptions | None = None,
    timeout: float | None = None,
    needs_approval: NeedsApproval = False,
    deferred: bool = False,
) -> Callable[[Callable[..., Any]], TypedTool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parallel: bool = False,
    provider_options: ProviderOptions | None = None,
    timeout: float | None = None,
    needs_approval: NeedsApproval = False,
    deferred: bool = False,
) -> TypedTool | Callable[[Callable[..., Any]], TypedTool]:
    """Turn a typed function (sync or async) into a tool.

    The input is either one parameter typed as a pydantic model, dataclass or
    TypedDict, or plain typed parameters (describe them with
    ``Annotated[int, Field(description=...)]``). A parameter typed `ToolCall`
    receives the call itself. Return a ``str``, a `ToolResponse`, or anything
    JSON-serialisable. An exception raised by the tool becomes an error result
    the model sees; raise `fantasy.ToolCriticalError` to stop the run instead.
    The name defaults to the function's, the description to its docstring's
    first paragraph. ``timeout`` (seconds) bounds each run: a tool that takes
    longer gives the model an error result and the agent goes on.

    ``needs_approval`` (``True``, or a function of the validated input returning
    whether this call needs it, sync or async) makes each call wait for a yes or
    `Denied` from the agent's ``approve`` callback, or pause the run until the
    caller resumes it with ``approvals=``. ``deferred=True`` declares a tool whose
    result comes from outside the run: the function is never called (it gives the
    name, the schema and the description); the run pauses and is resumed with
    ``tool_results=``. See README, "Human in the loop".
    """

    def decorate(f: Callable[..., Any]) -> TypedTool:
        return _make_tool(
            f, name, description, parallel, provider_options, timeout, needs_approval, deferred
        )

    if fn is not None:
        return decorate(fn)
    return decorate
