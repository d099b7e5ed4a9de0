"""Every exception the library defines survives pickling: same type, same text, same
attributes, same cause. That is what lets an error cross a process pool (or a task
queue) and still be acted on (``status_code``, ``is_retryable``, ``errors``...).

The classes are found by walking the ``fantasy`` package, so a new exception class is
covered the day it is added; one whose constructor takes an argument this file has no
sample for fails here by name, asking for one.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import inspect
import multiprocessing
import pickle
import pkgutil
from typing import Any

import pytest

import fantasy
from fantasy.errors import (
    FantasyError,
    InvalidArgumentError,
    MaxStepsExceededError,
    MissingAPIKeyError,
    NoObjectGeneratedError,
    ProviderError,
    RetryError,
    SerializationError,
    ToolExecutionError,
)


def _modules() -> list[str]:
    names = ["fantasy"]
    for info in pkgutil.walk_packages(fantasy.__path__, "fantasy."):
        names.append(info.name)
    return names


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        # Every module imports without its extra (extras are imported when used): an
        # ImportError here is a bug to see, not a module to pass over.
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("fantasy"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


CLASSES = _exception_classes()


def _provider_error() -> ProviderError:
    return ProviderError(
        "rate limited",
        title="too many requests",
        provider="openai",
        url="https://api.example.com/v1/chat/completions",
        status_code=429,
        request_body=b'{"model":"m"}',
        response_body=b'{"error":{"message":"rate limited"}}',
        response_headers={"Retry-After": "2"},
        context_used_tokens=10,
        context_max_tokens=20,
        context_too_large=True,
        auth_error=False,
        transient=False,
    )


BY_ANNOTATION: dict[str, Any] = {
    "str": "sample text",
    "int": 7,
    "bool": True,
    "bytes": b"sample bytes",
    "float": 1.5,
    "Any": "any value",
    "BaseException | None": ValueError("the root cause"),
    "list[BaseException]": [TimeoutError("first attempt"), _provider_error()],
    "Sequence[BaseException]": [TimeoutError("first model"), _provider_error()],
    "Sequence[str]": ["openai:gpt-4o", "anthropic:claude-sonnet-4"],
    "list[str]": ["$.a: expected a string", "$.b: required"],
    "list[tuple[int, str, str]]": [(3, "POST", "https://api.example.com/v1/chat")],
    "Mapping[str, str] | None": {"Retry-After": "2"},
}


def _sample(cls: type[BaseException]) -> BaseException:
    """An instance with every constructor argument this file can fill, filled."""
    if cls.__init__ is BaseException.__init__ or "__init__" not in {
        n for klass in cls.__mro__ if klass.__module__.startswith("fantasy") for n in vars(klass)
    }:
        return cls("a sample message")
    signature = inspect.signature(cls.__init__)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, param in list(signature.parameters.items())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = param.annotation if isinstance(param.annotation, str) else ""
        if annotation not in BY_ANNOTATION:
            if param.default is param.empty:
                pytest.fail(
                    f"{cls.__qualname__}({name}: {annotation}) has no sample: add one to "
                    "BY_ANNOTATION so its pickling is tested"
                )
            continue
        value = BY_ANNOTATION[annotation]
        if name == "title":
            value = "a title"
        if param.kind is param.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def _comparable(value: Any) -> Any:
    """Exceptions compare by identity; compare them by type, text and attributes."""
    if isinstance(value, BaseException):
        return (
            type(value),
            str(value),
            value.args if not isinstance(value, FantasyError) else (),
            _comparable(dict(vars(value))),
            _comparable(value.__cause__),
        )
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_comparable(v) for v in value)
    return value


def round_trip(error: BaseException) -> BaseException:
    return pickle.loads(pickle.dumps(error))  # type: ignore[no-any-return]


def test_the_walk_finds_the_libraries_exceptions() -> None:
    names = {c.__qualname__ for c in CLASSES}
    assert {
        "FantasyError",
        "ProviderError",
        "RetryError",
        "SerializationError",
        "InvalidArgumentError",
        "CassetteMismatchError",
        "FakeModelError",
        "SyncDriverError",
        "MissingExtraError",
        "UnusedInteractionsError",
    } <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_survives_pickling(cls: type[BaseException]) -> None:
    error = _sample(cls)
    copy = round_trip(error)
    assert type(copy) is type(error) and isinstance(copy, cls)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert _comparable(vars(copy)) == _comparable(vars(error))
    assert _comparable(copy.__cause__) == _comparable(error.__cause__)
    # And again: a second trip changes nothing (no prefix added, nothing lost).
    again = round_trip(copy)
    assert str(again) == str(error)
    assert _comparable(vars(again)) == _comparable(vars(error))


# --------------------------------------------------------------------------- attributes


def test_provider_error_keeps_everything_a_caller_acts_on() -> None:
    cause = ConnectionResetError("reset")
    error = _provider_error()
    error.cause = cause
    error.__cause__ = cause
    copy = round_trip(error)
    assert isinstance(copy, ProviderError)
    assert str(copy) == "too many requests: rate limited"
    assert copy.status_code == 429
    assert copy.is_retryable
    assert copy.response_headers == {"retry-after": "2"}
    assert copy.response_body == error.response_body
    assert copy.request_body == error.request_body
    assert copy.url == error.url and copy.provider == "openai"
    assert copy.is_context_too_large
    assert copy.title == "too many requests" and copy.message == "rate limited"
    assert isinstance(copy.__cause__, ConnectionResetError)
    assert copy.cause is copy.__cause__


def test_retry_error_keeps_every_attempt() -> None:
    error = RetryError([TimeoutError("first"), _provider_error()])
    copy = round_trip(error)
    assert isinstance(copy, RetryError)
    assert str(copy) == str(error) == "retry error: too many requests: rate limited"
    assert [type(e) for e in copy.errors] == [TimeoutError, type(error.errors[1])]
    last = copy.last_error
    assert isinstance(last, ProviderError) and last.status_code == 429
    assert copy.__cause__ is last


def test_invalid_argument_error_keeps_one_prefix() -> None:
    for error in (InvalidArgumentError("bad value"), MissingAPIKeyError("no key")):
        copy = round_trip(round_trip(error))
        assert str(copy) == str(error)
        assert str(copy).count("invalid argument: ") == 1
        assert isinstance(copy, ValueError)


def test_serialization_error_keeps_its_path() -> None:
    copy = round_trip(SerializationError("messages[3].content[1].data", "not base64"))
    assert isinstance(copy, SerializationError)
    assert copy.path == "messages[3].content[1].data"
    assert copy.reason == "not base64"
    assert str(copy) == "messages[3].content[1].data: not base64"


def test_other_attributes_survive() -> None:
    from fantasy.objects.partial_json import PartialJSONError
    from fantasy.objects.validate import SchemaValidationError
    from fantasy.testing.transport import UnusedInteractionsError

    steps = round_trip(MaxStepsExceededError(5))
    assert isinstance(steps, MaxStepsExceededError) and steps.max_steps == 5
    schema = round_trip(SchemaValidationError(["$.a: bad", "$.b: missing"]))
    assert isinstance(schema, SchemaValidationError)
    assert schema.errors == ["$.a: bad", "$.b: missing"]
    assert str(schema) == "validation failed: $.a: bad; $.b: missing"
    partial = round_trip(PartialJSONError("unexpected '}'", 12))
    assert isinstance(partial, PartialJSONError) and partial.offset == 12
    unused = round_trip(UnusedInteractionsError("c.yaml", 3, [(2, "POST", "https://x")]))
    assert isinstance(unused, UnusedInteractionsError)
    assert unused.unused == [(2, "POST", "https://x")]
    parse = ValueError("bad json")
    nothing = round_trip(NoObjectGeneratedError(raw_text="{", parse_error=parse, usage=None))
    assert isinstance(nothing, NoObjectGeneratedError)
    assert nothing.raw_text == "{" and isinstance(nothing.parse_error, ValueError)


def test_attributes_set_after_raising_survive() -> None:
    error = ToolExecutionError("the tool failed")
    error.partial_result = {"steps": [1, 2]}
    error.add_note("while running step 2")
    copy = round_trip(error)
    assert copy.partial_result == {"steps": [1, 2]}
    assert copy.__notes__ == ["while running step 2"]


class _NeedsTwoArguments(Exception):
    def __init__(self, a: int, b: int):
        super().__init__(f"{a}/{b}")


def test_what_cannot_be_pickled_is_replaced_by_a_stand_in() -> None:
    """A cause that pickles but cannot be rebuilt, and a value that cannot be pickled."""
    error = ToolExecutionError("the tool failed", cause=_NeedsTwoArguments(1, 2))
    error.partial_result = lambda: None  # not picklable
    copy = round_trip(error)
    assert str(copy) == "the tool failed"
    assert isinstance(copy.__cause__, RuntimeError)
    assert "_NeedsTwoArguments: 1/2" in str(copy.__cause__)
    assert copy.partial_result is None


def _fail_in_worker(kind: str) -> None:
    if kind == "provider":
        raise _provider_error()
    if kind == "retry":
        raise RetryError([TimeoutError("t"), _provider_error()])
    raise SerializationError("messages[0]", "bad")


def test_errors_cross_a_process_pool() -> None:
    """A fresh interpreter (spawn) rebuilds them from the bytes alone."""
    context = multiprocessing.get_context("spawn")
    errors: dict[str, BaseException] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        for kind in ("provider", "retry", "serialization"):
            try:
                pool.submit(_fail_in_worker, kind).result(timeout=120)
            except FantasyError as exc:
                errors[kind] = exc
    provider, retry, serialization = errors["provider"], errors["retry"], errors["serialization"]
    assert isinstance(provider, ProviderError) and provider.status_code == 429
    assert provider.is_retryable and provider.response_headers == {"retry-after": "2"}
    assert isinstance(retry, RetryError) and len(retry.errors) == 2
    assert isinstance(retry.last_error, ProviderError)
    assert isinstance(serialization, SerializationError)
    assert serialization.path == "messages[0]"
