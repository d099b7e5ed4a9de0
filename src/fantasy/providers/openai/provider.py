"""The OpenAI provider: configuration, and the I/O around the Chat Completions codec."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError
from fantasy.http.transport import HttpTransport
from fantasy.providers._base import HTTPProvider, check_model_id, key_credentials, resolve_setting
from fantasy.providers.openai.chat import ChatCodec, ChatCodecBase
from fantasy.providers.openai.hooks import ChatHooks, check_hooks, default_hooks
from fantasy.providers.openai.http_model import OpenAIHTTPModel
from fantasy.providers.openai.models import is_responses_model
from fantasy.providers.openai.options import NAME
from fantasy.providers.openai.parallel_wrapper import unwrap_content, unwraps
from fantasy.types import CallWarning, ObjectMode

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits
    from fantasy.model import Call, Response
    from fantasy.providers.openai.chat_stream import ChatStreamTranslator
    from fantasy.providers.openai.responses_model import ResponsesLanguageModel

DEFAULT_BASE_URL = "https://api.openai.com/v1"
API_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"


class ChatLanguageModel(OpenAIHTTPModel[ChatCodecBase[Any]]):
    """A model on the Chat Completions API (``POST {base_url}/chat/completions``)."""

    def __init__(
        self, codec: ChatCodecBase[Any], transport: HttpTransport, url: str, provider_name: str
    ):
        super().__init__(codec, transport, url, provider_name)
        codec.language_model = self
        self.native_object_output = codec.native_object_output
        # Chat Completions takes response_format beside tools (OpenAI, Azure).
        self.native_output_with_tools = codec.native_object_output

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        from fantasy.providers.openai.structured import check_chat_schema

        check_chat_schema(self, schema, where)

    async def agenerate(self, call: Call) -> Response:
        response = await super().agenerate(call)
        if unwraps(call):
            response.content = unwrap_content(response.content)
        return response

    def _translator(self, call: Call, warnings: list[CallWarning]) -> ChatStreamTranslator:
        translator = self.codec.new_stream(warnings)
        translator.unwrap_parallel = unwraps(call)
        return translator


class Provider(HTTPProvider):
    """OpenAI, reached over HTTP without the vendor SDK.

    The API key comes from ``api_key`` (or an ``Authorization`` header in
    ``headers``), else the ``OPENAI_API_KEY`` environment variable; ``base_url``
    from the argument, ``OPENAI_BASE_URL``, or OpenAI's. A given argument always
    wins over the environment.
    Pass ``transport=`` (an httpx transport) or your own ``http_client`` /
    ``async_http_client`` to control networking, e.g. to replay cassettes.

    With ``use_responses_api=True``, `language_model` returns a
    `ResponsesLanguageModel` for every id ``responses_api_predicate`` accepts
    (default: `is_responses_model`, Fantasy's rule) and a `ChatLanguageModel`
    for the others; the predicate alone changes nothing, as in Fantasy.

    ``hooks`` (`ChatHooks`, Fantasy's ``WithLanguageModelOptions``) replace steps of
    every Chat Completions model's translation; ``language_model(id, hooks=...)``
    gives a model its own, over these. `DEFAULT_HOOKS` holds OpenAI's own steps.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        name: str = NAME,
        use_responses_api: bool = False,
        responses_api_predicate: Callable[[str], bool] | None = None,
        object_mode: ObjectMode | str = ObjectMode.AUTO,
        hooks: ChatHooks | None = None,
    ):
        self.hooks = check_hooks(hooks)
        base, base_setting = resolve_setting(base_url, BASE_URL_ENV, DEFAULT_BASE_URL)
        credentials = key_credentials(
            api_key,
            env_var=API_KEY_ENV,
            label="OpenAI",
            header="Authorization",
            headers=headers,
            prefix="Bearer ",
        )
        project_headers: dict[str, str] = {}
        if organization:
            project_headers["OpenAI-Organization"] = organization
        if project:
            project_headers["OpenAI-Project"] = project
        super().__init__(
            name=name,
            base_url=base,
            base_url_setting=base_setting,
            credentials=credentials,
            headers={**project_headers, **(headers or {})},
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )
        # Models go to the Responses API only when asked for, and only those the predicate
        # (Fantasy's IsResponsesModel by default) accepts; the rest stay on Chat Completions.
        self.use_responses_api = use_responses_api
        self.responses_api_predicate = responses_api_predicate or is_responses_model
        # How objects are generated: native JSON schema output unless "tool" or "text".
        self.object_mode = ObjectMode(object_mode)

    def language_model(
        self, model_id: str, *, hooks: ChatHooks | None = None
    ) -> ChatLanguageModel | ResponsesLanguageModel:
        check_model_id(model_id)
        model = routed_language_model(
            self,
            model_id,
            self.use_responses_api,
            self.responses_api_predicate,
            self.hooks,
            hooks,
        )
        model.object_mode = self.object_mode
        return model


def attach_hooks(model: ChatLanguageModel, hooks: ChatHooks | None) -> ChatLanguageModel:
    """``model`` translating with ``hooks`` in place of its codec's own steps."""
    if hooks is not None and not hooks.is_empty():
        model.codec.hooks = hooks
    return model


def routed_language_model(
    provider: HTTPProvider,
    model_id: str,
    use_responses_api: bool,
    predicate: Callable[[str], bool],
    provider_hooks: ChatHooks | None = None,
    model_hooks: object = None,
    chat_codec: Callable[[str], ChatCodecBase[Any]] = ChatCodec,
) -> ChatLanguageModel | ResponsesLanguageModel:
    """Chat Completions, or the Responses API when it is asked for and the predicate
    accepts the model; shared by OpenAI, Azure and OpenAI-compatible servers. Hooks are
    for Chat Completions models (the provider's are theirs, as in Fantasy): hooks given
    for a Responses model are refused rather than quietly unused."""
    given = check_hooks(model_hooks)
    if use_responses_api and predicate(model_id):
        if given is not None and not given.is_empty():
            raise InvalidArgumentError(
                f"hooks apply to Chat Completions models; {model_id!r} goes to the "
                "Responses API (use_responses_api=True): leave hooks out, or pass a "
                "responses_api_predicate that keeps this model on Chat Completions"
            )
        # Imported here: programs that never use the Responses API never load it.
        from fantasy.providers.openai.responses import ResponsesCodec
        from fantasy.providers.openai.responses_model import ResponsesLanguageModel

        return ResponsesLanguageModel(
            ResponsesCodec(model_id, provider.name),
            provider.transport,
            provider.url("responses"),
            provider.name,
        )
    model = ChatLanguageModel(
        chat_codec(model_id), provider.transport, provider.url("chat/completions"), provider.name
    )
    return attach_hooks(model, provider_hooks.merged(given) if provider_hooks else given)


DEFAULT_HOOKS = default_hooks(lambda model_id, _provider: ChatCodec(model_id))
"""OpenAI's own Chat Completions steps as `ChatHooks` (Fantasy's ``DefaultPrepareCallFunc``,
``DefaultMapFinishReasonFunc``, ``DefaultUsageFunc``, ``DefaultStreamUsageFunc``,
``DefaultToPrompt``): a hook can call one and patch its result."""
