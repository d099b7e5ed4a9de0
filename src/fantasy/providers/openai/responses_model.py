"""The I/O around the Responses codec: one POST to ``{base_url}/responses``, plain or streamed.

`ResponsesLanguageModel` knows nothing about OpenAI beyond the codec it is
given, so a provider with another base URL, other credentials and another name
(Azure) builds one with its own `HttpTransport`, URL and name:

    ResponsesLanguageModel(ResponsesCodec(model_id, "azure"), transport, url, "azure")
"""

from __future__ import annotations

from typing import Any

from fantasy.providers.openai.http_model import OpenAIHTTPModel
from fantasy.providers.openai.responses import ResponsesCodec


class ResponsesLanguageModel(OpenAIHTTPModel[ResponsesCodec]):
    """A model on OpenAI's Responses API (``POST {base_url}/responses``)."""

    native_object_output = True
    native_output_with_tools = True
    """``text.format`` goes with tools: the model calls tools, then answers in the format."""

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        from fantasy.providers.openai.structured import check_responses_schema

        check_responses_schema(self, schema, where)
