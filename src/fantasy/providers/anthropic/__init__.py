"""Anthropic: Claude over the Messages API, direct or on Vertex AI.

Claude on Bedrock is `fantasy.providers.bedrock`, which shares this package's options and tools.

from fantasy.providers import anthropic
model = anthropic.Provider().language_model("claude-sonnet-4-20250514")
"""

from fantasy.providers.anthropic.codec import MessagesCodec
from fantasy.providers.anthropic.options import (
    NAME,
    CacheControl,
    CacheControlOptions,
    Effort,
    ProviderOptions,
    ReasoningMetadata,
    ThinkingDisplay,
    ThinkingOptions,
    UserLocation,
    WebSearchResultItem,
    WebSearchResultMetadata,
    cache_control,
)
from fantasy.providers.anthropic.provider import (
    API_KEY_ENV,
    MessagesLanguageModel,
    Provider,
)
from fantasy.providers.anthropic.provider_tools import (
    COMPUTER_USE_20250124,
    COMPUTER_USE_20251124,
    ComputerAction,
    ComputerUseInput,
    ComputerUseToolVersion,
    computer_use_definition,
    computer_use_tool,
    error_result,
    is_computer_use_tool,
    parse_computer_use_input,
    screenshot_result,
    text_result,
    web_search_tool,
)
from fantasy.providers.anthropic.stream import StreamTranslator

__all__ = [
    "API_KEY_ENV",
    "COMPUTER_USE_20250124",
    "COMPUTER_USE_20251124",
    "NAME",
    "CacheControl",
    "CacheControlOptions",
    "ComputerAction",
    "ComputerUseInput",
    "ComputerUseToolVersion",
    "Effort",
    "MessagesCodec",
    "MessagesLanguageModel",
    "Provider",
    "ProviderOptions",
    "ReasoningMetadata",
    "StreamTranslator",
    "ThinkingDisplay",
    "ThinkingOptions",
    "UserLocation",
    "WebSearchResultItem",
    "WebSearchResultMetadata",
    "cache_control",
    "computer_use_definition",
    "computer_use_tool",
    "error_result",
    "is_computer_use_tool",
    "parse_computer_use_input",
    "screenshot_result",
    "text_result",
    "web_search_tool",
]
