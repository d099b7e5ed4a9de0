"""Vercel's AI Gateway: many providers' models behind one OpenAI-compatible endpoint.

    from fantasy.providers import vercel
    model = vercel.Provider().language_model("anthropic/claude-sonnet-4")

Options go under ``provider_options={"vercel": vercel.ProviderOptions(...)}``:
reasoning, gateway routing (provider order, model fallbacks, zero data retention),
bring-your-own-key credentials, and a few sampling extras. Reasoning from any
upstream round-trips as in `fantasy.providers.openrouter`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from fantasy._record import Record, as_dict
from fantasy.persistence.registry import persisted
from fantasy.providers._base import HTTPProvider, check_model_id, key_credentials
from fantasy.providers._gateway import GatewayCodec, GatewayDialect
from fantasy.providers.openai.hooks import ChatHooks, check_hooks, default_hooks
from fantasy.providers.openai.provider import ChatLanguageModel, attach_hooks
from fantasy.types import JSON, CallWarning, ObjectMode

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits

NAME = "vercel"
API_KEY_ENV = "AI_GATEWAY_API_KEY"
DEFAULT_BASE_URL = "https://ai-gateway.vercel.sh/v1"

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]


@persisted(omit_empty=["*"])
class ReasoningOptions(Record):
    __slots__ = ("enabled", "max_tokens", "effort", "exclude")
    enabled: bool | None
    max_tokens: int | None
    effort: ReasoningEffort | None
    exclude: bool | None

    def __init__(
        self,
        *,
        enabled: bool | None = None,
        max_tokens: int | None = None,
        effort: ReasoningEffort | None = None,
        exclude: bool | None = None,
    ) -> None:
        self.enabled = enabled
        self.max_tokens = max_tokens
        self.effort = effort
        self.exclude = exclude


@persisted(json_names={"zero_data_retention": "zeroDataRetention"}, omit_empty=["*"])
class GatewayOptions(Record):
    """Routing: the upstream providers to try in order, and fallback models."""

    __slots__ = ("order", "models", "zero_data_retention")

    order: list[str] | None
    models: list[str] | None
    zero_data_retention: bool | None

    def __init__(
        self,
        *,
        order: list[str] | None = None,
        models: list[str] | None = None,
        zero_data_retention: bool | None = None,
    ) -> None:
        self.order = order
        self.models = models
        self.zero_data_retention = zero_data_retention

    def to_json(self) -> JSON:
        wire: JSON = {}
        if self.order:  # empty lists are left out, as Go's omitempty
            wire["order"] = self.order
        if self.models:
            wire["models"] = self.models
        if self.zero_data_retention is not None:
            wire["zeroDataRetention"] = self.zero_data_retention
        return wire


class BYOKCredential(Record):
    """One upstream credential for the gateway's bring-your-own-key: an API key, and any
    other fields the upstream needs (Vertex's ``project``/``location``/
    ``googleCredentials``, Bedrock's ``accessKeyId``/``secretAccessKey``/``region``), in
    the gateway's camelCase."""

    __slots__ = ("api_key", "fields")

    api_key: str
    fields: dict[str, Any] | None

    def __init__(self, *, api_key: str = "", fields: dict[str, Any] | None = None) -> None:
        self.api_key = api_key
        self.fields = fields

    def to_dict(self) -> JSON:
        wire: JSON = {"apiKey": self.api_key} if self.api_key else {}
        wire.update(self.fields or {})
        return wire


class BYOKOptions(Record):
    """Bring-your-own-key credentials per upstream (Fantasy's ``BYOKOptions``), tried in
    order; ``ProviderOptions(byok=BYOKOptions(anthropic=[BYOKCredential(api_key=...)]))``.
    Sent as ``{"anthropic": [{"apiKey": ...}], ...}``, the gateway's documented shape."""

    __slots__ = ("anthropic", "openai", "vertex", "bedrock")

    anthropic: list[BYOKCredential] | None
    openai: list[BYOKCredential] | None
    vertex: list[BYOKCredential] | None
    bedrock: list[BYOKCredential] | None

    def __init__(
        self,
        *,
        anthropic: list[BYOKCredential] | None = None,
        openai: list[BYOKCredential] | None = None,
        vertex: list[BYOKCredential] | None = None,
        bedrock: list[BYOKCredential] | None = None,
    ) -> None:
        self.anthropic = anthropic
        self.openai = openai
        self.vertex = vertex
        self.bedrock = bedrock

    def to_dict(self) -> JSON:
        wire: JSON = {}
        for upstream in ("anthropic", "openai", "vertex", "bedrock"):
            credentials = getattr(self, upstream)
            if credentials:
                wire[upstream] = [c.to_dict() for c in credentials]
        return wire


@persisted("vercel.options", json_names={"gateway": "providerOptions"}, omit_empty=["*"])
class ProviderOptions(Record):
    __slots__ = (
        "reasoning",
        "gateway",
        "byok",
        "user",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "extra_body",
    )
    reasoning: ReasoningOptions | None
    gateway: GatewayOptions | None
    byok: dict[str, Any] | BYOKOptions | None
    """Your own upstream credentials, a `BYOKOptions` or in the gateway's shape:
    ``{"anthropic": [{"apiKey": "..."}]}`` (a `BYOKOptions` is kept as that shape)."""
    user: str | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    top_logprobs: int | None
    parallel_tool_calls: bool | None
    extra_body: dict[str, Any] | None
    """Merged into the request body last, so it can override any field."""

    def __init__(
        self,
        *,
        reasoning: ReasoningOptions | None = None,
        gateway: GatewayOptions | None = None,
        byok: dict[str, Any] | BYOKOptions | None = None,
        user: str | None = None,
        logit_bias: dict[str, int] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        parallel_tool_calls: bool | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.reasoning = reasoning
        self.gateway = gateway
        self.byok = byok
        self.user = user
        self.logit_bias = logit_bias
        self.logprobs = logprobs
        self.top_logprobs = top_logprobs
        self.parallel_tool_calls = parallel_tool_calls
        self.extra_body = extra_body
        self.__post_init__()

    def __post_init__(self) -> None:
        if isinstance(self.byok, BYOKOptions):
            self.byok = self.byok.to_dict()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"providerOptions": {"order": [...]}, "byok": {...}}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "vercel")


@persisted("vercel.metadata", omit_empty=["*"])
class ProviderMetadata(Record):
    """``response.provider_metadata["vercel"]``: the upstream that served the request."""

    __slots__ = ("provider",)

    provider: str

    def __init__(self, *, provider: str = "") -> None:
        self.provider = provider


class VercelCodec(GatewayCodec[ProviderOptions]):
    provider_name = NAME
    options_key = NAME
    file_options_key = "openai"
    metadata_key = NAME
    options_type = ProviderOptions
    dialect = GatewayDialect(
        drops_empty_user=True,
        reads_plain_reasoning=True,
        keeps_first_reasoning_text=True,
        waits_for_claude_signature=False,
        replays_xai_reasoning=False,
    )

    def apply_options(self, body: JSON, opts: ProviderOptions, warnings: list[CallWarning]) -> None:
        if opts.reasoning is not None:
            body["reasoning"] = {k: v for k, v in as_dict(opts.reasoning).items() if v is not None}
        if opts.gateway is not None:
            body["providerOptions"] = {"gateway": opts.gateway.to_json()}
        if opts.byok is not None:
            # As Fantasy: inside a new gateway object, but beside an existing one.
            if "providerOptions" in body:
                body["providerOptions"]["byok"] = opts.byok
            else:
                body["providerOptions"] = {"gateway": {"byok": opts.byok}}
        for key, value in (
            ("logit_bias", opts.logit_bias),
            ("logprobs", opts.logprobs),
            ("top_logprobs", opts.top_logprobs),
            ("user", opts.user),
            ("parallel_tool_calls", opts.parallel_tool_calls),
        ):
            if value is not None:
                body[key] = value
        if opts.gateway is not None and opts.gateway.models:
            body["models"] = opts.gateway.models

    def metadata_from(self, body: JSON, usage: JSON) -> Any:
        # Lenient on purpose: any JSON is kept, a string as sent and anything else
        # JSON-encoded.
        upstream = body.get("provider")
        if upstream is None:
            return ProviderMetadata()
        return ProviderMetadata(
            provider=upstream if isinstance(upstream, str) else json.dumps(upstream)
        )


class Provider(HTTPProvider):
    """The AI Gateway; the key comes from ``api_key`` (or an ``Authorization`` header in
    ``headers``), else ``AI_GATEWAY_API_KEY``."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        name: str = NAME,
        object_mode: ObjectMode | str = ObjectMode.TOOL,
        hooks: ChatHooks | None = None,
    ):
        # No native JSON mode here: "auto" and "json" use a forced tool call (as in
        # Fantasy), "text" reads the object from the text.
        self.object_mode = ObjectMode(object_mode)
        self.hooks = check_hooks(hooks)
        credentials = key_credentials(
            api_key,
            env_var=API_KEY_ENV,
            label="AI Gateway",
            header="Authorization",
            headers=headers,
            prefix="Bearer ",
        )
        super().__init__(
            name=name,
            base_url=base_url or DEFAULT_BASE_URL,
            credentials=credentials,
            headers=headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )

    def language_model(self, model_id: str, *, hooks: ChatHooks | None = None) -> ChatLanguageModel:
        """A model; ``hooks`` (`fantasy.providers.openai.ChatHooks`) replace steps of its
        translation, over the provider's own ``hooks`` (`DEFAULT_HOOKS` are the steps
        they replace)."""
        check_model_id(model_id)
        model = ChatLanguageModel(
            VercelCodec(model_id), self.transport, self.url("chat/completions"), self.name
        )
        model.object_mode = self.object_mode
        given = check_hooks(hooks)
        return attach_hooks(model, self.hooks.merged(given) if self.hooks else given)


DEFAULT_HOOKS = default_hooks(lambda model_id, _provider: VercelCodec(model_id))
"""This gateway's own Chat Completions steps as `ChatHooks`."""
