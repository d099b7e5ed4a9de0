"""The I/O around the Responses codec: one POST to ``{base_url}/responses``, plain or streamed.

`ResponsesLanguageModel` knows nothing about OpenAI beyond the codec it is
given, so a provider with another base URL, other credentials and another name
(Azure) builds one with its own `HttpTransport`, URL and name:

    ResponsesLanguageModel(ResponsesCodec(model_id, "azure"), transport, url, "azure")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from fantasy.errors import ProviderError
from fantasy.http.transport import HttpTransport
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.providers._malformed import SHAPE_ERRORS, malformed_response
from fantasy.providers.openai.errors import error_from_response
from fantasy.providers.openai.responses import ResponsesCodec
from fantasy.providers.openai.sse_stream import openai_event_stream
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

    def _request(
        self, call: Call, *, stream: bool
    ) -> tuple[bytes, list[CallWarning], dict[str, str]]:
        body, warnings = self.codec.build_body(call, stream=stream)
        headers = self.transport.request_headers(call.headers, call.user_agent)
        return HttpTransport.encode_json(body), warnings, headers

    def _http_error(
        self, status: int, headers: Mapping[str, str], body: bytes, sent: bytes
    ) -> ProviderError:
        return error_from_response(
            provider=self.provider_name,
            status=status,
            headers=headers,
            body=body,
            url=self.url,
            request_body=sent,
        )

    async def agenerate(self, call: Call) -> Response:
        raw, warnings, headers = self._request(call, stream=False)
        resp = await self.transport.post(self.url, raw, headers, timeout=call.timeout)
        if resp.status_code >= 400:
            raise self._http_error(resp.status_code, resp.headers, resp.content, raw)
        data = resp.json_object(self.provider_name)
        try:
            response = self.codec.parse_response(data)
        except ProviderError as exc:
            exc.url, exc.status_code, exc.response_body = self.url, resp.status_code, resp.content
            raise
        except SHAPE_ERRORS as exc:
            raise malformed_response(
                exc, self.provider_name, self.url, resp.status_code, resp.content
            ) from exc
        response.warnings = warnings
        return response

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        raw, warnings, headers = self._request(call, stream=True)
        return openai_event_stream(
            transport=self.transport,
            url=self.url,
            body=raw,
            headers=headers,
            timeout=call.timeout,
            provider=self.provider_name,
            translator=self.codec.new_stream(warnings),
            http_error=lambda status, hdrs, content: self._http_error(status, hdrs, content, raw),
        )
