"""A workflow that imports fantasy inside Temporal's default sandbox (no passthrough):
the sandbox re-imports fantasy for the workflow and fails on a restricted call (a
clock, a random source, a thread, I/O) made on import or while the loop runs."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

# httpx's own import trips the sandbox (its Cookies subclass urllib's Request); fantasy
# does not import it, but fantasy.testing's cassette transport does. Only httpx is
# passed through: fantasy itself is imported, and runs, under the sandbox.
with workflow.unsafe.imports_passed_through():
    import httpx  # noqa: F401

# `import fantasy` loads its parts on first use, and Temporal's sandbox restricts the
# module code of an import made while a workflow runs (a module-level lock, a clock):
# take the names a workflow uses when its file is imported, as Temporal advises.

from fantasy import Agent, Call, Response, _runtime, tool
from fantasy.testing.fake import text_response, tool_call_response


class ScriptModel:
    """A scripted model with nothing a workflow may not do (FakeModel holds a thread lock,
    which the sandbox refuses; a durable run's model is an activity anyway)."""

    provider = "script"
    model = "script-1"

    def __init__(self, *answers: Response) -> None:
        self.answers = list(answers)

    async def agenerate(self, call: Call) -> Response:
        return self.answers.pop(0)

    def astream(self, call: Call) -> Any:
        raise NotImplementedError


@tool(parallel=True)
async def add(a: int, b: int) -> str:
    """Add two integers (calls of it run side by side, as asyncio tasks of the workflow)."""
    return str(a + b)


@workflow.defn(name="fantasy.tests.SandboxedLoop")
class SandboxedLoop:
    @workflow.run
    async def run(self, prompt: str) -> str:
        model = ScriptModel(
            tool_call_response(("c1", "add", {"a": 2, "b": 3}), ("c2", "add", {"a": 1, "b": 1})),
            text_response("it is 5"),
        )
        agent = Agent(model, tools=[add])
        # total_timeout reads the clock: the workflow's, as a durable run sets it (without
        # it, the sandbox refuses the loop's time.monotonic()).
        with _runtime.clock(workflow.time):
            result = await agent.agenerate(prompt, total_timeout=60)
        results = [r.result for r in result.steps[0].content.tool_results]
        return f"{result.text} {[getattr(r, 'text', None) for r in results]}"
