"""Credentials per cloud, added to a request once its URL, body and headers are final.

One module per cloud, each used by every provider on that cloud: `aws` (SigV4
signing and the region, for Bedrock and Claude on Bedrock) and `google` (OAuth
bearer tokens for Vertex AI, for Gemini and Claude on Vertex). Their libraries are
optional extras, imported on first use: ``botocore`` (extra ``bedrock``) and
``google-auth`` (extra ``vertex``). Fetching or refreshing credentials may block on
the network, so it runs through `fantasy._runtime` (a worker thread under the async
face); signing is pure computation over the exact bytes sent. Tokens and keys never
appear in errors or reprs.
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from types import ModuleType

from fantasy.errors import FantasyError, ProviderError

__all__ = ["Authenticator", "MissingExtraError", "auth_error", "import_optional"]


class MissingExtraError(FantasyError, ImportError):
    """An optional dependency is needed for this provider setting."""


def import_optional(module: str, extra: str, purpose: str, package: str = "") -> ModuleType:
    """``module`` from an optional extra, or `MissingExtraError` naming what to install."""
    # By name, not by import statement: these packages are optional and untyped for mypy.
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs {package or module.split('.')[0]}: pip install 'fantasy[{extra}]'",
            title="missing dependency",
            cause=exc,
        ) from exc


def auth_error(message: str, provider: str, cause: BaseException) -> ProviderError:
    return ProviderError(
        message, title="authentication error", provider=provider, auth_error=True, cause=cause
    )


class Authenticator:
    """Adds credentials to a request whose URL, body and other headers are final.

    This base adds none: the credentials are static headers, or there are none."""

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
