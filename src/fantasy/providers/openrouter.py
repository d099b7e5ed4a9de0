"""OpenRouter: hundreds of models from many providers behind one endpoint.

    from fantasy.providers import openrouter
    model = openrouter.Provider().language_model("anthropic/claude-haiku-4.5")

Options go under ``provider_options={"openrouter": openrouter.ProviderOptions(...)}``:
reasoning, provider routing, usage accounting (on by default, so responses report
cost), and a few sampling extras. Reasoning from any upstream comes back as
reasoning content with that upstream's metadata (Anthropic signatures, OpenAI
encrypted reasoning, Gemini thought signatures) and is replayed on the next turn.
The web search and PDF parsing plugins are provider tools (`web_search_tool`,
`file_parser_tool`); their citations and parsed files come back as sources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fantasy.persistence.registry import persisted
from fantasy.providers._base import HTTPProvider, check_model_id, key_credentials
from fantasy.providers._gateway import GatewayCodec, GatewayDialect
from fantasy.providers.openai.hooks import ChatHooks, check_hooks, default_hooks
from fantasy.providers.openai.provider import ChatLanguageModel, attach_hooks
from fantasy.types import JSON, CallWarning, ObjectMode, ProviderDefinedTool

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits

NAME = "openrouter"
API_KEY_ENV = "OPENROUTER_API_KEY"
BASE_URL = "https://openrouter.ai/api/v1"

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]


def _set_fields(value: Any) -> JSON:
    """A dataclass as JSON with only the fields that were set (empty lists left out, as
    Go's ``omitempty``)."""
    return {k: v for k, v in asdict(value).items() if v is not None and v != []}


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ReasoningOptions:
    enabled: bool | None = None
    exclude: bool | None = None
    """Reason, but leave the reasoning out of the response."""
    max_tokens: int | None = None
    effort: ReasoningEffort | None = None


@persisted(omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ProviderRouting:
    """Which upstream providers may serve the request, and how to pick."""

    order: list[str] | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None
    data_collection: str | None = None
    only: list[str] | None = None
    ignore: list[str] | None = None
    quantizations: list[str] | None = None
    sort: str | None = None


@persisted("openrouter.options", json_names={"logprobs": "log_probs"}, omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ProviderOptions:
    reasoning: ReasoningOptions | None = None
    provider: ProviderRouting | None = None
    include_usage: bool | None = None
    """Usage accounting (tokens and cost); sent as true unless set to False."""
    logit_bias: dict[str, int] | None = None
    logprobs: bool | None = None
    user: str | None = None
    parallel_tool_calls: bool | None = None
    extra_body: dict[str, Any] | None = None
    """Merged into the request body last, so it can override any field."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"reasoning": {"effort": "low"}, "provider": {"order": [...]}}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "openrouter")


@dataclass(slots=True, kw_only=True)
class PromptTokensDetails:
    cached_tokens: int = 0


@dataclass(slots=True, kw_only=True)
class CompletionTokensDetails:
    reasoning_tokens: int = 0


@dataclass(slots=True, kw_only=True)
class CostDetails:
    """What the upstream provider charged, in credits (dollars)."""

    upstream_inference_cost: float = 0.0
    upstream_inference_prompt_cost: float = 0.0
    upstream_inference_completions_cost: float = 0.0


@dataclass(slots=True, kw_only=True)
class UsageAccounting:
    """OpenRouter's usage accounting, typed (Fantasy's ``UsageAccounting``): tokens and
    what they cost. Fields the response left out are zero."""

    prompt_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails = field(default_factory=PromptTokensDetails)
    completion_tokens: int = 0
    completion_tokens_details: CompletionTokensDetails = field(
        default_factory=CompletionTokensDetails
    )
    total_tokens: int = 0
    cost: float = 0.0
    cost_details: CostDetails = field(default_factory=CostDetails)

    @classmethod
    def from_dict(cls, usage: Mapping[str, Any]) -> UsageAccounting:
        """From the usage object as OpenRouter sends it; a value of another type than
        the field's (a null, a string) reads as zero."""

        def number(data: Any, key: str, kind: type[Any]) -> Any:
            value = data.get(key) if isinstance(data, Mapping) else None
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return kind(value) if ok else kind()

        prompt = usage.get("prompt_tokens_details")
        completion = usage.get("completion_tokens_details")
        costs = usage.get("cost_details")
        return cls(
            prompt_tokens=number(usage, "prompt_tokens", int),
            prompt_tokens_details=PromptTokensDetails(
                cached_tokens=number(prompt, "cached_tokens", int)
            ),
            completion_tokens=number(usage, "completion_tokens", int),
            completion_tokens_details=CompletionTokensDetails(
                reasoning_tokens=number(completion, "reasoning_tokens", int)
            ),
            total_tokens=number(usage, "total_tokens", int),
            cost=number(usage, "cost", float),
            cost_details=CostDetails(
                upstream_inference_cost=number(costs, "upstream_inference_cost", float),
                upstream_inference_prompt_cost=number(
                    costs, "upstream_inference_prompt_cost", float
                ),
                upstream_inference_completions_cost=number(
                    costs, "upstream_inference_completions_cost", float
                ),
            ),
        )


@persisted("openrouter.metadata")
@dataclass(slots=True, kw_only=True)
class ProviderMetadata:
    """``response.provider_metadata["openrouter"]``: who served the request, at what cost."""

    provider: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    """OpenRouter's usage object as sent, with ``cost`` and ``cost_details``."""

    @property
    def cost(self) -> float | None:
        cost = self.usage.get("cost")
        return float(cost) if isinstance(cost, (int, float)) else None

    @property
    def usage_accounting(self) -> UsageAccounting:
        """`usage` typed: token counts, cost and the upstream's cost details."""
        return UsageAccounting.from_dict(self.usage)


WEB_SEARCH_TOOL_ID = "openrouter.web"
FILE_PARSER_TOOL_ID = "openrouter.file_parser"

WebSearchEngine = Literal["native", "exa", "parallel", "perplexity", "firecrawl"]
PdfEngine = Literal["mistral-ocr", "pdf-text", "cloudflare-ai", "native"]


def web_search_tool(
    *,
    max_results: int | None = None,
    search_prompt: str | None = None,
    engine: WebSearchEngine | None = None,
    include_domains: Sequence[str] | None = None,
    exclude_domains: Sequence[str] | None = None,
) -> ProviderDefinedTool:
    """OpenRouter's web plugin, for ``Agent(provider_tools=[...])``: OpenRouter (or the
    upstream's own search, ``engine="native"``) searches once per request and the
    answer cites its pages, which come back as URL sources. The same as a model id
    ending in ``:online``, with options."""
    args: dict[str, Any] = {}
    if max_results is not None:
        args["max_results"] = max_results
    if search_prompt:
        args["search_prompt"] = search_prompt
    if engine:
        args["engine"] = engine
    if include_domains:
        args["include_domains"] = list(include_domains)
    if exclude_domains:
        args["exclude_domains"] = list(exclude_domains)
    return ProviderDefinedTool(WEB_SEARCH_TOOL_ID, "web", args)


def file_parser_tool(*, pdf_engine: PdfEngine | None = None) -> ProviderDefinedTool:
    """OpenRouter's PDF parsing plugin: how PDFs sent as file parts are read for models
    that cannot read them natively. The parsed files come back as document sources
    (``SourceContent`` with the file's ``hash`` as its id and its name as ``filename``)."""
    args: dict[str, Any] = {"pdf": {"engine": pdf_engine}} if pdf_engine else {}
    return ProviderDefinedTool(FILE_PARSER_TOOL_ID, "file-parser", args)


_PLUGINS = {WEB_SEARCH_TOOL_ID: "web", FILE_PARSER_TOOL_ID: "file-parser"}


class OpenRouterCodec(GatewayCodec[ProviderOptions]):
    provider_name = NAME
    options_key = NAME
    file_options_key = NAME
    metadata_key = NAME
    options_type = ProviderOptions
    dialect = GatewayDialect(
        drops_empty_user=False,
        reads_plain_reasoning=False,
        keeps_first_reasoning_text=False,
        waits_for_claude_signature=True,
        replays_xai_reasoning=True,
    )

    def apply_options(self, body: JSON, opts: ProviderOptions, warnings: list[CallWarning]) -> None:
        if opts.provider is not None:
            body["provider"] = _set_fields(opts.provider)
        if opts.reasoning is not None:
            body["reasoning"] = _set_fields(opts.reasoning)
        body["usage"] = {"include": True if opts.include_usage is None else opts.include_usage}
        for key, value in (
            ("logit_bias", opts.logit_bias),
            ("logprobs", opts.logprobs),
            ("user", opts.user),
            ("parallel_tool_calls", opts.parallel_tool_calls),
        ):
            if value is not None:
                body[key] = value

    def provider_tool(
        self, body: JSON, tool: ProviderDefinedTool, warnings: list[CallWarning]
    ) -> bool:
        """`web_search_tool` and `file_parser_tool` as entries of ``plugins``."""
        plugin = _PLUGINS.get(tool.id)
        if plugin is None:
            return False
        body.setdefault("plugins", []).append({"id": plugin, **(tool.args or {})})
        return True

    def metadata_from(self, body: JSON, usage: JSON) -> Any:
        # Lenient on purpose: any JSON is kept, a string as sent and anything else
        # JSON-encoded (``usage`` is a checked object, kept whole).
        upstream = body.get("provider")
        return ProviderMetadata(
            provider=upstream
            if isinstance(upstream, str)
            else ("" if upstream is None else json.dumps(upstream)),
            usage=dict(usage),
        )


class Provider(HTTPProvider):
    """OpenRouter; the key comes from ``api_key`` (or an ``Authorization`` header in
    ``headers``), else ``OPENROUTER_API_KEY``. The base URL is fixed, as in Fantasy."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
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
            label="OpenRouter",
            header="Authorization",
            headers=headers,
            prefix="Bearer ",
        )
        super().__init__(
            name=name,
            base_url=BASE_URL,
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
            OpenRouterCodec(model_id), self.transport, self.url("chat/completions"), self.name
        )
        model.object_mode = self.object_mode
        given = check_hooks(hooks)
        return attach_hooks(model, self.hooks.merged(given) if self.hooks else given)


DEFAULT_HOOKS = default_hooks(lambda model_id, _provider: OpenRouterCodec(model_id))
"""This gateway's own Chat Completions steps as `ChatHooks`."""
