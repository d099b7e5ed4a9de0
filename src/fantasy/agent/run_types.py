"""What an agent run takes and gives: per-call options, callbacks, step and run results,
and the prepare-step hook's types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypedDict, cast

from fantasy._record import Record, field_names
from fantasy.agent.steps import (
    RepairToolCall,
)
from fantasy.model import LanguageModel, Response
from fantasy.retry import OnAuthRefresh, OnRetry
from fantasy.stop import StopCondition
from fantasy.tools import AgentTool, Denied, PendingCall
from fantasy.types import (
    CallWarning,
    FileContent,
    FilePart,
    FinishReason,
    Message,
    ProviderMetadata,
    ProviderOptions,
    ReasoningContent,
    ResponseContent,
    SourceContent,
    StreamPart,
    ToolCallContent,
    ToolResultContent,
    Usage,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from fantasy.cost import Cost
    from fantasy.limiter import RequestLimiter
    from fantasy.usage_limits import UsageLimits

    OutputT = TypeVar("OutputT", default=str)
else:
    from typing import TypeVar

    OutputT = TypeVar("OutputT")
"""The type of a run's ``output``: the agent's ``output_type``, ``str`` without one."""


class _Marker:
    """A value that means something by being itself: it stays itself when a result is
    copied or pickled (a saved, cached or workflow-carried result), where a bare
    ``object()`` would come back as a stranger and ``output`` would return it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> str:
        return self.name  # pickled, and copied, as a reference to the module's global

    def __repr__(self) -> str:
        return f"<{self.name}>"


TEXT_OUTPUT: Any = _Marker("TEXT_OUTPUT")
"""``AgentResult.typed_output`` of a run without an output type: ``output`` is the text."""
PAUSED_OUTPUT: Any = _Marker("PAUSED_OUTPUT")
"""``AgentResult.typed_output`` of a typed run that paused (approvals, deferred calls)
before its output: reading ``output`` says so instead of giving the text."""


class StepResult(
    Record,
    not_in_repr=("model",),
    not_compared=("model",),
    factories={"messages": list, "pending": list},
):
    """One model call and its tool runs; ``messages`` is what it added to the history."""

    __slots__ = (
        "content",
        "finish_reason",
        "usage",
        "warnings",
        "provider_metadata",
        "messages",
        "raw_finish_reason",
        "model",
        "pending",
        "response_id",
        "response_model",
        "turn_paused",
    )

    content: ResponseContent
    finish_reason: FinishReason
    usage: Usage
    warnings: list[CallWarning]
    provider_metadata: ProviderMetadata
    messages: list[Message]
    raw_finish_reason: str
    """The provider's own finish reason, next to the mapped `finish_reason`."""
    model: LanguageModel | None
    """The model that answered this step (None for a step built by hand)."""
    pending: list[PendingCall]
    """The calls this step left waiting (for approval, or deferred): the run paused
    after it; their parts in ``messages`` are marked (``ToolCallPart.pending``)."""
    response_id: str | None
    """The provider's id of this step's answer (`fantasy.Response.response_id`)."""
    response_model: str | None
    """The model that answered this step, as the provider names it."""
    turn_paused: bool
    """The provider paused the model's turn (`fantasy.Response.turn_paused`): the run
    sends this step's answer back for the model to go on."""

    def __init__(
        self,
        content: ResponseContent,
        finish_reason: FinishReason,
        usage: Usage,
        warnings: list[CallWarning],
        provider_metadata: ProviderMetadata,
        messages: list[Message] | None = None,
        raw_finish_reason: str = "",
        model: LanguageModel | None = None,
        pending: list[PendingCall] | None = None,
        response_id: str | None = None,
        response_model: str | None = None,
        turn_paused: bool = False,
    ) -> None:
        self.content = content
        self.finish_reason = finish_reason
        self.usage = usage
        self.warnings = warnings
        self.provider_metadata = provider_metadata
        self.messages = [] if messages is None else messages
        self.raw_finish_reason = raw_finish_reason
        self.model = model
        self.pending = [] if pending is None else pending
        self.response_id = response_id
        self.response_model = response_model
        self.turn_paused = turn_paused

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def cost(self) -> Cost:
        """What this step's model call cost, from the `genai-prices` table (extra
        ``cost``); ``amount`` is None, with a ``reason``, when it is not known."""
        from fantasy.cost import answering_model, cost_of

        return cost_of(self.usage, answering_model(self.model, self.provider_metadata))

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """Pickled (an error's partial result crossing a process pool) with ``model``
        reduced to a `fantasy.cost.ModelRef` of the model that answered: its provider,
        id and URL, all its cost needs."""
        from fantasy.cost import model_ref

        state = {name: getattr(self, name) for name in field_names(self)}
        state["model"] = model_ref(self.model, self.provider_metadata)
        return None, state  # the form of a slotted object's state

    @property
    def response(self) -> Response:
        return Response(
            self.content,
            self.finish_reason,
            self.usage,
            self.warnings,
            self.provider_metadata,
            self.raw_finish_reason,
            self.response_id,
            self.response_model,
            self.turn_paused,
        )


class AgentResult(
    Record,
    Generic[OutputT],
    not_in_repr=("typed_output",),
    factories={"input_messages": list, "prompt_messages": list},
):
    """A finished run (or, on an error's ``partial_result``, the steps completed before it).

    Three views of the conversation:

    * ``all_messages()``: everything, ready to pass back as ``messages=`` with the next
      prompt: the earlier ``messages=``, this run's user prompt (with its files), and
      what every step added. The agent's system prompt is not in it, since the agent
      sends it on every call.
    * ``new_messages()``: this run's user prompt and what the steps added; what to
      append to a history you keep yourself.
    * ``messages``: the same as ``new_messages()``, so ``history += result.messages``
      keeps the user's turns.

    ``response_messages`` is only what the model and the tools added (Fantasy's
    step messages), without the prompt.

    ``output`` is the run's validated output, an instance of the agent's (or the
    call's) ``output_type``; the text when the run has none.
    """

    __slots__ = (
        "steps",
        "response",
        "total_usage",
        "input_messages",
        "prompt_messages",
        "typed_output",
    )

    steps: list[StepResult]
    response: Response
    """The latest step whose text is not blank (else the last step); its usage is that step's."""
    total_usage: Usage
    input_messages: list[Message]
    """The ``messages=`` the run was given (the agent's system prompt is not among them)."""
    prompt_messages: list[Message]
    """The user message this run's prompt became (empty when it continued without one)."""
    typed_output: Any
    """The validated output of a typed run; read it as ``output``."""

    def __init__(
        self,
        steps: list[StepResult],
        response: Response,
        total_usage: Usage,
        input_messages: list[Message] | None = None,
        prompt_messages: list[Message] | None = None,
        typed_output: Any = TEXT_OUTPUT,
    ) -> None:
        self.steps = steps
        self.response = response
        self.total_usage = total_usage
        self.input_messages = [] if input_messages is None else input_messages
        self.prompt_messages = [] if prompt_messages is None else prompt_messages
        self.typed_output = typed_output

    @property
    def text(self) -> str:
        return self.response.content.text

    @property
    def output(self) -> OutputT:
        """The validated output (the text when the run has no ``output_type``)."""
        if self.typed_output is TEXT_OUTPUT:
            return cast(OutputT, self.text)
        if self.typed_output is PAUSED_OUTPUT:
            from fantasy.errors import NoObjectGeneratedError

            waiting = len(self.steps[-1].pending) if self.steps else 0
            raise NoObjectGeneratedError(
                f"no output yet: the run paused for {waiting} tool call(s) "
                "(result.pending_approvals, result.pending_calls); resume it for the output",
                raw_text=self.text,
            )
        return cast(OutputT, self.typed_output)

    @property
    def total_cost(self) -> Cost:
        """What the run's model calls cost, the sum of each step's ``cost``; unknown
        (``amount`` None, with the first step's ``reason``) if one step's is."""
        from fantasy.cost import zero

        total = zero()
        for step in self.steps:
            total = total + step.cost
        return total

    @property
    def pending_approvals(self) -> list[PendingCall]:
        """The tool calls waiting for approval: the run paused for them (no ``approve``
        callback). Resume with ``messages=result.all_messages(), approvals={id: True or
        fantasy.Denied(reason)}``; see README, "Human in the loop"."""
        last = self.steps[-1].pending if self.steps else []
        return [p for p in last if p.kind == "approval"]

    @property
    def pending_calls(self) -> list[PendingCall]:
        """The calls of deferred tools, whose results come from outside the run: resume
        with ``messages=result.all_messages(), tool_results={id: value}``."""
        last = self.steps[-1].pending if self.steps else []
        return [p for p in last if p.kind == "deferred"]

    @property
    def paused(self) -> bool:
        """The run stopped to wait for approvals or deferred results."""
        return bool(self.steps and self.steps[-1].pending)

    @property
    def response_messages(self) -> list[Message]:
        """What the model and the tools added, step by step (no user prompt)."""
        return [m for s in self.steps for m in s.messages]

    def new_messages(self) -> list[Message]:
        """This run's user prompt, then every message its steps added."""
        return [*self.prompt_messages, *self.response_messages]

    def all_messages(self) -> list[Message]:
        """The whole conversation so far, to pass back as ``messages=``."""
        return [*self.input_messages, *self.new_messages()]

    @property
    def messages(self) -> list[Message]:
        """Same as `new_messages`: ``history += result.messages`` keeps the user's turns."""
        return self.new_messages()


class PrepareStepOptions(Record):
    __slots__ = ("steps", "step_number", "model", "messages")
    steps: list[StepResult]
    step_number: int
    model: LanguageModel
    messages: list[Message]

    def __init__(
        self,
        steps: list[StepResult],
        step_number: int,
        model: LanguageModel,
        messages: list[Message],
    ) -> None:
        self.steps = steps
        self.step_number = step_number
        self.model = model
        self.messages = messages


class PrepareStepResult(Record):
    """Per-step overrides; ``None`` (or an empty list for active_tools) keeps the default."""

    __slots__ = (
        "model",
        "messages",
        "system_prompt",
        "tool_choice",
        "active_tools",
        "disable_all_tools",
        "tools",
    )

    model: LanguageModel | None
    messages: list[Message] | None
    system_prompt: str | None
    """Replaces the system prompt for this step; ``""`` removes it."""
    tool_choice: str | None
    active_tools: list[str] | None
    disable_all_tools: bool
    tools: list[AgentTool] | None

    def __init__(
        self,
        model: LanguageModel | None = None,
        messages: list[Message] | None = None,
        system_prompt: str | None = None,
        tool_choice: str | None = None,
        active_tools: list[str] | None = None,
        disable_all_tools: bool = False,
        tools: list[AgentTool] | None = None,
    ) -> None:
        self.model = model
        self.messages = messages
        self.system_prompt = system_prompt
        self.tool_choice = tool_choice
        self.active_tools = active_tools
        self.disable_all_tools = disable_all_tools
        self.tools = tools


PrepareStep = Callable[
    [PrepareStepOptions], "PrepareStepResult | Awaitable[PrepareStepResult | None] | None"
]


class CallOptions(TypedDict, total=False):
    """Per-call settings; each overrides the agent's default when given (and not None)."""

    files: Sequence[FilePart]
    messages: Sequence[Message | dict[str, Any]]
    """The conversation so far (``result.all_messages()`` of an earlier run); OpenAI-style
    ``{"role", "content"}`` dicts are accepted too."""
    # The fields of fantasy.CallSettings, spelled out for mypy (a TypedDict cannot be
    # derived); tests/unit/test_call_settings.py fails when they drift.
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    active_tools: Sequence[str] | None
    tool_choice: str | None
    headers: dict[str, str] | None
    provider_options: ProviderOptions | None
    stop_when: Sequence[StopCondition] | StopCondition | None
    max_steps: int | None
    """Most steps the run may take (the agent's ``max_steps`` when not given)."""
    prepare_step: PrepareStep | None
    repair_tool_call: RepairToolCall | None
    max_retries: int | None
    timeout: float | None
    """Seconds each model request (each attempt) of the run may take, however the
    server sends its answer (see `fantasy.Call.timeout`)."""
    total_timeout: float | None
    """Seconds the whole run may take: every step, every retry and every wait between
    them. An attempt gets what is left (or ``timeout`` if that is less); a retry whose
    wait would pass it is not made."""
    on_retry: OnRetry | None
    on_auth_refresh: OnAuthRefresh | None
    model_provider: Callable[[], LanguageModel] | None
    """Called before every attempt to get the model (e.g. with refreshed credentials)."""
    usage_limits: UsageLimits | None
    """Most the run may use (requests, tokens, cost); replaces the agent's."""
    limiter: RequestLimiter | None
    """A `fantasy.RequestLimiter` every request of the run takes a slot of."""
    output_mode: str | None
    """How the typed output is asked for: ``"auto"`` (default), ``"native"``,
    ``"tool"`` or ``"text"`` (see `fantasy.agent.output`)."""
    output_retries: int | None
    """Invalid outputs sent back to the model before `NoObjectGeneratedError` (default 2)."""
    approve: Callable[[PendingCall], bool | Denied | Awaitable[bool | Denied]] | None
    """Answers each tool call that needs approval at once (sync or async): ``True`` runs
    it, ``False`` or ``fantasy.Denied(reason)`` gives the model ``denied: <reason>``.
    Without one (here or on the agent) the run pauses for such calls instead."""
    approval_timeout: float | None
    """Seconds ``approve`` may take for one call; past that the call is denied
    (``denied: no approval within Ns``), the model sees it, and the run goes on."""
    approvals: Mapping[str, bool | Denied] | None
    """Resuming a paused run: the answer for each call waiting for approval in
    ``messages=``, by tool call id (``True``, ``False`` or ``fantasy.Denied``)."""
    tool_results: Mapping[str, Any] | None
    """Resuming a paused run: the result of each deferred call in ``messages=``, by
    tool call id (a str, a `fantasy.ToolResponse`, or anything JSON-serialisable)."""


class StreamCallbacks(TypedDict, total=False):
    """Fantasy's streaming callbacks, sync or async. An exception raised in one fails the run."""

    on_agent_start: Callable[[], Any]
    on_agent_finish: Callable[[AgentResult], Any]
    on_step_start: Callable[[int], Any]
    on_step_finish: Callable[[StepResult], Any]
    on_finish: Callable[[AgentResult], Any]
    on_error: Callable[[BaseException], Any]
    on_chunk: Callable[[StreamPart], Any]
    on_warnings: Callable[[list[CallWarning]], Any]
    on_text_start: Callable[[str], Any]
    on_text_delta: Callable[[str, str], Any]
    on_text_end: Callable[[str], Any]
    on_reasoning_start: Callable[[str, ReasoningContent], Any]
    on_reasoning_delta: Callable[[str, str], Any]
    on_reasoning_end: Callable[[str, ReasoningContent], Any]
    on_tool_input_start: Callable[[str, str], Any]
    on_tool_input_delta: Callable[[str, str], Any]
    on_tool_input_end: Callable[[str], Any]
    on_tool_call: Callable[[ToolCallContent], Any]
    on_tool_result: Callable[[ToolResultContent], Any]
    on_source: Callable[[SourceContent], Any]
    on_file: Callable[[FileContent], Any]
    """A file the model generated (an image), as it arrives."""
    on_stream_finish: Callable[[Usage, FinishReason, ProviderMetadata], Any]


class StreamOptions(CallOptions, StreamCallbacks, total=False):
    pass
