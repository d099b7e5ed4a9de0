"""Credentials for Claude on the clouds: Google OAuth tokens for Vertex, AWS SigV4 for Bedrock.

Both come from optional packages, imported on first use: ``google-auth`` (extra
``vertex``) and ``botocore`` (extra ``bedrock``). Fetching or refreshing credentials
may block on the network, so it runs through `fantasy._runtime` (a worker thread
under the async face); signing is pure computation over the exact bytes sent.
Tokens and keys never appear in errors or reprs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from types import ModuleType
from typing import Any

from fantasy import _runtime
from fantasy.errors import FantasyError, ProviderError

TokenSource = Callable[[], "str | Awaitable[str]"]
"""A function (sync or async) returning a current OAuth access token."""


class MissingExtraError(FantasyError, ImportError):
    """An optional dependency is needed for this provider setting."""


def import_optional(module: str, extra: str, purpose: str) -> ModuleType:
    # importlib keeps these optional, untyped packages out of the type checker's way.
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs {module.split('.')[0]}: pip install 'fantasy[{extra}]'",
            title="missing dependency",
            cause=exc,
        ) from exc


def _auth_error(message: str, provider: str, cause: BaseException) -> ProviderError:
    return ProviderError(
        message, title="authentication error", provider=provider, auth_error=True, cause=cause
    )


class Authenticator:
    """Adds credentials to a request whose URL, body and other headers are final."""

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class VertexAuth(Authenticator):
    """``Authorization: Bearer`` for Vertex AI: from a given token, a token function, or
    Google's Application Default Credentials. The Google provider's implementation, so
    the two Vertex providers cannot drift apart; imported only when Vertex is used."""

    def __init__(self, token: str | TokenSource | None = None, credentials: Any = None):
        from fantasy.providers.google.auth import VertexAuth as GoogleVertexAuth

        if isinstance(token, str):
            self._google = GoogleVertexAuth(token=token, credentials=credentials)
        elif token is not None:
            self._google = GoogleVertexAuth(token_provider=token, credentials=credentials)
        else:
            self._google = GoogleVertexAuth(credentials=credentials)

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        headers.update(await self._google.headers(url))

    def __repr__(self) -> str:
        return repr(self._google)


class SigV4Auth(Authenticator):
    """AWS Signature Version 4 for the ``bedrock`` service, with botocore's credential chain
    (environment, profiles, SSO, instance roles) unless keys are given."""

    def __init__(
        self,
        region: str,
        *,
        profile: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        provider: str = "bedrock",
    ):
        self.region = region
        self._profile = profile
        self._keys = (access_key_id, secret_access_key, session_token)
        self._provider = provider
        self._credentials: Any = None
        self._lock = threading.Lock()

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        frozen = await _runtime.run_in_worker(self._frozen_credentials)
        awsrequest = import_optional("botocore.awsrequest", "bedrock", "Bedrock SigV4 signing")
        botoauth = import_optional("botocore.auth", "bedrock", "Bedrock SigV4 signing")
        request = awsrequest.AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        botoauth.SigV4Auth(frozen, "bedrock", self.region).add_auth(request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = request.headers.get(name)
            if value is not None:
                headers[name] = value

    def _frozen_credentials(self) -> Any:
        """Current credentials; refreshable ones (SSO, roles) renew themselves here."""
        with self._lock:
            try:
                if self._credentials is None:
                    self._credentials = self._resolve()
                return self._credentials.get_frozen_credentials()
            except (ProviderError, MissingExtraError):
                raise
            except Exception as exc:
                raise _auth_error(
                    f"could not get AWS credentials for Bedrock: {type(exc).__name__}: {exc}",
                    self._provider,
                    exc,
                ) from exc

    def _resolve(self) -> Any:
        access_key, secret_key, token = self._keys
        if access_key and secret_key:
            credentials = import_optional("botocore.credentials", "bedrock", "Bedrock SigV4")
            return credentials.Credentials(access_key, secret_key, token)
        session = import_optional("botocore.session", "bedrock", "Bedrock SigV4 signing")
        found = session.Session(profile=self._profile).get_credentials()
        if found is None:
            raise ProviderError(
                "no AWS credentials found: configure the AWS credential chain, pass "
                "aws_access_key_id/aws_secret_access_key, or use a Bedrock API key",
                title="authentication error",
                provider=self._provider,
                auth_error=True,
            )
        return found

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self.region!r})"


def aws_region(profile: str | None = None) -> str | None:
    """The region botocore would use (environment, then the profile's config)."""
    session = import_optional("botocore.session", "bedrock", "Bedrock SigV4 signing")
    region = session.Session(profile=profile).get_config_variable("region")
    return region if isinstance(region, str) and region else None
