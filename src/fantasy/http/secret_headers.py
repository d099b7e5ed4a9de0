"""Request headers that never show the credentials they carry.

A request's headers travel through several frames before httpx sends them: the
provider's transport, the exchange, the shell. Anything that prints those frames'
locals (``pytest --showlocals``, rich tracebacks, error trackers such as Sentry)
prints the headers' repr. `SecretHeaders` is a plain ``dict`` to httpx, so
sending costs nothing extra, but its repr masks every value that could be a
credential, until the moment it is sent.
"""

from __future__ import annotations

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key"}
)
"""Header names whose values are credentials in every provider fantasy speaks to."""

_CREDENTIAL_WORDS = ("auth", "key", "token", "secret", "signature", "cookie", "credential")
"""Words that mark a header of the caller's own naming (``X-Upstream-Token``) as one
to hide too."""

MASK = "[MASKED]"


def is_credential(name: str) -> bool:
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or any(word in lowered for word in _CREDENTIAL_WORDS)


class SecretHeaders(dict[str, str]):
    """Headers as a ``dict`` whose repr masks credential values (see `is_credential`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = {k: MASK if is_credential(k) else v for k, v in self.items()}
        return f"SecretHeaders({shown!r})"

    __str__ = __repr__

    def copy(self) -> SecretHeaders:
        return SecretHeaders(self)
