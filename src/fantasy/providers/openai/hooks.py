"""Per-model hooks for the Chat Completions providers (Fantasy's ``WithLanguageModelOptions``).

OpenAI-compatible servers differ in small ways: a finish reason spelled their own way,
reasoning in a field of their own, usage somewhere else. Rather than a provider class
per server, a model takes `ChatHooks`: each hook given replaces one step of the
provider's translation, and every step's default is public, so a hook can call the
default and patch its result::

    from fantasy.providers import openaicompat
    from fantasy.providers.openai import ChatHooks

    def finish(raw: str) -> fantasy.FinishReason:
        if raw == "end_of_turn":              # this server's own spelling of "stop"
            return fantasy.FinishReason.STOP
        return openaicompat.DEFAULT_HOOKS.map_finish_reason(raw)

    model = provider.language_model("my-model", hooks=ChatHooks(map_finish_reason=finish))

Every hook works on the wire's JSON (dicts), since this library has no SDK types:

- ``prepare_call(model, body, call)``: put the call's provider options on the request
  body (it may change anything already in it); returns warnings. It runs where
  Fantasy's does: after the messages and sampling settings, before the tools.
- ``to_prompt(prompt, provider, model_id)``: the prompt as Chat Completions messages,
  and warnings.
- ``map_finish_reason(raw)``: a ``finish_reason`` string as a `FinishReason` (a
  response with tool calls is ``TOOL_CALLS`` whatever it says, as in Fantasy).
- ``extra_content(choice)``: content beyond text and tool calls, from ``choices[0]``.
- ``usage(response)``: a whole response's `Usage` and the provider metadata to put
  under the metadata key (or None).
- ``stream_usage(chunk)``: the same for a stream chunk whose ``usage`` is not null;
  None when it carries none.
- ``stream_extra()``: a new stream's `ChatStreamExtension`, whose ``feed(chunk,
  first_delta)`` returns the parts of each chunk beyond text and tool calls and whose
  ``close()`` those that end it. Fantasy's hook is a function with a context map;
  here the state lives in the object, typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fantasy._record import Record, field_names
from fantasy.providers.openai.chat_response import map_finish_reason
from fantasy.types import JSON, CallWarning, Content, FinishReason, Message, Usage

if TYPE_CHECKING:
    from fantasy.model import Call
    from fantasy.providers.openai.chat import ChatCodecBase
    from fantasy.providers.openai.chat_stream import ChatStreamExtension
    from fantasy.providers.openai.provider import ChatLanguageModel

PrepareCallHook = Callable[["ChatLanguageModel", JSON, "Call"], list[CallWarning]]
ToPromptHook = Callable[[list[Message], str, str], tuple[list[JSON], list[CallWarning]]]
MapFinishReasonHook = Callable[[str], FinishReason]
ExtraContentHook = Callable[[JSON], list[Content]]
UsageHook = Callable[[JSON], tuple[Usage, Any]]
StreamUsageHook = Callable[[JSON], "tuple[Usage, Any] | None"]
StreamExtraHook = Callable[[], "ChatStreamExtension | None"]


class ChatHooks(Record, frozen=True):
    """Steps of a Chat Completions model's translation to replace; None keeps the
    provider's own. See the module's docstring for each hook's contract."""

    __slots__ = (
        "prepare_call",
        "to_prompt",
        "map_finish_reason",
        "extra_content",
        "usage",
        "stream_usage",
        "stream_extra",
    )

    prepare_call: PrepareCallHook | None
    to_prompt: ToPromptHook | None
    map_finish_reason: MapFinishReasonHook | None
    extra_content: ExtraContentHook | None
    usage: UsageHook | None
    stream_usage: StreamUsageHook | None
    stream_extra: StreamExtraHook | None

    def __init__(
        self,
        *,
        prepare_call: PrepareCallHook | None = None,
        to_prompt: ToPromptHook | None = None,
        map_finish_reason: MapFinishReasonHook | None = None,
        extra_content: ExtraContentHook | None = None,
        usage: UsageHook | None = None,
        stream_usage: StreamUsageHook | None = None,
        stream_extra: StreamExtraHook | None = None,
    ) -> None:
        object.__setattr__(self, "prepare_call", prepare_call)
        object.__setattr__(self, "to_prompt", to_prompt)
        object.__setattr__(self, "map_finish_reason", map_finish_reason)
        object.__setattr__(self, "extra_content", extra_content)
        object.__setattr__(self, "usage", usage)
        object.__setattr__(self, "stream_usage", stream_usage)
        object.__setattr__(self, "stream_extra", stream_extra)

    def merged(self, override: ChatHooks | None) -> ChatHooks:
        """These hooks with those set in ``override`` in their place (a model's hooks
        over its provider's)."""
        if override is None:
            return self
        hooks = {name: getattr(self, name) for name in field_names(self)}
        for name in field_names(override):
            if getattr(override, name) is not None:
                hooks[name] = getattr(override, name)
        return ChatHooks(**hooks)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in field_names(self))


def check_hooks(hooks: object) -> ChatHooks | None:
    """``hooks=`` as given to a provider or a model: a `ChatHooks` or None, each hook
    callable; anything else is refused with what was given."""
    from fantasy.errors import InvalidArgumentError

    if hooks is None:
        return None
    if not isinstance(hooks, ChatHooks):
        raise InvalidArgumentError(
            f"hooks must be a fantasy.providers.openai.ChatHooks, got {type(hooks).__name__}"
        )
    for name in field_names(hooks):
        value = getattr(hooks, name)
        if value is not None and not callable(value):
            raise InvalidArgumentError(
                f"ChatHooks.{name} must be callable, got {type(value).__name__}"
            )
    return hooks


def default_hooks(make_codec: Callable[[str, str], ChatCodecBase[Any]]) -> ChatHooks:
    """A provider's own steps as hooks: ``make_codec(model_id, provider_name)`` builds
    that provider's codec. Steps that depend on the model (its options, its messages)
    build one for the model they are given; the others read the wire alone."""
    bare = make_codec("", "")

    def prepare_call(model: ChatLanguageModel, body: JSON, call: Call) -> list[CallWarning]:
        warnings: list[CallWarning] = []
        codec = make_codec(model.model_id, model.provider_name)
        codec.prepare_options(body, call, warnings, merge_extra_body=True)
        return warnings

    def to_prompt(
        prompt: list[Message], provider: str, model_id: str
    ) -> tuple[list[JSON], list[CallWarning]]:
        return make_codec(model_id, provider).to_messages(prompt)

    return ChatHooks(
        prepare_call=prepare_call,
        to_prompt=to_prompt,
        map_finish_reason=map_finish_reason,
        extra_content=bare.extra_content,
        usage=bare.usage,
        stream_usage=bare.stream_usage,
        stream_extra=bare.stream_extension,
    )


__all__ = [
    "ChatHooks",
    "ExtraContentHook",
    "MapFinishReasonHook",
    "PrepareCallHook",
    "StreamExtraHook",
    "StreamUsageHook",
    "ToPromptHook",
    "UsageHook",
    "check_hooks",
    "default_hooks",
]
