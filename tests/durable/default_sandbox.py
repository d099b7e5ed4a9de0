"""`sandboxed_lazy`'s run in Temporal's default sandbox (fantasy not passed through),
where each workflow imports fantasy again and every module a name loads in the running
workflow runs its code under the sandbox's restrictions.

``fantasy.errors`` is imported with this file, when restrictions do not apply yet: it
makes a ``threading.Lock`` when it loads (the other modules take theirs from
``_runtime.module_lock``); until it does the same, it cannot first load in a running
workflow of the default sandbox.
"""

from __future__ import annotations

from temporalio import workflow

import fantasy.errors  # noqa: F401
from tests.durable.sandboxed_lazy import touch_every_name_and_run


@workflow.defn(name="fantasy.tests.LazyLoopDefaultSandbox")
class LazyLoopDefaultSandbox:
    @workflow.run
    async def run(self, prompt: str) -> str:
        return await touch_every_name_and_run(prompt)
