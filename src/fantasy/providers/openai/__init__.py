"""OpenAI: the Chat Completions API over plain HTTP.

from fantasy.providers import openai
model = openai.Provider().language_model("gpt-4o-mini")
"""

from fantasy.providers.openai.chat import ChatCodec, ChatStreamTranslator, is_reasoning_model
from fantasy.providers.openai.options import (
    NAME,
    FileOptions,
    ProviderMetadata,
    ProviderOptions,
    ReasoningEffort,
)
from fantasy.providers.openai.provider import API_KEY_ENV, ChatLanguageModel, Provider

__all__ = [
    "API_KEY_ENV",
    "NAME",
    "ChatCodec",
    "ChatLanguageModel",
    "ChatStreamTranslator",
    "FileOptions",
    "Provider",
    "ProviderMetadata",
    "ProviderOptions",
    "ReasoningEffort",
    "is_reasoning_model",
]
