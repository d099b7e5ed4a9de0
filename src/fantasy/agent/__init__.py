"""The agent: a model, tools, and the loop that lets the model use them.

`loop` holds `Agent`; `run` one run's settings and per-step setup; `steps` what
happens to a step's tool calls; `stream` the streaming face; `run_types` what a
run takes and gives. The names below are the public ones.
"""

from fantasy.agent.loop import DEFAULT_MAX_STEPS, Agent
from fantasy.agent.run_types import (
    AgentResult,
    CallOptions,
    PrepareStep,
    PrepareStepOptions,
    PrepareStepResult,
    StepResult,
    StreamCallbacks,
    StreamOptions,
)
from fantasy.agent.steps import RepairToolCall, ToolCallRepairOptions
from fantasy.agent.stream import AgentStream, AsyncAgentStream

__all__ = [
    "DEFAULT_MAX_STEPS",
    "Agent",
    "AgentResult",
    "AgentStream",
    "AsyncAgentStream",
    "CallOptions",
    "PrepareStep",
    "PrepareStepOptions",
    "PrepareStepResult",
    "RepairToolCall",
    "StepResult",
    "StreamCallbacks",
    "StreamOptions",
    "ToolCallRepairOptions",
]
