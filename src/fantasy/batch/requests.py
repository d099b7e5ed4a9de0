"""What goes into a batch: calls, typed-object requests and agent prompts, each with an id.

Every request becomes the very `Call` a live call would make, and that call the
very body the model would post (`build_request`, the seam each provider model
exposes): a batch is the live path with the sending deferred. Typed objects and
agent prompts reach their `Call` through the objects layer and the agent's own
step setup, by running them against a stand-in model that records the call
instead of sending it; their answers are read back the same way, through a
stand-in that returns the batch's `Response`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

from fantasy.errors import InvalidArgumentError
from fantasy.model import BaseLanguageModel, Call, Response
from fantasy.types import CallWarning, Message, StreamPart

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fantasy.agent.loop import Agent
    from fantasy.agent.run_types import CallOptions
    from fantasy.objects.typed import ObjectOptions

MAX_ID_LENGTH = 64
"""Anthropic's bound on a ``custom_id``; the same for every provider, so one list of
ids works everywhere."""


class BatchRequest:
    """One request of a batch, under the caller's ``id`` (unique in the batch; letters,
    digits, ``_`` and ``-``, at most 64 characters, as Anthropic requires)."""

    __slots__ = ("id",)

    def __init__(self, id: str):
        if not isinstance(id, str) or not id:
            raise InvalidArgumentError(f"a batch request id must be a non-empty string, got {id!r}")
        if len(id) > MAX_ID_LENGTH or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in id
        ):
            raise InvalidArgumentError(
                f"batch request id {id!r} must be 1-{MAX_ID_LENGTH} letters, digits, '_' or '-' "
                "(the ids providers accept)"
            )
        self.id = id

    async def call_for(self, model: BaseLanguageModel) -> Call:
        raise NotImplementedError

    async def read(self, model: BaseLanguageModel, response: Response) -> Any:
        """What this request makes of its answer besides the `Response` (a typed object)."""
        return None


class CallRequest(BatchRequest):
    """A `Call` as it is: its answer is the model's `Response`."""

    __slots__ = ("call",)

    def __init__(self, id: str, call: Call):
        super().__init__(id)
        if not isinstance(call, Call):
            raise InvalidArgumentError(
                f"batch request {id!r}: expected a fantasy.Call, got {type(call).__name__}"
            )
        self.call = call

    async def call_for(self, model: BaseLanguageModel) -> Call:
        return self.call


class ObjectRequest(BatchRequest):
    """`fantasy.generate_object` deferred: its result's ``output`` is the typed
    `fantasy.ObjectResult` (or its error is the `NoObjectGeneratedError`)."""

    __slots__ = ("options", "output_type", "prompt")

    def __init__(self, id: str, prompt: str | list[Message], output_type: Any, options: Any):
        super().__init__(id)
        self.prompt = prompt
        self.output_type = output_type
        self.options = options

    async def call_for(self, model: BaseLanguageModel) -> Call:
        from fantasy.objects.typed import agenerate_object

        recorder = _Recorder(model)
        with contextlib.suppress(_Recorded):
            await agenerate_object(recorder, self.prompt, self.output_type, **self.options)
        return recorder.only_call(self.id)

    async def read(self, model: BaseLanguageModel, response: Response) -> Any:
        from fantasy.objects.typed import agenerate_object

        return await agenerate_object(
            _Replayer(model, response), self.prompt, self.output_type, **self.options
        )


class AgentRequest(BatchRequest):
    """An agent's first step for ``prompt``: its model, system prompt, settings, tools
    and output type make the call; the answer is that step's `Response`, tool calls
    included and not executed. When the run has an ``output_type`` and the answer
    calls none of the agent's tools, the result's ``output`` is the `AgentResult` the
    agent makes of that answer (its ``output`` typed)."""

    __slots__ = ("agent", "options", "prompt")

    def __init__(self, id: str, agent: Agent[Any], prompt: str, options: Any):
        super().__init__(id)
        self.agent = agent
        self.prompt = prompt
        self.options = options

    async def call_for(self, model: BaseLanguageModel) -> Call:
        from fantasy.agent.run import Run

        run = Run(self.agent, self.prompt, dict(self.options), "batch.agent_requests")  # type: ignore[arg-type]
        try:
            setup = await run.setup_step([], [])
        finally:  # a run that lists MCP tools started their servers: it stops them
            await run.toolsets.close()
        if setup.model is not model and setup.model is not self.agent.model:
            raise InvalidArgumentError(
                f"batch request {self.id!r}: prepare_step chose another model; a batch "
                "goes to one model"
            )
        return setup.call

    async def read(self, model: BaseLanguageModel, response: Response) -> Any:
        typed = self.options.get("output_type") not in (None, str) or (
            "output_type" not in self.options and self.agent.output_spec is not None
        )
        from fantasy.agent.output import FINAL_TOOL_NAME

        # Any call but the output's own tool (the agent's tools, its toolsets' such as
        # an MCP server's, a provider tool run here) is a tool the live run would run:
        # the response says it all, and reading it must not run the tool.
        calls_tools = any(
            c.tool_name != FINAL_TOOL_NAME and not c.provider_executed
            for c in response.content.tool_calls
        )
        if not typed or calls_tools:
            return None  # nothing to type, or tools to run
        # The agent reads its one step as it would live; a second step (an output it
        # must ask again for) is a request the batch did not make.
        replayer = _Replayer(model, response, once=True)
        options = {**self.options, "model_provider": lambda: replayer, "max_retries": 0}
        return await self.agent.agenerate(self.prompt, **options)


def request(id: str, call: Call) -> CallRequest:
    """A `Call` under an id."""
    return CallRequest(id, call)


def object_request(
    id: str,
    prompt: str | list[Message],
    output_type: Any,
    **options: Unpack[ObjectOptions],
) -> ObjectRequest:
    """A typed object, as `fantasy.generate_object(model, prompt, output_type, ...)` would
    ask for it (same options); the result's ``output`` is the `fantasy.ObjectResult`."""
    return ObjectRequest(id, prompt, output_type, options)


def agent_requests(
    agent: Agent[Any], prompts: Mapping[str, str], **options: Unpack[CallOptions]
) -> list[AgentRequest]:
    """One request per ``{id: prompt}``: the call the agent's first step would make with
    these options (one step, tools sent but not executed)."""
    if agent.model is None:
        raise InvalidArgumentError("batch.agent_requests: the agent has no model")
    return [AgentRequest(id, agent, prompt, options) for id, prompt in prompts.items()]


def as_requests(
    requests: Mapping[str, Call] | Iterable[BatchRequest | tuple[str, Call]],
) -> list[BatchRequest]:
    """The requests of ``submit``, checked: ids unique, at least one."""
    items: list[BatchRequest] = []
    source: Iterable[Any] = requests.items() if isinstance(requests, Mapping) else requests
    for entry in source:
        if isinstance(entry, BatchRequest):
            items.append(entry)
        elif isinstance(entry, tuple) and len(entry) == 2:
            items.append(CallRequest(entry[0], entry[1]))
        else:
            raise InvalidArgumentError(
                "batch requests are a {id: Call} mapping, (id, Call) pairs or "
                f"fantasy.batch requests; got {type(entry).__name__}"
            )
    if not items:
        raise InvalidArgumentError("a batch needs at least one request")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InvalidArgumentError(f"batch request id {item.id!r} is used twice")
        seen.add(item.id)
    return items


@dataclass(slots=True)
class PreparedRequest:
    """A request built on the batch's model: the live call's body, ready to ride."""

    request: BatchRequest
    body: bytes
    """The JSON the live call would post, byte for byte."""
    url: str
    """Where the live call would post it."""
    warnings: list[CallWarning] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    """Headers the live call adds to the provider's own (per-call headers, beta flags)."""

    @property
    def id(self) -> str:
        return self.request.id


@contextlib.asynccontextmanager
async def toolsets_held(requests: Iterable[BatchRequest]) -> AsyncIterator[None]:
    """Keeps the toolsets (MCP servers) of the agents behind ``requests`` up while they
    are built or read, then stops them: each server starts once per batch instead of
    once per request, and none is left running after."""
    from fantasy.agent.toolsets import enter_all, exit_all

    toolsets: list[Any] = []
    for request in requests:
        if isinstance(request, AgentRequest):
            for toolset in request.agent.toolsets:
                if not any(toolset is held for held in toolsets):
                    toolsets.append(toolset)
    await enter_all(toolsets)
    try:
        yield
    finally:
        await exit_all(toolsets)


async def prepare(model: Any, request: BatchRequest) -> PreparedRequest:
    call = await request.call_for(model)
    exchange, warnings = model.build_request(call)
    base = model.transport.request_headers(None, "")
    extra = {k: v for k, v in exchange.headers.items() if base.get(k) != v}
    return PreparedRequest(request, exchange.body, exchange.url, list(warnings), extra)


class _Recorded(Exception):
    """Raised by `_Recorder` once it has the call: nothing is sent."""


class _StandIn(BaseLanguageModel):
    """Looks like ``model`` to the objects layer (mode, native output, schema checks)."""

    _not_a_request = True
    """Its calls are recorded or answered here, never sent: telemetry does not trace them."""

    def __init__(self, model: BaseLanguageModel):
        self._model = model
        self.provider_name = model.provider
        self.model_id = model.model
        self.object_mode = model.object_mode
        self.native_object_output = model.native_object_output
        self.native_output_with_tools = model.native_output_with_tools

    def check_schema(self, schema: dict[str, Any], where: str) -> None:
        self._model.check_schema(schema, where)

    def astream(self, call: Call) -> AsyncIterator[StreamPart]:
        raise InvalidArgumentError("a batch request cannot stream")


class _Recorder(_StandIn):
    def __init__(self, model: BaseLanguageModel):
        super().__init__(model)
        self.calls: list[Call] = []

    async def agenerate(self, call: Call) -> Response:
        self.calls.append(call)
        raise _Recorded

    def only_call(self, id: str) -> Call:
        if len(self.calls) != 1:
            raise InvalidArgumentError(f"batch request {id!r} did not make exactly one call")
        return self.calls[0]


class _Replayer(_StandIn):
    def __init__(self, model: BaseLanguageModel, response: Response, *, once: bool = False):
        super().__init__(model)
        self.response = response
        self.once = once
        self.answered = False

    async def agenerate(self, call: Call) -> Response:
        if self.once and self.answered:
            raise InvalidArgumentError(
                "the agent asked for another step (an output to correct, a tool result "
                "to read); a batch answers the first step only"
            )
        self.answered = True
        return self.response
