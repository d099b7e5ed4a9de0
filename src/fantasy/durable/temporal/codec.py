"""What crosses Temporal's boundaries, as plain JSON: a model request and its answer, a
tool call and its result, a run's options and its result.

Temporal stores every activity's input and output in the workflow's history, and a
worker that resumes a run rebuilds the run from them, so they must survive a trip
through JSON exactly. Fantasy's persistence format (`fantasy.persistence`) already
does that for messages, calls and responses, provider data included; this module adds
what it leaves out on purpose (a call's transport settings, a result's ``stop_turn``)
and nothing of Temporal, so it can be tested without a server.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, Response, ResponseFormat
from fantasy.persistence.api import from_dict, to_dict
from fantasy.tools import ToolResponse
from fantasy.types import (
    FilePart,
    Message,
    ProviderOptions,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
)

if TYPE_CHECKING:
    from fantasy.agent.run_types import AgentResult

JSON = dict[str, Any]

PLAIN_OPTIONS = frozenset(
    (
        "max_output_tokens",
        "temperature",
        "top_p",
        "top_k",
        "presence_penalty",
        "frequency_penalty",
        "active_tools",
        "tool_choice",
        "headers",
        "max_steps",
        "max_retries",
        "timeout",
        "total_timeout",
        "output_mode",
        "output_retries",
        "approval_timeout",
    )
)
"""Call options a durable run takes as they are: JSON values."""

ENCODED_OPTIONS = frozenset(("messages", "files", "provider_options"))
"""Call options a durable run takes through fantasy's persistence format."""

ACCEPTED = PLAIN_OPTIONS | ENCODED_OPTIONS


# --------------------------------------------------------------------------- calls


def call_to_json(call: Call) -> JSON:
    data: JSON = to_dict(call)
    # Left out of the persistence format (transport settings), needed by the request.
    data["headers"] = dict(call.headers)
    data["user_agent"] = call.user_agent
    data["timeout"] = call.timeout
    fmt = call.response_format
    data["response_format"] = (
        None
        if fmt is None
        else {"schema": fmt.schema, "name": fmt.name, "description": fmt.description}
    )
    return data


def call_from_json(data: JSON) -> Call:
    call: Call = from_dict(data, Call)
    call.headers = dict(data.get("headers") or {})
    call.user_agent = data.get("user_agent") or ""
    call.timeout = data.get("timeout")
    fmt = data.get("response_format")
    if fmt is not None:
        call.response_format = ResponseFormat(fmt["schema"], fmt["name"], fmt["description"])
    return call


def response_to_json(response: Response) -> JSON:
    data: JSON = to_dict(response)
    data["raw_finish_reason"] = response.raw_finish_reason
    if response.turn_paused:  # the workflow's agent continues the turn
        data["turn_paused"] = True
    return data


def response_from_json(data: JSON) -> Response:
    response: Response = from_dict(data, Response)
    response.raw_finish_reason = data.get("raw_finish_reason") or ""
    response.turn_paused = data.get("turn_paused") is True
    return response


# --------------------------------------------------------------------------- tools


def tool_result_to_json(result: ToolResultContent) -> JSON:
    return {"content": to_dict(result), "stop_turn": result.stop_turn}


def tool_response_from_json(data: JSON) -> ToolResponse:
    """The `ToolResponse` the tool gave in the activity, back in the workflow, where the
    agent's loop makes it into the same result content again."""
    result: ToolResultContent = from_dict(data["content"], ToolResultContent)
    output = result.result
    response = ToolResponse(metadata=result.client_metadata, stop_turn=bool(data["stop_turn"]))
    if isinstance(output, ToolResultOutputError):
        response.content = output.error
        response.is_error = True
    elif isinstance(output, ToolResultOutputMedia):
        response.type = "media"
        response.data = base64.b64decode(output.data)
        response.media_type = output.media_type
        response.content = output.text
    elif isinstance(output, ToolResultOutputText):
        response.content = output.text
    return response


# --------------------------------------------------------------------------- run options


def options_to_json(options: Mapping[str, Any], where: str) -> JSON:
    """A run's call options as the workflow receives them; an option that is Python
    code (a callback, a limiter, a stop condition) is refused, naming it: it cannot
    travel to the worker, which has it on the agent it registered instead."""
    out: JSON = {}
    for name, value in options.items():
        if value is None:
            continue
        if name in PLAIN_OPTIONS:
            out[name] = list(value) if name == "active_tools" else value
        elif name == "provider_options":
            out[name] = to_dict(dict(value))
        elif name in ENCODED_OPTIONS:
            out[name] = [to_dict(v) for v in value]
        else:
            raise InvalidArgumentError(
                f"{where}: {name}= cannot be given to a durable run: the run happens in a "
                "Temporal worker, which receives only JSON; set it on the agent the worker "
                f"registers (options it takes: {', '.join(sorted(ACCEPTED))})"
            )
    return out


def options_from_json(data: JSON) -> dict[str, Any]:
    options: dict[str, Any] = {k: v for k, v in data.items() if k in PLAIN_OPTIONS}
    if "messages" in data:
        options["messages"] = [from_dict(m, Message) for m in data["messages"]]
    if "files" in data:
        options["files"] = [from_dict(f, FilePart) for f in data["files"]]
    if "provider_options" in data:
        options["provider_options"] = from_dict(data["provider_options"], ProviderOptions)
    return options


# --------------------------------------------------------------------------- results


def result_to_json(result: AgentResult[Any], output: Any = None) -> JSON:
    """A finished run: its steps (what each model call answered, the history it left,
    the model that answered, for its cost), the messages it started from, and its
    typed output as JSON (``output``, when the run had an output type)."""
    from fantasy.cost import model_ref

    steps = []
    for step in result.steps:
        ref = model_ref(step.model, step.provider_metadata)
        steps.append(
            {
                "response": response_to_json(step.response),
                "messages": to_dict(step.messages),
                "model": None if ref is None else [ref.provider, ref.model, ref.url],
            }
        )
    return {
        "steps": steps,
        "input_messages": to_dict(result.input_messages),
        "prompt_messages": to_dict(result.prompt_messages),
        "output": output,
    }


def result_from_json(data: JSON) -> AgentResult[Any]:
    from fantasy.agent.run import final_result
    from fantasy.agent.run_types import StepResult
    from fantasy.cost import ModelRef

    steps: list[StepResult] = []
    for item in data["steps"]:
        response = response_from_json(item["response"])
        step = StepResult(
            response.content,
            response.finish_reason,
            response.usage,
            response.warnings,
            response.provider_metadata,
            from_dict(item["messages"], list[Message]),
            response.raw_finish_reason,
            response_id=response.response_id,
            response_model=response.response_model,
            turn_paused=response.turn_paused,
        )
        if item.get("model") is not None:
            step.model = ModelRef(*item["model"])  # type: ignore[assignment]
        steps.append(step)
    result = final_result(steps)
    result.input_messages = from_dict(data["input_messages"], list[Message])
    result.prompt_messages = from_dict(data["prompt_messages"], list[Message])
    return result
