"""Typed structured output: ask for a pydantic model (or dataclass, TypedDict...), get one.

The model's object methods (`fantasy.objects`) speak JSON schema and decoded
JSON. Python users think in types, so this layer derives the schema from the
output type with `fantasy.schema.schema_for` and validates every object back
into that type with pydantic. A plain ``dict`` JSON schema is accepted too;
objects then stay decoded JSON.

Streams are consumed once. Their views (`ObjectStream.partial_objects`,
`text_stream`, iterating the raw parts, `object` / `result`) all read the
same underlying stream and record what they see, so ``object()`` after a
loop over partial objects returns at once, and ``object()`` alone drains
the stream. The raw parts deliver errors as ``error`` parts; the typed views
raise them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar, Unpack, overload

from fantasy.call_settings import SETTING_NAMES, CallSettings, merge
from fantasy.call_settings import values as settings_values
from fantasy.errors import NoObjectGeneratedError
from fantasy.model_names import model_or_name
from fantasy.objects import ObjectCall, ObjectStreamPart, ObjectStreamPartType, RepairFunc
from fantasy.types import (
    CallWarning,
    FinishReason,
    Message,
    ProviderMetadata,
    ProviderOptions,
    Usage,
    system_message,
    user_message,
)

if TYPE_CHECKING:
    from fantasy.model import LanguageModel
    from fantasy.objects.typed_partials import TypedPartials

__all__ = [
    "AsyncObjectStream",
    "ObjectResult",
    "ObjectStream",
    "agenerate_object",
    "astream_object",
    "generate_object",
    "stream_object",
]

T = TypeVar("T")
U = TypeVar("U")


class ObjectOptions(TypedDict, total=False):
    """The keyword arguments of `generate_object` and friends; ``None`` means "not set"."""

    system_prompt: str | None
    """Sent as a system message before the prompt."""
    schema_name: str | None
    """The name the provider sees (default: the type's name)."""
    schema_description: str | None
    # The fields of fantasy.CallSettings, spelled out for mypy (a TypedDict cannot be
    # derived); tests/unit/test_call_settings.py fails when they drift.
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    provider_options: ProviderOptions | None
    headers: dict[str, str] | None
    user_agent: str | None
    repair_text: RepairFunc | None
    timeout: float | None
    """Seconds the HTTP request may take, as on `fantasy.Call`."""


@dataclass(slots=True)
class ObjectResult(Generic[T]):
    """A generated object, typed, with what the provider said about the call."""

    object: T
    raw_text: str = ""
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = FinishReason.UNKNOWN
    warnings: list[CallWarning] = field(default_factory=list)
    provider_metadata: ProviderMetadata = field(default_factory=dict)


class _Output:
    """The requested type: its schema, and how decoded JSON becomes an instance."""

    def __init__(self, output_type: Any):
        self.type = output_type
        self.is_schema = isinstance(output_type, dict)
        if self.is_schema:
            self.schema: dict[str, Any] = output_type
            self.name = ""
        else:
            from fantasy.schema import schema_for

            self.schema = schema_for(output_type)
            self.name = (
                getattr(output_type, "__name__", "") if isinstance(output_type, type) else ""
            )
        self._adapter: Any = None

    def adapter(self) -> Any:
        if self._adapter is None:
            from pydantic import TypeAdapter

            self._adapter = TypeAdapter(self.type)
        return self._adapter

    def convert(self, value: Any) -> Any:
        if self.is_schema:
            return value
        return self.adapter().validate_python(value)

    def partials(self) -> TypedPartials | None:
        """A converter for one stream's partial objects (None for a JSON schema)."""
        if self.is_schema:
            return None
        from fantasy.objects.typed_partials import TypedPartials, plan_for

        adapter = self.adapter()
        return TypedPartials(adapter.validate_python, plan_for(adapter.core_schema))

    def try_convert(self, value: Any) -> tuple[bool, Any]:
        try:
            return True, self.convert(value)
        except ValueError:  # pydantic's ValidationError is a ValueError
            return False, None


def _prompt(prompt: str | list[Message], system_prompt: str | None) -> list[Message]:
    if isinstance(prompt, str):
        messages = [user_message(prompt)]
    else:
        from fantasy._options import coerce_messages

        messages = coerce_messages(prompt, "generate_object")
    if system_prompt:
        messages.insert(0, system_message(system_prompt))
    return messages


def _call(
    output: _Output,
    prompt: str | list[Message],
    *,
    settings: CallSettings,
    system_prompt: str | None,
    schema_name: str | None,
    schema_description: str,
    provider_options: ProviderOptions | None,
    headers: dict[str, str] | None,
    user_agent: str,
    repair_text: RepairFunc | None,
    timeout: float | None,
) -> ObjectCall:
    return ObjectCall(
        prompt=_prompt(prompt, system_prompt),
        schema=output.schema,
        # As Go's object.Generate[T]: no name of the type's, so the provider's default
        # ("response" in native modes, "generate_object" in tool mode) goes out.
        schema_name="" if schema_name is None else schema_name,
        schema_description=schema_description,
        **settings_values(settings),
        provider_options=dict(provider_options or {}),
        headers=dict(headers or {}),
        user_agent=user_agent,
        repair_text=repair_text,
        timeout=timeout,
    )


def _result(output: _Output, response: Any) -> ObjectResult[Any]:
    try:
        value = output.convert(response.object)
    except ValueError as exc:
        raise NoObjectGeneratedError(
            f"no object generated: the object does not fit {output.type!r}: {exc}",
            raw_text=response.raw_text,
            validation_error=exc,
            usage=response.usage,
            finish_reason=response.finish_reason,
        ) from exc
    return ObjectResult(
        object=value,
        raw_text=response.raw_text,
        usage=response.usage,
        finish_reason=response.finish_reason,
        warnings=list(response.warnings),
        provider_metadata=dict(response.provider_metadata),
    )


@overload
def generate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: type[T],
    **options: Unpack[ObjectOptions],
) -> ObjectResult[T]: ...
@overload
def generate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: dict[str, Any],
    **options: Unpack[ObjectOptions],
) -> ObjectResult[Any]: ...
def generate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: Any,
    **options: Unpack[ObjectOptions],
) -> ObjectResult[Any]:
    """Generate one object of ``output_type`` (a type, or a JSON schema as a dict).

    ``prompt`` is the user's text or a list of messages; ``system_prompt`` adds a
    system message. Other options (`ObjectOptions`): ``schema_name`` (default: the
    provider's, ``response`` or ``generate_object``, as Go's ``object.Generate[T]``),
    ``schema_description``, the generation settings of `fantasy.CallSettings`
    (``temperature``, ``max_output_tokens``, ...), ``provider_options``,
    ``headers``, ``user_agent``, ``repair_text``, ``timeout`` (seconds, for the HTTP
    request, as on `fantasy.Call`). Raises `NoObjectGeneratedError`
    when the answer is not a valid object, `ProviderError` when the call fails.
    """
    _check_prompt("generate_object", prompt)
    opts = _options("generate_object", options)
    model = model_or_name(model)
    output = _checked(model, _Output(output_type))
    return _result(output, model.generate_object(_call(output, prompt, **opts)))


@overload
async def agenerate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: type[T],
    **options: Unpack[ObjectOptions],
) -> ObjectResult[T]: ...
@overload
async def agenerate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: dict[str, Any],
    **options: Unpack[ObjectOptions],
) -> ObjectResult[Any]: ...
async def agenerate_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: Any,
    **options: Unpack[ObjectOptions],
) -> ObjectResult[Any]:
    """The async face of `generate_object`."""
    _check_prompt("agenerate_object", prompt)
    opts = _options("agenerate_object", options)
    model = model_or_name(model)
    output = _checked(model, _Output(output_type))
    call = _call(output, prompt, **opts)
    return _result(output, await model.agenerate_object(call))


_OPTION_DEFAULTS: dict[str, Any] = {
    "system_prompt": None,
    "schema_name": None,
    "schema_description": "",
    "provider_options": None,
    "headers": None,
    "user_agent": "",
    "repair_text": None,
    "timeout": None,
}
"""The options besides the generation settings (`CallSettings`), at their defaults."""
_OPTION_NAMES = frozenset((*_OPTION_DEFAULTS, *SETTING_NAMES))


def _options(where: str, options: ObjectOptions) -> dict[str, Any]:
    """The call's options checked (names and types, as the agent checks its own): the
    generation settings as ``settings``, the others at their defaults when unset."""
    from fantasy._options import check_names, check_values

    check_names(where, options, _OPTION_NAMES)
    checked = check_values(where, options)
    given = {k: v for k, v in checked.items() if v is not None and k in _OPTION_DEFAULTS}
    return {**_OPTION_DEFAULTS, **given, "settings": merge(CallSettings(), checked)}


def _checked(model: Any, output: _Output) -> _Output:
    """An output type the provider cannot express fails before the call, naming the field."""
    from fantasy.schema_dialects import check_depth

    check_depth(output.schema, f"output type {output.name or 'schema'}")
    check = getattr(model, "check_schema", None)
    if check is not None:
        check(output.schema, f"output type {output.name or 'schema'}")
    return output


def _check_prompt(where: str, prompt: Any) -> None:
    if not isinstance(prompt, str | list):
        from fantasy.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"{where}: prompt must be a string or a list of messages, got {type(prompt).__name__}"
        )


_TEXT_DELTA = ObjectStreamPartType.TEXT_DELTA


class _Collector(Generic[T]):
    """What a stream has shown so far; shared by every view of one stream."""

    def __init__(self, output: _Output):
        self.output = output
        self.partials = output.partials()
        self.last: Any = None
        self.has_object = False
        self.last_raw: Any = None
        self.text: list[str] = []
        self.usage = Usage()
        self.finish_reason = FinishReason.UNKNOWN
        self.warnings: list[CallWarning] = []
        self.provider_metadata: ProviderMetadata = {}
        self.error: BaseException | None = None
        self.done = False

    def absorb(self, part: ObjectStreamPart) -> tuple[bool, Any]:
        """Record a part; (True, typed object) when it brings a new typed partial object."""
        kind = part.type
        if kind is ObjectStreamPartType.OBJECT:
            ok, value = self._convert(part)
            if ok and not (self.has_object and value == self.last):
                self.last, self.has_object, self.last_raw = value, True, part.object
                return True, value
        elif kind is ObjectStreamPartType.TEXT_DELTA:
            self.text.append(part.delta)
        elif kind is ObjectStreamPartType.ERROR:
            self.error = self.error or part.error
        elif kind is ObjectStreamPartType.FINISH:
            self.usage = part.usage or Usage()
            self.finish_reason = part.finish_reason or FinishReason.UNKNOWN
        if part.warnings:
            self.warnings = list(part.warnings)
        if part.provider_metadata:
            self.provider_metadata = part.provider_metadata
        return False, None

    def _convert(self, part: ObjectStreamPart) -> tuple[bool, Any]:
        """The part's object, typed; completed sub-objects are validated once per stream."""
        if self.partials is None:
            return self.output.try_convert(part.object)
        try:
            return True, self.partials.convert(part.object, part.complete_ids)
        except ValueError:  # pydantic's ValidationError is a ValueError
            return False, None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def result(self) -> ObjectResult[T]:
        self.raise_error()
        if not self.has_object:
            raise NoObjectGeneratedError(
                "no object generated: no valid object generated in stream",
                raw_text="".join(self.text),
                usage=self.usage,
                finish_reason=self.finish_reason,
            )
        raw = "".join(self.text) or json.dumps(self.last_raw)
        return ObjectResult(
            object=self.last,
            raw_text=raw,
            usage=self.usage,
            finish_reason=self.finish_reason,
            warnings=self.warnings,
            provider_metadata=self.provider_metadata,
        )


class ObjectStream(Generic[T]):
    """A streamed object (sync). Iterate it for the raw `ObjectStreamPart` s."""

    def __init__(self, parts: Iterator[ObjectStreamPart], output: _Output):
        self._parts = parts
        self._state: _Collector[T] = _Collector(output)

    @overload
    @classmethod
    def from_parts(
        cls, parts: Iterable[ObjectStreamPart], output_type: type[U]
    ) -> ObjectStream[U]: ...
    @overload
    @classmethod
    def from_parts(
        cls, parts: Iterable[ObjectStreamPart], output_type: dict[str, Any] | None = None
    ) -> ObjectStream[Any]: ...
    @classmethod
    def from_parts(
        cls, parts: Iterable[ObjectStreamPart], output_type: Any = None
    ) -> ObjectStream[Any]:
        """A stream over any iterable of object parts (Fantasy's ``NewStreamObjectResult``):
        a model's own ``stream_object``, a recorded list, a generator of your own.
        ``output_type`` types the objects (a type, or a JSON schema as a dict; None
        keeps the decoded JSON as it comes)."""
        return ObjectStream(iter(parts), _Output({} if output_type is None else output_type))

    def __iter__(self) -> Iterator[ObjectStreamPart]:
        for part in self._parts:
            self._state.absorb(part)
            yield part
        self._state.done = True

    def partial_objects(self) -> Iterator[T]:
        """Each new valid partial object, typed; raises the stream's error."""
        state = self._state
        for part in self._parts:
            if part.type is _TEXT_DELTA and not (part.warnings or part.provider_metadata):
                state.text.append(part.delta)  # most parts: what absorb would do, inline
                continue
            fresh, value = state.absorb(part)
            state.raise_error()
            if fresh:
                yield value
        state.done = True

    def text_stream(self) -> Iterator[str]:
        """The object's JSON text as it arrives; raises the stream's error."""
        for part in self._parts:
            self._state.absorb(part)
            self._state.raise_error()
            if part.type is ObjectStreamPartType.TEXT_DELTA and part.delta:
                yield part.delta
        self._state.done = True

    @property
    def result(self) -> ObjectResult[T]:
        """Drain the stream; the final object with usage and finish reason."""
        for part in self._parts:
            self._state.absorb(part)
        self._state.done = True
        return self._state.result()

    def object(self) -> T:
        """Drain the stream; the final object."""
        return self.result.object


class AsyncObjectStream(Generic[T]):
    """A streamed object (async). ``async for`` gives the raw `ObjectStreamPart` s."""

    def __init__(self, parts: AsyncIterator[ObjectStreamPart], output: _Output):
        self._parts = parts
        self._state: _Collector[T] = _Collector(output)

    @overload
    @classmethod
    def from_parts(
        cls, parts: AsyncIterable[ObjectStreamPart], output_type: type[U]
    ) -> AsyncObjectStream[U]: ...
    @overload
    @classmethod
    def from_parts(
        cls, parts: AsyncIterable[ObjectStreamPart], output_type: dict[str, Any] | None = None
    ) -> AsyncObjectStream[Any]: ...
    @classmethod
    def from_parts(
        cls, parts: AsyncIterable[ObjectStreamPart], output_type: Any = None
    ) -> AsyncObjectStream[Any]:
        """The async face of `ObjectStream.from_parts`."""
        output = _Output({} if output_type is None else output_type)
        return AsyncObjectStream(aiter(parts), output)

    async def __aiter__(self) -> AsyncIterator[ObjectStreamPart]:
        async for part in self._parts:
            self._state.absorb(part)
            yield part

    async def partial_objects(self) -> AsyncIterator[T]:
        state = self._state
        async for part in self._parts:
            if part.type is _TEXT_DELTA and not (part.warnings or part.provider_metadata):
                state.text.append(part.delta)  # most parts: what absorb would do, inline
                continue
            fresh, value = state.absorb(part)
            state.raise_error()
            if fresh:
                yield value

    async def text_stream(self) -> AsyncIterator[str]:
        async for part in self._parts:
            self._state.absorb(part)
            self._state.raise_error()
            if part.type is ObjectStreamPartType.TEXT_DELTA and part.delta:
                yield part.delta

    async def collect(self) -> ObjectResult[T]:
        """Drain the stream; the final object with usage and finish reason."""
        async for part in self._parts:
            self._state.absorb(part)
        return self._state.result()

    async def object(self) -> T:
        return (await self.collect()).object


@overload
def stream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: type[T],
    **options: Unpack[ObjectOptions],
) -> ObjectStream[T]: ...
@overload
def stream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: dict[str, Any],
    **options: Unpack[ObjectOptions],
) -> ObjectStream[Any]: ...
def stream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: Any,
    **options: Unpack[ObjectOptions],
) -> ObjectStream[Any]:
    """Stream one object of ``output_type``; options as `generate_object`."""
    _check_prompt("stream_object", prompt)
    opts = _options("stream_object", options)
    model = model_or_name(model)
    output = _checked(model, _Output(output_type))
    call = _call(output, prompt, **opts)
    return ObjectStream(iter(model.stream_object(call)), output)


@overload
def astream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: type[T],
    **options: Unpack[ObjectOptions],
) -> AsyncObjectStream[T]: ...
@overload
def astream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: dict[str, Any],
    **options: Unpack[ObjectOptions],
) -> AsyncObjectStream[Any]: ...
def astream_object(
    model: LanguageModel | str,
    prompt: str | list[Message],
    output_type: Any,
    **options: Unpack[ObjectOptions],
) -> AsyncObjectStream[Any]:
    """The async face of `stream_object`."""
    _check_prompt("astream_object", prompt)
    opts = _options("astream_object", options)
    model = model_or_name(model)
    output = _checked(model, _Output(output_type))
    call = _call(output, prompt, **opts)
    return AsyncObjectStream(model.astream_object(call), output)
