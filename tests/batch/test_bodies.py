"""A batched request carries, byte for byte, the body the live call posts.

Each test makes the live call against the loopback server (which records the body
the model sent), then submits the same request as a batch and finds those exact
bytes in what the batch sent: the JSONL file uploaded to OpenAI, the ``params`` of
Anthropic's batch, the inline ``request`` of Gemini's.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic

import fantasy
from fantasy import Call, batch, system_message, user_message
from fantasy.types import FunctionTool
from tests.batch.conftest import ModelFactory
from tests.batch.server import BatchServer

LIVE_PATHS = (
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/messages",
    ":generateContent",
)


def _live_body(server: BatchServer) -> bytes:
    bodies = [
        s.body
        for s in server.seen
        if s.method == "POST" and s.path.split("?")[0].endswith(LIVE_PATHS)
    ]
    assert len(bodies) == 1, [s.path for s in server.seen]
    return bodies[0]


def _batched_items(server: BatchServer) -> dict[str, dict[str, Any]]:
    """id -> the request body as the batch carried it, parsed."""
    found: dict[str, dict[str, Any]] = {}
    for seen in server.seen:
        path = seen.path.split("?")[0]
        if seen.method != "POST":
            continue
        if path == "/v1/files":
            for line in server.files[
                sorted(k for k in server.files if k.startswith("file-") and "-" not in k[5:])[0]
            ].splitlines():
                entry = json.loads(line)
                found[entry["custom_id"]] = entry["body"]
        elif path == "/v1/messages/batches":
            for entry in json.loads(seen.body)["requests"]:
                found[entry["custom_id"]] = entry["params"]
        elif path.endswith(":batchGenerateContent"):
            body = json.loads(seen.body)
            for entry in body["batch"]["input_config"]["requests"]["requests"]:
                found[entry["metadata"]["key"]] = entry["request"]
    return found


def _batch_payload(server: BatchServer) -> bytes:
    """The bytes that carried the requests: the uploaded file or the create body."""
    for seen in server.seen:
        path = seen.path.split("?")[0]
        if seen.method == "POST" and (
            path in ("/v1/files", "/v1/messages/batches") or path.endswith(":batchGenerateContent")
        ):
            return seen.body
    raise AssertionError("no batch was created")


def _rich_call() -> Call:
    weather = FunctionTool(
        name="weather",
        description="The weather in a city.",
        input_schema={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
    return Call(
        [system_message("Answer in one word."), user_message("Weather in Florence? ünïcode ✓")],
        temperature=0.25,
        max_output_tokens=64,
        tools=[weather],
        tool_choice="auto",
    )


def test_a_call_is_batched_with_the_body_the_live_call_posts(
    server: BatchServer, make_model: ModelFactory
) -> None:
    model = make_model(server)
    live = model.generate(_rich_call())
    assert live.text == "echo: Weather in Florence? ünïcode ✓"
    live_body = _live_body(server)

    job = batch.submit(model, {"florence": _rich_call()})
    assert live_body in _batch_payload(server)
    assert _batched_items(server) == {"florence": json.loads(live_body)}
    results = job.result(poll_interval=0)
    assert results["florence"].unwrap().text == live.text
    assert results["florence"].response.usage == live.usage  # type: ignore[union-attr]


class City(pydantic.BaseModel):
    name: str
    population: int


def test_a_typed_object_request_carries_the_live_generate_object_body(
    server: BatchServer, make_model: ModelFactory
) -> None:
    model = make_model(server)
    server.respond = lambda kind, body: {"name": "Florence", "population": 360000}
    live = fantasy.generate_object(model, "Describe Florence", City, temperature=0)
    assert live.object == City(name="Florence", population=360000)
    live_body = _live_body(server)

    request = batch.object_request("city", "Describe Florence", City, temperature=0)
    job = batch.submit(model, [request])
    assert live_body in _batch_payload(server)
    result = job.result(poll_interval=0)["city"]
    assert result.ok
    assert result.output.object == live.object
    assert isinstance(result.output.object, City)


def test_an_agent_prompt_is_batched_as_the_agents_first_step(
    server: BatchServer, make_model: ModelFactory
) -> None:
    @fantasy.tool
    def weather(city: str) -> str:
        """The weather in a city."""
        raise AssertionError("a batch never runs tools")

    model = make_model(server)
    agent = fantasy.Agent(model, system_prompt="You are terse.", tools=[weather], temperature=0.5)
    live = agent.generate("What's the weather in Florence?", max_output_tokens=50)
    assert live.text == "echo: What's the weather in Florence?"
    live_body = _live_body(server)

    requests = batch.agent_requests(
        agent, {"florence": "What's the weather in Florence?"}, max_output_tokens=50
    )
    job = batch.submit(model, requests)
    assert live_body in _batch_payload(server)
    assert job.result(poll_interval=0)["florence"].unwrap().text == live.text


def test_anthropic_beta_flags_of_the_live_calls_go_once_on_the_batch(server: BatchServer) -> None:
    from fantasy.providers import anthropic
    from tests.batch.conftest import anthropic_messages

    model = anthropic_messages(server)
    fetching = Call([user_message("fetch")], tools=[anthropic.web_fetch_tool()])
    running = Call([user_message("run")], tools=[anthropic.code_execution_tool()])
    plain = Call([user_message("plain")])
    model.generate(fetching)
    live = next(s for s in server.seen if s.path.startswith("/v1/messages"))
    assert live.path == "/v1/messages?beta=true"
    assert live.headers["anthropic-beta"] == "web-fetch-2025-09-10"

    job = batch.submit(model, {"f": fetching, "r": running, "p": plain})
    created = next(s for s in server.seen if s.path.startswith("/v1/messages/batches"))
    assert created.path == "/v1/messages/batches?beta=true"
    assert created.headers["anthropic-beta"] == "web-fetch-2025-09-10,code-execution-2025-08-25"
    assert live.body in created.body
    assert job.result(poll_interval=0)["p"].unwrap().text == "echo: plain"


def test_an_agents_typed_output_is_read_as_the_agent_reads_it(
    server: BatchServer, make_model: ModelFactory
) -> None:
    model = make_model(server)
    server.respond = lambda kind, body: {"name": "Florence", "population": 360000}
    agent = fantasy.Agent(model, system_prompt="Facts only.", output_type=City)
    live = agent.generate("Describe Florence")
    assert live.output == City(name="Florence", population=360000)
    live_body = _live_body(server)

    job = batch.submit(model, batch.agent_requests(agent, {"f": "Describe Florence"}))
    assert live_body in _batch_payload(server)
    result = job.result(poll_interval=0)["f"]
    assert result.ok, result.error
    assert result.output.output == live.output
    assert isinstance(result.output.output, City)
    assert result.output.total_usage == live.total_usage


def test_an_agent_answer_that_calls_its_tools_stays_a_response(server: BatchServer) -> None:
    from tests.batch.conftest import anthropic_messages

    @fantasy.tool
    def lookup(city: str) -> str:
        """Look a city up."""
        raise AssertionError("a batch never runs tools")

    server.respond = lambda kind, body: {"city": "Florence"}
    agent = fantasy.Agent(
        anthropic_messages(server), tools=[lookup], tool_choice="lookup", output_type=City
    )
    results = batch.run(
        agent.model, batch.agent_requests(agent, {"f": "Florence?"}), poll_interval=0
    )
    call = results["f"].unwrap().content.tool_calls[0]
    assert (call.tool_name, json.loads(call.input)) == ("lookup", {"city": "Florence"})
    assert results["f"].output is None
