"""The I/O both OpenAI APIs share around their codecs: one POST, plain or streamed.

`ChatLanguageModel` and `ResponsesLanguageModel` differ only in their codec and in
which JSON schemas they accept, so the request, the shell calls and the stream framing
live here once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

from fantasy.http.shell import Exchange, StreamTranslator, open_stream
from fantasy.http.transport import HttpTransport
from fantasy.model import Call, Response
from fantasy.providers._exchange import ExchangeModel
from fantasy.providers.openai.sse_stream import openai_events, openai_exchange
from fantasy.types import JSON, CallWarning, StreamPart


class WireCodec(Protocol):
    """What the model needs of a codec: a body for a call, and a reading of the answer."""

    @property
    def model_id(self) -> str: ...

    def build_body(self, call: Call, *, stream: bool) -> tuple[JSON, list[CallWarning]]: ...

    def parse_response(self, data: JSON) -> Response: ...

    def new_stream(self, warnings: list[CallWarning]) -> StreamTranslator[dict[str, Any]]: ...


CodecT = TypeVar("CodecT", bound=WireCodec)


class OpenAIHTTPModel(ExchangeModel, Generic[CodecT]):
    """A model on one OpenAI-style endpoint at ``url``, its wire format its ``codec``'s."""

    def __init__(self, codec: CodecT, transport: HttpTransport, url: str, provider_name: str):
        self.codec = codec
        self.transport = transport
        self.url = url
        self.provider_name = provider_name
        self.model_id = codec.model_id

    def _exchange(self, call: Call, *, stream: bool) -> tuple[Exchange, list[CallWarning]]:
        body, warnings = self.codec.build_body(call, stream=stream)
        return openai_exchange(self.transport, self.url, self.provider_name, call, body), warnings

    def parse_response(self, data: JSON) -> Response:
        return self.codec.parse_response(data)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        exchange, warnings = self._exchange(call, stream=True)
        return open_stream(
            exchange,
            openai_events(self.provider_name, self.url),
            self._translator(call, warnings),
        )

    def _translator(
        self, call: Call, warnings: list[CallWarning]
    ) -> StreamTranslator[dict[str, Any]]:
        """The stream translator of one answer to ``call``."""
        return self.codec.new_stream(warnings)
