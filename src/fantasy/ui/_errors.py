"""What a browser may learn of a failure: a short sentence per kind of error, never the
exception's own text (which can quote a provider's answer, a prompt or a path) and
never a traceback. The server logs the whole exception; the client gets the sentence."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fantasy.errors import (
    AuthenticationError,
    ContextWindowError,
    MaxStepsExceededError,
    MissingAPIKeyError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    RetryError,
    StreamInterruptedError,
    UsageLimitExceeded,
)

logger = logging.getLogger("fantasy.ui")

ErrorText = Callable[[BaseException], str]
"""Turns a run's exception into the text the client shows (``on_error=``)."""

_SENTENCES: tuple[tuple[type[BaseException], str], ...] = (
    (RateLimitError, "The model provider is rate limiting requests; try again shortly."),
    (ProviderTimeoutError, "The model provider did not answer in time."),
    (ProviderUnavailableError, "The model provider is unavailable right now."),
    (StreamInterruptedError, "The model's answer was cut off; try again."),
    (AuthenticationError, "The server's credentials for the model provider were refused."),
    (MissingAPIKeyError, "The server has no credentials for the model provider."),
    (ContextWindowError, "The conversation is too long for the model."),
    (UsageLimitExceeded, "The run reached its usage limit."),
    (MaxStepsExceededError, "The agent reached its step limit."),
)


class UIRequestError(ValueError):
    """A request body that is not what the protocol sends: the message says what and
    where (``messages[2].parts[0]: ...``); the endpoint answers it with status 400."""


def public_error_text(error: BaseException) -> str:
    """The default ``on_error``: a sentence naming the kind of failure, nothing more."""
    if isinstance(error, RetryError) and error.last_error is not None:
        error = error.last_error
    for kind, sentence in _SENTENCES:
        if isinstance(error, kind):
            return sentence
    return "The agent run failed."


def error_text(error: BaseException, on_error: ErrorText | None) -> str:
    """The client's text for ``error``, logged here with its traceback for the server.

    A failing ``on_error`` must not leak what it was given either: its own failure is
    logged and the default sentence is sent."""
    logger.error("agent run failed", exc_info=error)
    if on_error is not None:
        try:
            return str(on_error(error))
        except Exception:
            logger.exception("on_error failed; the default error text is sent")
    return public_error_text(error)
