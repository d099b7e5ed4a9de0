"""The Google provider: which backend, which URL, which credentials.

One provider speaks to either backend: the Gemini API (key in the
``x-goog-api-key`` header, never in the URL) or Vertex AI (a project and a
location, with a bearer token from `VertexAuth`). Requests and responses are
the same JSON on both, apart from function-call ids, which Vertex refuses.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError, MissingAPIKeyError
from fantasy.http.auth.google import TokenProvider, VertexAuth, vertex_base_url
from fantasy.model import BaseLanguageModel
from fantasy.providers._base import (
    HTTPProvider,
    check_model_id,
    check_name_like,
    env,
    env_label,
    header_value,
    resolve_setting,
)
from fantasy.providers.google.model import GeminiLanguageModel, ToolCallIDFunc
from fantasy.providers.google.options import NAME
from fantasy.providers.google.request import RequestBuilder
from fantasy.types import ObjectMode

if TYPE_CHECKING:
    import httpx

    from fantasy.http.limits import HttpLimits
    from fantasy.providers import anthropic

API_KEY_ENVS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
"""Read in this order, as Google's SDK reads them."""
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENVS = ("GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION")
VERTEX_BASE_URL_ENV = "GOOGLE_VERTEX_BASE_URL"
GEMINI_BASE_URL_ENV = "GOOGLE_GEMINI_BASE_URL"
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
GEMINI_API_VERSION = "v1beta"
VERTEX_API_VERSION = "v1beta1"


def _new_tool_call_id() -> str:
    return str(uuid.uuid4())


def gemini_model_path(model_id: str) -> str:
    if model_id.startswith(("models/", "tunedModels/")):
        return model_id
    return f"models/{model_id}"


def vertex_model_path(model_id: str, project: str, location: str) -> str:
    if model_id.startswith(("projects/", "models/", "publishers/")):
        path = model_id
    elif "/" in model_id:
        publisher, name = model_id.split("/", 1)
        path = f"publishers/{publisher}/models/{name}"
    else:
        path = f"publishers/google/models/{model_id}"
    if path.startswith("projects/"):
        return path
    return f"projects/{project}/locations/{location}/{path}"


def gemini_api_key(api_key: str | None) -> str:
    """The key given, else the first of Google's variables that is set."""
    key = api_key
    if key is None:
        key = next((os.environ[e] for e in API_KEY_ENVS if os.environ.get(e)), "")
    if not key:
        raise MissingAPIKeyError(
            "no Gemini API key: pass api_key= or set the GOOGLE_API_KEY or GEMINI_API_KEY "
            "environment variable"
        )
    return key


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true")


class Provider(HTTPProvider):
    """Google's Gemini models, on the Gemini API or on Vertex AI, over plain HTTP.

    Gemini API: the key comes from ``api_key`` (or an ``x-goog-api-key`` header in
    ``headers``), else ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``. Vertex AI: pass
    ``vertex=True`` (or ``project=``, ``location=``, a ``token=`` /
    ``token_provider=`` / ``credentials=``, or set ``GOOGLE_GENAI_USE_VERTEXAI=true``);
    the project comes from ``project`` or ``GOOGLE_CLOUD_PROJECT``, the location from
    ``location``, ``GOOGLE_CLOUD_LOCATION`` / ``GOOGLE_CLOUD_REGION``, else
    ``"global"``. Vertex auth is ``token=``, ``token_provider=``, google-auth
    ``credentials=``, or Application Default Credentials (the ``vertex`` extra);
    ``skip_auth=True`` sends none. A given argument always wins over the environment:
    an ``api_key`` means the Gemini API even when ``GOOGLE_GENAI_USE_VERTEXAI`` is set.

    ``tool_call_id`` makes the ids of function calls Gemini leaves without one
    (a random UUID by default).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        vertex: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        credentials: Any = None,
        skip_auth: bool = False,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = None,
        limits: HttpLimits | None = None,
        name: str = NAME,
        tool_call_id: ToolCallIDFunc | None = None,
        object_mode: ObjectMode | str = ObjectMode.AUTO,
    ):
        # How objects are generated: responseJsonSchema unless "tool" or "text".
        self.object_mode = ObjectMode(object_mode)
        if vertex is None:
            vertex = api_key is None and (
                project is not None
                or location is not None
                or token is not None
                or token_provider is not None
                or credentials is not None
                or _env_flag("GOOGLE_GENAI_USE_VERTEXAI")
            )
        self.vertex = vertex
        self.tool_call_id = tool_call_id or _new_tool_call_id
        self.auth: VertexAuth | None = None
        secrets: dict[str, str] = {}
        if vertex:
            self.project = project or env(PROJECT_ENV) or ""
            if not self.project:
                raise InvalidArgumentError(
                    f"Vertex AI needs a project: pass project= or set {PROJECT_ENV}"
                )
            location_setting = "location"
            if not location:
                found = next(((e, env(e)) for e in LOCATION_ENVS if env(e)), None)
                if found is not None:
                    location_setting, location = env_label(found[0]), found[1]
            self.location = location or "global"
            check_name_like(self.location, location_setting, "us-central1")
            base, base_setting = resolve_setting(
                base_url, VERTEX_BASE_URL_ENV, vertex_base_url(self.location)
            )
            self.auth = VertexAuth(
                token=token, token_provider=token_provider, credentials=credentials, skip=skip_auth
            )
            if not skip_auth:
                # The token comes per request; a stray Authorization header must not ride along.
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        else:
            self.project = self.location = ""
            if api_key is not None or header_value(headers, "x-goog-api-key") is None:
                secrets["x-goog-api-key"] = gemini_api_key(api_key)
            base, base_setting = resolve_setting(base_url, GEMINI_BASE_URL_ENV, GEMINI_BASE_URL)
        super().__init__(
            name=name,
            base_url=base,
            base_url_setting=base_setting,
            credentials=secrets,
            headers=headers,
            user_agent=user_agent,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            timeout=timeout,
            limits=limits,
        )
        # Kept for the Anthropic provider that serves Claude ids; never shown.
        self._vertex_settings: dict[str, Any] = {
            "token": token if token is not None else token_provider,
            "credentials": credentials,
            "skip_auth": skip_auth,
        }
        self._http_settings: dict[str, Any] = {
            "user_agent": user_agent,
            "http_client": http_client,
            "async_http_client": async_http_client,
            "transport": transport,
            "timeout": timeout,
        }
        self._claude_provider: anthropic.Provider | None = None

    def model_url(self, model_id: str) -> str:
        if self.vertex:
            path = vertex_model_path(model_id, self.project, self.location)
            return f"{self.base_url}/{VERTEX_API_VERSION}/{path}"
        return f"{self.base_url}/{GEMINI_API_VERSION}/{gemini_model_path(model_id)}"

    def _claude_model(self, model_id: str) -> BaseLanguageModel:
        """Claude on Vertex speaks Anthropic's API, so Fantasy hands it to the Anthropic
        provider with this provider's project, location, auth and HTTP settings (not its
        headers, name or base URL, as in Fantasy)."""
        if not self.vertex:
            raise InvalidArgumentError(
                f"{model_id!r} is a Claude model, which Google serves on Vertex AI only: "
                "pass project= and location=, or use fantasy.providers.anthropic"
            )
        if self._claude_provider is None:
            from fantasy.providers import anthropic

            self._claude_provider = anthropic.Provider(
                vertex_project=self.project,
                vertex_location=self.location,
                vertex_token=self._vertex_settings.get("token"),
                vertex_credentials=self._vertex_settings.get("credentials"),
                skip_auth=bool(self._vertex_settings.get("skip_auth")),
                **self._http_settings,
            )
        return self._claude_provider.language_model(model_id)

    def language_model(self, model_id: str) -> BaseLanguageModel:
        """A Gemini model; a Claude id (``claude``/``anthropic`` in it) on Vertex AI gives
        an Anthropic-API model instead, as in Fantasy."""
        check_model_id(model_id)
        if not model_id:
            raise InvalidArgumentError("model id is empty")
        if any(bad in model_id for bad in ("?", "&", "..")):
            # The id becomes part of the URL path; Google's SDK refuses these too.
            raise InvalidArgumentError(f"invalid model id {model_id!r}")
        if "claude" in model_id or "anthropic" in model_id:
            claude = self._claude_model(model_id)
            claude.object_mode = self.object_mode
            return claude
        builder = RequestBuilder(
            model_id,
            provider_name=self._name,
            vertex=self.vertex,
            project=self.project,
            location=self.location,
        )
        model = GeminiLanguageModel(
            builder,
            self.transport,
            self.model_url(model_id),
            auth=self.auth,
            tool_call_id=self.tool_call_id,
        )
        model.object_mode = self.object_mode
        return model

    def close(self) -> None:
        self.transport.close()
        if self._claude_provider is not None:
            self._claude_provider.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
        if self._claude_provider is not None:
            await self._claude_provider.aclose()
