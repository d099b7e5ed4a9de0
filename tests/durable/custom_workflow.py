"""A workflow of the user's own that runs registered agents as steps of its own logic,
with `run_agent_in_workflow` (on a worker from `create_worker(..., workflows=[...])`)."""

from __future__ import annotations

from temporalio import workflow

from fantasy.durable.temporal import run_agent_in_workflow


@workflow.defn(name="tests.TwoAgents")
class TwoAgents:
    @workflow.run
    async def run(self, question: str) -> list[str]:
        first = await run_agent_in_workflow("calculator", question, {})
        second = await run_agent_in_workflow("streaming", f"Check: {first.text}", {"max_steps": 5})
        return [first.text, second.text, str(len(first.steps) + len(second.steps))]
