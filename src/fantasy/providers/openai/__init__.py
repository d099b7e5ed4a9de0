"""OpenAI: the Chat Completions and Responses APIs over plain HTTP.

from fantasy.providers import openai
model = openai.Provider().language_model("gpt-4o-mini")
model = openai.Provider(use_responses_api=True).language_model("gpt-5")  # Responses API
"""

from typing import TYPE_CHECKING, Any

from fantasy.providers.openai.chat import ChatCodec, ChatStreamTranslator
from fantasy.providers.openai.hooks import ChatHooks
from fantasy.providers.openai.models import (
    is_reasoning_model,
    is_responses_model,
    is_responses_reasoning_model,
)
from fantasy.providers.openai.options import (
    NAME,
    FileOptions,
    ProviderMetadata,
    ProviderOptions,
    ReasoningEffort,
)
from fantasy.providers.openai.provider import (
    API_KEY_ENV,
    DEFAULT_HOOKS,
    ChatLanguageModel,
    Provider,
)

if TYPE_CHECKING:
    from fantasy.providers.openai.responses import ResponsesCodec, ResponsesStreamTranslator
    from fantasy.providers.openai.responses_items import FileCitation
    from fantasy.providers.openai.responses_model import ResponsesLanguageModel
    from fantasy.providers.openai.responses_options import (
        INCLUDE_FILE_SEARCH_CALL_RESULTS,
        INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS,
        INCLUDE_REASONING_ENCRYPTED_CONTENT,
        IncludeType,
        ResponsesProviderMetadata,
        ResponsesProviderOptions,
        ResponsesReasoningMetadata,
        ServiceTier,
        TextVerbosity,
        get_reasoning_metadata,
    )
    from fantasy.providers.openai.responses_tools import (
        APPLY_PATCH_TOOL_ID,
        CODE_INTERPRETER_TOOL_ID,
        CUSTOM_TOOL_ID,
        FILE_SEARCH_TOOL_ID,
        IMAGE_GENERATION_TOOL_ID,
        LOCAL_SHELL_TOOL_ID,
        MCP_TOOL_ID,
        SHELL_TOOL_ID,
        TOOL_SEARCH_TOOL_ID,
        CodeInterpreterCallMetadata,
        CodeInterpreterContainer,
        CodeInterpreterOptions,
        CodeInterpreterOutput,
        CustomToolOptions,
        FileSearchCallMetadata,
        FileSearchOptions,
        FileSearchResult,
        ImageGenerationCallMetadata,
        ImageGenerationOptions,
        McpApprovalRequestMetadata,
        McpApprovalResponse,
        McpCallMetadata,
        McpListToolsMetadata,
        McpOptions,
        McpToolInfo,
        PartialImage,
        ResponsesToolCallMetadata,
        ShellCallMetadata,
        ShellCommandOutput,
        ShellOptions,
        ToolSearchMetadata,
        ToolSearchOptions,
        apply_patch_tool,
        code_interpreter_tool,
        custom_tool,
        file_search_tool,
        image_generation_tool,
        local_shell_tool,
        mcp_approval_requests,
        mcp_approval_response,
        mcp_tool,
        shell_output,
        shell_tool,
        tool_search_tool,
    )
    from fantasy.providers.openai.web_search import (
        WEB_SEARCH_TOOL_ID,
        SearchContextSize,
        WebSearchAction,
        WebSearchCallMetadata,
        WebSearchSource,
        WebSearchUserLocation,
        web_search_tool,
    )

# The Responses API (its options too) and web search load on first use, keeping the
# Chat Completions import light.
_LAZY = {
    **dict.fromkeys(
        (
            "INCLUDE_FILE_SEARCH_CALL_RESULTS",
            "INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS",
            "INCLUDE_REASONING_ENCRYPTED_CONTENT",
            "IncludeType",
            "ResponsesProviderMetadata",
            "ResponsesProviderOptions",
            "ResponsesReasoningMetadata",
            "ServiceTier",
            "TextVerbosity",
            "get_reasoning_metadata",
        ),
        "fantasy.providers.openai.responses_options",
    ),
    "ResponsesCodec": "fantasy.providers.openai.responses",
    "ResponsesStreamTranslator": "fantasy.providers.openai.responses",
    "ResponsesLanguageModel": "fantasy.providers.openai.responses_model",
    **dict.fromkeys(
        (
            "WEB_SEARCH_TOOL_ID",
            "SearchContextSize",
            "WebSearchAction",
            "WebSearchCallMetadata",
            "WebSearchSource",
            "WebSearchUserLocation",
            "web_search_tool",
        ),
        "fantasy.providers.openai.web_search",
    ),
    **dict.fromkeys(
        (
            "APPLY_PATCH_TOOL_ID",
            "CODE_INTERPRETER_TOOL_ID",
            "CUSTOM_TOOL_ID",
            "FILE_SEARCH_TOOL_ID",
            "IMAGE_GENERATION_TOOL_ID",
            "LOCAL_SHELL_TOOL_ID",
            "MCP_TOOL_ID",
            "SHELL_TOOL_ID",
            "TOOL_SEARCH_TOOL_ID",
            "CodeInterpreterCallMetadata",
            "CodeInterpreterContainer",
            "CodeInterpreterOptions",
            "CodeInterpreterOutput",
            "CustomToolOptions",
            "FileSearchCallMetadata",
            "FileSearchOptions",
            "FileSearchResult",
            "ImageGenerationCallMetadata",
            "ImageGenerationOptions",
            "McpApprovalRequestMetadata",
            "McpApprovalResponse",
            "McpCallMetadata",
            "McpListToolsMetadata",
            "McpOptions",
            "McpToolInfo",
            "PartialImage",
            "ResponsesToolCallMetadata",
            "ShellCallMetadata",
            "ShellCommandOutput",
            "ShellOptions",
            "ToolSearchMetadata",
            "ToolSearchOptions",
            "apply_patch_tool",
            "code_interpreter_tool",
            "custom_tool",
            "file_search_tool",
            "image_generation_tool",
            "local_shell_tool",
            "mcp_approval_requests",
            "mcp_approval_response",
            "mcp_tool",
            "shell_output",
            "shell_tool",
            "tool_search_tool",
        ),
        "fantasy.providers.openai.responses_tools",
    ),
    "FileCitation": "fantasy.providers.openai.responses_items",
}


PROVIDER_TYPE_MODULES = (
    "fantasy.providers.openai.responses_options",
    "fantasy.providers.openai.web_search",
    "fantasy.providers.openai.responses_items",
    "fantasy.providers.openai.responses_tools",
    "fantasy.providers.openai.tool_call_extras",
)
"""Where persisted classes live that importing this package does not load (see
`fantasy.persistence.registry`): loading a saved hosted tool call imports them."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "API_KEY_ENV",
    "APPLY_PATCH_TOOL_ID",
    "CODE_INTERPRETER_TOOL_ID",
    "CUSTOM_TOOL_ID",
    "DEFAULT_HOOKS",
    "FILE_SEARCH_TOOL_ID",
    "IMAGE_GENERATION_TOOL_ID",
    "INCLUDE_FILE_SEARCH_CALL_RESULTS",
    "INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS",
    "INCLUDE_REASONING_ENCRYPTED_CONTENT",
    "LOCAL_SHELL_TOOL_ID",
    "MCP_TOOL_ID",
    "NAME",
    "SHELL_TOOL_ID",
    "TOOL_SEARCH_TOOL_ID",
    "WEB_SEARCH_TOOL_ID",
    "ChatCodec",
    "ChatHooks",
    "ChatLanguageModel",
    "ChatStreamTranslator",
    "CodeInterpreterCallMetadata",
    "CodeInterpreterContainer",
    "CodeInterpreterOptions",
    "CodeInterpreterOutput",
    "CustomToolOptions",
    "FileCitation",
    "FileOptions",
    "FileSearchCallMetadata",
    "FileSearchOptions",
    "FileSearchResult",
    "ImageGenerationCallMetadata",
    "ImageGenerationOptions",
    "IncludeType",
    "McpApprovalRequestMetadata",
    "McpApprovalResponse",
    "McpCallMetadata",
    "McpListToolsMetadata",
    "McpOptions",
    "McpToolInfo",
    "PartialImage",
    "Provider",
    "ProviderMetadata",
    "ProviderOptions",
    "ReasoningEffort",
    "ResponsesCodec",
    "ResponsesLanguageModel",
    "ResponsesProviderMetadata",
    "ResponsesProviderOptions",
    "ResponsesReasoningMetadata",
    "ResponsesStreamTranslator",
    "ResponsesToolCallMetadata",
    "SearchContextSize",
    "ServiceTier",
    "ShellCallMetadata",
    "ShellCommandOutput",
    "ShellOptions",
    "TextVerbosity",
    "ToolSearchMetadata",
    "ToolSearchOptions",
    "WebSearchAction",
    "WebSearchCallMetadata",
    "WebSearchSource",
    "WebSearchUserLocation",
    "apply_patch_tool",
    "code_interpreter_tool",
    "custom_tool",
    "file_search_tool",
    "get_reasoning_metadata",
    "image_generation_tool",
    "is_reasoning_model",
    "is_responses_model",
    "is_responses_reasoning_model",
    "local_shell_tool",
    "mcp_approval_requests",
    "mcp_approval_response",
    "mcp_tool",
    "shell_output",
    "shell_tool",
    "tool_search_tool",
    "web_search_tool",
]
