"""Structured output: a JSON object matching a schema, generated or streamed.

This is the untyped core, as in Fantasy: an `ObjectCall` carries a JSON schema
and the result's ``object`` is decoded JSON (dicts, lists, scalars). The typed
layer on top (`fantasy.objects.typed`) turns pydantic models and dataclasses into
schemas and results back into instances.

A model obtains the JSON in one of three ways (`ObjectMode`):

* native: the provider's own JSON mode (OpenAI ``response_format``, the
  Responses API ``text.format``, Gemini ``responseJsonSchema``), asked for with
  `fantasy.model.ResponseFormat` on an ordinary `Call`;
* tool: one tool whose input schema is the object's, which the model must call
  (Fantasy's fallback, and the only way on Anthropic and OpenAI-compatible servers);
* text: the schema spelled out in the system prompt, the answer parsed as JSON.

Every mode goes through the model's ordinary ``agenerate`` / ``astream``, so
wire format, errors and retries are the provider's own.

Streamed partial objects are parsed incrementally (`fantasy.objects.partial_json`)
and emitted, as in Fantasy, only when they validate against the *full*
schema: with required properties a partial object appears once every required
key has a value (strings may still be growing). Each emitted object differs
from the one before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from collections.abc import Set as AbstractSet
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from fantasy import _json, _runtime
from fantasy.call_settings import CallSettings
from fantasy.call_settings import values as settings_values
from fantasy.errors import FantasyError, NoObjectGeneratedError
from fantasy.model import Call, ResponseFormat
from fantasy.objects.partial_json import MISSING, PartialJSONError, parse_partial
from fantasy.objects.partial_objects import PartialObjects
from fantasy.objects.validate import SchemaValidationError, Validator
from fantasy.types import (
    CallWarning,
    FinishReason,
    FunctionTool,
    Message,
    ObjectMode,
    Prompt,
    ProviderMetadata,
    ProviderOptions,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    Usage,
    system_message,
)

if TYPE_CHECKING:
    from fantasy.model import LanguageModel

__all__ = [
    "DEFAULT_TOOL_DESCRIPTION",
    "DEFAULT_TOOL_NAME",
    "ObjectCall",
    "ObjectMode",
    "ObjectResponse",
    "ObjectStreamPart",
    "ObjectStreamPartType",
    "PartialObjects",
    "RepairFunc",
    "generate",
    "generate_native",
    "generate_with_text",
    "generate_with_tool",
    "parse_and_validate",
    "parse_and_validate_with_repair",
    "stream",
    "stream_native",
    "stream_with_text",
    "stream_with_tool",
    "text_mode_instruction",
]

DEFAULT_TOOL_NAME = "generate_object"
DEFAULT_TOOL_DESCRIPTION = "Generate a structured object matching the schema"
DEFAULT_SCHEMA_NAME = "response"
"""The schema name native modes send when the call has none (Fantasy's default)."""


RepairFunc: TypeAlias = Callable[[str, BaseException], "str | Awaitable[str]"]
"""``(text, error) -> fixed text``, sync or async: a last chance for malformed JSON."""


@dataclass(slots=True)
class ObjectCall(CallSettings):
    """One structured-output request; ``None`` means "not set", as in `Call`.

    The generation settings are the fields of `CallSettings`, inherited, as on `Call`.
    Every field after ``schema`` is keyword-only.
    """

    prompt: Prompt
    schema: dict[str, Any]
    _: KW_ONLY
    schema_name: str = ""
    schema_description: str = ""
    user_agent: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    provider_options: ProviderOptions = field(default_factory=dict)
    repair_text: RepairFunc | None = None
    timeout: float | None = None
    """Seconds for the HTTP request; replaces the provider's timeout, as on `Call`."""

    def __post_init__(self) -> None:
        from fantasy._typecheck import check_fields

        check_fields(self, "ObjectCall")


@dataclass(slots=True)
class ObjectResponse:
    object: Any
    """The decoded JSON value (dicts, lists, str, int, float, bool, None)."""
    raw_text: str = ""
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = FinishReason.UNKNOWN
    warnings: list[CallWarning] = field(default_factory=list)
    provider_metadata: ProviderMetadata = field(default_factory=dict)


class ObjectStreamPartType(StrEnum):
    OBJECT = "object"
    TEXT_DELTA = "text-delta"
    ERROR = "error"
    FINISH = "finish"


@dataclass(slots=True)
class ObjectStreamPart:
    """One event of an object stream; ``type`` says which fields are meaningful.

    ``object`` parts carry a partial (then final) object; objects of successive
    parts share their completed sub-objects, so treat them as read-only.
    """

    type: ObjectStreamPartType
    object: Any = None
    delta: str = ""
    error: BaseException | None = None
    usage: Usage | None = None
    finish_reason: FinishReason | None = None
    warnings: list[CallWarning] | None = None
    provider_metadata: ProviderMetadata | None = None
    complete_ids: AbstractSet[int] | None = field(default=None, repr=False, compare=False)
    """``object`` parts from the incremental parser: the ids of the containers (dicts and
    lists) in ``object`` that are complete, which later parts share and which never
    change; the typed views validate those once. None when not known."""


# --------------------------------------------------------------------------- parsing


def _parse(text: str) -> Any:
    """Strict JSON first; else the lenient prefix parse (closes what is left open), which
    also says why JSON nested too deep is refused, and where."""
    try:
        return _json.loads(text)
    except ValueError:
        pass
    value, _ = parse_partial(text)
    return None if value is MISSING else value


def parse_and_validate(text: str, schema: dict[str, Any]) -> Any:
    """The object in ``text``, or `NoObjectGeneratedError` saying why not.

    As Fantasy's ParseAndValidate: truncated JSON is completed where it can be,
    and empty text is the value ``null`` (which the schema then usually rejects).
    """
    try:
        value = _parse(text)
    except PartialJSONError as exc:
        raise NoObjectGeneratedError(
            f"failed to parse object: {exc}", raw_text=text, parse_error=exc
        ) from exc
    try:
        _validate(value, schema)
    except SchemaValidationError as exc:
        raise NoObjectGeneratedError(
            f"object validation failed: {exc}", raw_text=text, validation_error=exc
        ) from exc
    return value


def _validate(value: Any, schema: dict[str, Any]) -> None:
    errors = Validator(schema).errors(value)
    if errors:
        raise SchemaValidationError(errors)


async def parse_and_validate_with_repair(
    text: str, schema: dict[str, Any], repair: RepairFunc | None
) -> Any:
    """`parse_and_validate`, then one repair attempt when it fails (Fantasy's rules).

    The repair function sees the text and the parse or validation error. If its
    text fails too, the error raised is the original one for a validation
    failure, and the new one (with the repaired text) for a parse failure.
    """
    try:
        return parse_and_validate(text, schema)
    except NoObjectGeneratedError as first:
        if repair is None:
            raise
        cause = first.parse_error or first.validation_error or first
        try:
            fixed = await _runtime.call_user(repair, text, cause)
        except Exception as exc:
            raise first from exc
        try:
            return parse_and_validate(str(fixed), schema)
        except NoObjectGeneratedError as second:
            if first.validation_error is not None:
                raise first from second
            raise


def _with_outcome(exc: NoObjectGeneratedError, usage: Usage, reason: FinishReason) -> None:
    exc.usage = usage
    exc.finish_reason = reason


# --------------------------------------------------------------------------- modes


def _mode(model: LanguageModel) -> str:
    """``"native"``, ``"tool"`` or ``"text"`` for this model, as Fantasy's providers decide."""
    mode = str(getattr(model, "object_mode", ObjectMode.AUTO) or ObjectMode.AUTO)
    if mode == ObjectMode.TEXT:
        return "text"
    if mode == ObjectMode.TOOL:
        return "tool"
    if mode not in (ObjectMode.AUTO, ObjectMode.JSON):
        raise ValueError(f"unknown object mode {mode!r}: use auto, json, tool or text")
    return "native" if getattr(model, "native_object_output", False) else "tool"


async def generate(model: LanguageModel, call: ObjectCall) -> ObjectResponse:
    """Generate an object in the mode the model is configured for."""
    mode = _mode(model)
    if mode == "native":
        return await generate_native(model, call)
    if mode == "text":
        return await generate_with_text(model, call)
    return await generate_with_tool(model, call)


def stream(model: LanguageModel, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
    """Stream an object in the mode the model is configured for."""
    mode = _mode(model)
    if mode == "native":
        return stream_native(model, call)
    if mode == "text":
        return stream_with_text(model, call)
    return stream_with_tool(model, call)


def _base_call(call: ObjectCall, prompt: Prompt | None = None, **extra: Any) -> Call:
    return Call(
        prompt=call.prompt if prompt is None else prompt,
        **settings_values(call),
        provider_options=call.provider_options,
        user_agent=call.user_agent,
        headers=dict(call.headers),
        timeout=call.timeout,
        **extra,
    )


def _native_call(call: ObjectCall) -> Call:
    fmt = ResponseFormat(
        schema=call.schema,
        name=call.schema_name or DEFAULT_SCHEMA_NAME,
        description=call.schema_description,
    )
    return _base_call(call, response_format=fmt)


def _tool_call(call: ObjectCall) -> Call:
    tool = FunctionTool(
        name=call.schema_name or DEFAULT_TOOL_NAME,
        description=call.schema_description or DEFAULT_TOOL_DESCRIPTION,
        input_schema=call.schema,
    )
    return _base_call(call, tools=[tool], tool_choice=tool.name)


def text_mode_instruction(schema: dict[str, Any]) -> str:
    """Fantasy's system-prompt instruction for text mode."""
    return (
        "You must respond with valid JSON that matches this schema: "
        f"{json.dumps(schema, separators=(',', ':'), ensure_ascii=False)}\n"
        "Respond ONLY with the JSON object, no additional text or explanation."
    )


def _text_prompt(call: ObjectCall) -> Prompt:
    """The instruction appended to every system message, or leading as a new one.

    As in Fantasy, a system message keeps only its first text (plus the instruction).
    """
    instruction = text_mode_instruction(call.schema)
    prompt: Prompt = []
    has_system = False
    for message in call.prompt:
        if message.role is Role.SYSTEM:
            has_system = True
            first = message.content[0] if message.content else None
            existing = first.text if isinstance(first, TextPart) else ""
            prompt.append(system_message(f"{existing}\n\n{instruction}"))
        else:
            prompt.append(message)
    if not has_system:
        prompt.insert(0, Message(Role.SYSTEM, [TextPart(instruction)]))
    return prompt


async def generate_native(model: LanguageModel, call: ObjectCall) -> ObjectResponse:
    """The provider's JSON mode: the answer's text is the object."""
    response = await model.agenerate(_native_call(call))
    return await _finish_text(call, response)


async def _finish_text(call: ObjectCall, response: Any) -> ObjectResponse:
    """The answer's text as the object (JSON mode, the text fallback); none is an error."""
    text = response.content.text
    if not text:
        raise NoObjectGeneratedError(
            "no object generated: no text content in response",
            parse_error=ValueError("no text content in response"),
            usage=response.usage,
            finish_reason=response.finish_reason,
        )
    return await _finish_generate(call, text, response)


async def _finish_generate(call: ObjectCall, text: str, response: Any) -> ObjectResponse:
    try:
        value = await parse_and_validate_with_repair(text, call.schema, call.repair_text)
    except NoObjectGeneratedError as exc:
        _with_outcome(exc, response.usage, response.finish_reason)
        raise
    return ObjectResponse(
        object=value,
        raw_text=text,
        usage=response.usage,
        finish_reason=response.finish_reason,
        warnings=list(response.warnings),
        provider_metadata=dict(response.provider_metadata or {}),
    )


async def generate_with_tool(model: LanguageModel, call: ObjectCall) -> ObjectResponse:
    """Fantasy's tool fallback: the input of the forced tool call is the object."""
    response = await model.agenerate(_tool_call(call))
    calls = response.content.tool_calls
    if not calls:
        raise NoObjectGeneratedError(
            "no object generated: no tool call generated",
            raw_text=response.content.text,
            parse_error=ValueError("no tool call generated"),
            usage=response.usage,
            finish_reason=response.finish_reason,
        )
    return await _finish_generate(call, calls[0].input, response)


async def generate_with_text(model: LanguageModel, call: ObjectCall) -> ObjectResponse:
    """Fantasy's text fallback: the schema is in the system prompt, the answer is JSON."""
    response = await model.agenerate(_base_call(call, _text_prompt(call)))
    return await _finish_text(call, response)


# --------------------------------------------------------------------------- streaming


@dataclass(slots=True)
class _StreamState:
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = FinishReason.UNKNOWN
    warnings: list[CallWarning] = field(default_factory=list)
    provider_metadata: ProviderMetadata = field(default_factory=dict)
    error: BaseException | None = None


_OBJECT = ObjectStreamPartType.OBJECT
_TEXT_DELTA = ObjectStreamPartType.TEXT_DELTA
# The parts made at every delta are built with positional arguments and the kinds read
# from module constants: keywords and the enum's class attribute cost a third more.


def _object_part(value: Any, complete_ids: AbstractSet[int] | None = None) -> ObjectStreamPart:
    return ObjectStreamPart(_OBJECT, value, "", None, None, None, None, None, complete_ids)


async def _translate(
    parts: AsyncIterator[StreamPart], call: ObjectCall, json_in_tool_input: bool
) -> AsyncIterator[ObjectStreamPart]:
    """Model stream parts to object stream parts.

    ``json_in_tool_input`` says where the JSON arrives: in tool-input deltas (tool
    mode) or in text deltas (native and text modes). Either way the JSON text is
    also passed on as ``text-delta`` parts, so ``raw text`` is the object's JSON.
    """
    objects = PartialObjects(call.schema)
    state = _StreamState()
    json_delta = (
        StreamPartType.TOOL_INPUT_DELTA if json_in_tool_input else StreamPartType.TEXT_DELTA
    )
    async with _runtime.closing(parts):
        async for part in parts:
            kind = part.type
            if kind is json_delta:
                if part.delta:
                    yield ObjectStreamPart(_TEXT_DELTA, None, part.delta)
                    value = objects.feed(part.delta)
                    if value is not MISSING:
                        yield _object_part(value, objects.complete_ids)
            elif kind is StreamPartType.TOOL_CALL and json_in_tool_input:
                try:
                    value = await parse_and_validate_with_repair(
                        part.tool_call_input, call.schema, call.repair_text
                    )
                except NoObjectGeneratedError:
                    pass
                else:
                    if objects.offer(value) is not MISSING:
                        yield _object_part(value)
            elif kind is StreamPartType.ERROR:
                state.error = part.error or FantasyError("stream error")
                yield ObjectStreamPart(ObjectStreamPartType.ERROR, error=state.error)
            elif kind is StreamPartType.FINISH:
                state.usage = part.usage or Usage()
                state.finish_reason = part.finish_reason or FinishReason.UNKNOWN
            elif kind is StreamPartType.WARNINGS:
                state.warnings = list(part.warnings or [])
            if part.provider_metadata:
                state.provider_metadata = part.provider_metadata
    if state.error is not None:
        return
    if objects.last is MISSING and (objects.error is not None or call.repair_text is not None):
        # The text stopped being JSON (or never validated): one last, whole-text attempt.
        try:
            value = await parse_and_validate_with_repair(
                objects.text, call.schema, call.repair_text
            )
        except NoObjectGeneratedError:
            pass
        else:
            objects.offer(value)
            yield _object_part(value)
    if objects.last is MISSING:
        why = f": {objects.error}" if objects.error is not None else ""
        yield ObjectStreamPart(
            ObjectStreamPartType.ERROR,
            error=NoObjectGeneratedError(
                f"no object generated: no valid object generated in stream{why}",
                raw_text=objects.text,
                parse_error=objects.error or ValueError("no valid object generated in stream"),
                usage=state.usage,
                finish_reason=state.finish_reason,
            ),
        )
        return
    yield ObjectStreamPart(
        ObjectStreamPartType.FINISH,
        usage=state.usage,
        finish_reason=state.finish_reason,
        warnings=state.warnings,
        provider_metadata=state.provider_metadata,
    )


def stream_native(model: LanguageModel, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
    """The provider's JSON mode, streamed: text deltas are the object's JSON."""
    return _translate(model.astream(_native_call(call)), call, json_in_tool_input=False)


def stream_with_tool(model: LanguageModel, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
    """Fantasy's tool fallback, streamed: tool-input deltas are the object's JSON."""
    return _translate(model.astream(_tool_call(call)), call, json_in_tool_input=True)


def stream_with_text(model: LanguageModel, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
    """Fantasy's text fallback, streamed."""
    return _translate(
        model.astream(_base_call(call, _text_prompt(call))), call, json_in_tool_input=False
    )
