"""The Anthropic provider: configuration, and the I/O around the Messages API codec.

One language model class serves Anthropic's API, Vertex AI and Bedrock; a
`Platform` says where requests go and how the body changes, an `Authenticator`
adds credentials once the request is final (Bedrock signs the exact bytes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.http.auth import Authenticator
from fantasy.http.auth.google import TokenProvider, VertexAuth
from fantasy.http.shell import Exchange, open_stream
from fantasy.http.transport import HttpTransport
from fantasy.model import Call, Response
from fantasy.providers._base import (
    HTTPProvider,
    check_model_id,
    check_name_like,
    env,
    header_value,
    resolve_setting,
)
from fantasy.providers._exchange import ExchangeModel, build_exchange
from fantasy.providers.anthropic.codec import MessagesCodec
from fantasy.providers.anthropic.errors import error_from_response
from fantasy.providers.anthropic.options import NAME
from fantasy.providers.anthropic.platforms import (
    DEFAULT_BASE_URL,
    Platform,
    VertexPlatform,
)
from fantasy.types import JSON, CallWarning, ObjectMode, StreamPart

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits

API_KEY_ENV = "ANTHROPIC_API_KEY"
AUTH_TOKEN_ENV = "ANTHROPIC_AUTH_TOKEN"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"


def _without(headers: Mapping[str, str] | None, *names: str) -> dict[str, str]:
    """The user's headers minus any spelling of ``names``: a configured credential must
    not ride along beside (or be overridden by) a stray header."""
    lowered = {n.lower() for n in names}
    return {k: v for k, v in (headers or {}).items() if k.lower() not in lowered}


class MessagesLanguageModel(ExchangeModel):
    """A Claude model on the Messages API, wherever it is served."""

    def __init__(
        self,
        codec: MessagesCodec,
        transport: HttpTransport,
        platform: Platform,
        auth: Authenticator,
        provider_name: str,
    ):
        self.codec = codec
        self.transport = transport
        self.platform = platform
        self.auth = auth
        self.provider_name = provider_name
        self.model_id = codec.model_id

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        from fantasy.providers.anthropic.tool_wire import check_messages_schema

        check_messages_schema(self, schema, where)

    def _exchange(self, call: Call, *, stream: bool) -> tuple[Exchange, list[CallWarning]]:
        body, warnings, betas = self.codec.build_body(call, stream=stream)
        wire = self.platform.prepare(body, stream=stream, betas=betas)
        extra = dict(call.headers)
        for name, value in wire.headers.items():
            given = next((v for k, v in extra.items() if k.lower() == name), None)
            extra[name] = f"{given},{value}" if given else value
        exchange = build_exchange(
            self.transport,
            call,
            wire.url,
            wire.body,
            self.provider_name,
            error_from_response,
            headers=extra,
            # Once the request is final: Bedrock signs these exact bytes.
            sign=self.auth.apply,
            expect=self.platform.stream_media_type,
        )
        return exchange, warnings

    def parse_response(self, data: JSON) -> Response:
        return self.codec.parse_response(data)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        exchange, warnings = self._exchange(call, stream=True)
        return open_stream(
            exchange, self.platform.events(self.provider_name), self.codec.new_stream(warnings)
        )


class ClaudeProvider(HTTPProvider):
    """What every Claude provider shares: a platform and an authenticator on top of the
    common HTTP provider (transport, static credentials, headers)."""

    object_mode: ObjectMode = ObjectMode.AUTO
    """Claude has no JSON mode: "auto" and "json" use a forced tool call; or "text"."""

    def __init__(
        self,
        *,
        name: str,
        platform: Platform,
        auth: Authenticator,
        credentials: Mapping[str, str],
        headers: Mapping[str, str] | None,
        user_agent: str | None,
        http_client: httpx.Client | None,
        async_http_client: httpx.AsyncClient | None,
        transport: Any,
        timeout: float | httpx.Timeout | None,
        limits: HttpLimits | None,
        base_url_setting: str = "",
    ):
        super().__init__(
            name=name,
            base_url=platform.base_url,
            base_url_setting=base_url_setting,
            credentials=credentials,
            # The platform's headers go first so that the user's may replace them.
            headers={**platform.static_headers(), **(headers or {})},
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )
        self.platform = platform
        self.auth = auth

    def language_model(self, model_id: str) -> MessagesLanguageModel:
        check_model_id(model_id)
        codec = MessagesCodec(
            model_id, provider_name=self.name, parallel_flag=self.platform.parallel_flag
        )
        model = MessagesLanguageModel(codec, self.transport, self.platform, self.auth, self.name)
        model.object_mode = self.object_mode
        return model


class Provider(ClaudeProvider):
    """Anthropic's Messages API over HTTP, without the vendor SDK; or Claude on Vertex AI.

    Credentials, first match wins: ``api_key`` (sent as ``x-api-key``), a bearer
    ``auth_token`` (giving both is an error), an ``x-api-key`` or ``Authorization``
    header in ``headers`` (sent as it is), then the environment's
    ``ANTHROPIC_API_KEY``, then ``ANTHROPIC_AUTH_TOKEN``: an argument always wins
    over the environment. ``base_url`` defaults to ``ANTHROPIC_BASE_URL`` or
    Anthropic's.

    For Vertex AI give ``vertex_project`` and ``vertex_location``: requests then go to
    Google with an OAuth bearer token, from ``vertex_token`` (a string, or a sync or
    async function returning one), ``vertex_credentials`` (google-auth credentials),
    or Application Default Credentials (``pip install 'fantasy[vertex]'``).
    ``skip_auth=True`` sends no credentials (tests, or a proxy that adds them).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        auth_token: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        name: str = NAME,
        vertex_project: str | None = None,
        vertex_location: str | None = None,
        vertex_token: str | TokenProvider | None = None,
        vertex_credentials: Any = None,
        skip_auth: bool = False,
        object_mode: ObjectMode | str = ObjectMode.AUTO,
    ):
        self.object_mode = ObjectMode(object_mode)
        all_headers = dict(headers or {})
        credentials: dict[str, str] = {}
        auth = Authenticator()
        platform: Platform
        setting = ""
        if vertex_project or vertex_location:
            if not (vertex_project and vertex_location):
                raise InvalidArgumentError(
                    "Claude on Vertex AI needs both vertex_project and vertex_location"
                )
            check_name_like(vertex_location, "vertex_location", "us-east5")
            platform = VertexPlatform(vertex_project, vertex_location, base_url)
            if not skip_auth:
                # The OAuth token is the credential; a stray header must not replace it.
                all_headers = _without(all_headers, "authorization")
                auth = VertexAuth(
                    token=vertex_token if isinstance(vertex_token, str) else None,
                    token_provider=None if isinstance(vertex_token, str) else vertex_token,
                    credentials=vertex_credentials,
                )
        else:
            if vertex_token is not None or vertex_credentials is not None:
                raise InvalidArgumentError(
                    "vertex_token and vertex_credentials are for Claude on Vertex AI: "
                    "pass vertex_project and vertex_location too"
                )
            base, setting = resolve_setting(base_url, BASE_URL_ENV, DEFAULT_BASE_URL)
            platform = Platform(base)
            if not skip_auth:
                credentials = _direct_credentials(api_key, auth_token, all_headers)
                if credentials:
                    all_headers = _without(all_headers, "x-api-key", "authorization")
        super().__init__(
            name=name,
            base_url_setting=setting,
            platform=platform,
            auth=auth,
            credentials=credentials,
            headers=all_headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )


def _direct_credentials(
    api_key: str | None, auth_token: str | None, headers: Mapping[str, str]
) -> dict[str, str]:
    """The arguments first, then a credential header the caller gave, then the
    environment (``ANTHROPIC_API_KEY``, then ``ANTHROPIC_AUTH_TOKEN``); {} when the
    caller's own header is the credential."""
    if api_key is not None and auth_token is not None:
        raise InvalidArgumentError(
            "pass api_key= (sent as x-api-key) or auth_token= (sent as a bearer token), not both"
        )
    if api_key is not None:
        if not api_key:
            raise MissingAPIKeyError("api_key is empty: pass the Anthropic API key")
        return {"x-api-key": api_key}
    if auth_token is not None:
        if not auth_token:
            raise MissingAPIKeyError("auth_token is empty: pass the bearer token")
        return {"Authorization": f"Bearer {auth_token}"}
    if header_value(headers, "x-api-key", "authorization") is not None:
        return {}
    key = env(API_KEY_ENV)
    if key is not None:
        return {"x-api-key": key}
    token = env(AUTH_TOKEN_ENV)
    if token is not None:
        return {"Authorization": f"Bearer {token}"}
    raise MissingAPIKeyError(
        f"no Anthropic API key: pass api_key= (or auth_token=) or set the {API_KEY_ENV} "
        f"(or {AUTH_TOKEN_ENV}) environment variable"
    )
