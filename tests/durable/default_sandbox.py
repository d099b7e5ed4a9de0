"""`sandboxed_lazy`'s run in Temporal's default sandbox (fantasy not passed through),
where each workflow imports fantasy again and every module a name loads in the running
workflow runs its code under the sandbox's restrictions: this file imports nothing of
fantasy but the package.
"""

from __future__ import annotations

from temporalio import workflow

from tests.durable.sandboxed_lazy import touch_every_name_and_run


@workflow.defn(name="fantasy.tests.LazyLoopDefaultSandbox")
class LazyLoopDefaultSandbox:
    @workflow.run
    async def run(self, prompt: str) -> str:
        return await touch_every_name_and_run(prompt)
