"""The library's log records of requests, and credentials kept out of every log.

Loggers, one per layer: ``fantasy.http`` (each request: method, URL, status,
duration, attempt), ``fantasy.providers.<name>`` (what a provider's exchange sent
and got back), ``fantasy.agent`` (the loop: retries, tools). Every record on success
is DEBUG, so an application that logs at INFO sees nothing from fantasy until
something fails. URLs are logged with their user and password masked and every live
credential redacted.

httpx logs each request at INFO under ``httpx`` (httpx2 under ``httpx2``) with its URL
as given, password included (``https://user:secret@host``); `hide_credentials_from_httpx`
adds a filter to those loggers, once, that masks them the same way.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING

from fantasy.errors import redact_text

if TYPE_CHECKING:
    import logging

# `logging` (with traceback, string, threading) is imported by the first request, not
# by `import fantasy`: the import budget of issue 23. Its level, without importing it:
DEBUG = 10
"""``logging.DEBUG``."""


def http_logger() -> logging.Logger:
    """``fantasy.http``, the logger of each request."""
    import logging

    return logging.getLogger("fantasy.http")


attempt: ContextVar[int] = ContextVar("fantasy_request_attempt", default=1)
"""Which attempt of a model request is being sent (1 for the first); set by the agent
loop before each attempt, read for the log record."""


def provider_logger(provider: str) -> logging.Logger:
    """``fantasy.providers.<name>``, the logger of one provider's exchanges."""
    import logging

    return logging.getLogger(f"fantasy.providers.{provider or 'unknown'}")


def answered(method: str, url: str, status: int, started: float, provider: str) -> None:
    """A request's answer arrived (its headers, for a stream)."""
    logger = http_logger()
    if logger.isEnabledFor(DEBUG):
        logger.debug(
            "%s %s -> %d in %.3fs (attempt %d, %s)",
            method,
            redact_text(url),
            status,
            time.perf_counter() - started,
            attempt.get(),
            provider or "no provider",
        )


def failed(method: str, url: str, error: BaseException, started: float, provider: str) -> None:
    """A request got no answer (refused, timed out, cut). The error is raised to the
    caller, who decides whether it matters: it is logged at DEBUG here."""
    logger = http_logger()
    if logger.isEnabledFor(DEBUG):
        logger.debug(
            "%s %s failed after %.3fs (attempt %d, %s): %s",
            method,
            redact_text(url),
            time.perf_counter() - started,
            attempt.get(),
            provider or "no provider",
            redact_text(f"{type(error).__name__}: {error}"),
        )


def _hide_credentials(record: logging.LogRecord) -> bool:
    """A log filter (logging takes a plain callable): masks URL passwords and live
    credentials in a record before any handler sees it."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return True
    hidden = redact_text(message)
    if hidden != message:
        record.msg, record.args = hidden, None
    return True


_installed = False


def hide_credentials_from_httpx() -> None:
    """Filter httpx's (and httpx2's) own request log, once per process."""
    global _installed
    if not _installed:
        import logging

        _installed = True
        for name in ("httpx", "httpx2"):
            logging.getLogger(name).addFilter(_hide_credentials)
