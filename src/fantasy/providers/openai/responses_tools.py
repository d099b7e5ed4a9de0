"""OpenAI's hosted tools on the Responses API: the tools to offer, what their output
items become, and how those go back in the next request. Pure code, no I/O.

Two kinds of tool live here:

- run by OpenAI (file search, code interpreter, image generation, remote MCP, a
  shell in a hosted container, server-side tool search): each call arrives as a
  provider-executed `ToolCallContent` and `ToolResultContent` pair (generated
  images as `FileContent` too) with typed metadata under ``"openai"``; the agent
  records them and runs nothing;
- run by you (local shell, a shell in your own environment, apply_patch, custom
  free-form tools, client-side tool search): ``run`` gets each call like any tool,
  and the call and its result go back as the item types the API asks for.

Web search, the first hosted tool, keeps its own module (`web_search`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from fantasy.http.shape import arr, as_object, number, obj, objects, text
from fantasy.persistence.registry import persisted
from fantasy.types import (
    JSON,
    Content,
    FileContent,
    ProviderDefinedTool,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
)

# --------------------------------------------------------------------------- ids

FILE_SEARCH_TOOL_ID = "openai.file_search"
CODE_INTERPRETER_TOOL_ID = "openai.code_interpreter"
IMAGE_GENERATION_TOOL_ID = "openai.image_generation"
MCP_TOOL_ID = "openai.mcp"
LOCAL_SHELL_TOOL_ID = "openai.local_shell"
SHELL_TOOL_ID = "openai.shell"
APPLY_PATCH_TOOL_ID = "openai.apply_patch"
CUSTOM_TOOL_ID = "openai.custom"
TOOL_SEARCH_TOOL_ID = "openai.tool_search"

_API_TYPES = {
    FILE_SEARCH_TOOL_ID: "file_search",
    CODE_INTERPRETER_TOOL_ID: "code_interpreter",
    IMAGE_GENERATION_TOOL_ID: "image_generation",
    MCP_TOOL_ID: "mcp",
    LOCAL_SHELL_TOOL_ID: "local_shell",
    SHELL_TOOL_ID: "shell",
    APPLY_PATCH_TOOL_ID: "apply_patch",
    CUSTOM_TOOL_ID: "custom",
    TOOL_SEARCH_TOOL_ID: "tool_search",
}
"""Each provider-defined tool id and the ``type`` the API knows it by."""

HOSTED_TOOL_IDS = frozenset(_API_TYPES)


# --------------------------------------------------------------------------- options


def _wire_fields(options: Any) -> dict[str, Any]:
    """The fields of an options dataclass that are set (not None), as JSON values."""
    out: dict[str, Any] = {}
    for f in fields(options):
        value = getattr(options, f.name)
        if value is None:
            continue
        out[f.name] = _wire_fields(value) if is_dataclass(value) else value
    return out


@dataclass(slots=True, kw_only=True)
class FileSearchOptions:
    """``file_search``: search your vector stores. None is "not sent"."""

    vector_store_ids: list[str]
    max_num_results: int | None = None
    filters: dict[str, Any] | None = None
    """A comparison or compound filter on file attributes, as the API documents it."""
    ranking_options: dict[str, Any] | None = None
    """``{"ranker": ..., "score_threshold": ..., "hybrid_search": {...}}``."""


@dataclass(slots=True, kw_only=True)
class CodeInterpreterContainer:
    """A new container made for the call (``{"type": "auto"}``)."""

    file_ids: list[str] | None = None
    memory_limit: Literal["1g", "4g", "16g", "64g"] | None = None
    type: str = "auto"


@dataclass(slots=True, kw_only=True)
class CodeInterpreterOptions:
    """``code_interpreter``: run Python in a container (an id, or a new one)."""

    container: str | CodeInterpreterContainer = field(default_factory=CodeInterpreterContainer)


@dataclass(slots=True, kw_only=True)
class ImageGenerationOptions:
    """``image_generation``: make or edit images. None is "not sent" (the API's default)."""

    model: str | None = None
    quality: Literal["low", "medium", "high", "auto"] | None = None
    size: str | None = None
    """``"1024x1024"``, ``"1024x1536"``, ``"1536x1024"`` or ``"auto"``."""
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: Literal["png", "webp", "jpeg"] | None = None
    output_compression: int | None = None
    moderation: Literal["auto", "low"] | None = None
    partial_images: int | None = None
    """0 to 3 partial images while streaming (see `PartialImage`)."""
    input_fidelity: Literal["high", "low"] | None = None
    action: Literal["generate", "edit", "auto"] | None = None


McpApprovalPolicy = Literal["always", "never"]


@dataclass(slots=True, kw_only=True)
class McpOptions:
    """``mcp``: a remote MCP server (``server_url``) or a connector (``connector_id``)."""

    server_label: str
    server_url: str | None = None
    connector_id: str | None = None
    authorization: str | None = None
    headers: dict[str, str] | None = None
    server_description: str | None = None
    allowed_tools: list[str] | dict[str, Any] | None = None
    require_approval: McpApprovalPolicy | dict[str, Any] | None = None
    """``"never"`` to run every tool without asking; by default OpenAI asks (an
    ``mcp_approval_request``, answered with `mcp_approval_response`)."""
    defer_loading: bool | None = None


@dataclass(slots=True, kw_only=True)
class ShellOptions:
    """``shell``: ``environment`` None or ``{"type": "local"}`` runs commands here (give
    ``run``); ``{"type": "container_auto", ...}`` or ``{"type": "container_reference",
    "container_id": ...}`` runs them in an OpenAI container."""

    environment: dict[str, Any] | None = None


@dataclass(slots=True, kw_only=True)
class CustomToolOptions:
    """``custom``: a tool whose input is free-form text, optionally constrained by a
    grammar (``format={"type": "grammar", "syntax": "lark", "definition": ...}``)."""

    name: str
    description: str | None = None
    format: dict[str, Any] | None = None
    defer_loading: bool | None = None


@dataclass(slots=True, kw_only=True)
class ToolSearchOptions:
    """``tool_search``: let the model load deferred tools (``defer_loading``) on demand,
    searched by OpenAI (``execution="server"``) or by your ``run`` (``"client"``)."""

    execution: Literal["server", "client"] | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None


def _tool(tool_id: str, name: str, options: Any) -> ProviderDefinedTool:
    return ProviderDefinedTool(tool_id, name, {"options": options})


def file_search_tool(
    vector_store_ids: Sequence[str],
    *,
    max_num_results: int | None = None,
    filters: dict[str, Any] | None = None,
    ranking_options: dict[str, Any] | None = None,
) -> ProviderDefinedTool:
    """File search over your vector stores, run by OpenAI. Add
    ``INCLUDE_FILE_SEARCH_CALL_RESULTS`` to ``include`` to get the matched chunks."""
    options = FileSearchOptions(
        vector_store_ids=list(vector_store_ids),
        max_num_results=max_num_results,
        filters=filters,
        ranking_options=ranking_options,
    )
    return _tool(FILE_SEARCH_TOOL_ID, "file_search", options)


def code_interpreter_tool(
    container: str | CodeInterpreterContainer | None = None,
) -> ProviderDefinedTool:
    """The code interpreter, run by OpenAI in a container (a new one by default)."""
    options = CodeInterpreterOptions(container=container or CodeInterpreterContainer())
    return _tool(CODE_INTERPRETER_TOOL_ID, "code_interpreter", options)


def image_generation_tool(
    options: ImageGenerationOptions | None = None, **settings: Any
) -> ProviderDefinedTool:
    """Image generation, run by OpenAI; each image arrives as `FileContent`.
    ``settings`` are `ImageGenerationOptions` fields (``quality="low"``, ...)."""
    return _tool(
        IMAGE_GENERATION_TOOL_ID, "image_generation", options or ImageGenerationOptions(**settings)
    )


def mcp_tool(server_label: str, **settings: Any) -> ProviderDefinedTool:
    """A remote MCP server whose tools OpenAI calls; ``settings`` are `McpOptions`
    fields (``server_url=...``, ``require_approval="never"``, ...)."""
    options = McpOptions(server_label=server_label, **settings)
    return _tool(MCP_TOOL_ID, f"mcp.{server_label}", options)


def _executable(definition: ProviderDefinedTool, run: Callable[..., Any], free: bool) -> Any:
    from fantasy.tools import ExecutableProviderTool

    return ExecutableProviderTool(definition, run, free_form_input=free)


def local_shell_tool(run: Callable[..., Any]) -> Any:
    """``local_shell`` (codex-mini): ``run`` gets each call, its input the JSON of the
    ``exec`` action (``command``, ``env``, ``working_directory``, ``timeout_ms``, ``user``),
    and returns the command's output as text."""
    return _executable(ProviderDefinedTool(LOCAL_SHELL_TOOL_ID, "local_shell", {}), run, False)


def shell_tool(
    run: Callable[..., Any] | None = None, *, environment: dict[str, Any] | None = None
) -> Any:
    """``shell``. With ``run``: commands run here; its input is the JSON of the action
    (``commands``, ``timeout_ms``, ``max_output_length``) and it returns the output as
    text, or a JSON list of ``{"stdout", "stderr", "outcome"}`` objects, one per command
    (see `shell_output`). Without ``run``: OpenAI runs them in a container
    (``environment`` default ``{"type": "container_auto"}``)."""
    if run is None:
        options = ShellOptions(environment=environment or {"type": "container_auto"})
        return _tool(SHELL_TOOL_ID, "shell", options)
    definition = _tool(SHELL_TOOL_ID, "shell", ShellOptions(environment=environment))
    return _executable(definition, run, False)


def shell_output(stdout: str = "", stderr: str = "", exit_code: int | None = 0) -> str:
    """One command's result, as a ``shell`` tool's ``run`` returns it (``exit_code``
    None: the command timed out). Join several with ``json.dumps([...])`` of
    ``json.loads`` of each."""
    outcome = {"type": "timeout"} if exit_code is None else {"type": "exit", "exit_code": exit_code}
    return json.dumps([{"stdout": stdout, "stderr": stderr, "outcome": outcome}])


def apply_patch_tool(run: Callable[..., Any]) -> Any:
    """``apply_patch``: ``run`` gets each call, its input the JSON of the operation
    (``{"type": "create_file" | "update_file" | "delete_file", "path", "diff"}``); an
    error result reports the patch as failed."""
    return _executable(ProviderDefinedTool(APPLY_PATCH_TOOL_ID, "apply_patch", {}), run, False)


def custom_tool(
    name: str,
    run: Callable[..., Any],
    *,
    description: str | None = None,
    format: dict[str, Any] | None = None,
    defer_loading: bool | None = None,
) -> Any:
    """A custom tool: ``run`` gets the model's free-form text as the call's ``input``
    (not JSON), and returns text."""
    options = CustomToolOptions(
        name=name, description=description, format=format, defer_loading=defer_loading
    )
    return _executable(_tool(CUSTOM_TOOL_ID, name, options), run, True)


def tool_search_tool(
    run: Callable[..., Any] | None = None,
    *,
    description: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """Tool search over tools sent with ``defer_loading``. Without ``run`` OpenAI
    searches; with it, ``run`` gets the search arguments as JSON and returns a JSON
    list of tool definitions to load."""
    execution: Literal["server", "client"] = "server" if run is None else "client"
    options = ToolSearchOptions(execution=execution, description=description, parameters=parameters)
    definition = _tool(TOOL_SEARCH_TOOL_ID, "tool_search", options)
    return definition if run is None else _executable(definition, run, False)


def hosted_tool_param(tool: ProviderDefinedTool) -> JSON | None:
    """The tool as the Responses API takes it, or None when it is not one of these.
    ``args`` holds the typed options under ``"options"``, or the wire fields as given."""
    api_type = _API_TYPES.get(tool.id)
    if api_type is None:
        return None
    args = tool.args or {}
    options = args.get("options")
    if options is not None and is_dataclass(options):
        wire = _wire_fields(options)
    else:
        wire = {k: v for k, v in args.items() if v is not None}
    if api_type == "custom":
        wire.setdefault("name", tool.name)
    return {"type": api_type, **wire}


def hosted_tool_choice(choice: str, tools: Sequence[Any]) -> JSON | None:
    """The ``tool_choice`` that forces the hosted tool named ``choice`` (a custom tool
    by its name, an MCP server by its label, the others by their type); None when no
    hosted tool has that name."""
    for tool in tools:
        if not isinstance(tool, ProviderDefinedTool) or tool.name != choice:
            continue
        wire = hosted_tool_param(tool)
        if wire is None:
            return None
        if wire["type"] == "custom":
            return {"type": "custom", "name": wire["name"]}
        if wire["type"] == "mcp":
            return {"type": "mcp", "server_label": wire.get("server_label", "")}
        return {"type": wire["type"]}
    return None


# --------------------------------------------------------------------------- metadata


@persisted("openai.responses.tool_call_metadata", omit_empty=["item_id"])
@dataclass(slots=True, kw_only=True)
class ResponsesToolCallMetadata:
    """On a call you run that is not a function call (``custom_tool_call``,
    ``local_shell_call``, ``shell_call``, ``apply_patch_call``, ``tool_search_call``):
    the item type and id, so the call and its output go back as the API asks."""

    item_type: str
    item_id: str = ""


@persisted(None, omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class FileSearchResult:
    file_id: str = ""
    filename: str = ""
    score: float = 0.0
    text: str = ""
    attributes: dict[str, Any] | None = None


@persisted("openai.responses.file_search_call_metadata", omit_empty=["results", "queries"])
@dataclass(slots=True, kw_only=True)
class FileSearchCallMetadata:
    """A ``file_search_call``: its queries and, when asked for with
    ``INCLUDE_FILE_SEARCH_CALL_RESULTS``, the chunks it found."""

    item_id: str
    status: str = ""
    queries: list[str] = field(default_factory=list)
    results: list[FileSearchResult] = field(default_factory=list)


@persisted(None, omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class CodeInterpreterOutput:
    type: str
    """``"logs"`` (``logs``) or ``"image"`` (``url``)."""
    logs: str = ""
    url: str = ""


@persisted("openai.responses.code_interpreter_call_metadata", omit_empty=["outputs", "code"])
@dataclass(slots=True, kw_only=True)
class CodeInterpreterCallMetadata:
    item_id: str
    container_id: str = ""
    status: str = ""
    code: str = ""
    outputs: list[CodeInterpreterOutput] = field(default_factory=list)


@persisted("openai.responses.image_generation_call_metadata", omit_empty=["*"])
@dataclass(slots=True, kw_only=True)
class ImageGenerationCallMetadata:
    """An ``image_generation_call``; the image itself is the `FileContent` after it."""

    item_id: str = ""
    status: str = ""
    revised_prompt: str = ""
    output_format: str = ""
    size: str = ""
    quality: str = ""
    background: str = ""


@dataclass(slots=True, kw_only=True)
class PartialImage:
    """A partial image while an image is generated (``partial_images`` > 0): the
    ``provider_metadata["openai"]`` of a ``file`` stream part whose ``file`` is None.
    The agent keeps only the final image."""

    item_id: str
    index: int
    data: bytes
    media_type: str


@persisted(None, omit_empty=["description", "annotations"])
@dataclass(slots=True, kw_only=True)
class McpToolInfo:
    name: str
    input_schema: Any = None
    description: str = ""
    annotations: Any = None


@persisted("openai.responses.mcp_list_tools_metadata", omit_empty=["tools", "error"])
@dataclass(slots=True, kw_only=True)
class McpListToolsMetadata:
    """``mcp_list_tools``: what an MCP server offers (or why it could not say)."""

    item_id: str
    server_label: str
    tools: list[McpToolInfo] = field(default_factory=list)
    error: str = ""


@persisted(
    "openai.responses.mcp_call_metadata",
    omit_empty=["output", "error", "status", "approval_request_id"],
)
@dataclass(slots=True, kw_only=True)
class McpCallMetadata:
    item_id: str
    server_label: str
    name: str
    output: str = ""
    error: str = ""
    status: str = ""
    approval_request_id: str = ""


@persisted("openai.responses.mcp_approval_request_metadata")
@dataclass(slots=True, kw_only=True)
class McpApprovalRequestMetadata:
    """On the provider-executed call of an ``mcp_approval_request``: answer it with
    `mcp_approval_response`."""

    item_id: str
    server_label: str
    name: str

    def approval_answer(self, approved: bool, reason: str = "") -> McpApprovalResponse:
        """The agent's answer to this request (``approve=`` or ``approvals=``, see README,
        "Human in the loop"), kept on the result that the next request sends as an
        ``mcp_approval_response``."""
        return McpApprovalResponse(approve=approved, reason=reason)


@persisted("openai.responses.mcp_approval_response", omit_empty=["reason"])
@dataclass(slots=True, kw_only=True)
class McpApprovalResponse:
    """On a tool result part: the answer to an MCP approval request."""

    approve: bool
    reason: str = ""


@persisted(None, omit_empty=["exit_code"])
@dataclass(slots=True, kw_only=True)
class ShellCommandOutput:
    stdout: str = ""
    stderr: str = ""
    outcome: str = "exit"
    """``"exit"`` (with ``exit_code``) or ``"timeout"``."""
    exit_code: int = 0


@persisted("openai.responses.shell_call_metadata", omit_empty=["output_item_id", "outputs"])
@dataclass(slots=True, kw_only=True)
class ShellCallMetadata:
    """A ``shell_call`` run in an OpenAI container, and its ``shell_call_output``."""

    item_id: str
    commands: list[str] = field(default_factory=list)
    output_item_id: str = ""
    outputs: list[ShellCommandOutput] = field(default_factory=list)


@persisted("openai.responses.tool_search_metadata", omit_empty=["output_item_id", "tools"])
@dataclass(slots=True, kw_only=True)
class ToolSearchMetadata:
    """A server-side ``tool_search_call`` and the tools its ``tool_search_output`` loaded."""

    item_id: str
    output_item_id: str = ""
    tools: list[Any] = field(default_factory=list)


# --------------------------------------------------------------------------- output items


CLIENT_CALL_NAMES = {
    "custom_tool_call": "",
    "local_shell_call": "local_shell",
    "apply_patch_call": "apply_patch",
}
"""Client-run call items (``shell_call`` and ``tool_search_call`` depend on where
they run) and the tool name each is known by ("" for custom: the item's own name)."""

PROVIDER_ITEM_TYPES = frozenset(
    {
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "shell_call_output",
        "tool_search_output",
    }
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ItemReader:
    """Turns the hosted-tool output items of one response into content, the same way
    whole and streamed. Keeps what pairs a later output item with its call."""

    def __init__(self, key: str):
        self.key = key
        self.shell_calls: dict[str, ShellCallMetadata] = {}
        """Hosted shell calls by call id, until their output arrives."""
        self.search_calls: dict[str, ToolSearchMetadata] = {}
        self.last_search = ""

    def is_client_call(self, item: JSON, kind: str) -> bool:
        if kind in CLIENT_CALL_NAMES:
            return True
        if kind == "shell_call":
            env = item.get("environment")
            return not isinstance(env, dict) or env.get("type") in (None, "local")
        if kind == "tool_search_call":
            return item.get("execution") == "client"
        return False

    def start(self, item: JSON, kind: str, path: str) -> tuple[str, str, bool] | None:
        """The (id, tool name, provider-executed) a stream's tool input starts with."""
        if self.is_client_call(item, kind):
            name = CLIENT_CALL_NAMES.get(kind) or (
                text(item, "name", path) if kind == "custom_tool_call" else kind[: -len("_call")]
            )
            return text(item, "call_id", path), name, False
        starts = {
            "file_search_call": "file_search",
            "code_interpreter_call": "code_interpreter",
            "image_generation_call": "image_generation",
            "mcp_list_tools": "mcp_list_tools",
            "shell_call": "shell",
            "tool_search_call": "tool_search",
        }
        if kind in starts:
            return self.call_id(item, kind, path), starts[kind], True
        if kind in ("mcp_call", "mcp_approval_request"):
            return text(item, "id", path), text(item, "name", path), True
        return None

    @staticmethod
    def call_id(item: JSON, kind: str, path: str) -> str:
        if kind in ("shell_call", "tool_search_call"):
            return text(item, "call_id", path) or text(item, "id", path)
        return text(item, "id", path)

    def read(self, item: JSON, kind: str, path: str) -> list[Content] | None:
        """The content of one output item; None when it is not a hosted-tool item."""
        if self.is_client_call(item, kind):
            return [self._client_call(item, kind, path)]
        reader = _READERS.get(kind)
        return None if reader is None else reader(self, item, path)

    def _meta(self, value: Any) -> dict[str, Any]:
        return {self.key: value}

    def _client_call(self, item: JSON, kind: str, path: str) -> Content:
        call_id = text(item, "call_id", path)
        metadata = self._meta(
            ResponsesToolCallMetadata(item_type=kind, item_id=text(item, "id", path))
        )
        if kind == "custom_tool_call":
            name, value = text(item, "name", path), text(item, "input", path)
        elif kind == "local_shell_call":
            name, value = "local_shell", _dumps(obj(item, "action", path))
        elif kind == "shell_call":
            name, value = "shell", _dumps(obj(item, "action", path))
        elif kind == "apply_patch_call":
            name, value = "apply_patch", _dumps(obj(item, "operation", path))
        else:  # tool_search_call
            call_id = call_id or text(item, "id", path)
            name, value = "tool_search", _dumps(item.get("arguments") or {})
        return ToolCallContent(call_id, name, value, provider_metadata=metadata)

    def _pair(
        self, call_id: str, name: str, call_input: str, metadata: Any, result: Any = None
    ) -> list[Content]:
        meta = self._meta(metadata)
        return [
            ToolCallContent(
                call_id, name, call_input, provider_executed=True, provider_metadata=meta
            ),
            ToolResultContent(
                call_id, name, result, provider_executed=True, provider_metadata=meta
            ),
        ]

    def _file_search(self, item: JSON, path: str) -> list[Content]:
        queries = [str(q) for q in arr(item, "queries", path) if isinstance(q, str)]
        results = []
        for i, r in enumerate(objects(item, "results", path)):
            at = f"{path}.results[{i}]"
            attributes = r.get("attributes")
            results.append(
                FileSearchResult(
                    file_id=text(r, "file_id", at),
                    filename=text(r, "filename", at),
                    score=number(r, "score", at),
                    text=text(r, "text", at),
                    attributes=attributes if isinstance(attributes, dict) else None,
                )
            )
        metadata = FileSearchCallMetadata(
            item_id=text(item, "id", path),
            status=text(item, "status", path),
            queries=queries,
            results=results,
        )
        return self._pair(metadata.item_id, "file_search", _dumps({"queries": queries}), metadata)

    def _code_interpreter(self, item: JSON, path: str) -> list[Content]:
        outputs = []
        for i, o in enumerate(objects(item, "outputs", path)):
            at = f"{path}.outputs[{i}]"
            outputs.append(
                CodeInterpreterOutput(
                    type=text(o, "type", at), logs=text(o, "logs", at), url=text(o, "url", at)
                )
            )
        metadata = CodeInterpreterCallMetadata(
            item_id=text(item, "id", path),
            container_id=text(item, "container_id", path),
            status=text(item, "status", path),
            code=text(item, "code", path),
            outputs=outputs,
        )
        logs = "".join(o.logs for o in outputs if o.type == "logs")
        call_input = _dumps({"code": metadata.code, "container_id": metadata.container_id})
        return self._pair(
            metadata.item_id, "code_interpreter", call_input, metadata, ToolResultOutputText(logs)
        )

    def _image_generation(self, item: JSON, path: str) -> list[Content]:
        metadata = ImageGenerationCallMetadata(
            item_id=text(item, "id", path),
            status=text(item, "status", path),
            revised_prompt=text(item, "revised_prompt", path),
            output_format=text(item, "output_format", path),
            size=text(item, "size", path),
            quality=text(item, "quality", path),
            background=text(item, "background", path),
        )
        out = self._pair(metadata.item_id, "image_generation", "", metadata)
        data = text(item, "result", path)
        if data:
            out.append(
                FileContent(
                    decode_image(data, f"{path}.result"),
                    image_media_type(metadata.output_format),
                    self._meta(metadata),
                )
            )
        return out

    def _mcp_list_tools(self, item: JSON, path: str) -> list[Content]:
        tools = []
        for i, t in enumerate(objects(item, "tools", path)):
            at = f"{path}.tools[{i}]"
            tools.append(
                McpToolInfo(
                    name=text(t, "name", at),
                    input_schema=t.get("input_schema"),
                    description=text(t, "description", at),
                    annotations=t.get("annotations"),
                )
            )
        metadata = McpListToolsMetadata(
            item_id=text(item, "id", path),
            server_label=text(item, "server_label", path),
            tools=tools,
            error=text(item, "error", path),
        )
        result: Any = ToolResultOutputError(metadata.error) if metadata.error else None
        call_input = _dumps({"server_label": metadata.server_label})
        return self._pair(metadata.item_id, "mcp_list_tools", call_input, metadata, result)

    def _mcp_call(self, item: JSON, path: str) -> list[Content]:
        error = item.get("error")
        if isinstance(error, dict):
            error = text(error, "message", f"{path}.error") or _dumps(error)
        metadata = McpCallMetadata(
            item_id=text(item, "id", path),
            server_label=text(item, "server_label", path),
            name=text(item, "name", path),
            output=text(item, "output", path),
            error=error if isinstance(error, str) else "",
            status=text(item, "status", path),
            approval_request_id=text(item, "approval_request_id", path),
        )
        result: Any = (
            ToolResultOutputError(metadata.error)
            if metadata.error
            else ToolResultOutputText(metadata.output)
        )
        return self._pair(
            metadata.item_id, metadata.name, text(item, "arguments", path), metadata, result
        )

    def _mcp_approval_request(self, item: JSON, path: str) -> list[Content]:
        metadata = McpApprovalRequestMetadata(
            item_id=text(item, "id", path),
            server_label=text(item, "server_label", path),
            name=text(item, "name", path),
        )
        return [
            ToolCallContent(
                metadata.item_id,
                metadata.name,
                text(item, "arguments", path),
                provider_executed=True,
                provider_metadata=self._meta(metadata),
            )
        ]

    def _hosted_shell_call(self, item: JSON, path: str) -> list[Content]:
        """A shell call in an OpenAI container; its result is the ``shell_call_output``
        item that follows."""
        call_id = self.call_id(item, "shell_call", path)
        action = obj(item, "action", path)
        commands = [c for c in arr(action, "commands", f"{path}.action") if isinstance(c, str)]
        metadata = ShellCallMetadata(item_id=text(item, "id", path), commands=commands)
        self.shell_calls[call_id] = metadata
        return [
            ToolCallContent(
                call_id,
                "shell",
                _dumps(action),
                provider_executed=True,
                provider_metadata=self._meta(metadata),
            )
        ]

    def _shell_output(self, item: JSON, path: str) -> list[Content]:
        call_id = text(item, "call_id", path)
        metadata = self.shell_calls.pop(call_id, None) or ShellCallMetadata(item_id="")
        metadata.output_item_id = text(item, "id", path)
        for i, o in enumerate(objects(item, "output", path)):
            at = f"{path}.output[{i}]"
            outcome = obj(o, "outcome", at)
            metadata.outputs.append(
                ShellCommandOutput(
                    stdout=text(o, "stdout", at),
                    stderr=text(o, "stderr", at),
                    outcome=text(outcome, "type", f"{at}.outcome") or "exit",
                    exit_code=int(number(outcome, "exit_code", f"{at}.outcome")),
                )
            )
        stdout = "".join(o.stdout for o in metadata.outputs)
        return [
            ToolResultContent(
                call_id,
                "shell",
                ToolResultOutputText(stdout),
                provider_executed=True,
                provider_metadata=self._meta(metadata),
            )
        ]

    def _tool_search_call(self, item: JSON, path: str) -> list[Content]:
        call_id = self.call_id(item, "tool_search_call", path)
        metadata = ToolSearchMetadata(item_id=text(item, "id", path))
        self.search_calls[call_id] = metadata
        self.last_search = call_id
        return [
            ToolCallContent(
                call_id,
                "tool_search",
                _dumps(item.get("arguments") or {}),
                provider_executed=True,
                provider_metadata=self._meta(metadata),
            )
        ]

    def _tool_search_output(self, item: JSON, path: str) -> list[Content]:
        call_id = text(item, "call_id", path) or self.last_search
        metadata = self.search_calls.pop(call_id, None) or ToolSearchMetadata(item_id="")
        metadata.output_item_id = text(item, "id", path)
        metadata.tools = list(arr(item, "tools", path))
        names = [t.get("name", "") for t in metadata.tools if isinstance(t, dict)]
        return [
            ToolResultContent(
                call_id,
                "tool_search",
                ToolResultOutputText(_dumps(names)),
                provider_executed=True,
                provider_metadata=self._meta(metadata),
            )
        ]


_READERS: dict[str, Callable[[ItemReader, JSON, str], list[Content]]] = {
    "file_search_call": ItemReader._file_search,
    "code_interpreter_call": ItemReader._code_interpreter,
    "image_generation_call": ItemReader._image_generation,
    "mcp_list_tools": ItemReader._mcp_list_tools,
    "mcp_call": ItemReader._mcp_call,
    "mcp_approval_request": ItemReader._mcp_approval_request,
    "shell_call": ItemReader._hosted_shell_call,
    "shell_call_output": ItemReader._shell_output,
    "tool_search_call": ItemReader._tool_search_call,
    "tool_search_output": ItemReader._tool_search_output,
}


def image_media_type(output_format: str) -> str:
    return {"jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}.get(
        output_format, "image/png"
    )


def decode_image(data: str, path: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        from fantasy.http.shape import shape_error

        raise shape_error(path, "base64 image data", data) from exc


# --------------------------------------------------------------------------- replay


def _loads(value: str) -> Any:
    try:
        return json.loads(value) if value else {}
    except ValueError:
        return {}


def client_call_item(part_id: str, name: str, value: str, meta: ResponsesToolCallMetadata) -> JSON:
    """A call you ran, as the input item of its type."""
    kind = meta.item_type
    if kind == "custom_tool_call":
        return {"type": kind, "call_id": part_id, "name": name, "input": value}
    if kind == "local_shell_call":
        return {
            "type": kind,
            "id": meta.item_id,
            "call_id": part_id,
            "action": _loads(value),
            "status": "completed",
        }
    if kind == "shell_call":
        return {"type": kind, "call_id": part_id, "action": _loads(value), "status": "completed"}
    if kind == "apply_patch_call":
        return {
            "type": kind,
            "call_id": part_id,
            "operation": _loads(value),
            "status": "completed",
        }
    return {
        "type": "tool_search_call",
        "call_id": part_id,
        "arguments": _loads(value),
        "execution": "client",
        "status": "completed",
    }


def client_output_item(call_id: str, kind: str, output: str, failed: bool) -> JSON:
    """Your tool's result, as the output item that answers a call of ``kind``."""
    if kind == "custom_tool_call":
        return {"type": "custom_tool_call_output", "call_id": call_id, "output": output}
    if kind == "local_shell_call":
        return {"type": "local_shell_call_output", "id": call_id, "output": output}
    if kind == "shell_call":
        return {
            "type": "shell_call_output",
            "call_id": call_id,
            "output": _shell_outputs(output, failed),
        }
    if kind == "apply_patch_call":
        status = "failed" if failed else "completed"
        return {
            "type": "apply_patch_call_output",
            "call_id": call_id,
            "status": status,
            "output": output,
        }
    tools = _loads(output)
    return {
        "type": "tool_search_output",
        "call_id": call_id,
        "execution": "client",
        "status": "completed",
        "tools": tools if isinstance(tools, list) else [],
    }


def _shell_outputs(output: str, failed: bool) -> list[JSON]:
    value = None
    if output.startswith("["):
        try:
            value = json.loads(output)
        except ValueError:
            value = None
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return [as_object(v, "shell output") for v in value]
    if failed:
        return [{"stdout": "", "stderr": output, "outcome": {"type": "exit", "exit_code": 1}}]
    return [{"stdout": output, "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]


def mcp_approval_response(request: ToolCallContent | str, approve: bool, reason: str = "") -> Any:
    """The message that answers an MCP approval request (the provider-executed call
    whose metadata is `McpApprovalRequestMetadata`, or its id): add it to the
    conversation and run the agent again."""
    from fantasy.types import Message, Role, ToolResultPart

    request_id = request if isinstance(request, str) else request.tool_call_id
    answer = "approved" if approve else f"denied{': ' + reason if reason else ''}"
    part = ToolResultPart(
        request_id,
        ToolResultOutputText(answer),
        provider_options={"openai": McpApprovalResponse(approve=approve, reason=reason)},
    )
    return Message(Role.TOOL, [part])


def mcp_approval_requests(content: Sequence[Any]) -> list[ToolCallContent]:
    """The MCP approval requests among a response's content."""
    return [
        c
        for c in content
        if isinstance(c, ToolCallContent)
        and isinstance((c.provider_metadata or {}).get("openai"), McpApprovalRequestMetadata)
    ]
