"""Both faces, resuming from a batch id (in this process and after a restart), and
typed objects read back through the objects layer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pydantic
import pytest

from fantasy import Call, batch, user_message
from fantasy.errors import NoObjectGeneratedError
from tests.batch.conftest import MODELS, ModelFactory
from tests.batch.server import OPENAI_KEY, BatchServer

ROOT = Path(__file__).resolve().parents[2]


class Verdict(pydantic.BaseModel):
    label: str
    score: float


async def test_the_async_face_submits_polls_cancels_and_reads(
    server: BatchServer, make_model: ModelFactory
) -> None:
    model = make_model(server)
    job = await batch.asubmit(model, {"a": Call([user_message("a")])})
    first = await job.apoll()
    assert first.id == job.id and not first.done
    status = await job.await_done(poll_interval=0)
    assert status.done
    results = await job.aresult(poll_interval=0)
    assert results["a"].unwrap().text == "echo: a"

    server.unfinished = {"b"}
    other = await batch.asubmit(model, [batch.request("b", Call([user_message("b")]))])
    await other.acancel()
    cancelled = await other.aresult(poll_interval=0)
    assert cancelled.status.state is batch.BatchState.CANCELLED


async def test_arun_is_submit_and_wait(server: BatchServer, make_model: ModelFactory) -> None:
    results = await batch.arun(
        make_model(server), {"x": Call([user_message("x")])}, poll_interval=0
    )
    assert results["x"].unwrap().text == "echo: x"


def test_run_is_submit_and_wait(server: BatchServer) -> None:
    results = batch.run(
        MODELS["anthropic"](server), [("x", Call([user_message("x")]))], poll_interval=0
    )
    assert results["x"].unwrap().text == "echo: x"


def test_a_resumed_batch_without_its_requests_gives_responses_by_id(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.respond = lambda kind, body: {"label": "good", "score": 0.9}
    job = batch.submit(make_model(server), [batch.object_request("v1", "Rate this", Verdict)])
    resumed = batch.resume(make_model(server), job.id)
    results = resumed.result(poll_interval=0)
    assert list(results) == ["v1"]
    assert results["v1"].response is not None and results["v1"].output is None


def test_a_resumed_batch_with_its_requests_gives_typed_objects(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.respond = lambda kind, body: {"label": "good", "score": 0.9}
    requests = [
        batch.object_request("v1", "Rate this", Verdict),
        batch.object_request("v2", "Rate that", Verdict, system_prompt="Be fair."),
    ]
    job = batch.submit(make_model(server), requests)
    resumed = batch.resume(make_model(server), job.id, requests)
    results = resumed.result(poll_interval=0)
    for id in ("v1", "v2"):
        assert results[id].output.object == Verdict(label="good", score=0.9)


def test_an_object_that_does_not_fit_its_type_is_that_requests_error(
    server: BatchServer, make_model: ModelFactory
) -> None:
    server.respond = lambda kind, body: {"label": "good"}
    results = batch.submit(make_model(server), [batch.object_request("v", "Rate", Verdict)]).result(
        poll_interval=0
    )
    error = results["v"].error
    assert isinstance(error, NoObjectGeneratedError)
    assert results["v"].response is not None  # what the model said is kept


def test_polling_resumes_from_the_batch_id_in_a_new_process(server: BatchServer) -> None:
    """Submit here, then a fresh interpreter (a restart) resumes from the id alone."""
    job = batch.submit(
        MODELS["openai-chat"](server),
        {"a": Call([user_message("first")]), "b": Call([user_message("second")])},
    )
    script = textwrap.dedent(
        f"""
        import json
        from fantasy import batch
        from fantasy.providers import openai

        provider = openai.Provider(api_key={OPENAI_KEY!r}, base_url={server.url + "/v1"!r})
        model = provider.language_model("gpt-4o-mini")
        results = batch.resume(model, {job.id!r}).result(poll_interval=0)
        print(json.dumps({{k: r.unwrap().text for k, r in results.items()}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"a": "echo: first", "b": "echo: second"}


def test_request_warnings_join_the_response_as_on_a_live_call(server: BatchServer) -> None:
    model = MODELS["anthropic"](server)
    call = Call([user_message("hi")], frequency_penalty=0.5)
    live = model.generate(call)
    assert live.warnings
    results = batch.submit(model, {"w": call}).result(poll_interval=0)
    assert results["w"].unwrap().warnings == live.warnings


@pytest.mark.parametrize("face", ["sync", "async"])
def test_both_faces_give_equal_results(server: BatchServer, face: str) -> None:
    import asyncio

    model = MODELS["gemini"](server)
    calls = {"q": Call([user_message("q")])}
    if face == "sync":
        results = batch.submit(model, calls).result(poll_interval=0)
    else:

        async def go() -> batch.BatchResults:
            job = await batch.asubmit(model, calls)
            return await job.aresult(poll_interval=0)

        results = asyncio.run(go())
    assert results["q"].unwrap().text == "echo: q"
