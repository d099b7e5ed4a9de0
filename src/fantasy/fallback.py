"""Fallback models: when one model fails with an outage, ask the next.

``FallbackModel(primary, *fallbacks)`` is a language model like any other: an
agent, `generate_object` and `stream_object` take it, on both faces. Each call
goes to the primary first; when that fails with an error the policy (``on=``)
names, the same call goes to the next model at once, and so on down the list.

How it meets the agent's retries: fallback happens inside each attempt. An
attempt walks the list until a model answers; only when every model has failed
does the agent's retry policy see the failure (a `FallbackError`, retryable when
the last model's error is), wait, and start the next attempt from the primary
again. So an outage of the primary costs one failed request per call, not the
whole backoff, and a primary that recovers is used again at once.

A stream falls back only while nothing of the answer has reached the caller:
a failure before the first part (an HTTP error, a refused connection, an error
event first thing) moves on to the next model; a failure after text or a tool
call was streamed is the caller's, as it is without a fallback (a second model
would answer differently after what was shown). Warnings a failed model sent
before failing are dropped with it.

Each model takes its own provider options: ``(model, {"anthropic": ...})`` in
place of a model adds them, for that model only, to the call's (its own win
under the same key).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from fantasy import _runtime
from fantasy.errors import (
    FantasyError,
    InvalidArgumentError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StreamInterruptedError,
)
from fantasy.model import BaseLanguageModel, Call, LanguageModel, Response
from fantasy.persistence.registry import persisted
from fantasy.retry import find_provider_error, is_user_error, mark_user_error
from fantasy.types import (
    ObjectMode,
    ProviderMetadata,
    ProviderOptions,
    StreamPart,
    StreamPartType,
)

if TYPE_CHECKING:
    from fantasy.objects import ObjectCall, ObjectResponse, ObjectStreamPart

__all__ = [
    "DEFAULT_FALLBACK_ERRORS",
    "FallbackError",
    "FallbackFailure",
    "FallbackMetadata",
    "FallbackModel",
    "default_fallback_on",
]

METADATA_KEY = "fallback"
"""Where a `FallbackModel`'s answer keeps its `FallbackMetadata` in ``provider_metadata``."""

DEFAULT_FALLBACK_ERRORS: tuple[type[ProviderError], ...] = (
    RateLimitError,
    ProviderUnavailableError,
    ProviderTimeoutError,
    StreamInterruptedError,
)
"""The kinds of failure the default policy falls back on: rate limits and quotas, 5xx
and overload and refused connections, timeouts, streams cut off before any output."""


def default_fallback_on(error: BaseException) -> bool:
    """The default policy: the provider's own passing fault, never the request's.

    True for the kinds in `DEFAULT_FALLBACK_ERRORS`, for a plain `ProviderError` the
    provider marks retryable (a 409, ``x-should-retry``, a corrupt stream frame) and for
    a bare ``ConnectionError`` / ``TimeoutError``. False for a request the provider
    refused (`InvalidRequestError`, `ContextWindowError`), a refused key
    (`AuthenticationError`), an answer that is not the API's (`InvalidResponseError`),
    and anything your own code raised.
    """
    if is_user_error(error):
        return False
    found = find_provider_error(error)
    if found is None:
        return isinstance(error, ConnectionError | TimeoutError)
    if isinstance(found, DEFAULT_FALLBACK_ERRORS):
        return True
    return type(found) is ProviderError and found.is_retryable


FallbackOn: TypeAlias = (
    type[BaseException]
    | Callable[[BaseException], bool]
    | Sequence[type[BaseException] | Callable[[BaseException], bool]]
)
"""An exception type, a predicate of the error, or a list of them (any one matching)."""

OnFallback: TypeAlias = Callable[[BaseException, LanguageModel, LanguageModel], Any]
"""Told the error, the model that failed and the model tried next; may be async."""

ModelEntry: TypeAlias = LanguageModel | str | tuple[LanguageModel | str, ProviderOptions]
"""A model, a model name (``"openai:gpt-4o"``), or either with its own provider options."""


# --------------------------------------------------------------------------- results


@dataclass(slots=True, kw_only=True)
class FallbackFailure:
    """A model that failed before another answered."""

    provider: str
    model: str
    error: str
    """The error's kind and text, e.g. ``RateLimitError: too many requests: ...``."""


@persisted("fallback.metadata", omit_empty=["failures"])
@dataclass(slots=True, kw_only=True)
class FallbackMetadata:
    """Which model of a `FallbackModel` answered, under ``provider_metadata["fallback"]``
    of the response (and of the agent's step, and of an object result)."""

    provider: str
    """The provider of the model that answered (``"anthropic"``)."""
    model: str
    """Its model id (``"claude-sonnet-4"``)."""
    index: int = 0
    """Its place in the list: 0 for the primary."""
    failures: list[FallbackFailure] = field(default_factory=list)
    """The models that failed before it, in order."""


class FallbackError(FantasyError):
    """Every model a `FallbackModel` tried failed.

    ``errors`` holds each model's error in the order they were tried (the last one
    last), ``models`` their ``provider:model`` names. It is retryable (by the agent)
    when the last error is, and it is raised only once a fallback has happened: a
    primary that fails with an error the policy does not name is raised as it is.
    """

    def __init__(self, errors: Sequence[BaseException], models: Sequence[str]):
        self.errors = list(errors)
        self.models = list(models)
        summary = "; ".join(
            f"{name}: {_describe(error, 300)}"
            for name, error in zip(self.models, self.errors, strict=True)
        )
        super().__init__(
            f"every model failed ({summary})",
            title="fallback error",
            cause=self.errors[-1] if self.errors else None,
        )

    @property
    def last_error(self) -> BaseException | None:
        return self.errors[-1] if self.errors else None


def _describe(error: BaseException, limit: int) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(model: LanguageModel) -> str:
    return f"{model.provider}:{model.model}"


# --------------------------------------------------------------------------- the model

P = TypeVar("P")


class FallbackModel(BaseLanguageModel):
    """A language model that tries the next model when the current one fails.

    ``FallbackModel(primary, *fallbacks, on=..., on_fallback=...)``. Each model may be
    a model, a name (``"anthropic:claude-sonnet-4"``), or a ``(model, provider_options)``
    pair whose options are added to the call's for that model only.

    ``on`` says which failures move on to the next model: an exception type, a
    predicate of the error, or a list of them (default: `default_fallback_on`: rate
    limits, 5xx and overload, timeouts, refused connections, streams cut off before
    any output; never a request the provider refused as wrong). Types match the error
    or the `ProviderError` inside it. Any other failure is raised at once.

    ``on_fallback(error, failed_model, next_model)`` hears of each fallback before the
    next model is asked (it may be async; what it raises ends the call). The model
    that answered is named in ``provider_metadata["fallback"]`` (a `FallbackMetadata`),
    and when every model fails, a `FallbackError` holds each one's error.
    """

    provider_name = "fallback"

    def __init__(
        self,
        primary: ModelEntry,
        *fallbacks: ModelEntry,
        on: FallbackOn | None = None,
        on_fallback: OnFallback | None = None,
    ):
        entries = [_entry(spec, index) for index, spec in enumerate((primary, *fallbacks))]
        self.models: list[LanguageModel] = [model for model, _ in entries]
        """The models, the primary first."""
        self.model_options: list[ProviderOptions] = [options for _, options in entries]
        """Each model's own provider options (empty when it has none)."""
        self._conditions = _conditions(on)
        if on_fallback is not None and not callable(on_fallback):
            raise InvalidArgumentError(
                "FallbackModel: on_fallback must be a function (error, failed_model, "
                f"next_model), got {type(on_fallback).__name__}"
            )
        self.on_fallback = on_fallback
        self.model_id = ", ".join(_label(m) for m in self.models)
        # What an agent's typed output may ask of every model alike: native structured
        # output only when each one has it; a forced tool or text mode when one forces it.
        self.native_object_output = all(
            getattr(m, "native_object_output", False) for m in self.models
        )
        self.native_output_with_tools = all(
            getattr(m, "native_output_with_tools", False) for m in self.models
        )
        modes = {str(getattr(m, "object_mode", ObjectMode.AUTO)) for m in self.models}
        self.object_mode = next(
            (mode for mode in (ObjectMode.TEXT, ObjectMode.TOOL) if mode in modes), ObjectMode.AUTO
        )

    # ------------------------------------------------------------------ policy

    def falls_back(self, error: BaseException) -> bool:
        """Whether ``error`` moves a call on to the next model."""
        if is_user_error(error):
            return False
        found = find_provider_error(error)
        for condition in self._conditions:
            if isinstance(condition, type):
                if isinstance(error, condition) or isinstance(found, condition):
                    return True
                continue
            try:
                if condition(error):
                    return True
            except Exception as exc:
                mark_user_error(exc)
                raise
        return False

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        """A schema must suit every model: any one may be the one that answers."""
        for model in self.models:
            check = getattr(model, "check_schema", None)
            if check is not None:
                check(schema, where)

    # ------------------------------------------------------------------ whole answers

    async def agenerate(self, call: Call) -> Response:
        response = await self._whole(call, lambda m, c: m.agenerate(c))
        return response

    async def agenerate_object(self, call: ObjectCall) -> ObjectResponse:
        response = await self._whole(call, lambda m, c: m.agenerate_object(c))
        return response

    async def _whole(self, call: Any, ask: Callable[[LanguageModel, Any], Awaitable[P]]) -> P:
        failures: list[BaseException] = []
        for index, model in enumerate(self.models):
            try:
                answer = await ask(model, self._call_for(index, call))
            except Exception as err:
                await self._failed(err, index, failures)
                continue
            metadata = self._metadata(getattr(answer, "provider_metadata", None), index, failures)
            return dataclasses.replace(answer, provider_metadata=metadata)  # type: ignore[type-var]
        raise AssertionError("unreachable: the last model's failure is raised")

    # ------------------------------------------------------------------ streams

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        return self._stream(
            call,
            lambda m, c: m.astream(c),
            held=StreamPartType.WARNINGS,
            error_type=StreamPartType.ERROR,
            finish_type=StreamPartType.FINISH,
            error_part=lambda e: StreamPart(StreamPartType.ERROR, error=e),
        )

    def astream_object(self, call: ObjectCall) -> AsyncIterator[ObjectStreamPart]:
        from fantasy.objects import ObjectStreamPart, ObjectStreamPartType

        return self._stream(
            call,
            lambda m, c: m.astream_object(c),
            held=None,
            error_type=ObjectStreamPartType.ERROR,
            finish_type=ObjectStreamPartType.FINISH,
            error_part=lambda e: ObjectStreamPart(ObjectStreamPartType.ERROR, error=e),
        )

    async def _stream(
        self,
        call: Any,
        open_stream: Callable[[LanguageModel, Any], AsyncIterator[Any]],
        *,
        held: Any,
        error_type: Any,
        finish_type: Any,
        error_part: Callable[[BaseException], Any],
    ) -> AsyncIterator[Any]:
        """One model's parts after another's, switching only before the first part
        that is not a warning has been passed on."""
        failures: list[BaseException] = []
        last = len(self.models) - 1
        for index, model in enumerate(self.models):
            waiting: list[Any] = []  # leading warnings, passed on with the first part
            started = False
            failed: BaseException | None = None
            try:
                stream = open_stream(model, self._call_for(index, call))
                async with _runtime.closing(stream) as parts:
                    async for part in parts:
                        kind = part.type
                        if not started:
                            if kind is held:
                                waiting.append(part)
                                continue
                            if kind is error_type:
                                error = _exception(part.error)
                                if index < last and self.falls_back(error):
                                    failed = error
                                    break
                                if failures:
                                    part = error_part(self._final(error, failures))
                            started = True
                            for warning in waiting:
                                yield warning
                        if kind is finish_type:
                            part = dataclasses.replace(
                                part,
                                provider_metadata=self._metadata(
                                    part.provider_metadata, index, failures
                                ),
                            )
                        yield part
            except Exception as err:
                if started:
                    raise
                await self._failed(err, index, failures)
                continue
            if failed is None:
                for warning in waiting if not started else ():
                    yield warning
                return
            failures.append(failed)
            await self._notify(failed, index)

    # ------------------------------------------------------------------ helpers

    def _call_for(self, index: int, call: Any) -> Any:
        own = self.model_options[index]
        if not own:
            return call
        return dataclasses.replace(call, provider_options={**call.provider_options, **own})

    async def _failed(self, error: Exception, index: int, failures: list[BaseException]) -> None:
        """Record a model's failure and return to try the next; raise when there is no
        next, or when the policy does not name the error."""
        if index == len(self.models) - 1 or not self.falls_back(error):
            final = self._final(error, failures)
            if final is error:
                raise error
            raise final from error
        failures.append(error)
        await self._notify(error, index)

    def _final(self, error: BaseException, failures: list[BaseException]) -> BaseException:
        if not failures or is_user_error(error):
            return error
        tried = self.models[: len(failures) + 1]
        return FallbackError([*failures, error], [_label(m) for m in tried])

    async def _notify(self, error: BaseException, index: int) -> None:
        if self.on_fallback is None:
            return
        try:
            await _runtime.call_user(
                self.on_fallback, error, self.models[index], self.models[index + 1]
            )
        except Exception as exc:
            mark_user_error(exc)
            raise

    def _metadata(
        self, metadata: ProviderMetadata | None, index: int, failures: list[BaseException]
    ) -> ProviderMetadata:
        model = self.models[index]
        record = FallbackMetadata(
            provider=model.provider,
            model=model.model,
            index=index,
            failures=[
                FallbackFailure(provider=m.provider, model=m.model, error=_describe(e, 2000))
                for m, e in zip(self.models[: len(failures)], failures, strict=True)
            ],
        )
        return {**(metadata or {}), METADATA_KEY: record}


def _exception(error: Any) -> BaseException:
    if isinstance(error, BaseException):
        return error
    return RuntimeError(f"stream error: {error}")


def _entry(spec: Any, index: int) -> tuple[LanguageModel, ProviderOptions]:
    where = "the primary model" if index == 0 else f"fallback {index}"
    options: Any = {}
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise InvalidArgumentError(
                f"FallbackModel: {where} must be a model, a model name, or a (model, "
                f"provider_options) pair, got a tuple of {len(spec)}"
            )
        spec, options = spec
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise InvalidArgumentError(
                f"FallbackModel: the provider options of {where} must be a dict keyed by "
                f'provider name ({{"anthropic": anthropic.ProviderOptions(...)}}), '
                f"got {type(options).__name__}"
            )
    if isinstance(spec, str):
        from fantasy.model_names import language_model

        spec = language_model(spec)
    if not (
        callable(getattr(spec, "agenerate", None)) and callable(getattr(spec, "astream", None))
    ):
        raise InvalidArgumentError(
            f"FallbackModel: {where} must be a language model or a model name "
            f"('openai:gpt-4o'), got {type(spec).__name__}"
        )
    return spec, dict(options)


def _conditions(on: Any) -> list[Any]:
    if on is None:
        return [default_fallback_on]
    items = list(on) if isinstance(on, list | tuple) else [on]
    for item in items:
        is_type = isinstance(item, type) and issubclass(item, BaseException)
        if not is_type and (isinstance(item, type) or not callable(item)):
            raise InvalidArgumentError(
                "FallbackModel: on= takes exception types, functions of the error returning "
                f"a bool, or a list of them; got {item!r}"
            )
    if not items:
        raise InvalidArgumentError(
            "FallbackModel: on= is empty, so no failure would ever fall back"
        )
    return items
