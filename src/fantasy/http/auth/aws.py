"""AWS: Signature Version 4 over the exact request sent, and the region botocore would use.

botocore (extra ``bedrock``) does the signing and resolves credentials through
AWS's default chain (environment, profiles, SSO, instance roles); it is imported
on first use only. Used by Bedrock and by the Anthropic provider's Bedrock platform.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from typing import Any

from fantasy import _runtime
from fantasy.errors import ProviderError
from fantasy.http.auth import Authenticator, MissingExtraError, auth_error, import_optional

__all__ = ["EXTRA", "SIGNED_HEADERS", "SigV4Auth", "aws_region"]

EXTRA = "bedrock"
"""The extra that installs botocore."""
SIGNED_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
"""What signing adds to a request."""


def _botocore(module: str) -> Any:
    return import_optional(f"botocore.{module}", EXTRA, "AWS SigV4 signing")


class SigV4Auth(Authenticator):
    """AWS Signature Version 4 for one service and region, with botocore's credential
    chain unless keys are given. ``provider`` names the provider in errors; ``hint``
    ends the error when no credentials are found (another way to authenticate)."""

    def __init__(
        self,
        region: str,
        *,
        service: str,
        profile: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        provider: str = "",
        hint: str = "",
    ):
        self.region = region
        self.service = service
        self._profile = profile
        self._keys = (access_key_id, secret_access_key, session_token)
        self._provider = provider or service
        self._hint = hint
        self._credentials: Any = None
        self._lock = threading.Lock()

    async def apply(self, url: str, body: bytes, headers: MutableMapping[str, str]) -> None:
        frozen = await _runtime.run_in_worker(self._frozen_credentials)
        awsrequest = _botocore("awsrequest")
        botoauth = _botocore("auth")
        request = awsrequest.AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        botoauth.SigV4Auth(frozen, self.service, self.region).add_auth(request)
        for name in SIGNED_HEADERS:
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
                raise auth_error(
                    f"could not get AWS credentials for {self._provider}: "
                    f"{type(exc).__name__}: {exc}",
                    self._provider,
                    exc,
                ) from exc

    def _resolve(self) -> Any:
        access_key, secret_key, token = self._keys
        if access_key and secret_key:
            return _botocore("credentials").Credentials(access_key, secret_key, token)
        found = _botocore("session").Session(profile=self._profile).get_credentials()
        if found is None:
            ways = "configure the AWS credential chain, pass aws_access_key_id/"
            ways += "aws_secret_access_key" + (f", or {self._hint}" if self._hint else "")
            raise ProviderError(
                f"no AWS credentials found: {ways}",
                title="authentication error",
                provider=self._provider,
                auth_error=True,
            )
        return found

    def __repr__(self) -> str:
        return f"SigV4Auth(service={self.service!r}, region={self.region!r})"


def aws_region(profile: str | None = None) -> str | None:
    """The region botocore would use (environment, then the profile's config)."""
    region = _botocore("session").Session(profile=profile).get_config_variable("region")
    return region if isinstance(region, str) and region else None
