"""A Gemini model: the I/O around the request codec, the response parser and the
stream translator, all through `HttpTransport` so both faces share it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

from fantasy.http.auth.google import VertexAuth
from fantasy.http.shell import Exchange, open_stream
from fantasy.http.transport import HttpTransport
from fantasy.model import Call, Response
from fantasy.providers._exchange import ExchangeModel, build_exchange
from fantasy.providers.google.errors import error_from_response
from fantasy.providers.google.request import RequestBuilder
from fantasy.providers.google.response import parse_response as read_gemini_response
from fantasy.providers.google.stream import GeminiEventSource, StreamTranslator
from fantasy.types import JSON, CallWarning, StreamPart

ToolCallIDFunc = Callable[[], str]


class GeminiLanguageModel(ExchangeModel):
    """A Gemini model on ``generateContent`` / ``streamGenerateContent?alt=sse``."""

    native_object_output = True

    @property
    def native_output_with_tools(self) -> bool:  # type: ignore[override]
        """Gemini 3 models combine ``responseJsonSchema`` with function calling (Gemini
        API docs, "Structured outputs with tools"); earlier models refuse the pair."""
        match = re.match(r"(?:.*/)?gemini-(\d+)", self.model_id)
        return match is not None and int(match.group(1)) >= 3

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

    def _exchange(self, call: Call, *, stream: bool) -> tuple[Exchange, list[CallWarning]]:
        url = self.stream_url if stream else self.generate_url
        body, warnings = self.builder.build_body(call)
        auth = self.auth

        async def sign(url: str, raw: bytes, headers: MutableMapping[str, str]) -> None:
            assert auth is not None
            headers.update(await auth.headers(url))

        exchange = build_exchange(
            self.transport,
            call,
            url,
            body,
            self.provider_name,
            error_from_response,
            sign=sign if auth is not None else None,
        )
        return exchange, warnings

    def parse_response(self, data: JSON) -> Response:
        return read_gemini_response(data, self.tool_call_id)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        url = self.stream_url
        exchange, warnings = self._exchange(call, stream=True)
        translator = StreamTranslator(
            self.tool_call_id, warnings, provider=self.provider_name, url=url
        )
        return open_stream(exchange, GeminiEventSource(self.provider_name, url), translator)
