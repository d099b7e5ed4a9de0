"""The agents the durable-run tests register in their workers.

Every worker process imports this module and builds the same agents, as a real
deployment would. The scripted models answer from what the call holds (how many tool
results the conversation has), not from a position in a script, so a second worker
that resumes a run answers as the first would have. Model requests and tool runs are
written to the file named by FANTASY_DURABLE_LOG, one line each, with the worker's
name (FANTASY_DURABLE_WORKER): that is how a test counts what really ran, and where.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.common import RetryPolicy

import fantasy
from fantasy import Call, Response, Role
from fantasy.durable.temporal import ActivityOptions, DurableAgent, StreamEvent
from fantasy.testing import FakeModel, stream_parts_for_text, text_response, tool_call_response


def log(line: str) -> None:
    path = os.environ.get("FANTASY_DURABLE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{os.environ.get('FANTASY_DURABLE_WORKER', '?')} {line}\n")
            f.flush()
            os.fsync(f.fileno())


def tool_results(call: Call) -> int:
    return sum(1 for m in call.prompt if m.role is Role.TOOL)


def _scripted(answer: Any) -> FakeModel:
    def respond(call: Call) -> Response:
        n = tool_results(call)
        log(f"model {n}")
        return answer(n)  # type: ignore[no-any-return]

    return FakeModel([respond] * 100)


# --------------------------------------------------------------------------- calculator


@fantasy.tool
def add(a: int, b: int) -> str:
    """Add two integers."""
    log(f"tool add {a} {b}")
    return str(a + b)


@fantasy.tool
def multiply(a: int, b: int) -> str:
    """Multiply two integers."""
    log(f"tool multiply {a} {b}")
    return str(a * b)


def _calculator(n: int) -> Response:
    if n == 0:
        return tool_call_response(("c1", "add", {"a": 2, "b": 3}))
    if n == 1:
        return tool_call_response(("c2", "multiply", {"a": 5, "b": 7}))
    return text_response("2 + 3 = 5 and 5 * 7 = 35", usage=fantasy.Usage(10, 5, 15))


SECRET_HEADER = "Bearer sk-durable-SECRET-4242"
"""A credential in the agent's headers: sent with each request, never stored by Temporal."""

calculator = fantasy.Agent(
    _scripted(_calculator),
    system_prompt="You compute.",
    tools=[add, multiply],
    retry_initial_delay=0.1,
    headers={"Authorization": SECRET_HEADER, "X-Team": "agents"},
)


# --------------------------------------------------------------------------- crash and resume


@fantasy.tool
def record(label: str) -> str:
    """Record a label."""
    log(f"tool record {label}")
    return f"recorded {label}"


@fantasy.tool
def slow(label: str) -> str:
    """A tool that hangs in the first worker (which the test kills while it runs)."""
    log(f"tool slow-start {label}")
    if os.environ.get("FANTASY_DURABLE_HANG") == "1":
        while True:
            time.sleep(0.1)
    log(f"tool slow-done {label}")
    return f"slow {label} done"


def _crash(n: int) -> Response:
    if n == 0:
        return tool_call_response(("k1", "record", {"label": "A"}))
    if n == 1:
        return tool_call_response(("k2", "slow", {"label": "B"}))
    return text_response("all done")


crash = DurableAgent(
    fantasy.Agent(_scripted(_crash), tools=[record, slow]),
    tool_activity=ActivityOptions(start_to_close_timeout=timedelta(seconds=3)),
)


# --------------------------------------------------------------------------- streaming


def on_stream(event: StreamEvent) -> None:
    if event.part.type is fantasy.StreamPartType.TEXT_DELTA:
        log(f"stream {event.request} {event.attempt} {event.part.delta}")


streaming = DurableAgent(
    fantasy.Agent(_scripted(_calculator), tools=[add, multiply]), on_stream=on_stream
)


# --------------------------------------------------------------------------- approvals


class Transfer(BaseModel):
    to: str
    amount: float


@fantasy.tool(needs_approval=lambda t: t.amount > 100)
def transfer(t: Transfer) -> str:
    """Send money; more than 100 needs approval."""
    log(f"tool transfer {t.to} {t.amount:g}")
    return f"sent {t.amount:g} to {t.to}"


@fantasy.tool(deferred=True)
def ask_manager(question: str) -> str:
    """Ask the manager; the answer comes later."""
    raise NotImplementedError


def last_tool_results(call: Call) -> str:
    """What the last tool message says, call by call: the model's answer repeats it."""
    tool_messages = [m for m in call.prompt if m.role is Role.TOOL]
    parts = tool_messages[-1].content if tool_messages else []
    said = []
    for part in parts:
        output = getattr(part, "output", None)
        said.append(
            f"{part.tool_call_id}={getattr(output, 'text', None) or getattr(output, 'error', '')}"
        )
    return "; ".join(said)


def _bank(call: Call) -> Response:
    n = tool_results(call)
    log(f"model {n}")
    if n == 0:
        return tool_call_response(
            ("t1", "transfer", {"to": "bob", "amount": 500}),
            ("t2", "transfer", {"to": "carol", "amount": 5}),
            ("t3", "transfer", {"to": "dave", "amount": 900}),
        )
    return text_response(last_tool_results(call))


def _manager(call: Call) -> Response:
    n = tool_results(call)
    log(f"model {n}")
    if n == 0:
        return tool_call_response(("m1", "ask_manager", {"question": "Friday off?"}))
    return text_response(last_tool_results(call))


# --------------------------------------------------------------------------- typed, parallel


class Answer(BaseModel):
    answer: str
    count: int


def _met(label: str) -> bool:
    """Whether both meeting tools have started: each waits (up to 5 s) for the other."""
    path = os.environ.get("FANTASY_DURABLE_LOG", "")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8") as f:
            started = [line for line in f if " tool meet " in line]
        if len(started) >= 2:
            return True
        time.sleep(0.05)
    return False


@fantasy.tool(parallel=True)
async def meet(label: str) -> str:
    """Meet the other call of this step: both run at once, or neither meets."""
    import asyncio

    log(f"tool meet {label}")
    met = await asyncio.to_thread(_met, label)
    return f"{label} {'met' if met else 'alone'}"


def _typed(call: Call) -> Response:
    n = tool_results(call)
    log(f"model {n}")
    if n == 0:
        return tool_call_response(("p1", "meet", {"label": "a"}), ("p2", "meet", {"label": "b"}))
    return tool_call_response(
        ("f1", "final_result", {"answer": last_tool_results(call), "count": 2})
    )


# --------------------------------------------------------------------------- heartbeats


def slow_consumer(event: StreamEvent) -> None:
    """Takes 0.3 s per part, blocking (it runs on a thread, not on the worker's event
    loop): the stream's 12 parts last longer than the heartbeat timeout."""
    time.sleep(0.3)
    if event.part.type is fantasy.StreamPartType.TEXT_DELTA:
        log(f"stream {event.attempt} {event.part.delta}")


def _long_stream(call: Call) -> list[fantasy.StreamPart]:
    log("model stream")
    return stream_parts_for_text([f"w{i} " for i in range(10)])


long_stream = DurableAgent(
    fantasy.Agent(FakeModel([_long_stream] * 20)),
    model_activity=ActivityOptions(
        start_to_close_timeout=timedelta(seconds=30),
        heartbeat_timeout=timedelta(seconds=1),
        retry_policy=RetryPolicy(maximum_attempts=2),
    ),
    on_stream=slow_consumer,
)


# --------------------------------------------------------------------------- MCP


def _mcp(call: Call) -> Response:
    n = tool_results(call)
    log(f"model {n} tools={sorted(t.name for t in call.tools)}")
    if n == 0:
        return tool_call_response(("q1", "lookup", {"key": "answer"}))
    return text_response(last_tool_results(call))


def mcp_agent(needs_approval: bool = False) -> fantasy.Agent[str]:
    """An agent whose tool comes from a stdio MCP server (`mcp_server.py`)."""
    import sys
    from pathlib import Path

    from fantasy.mcp import MCPServerStdio

    here = Path(__file__).resolve()
    server = MCPServerStdio(
        sys.executable,
        [str(here.with_name("mcp_server.py"))],
        env={
            "FANTASY_DURABLE_LOG": os.environ["FANTASY_DURABLE_LOG"],
            "PYTHONPATH": str(here.parents[2] / "src"),
        },
        needs_approval=needs_approval,
    )
    return fantasy.Agent(FakeModel([_mcp] * 20), toolsets=[server])


def on_finish_part(event: StreamEvent) -> None:
    if event.part.type is fantasy.StreamPartType.FINISH:
        log(f"streamed request {event.request}")


def agents() -> dict[str, Any]:
    """Every agent of the tests, by name, plus one over a loopback HTTP server when
    FANTASY_DURABLE_BASE_URL is set (an OpenAI-compatible endpoint)."""
    out: dict[str, Any] = {
        "calculator": calculator,
        "crash": crash,
        "streaming": streaming,
        "bank": fantasy.Agent(FakeModel([_bank] * 20), tools=[transfer]),
        "manager": fantasy.Agent(FakeModel([_manager] * 20), tools=[ask_manager]),
        "streaming_bank": DurableAgent(
            fantasy.Agent(FakeModel([_bank] * 20), tools=[transfer]), on_stream=on_finish_part
        ),
        "long_stream": long_stream,
        "typed": fantasy.Agent(
            FakeModel([_typed] * 20), tools=[meet], output_type=Answer, output_mode="tool"
        ),
    }
    base_url = os.environ.get("FANTASY_DURABLE_BASE_URL")
    if base_url:
        from fantasy.providers import openaicompat

        model = openaicompat.Provider(base_url=base_url, api_key="sk-test").language_model(
            "gpt-4o-mini"
        )
        out["http"] = DurableAgent(
            fantasy.Agent(model, max_retries=2, retry_initial_delay=0.1, retry_backoff_factor=1.0)
        )
    return out
