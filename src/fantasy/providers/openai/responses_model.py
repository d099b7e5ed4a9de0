"""The I/O around the Responses codec: one POST to ``{base_url}/responses``, plain or streamed.

`ResponsesLanguageModel` knows nothing about OpenAI beyond the codec it is
given, so a provider with another base URL, other credentials and another name
(Azure) builds one with its own `HttpTransport`, URL and name:

    ResponsesLanguageModel(ResponsesCodec(model_id, "azure"), transport, url, "azure")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fantasy.http.shell import Exchange, open_stream, post_json
from fantasy.http.transport import HttpTransport
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.providers.openai.responses import ResponsesCodec
from fantasy.providers.openai.sse_stream import openai_events, openai_exchange
from fantasy.types import CallWarning, StreamPart


class ResponsesLanguageModel(BaseLanguageModel):
    """A model on OpenAI's Responses API (``POST {base_url}/responses``)."""

    native_object_output = True

    def __init__(
        self, codec: ResponsesCodec, transport: HttpTransport, url: str, provider_name: str
    ):
        self.codec = codec
        self.transport = transport
        self.url = url
        self.provider_name = provider_name
        self.model_id = codec.model_id

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        from fantasy.providers.openai.structured import check_responses_schema

        check_responses_schema(self, schema, where)

    def _exchange(self, call: Call, *, stream: bool) -> tuple[Exchange, list[CallWarning]]:
        body, warnings = self.codec.build_body(call, stream=stream)
        return openai_exchange(self.transport, self.url, self.provider_name, call, body), warnings

    async def agenerate(self, call: Call) -> Response:
        exchange, warnings = self._exchange(call, stream=False)
        return await post_json(exchange, self.codec.parse_response, warnings)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        exchange, warnings = self._exchange(call, stream=True)
        return open_stream(
            exchange,
            openai_events(self.provider_name, self.url),
            self.codec.new_stream(warnings),
        )
