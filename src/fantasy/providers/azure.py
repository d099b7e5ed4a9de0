"""Azure OpenAI, on its OpenAI-compatible v1 path.

    from fantasy.providers import azure
    provider = azure.Provider("https://my-resource.openai.azure.com", api_key=...)
    model = provider.language_model("gpt-5-mini")   # your deployment name

Requests go to ``https://<resource>.openai.azure.com/openai/v1/...`` with the key
in an ``api-key`` header; no ``api-version`` is sent (the v1 path needs none).
Everything else is OpenAI's: the same codecs (Chat Completions, or the Responses
API with ``use_responses_api=True``), and options under the ``"openai"`` key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import MissingAPIKeyError
from fantasy.providers._base import HTTPProvider, check_model_id, key_credentials, resolve_setting
from fantasy.providers.openai.hooks import ChatHooks, check_hooks
from fantasy.providers.openai.models import is_responses_model
from fantasy.providers.openai.provider import ChatLanguageModel, routed_language_model
from fantasy.types import ObjectMode

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits
    from fantasy.providers.openai.responses_model import ResponsesLanguageModel

NAME = "azure"
API_KEY_ENV = "AZURE_OPENAI_API_KEY"
ENDPOINT_ENV = "AZURE_OPENAI_ENDPOINT"

_AZURE_HOST = re.compile(
    r"^(?:https?://)?([a-zA-Z0-9-]+)\.(?:openai|cognitiveservices|services\.ai)\.azure\.com(?:/.*)?$"
)


def v1_base_url(endpoint: str) -> str:
    """Any Azure resource URL (openai, cognitiveservices or services.ai host, any path)
    becomes the resource's v1 base; other URLs are kept, with https:// added if needed."""
    match = _AZURE_HOST.match(endpoint)
    if match:
        return f"https://{match.group(1)}.openai.azure.com/openai/v1"
    if "://" not in endpoint and not endpoint.lower().startswith(("http:", "https:")):
        return "https://" + endpoint
    return endpoint


class Provider(HTTPProvider):
    """Azure OpenAI. ``base_url`` defaults to ``AZURE_OPENAI_ENDPOINT`` and ``api_key``
    to ``AZURE_OPENAI_API_KEY``; a missing one raises an error naming the variable.

    Without ``api_key``, an ``api-key`` or ``Authorization`` header in ``headers``
    (a Microsoft Entra ID bearer token, say) is sent as the credential instead, and
    the environment's key is not read.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        use_responses_api: bool = False,
        responses_api_predicate: Callable[[str], bool] | None = None,
        object_mode: ObjectMode | str = ObjectMode.AUTO,
        hooks: ChatHooks | None = None,
    ):
        # Native JSON schema output unless "tool" or "text", as OpenAI's.
        self.object_mode = ObjectMode(object_mode)
        self.hooks = check_hooks(hooks)
        self.use_responses_api = use_responses_api
        self.responses_api_predicate = responses_api_predicate or is_responses_model
        endpoint, setting = resolve_setting(base_url, ENDPOINT_ENV, "")
        if not endpoint:
            raise MissingAPIKeyError(
                f"no Azure endpoint: pass base_url= or set the {ENDPOINT_ENV} environment variable"
            )
        credentials = key_credentials(
            api_key,
            env_var=API_KEY_ENV,
            label="Azure OpenAI",
            header="api-key",
            headers=headers,
            header_names=["authorization"],
        )
        if credentials:
            # As the SDK's azure.WithAPIKey: no Authorization header goes beside the key.
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        super().__init__(
            name=NAME,
            base_url=v1_base_url(endpoint),
            base_url_setting=setting,
            credentials=credentials,
            headers=headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )

    def language_model(
        self, model_id: str, *, hooks: ChatHooks | None = None
    ) -> ChatLanguageModel | ResponsesLanguageModel:
        """Chat Completions, or the Responses API when ``use_responses_api`` is set and the
        predicate (OpenAI's list of Responses models by default) accepts the deployment.
        ``hooks`` (`fantasy.providers.openai.ChatHooks`, over the provider's) patch a Chat
        Completions model's translation; OpenAI's `DEFAULT_HOOKS` are its own steps."""
        check_model_id(model_id)
        model = routed_language_model(
            self, model_id, self.use_responses_api, self.responses_api_predicate, self.hooks, hooks
        )
        model.object_mode = self.object_mode
        return model
