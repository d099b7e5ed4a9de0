"""One agent run's settings and the per-step setup shared by the generating and the
streaming loop: option merging (the call wins), the initial prompt, prepare-step
overrides, the tools a step sends and may run, the continuation rule, the final result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fantasy import _runtime
from fantasy._steps import (
    StepTools,
    merge_maps,
    tools_by_name,
)
from fantasy.agent_types import (
    AgentResult,
    PrepareStepOptions,
    StepResult,
    StreamOptions,
)
from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, LanguageModel, Response
from fantasy.retry import RetryOptions
from fantasy.tools import AgentTool
from fantasy.types import (
    FilePart,
    FinishReason,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    Role,
    TextContent,
    Tool,
    Usage,
    system_message,
    user_message,
)

if TYPE_CHECKING:
    from fantasy.agent import Agent


def pick(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


@dataclass(slots=True)
class StepSetup:
    model: LanguageModel
    messages: list[Message]
    system: str
    call: Call
    tools: StepTools


class Run:
    """One run's settings: the agent's defaults merged with the call's (call wins)."""

    def __init__(self, agent: Agent, prompt: str, options: StreamOptions):
        self.agent = agent
        self.options = options
        self.max_output_tokens = pick(options.get("max_output_tokens"), agent.max_output_tokens)
        self.temperature = pick(options.get("temperature"), agent.temperature)
        self.top_p = pick(options.get("top_p"), agent.top_p)
        self.top_k = pick(options.get("top_k"), agent.top_k)
        self.presence_penalty = pick(options.get("presence_penalty"), agent.presence_penalty)
        self.frequency_penalty = pick(options.get("frequency_penalty"), agent.frequency_penalty)
        self.tool_choice = pick(options.get("tool_choice"), agent.tool_choice)
        self.active_tools = list(options.get("active_tools") or ())
        self.stop_when = list(options.get("stop_when") or agent.stop_when)
        self.prepare_step = pick(options.get("prepare_step"), agent.prepare_step)
        self.repair = pick(options.get("repair_tool_call"), agent.repair_tool_call)
        self.headers = merge_maps(agent.headers, options.get("headers"))
        self.provider_options = merge_maps(agent.provider_options, options.get("provider_options"))
        self.model_provider = options.get("model_provider")
        self.timeout = options.get("timeout")
        self.retry = RetryOptions(
            max_retries=pick(options.get("max_retries"), agent.max_retries, 3),
            initial_delay=agent.retry_initial_delay,
            backoff_factor=agent.retry_backoff_factor,
            on_retry=pick(options.get("on_retry"), agent.on_retry),
            on_auth_refresh=options.get("on_auth_refresh"),
            sleep=agent.sleep or _runtime.sleep,
        )
        self.initial_prompt = self._initial_prompt(
            prompt, options.get("files") or (), options.get("messages") or ()
        )

    def _initial_prompt(
        self, prompt: str, files: Sequence[FilePart], messages: Sequence[Message]
    ) -> list[Message]:
        if not prompt:
            if not messages:
                raise InvalidArgumentError("prompt can't be empty when there are no messages")
            if files:
                raise InvalidArgumentError("prompt can't be empty when there are files")
            if messages[-1].role not in (Role.USER, Role.TOOL):
                raise InvalidArgumentError(
                    "prompt can't be empty when the last message is not a user or tool message"
                )
        out: list[Message] = []
        if self.agent.system_prompt:
            out.append(system_message(self.agent.system_prompt))
        out.extend(messages)
        if prompt:
            out.append(user_message(prompt, *files))
        return out

    async def setup_step(self, steps: list[StepResult], history: list[Message]) -> StepSetup:
        agent = self.agent
        messages = [*self.initial_prompt, *history]
        model: LanguageModel = agent.model
        system = agent.system_prompt
        tool_choice = self.tool_choice or "auto"
        active = self.active_tools
        agent_tools: list[AgentTool] = list(agent.tools)
        disable = False
        if self.prepare_step is not None:
            prepared = await _runtime.call_user(
                self.prepare_step,
                PrepareStepOptions(list(steps), len(steps), agent.model, messages),
            )
            if prepared is not None:
                if prepared.messages is not None:
                    messages = list(prepared.messages)
                if prepared.model is not None:
                    model = prepared.model
                if prepared.system is not None and prepared.system != system:
                    messages = _with_system(messages, prepared.system)
                    system = prepared.system
                tool_choice = pick(prepared.tool_choice, tool_choice)
                active = list(prepared.active_tools or active)
                disable = prepared.disable_all_tools
                if prepared.tools is not None:
                    agent_tools = list(prepared.tools)
        step_tools = tools_by_name(agent_tools, agent.executable_provider_tools, active)
        step_tools.default_timeout = agent.tool_timeout
        wire_tools: list[Tool] = []
        if not disable:
            wire_tools = _wire_tools(agent_tools, agent.provider_tools, active)
        call = Call(
            prompt=messages,
            max_output_tokens=self.max_output_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            tools=wire_tools,
            tool_choice=tool_choice,
            provider_options=self.provider_options,
            user_agent=agent.user_agent,
            headers=self.headers,
            timeout=self.timeout,
        )
        return StepSetup(model, messages, system, call, step_tools)

    def model_for_attempt(self, setup: StepSetup) -> LanguageModel:
        return self.model_provider() if self.model_provider is not None else setup.model

    def should_continue(self, steps: list[StepResult]) -> bool:
        last = steps[-1]
        if any(cond(steps) for cond in self.stop_when):
            return False
        if any(r.stop_turn for r in last.content.tool_results):
            return False
        client_calls = [c for c in last.content.tool_calls if not c.provider_executed]
        return bool(client_calls) and last.finish_reason is FinishReason.TOOL_CALLS


def _with_system(messages: list[Message], system: str) -> list[Message]:
    """Replace the system message (or add one); an empty system prompt removes it."""
    rest = messages[1:] if messages and messages[0].role is Role.SYSTEM else messages
    return [system_message(system), *rest] if system else list(rest)


def _wire_tools(
    agent_tools: Sequence[AgentTool],
    provider_tools: Sequence[ProviderDefinedTool],
    active: Sequence[str],
) -> list[Tool]:
    from fantasy.schema import tool_input_schema

    out: list[Tool] = []
    for t in agent_tools:
        if not active or t.info.name in active:
            info = t.info
            out.append(
                FunctionTool(
                    info.name,
                    info.description,
                    tool_input_schema(info.parameters, info.required),
                    t.provider_options,
                )
            )
    out.extend(p for p in provider_tools if not active or p.name in active)
    return out


def final_result(steps: list[StepResult]) -> AgentResult:
    total = Usage()
    for s in steps:
        total = total + s.usage
    chosen: StepResult | None = None
    for s in reversed(steps):
        if any(isinstance(c, TextContent) and c.text.strip() for c in s.content):
            chosen = s
            break
    if chosen is None and steps:
        chosen = steps[-1]
    response = chosen.response if chosen is not None else Response()
    return AgentResult(steps, response, total)
