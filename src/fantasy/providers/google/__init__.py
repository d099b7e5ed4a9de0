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
    ProviderOptions,
    ReasoningMetadata,
    SafetySetting,
    ThinkingConfig,
)
from fantasy.providers.google.provider import API_KEY_ENVS, Provider
from fantasy.providers.google.request import RequestBuilder
from fantasy.providers.google.response import parse_response
from fantasy.providers.google.stream import StreamTranslator

__all__ = [
    "API_KEY_ENVS",
    "NAME",
    "THINKING_LEVEL_HIGH",
    "THINKING_LEVEL_LOW",
    "THINKING_LEVEL_MEDIUM",
    "THINKING_LEVEL_MINIMAL",
    "GeminiLanguageModel",
    "Provider",
    "ProviderOptions",
    "ReasoningMetadata",
    "RequestBuilder",
    "SafetySetting",
    "StreamTranslator",
    "ThinkingConfig",
    "ToolCallIDFunc",
    "parse_response",
]
