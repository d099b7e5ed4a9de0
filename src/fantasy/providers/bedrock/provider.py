"""Claude on AWS Bedrock: the Anthropic provider on Bedrock's endpoints and credentials.

Provider options are still keyed ``"anthropic"`` (the dialect is Anthropic's); the
provider's name, in results and errors, is ``"bedrock"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError
from fantasy.providers.anthropic.auth import Authenticator, SigV4Auth, aws_region
from fantasy.providers.anthropic.platforms import BEDROCK_DEFAULT_REGION, BedrockPlatform
from fantasy.providers.anthropic.provider import ClaudeProvider

if TYPE_CHECKING:
    import httpx

NAME = "bedrock"
BEARER_TOKEN_ENV = "AWS_BEARER_TOKEN_BEDROCK"


def _env_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


class Provider(ClaudeProvider):
    """Claude models on Bedrock (``us.anthropic.claude-...`` model ids), over plain HTTP.

    Credentials, first match wins:

    1. ``api_key`` (a Bedrock API key, sent as a bearer token), or ``skip_auth=True``
       (no credentials at all); the region is then ``region`` or ``us-east-1``.
    2. ``aws_access_key_id`` / ``aws_secret_access_key`` (/ ``aws_session_token``) or
       ``aws_profile``: SigV4 signing.
    3. ``AWS_BEARER_TOKEN_BEDROCK`` in the environment: a bearer token.
    4. Otherwise AWS's default credential chain, with SigV4 signing.

    SigV4 needs botocore: ``pip install 'fantasy[bedrock]'``. ``base_url`` replaces
    the ``https://bedrock-runtime.<region>.amazonaws.com`` endpoint.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        region: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        name: str = NAME,
        skip_auth: bool = False,
        aws_profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
    ):
        auth = Authenticator()
        credentials: dict[str, str] = {}
        explicit_aws = bool(aws_profile or aws_access_key_id or aws_secret_access_key)
        bearer = os.environ.get(BEARER_TOKEN_ENV)
        if api_key or skip_auth:
            region = region or BEDROCK_DEFAULT_REGION
            if api_key:
                credentials = {"Authorization": f"Bearer {api_key}"}
        elif bearer and not explicit_aws:
            region = region or _env_region() or BEDROCK_DEFAULT_REGION
            credentials = {"Authorization": f"Bearer {bearer}"}
        else:
            region = region or _env_region() or aws_region(aws_profile)
            if not region:
                raise InvalidArgumentError(
                    "no AWS region for Bedrock: pass region= or set AWS_REGION"
                )
            auth = SigV4Auth(
                region,
                profile=aws_profile,
                access_key_id=aws_access_key_id,
                secret_access_key=aws_secret_access_key,
                session_token=aws_session_token,
                provider=name,
            )
            # The signature is the credential; a stray header must not ride along.
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        super().__init__(
            name=name,
            platform=BedrockPlatform(region, base_url),
            auth=auth,
            credentials=credentials,
            headers=headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
        )
