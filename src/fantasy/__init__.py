"""fantasy: build AI agents over many model providers.

One API over many providers, tools the model calls, multi-step agent loops,
streaming. A Python port of Charm's Fantasy. Importing this package loads no
vendor SDK, no pydantic and no httpx: those come when first used.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from fantasy.agent import (
    DEFAULT_MAX_STEPS,
    Agent,
    AgentResult,
    AgentStream,
    AsyncAgentStream,
    PrepareStepOptions,
    PrepareStepResult,
    StepResult,
    ToolCallRepairOptions,
)
from fantasy.call_settings import CallSettings
from fantasy.errors import (
    AuthenticationError,
    ContextWindowError,
    FantasyError,
    InvalidArgumentError,
    InvalidRequestError,
    InvalidResponseError,
    MaxStepsExceededError,
    MissingAPIKeyError,
    NoObjectGeneratedError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    RetryError,
    SerializationError,
    StreamInterruptedError,
    ToolApprovalError,
    ToolCriticalError,
    ToolExecutionError,
    UsageLimitExceeded,
)
from fantasy.http.limits import HttpLimits
from fantasy.model import BaseLanguageModel, Call, LanguageModel, Provider, Response
from fantasy.retry import RetryOptions
from fantasy.stop import (
    StopCondition,
    finish_reason_is,
    has_content,
    has_tool_call,
    max_tokens_used,
    step_count_is,
)
from fantasy.tools import (
    AgentTool,
    Denied,
    ExecutableProviderTool,
    PendingCall,
    ToolCall,
    ToolInfo,
    ToolResponse,
    TypedTool,
    tool,
)
from fantasy.types import (
    CallWarning,
    CallWarningType,
    Content,
    ContentType,
    FileContent,
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    MessagePart,
    ProviderDefinedTool,
    ReasoningContent,
    ReasoningPart,
    ResponseContent,
    Role,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextContent,
    TextPart,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
    Usage,
    system_message,
    user_message,
)

if TYPE_CHECKING:
    from fantasy.cost import Cost, cost_of
    from fantasy.fallback import (
        DEFAULT_FALLBACK_ERRORS,
        FallbackError,
        FallbackFailure,
        FallbackMetadata,
        FallbackModel,
        default_fallback_on,
    )
    from fantasy.limiter import LimitedModel, RequestLimiter
    from fantasy.model_names import language_model, register_openai_compatible
    from fantasy.objects import (
        ObjectCall,
        ObjectMode,
        ObjectResponse,
        ObjectStreamPart,
        ObjectStreamPartType,
    )
    from fantasy.objects.typed import (
        AsyncObjectStream,
        ObjectOptions,
        ObjectResult,
        ObjectStream,
        agenerate_object,
        astream_object,
        generate_object,
        stream_object,
    )
    from fantasy.persistence.api import from_dict, from_json, to_dict, to_json
    from fantasy.persistence.registry import register_provider_type
    from fantasy.usage_limits import UsageLimits

# Structured output and persistence are loaded on first use: most programs never ask
# for an object, and JSON persistence is only needed when saving or loading.
_LAZY = {
    **dict.fromkeys(("from_dict", "from_json", "to_dict", "to_json"), "fantasy.persistence.api"),
    "register_provider_type": "fantasy.persistence.registry",
    # Limits and cost: loaded with the first limit, limiter or price asked for.
    **dict.fromkeys(("Cost", "cost_of"), "fantasy.cost"),
    **dict.fromkeys(("LimitedModel", "RequestLimiter"), "fantasy.limiter"),
    "UsageLimits": "fantasy.usage_limits",
    **dict.fromkeys(("language_model", "register_openai_compatible"), "fantasy.model_names"),
    **dict.fromkeys(
        (
            "DEFAULT_FALLBACK_ERRORS",
            "FallbackError",
            "FallbackFailure",
            "FallbackMetadata",
            "FallbackModel",
            "default_fallback_on",
        ),
        "fantasy.fallback",
    ),
    **dict.fromkeys(
        ("ObjectCall", "ObjectMode", "ObjectResponse", "ObjectStreamPart", "ObjectStreamPartType"),
        "fantasy.objects",
    ),
    **dict.fromkeys(
        (
            "AsyncObjectStream",
            "ObjectOptions",
            "ObjectResult",
            "ObjectStream",
            "agenerate_object",
            "astream_object",
            "generate_object",
            "stream_object",
        ),
        "fantasy.objects.typed",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fantasy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_FALLBACK_ERRORS",
    "DEFAULT_MAX_STEPS",
    "Agent",
    "AgentResult",
    "AgentStream",
    "AgentTool",
    "AsyncAgentStream",
    "AsyncObjectStream",
    "AuthenticationError",
    "BaseLanguageModel",
    "Call",
    "CallSettings",
    "CallWarning",
    "CallWarningType",
    "Content",
    "ContentType",
    "ContextWindowError",
    "Cost",
    "Denied",
    "ExecutableProviderTool",
    "FallbackError",
    "FallbackFailure",
    "FallbackMetadata",
    "FallbackModel",
    "FantasyError",
    "FileContent",
    "FilePart",
    "FinishReason",
    "FunctionTool",
    "HttpLimits",
    "InvalidArgumentError",
    "InvalidRequestError",
    "InvalidResponseError",
    "LanguageModel",
    "LimitedModel",
    "MaxStepsExceededError",
    "Message",
    "MessagePart",
    "MissingAPIKeyError",
    "NoObjectGeneratedError",
    "ObjectCall",
    "ObjectMode",
    "ObjectOptions",
    "ObjectResponse",
    "ObjectResult",
    "ObjectStream",
    "ObjectStreamPart",
    "ObjectStreamPartType",
    "PendingCall",
    "PrepareStepOptions",
    "PrepareStepResult",
    "Provider",
    "ProviderDefinedTool",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "ReasoningContent",
    "ReasoningPart",
    "RequestLimiter",
    "Response",
    "ResponseContent",
    "RetryError",
    "RetryOptions",
    "Role",
    "SerializationError",
    "SourceContent",
    "SourceType",
    "StepResult",
    "StopCondition",
    "StreamInterruptedError",
    "StreamPart",
    "StreamPartType",
    "TextContent",
    "TextPart",
    "ToolApprovalError",
    "ToolCall",
    "ToolCallContent",
    "ToolCallPart",
    "ToolCallRepairOptions",
    "ToolCriticalError",
    "ToolExecutionError",
    "ToolInfo",
    "ToolResponse",
    "ToolResultContent",
    "ToolResultOutputError",
    "ToolResultOutputMedia",
    "ToolResultOutputText",
    "ToolResultPart",
    "TypedTool",
    "Usage",
    "UsageLimitExceeded",
    "UsageLimits",
    "agenerate_object",
    "astream_object",
    "cost_of",
    "default_fallback_on",
    "finish_reason_is",
    "from_dict",
    "from_json",
    "generate_object",
    "has_content",
    "has_tool_call",
    "language_model",
    "max_tokens_used",
    "register_openai_compatible",
    "register_provider_type",
    "step_count_is",
    "stream_object",
    "system_message",
    "to_dict",
    "to_json",
    "tool",
    "user_message",
]
