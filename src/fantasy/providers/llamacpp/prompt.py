"""A `Prompt` to the text a local model reads: its messages through the GGUF's own chat
template (Jinja, as Hugging Face renders it), with the tools the template can show.

Messages take the shape chat templates expect (OpenAI's: ``role``, ``content``,
``tool_calls`` with arguments as objects, ``tool`` messages with ``tool_call_id``).
A template that knows no tools (it never mentions ``tools``) gets them described in
the system message instead, its calls written back as ``<tool_call>`` blocks and
results as ``<tool_response>`` blocks in user turns: the format the tool grammar then
makes the model write (Hermes' and Qwen's native one; see `formats`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fantasy.errors import InvalidArgumentError
from fantasy.providers.llamacpp.formats import HERMES
from fantasy.types import (
    CallWarning,
    CallWarningType,
    FilePart,
    FunctionTool,
    Message,
    Prompt,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""Used when the GGUF has no chat template and none is given."""


def template_knows_tools(template: str) -> bool:
    return "tools" in template


def tool_instructions(tools: list[FunctionTool]) -> str:
    lines = [
        "You can call tools. To call one, answer with only this, one block per call:",
        f'{HERMES.open}{{"name": <tool name>, "arguments": <arguments object>}}{HERMES.close}',
        "The tools:",
    ]
    lines += [json.dumps(_tool_dict(t)["function"], ensure_ascii=False) for t in tools]
    return "\n".join(lines)


def _tool_dict(tool: FunctionTool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.input_schema,
        },
    }


def _arguments(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def _result_text(part: ToolResultPart, warnings: list[CallWarning]) -> str:
    output = part.output
    if isinstance(output, ToolResultOutputText):
        return output.text
    if isinstance(output, ToolResultOutputError):
        return output.error
    if isinstance(output, ToolResultOutputMedia):
        warnings.append(
            CallWarning(
                CallWarningType.OTHER,
                message="llama.cpp: a tool's media output is sent as its text only",
            )
        )
        return output.text
    return ""


def to_messages(
    prompt: Prompt, provider: str = "", model_id: str = ""
) -> tuple[list[dict[str, Any]], list[CallWarning]]:
    """Template messages for ``prompt``, in the shape chat templates expect: the default
    ``to_prompt`` hook (Fantasy's ``DefaultToPrompt``, whose arguments it takes)."""
    warnings: list[CallWarning] = []
    messages: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for message in prompt:
        _convert(message, messages, names, warnings)
    return messages, warnings


def without_native_tools(
    messages: list[dict[str, Any]], tools: list[FunctionTool]
) -> list[dict[str, Any]]:
    """``messages`` for a template that knows no tools: the tools described in the system
    message, calls written as ``<tool_call>`` blocks, results as user turns."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message["role"] == "tool":
            text = f"<tool_response>\n{message['content']}\n</tool_response>"
            out.append({"role": "user", "content": text})
            continue
        message = dict(message)
        calls = message.pop("tool_calls", None) or []
        blocks = [
            HERMES.open
            + json.dumps(
                {"name": c["function"]["name"], "arguments": c["function"]["arguments"]},
                ensure_ascii=False,
            )
            + HERMES.close
            for c in calls
        ]
        if blocks:
            message["content"] = "\n".join(filter(None, [message["content"], *blocks]))
        out.append(message)
    if tools:
        instructions = tool_instructions(tools)
        if out and out[0]["role"] == "system":
            out[0] = {**out[0], "content": f"{out[0]['content']}\n\n{instructions}"}
        else:
            out.insert(0, {"role": "system", "content": instructions})
    return out


def _convert(
    message: Message,
    out: list[dict[str, Any]],
    names: dict[str, str],
    warnings: list[CallWarning],
) -> None:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ReasoningPart):
            reasoning.append(part.text)
        elif isinstance(part, ToolCallPart):
            names[part.tool_call_id] = part.tool_name
            calls.append(
                {
                    "id": part.tool_call_id,
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": _arguments(part.input)},
                }
            )
        elif isinstance(part, ToolResultPart):
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": part.tool_call_id,
                    "name": names.get(part.tool_call_id, ""),
                    "content": _result_text(part, warnings),
                }
            )
        elif isinstance(part, FilePart):
            warnings.append(
                CallWarning(
                    CallWarningType.OTHER,
                    message=f"llama.cpp: file parts ({part.media_type}) are not sent; "
                    "local models read text",
                )
            )
    if message.role == Role.TOOL:
        return
    entry: dict[str, Any] = {"role": str(message.role), "content": "".join(texts)}
    if reasoning:
        entry["reasoning_content"] = "".join(reasoning)
    if calls:
        entry["tool_calls"] = calls
    out.append(entry)


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False, **_: Any) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)


def _strftime_now(fmt: str) -> str:
    """The current local time, for templates that date their system prompt."""
    from datetime import datetime

    return datetime.now().strftime(fmt)


def _raise(message: str) -> None:
    raise InvalidArgumentError(f"the model's chat template refused the prompt: {message}")


def render(
    template: str,
    messages: list[dict[str, Any]],
    tools: list[FunctionTool],
    *,
    bos_token: str,
    eos_token: str,
    variables: Mapping[str, Any],
) -> str:
    """The prompt text, ending where the assistant's answer begins."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(template).render(
            {
                **variables,
                "messages": messages,
                "tools": [_tool_dict(t) for t in tools] or None,
                "add_generation_prompt": True,
                "bos_token": bos_token,
                "eos_token": eos_token,
            }
        )
    except TemplateError as exc:
        raise InvalidArgumentError(f"the model's chat template failed: {exc}") from exc
