"""The I/O both OpenAI APIs share around their codecs: one POST, plain or streamed.

`ChatLanguageModel` and `ResponsesLanguageModel` differ only in their codec and in
which JSON schemas they accept, so the request, the shell calls and the stream framing
live here once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

from fantasy.http.shell import Exchange, StreamTranslator, open_stream, post_json
from fantasy.http.transport import HttpTransport
from fantasy.model import BaseLanguageModel, Call, Response
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


class OpenAIHTTPModel(BaseLanguageModel, Generic[CodecT]):
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

    def build_request(self, call: Call) -> tuple[Exchange, list[CallWarning]]:
        """The request `agenerate` sends for ``call``, built and not sent: a batch API
        carries its body (`fantasy.batch`), so a batched call is the live one."""
        return self._exchange(call, stream=False)

    def parse_response(self, data: JSON) -> Response:
        """A whole answer's body read as `agenerate` reads it."""
        return self.codec.parse_response(data)

    async def agenerate(self, call: Call) -> Response:
        exchange, warnings = self.build_request(call)
        return await post_json(exchange, self.parse_response, warnings)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        """Stream parts; failures after the request was built arrive as one ``error`` part."""
        exchange, warnings = self._exchange(call, stream=True)
        return open_stream(
            exchange,
            openai_events(self.provider_name, self.url),
            self.codec.new_stream(warnings),
        )
