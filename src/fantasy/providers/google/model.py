"""A Gemini model: the I/O around the request codec, the response parser and the
stream translator, all through `HttpTransport` so both faces share it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from fantasy.errors import ProviderError
from fantasy.http.auth.google import VertexAuth
from fantasy.http.transport import HttpTransport
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.providers.google.errors import error_from_response
from fantasy.providers.google.request import RequestBuilder
from fantasy.providers.google.response import parse_response
from fantasy.providers.google.stream import StreamTranslator
from fantasy.types import CallWarning, StreamPart, StreamPartType

ToolCallIDFunc = Callable[[], str]


class GeminiLanguageModel(BaseLanguageModel):
    """A Gemini model on ``generateContent`` / ``streamGenerateContent?alt=sse``."""

    native_object_output = True

    def __init__(
        self,
        builder: RequestBuilder,
        transport: HttpTransport,
        model_url: str,
        *,
        auth: VertexAuth | None,
        tool_call_id: ToolCallIDFunc,
    ):
        self.builder = builder
        self.transport = transport
        self.generate_url = f"{model_url}:generateContent"
        self.stream_url = f"{model_url}:streamGenerateContent?alt=sse"
        self.auth = auth
        self.tool_call_id = tool_call_id
        self.provider_name = builder.provider_name
        self.model_id = builder.model_id

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        from fantasy.providers.google.schema import check_gemini_schema

        check_gemini_schema(self, schema, where)

    async def _request(
        self, call: Call, url: str
    ) -> tuple[bytes, list[CallWarning], dict[str, str]]:
        body, warnings = self.builder.build_body(call)
        headers = self.transport.request_headers(call.headers, call.user_agent)
        if self.auth is not None:
            headers.update(await self.auth.headers(url))
        return HttpTransport.encode_json(body), warnings, headers

    def _http_error(
        self, status: int, headers: Mapping[str, str], body: bytes, sent: bytes, url: str
    ) -> ProviderError:
        return error_from_response(
            provider=self.provider_name,
            status=status,
            headers=headers,
            body=body,
            url=url,
            request_body=sent,
        )

    async def agenerate(self, call: Call) -> Response:
        url = self.generate_url
        raw, warnings, headers = await self._request(call, url)
        resp = await self.transport.post(url, raw, headers, timeout=call.timeout)
        if resp.status_code >= 400:
            raise self._http_error(resp.status_code, resp.headers, resp.content, raw, url)
        data = resp.json_object(self.provider_name)
        response = parse_response(data, self.tool_call_id)
        response.warnings = warnings
        return response

    async def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        url = self.stream_url
        raw, warnings, headers = await self._request(call, url)
        try:
            resp = await self.transport.post_stream(url, raw, headers, timeout=call.timeout)
        except ProviderError as exc:
            yield StreamPart(StreamPartType.ERROR, error=exc)
            return
        async with resp:
            if resp.status_code >= 400:
                yield StreamPart(
                    StreamPartType.ERROR,
                    error=self._http_error(resp.status_code, resp.headers, resp.content, raw, url),
                )
                return
            translator = StreamTranslator(
                self.tool_call_id, warnings, provider=self.provider_name, url=url
            )
            for part in translator.start():
                yield part
            try:
                async for chunk in resp.aiter_bytes():
                    for part in translator.feed_bytes(chunk):
                        yield part
                    if translator.failed:
                        return
            except ProviderError as exc:
                yield StreamPart(StreamPartType.ERROR, error=exc)
                return
            for part in translator.finish():
                yield part
