"""`Call` to a ``generateContent`` request body. Pure code, no I/O.

Fantasy builds this body through Google's Go SDK (a chat session plus a
``GenerateContentConfig``); what the SDK adds on the way is reproduced here so
the JSON is the one Fantasy sends: ``generationConfig`` always present, the
system instruction with role ``"user"``, the last turn re-sent with role
``"user"`` whatever its role, float32 sampling values.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping
from typing import Any

from fantasy import _json
from fantasy._typecheck import check_fields
from fantasy.errors import InvalidArgumentError
from fantasy.model import Call
from fantasy.providers.google.options import (
    MIN_THINKING_BUDGET,
    NAME,
    CodeExecutionResultMetadata,
    FileMetadata,
    ProviderOptions,
    ReasoningMetadata,
    ThinkingConfig,
)
from fantasy.providers.google.provider_tools import (
    BUILTIN_TOOL_IDS,
    CODE_EXECUTION_TOOL_NAME,
    builtin_tool_json,
)
from fantasy.providers.google.schema import (
    function_parameters,
    gemini_response_schema,
)
from fantasy.providers.google.schema import gemini_schema as gemini_schema  # re-exported
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FilePart,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ReasoningPart,
    Role,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultOutputError,
    ToolResultOutputText,
    ToolResultPart,
)

_TOOL_CHOICE_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}


def _other(message: str) -> CallWarning:
    return CallWarning(CallWarningType.OTHER, message=message)


def float32(value: float) -> float | int:
    """The number Go prints for ``float32(value)``: the shortest decimal that survives
    the trip through 32 bits (0.1 stays 0.1; 0.30000000000000004 becomes 0.3), and
    whole numbers without a fraction (40, not 40.0)."""
    try:
        target = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        target = math.inf
    if not math.isfinite(target):
        return value  # beyond float32 (Go cannot even encode it); Google refuses it anyway
    shortest = float(target)
    for digits in range(1, 10):
        candidate = float(f"{target:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == target:
            shortest = candidate
            break
    if shortest.is_integer() and abs(shortest) < 1e21:
        return int(shortest)
    return shortest


def provider_options(call: Call) -> ProviderOptions:
    value = call.provider_options.get(NAME)
    if value is None:
        return ProviderOptions()
    if not isinstance(value, ProviderOptions):
        raise InvalidArgumentError(
            "google provider options should be fantasy.providers.google.ProviderOptions"
        )
    check_fields(value, f"{NAME} provider options")
    return value


def _signature(options: Mapping[str, Any] | None) -> str | None:
    """The thought signature carried by a part's options (`ReasoningMetadata`,
    `FileMetadata`, `CodeExecutionResultMetadata`), if any."""
    value = (options or {}).get(NAME)
    if isinstance(value, ReasoningMetadata | FileMetadata | CodeExecutionResultMetadata):
        return value.signature
    # A mapping is what a JSON round trip of the metadata gives back.
    if isinstance(value, Mapping) and isinstance(value.get("signature"), str):
        return str(value["signature"])
    return None


def _google_field(options: Mapping[str, Any] | None, name: str) -> Any:
    """A field of the Google metadata in a part's options (a dataclass, or a mapping
    after a JSON round trip)."""
    value = (options or {}).get(NAME)
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


class RequestBuilder:
    """Builds request bodies for one model on one backend."""

    def __init__(
        self,
        model_id: str,
        *,
        provider_name: str = NAME,
        vertex: bool = False,
        project: str = "",
        location: str = "",
    ):
        self.model_id = model_id
        self.provider_name = provider_name
        self.vertex = vertex
        self.project = project
        self.location = location

    def build_body(self, call: Call) -> tuple[JSON, list[CallWarning]]:
        options = provider_options(call)
        system, contents = self.to_contents(call.prompt)
        warnings: list[CallWarning] = []
        config: JSON = {}
        if options.thinking_config is not None:
            config["thinkingConfig"] = self.thinking_config(options.thinking_config, warnings)
        gemma = self.model_id.lower().startswith("gemma-")
        if gemma and system is not None and contents and contents[0]["role"] == "user":
            # Gemma has no system instruction: the text leads the first user turn instead.
            text = "\n".join(p["text"] for p in system["parts"])
            contents[0]["parts"].insert(0, {"text": text + "\n\n"})
            system = None
        if call.max_output_tokens:
            config["maxOutputTokens"] = call.max_output_tokens
        sampling = (
            ("temperature", call.temperature),
            ("topK", call.top_k),
            ("topP", call.top_p),
            ("frequencyPenalty", call.frequency_penalty),
            ("presencePenalty", call.presence_penalty),
        )
        for key, value in sampling:
            if value is not None:
                config[key] = float32(value)
        if call.response_format is not None:
            config["responseMimeType"] = "application/json"
            fmt = call.response_format
            where = f'output schema "{fmt.name}"' if fmt.name else "output schema"
            config["responseJsonSchema"] = gemini_response_schema(fmt.schema, where)
        body: JSON = {"generationConfig": config}
        if system is not None:
            body["systemInstruction"] = system
        safety = [
            {
                k: v
                for k, v in (("category", s.category), ("threshold", s.threshold))
                if v  # the SDK omits empty strings
            }
            for s in options.safety_settings
        ]
        if safety:
            body["safetySettings"] = safety
        if options.cached_content:
            body["cachedContent"] = self.cached_content_name(options.cached_content)
        if call.tools:
            declarations, tool_config, tool_warnings = self.tools(call.tools, call.tool_choice)
            builtin = [
                builtin_tool_json(t)
                for t in call.tools
                if isinstance(t, ProviderDefinedTool) and t.id in BUILTIN_TOOL_IDS
            ]
            wire_tools: list[JSON] = (
                [{"functionDeclarations": declarations}] if declarations else []
            )
            # Fantasy sends [{}] when no tool could be sent.
            body["tools"] = [*wire_tools, *builtin] or [{}]
            if tool_config is not None:
                body["toolConfig"] = tool_config
            warnings.extend(tool_warnings)
        if not contents:
            raise InvalidArgumentError("no messages to send")
        # Fantasy sends the last turn as a chat message, which the SDK always sends as the
        # user's. The SDK also drops invalid model turns from the history; this conversion
        # never makes one (empty texts and empty turns are skipped), so none is dropped.
        contents[-1]["role"] = "user"
        body["contents"] = contents
        return body, warnings

    def thinking_config(self, thinking: ThinkingConfig, warnings: list[CallWarning]) -> JSON:
        """Gemini's ``thinkingConfig``; unset fields are left out, so an empty config is ``{}``."""
        budget = thinking.thinking_budget
        if thinking.include_thoughts and self.provider_name.startswith("google.vertex."):
            warnings.append(
                _other(
                    "The 'includeThoughts' option is only supported with the Google Vertex "
                    "provider and might not be supported or could behave unexpectedly with "
                    f"the current Google provider ({self.provider_name})"
                )
            )
        if budget is not None and budget < MIN_THINKING_BUDGET:
            warnings.append(
                _other(
                    "The 'thinking_budget' option can not be under 128 and will be set "
                    "to 128 by default"
                )
            )
            budget = MIN_THINKING_BUDGET
        if thinking.thinking_level is not None and budget is not None:
            raise InvalidArgumentError("thinking_level and thinking_budget are mutually exclusive")
        wire: JSON = {}
        if thinking.include_thoughts:
            wire["includeThoughts"] = True
        if budget is not None:
            wire["thinkingBudget"] = budget
        if thinking.thinking_level:
            wire["thinkingLevel"] = thinking.thinking_level
        return wire

    def cached_content_name(self, name: str) -> str:
        prefixed = "/" not in name
        if not self.vertex:
            return f"cachedContents/{name}" if prefixed else name
        scoped = bool(self.project and self.location)
        if name.startswith("projects/"):
            return name
        if name.startswith("locations/") and self.project:
            return f"projects/{self.project}/{name}"
        if name.startswith("cachedContents/") and scoped:
            return f"projects/{self.project}/locations/{self.location}/{name}"
        if prefixed and scoped:
            return f"projects/{self.project}/locations/{self.location}/cachedContents/{name}"
        return f"cachedContents/{name}" if prefixed else name

    # ------------------------------------------------------------------ prompt

    def to_contents(self, prompt: list[Message]) -> tuple[JSON | None, list[JSON]]:
        """The system instruction (or None) and one content per message that has parts."""
        system: JSON | None = None
        seen_system = False
        contents: list[JSON] = []
        for message in prompt:
            if message.role is Role.SYSTEM:
                # Only the first system message counts, wherever it stands.
                if seen_system:
                    continue
                seen_system = True
                texts = [p.text for p in message.content if isinstance(p, TextPart) and p.text]
                if texts:
                    system = {"parts": [{"text": "\n".join(texts)}], "role": "user"}
                continue
            if message.role is Role.USER:
                parts = self._user_parts(message)
                role = "user"
            elif message.role is Role.ASSISTANT:
                parts = self._model_parts(message)
                role = "model"
            elif message.role is Role.TOOL:
                parts = self._tool_parts(message, prompt)
                role = "user"
            else:
                raise InvalidArgumentError(f"unsupported message role: {message.role}")
            if parts:
                contents.append({"parts": parts, "role": role})
        return system, contents

    @staticmethod
    def _user_parts(message: Message) -> list[JSON]:
        parts: list[JSON] = []
        for part in message.content:
            if isinstance(part, TextPart):
                if part.text:
                    parts.append({"text": part.text})
            elif isinstance(part, FilePart):
                data = base64.b64encode(part.data).decode("ascii")
                parts.append({"inlineData": {"data": data, "mimeType": part.media_type}})
        return parts

    def _model_parts(self, message: Message) -> list[JSON]:
        """Thoughts are never sent back: only their signature, on the part that follows.
        A signature kept on a part itself (text ended by a signed empty part, code,
        files) goes back on that part. Code execution goes back as Gemini sent it;
        other providers' server-side tools are left out (Gemini has no part for them)."""
        parts: list[JSON] = []
        signature: str | None = None
        for part in message.content:
            if isinstance(part, ReasoningPart):
                found = _signature(part.provider_options)
                if found is not None:
                    signature = found
                continue
            if isinstance(part, TextPart):
                if not part.text:
                    continue
                wire: JSON = {"text": part.text}
            elif isinstance(part, FilePart):
                wire = {
                    "inlineData": {
                        "data": base64.b64encode(part.data).decode("ascii"),
                        "mimeType": part.media_type,
                    }
                }
                if _google_field(part.provider_options, "thought") is True:
                    wire["thought"] = True
            elif isinstance(part, ToolCallPart) and part.provider_executed:
                if part.tool_name != CODE_EXECUTION_TOOL_NAME:
                    continue
                wire = {"executableCode": _code(part.input)}
            elif isinstance(part, ToolResultPart) and part.provider_executed:
                if not _is_code_result(part):
                    continue
                wire = {"codeExecutionResult": _code_result(part)}
            elif isinstance(part, ToolCallPart):
                args = _tool_args(part.input)
                if args is False:
                    continue
                call: JSON = {}
                if args:
                    call["args"] = args
                # Vertex answers 400 when function calls carry ids.
                if part.tool_call_id and not self.vertex:
                    call["id"] = part.tool_call_id
                if part.tool_name:
                    call["name"] = part.tool_name
                wire = {"functionCall": call}
            else:
                continue
            if signature is not None:
                if signature:
                    wire["thoughtSignature"] = signature
                signature = None
            if "thoughtSignature" not in wire:
                own = _signature(part.provider_options)
                if own:
                    wire["thoughtSignature"] = own
            parts.append(wire)
        return parts

    def _tool_parts(self, message: Message, prompt: list[Message]) -> list[JSON]:
        parts: list[JSON] = []
        for part in message.content:
            if not isinstance(part, ToolResultPart):
                continue
            output = part.output
            if isinstance(output, ToolResultOutputText):
                result = output.text
            elif isinstance(output, ToolResultOutputError):
                result = output.error
            else:
                continue  # media results have no place in a function response here
            response: JSON = {"response": {"result": result}}
            name = _tool_name(prompt, part.tool_call_id)
            if name:
                response["name"] = name
            if part.tool_call_id and not self.vertex:
                response["id"] = part.tool_call_id
            parts.append({"functionResponse": response})
        return parts

    # ------------------------------------------------------------------ tools

    def tools(
        self, tools: list[Tool], choice: str | None
    ) -> tuple[list[JSON], JSON | None, list[CallWarning]]:
        declarations: list[JSON] = []
        warnings: list[CallWarning] = []
        for tool in tools:
            if isinstance(tool, FunctionTool):
                declarations.append(function_declaration(tool))
            elif isinstance(tool, ProviderDefinedTool) and tool.id in BUILTIN_TOOL_IDS:
                continue  # sent as its own Tool object by build_body
            else:
                warnings.append(
                    CallWarning(
                        CallWarningType.UNSUPPORTED_TOOL, tool=tool, message="tool is not supported"
                    )
                )
        config: JSON | None = None
        if choice is not None:
            mode = _TOOL_CHOICE_MODES.get(choice)
            if mode is not None:
                config = {"functionCallingConfig": {"mode": mode}}
            else:
                config = {
                    "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}
                }
        return declarations, config, warnings


def _code(text: str) -> JSON:
    """A code execution call's input (``{"language", "code"}``) as ``executableCode``."""
    try:
        value = _json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return {"language": "PYTHON", "code": text}
    wire: JSON = {}
    for key in ("language", "code"):
        if isinstance(value.get(key), str) and value[key]:
            wire[key] = value[key]
    return wire


def _is_code_result(part: ToolResultPart) -> bool:
    """A code execution result: its metadata says so (the tool name is not kept on
    result parts)."""
    value = (part.provider_options or {}).get(NAME)
    if isinstance(value, CodeExecutionResultMetadata):
        return True
    return isinstance(value, Mapping) and "outcome" in value


def _code_result(part: ToolResultPart) -> JSON:
    outcome = _google_field(part.provider_options, "outcome")
    output = part.output
    wire: JSON = {"outcome": outcome if isinstance(outcome, str) and outcome else "OUTCOME_OK"}
    if isinstance(output, ToolResultOutputText) and output.text:
        wire["output"] = output.text
    elif isinstance(output, ToolResultOutputError) and output.error != wire["outcome"]:
        wire["output"] = output.error
    return wire


def _tool_args(text: str) -> dict[str, Any] | bool | None:
    """The call's arguments as an object; None for ``null``; False when the call must be
    dropped, as Fantasy drops calls whose input is not a JSON object."""
    try:
        value = _json.loads(text)
    except ValueError:
        return False
    if value is None or isinstance(value, dict):
        return value
    return False


def _tool_name(prompt: list[Message], call_id: str) -> str:
    """The name of the call a result answers; the last matching call wins, as in Fantasy."""
    name = ""
    for message in prompt:
        if message.role is not Role.ASSISTANT:
            continue
        for part in message.content:
            if isinstance(part, ToolCallPart) and part.tool_call_id == call_id:
                name = part.tool_name
                break
    return name


def function_declaration(tool: FunctionTool) -> JSON:
    """A tool in Gemini's function-declaration dialect (see `fantasy.providers.google.schema`).

    Raises:
        SchemaError: for a parameter Gemini cannot express, naming the tool and field.
    """
    parameters = function_parameters(tool.input_schema or {}, f'tool "{tool.name}"')
    declaration: JSON = {"name": tool.name, "parameters": parameters}
    if tool.description:
        declaration["description"] = tool.description
    return declaration
