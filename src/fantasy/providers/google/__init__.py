"""Google: Gemini models on the Gemini API or on Vertex AI, over plain HTTP.

from fantasy.providers import google
model = google.Provider().language_model("gemini-2.5-flash")             # GOOGLE_API_KEY
model = google.Provider(project="my-project", location="us-east5").language_model(
    "gemini-2.5-pro"
)                                                                          # Vertex AI
"""

from fantasy.providers.google.model import GeminiLanguageModel, ToolCallIDFunc
from fantasy.providers.google.options import (
    NAME,
    THINKING_LEVEL_HIGH,
    THINKING_LEVEL_LOW,
    THINKING_LEVEL_MEDIUM,
    THINKING_LEVEL_MINIMAL,
    CodeExecutionResultMetadata,
    FileMetadata,
    GroundingMetadata,
    ProviderOptions,
    ReasoningMetadata,
    ResponseMetadata,
    SafetySetting,
    SearchEntryPoint,
    ThinkingConfig,
    UrlMetadata,
    get_reasoning_metadata,
)
from fantasy.providers.google.provider import API_KEY_ENVS, Provider
from fantasy.providers.google.provider_tools import (
    CODE_EXECUTION_TOOL_ID,
    CODE_EXECUTION_TOOL_NAME,
    GOOGLE_SEARCH_TOOL_ID,
    URL_CONTEXT_TOOL_ID,
    TimeRangeFilter,
    code_execution_tool,
    google_search_tool,
    url_context_tool,
)
from fantasy.providers.google.request import RequestBuilder
from fantasy.providers.google.response import parse_response
from fantasy.providers.google.stream import StreamTranslator

__all__ = [
    "API_KEY_ENVS",
    "CODE_EXECUTION_TOOL_ID",
    "CODE_EXECUTION_TOOL_NAME",
    "GOOGLE_SEARCH_TOOL_ID",
    "NAME",
    "THINKING_LEVEL_HIGH",
    "THINKING_LEVEL_LOW",
    "THINKING_LEVEL_MEDIUM",
    "THINKING_LEVEL_MINIMAL",
    "URL_CONTEXT_TOOL_ID",
    "CodeExecutionResultMetadata",
    "FileMetadata",
    "GeminiLanguageModel",
    "GroundingMetadata",
    "Provider",
    "ProviderOptions",
    "ReasoningMetadata",
    "RequestBuilder",
    "ResponseMetadata",
    "SafetySetting",
    "SearchEntryPoint",
    "StreamTranslator",
    "ThinkingConfig",
    "TimeRangeFilter",
    "ToolCallIDFunc",
    "UrlMetadata",
    "code_execution_tool",
    "get_reasoning_metadata",
    "google_search_tool",
    "parse_response",
    "url_context_tool",
]
