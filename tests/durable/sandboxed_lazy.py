"""Workflows whose files only do ``import fantasy``: every public name is first touched
inside the running workflow, so fantasy's lazy names load their modules there, where
Temporal's sandbox refuses a clock, a thread lock or I/O, even in a module's own code.

`LazyLoop` runs with fantasy passed through the sandbox (`sandbox_runner()`), as a
durable run's workflow does; `default_sandbox.py` runs the same under Temporal's default
sandbox, where fantasy is imported again for each workflow.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

import fantasy


class ScriptModel:
    """A scripted model with nothing a workflow may not do."""

    provider = "script"
    model = "script-1"

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    async def agenerate(self, call: Any) -> Any:
        return self.answers.pop(0)

    def astream(self, call: Any) -> Any:
        raise NotImplementedError


async def touch_every_name_and_run(prompt: str) -> str:
    """Every name of ``fantasy.__all__`` looked up, then a two-step run with a tool."""
    for name in fantasy.__all__:
        getattr(fantasy, name)

    @fantasy.tool(parallel=True)
    async def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    calls = fantasy.ResponseContent(
        [
            fantasy.ToolCallContent("c1", "add", '{"a": 2, "b": 3}'),
            fantasy.ToolCallContent("c2", "add", '{"a": 1, "b": 1}'),
        ]
    )
    text = fantasy.ResponseContent([fantasy.TextContent("it is 5")])
    model = ScriptModel(
        fantasy.Response(calls, fantasy.FinishReason.TOOL_CALLS, fantasy.Usage(1, 1)),
        fantasy.Response(text, fantasy.FinishReason.STOP, fantasy.Usage(1, 1)),
    )
    agent = fantasy.Agent(model, tools=[add], usage_limits=fantasy.UsageLimits(max_requests=5))
    result = await agent.agenerate(prompt, max_retries=2)
    results = [r.result for r in result.steps[0].content.tool_results]
    return f"{result.text} {[getattr(r, 'text', None) for r in results]}"


@workflow.defn(name="fantasy.tests.LazyLoop")
class LazyLoop:
    @workflow.run
    async def run(self, prompt: str) -> str:
        return await touch_every_name_and_run(prompt)
