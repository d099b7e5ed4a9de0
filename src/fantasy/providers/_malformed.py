"""What a stream translator's crash on an event of the wrong shape becomes.

Translators read events the way the provider documents them. A proxy, a gateway or a
broken server can send valid JSON of another shape (a list where an object belongs, a
number for a string); the translator's TypeError or AttributeError would then escape
the stream as an exception no caller expects. The providers catch these around their
translators and report them as what they are: a malformed response, as a `ProviderError`.
"""

from __future__ import annotations

from fantasy.errors import ProviderError

SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)
"""What reading an event of an unexpected shape raises."""


def malformed_event(exc: Exception, provider: str, url: str) -> ProviderError:
    """Not retryable: the same server is likely to answer the same way again."""
    return ProviderError(
        f"stream event has an unexpected shape ({type(exc).__name__}: {exc})",
        title="invalid provider response",
        provider=provider,
        url=url,
        cause=exc,
    )


def malformed_response(
    exc: Exception, provider: str, url: str, status: int, body: bytes
) -> ProviderError:
    """A whole response that is JSON but not of the documented shape: not retryable."""
    return ProviderError(
        f"response has an unexpected shape ({type(exc).__name__}: {exc})",
        title="invalid provider response",
        provider=provider,
        url=url,
        status_code=status,
        response_body=body,
        cause=exc,
    )
