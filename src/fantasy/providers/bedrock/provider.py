"""Claude on AWS Bedrock: the Anthropic provider on Bedrock's endpoints and credentials.

Provider options are still keyed ``"anthropic"`` (the dialect is Anthropic's); the
provider's name, in results and errors, is ``"bedrock"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.http.auth import Authenticator
from fantasy.http.auth.aws import SigV4Auth, aws_region
from fantasy.providers._base import check_name_like, env, env_label, header_value
from fantasy.providers.anthropic.platforms import BEDROCK_DEFAULT_REGION, BedrockPlatform
from fantasy.providers.anthropic.provider import ClaudeProvider
from fantasy.types import ObjectMode

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits

NAME = "bedrock"
BEARER_TOKEN_ENV = "AWS_BEARER_TOKEN_BEDROCK"


REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")


def _env_region() -> tuple[str, str] | None:
    """(region, the variable it came from)."""
    return next(((v, e) for e in REGION_ENVS if (v := env(e)) is not None), None)


class Provider(ClaudeProvider):
    """Claude models on Bedrock (``us.anthropic.claude-...`` model ids), over plain HTTP.

    Credentials, first match wins:

    1. ``api_key`` (a Bedrock API key, sent as a bearer token), or ``skip_auth=True``
       (no credentials at all); the region is then ``region`` or ``us-east-1``.
    2. ``aws_access_key_id`` with ``aws_secret_access_key`` (/ ``aws_session_token``)
       or ``aws_profile``: SigV4 signing (a key id without its secret is an error).
    3. An ``Authorization`` header in ``headers``: sent as it is.
    4. ``AWS_BEARER_TOKEN_BEDROCK`` in the environment: a bearer token.
    5. Otherwise AWS's default credential chain, with SigV4 signing.

    Arguments win over the environment: ``region`` over ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``, any credential argument over ``AWS_BEARER_TOKEN_BEDROCK``
    and over the AWS variables (an explicit ``aws_profile`` is used even when
    ``AWS_ACCESS_KEY_ID`` is set, as botocore does).

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
        limits: HttpLimits | None = None,
        name: str = NAME,
        skip_auth: bool = False,
        aws_profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        object_mode: ObjectMode | str = ObjectMode.AUTO,
    ):
        # Claude has no JSON mode: "auto" and "json" use a forced tool call; or "text".
        self.object_mode = ObjectMode(object_mode)
        auth = Authenticator()
        credentials: dict[str, str] = {}
        if bool(aws_access_key_id) != bool(aws_secret_access_key):
            raise InvalidArgumentError(
                "pass aws_access_key_id and aws_secret_access_key together (or neither)"
            )
        if api_key is not None and not api_key and not skip_auth:
            # Refused rather than replaced by the environment's credentials.
            raise MissingAPIKeyError("api_key is empty: pass the Bedrock API key")
        explicit_aws = bool(aws_profile or aws_access_key_id)
        from_env = _env_region()
        env_region = from_env[0] if from_env is not None else None
        region_setting = "region"
        if not region and from_env is not None:
            region_setting = env_label(from_env[1])
        bearer = env(BEARER_TOKEN_ENV)
        if api_key or skip_auth:
            region = region or BEDROCK_DEFAULT_REGION
            region_setting = "region"
            if api_key:
                credentials = {"Authorization": f"Bearer {api_key}"}
        elif not explicit_aws and header_value(headers, "authorization") is not None:
            # The caller's own Authorization header is the credential.
            region = region or env_region or BEDROCK_DEFAULT_REGION
        elif bearer and not explicit_aws:
            region = region or env_region or BEDROCK_DEFAULT_REGION
            credentials = {"Authorization": f"Bearer {bearer}"}
        else:
            region = region or env_region or aws_region(aws_profile)
            if not region:
                raise InvalidArgumentError(
                    "no AWS region for Bedrock: pass region= or set AWS_REGION"
                )
            auth = SigV4Auth(
                region,
                service="bedrock",
                profile=aws_profile,
                access_key_id=aws_access_key_id,
                secret_access_key=aws_secret_access_key,
                session_token=aws_session_token,
                provider=name,
                hint="use a Bedrock API key",
            )
            # The signature is the credential; a stray header must not ride along.
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        check_name_like(region, region_setting, "us-east-1")
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
            limits=limits,
        )
