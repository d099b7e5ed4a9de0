"""The agent: a model, tools, and the loop that lets the model use them.

One step is one model call, then the tool calls it asked for. The loop goes on
while the model finishes with ``tool-calls``, asked for at least one client
tool, no tool said ``stop_turn``, and no stop condition holds. The loop is
written once, async; `Agent.generate` and `Agent.stream` run the same code
blocking (see `fantasy._runtime`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Unpack

from fantasy import _runtime
from fantasy._run import Run, StepSetup, final_result
from fantasy._steps import (
    RepairToolCall,
    ToolCallRepairOptions,
    execute_tools,
    response_messages,
    validate_tool_call,
)
from fantasy._stream import AgentStream, AsyncAgentStream, StreamRun
from fantasy.agent_types import (
    AgentResult,
    CallOptions,
    PrepareStep,
    PrepareStepOptions,
    PrepareStepResult,
    StepResult,
    StreamCallbacks,
    StreamOptions,
)
from fantasy.errors import InvalidArgumentError
from fantasy.model import LanguageModel, Response
from fantasy.retry import OnRetry, retry
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool, ExecutableProviderTool
from fantasy.types import (
    Message,
    ProviderDefinedTool,
    ProviderOptions,
    ResponseContent,
    ToolCallContent,
)

__all__ = [
    "Agent",
    "AgentResult",
    "AgentStream",
    "AsyncAgentStream",
    "CallOptions",
    "PrepareStepOptions",
    "PrepareStepResult",
    "StepResult",
    "StreamCallbacks",
    "ToolCallRepairOptions",
]


class Agent:
    """A model with a system prompt, tools, and defaults for every call.

    ``None`` means "not set" for every option, so ``temperature=0`` is sent
    as 0. Per-call keyword arguments override these defaults.
    """

    def __init__(
        self,
        model: LanguageModel,
        *,
        system_prompt: str = "",
        tools: Sequence[AgentTool] = (),
        provider_tools: Sequence[ProviderDefinedTool | ExecutableProviderTool] = (),
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        tool_choice: str | None = None,
        stop_when: Sequence[StopCondition] = (),
        prepare_step: PrepareStep | None = None,
        repair_tool_call: RepairToolCall | None = None,
        max_retries: int | None = None,
        on_retry: OnRetry | None = None,
        headers: dict[str, str] | None = None,
        user_agent: str = "",
        provider_options: ProviderOptions | None = None,
        retry_initial_delay: float = 5.0,
        retry_backoff_factor: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        tool_timeout: float | None = None,
    ):
        self.model = model
        self.system_prompt = system_prompt
        self.tools = list(tools)
        names = [t.info.name for t in self.tools]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"tool names must be unique, got {names}")
        self.provider_tools: list[ProviderDefinedTool] = []
        self.executable_provider_tools: list[ExecutableProviderTool] = []
        for pt in provider_tools:
            if isinstance(pt, ExecutableProviderTool):
                self.executable_provider_tools.append(pt)
                self.provider_tools.append(pt.definition)
            else:
                self.provider_tools.append(pt)
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.presence_penalty = presence_penalty
        self.frequency_penalty = frequency_penalty
        self.tool_choice = tool_choice
        self.stop_when = list(stop_when)
        self.prepare_step = prepare_step
        self.repair_tool_call = repair_tool_call
        self.max_retries = max_retries
        self.on_retry = on_retry
        self.headers = dict(headers or {})
        self.user_agent = user_agent
        self.provider_options = dict(provider_options or {})
        self.retry_initial_delay = retry_initial_delay
        self.retry_backoff_factor = retry_backoff_factor
        self.sleep = sleep
        # Seconds any tool run may take, for tools that set no ``timeout`` of their own.
        self.tool_timeout = tool_timeout

    # ------------------------------------------------------------------ generate

    def generate(self, prompt: str = "", **options: Unpack[CallOptions]) -> AgentResult:
        """Run the agent to completion, blocking."""
        return _runtime.run_sync(self.agenerate(prompt, **options))

    async def agenerate(self, prompt: str = "", **options: Unpack[CallOptions]) -> AgentResult:
        """Run the agent to completion."""
        run = Run(self, prompt, options)  # type: ignore[arg-type]
        steps: list[StepResult] = []
        history: list[Message] = []
        while True:
            setup = await run.setup_step(steps, history)

            async def attempt(setup: StepSetup = setup) -> Response:
                return await run.model_for_attempt(setup).agenerate(setup.call)

            response = await retry(attempt, run.retry)
            content = ResponseContent()
            calls: list[ToolCallContent] = []
            for c in response.content:
                if isinstance(c, ToolCallContent) and not c.provider_executed:
                    c = await validate_tool_call(
                        c, setup.tools, run.repair, setup.system, setup.messages
                    )
                    calls.append(c)
                content.append(c)
            content.extend(await execute_tools(calls, setup.tools))
            step = StepResult(
                content,
                response.finish_reason,
                response.usage,
                response.warnings,
                response.provider_metadata,
                response_messages(content),
            )
            steps.append(step)
            history.extend(step.messages)
            if not run.should_continue(steps):
                return final_result(steps)

    # ------------------------------------------------------------------ stream

    def stream(self, prompt: str = "", **options: Unpack[StreamOptions]) -> AgentStream:
        """Stream the run, blocking: iterate for parts, then read ``.result``."""
        return AgentStream(StreamRun(self, prompt, options))

    def astream(self, prompt: str = "", **options: Unpack[StreamOptions]) -> AsyncAgentStream:
        """Stream the run: ``async for part in ...``, then ``.result`` (or ``await .collect()``)."""
        return AsyncAgentStream(StreamRun(self, prompt, options))
