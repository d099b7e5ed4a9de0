"""Provider batch APIs for bulk work: OpenAI Batch, Anthropic Message Batches, Gemini
batch mode, at about half the price of live calls and within a day.

    from fantasy import batch

    job = batch.submit(model, {"q1": call1, "q2": call2})
    print(job.id)                       # keep it: batch.resume(model, job.id) later
    results = job.result(progress=True) # polls with backoff, draws a bar
    results["q1"].response.text

Each request's body is the one the live call would post (the model's own
``build_request``), and each answer is read by the model's own parser, so a
batched `Response` is the live one; a request the provider refused carries the
`ProviderError` the live call would have raised. Typed objects go through the
objects layer (`object_request`), agents' first steps through the agent's own
setup (`agent_requests`).
"""

from fantasy.batch.job import (
    BatchJob,
    BatchNotFinishedError,
    arun,
    asubmit,
    resume,
    run,
    submit,
)
from fantasy.batch.requests import (
    AgentRequest,
    BatchRequest,
    CallRequest,
    ObjectRequest,
    agent_requests,
    object_request,
    request,
)
from fantasy.batch.status import (
    BatchItemError,
    BatchResult,
    BatchResults,
    BatchState,
    BatchStatus,
)

__all__ = [
    "AgentRequest",
    "BatchItemError",
    "BatchJob",
    "BatchNotFinishedError",
    "BatchRequest",
    "BatchResult",
    "BatchResults",
    "BatchState",
    "BatchStatus",
    "CallRequest",
    "ObjectRequest",
    "agent_requests",
    "arun",
    "asubmit",
    "object_request",
    "request",
    "resume",
    "run",
    "submit",
]
