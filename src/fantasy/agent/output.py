"""Typed output for an agent run: ``Agent(model, tools=[...], output_type=Invoice)``.

The run uses its tools as long as the model wants, then its last answer is validated
into ``output_type`` (``result.output``). How the model is asked for that answer is a
mode, chosen per step from what the model says it can do (never from its provider):

* ``native``: the provider's structured output (`fantasy.model.ResponseFormat`), when
  the model honours it (``native_object_output``) and, if the step has tools, can
  combine it with them (``native_output_with_tools``);
* ``tool``: a final-answer tool (`FINAL_TOOL_NAME`) whose input is the output; the
  run ends when the model calls it with a valid input;
* ``text``: the schema in the system prompt, the answer's text parsed leniently
  (truncated JSON closed, a fenced or embedded JSON value found).

An answer that does not validate goes back to the model with the validation message
(a failed final-tool result, or a user message), up to ``output_retries`` times; then
the run raises `NoObjectGeneratedError` with the last text. The schema and its checks,
the lenient parser and the partial objects of a stream are `fantasy.objects`'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fantasy.errors import InvalidArgumentError, NoObjectGeneratedError
from fantasy.model import Call, ResponseFormat
from fantasy.objects.core import parse_and_validate, text_mode_instruction
from fantasy.objects.partial_json import MISSING
from fantasy.objects.partial_objects import PartialObjects
from fantasy.types import (
    Content,
    FunctionTool,
    Message,
    ObjectMode,
    Role,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
    system_message,
    user_message,
)

FINAL_TOOL_NAME = "final_result"
"""The final-answer tool of ``tool`` mode."""
DEFAULT_OUTPUT_RETRIES = 2
"""How many invalid answers a run sends back to the model before it raises."""
OUTPUT_MODES = ("auto", "native", "tool", "text")
WRAP_KEY = "result"
"""A schema whose root is not an object (a scalar, a list, a union) travels as
``{"result": ...}``: tool inputs and OpenAI's strict outputs must be objects."""

_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _object_root(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" and not any(k in schema for k in ("anyOf", "oneOf"))


class OutputSpec:
    """An output type: its schema (wrapped when its root is not an object), how the
    model is asked for it, and how an answer becomes a value of it."""

    def __init__(self, output_type: Any, mode: str | None, retries: int | None, where: str):
        from fantasy.objects.typed import _Output

        if output_type is None:
            raise InvalidArgumentError(f"{where}: output_type must be a type other than None")
        self.mode = mode or "auto"
        if self.mode not in OUTPUT_MODES:
            raise InvalidArgumentError(
                f"{where}: output_mode must be one of {', '.join(OUTPUT_MODES)}, got {mode!r}"
            )
        self.retries = DEFAULT_OUTPUT_RETRIES if retries is None else retries
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise InvalidArgumentError(f"{where}: output_retries must be an int >= 0")
        try:
            self.target = _Output(output_type)
        except Exception as exc:
            raise InvalidArgumentError(
                f"{where}: output_type {output_type!r} has no JSON schema: {exc}"
            ) from exc
        schema = self.target.schema
        self.wrapped = not _object_root(schema)
        self.schema: dict[str, Any] = (
            {
                "type": "object",
                "properties": {WRAP_KEY: schema},
                "required": [WRAP_KEY],
                "additionalProperties": False,
            }
            if self.wrapped
            else schema
        )
        self.name = self.target.name or "output"

    # ------------------------------------------------------------------ modes

    def mode_for(self, model: Any, has_tools: bool) -> str:
        """This step's mode: the user's, else the model's ``object_mode`` if it forces
        tool or text, else native when the model can (with tools, if the step has any)."""
        if self.mode != "auto":
            return self.mode
        object_mode = str(getattr(model, "object_mode", ObjectMode.AUTO) or ObjectMode.AUTO)
        if object_mode == ObjectMode.TEXT:
            return "text"
        if object_mode == ObjectMode.TOOL:
            return "tool"
        if getattr(model, "native_object_output", False) and (
            not has_tools or getattr(model, "native_output_with_tools", False)
        ):
            return "native"
        return "tool"

    def check(self, model: Any, has_tools: bool) -> None:
        """A schema the provider cannot express fails before any request, naming the field."""
        from fantasy.schema_dialects import check_depth

        check_depth(self.schema, f"output type {self.name}")
        if self.mode == "native" and not getattr(model, "native_object_output", False):
            raise InvalidArgumentError(
                f"output_mode='native': {type(model).__name__} has no native structured "
                "output (its requests would drop it); use 'auto', 'tool' or 'text'"
            )
        check = getattr(model, "check_schema", None)
        if check is None:
            return
        mode = self.mode_for(model, has_tools)
        if mode == "tool":
            check(self.schema, f'tool "{FINAL_TOOL_NAME}"')
        elif mode == "native":
            check(self.schema, f"output type {self.name}")

    def prepare(self, call: Call, mode: str) -> None:
        """Ask for the output in this step's request."""
        if mode == "native":
            call.response_format = ResponseFormat(schema=self.schema, name=self.name)
        elif mode == "tool":
            call.tools.append(
                FunctionTool(
                    FINAL_TOOL_NAME,
                    f"Give the final answer ({self.name}). Call this once you have what you "
                    "need, instead of answering in text.",
                    self.schema,
                )
            )
        else:
            call.prompt = _with_instruction(call.prompt, text_mode_instruction(self.schema))

    # ------------------------------------------------------------------ values

    def parse(self, text: str) -> Any:
        """The output in an answer's JSON text; `NoObjectGeneratedError` saying why not."""
        try:
            value = parse_and_validate(text, self.schema)
        except NoObjectGeneratedError:
            embedded = _embedded_json(text)
            if embedded is None:
                raise
            value = parse_and_validate(embedded, self.schema)
        return self.convert(value, text)

    def convert(self, value: Any, text: str) -> Any:
        if self.wrapped:
            value = value[WRAP_KEY]
        try:
            return self.target.convert(value)
        except ValueError as exc:
            raise NoObjectGeneratedError(
                f"object validation failed: {exc}", raw_text=text, validation_error=exc
            ) from exc

    def partials(self) -> PartialOutputs:
        return PartialOutputs(self)


def _embedded_json(text: str) -> str | None:
    """The last resort of text mode: JSON in a code fence, or between the first brace
    (or bracket) and the last."""
    fenced = _FENCED.search(text)
    if fenced:
        return fenced.group(1)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]"))
    return text[start : end + 1] if end > start else text[start:]


def _with_instruction(prompt: list[Message], instruction: str) -> list[Message]:
    out: list[Message] = []
    has_system = False
    for message in prompt:
        if message.role is Role.SYSTEM and not has_system:
            has_system = True
            texts = [p.text for p in message.content if isinstance(p, TextPart)]
            out.append(system_message("\n\n".join([*texts, instruction])))
        else:
            out.append(message)
    if not has_system:
        out.insert(0, system_message(instruction))
    return out


class PartialOutputs:
    """A stream's growing output: JSON deltas in, each new valid typed value out
    (linear in the stream, through `PartialObjects`)."""

    def __init__(self, spec: OutputSpec):
        self.spec = spec
        self.objects = PartialObjects(spec.schema)
        self.last: Any = MISSING

    def feed(self, delta: str) -> Any:
        value = self.objects.feed(delta)
        return MISSING if value is MISSING else self._typed(value)

    def offer(self, value: Any) -> Any:
        """A value known whole (the last one, validated): emitted unless already seen."""
        if self.last is not MISSING and value == self.last:
            return MISSING
        self.last = value
        return value

    def _typed(self, value: Any) -> Any:
        if self.spec.wrapped:
            if not isinstance(value, dict) or WRAP_KEY not in value:
                return MISSING
            value = value[WRAP_KEY]
        ok, typed = self.spec.target.try_convert(value)
        if not ok:
            return MISSING
        return self.offer(typed)


@dataclass(slots=True)
class StepOutcome:
    """What a step's answer meant for the output: a value, or a retry to send."""

    done: bool = False
    value: Any = None
    retry: bool = False
    content: list[Content] | None = None
    """Results for final-tool calls, to add to the step's content."""
    message: Message | None = None
    """A user message asking again, to add to the step's history."""


class OutputState:
    """One run's output: the spec, the invalid answers so far, the value once valid."""

    def __init__(self, spec: OutputSpec):
        self.spec = spec
        self.failures = 0
        self.done = False
        self.value: Any = None
        self.retry_pending = False
        self.error: NoObjectGeneratedError | None = None
        """Set when the retries are spent; the run raises it once the step is kept."""
        self.mode = spec.mode

    def step_mode(self, model: Any, has_tools: bool) -> str:
        self.mode = self.spec.mode_for(model, has_tools)
        return self.mode

    def is_final_call(self, call: ToolCallContent) -> bool:
        return (
            self.mode == "tool" and call.tool_name == FINAL_TOOL_NAME and not call.provider_executed
        )

    def settle(self, calls: Sequence[ToolCallContent], text: str | None) -> StepOutcome:
        """Read a step's answer. ``calls`` are its final-tool calls; ``text`` its text,
        read when the model called no client tool (the answer is then the output).
        When the retries are spent, ``error`` is set (the caller raises it)."""
        self.retry_pending = False
        outcome = StepOutcome()
        if calls:
            outcome.content = []
            error: NoObjectGeneratedError | None = None
            for call in calls:
                if outcome.done:
                    outcome.content.append(
                        _tool_result(call, ToolResultOutputText("Final result already given."))
                    )
                    continue
                try:
                    value = self.spec.parse(call.input)
                except NoObjectGeneratedError as exc:
                    error = exc
                    message = f"{exc}\nFix the errors and call {FINAL_TOOL_NAME} again."
                    outcome.content.append(_tool_result(call, ToolResultOutputError(message)))
                else:
                    outcome.done, outcome.value = True, value
                    outcome.content.append(
                        _tool_result(call, ToolResultOutputText("Final result processed."))
                    )
            if outcome.done:
                self.done, self.value = True, outcome.value
                return outcome
            assert error is not None
            return self._failed(outcome, error, calls[-1].input, ask=False)
        if text is None:
            return outcome
        try:
            value = self.spec.parse(text)
        except NoObjectGeneratedError as exc:
            return self._failed(outcome, exc, text, ask=True)
        self.done, self.value = True, value
        outcome.done, outcome.value = True, value
        return outcome

    def _failed(
        self, outcome: StepOutcome, error: NoObjectGeneratedError, text: str, ask: bool
    ) -> StepOutcome:
        self.failures += 1
        if self.failures > self.spec.retries:
            self.error = NoObjectGeneratedError(
                f"no valid output after {self.failures} answer(s) "
                f"(output_retries={self.spec.retries}): {error}",
                raw_text=text,
                parse_error=error.parse_error,
                validation_error=error.validation_error,
            )
            self.error.__cause__ = error
            return outcome
        self.retry_pending = outcome.retry = True
        if ask:
            if self.mode == "tool":
                why = f"Give your final answer by calling the {FINAL_TOOL_NAME} tool."
                if text.strip():
                    why = f"{why} (Your answer as text was not valid: {error})"
            else:
                why = f"{error}\nAnswer again with only the JSON value, fixing the errors."
            outcome.message = user_message(why)
        return outcome


def _tool_result(call: ToolCallContent, output: Any) -> ToolResultContent:
    return ToolResultContent(call.tool_call_id, call.tool_name, output)


class StreamOutput:
    """One streamed step's growing output: the JSON deltas of its mode (text, or the
    final tool's input) to new valid typed values."""

    __slots__ = ("final_id", "mode", "partials")

    def __init__(self, state: OutputState):
        self.mode = state.mode
        self.partials = PartialOutputs(state.spec)
        self.final_id: str | None = None

    def see(self, part: StreamPart) -> StreamPart | None:
        """The ``output`` part of a new partial output this part brings, if any."""
        kind = part.type
        value: Any = MISSING
        if self.mode == "tool":
            if kind is StreamPartType.TOOL_INPUT_DELTA:
                if part.id == self.final_id and part.delta:
                    value = self.partials.feed(part.delta)
            elif (
                kind is StreamPartType.TOOL_INPUT_START
                and part.tool_call_name == FINAL_TOOL_NAME
                and self.final_id is None
            ):
                self.final_id = part.id
        elif kind is StreamPartType.TEXT_DELTA and part.delta:
            value = self.partials.feed(part.delta)
        return None if value is MISSING else StreamPart(StreamPartType.OUTPUT, output=value)

    def final(self, value: Any) -> StreamPart | None:
        """The ``output`` part of the validated value, unless the last partial was it."""
        if self.partials.offer(value) is MISSING:
            return None
        return StreamPart(StreamPartType.OUTPUT, output=value)
