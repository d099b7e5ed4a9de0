"""Per-model hooks for local models: Fantasy's kronk ``WithLanguageModelPrepareCallFunc``,
``WithLanguageModelToPromptFunc`` and ``WithLanguageModelMapFinishReasonFunc``.

Each hook given replaces one step of the translation; the defaults are public, so a
hook can call the default and patch its result::

    from fantasy.providers import llamacpp

    def prepare(model, request, call):
        warnings = llamacpp.DEFAULT_HOOKS.prepare_call(model, request, call)
        request.stop.append("<|end|>")          # this model's own end marker
        return warnings

    model = provider.language_model(hooks=llamacpp.LocalHooks(prepare_call=prepare))

- ``prepare_call(model, request, call)``: put the call's provider options on the
  `Request` (sampling, stop strings, grammar, the template's variables); returns
  warnings. It runs after the common settings (temperature, top_p, ...) are set and
  before the prompt is rendered and the tools' grammar made (a ``grammar`` it sets
  replaces that one).
- ``to_prompt(prompt, provider, model_id)``: the prompt as chat-template messages
  (OpenAI's shape), and warnings. For a template that knows no tools, the messages
  it returns are then rewritten (`prompt.without_native_tools`).
- ``map_finish_reason(raw)``: ``"stop"``, ``"length"`` or ``"tool_calls"`` as a
  `FinishReason`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from fantasy._typecheck import check_fields
from fantasy.errors import InvalidArgumentError
from fantasy.providers.llamacpp.engine import Request
from fantasy.providers.llamacpp.options import (
    FANTASY_NAME,
    NAME,
    UNSUPPORTED_OPTIONS,
    ProviderOptions,
)
from fantasy.providers.llamacpp.prompt import to_messages
from fantasy.types import JSON, CallWarning, CallWarningType, FinishReason, Prompt

if TYPE_CHECKING:
    from fantasy.model import Call
    from fantasy.providers.llamacpp.model import LlamaCppLanguageModel

PrepareCallHook = Callable[["LlamaCppLanguageModel", Request, "Call"], list[CallWarning]]
ToPromptHook = Callable[[Prompt, str, str], tuple[list[JSON], list[CallWarning]]]
MapFinishReasonHook = Callable[[str], FinishReason]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalHooks:
    """Steps of a local model's translation to replace; None keeps the default."""

    prepare_call: PrepareCallHook | None = None
    to_prompt: ToPromptHook | None = None
    map_finish_reason: MapFinishReasonHook | None = None

    def merged(self, override: LocalHooks | None) -> LocalHooks:
        """These hooks with those set in ``override`` in their place."""
        if override is None:
            return self
        if not isinstance(override, LocalHooks):
            raise InvalidArgumentError("llamacpp hooks should be a llamacpp.LocalHooks")
        changes = {
            f.name: getattr(override, f.name)
            for f in fields(override)
            if getattr(override, f.name) is not None
        }
        return replace(self, **changes)


def provider_options(call: Call) -> ProviderOptions:
    """The call's options, under ``"llamacpp"`` or Fantasy's ``"kronk"`` (a
    `ProviderOptions`, or its JSON shape)."""
    value = call.provider_options.get(NAME)
    if value is None:
        value = call.provider_options.get(FANTASY_NAME)
    if value is None:
        return ProviderOptions()
    if isinstance(value, Mapping):
        return ProviderOptions.from_dict(value)
    if not isinstance(value, ProviderOptions):
        raise InvalidArgumentError(
            "llamacpp provider options should be fantasy.providers.llamacpp.ProviderOptions"
        )
    check_fields(value, f"{NAME} provider options")
    if value.stop is not None and not all(isinstance(s, str) for s in value.stop):
        raise InvalidArgumentError("llamacpp stop should be a list of strings")
    return value


def prepare_call(model: Any, request: Request, call: Call) -> list[CallWarning]:
    """The default ``prepare_call`` (Fantasy's ``DefaultPrepareCallFunc``): the call's
    `ProviderOptions` onto the request; options llama-cpp-python cannot apply are
    warned about."""
    options = provider_options(call)
    warnings = [
        CallWarning(
            CallWarningType.UNSUPPORTED_SETTING,
            setting=name,
            details="llama-cpp-python's sampler does not take it",
        )
        for name in UNSUPPORTED_OPTIONS
        if getattr(options, name) is not None
    ]
    if options.grammar is not None:
        request.grammar = options.grammar
    if options.min_p is not None:
        request.min_p = options.min_p
    if options.top_k is not None:
        request.top_k = options.top_k
    if options.repeat_penalty is not None:
        request.repeat_penalty = options.repeat_penalty
    if options.repeat_last_n is not None:
        request.repeat_last_n = options.repeat_last_n
    if options.seed is not None:
        request.seed = options.seed
    if options.stop is not None:
        request.stop = list(options.stop)
    if options.num_predict is not None:  # negative: no limit, as in llama.cpp
        request.max_tokens = options.num_predict if options.num_predict >= 0 else None
    if options.enable_thinking is not None:
        request.template_variables["enable_thinking"] = options.enable_thinking
    if options.reasoning_effort is not None:
        request.template_variables["reasoning_effort"] = options.reasoning_effort
    return warnings


FINISH_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
}


def map_finish_reason(raw: str) -> FinishReason:
    """The default ``map_finish_reason``."""
    return FINISH_REASONS.get(raw, FinishReason.UNKNOWN)


DEFAULT_HOOKS = LocalHooks(
    prepare_call=prepare_call, to_prompt=to_messages, map_finish_reason=map_finish_reason
)
"""Every hook's default; `LocalHooks` given to a provider or model replace some."""
