"""Messages API translation: `Call` to request body, and back. Pure code, no I/O.

The body is the direct API's; `fantasy.providers.anthropic.platforms` rewrites it
for Vertex and Bedrock. Thinking is configured here, and it interacts with the
other settings: budgeted thinking drops temperature, top_p and top_k (the API
refuses them together), while ``max_tokens`` is left as given, the budget
counting against it.
"""

from __future__ import annotations

from typing import Any, get_args

from fantasy._typecheck import check_fields
from fantasy.errors import InvalidArgumentError
from fantasy.model import Call, Response
from fantasy.providers.anthropic.options import NAME, Effort, ProviderOptions, ThinkingDisplay
from fantasy.providers.anthropic.prompt import to_prompt
from fantasy.providers.anthropic.response import parse_message
from fantasy.providers.anthropic.stream import StreamTranslator
from fantasy.providers.anthropic.tool_wire import MCP_BETA_FLAG, mcp_wire, to_tools
from fantasy.types import JSON, CallWarning, CallWarningType

DEFAULT_MAX_TOKENS = 4096
"""Sent when the call sets no limit: the API requires ``max_tokens``."""

_EFFORTS = frozenset(get_args(Effort))
_DISPLAYS = frozenset(get_args(ThinkingDisplay))


def defaults_to_adaptive_thinking(model_id: str) -> bool:
    """Models that think adaptively even when no thinking option is given."""
    return "claude-mythos-preview" in model_id.strip().lower()


def _is_opus_4_7_or_later(model_id: str) -> bool:
    _, found, suffix = model_id.strip().lower().partition("claude-opus-4-")
    if not found:
        return False
    digits = len(suffix) - len(suffix.lstrip("0123456789"))
    # One or two digits is a minor version; eight is a date (claude-opus-4-20250514).
    return 0 < digits <= 2 and int(suffix[:digits]) >= 7


def requires_adaptive_thinking(model_id: str) -> bool:
    """Models that reject budgeted thinking: a budget is ignored, adaptive is sent."""
    return defaults_to_adaptive_thinking(model_id) or _is_opus_4_7_or_later(model_id)


def thinking_display(options: ProviderOptions, model_id: str) -> str | None:
    """The explicit display, else ``summarized`` for models that would omit thinking."""
    if options.thinking_display:
        if options.thinking_display not in _DISPLAYS:
            raise InvalidArgumentError(
                f"thinking display {options.thinking_display!r} not supported; "
                f"use one of {sorted(_DISPLAYS)}"
            )
        return options.thinking_display
    return "summarized" if requires_adaptive_thinking(model_id) else None


def _unsupported(setting: str, details: str = "") -> CallWarning:
    return CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details)


def set_path(body: JSON, key: str, value: Any) -> None:
    """Set ``key`` on the body; a dotted key reaches into (and creates) nested objects."""
    *parents, last = key.split(".")
    target = body
    for parent in parents:
        child = target.get(parent)
        if not isinstance(child, dict):
            child = target[parent] = {}
        target = child
    target[last] = value


class MessagesCodec:
    """Translates for one model on the Messages API."""

    def __init__(self, model_id: str, *, provider_name: str = NAME, parallel_flag: bool = True):
        self.model_id = model_id
        self.provider_name = provider_name
        self.parallel_flag = parallel_flag
        """False on Bedrock, which rejects ``disable_parallel_tool_use``."""

    def provider_options(self, call: Call) -> ProviderOptions:
        value = call.provider_options.get(NAME)
        if value is None:
            return ProviderOptions()
        if not isinstance(value, ProviderOptions):
            raise InvalidArgumentError(
                "anthropic provider options should be fantasy.providers.anthropic.ProviderOptions"
            )
        check_fields(value, f"{NAME} provider options")
        return value

    def build_body(self, call: Call, *, stream: bool) -> tuple[JSON, list[CallWarning], list[str]]:
        """``(body, warnings, beta flags)``; the flags decide the beta URL and header."""
        options = self.provider_options(call)
        system, messages, warnings = to_prompt(call.prompt, options.send_reasoning is not False)
        if call.frequency_penalty is not None:
            warnings.append(_unsupported("FrequencyPenalty"))
        if call.presence_penalty is not None:
            warnings.append(_unsupported("PresencePenalty"))
        body: JSON = {
            "model": self.model_id,
            "max_tokens": (
                DEFAULT_MAX_TOKENS if call.max_output_tokens is None else call.max_output_tokens
            ),
            "messages": messages,
        }
        if system:
            body["system"] = system
        for key, value in (
            ("temperature", call.temperature),
            ("top_k", call.top_k),
            ("top_p", call.top_p),
        ):
            if value is not None:
                body[key] = value
        self._thinking(body, options, warnings)
        betas: list[str] = []
        if call.tools:
            tools, choice, tool_warnings, betas = to_tools(
                call.tools,
                call.tool_choice,
                disable_parallel_tool_use=bool(options.disable_parallel_tool_use),
                send_parallel_flag=self.parallel_flag,
            )
            if tools:
                body["tools"] = tools
            if choice is not None:
                body["tool_choice"] = choice
            warnings.extend(tool_warnings)
        if options.mcp_servers:
            servers, toolsets = mcp_wire(options.mcp_servers)
            body["mcp_servers"] = servers
            body["tools"] = [*body.get("tools", []), *toolsets]
            if MCP_BETA_FLAG not in betas:
                betas.append(MCP_BETA_FLAG)
        if options.container:
            body["container"] = options.container
        if stream:
            body["stream"] = True
        for key, value in (options.extra_body or {}).items():
            set_path(body, key, value)
        return body, warnings, betas

    def _thinking(self, body: JSON, options: ProviderOptions, warnings: list[CallWarning]) -> None:
        if options.effort is not None:
            if options.effort not in _EFFORTS:
                raise InvalidArgumentError(
                    f"effort {options.effort!r} not supported; use one of {sorted(_EFFORTS)}"
                )
            body["output_config"] = {"effort": options.effort}
            body["thinking"] = self._adaptive(options)
            return
        if options.thinking is not None:
            budget = options.thinking.budget_tokens
            if budget <= 0:
                raise InvalidArgumentError(
                    "thinking requires a budget: set ThinkingOptions(budget_tokens=...) above 0"
                )
            if requires_adaptive_thinking(self.model_id):
                body["thinking"] = self._adaptive(options)
            else:
                thinking: JSON = {"budget_tokens": budget, "type": "enabled"}
                display = thinking_display(options, self.model_id)
                if display is not None:
                    thinking["display"] = display
                body["thinking"] = thinking
            for key, setting in (
                ("temperature", "temperature"),
                ("top_p", "TopP"),
                ("top_k", "TopK"),
            ):
                if body.pop(key, None) is not None:
                    warnings.append(
                        _unsupported(
                            setting, f"{setting} is not supported when thinking is enabled"
                        )
                    )
            return
        if defaults_to_adaptive_thinking(self.model_id):
            body["thinking"] = self._adaptive(options)

    def _adaptive(self, options: ProviderOptions) -> JSON:
        thinking: JSON = {"type": "adaptive"}
        display = thinking_display(options, self.model_id)
        if display is not None:
            thinking["display"] = display
        return thinking

    def parse_response(self, data: JSON) -> Response:
        return parse_message(data)

    def new_stream(self, warnings: list[CallWarning]) -> StreamTranslator:
        return StreamTranslator(self.provider_name, warnings)
