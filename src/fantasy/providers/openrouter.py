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
from typing import TYPE_CHECKING, Any, Literal

from fantasy._record import Record, as_dict
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
    return {k: v for k, v in as_dict(value).items() if v is not None and v != []}


@persisted(omit_empty=["*"])
class ReasoningOptions(Record):
    __slots__ = ("enabled", "exclude", "max_tokens", "effort")
    enabled: bool | None
    exclude: bool | None
    """Reason, but leave the reasoning out of the response."""
    max_tokens: int | None
    effort: ReasoningEffort | None

    def __init__(
        self,
        *,
        enabled: bool | None = None,
        exclude: bool | None = None,
        max_tokens: int | None = None,
        effort: ReasoningEffort | None = None,
    ) -> None:
        self.enabled = enabled
        self.exclude = exclude
        self.max_tokens = max_tokens
        self.effort = effort


@persisted(omit_empty=["*"])
class ProviderRouting(Record):
    """Which upstream providers may serve the request, and how to pick."""

    __slots__ = (
        "order",
        "allow_fallbacks",
        "require_parameters",
        "data_collection",
        "only",
        "ignore",
        "quantizations",
        "sort",
    )

    order: list[str] | None
    allow_fallbacks: bool | None
    require_parameters: bool | None
    data_collection: str | None
    only: list[str] | None
    ignore: list[str] | None
    quantizations: list[str] | None
    sort: str | None

    def __init__(
        self,
        *,
        order: list[str] | None = None,
        allow_fallbacks: bool | None = None,
        require_parameters: bool | None = None,
        data_collection: str | None = None,
        only: list[str] | None = None,
        ignore: list[str] | None = None,
        quantizations: list[str] | None = None,
        sort: str | None = None,
    ) -> None:
        self.order = order
        self.allow_fallbacks = allow_fallbacks
        self.require_parameters = require_parameters
        self.data_collection = data_collection
        self.only = only
        self.ignore = ignore
        self.quantizations = quantizations
        self.sort = sort


@persisted("openrouter.options", json_names={"logprobs": "log_probs"}, omit_empty=["*"])
class ProviderOptions(Record):
    __slots__ = (
        "reasoning",
        "provider",
        "include_usage",
        "logit_bias",
        "logprobs",
        "user",
        "parallel_tool_calls",
        "extra_body",
    )
    reasoning: ReasoningOptions | None
    provider: ProviderRouting | None
    include_usage: bool | None
    """Usage accounting (tokens and cost); sent as true unless set to False."""
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    user: str | None
    parallel_tool_calls: bool | None
    extra_body: dict[str, Any] | None
    """Merged into the request body last, so it can override any field."""

    def __init__(
        self,
        *,
        reasoning: ReasoningOptions | None = None,
        provider: ProviderRouting | None = None,
        include_usage: bool | None = None,
        logit_bias: dict[str, int] | None = None,
        logprobs: bool | None = None,
        user: str | None = None,
        parallel_tool_calls: bool | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.reasoning = reasoning
        self.provider = provider
        self.include_usage = include_usage
        self.logit_bias = logit_bias
        self.logprobs = logprobs
        self.user = user
        self.parallel_tool_calls = parallel_tool_calls
        self.extra_body = extra_body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderOptions:
        """Options from Fantasy's JSON shape (its ``ParseOptions``), e.g. from a
        configuration file: ``{"reasoning": {"effort": "low"}, "provider": {"order": [...]}}``.
        Unknown keys are ignored."""
        from fantasy.providers._parse import parse_options

        return parse_options(cls, data, "openrouter")


class PromptTokensDetails(Record):
    __slots__ = ("cached_tokens",)
    cached_tokens: int

    def __init__(self, *, cached_tokens: int = 0) -> None:
        self.cached_tokens = cached_tokens


class CompletionTokensDetails(Record):
    __slots__ = ("reasoning_tokens",)
    reasoning_tokens: int

    def __init__(self, *, reasoning_tokens: int = 0) -> None:
        self.reasoning_tokens = reasoning_tokens


class CostDetails(Record):
    """What the upstream provider charged, in credits (dollars)."""

    __slots__ = (
        "upstream_inference_cost",
        "upstream_inference_prompt_cost",
        "upstream_inference_completions_cost",
    )

    upstream_inference_cost: float
    upstream_inference_prompt_cost: float
    upstream_inference_completions_cost: float

    def __init__(
        self,
        *,
        upstream_inference_cost: float = 0.0,
        upstream_inference_prompt_cost: float = 0.0,
        upstream_inference_completions_cost: float = 0.0,
    ) -> None:
        self.upstream_inference_cost = upstream_inference_cost
        self.upstream_inference_prompt_cost = upstream_inference_prompt_cost
        self.upstream_inference_completions_cost = upstream_inference_completions_cost


class UsageAccounting(
    Record,
    factories={
        "prompt_tokens_details": PromptTokensDetails,
        "completion_tokens_details": CompletionTokensDetails,
        "cost_details": CostDetails,
    },
):
    """OpenRouter's usage accounting, typed (Fantasy's ``UsageAccounting``): tokens and
    what they cost. Fields the response left out are zero."""

    __slots__ = (
        "prompt_tokens",
        "prompt_tokens_details",
        "completion_tokens",
        "completion_tokens_details",
        "total_tokens",
        "cost",
        "cost_details",
    )

    prompt_tokens: int
    prompt_tokens_details: PromptTokensDetails
    completion_tokens: int
    completion_tokens_details: CompletionTokensDetails
    total_tokens: int
    cost: float
    cost_details: CostDetails

    def __init__(
        self,
        *,
        prompt_tokens: int = 0,
        prompt_tokens_details: PromptTokensDetails | None = None,
        completion_tokens: int = 0,
        completion_tokens_details: CompletionTokensDetails | None = None,
        total_tokens: int = 0,
        cost: float = 0.0,
        cost_details: CostDetails | None = None,
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.prompt_tokens_details = (
            PromptTokensDetails() if prompt_tokens_details is None else prompt_tokens_details
        )
        self.completion_tokens = completion_tokens
        self.completion_tokens_details = (
            CompletionTokensDetails()
            if completion_tokens_details is None
            else completion_tokens_details
        )
        self.total_tokens = total_tokens
        self.cost = cost
        self.cost_details = CostDetails() if cost_details is None else cost_details

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
class ProviderMetadata(Record, factories={"usage": dict}):
    """``response.provider_metadata["openrouter"]``: who served the request, at what cost."""

    __slots__ = ("provider", "usage")

    provider: str
    usage: dict[str, Any]
    """OpenRouter's usage object as sent, with ``cost`` and ``cost_details``."""

    def __init__(self, *, provider: str = "", usage: dict[str, Any] | None = None) -> None:
        self.provider = provider
        self.usage = {} if usage is None else usage

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
