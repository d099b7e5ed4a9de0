"""Responses API translation: `Call` to request body, response body to `Response`,
stream events to `StreamPart`s. Pure code, no I/O.

The Responses API speaks in items rather than messages: the prompt becomes a
list of input items (messages, function calls, their outputs) and the answer
is a list of output items (messages, function calls, reasoning, web searches),
each streamed as ``response.output_item.added`` ... ``response.output_item.done``.
Item ids become the stream part ids, so parts of concurrent items never mix.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from fantasy._typecheck import check_fields
from fantasy.errors import (
    TRANSIENT_STREAM_ERROR_TYPES,
    InvalidArgumentError,
    ProviderError,
)
from fantasy.http.shape import arr, as_object, label, obj, objects, text
from fantasy.model import Call, Response
from fantasy.providers.openai.models import RESPONSES, capabilities
from fantasy.providers.openai.options import NAME
from fantasy.providers.openai.responses_items import (
    Unknowns,
    annotation_source,
    arguments,
    is_known_annotation,
    map_finish_reason,
    reasoning_text,
    reasoning_texts,
    usage_from_responses,
)
from fantasy.providers.openai.responses_options import (
    INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS,
    TOP_LOGPROBS_MAX,
    ResponsesProviderMetadata,
    ResponsesProviderOptions,
    ResponsesReasoningMetadata,
)
from fantasy.providers.openai.responses_stream import ResponsesStreamTranslator
from fantasy.providers.openai.responses_tools import (
    HOSTED_TOOL_IDS,
    ItemReader,
    McpApprovalRequestMetadata,
    McpApprovalResponse,
    ResponsesToolCallMetadata,
    client_call_item,
    client_output_item,
    hosted_tool_choice,
    hosted_tool_param,
)
from fantasy.providers.openai.web_search import (
    WEB_SEARCH_TOOL_ID,
    WEB_SEARCH_TOOL_IDS,
    web_search_call_metadata,
    web_search_tool_param,
)
from fantasy.schema_dialects import check_tool_root, refs_to_defs
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    Content,
    FilePart,
    FunctionTool,
    Message,
    ProviderDefinedTool,
    ProviderMetadata,
    ReasoningContent,
    ReasoningPart,
    ResponseContent,
    Role,
    TextContent,
    TextPart,
    Tool,
    ToolCallContent,
    ToolCallPart,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputMedia,
    ToolResultOutputText,
    ToolResultPart,
)

PREVIOUS_RESPONSE_ID_HISTORY_ERROR = (
    "cannot combine previous_response_id with replayed conversation history; use either "
    "previous_response_id (server-side chaining) or explicit message replay, not both"
)
PREVIOUS_RESPONSE_ID_STORE_ERROR = (
    "previous_response_id requires store to be true; the current response will not be "
    "stored and cannot be used for further chaining"
)


def _unsupported(setting: str, details: str) -> CallWarning:
    return CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting=setting, details=details)


def _other(message: str) -> CallWarning:
    return CallWarning(CallWarningType.OTHER, message=message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class ResponsesCodec:
    """Translates for one model on the Responses API path.

    Options and metadata live under ``"openai"`` (`options_key`, `metadata_key`)
    whatever the provider is named, so Azure reuses this class unchanged with
    only `provider_name` (used in errors) set to its own name.
    """

    options_key = NAME
    metadata_key = NAME

    def __init__(self, model_id: str, provider_name: str = NAME):
        self.model_id = model_id
        self.provider_name = provider_name
        self.config = capabilities(model_id, RESPONSES)
        """What the model accepts here, by Fantasy's Responses API rules."""

    # ================================================================== request

    def provider_options(
        self, call: Call, warnings: list[CallWarning]
    ) -> ResponsesProviderOptions | None:
        """The Responses options of the call; chat options under the same key are ignored
        (as Fantasy does), with a warning so the mistake is visible."""
        value = call.provider_options.get(self.options_key)
        if value is None or isinstance(value, ResponsesProviderOptions):
            check_fields(value, f"{self.options_key} provider options")
            return value
        warnings.append(
            _other(
                f"{type(value).__name__} is ignored on the Responses API; "
                "pass fantasy.providers.openai.ResponsesProviderOptions"
            )
        )
        return None

    def build_body(self, call: Call, *, stream: bool) -> tuple[JSON, list[CallWarning]]:
        warnings: list[CallWarning] = []
        for setting, value in (
            ("topK", call.top_k),
            ("presencePenalty", call.presence_penalty),
            ("frequencyPenalty", call.frequency_penalty),
        ):
            if value is not None:
                warnings.append(CallWarning(CallWarningType.UNSUPPORTED_SETTING, setting=setting))
        opts = self.provider_options(call, warnings)
        store = bool(opts is not None and opts.store)
        body: JSON = {"model": self.model_id, "store": store}
        if opts is not None and opts.previous_response_id:
            if any(m.role not in (Role.SYSTEM, Role.USER) for m in call.prompt):
                raise InvalidArgumentError(PREVIOUS_RESPONSE_ID_HISTORY_ERROR)
            if not store:
                raise InvalidArgumentError(PREVIOUS_RESPONSE_ID_STORE_ERROR)
            body["previous_response_id"] = opts.previous_response_id
        body["input"] = self.to_input(call.prompt, warnings, store=store)
        if call.max_output_tokens is not None:
            body[self.config.max_tokens_key] = call.max_output_tokens
        self._sampling(body, call, warnings)
        if opts is not None:
            self.apply_options(body, opts, warnings)
        if call.tools:
            tools, tool_warnings = self.tools(call.tools, opts)
            warnings.extend(tool_warnings)
            if tools:
                body["tools"] = tools
                if call.tool_choice is not None:
                    body["tool_choice"] = hosted_tool_choice(
                        call.tool_choice, call.tools
                    ) or self.tool_choice(call.tool_choice)
        if call.response_format is not None:
            from fantasy.providers.openai.structured import responses_text_format

            body["text"] = responses_text_format(call.response_format)
        if stream:
            body["stream"] = True
        return body, warnings

    def _sampling(self, body: JSON, call: Call, warnings: list[CallWarning]) -> None:
        for key, setting, value in (
            ("temperature", "temperature", call.temperature),
            ("top_p", "topP", call.top_p),
        ):
            if value is None:
                continue
            if key in self.config.dropped_settings:
                warnings.append(
                    _unsupported(setting, f"{setting} is not supported for reasoning models")
                )
            else:
                body[key] = value

    def apply_options(
        self, body: JSON, opts: ResponsesProviderOptions, warnings: list[CallWarning]
    ) -> None:
        for key, value in (
            ("max_tool_calls", opts.max_tool_calls),
            ("parallel_tool_calls", opts.parallel_tool_calls),
            ("user", opts.user),
            ("instructions", opts.instructions),
            ("prompt_cache_key", opts.prompt_cache_key),
            ("safety_identifier", opts.safety_identifier),
        ):
            if value is not None:
                body[key] = value
        if opts.metadata is not None:
            body["metadata"] = {k: v for k, v in opts.metadata.items() if isinstance(v, str)}
        include: list[str] = []
        top_logprobs = _top_logprobs(opts.logprobs)
        if top_logprobs > 0:
            body["top_logprobs"] = top_logprobs
            include.append(INCLUDE_MESSAGE_OUTPUT_TEXT_LOGPROBS)
        include.extend(opts.include or ())
        if include:
            body["include"] = include
        if opts.text_verbosity is not None:
            # Fantasy declares the option but never sends it on this path; say so.
            warnings.append(
                _unsupported("textVerbosity", "textVerbosity is not sent on the Responses API path")
            )
        self._reasoning(body, opts, warnings)
        self._service_tier(body, opts, warnings)

    def _reasoning(
        self, body: JSON, opts: ResponsesProviderOptions, warnings: list[CallWarning]
    ) -> None:
        wanted: tuple[tuple[str, str, str | None], ...] = (
            ("effort", "reasoningEffort", opts.reasoning_effort),
            ("summary", "reasoningSummary", opts.reasoning_summary),
        )
        if self.config.reasoning_options:
            reasoning = {key: value for key, _, value in wanted if value is not None}
            if reasoning:
                body["reasoning"] = reasoning
            return
        for _, setting, value in wanted:
            if value is not None:
                warnings.append(
                    _unsupported(setting, f"{setting} is not supported for non-reasoning models")
                )

    def _service_tier(
        self, body: JSON, opts: ResponsesProviderOptions, warnings: list[CallWarning]
    ) -> None:
        tier = opts.service_tier
        if tier is None:
            return
        if tier == "flex" and not self.config.flex:
            warnings.append(
                _unsupported(
                    "serviceTier",
                    "flex processing is only available for o3, o4-mini, and gpt-5 models",
                )
            )
        elif tier == "priority" and not self.config.priority:
            warnings.append(
                _unsupported(
                    "serviceTier",
                    "priority processing is only available for supported models (gpt-4, gpt-5, "
                    "gpt-5-mini, o3, o4-mini) and requires Enterprise access. gpt-5-nano is not "
                    "supported",
                )
            )
        else:
            body["service_tier"] = tier

    # ------------------------------------------------------------------ input items

    def to_input(
        self, prompt: Sequence[Message], warnings: list[CallWarning], *, store: bool = False
    ) -> list[JSON]:
        """The prompt as input items. ``store`` decides whether provider-executed calls
        can be referenced by id (stored) or must be left out (ephemeral)."""
        items: list[JSON] = []
        kinds: dict[str, str] = {}
        """The item type of each call that is not a function call, by call id, so its
        result goes back as the output item that answers it."""
        for message in prompt:
            if message.role is Role.SYSTEM:
                items.extend(self.system_items(message, warnings))
            elif message.role is Role.USER:
                items.extend(self.user_items(message, warnings))
            elif message.role is Role.ASSISTANT:
                items.extend(self.assistant_items(message, warnings, store=store, kinds=kinds))
            elif message.role is Role.TOOL:
                items.extend(self.tool_items(message, warnings, kinds))
        return items

    def system_items(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """Non-blank text parts joined with no separator (unlike chat's newline)."""
        texts: list[str] = []
        for part in message.content:
            if not isinstance(part, TextPart):
                warnings.append(_other("system prompt can only have text content"))
            elif part.text.strip():
                texts.append(part.text)
        if not texts:
            warnings.append(_other("system prompt has no text parts"))
            return []
        if self.config.system_role == "remove":
            warnings.append(_other("system messages are removed for this model"))
            return []
        return [{"role": self.config.system_role, "content": "".join(texts)}]

    def user_items(self, message: Message, warnings: list[CallWarning]) -> list[JSON]:
        """Always the array form, even for a single text part."""
        parts: list[JSON] = []
        for index, part in enumerate(message.content):
            if isinstance(part, TextPart):
                parts.append({"type": "input_text", "text": part.text})
            elif isinstance(part, FilePart):
                wire = self.user_file(part, index, warnings)
                if wire is not None:
                    parts.append(wire)
        if not parts:
            warnings.append(
                _other(
                    "dropping empty user message (contains neither user-facing content nor "
                    "tool results)"
                )
            )
            return []
        return [{"role": "user", "content": parts}]

    def user_file(self, part: FilePart, index: int, warnings: list[CallWarning]) -> JSON | None:
        """Images and PDFs go inline as data URLs; a PDF without a name is named by its
        position in the message."""
        mt = part.media_type
        if mt.startswith("image/"):
            return {"type": "input_image", "image_url": f"data:{mt};base64,{_b64(part.data)}"}
        if mt == "application/pdf":
            return {
                "type": "input_file",
                "filename": part.filename or f"part-{index}.pdf",
                "file_data": f"data:application/pdf;base64,{_b64(part.data)}",
            }
        warnings.append(_other(f"file part media type {mt} not supported"))
        return None

    def assistant_items(
        self,
        message: Message,
        warnings: list[CallWarning],
        *,
        store: bool,
        kinds: dict[str, str] | None = None,
    ) -> list[JSON]:
        """Text and calls go back. OpenAI's reasoning never does (stored items are
        referenced server-side, ephemeral ids would not be found); reasoning with raw
        text from a compatible server goes back as its item. A provider-executed call
        goes back only as a reference to the stored item, except an MCP approval
        request, which goes back whole when not stored (its answer needs it)."""
        items: list[JSON] = []
        kinds = {} if kinds is None else kinds
        for part in message.content:
            if isinstance(part, TextPart):
                items.append({"role": "assistant", "content": part.text})
            elif isinstance(part, ReasoningPart):
                item = self._raw_reasoning_item(part)
                if item is not None:
                    items.append(item)
            elif isinstance(part, ToolCallPart):
                meta = (part.provider_options or {}).get(self.options_key)
                if not part.provider_executed:
                    if isinstance(meta, ResponsesToolCallMetadata):
                        kinds[part.tool_call_id] = meta.item_type
                        items.append(
                            client_call_item(part.tool_call_id, part.tool_name, part.input, meta)
                        )
                        continue
                    items.append(
                        {
                            "type": "function_call",
                            "call_id": part.tool_call_id,
                            "name": part.tool_name,
                            "arguments": part.input,
                        }
                    )
                elif isinstance(meta, McpApprovalRequestMetadata):
                    kinds[part.tool_call_id] = "mcp_approval_request"
                    items.append(
                        {"id": meta.item_id}
                        if store
                        else {
                            "type": "mcp_approval_request",
                            "id": meta.item_id,
                            "server_label": meta.server_label,
                            "name": meta.name,
                            "arguments": part.input,
                        }
                    )
                elif store:
                    item_id = getattr(meta, "item_id", "") or part.tool_call_id
                    items.append({"id": item_id})
            elif isinstance(part, ToolResultPart) and part.provider_executed and store:
                # A hosted result that is an item of its own (a container shell's output,
                # a tool search's output): referenced like its call.
                meta = (part.provider_options or {}).get(self.options_key)
                output_item_id = getattr(meta, "output_item_id", "")
                if output_item_id:
                    items.append({"id": output_item_id})
        if not items:
            warnings.append(
                _other(
                    "dropping empty assistant message (contains neither user-facing content nor "
                    "tool calls)"
                )
            )
        return items

    def _raw_reasoning_item(self, part: ReasoningPart) -> JSON | None:
        meta = (part.provider_options or {}).get(self.options_key)
        if not isinstance(meta, ResponsesReasoningMetadata) or not meta.content:
            return None
        item: JSON = {
            "type": "reasoning",
            "id": meta.item_id,
            "summary": [{"type": "summary_text", "text": t} for t in meta.summary if t],
            "content": [{"type": "reasoning_text", "text": t} for t in meta.content],
        }
        if meta.encrypted_content:
            item["encrypted_content"] = meta.encrypted_content
        return item

    def tool_items(
        self,
        message: Message,
        warnings: list[CallWarning],
        kinds: dict[str, str] | None = None,
    ) -> list[JSON]:
        """One function_call_output per client result (or the output item of the call's
        own type); provider-executed results are already represented by their call. Media
        results add a user item after theirs. An answer to an MCP approval request is an
        ``mcp_approval_response``."""
        items: list[JSON] = []
        kinds = kinds or {}
        for part in message.content:
            if not isinstance(part, ToolResultPart):
                warnings.append(_other("tool message can only have tool result content"))
                continue
            answer = (part.provider_options or {}).get(self.options_key)
            if isinstance(answer, McpApprovalResponse):
                response: JSON = {
                    "type": "mcp_approval_response",
                    "approval_request_id": part.tool_call_id,
                    "approve": answer.approve,
                }
                if answer.reason:
                    response["reason"] = answer.reason
                items.append(response)
                continue
            if part.provider_executed:
                continue
            output = part.output
            follow_up: JSON | None = None
            if isinstance(output, ToolResultOutputText):
                text = output.text
            elif isinstance(output, ToolResultOutputError):
                text = output.error
            elif isinstance(output, ToolResultOutputMedia):
                text, follow_up = self._media_result(output, warnings)
            else:
                warnings.append(_other(f"tool result output type {output!r} not supported"))
                continue
            kind = kinds.get(part.tool_call_id)
            if kind is not None and kind != "mcp_approval_request":
                failed = isinstance(output, ToolResultOutputError)
                items.append(client_output_item(part.tool_call_id, kind, text, failed))
            else:
                items.append(
                    {"type": "function_call_output", "call_id": part.tool_call_id, "output": text}
                )
            if follow_up is not None:
                items.append(follow_up)
        return items

    @staticmethod
    def _media_result(
        media: ToolResultOutputMedia, warnings: list[CallWarning]
    ) -> tuple[str, JSON | None]:
        """function_call_output takes a string only: a placeholder keeps the call paired,
        and an image follows as a user item so vision models still see it."""
        mt = media.media_type
        text = media.text or f"The tool returned {mt} content; see the following user message."
        if not mt.startswith("image/"):
            warnings.append(
                _other(f"tool result media type {mt} not supported, sending text placeholder only")
            )
            return text, None
        image = {"type": "input_image", "image_url": f"data:{mt};base64,{media.data}"}
        return text, {"role": "user", "content": [image]}

    # ------------------------------------------------------------------ tools

    def tools(
        self, tools: Sequence[Tool], opts: ResponsesProviderOptions | None
    ) -> tuple[list[JSON], list[CallWarning]]:
        strict = bool(opts is not None and opts.strict_json_schema)
        wire: list[JSON] = []
        warnings: list[CallWarning] = []
        for tool in tools:
            if isinstance(tool, FunctionTool):
                function: JSON = {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "strict": strict,
                }
                if tool.input_schema is not None:
                    where = f'tool "{tool.name}"'
                    check_tool_root(tool.input_schema, where, "OpenAI")
                    if strict:
                        from fantasy.providers.openai.structured import strict_schema

                        function["parameters"] = strict_schema(tool.input_schema, where)
                    else:
                        function["parameters"] = refs_to_defs(tool.input_schema)
                wire.append(function)
            elif isinstance(tool, ProviderDefinedTool) and tool.id in WEB_SEARCH_TOOL_IDS:
                wire.append(web_search_tool_param(tool))
            elif isinstance(tool, ProviderDefinedTool) and tool.id in HOSTED_TOOL_IDS:
                hosted = hosted_tool_param(tool)
                if hosted is not None:
                    wire.append(hosted)
            else:
                warnings.append(
                    CallWarning(
                        CallWarningType.UNSUPPORTED_TOOL, tool=tool, message="tool is not supported"
                    )
                )
        return wire, warnings

    @staticmethod
    def tool_choice(choice: str) -> Any:
        if choice in ("auto", "none", "required"):
            return choice
        return {"type": "function", "name": choice}

    # ================================================================== response

    def response_metadata(self, response_id: str) -> ProviderMetadata:
        if not response_id:
            return {}
        return {self.metadata_key: ResponsesProviderMetadata(response_id=response_id)}

    def parse_response(self, data: JSON) -> Response:
        error = obj(data, "error")
        message = text(error, "message", "error")
        if message:
            # Fantasy always shows the code here, even an empty one.
            code = text(error, "code", "error")
            raise ProviderError(
                f"{message} (code: {code})",
                title="provider error",
                provider=self.provider_name,
                transient=code in TRANSIENT_STREAM_ERROR_TYPES,
                error_type=code,
            )
        content = ResponseContent()
        has_function_call = False
        warnings = Unknowns()
        reader = ItemReader(self.metadata_key)
        for i, item in enumerate(arr(data, "output")):
            where = f"output[{i}]"
            item = as_object(item, where)
            kind = text(item, "type", where)
            if kind == "message":
                content.extend(self._message_content(item, where, warnings))
            elif kind == "function_call":
                has_function_call = True
                content.append(
                    ToolCallContent(
                        text(item, "call_id", where),
                        text(item, "name", where),
                        arguments(item, where),
                    )
                )
            elif kind == "web_search_call":
                content.extend(self._web_search_content(item, where))
            elif kind == "reasoning":
                reasoning = self._reasoning_content(item, where)
                if reasoning is not None:
                    content.append(reasoning)
            else:
                hosted = reader.read(item, kind, where)
                if hosted is None:
                    warnings.add("output item", kind)
                    continue
                content.extend(hosted)
                has_function_call = has_function_call or reader.is_client_call(item, kind)
        reason = text(obj(data, "incomplete_details"), "reason", "incomplete_details")
        return Response(
            content,
            map_finish_reason(reason, has_function_call),
            usage_from_responses(obj(data, "usage"), "usage"),
            warnings.warnings,
            self.response_metadata(text(data, "id")),
            reason or text(data, "status"),
            response_id=label(data, "id"),
            response_model=label(data, "model"),
        )

    def _message_content(self, item: JSON, path: str, warnings: Unknowns) -> list[Content]:
        """Text parts with their citations; a refusal is what the model said instead,
        kept as text."""
        out: list[Content] = []
        for i, part in enumerate(arr(item, "content", path)):
            where = f"{path}.content[{i}]"
            part = as_object(part, where)
            kind = text(part, "type", where)
            if kind == "refusal":
                out.append(TextContent(text(part, "refusal", where)))
                continue
            if kind != "output_text":
                warnings.add("message content part", kind)
                continue
            out.append(TextContent(text(part, "text", where)))
            for k, annotation in enumerate(arr(part, "annotations", where)):
                at = f"{where}.annotations[{k}]"
                annotation = as_object(annotation, at)
                source = annotation_source(annotation, at)
                if source is not None:
                    out.append(source)
                elif not is_known_annotation(annotation):
                    warnings.add("annotation", text(annotation, "type", at))
        return out

    def _web_search_content(self, item: JSON, path: str) -> list[Content]:
        """A search OpenAI ran: a call and its result, paired by the item id. The citations
        arrive separately, as annotations on the answer's text."""
        item_id = text(item, "id", path)
        return [
            ToolCallContent(item_id, WEB_SEARCH_TOOL_ID, "", provider_executed=True),
            ToolResultContent(
                item_id,
                WEB_SEARCH_TOOL_ID,
                None,
                provider_executed=True,
                provider_metadata={self.metadata_key: web_search_call_metadata(item, path)},
            ),
        ]

    def _reasoning_content(self, item: JSON, path: str) -> ReasoningContent | None:
        """Summaries joined by a newline, then the raw reasoning text (``content``, which
        compatible servers send) after another."""
        encrypted = text(item, "encrypted_content", path) or None
        summaries = [
            text(s, "text", f"{path}.summary[{i}]")
            for i, s in enumerate(objects(item, "summary", path))
        ]
        raw = reasoning_texts(item, path)
        if not summaries and encrypted is None and not raw:
            return None
        metadata = ResponsesReasoningMetadata(
            item_id=text(item, "id", path),
            encrypted_content=encrypted,
            summary=summaries or [""],
            content=raw,
        )
        return ReasoningContent(reasoning_text(metadata), {self.metadata_key: metadata})

    def new_stream(self, warnings: list[CallWarning]) -> ResponsesStreamTranslator:
        return ResponsesStreamTranslator(self, warnings)


def _top_logprobs(value: bool | int | float | None) -> int:
    if value is None or value is False:
        return 0
    if value is True:
        return TOP_LOGPROBS_MAX
    return int(value)


__all__ = [
    "ResponsesCodec",
    "ResponsesStreamTranslator",
    "map_finish_reason",
    "usage_from_responses",
]
