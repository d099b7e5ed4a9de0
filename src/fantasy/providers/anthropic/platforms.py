"""Where a Messages API request goes and how its body changes there. Pure code.

Claude is served by Anthropic, by Google Vertex AI and by AWS Bedrock. The body
is the same apart from a few keys; the URL carries the model on Vertex and
Bedrock. These rules are Anthropic's SDK middlewares, which Fantasy uses:

- Vertex: ``model`` moves into the URL, ``stream`` stays, ``anthropic_version``
  is added; ``:streamRawPredict`` when streaming.
- Bedrock: ``model`` moves into the URL (query-escaped, so ``:`` becomes ``%3A``),
  ``stream`` is removed, ``anthropic_version`` is added and beta flags move from
  the header into ``anthropic_beta``; the stream comes in AWS event-stream frames.

Beta requests (computer use) add ``?beta=true`` to the URL everywhere.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from fantasy._record import Record
from fantasy.errors import mask_userinfo
from fantasy.http.auth.google import vertex_base_url
from fantasy.http.shell import EventSource
from fantasy.providers.anthropic.events import BedrockEvents, SSEEvents
from fantasy.types import JSON

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
"""The API version header Anthropic's SDK sends."""
VERTEX_VERSION = "vertex-2023-10-16"
BEDROCK_VERSION = "bedrock-2023-05-31"
BEDROCK_DEFAULT_REGION = "us-east-1"


class WireRequest(Record):
    __slots__ = ("url", "body", "headers")
    url: str
    body: JSON
    headers: dict[str, str]
    """Per-request headers the platform needs (beta flags)."""

    def __init__(self, url: str, body: JSON, headers: dict[str, str]) -> None:
        self.url = url
        self.body = body
        self.headers = headers


def _beta_query(betas: list[str]) -> str:
    return "?beta=true" if betas else ""


CLOUD_BETA_FLAGS = {"advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19"}
"""Flags the clouds (Vertex, Bedrock) know by another name: tool search's."""


def _cloud_betas(betas: list[str]) -> list[str]:
    return list(dict.fromkeys(CLOUD_BETA_FLAGS.get(flag, flag) for flag in betas))


def bedrock_base_url(region: str) -> str:
    return f"https://bedrock-runtime.{region}.amazonaws.com"


class Platform:
    """Anthropic's own API; subclasses rewrite for the clouds."""

    name = "anthropic"
    parallel_flag = True
    """Whether ``disable_parallel_tool_use`` may be sent."""
    stream_media_type = "text/event-stream"
    """The Content-Type a streamed answer comes in."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL):
        self.base_url = base_url.rstrip("/")

    def static_headers(self) -> dict[str, str]:
        """Headers for every request, set before the user's so theirs win."""
        return {"anthropic-version": ANTHROPIC_VERSION}

    def prepare(self, body: JSON, *, stream: bool, betas: list[str]) -> WireRequest:
        headers = {"anthropic-beta": ",".join(betas)} if betas else {}
        return WireRequest(f"{self.base_url}/v1/messages{_beta_query(betas)}", body, headers)

    def events(self, provider: str) -> EventSource[JSON]:
        return SSEEvents(provider)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={mask_userinfo(self.base_url)!r})"


class VertexPlatform(Platform):
    name = "vertex"

    def __init__(self, project: str, location: str, base_url: str | None = None):
        super().__init__(base_url or vertex_base_url(location))
        self.project = project
        self.location = location

    def prepare(self, body: JSON, *, stream: bool, betas: list[str]) -> WireRequest:
        betas = _cloud_betas(betas)
        body = dict(body)
        body.setdefault("anthropic_version", VERTEX_VERSION)
        model = str(body.pop("model", ""))
        method = "streamRawPredict" if body.get("stream") is True else "rawPredict"
        url = (
            f"{self.base_url}/v1/projects/{self.project}/locations/{self.location}"
            f"/publishers/anthropic/models/{model}:{method}{_beta_query(betas)}"
        )
        headers = {"anthropic-beta": ",".join(betas)} if betas else {}
        return WireRequest(url, body, headers)


class BedrockPlatform(Platform):
    name = "bedrock"
    parallel_flag = False
    stream_media_type = "application/vnd.amazon.eventstream"

    def __init__(self, region: str, base_url: str | None = None):
        super().__init__(base_url or bedrock_base_url(region))
        self.region = region

    def static_headers(self) -> dict[str, str]:
        return {}

    def prepare(self, body: JSON, *, stream: bool, betas: list[str]) -> WireRequest:
        betas = _cloud_betas(betas)
        body = dict(body)
        body.setdefault("anthropic_version", BEDROCK_VERSION)
        if betas:
            body["anthropic_beta"] = list(betas)
        model = str(body.pop("model", ""))
        streaming = body.pop("stream", None) is True
        method = "invoke-with-response-stream" if streaming else "invoke"
        url = f"{self.base_url}/model/{quote_plus(model, safe='')}/{method}{_beta_query(betas)}"
        return WireRequest(url, body, {})

    def events(self, provider: str) -> EventSource[JSON]:
        return BedrockEvents(provider)
