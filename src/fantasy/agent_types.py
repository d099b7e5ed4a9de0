"""What an agent run takes and gives: per-call options, callbacks, step and run results,
and the prepare-step hook's types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from fantasy._steps import (
    RepairToolCall,
)
from fantasy.model import LanguageModel, Response
from fantasy.retry import OnAuthRefresh, OnRetry
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool
from fantasy.types import (
    CallWarning,
    FilePart,
    FinishReason,
    Message,
    ProviderMetadata,
    ProviderOptions,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    StreamPart,
    ToolCallContent,
    ToolResultContent,
    Usage,
)


@dataclass(slots=True)
class StepResult:
    """One model call and its tool runs; ``messages`` is what it added to the history."""

    content: ResponseContent
    finish_reason: FinishReason
    usage: Usage
    warnings: list[CallWarning]
    provider_metadata: ProviderMetadata
    messages: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def response(self) -> Response:
        return Response(
            self.content, self.finish_reason, self.usage, self.warnings, self.provider_metadata
        )


@dataclass(slots=True)
class AgentResult:
    steps: list[StepResult]
    response: Response
    """The latest step whose text is not blank (else the last step); its usage is that step's."""
    total_usage: Usage

    @property
    def text(self) -> str:
        return self.response.content.text

    @property
    def messages(self) -> list[Message]:
        """Every message the run added to the conversation, ready to pass back as ``messages=``."""
        return [m for s in self.steps for m in s.messages]


@dataclass(slots=True)
class PrepareStepOptions:
    steps: list[StepResult]
    step_number: int
    model: LanguageModel
    messages: list[Message]


@dataclass(slots=True)
class PrepareStepResult:
    """Per-step overrides; ``None`` (or an empty list for active_tools) keeps the default."""

    model: LanguageModel | None = None
    messages: list[Message] | None = None
    system: str | None = None
    tool_choice: str | None = None
    active_tools: list[str] | None = None
    disable_all_tools: bool = False
    tools: list[AgentTool] | None = None


PrepareStep = Callable[
    [PrepareStepOptions], "PrepareStepResult | Awaitable[PrepareStepResult | None] | None"
]


class CallOptions(TypedDict, total=False):
    """Per-call settings; each overrides the agent's default when given (and not None)."""

    files: Sequence[FilePart]
    messages: Sequence[Message]
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    active_tools: Sequence[str] | None
    tool_choice: str | None
    headers: dict[str, str] | None
    provider_options: ProviderOptions | None
    stop_when: Sequence[StopCondition] | None
    prepare_step: PrepareStep | None
    repair_tool_call: RepairToolCall | None
    max_retries: int | None
    timeout: float | None
    """Seconds each model request of the run may take (see `fantasy.Call.timeout`)."""
    on_retry: OnRetry | None
    on_auth_refresh: OnAuthRefresh | None
    model_provider: Callable[[], LanguageModel] | None
    """Called before every attempt to get the model (e.g. with refreshed credentials)."""


class StreamCallbacks(TypedDict, total=False):
    """Fantasy's streaming callbacks, sync or async. An exception raised in one fails the run."""

    on_agent_start: Callable[[], Any]
    on_agent_finish: Callable[[AgentResult], Any]
    on_step_start: Callable[[int], Any]
    on_step_finish: Callable[[StepResult], Any]
    on_finish: Callable[[AgentResult], Any]
    on_error: Callable[[BaseException], Any]
    on_chunk: Callable[[StreamPart], Any]
    on_warnings: Callable[[list[CallWarning]], Any]
    on_text_start: Callable[[str], Any]
    on_text_delta: Callable[[str, str], Any]
    on_text_end: Callable[[str], Any]
    on_reasoning_start: Callable[[str, ReasoningContent], Any]
    on_reasoning_delta: Callable[[str, str], Any]
    on_reasoning_end: Callable[[str, ReasoningContent], Any]
    on_tool_input_start: Callable[[str, str], Any]
    on_tool_input_delta: Callable[[str, str], Any]
    on_tool_input_end: Callable[[str], Any]
    on_tool_call: Callable[[ToolCallContent], Any]
    on_tool_result: Callable[[ToolResultContent], Any]
    on_source: Callable[[SourceContent], Any]
    on_stream_finish: Callable[[Usage, FinishReason, ProviderMetadata], Any]


class StreamOptions(CallOptions, StreamCallbacks, total=False):
    pass
