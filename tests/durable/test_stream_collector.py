"""A streamed model request, put together in the activity, is the answer ``agenerate``
would have given (no server needed: `StreamCollector` is plain code)."""

from __future__ import annotations

import pytest

from fantasy.durable.temporal.activities import StreamCollector
from fantasy.errors import ProviderUnavailableError
from fantasy.model import Response
from fantasy.testing import error_part, stream_parts_for_response
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FinishReason,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    SourceType,
    TextContent,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputText,
    Usage,
)


def test_every_kind_of_content_comes_back_in_order() -> None:
    response = Response(
        ResponseContent(
            [
                ReasoningContent("thinking", {"anthropic": {}}),
                TextContent("Let me look."),
                ToolCallContent("c1", "search", '{"q": "x"}'),
                ToolCallContent("c2", "web", '{"q": "y"}', provider_executed=True),
                ToolResultContent(
                    "c2", "web", ToolResultOutputText("found"), provider_executed=True
                ),
                SourceContent(SourceType.URL, "s1", url="https://example.com", title="Ex"),
                TextContent("Done."),
            ]
        ),
        FinishReason.TOOL_CALLS,
        Usage(10, 20, 30),
        [CallWarning(CallWarningType.OTHER, message="seed ignored")],
    )
    collector = StreamCollector()
    for part in stream_parts_for_response(response):
        collector.add(part)
    assert collector.response() == response


def test_an_error_part_fails_the_attempt_with_its_error() -> None:
    collector = StreamCollector()
    with pytest.raises(ProviderUnavailableError):
        collector.add(error_part(ProviderUnavailableError("overloaded", status_code=503)))
