"""A worker process of the durable-run tests: ``python worker_main.py HOST:PORT QUEUE``.

Prints "ready" once it polls, then runs until killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


async def main(target: str, task_queue: str) -> None:
    from temporalio.client import Client

    from fantasy.durable.temporal import create_worker
    from tests.durable.agents import agents

    client = await Client.connect(target)
    async with create_worker(client, agents(), task_queue=task_queue):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
