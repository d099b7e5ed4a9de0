"""Responses API answers as OpenAI documents them (and as compatible servers send them).

From the API reference of ``POST /v1/responses`` and its streaming events: the
response object's output items (``message`` with ``output_text`` and ``refusal``
parts and the ``url_citation``, ``file_citation``, ``container_file_citation`` and
``file_path`` annotations; ``reasoning`` with ``summary`` and ``content``
(``reasoning_text``) and ``encrypted_content``; ``function_call``;
``web_search_call``; ``file_search_call`` with ``results``;
``code_interpreter_call`` with ``logs`` and ``image`` outputs;
``image_generation_call``; ``mcp_list_tools``, ``mcp_call``,
``mcp_approval_request``; ``local_shell_call``; ``shell_call`` and
``shell_call_output``; ``apply_patch_call``; ``custom_tool_call``;
``tool_search_call`` and ``tool_search_output``; and the types this library does not
read: ``computer_call``, ``compaction``, ``program``, ``additional_tools``, and the
input-echo types), ``incomplete_details``, ``usage`` with its details; and every
stream event type of the reference, from ``response.created`` to
``response.completed`` (``response.failed`` and ``error`` are in
``test_openai_responses.py``, since they end the call with an error).

Compatible servers add their own shapes: raw reasoning as ``reasoning_text`` parts
and ``response.reasoning_text.*`` events (gpt-oss on LM Studio, vLLM, Bedrock;
DeepSeek; OpenRouter), and a new ``item_id`` on every event (GitHub Copilot).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fantasy.types import FinishReason, Usage
from tests.robustness.harness import Expected, Fixture, sse

MODEL = "gpt-5"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfinal").decode()
PARTIAL_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\npartial").decode()

USAGE = {
    "input_tokens": 100,
    "input_tokens_details": {"cached_tokens": 60},
    "output_tokens": 40,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 140,
}
DETAILED = Usage(
    input_tokens=40, output_tokens=40, total_tokens=140, reasoning_tokens=12, cache_read_tokens=60
)


def response(
    *output: dict[str, Any],
    status: str = "completed",
    incomplete: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "model": MODEL,
        "output": list(output),
        "parallel_tool_calls": True,
        "store": False,
        "tools": [],
        "usage": usage or USAGE,
    }


def message(*parts: dict[str, Any], item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": list(parts),
    }


def output_text(text: str, *annotations: dict[str, Any]) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": list(annotations), "logprobs": []}


# --------------------------------------------------------------------------- streams


class _Events:
    """The documented events of a streamed answer, numbered."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> None:
        self.events.append({"type": kind, "sequence_number": len(self.events), **fields})


def _provisional(item: dict[str, Any]) -> dict[str, Any]:
    """An item as ``output_item.added`` shows it: in progress, its content still empty,
    a reasoning item's encrypted content provisional."""
    out = {**item, "status": "in_progress"}
    kind = item["type"]
    if kind == "message":
        out["content"] = []
    elif kind == "reasoning":
        out["summary"] = []
        out.pop("content", None)
        if item.get("encrypted_content"):
            out["encrypted_content"] = "gAAAA-provisional"
    elif kind == "function_call":
        out["arguments"] = ""
    elif kind == "custom_tool_call":
        out["input"] = ""
    elif kind in ("code_interpreter_call",):
        out["code"] = ""
        out["outputs"] = None
    elif kind == "image_generation_call":
        out["result"] = None
    elif kind == "mcp_call":
        out["arguments"] = ""
        out.pop("output", None)
    elif kind == "file_search_call":
        out["results"] = None
    return out


def _halves(text: str) -> list[str]:
    cut = len(text) // 2
    return [p for p in (text[:cut], text[cut:]) if p]


def _item_events(e: _Events, index: int, item: dict[str, Any], ids: Any) -> None:
    """The events between an item's ``added`` and ``done``; ``ids`` gives the item id
    each event carries (a rotating one for Copilot-like servers)."""
    kind = item["type"]
    base = {"output_index": index}
    if kind == "message":
        for c, part in enumerate(item["content"]):
            if part["type"] == "output_text":
                empty = {**part, "text": "", "annotations": []}
            elif part["type"] == "refusal":
                empty = {**part, "refusal": ""}
            else:
                empty = part
            e.add("response.content_part.added", item_id=ids(), content_index=c, part=empty, **base)
            if part["type"] == "output_text":
                for piece in _halves(part["text"]):
                    e.add(
                        "response.output_text.delta",
                        item_id=ids(),
                        content_index=c,
                        delta=piece,
                        logprobs=[],
                        **base,
                    )
                for a, annotation in enumerate(part["annotations"]):
                    e.add(
                        "response.output_text.annotation.added",
                        item_id=ids(),
                        content_index=c,
                        annotation_index=a,
                        annotation=annotation,
                        **base,
                    )
                e.add(
                    "response.output_text.done",
                    item_id=ids(),
                    content_index=c,
                    text=part["text"],
                    logprobs=[],
                    **base,
                )
            elif part["type"] == "refusal":
                for piece in _halves(part["refusal"]):
                    e.add(
                        "response.refusal.delta",
                        item_id=ids(),
                        content_index=c,
                        delta=piece,
                        **base,
                    )
                e.add(
                    "response.refusal.done",
                    item_id=ids(),
                    content_index=c,
                    refusal=part["refusal"],
                    **base,
                )
            e.add("response.content_part.done", item_id=ids(), content_index=c, part=part, **base)
    elif kind == "reasoning":
        for s, summary in enumerate(item["summary"]):
            empty = {"type": "summary_text", "text": ""}
            e.add(
                "response.reasoning_summary_part.added",
                item_id=ids(),
                summary_index=s,
                part=empty,
                **base,
            )
            for piece in _halves(summary["text"]):
                e.add(
                    "response.reasoning_summary_text.delta",
                    item_id=ids(),
                    summary_index=s,
                    delta=piece,
                    **base,
                )
            e.add(
                "response.reasoning_summary_text.done",
                item_id=ids(),
                summary_index=s,
                text=summary["text"],
                **base,
            )
            e.add(
                "response.reasoning_summary_part.done",
                item_id=ids(),
                summary_index=s,
                part=summary,
                **base,
            )
        for c, part in enumerate(item.get("content") or []):
            for piece in _halves(part["text"]):
                e.add(
                    "response.reasoning_text.delta",
                    item_id=ids(),
                    content_index=c,
                    delta=piece,
                    **base,
                )
            e.add(
                "response.reasoning_text.done",
                item_id=ids(),
                content_index=c,
                text=part["text"],
                **base,
            )
    elif kind == "function_call":
        for piece in _halves(item["arguments"]):
            e.add("response.function_call_arguments.delta", item_id=ids(), delta=piece, **base)
        e.add(
            "response.function_call_arguments.done",
            item_id=ids(),
            name=item["name"],
            arguments=item["arguments"],
            **base,
        )
    elif kind == "custom_tool_call":
        for piece in _halves(item["input"]):
            e.add("response.custom_tool_call_input.delta", item_id=ids(), delta=piece, **base)
        e.add("response.custom_tool_call_input.done", item_id=ids(), input=item["input"], **base)
    elif kind in ("web_search_call", "file_search_call"):
        for step in ("in_progress", "searching", "completed"):
            e.add(f"response.{kind}.{step}", item_id=ids(), **base)
    elif kind == "code_interpreter_call":
        e.add("response.code_interpreter_call.in_progress", item_id=ids(), **base)
        for piece in _halves(item["code"]):
            e.add("response.code_interpreter_call_code.delta", item_id=ids(), delta=piece, **base)
        e.add("response.code_interpreter_call_code.done", item_id=ids(), code=item["code"], **base)
        e.add("response.code_interpreter_call.interpreting", item_id=ids(), **base)
        e.add("response.code_interpreter_call.completed", item_id=ids(), **base)
    elif kind == "image_generation_call":
        e.add("response.image_generation_call.in_progress", item_id=ids(), **base)
        e.add("response.image_generation_call.generating", item_id=ids(), **base)
        e.add(
            "response.image_generation_call.partial_image",
            item_id=ids(),
            partial_image_index=0,
            partial_image_b64=PARTIAL_PNG,
            output_format="png",
            size="1024x1024",
            quality="low",
            background="opaque",
            **base,
        )
        e.add("response.image_generation_call.completed", item_id=ids(), **base)
    elif kind == "mcp_call":
        e.add("response.mcp_call.in_progress", item_id=ids(), **base)
        for piece in _halves(item["arguments"]):
            e.add("response.mcp_call_arguments.delta", item_id=ids(), delta=piece, **base)
        e.add(
            "response.mcp_call_arguments.done", item_id=ids(), arguments=item["arguments"], **base
        )
        outcome = "failed" if item.get("error") else "completed"
        e.add(f"response.mcp_call.{outcome}", item_id=ids(), **base)
    elif kind == "mcp_list_tools":
        e.add("response.mcp_list_tools.in_progress", item_id=ids(), **base)
        outcome = "failed" if item.get("error") else "completed"
        e.add(f"response.mcp_list_tools.{outcome}", item_id=ids(), **base)
    elif kind == "shell_call":
        for c, command in enumerate(item["action"]["commands"]):
            e.add("response.shell_call_command.added", command="", command_index=c, **base)
            e.add("response.shell_call_command.delta", delta=command, command_index=c, **base)
            e.add("response.shell_call_command.done", command=command, command_index=c, **base)
    elif kind == "shell_call_output":
        for c, out in enumerate(item["output"]):
            delta = {"stdout": out["stdout"], "stderr": out["stderr"]}
            e.add(
                "response.shell_call_output_content.delta",
                item_id=ids(),
                command_index=c,
                delta=delta,
                **base,
            )
            e.add(
                "response.shell_call_output_content.done",
                item_id=ids(),
                command_index=c,
                output=[out],
                **base,
            )


def stream_of(
    whole: dict[str, Any],
    *,
    rotate_ids: bool = False,
    before_terminal: list[dict[str, Any]] | None = None,
    skip_done: set[int] | None = None,
) -> bytes:
    """The stream of the answer ``whole`` as the reference documents it: created,
    in_progress, each item's events, the terminal event with the whole response.
    ``rotate_ids``: every event after an item's ``added`` names a new item id, as
    GitHub Copilot's Responses API does. ``skip_done``: items whose done is not sent."""
    e = _Events()
    pending = {**whole, "status": "in_progress", "output": [], "usage": None}
    e.add("response.created", response={**pending, "status": "queued"})
    e.add("response.queued", response={**pending, "status": "queued"})
    e.add("response.in_progress", response=pending)
    counter = iter(range(10_000))
    for index, item in enumerate(whole["output"]):
        e.add("response.output_item.added", output_index=index, item=_provisional(item))
        item_id = item.get("id", "")

        def ids(item_id: str = item_id) -> str:
            return f"rot_{next(counter)}" if rotate_ids else item_id

        _item_events(e, index, item, ids)
        if index not in (skip_done or set()):
            done = {**item, "id": ids()} if rotate_ids and "id" in item else item
            e.add("response.output_item.done", output_index=index, item=done)
    for event in before_terminal or []:
        e.add(event.pop("type"), **event)
    terminal = "response.incomplete" if whole["status"] == "incomplete" else "response.completed"
    e.add(terminal, response=whole)
    return sse(*e.events, named=True)


def fixture(
    name: str,
    whole: dict[str, Any],
    expect: Expected,
    stream_expect: Expected | None = None,
    **stream_options: Any,
) -> Fixture:
    return Fixture(
        name=name,
        family="openai-responses",
        whole=whole,
        stream=stream_of(whole, **stream_options),
        expect=expect,
        stream_expect=stream_expect,
    )


# --------------------------------------------------------------------------- items

URL_CITATION = {
    "type": "url_citation",
    "start_index": 0,
    "end_index": 5,
    "url": "https://www.metro.tokyo.lg.jp/",
    "title": "Tokyo",
}
FILE_CITATION = {"type": "file_citation", "file_id": "file-1", "filename": "notes.md", "index": 3}
CONTAINER_CITATION = {
    "type": "container_file_citation",
    "container_id": "cntr_1",
    "file_id": "cfile_1",
    "filename": "plot.png",
    "start_index": 0,
    "end_index": 4,
}
FILE_PATH = {"type": "file_path", "file_id": "cfile_2", "index": 1}

REASONING = {
    "id": "rs_1",
    "type": "reasoning",
    "summary": [
        {"type": "summary_text", "text": "**Plan** look it up"},
        {"type": "summary_text", "text": "Then answer"},
    ],
    "encrypted_content": "gAAAA-final-and-longer",
}
RAW_REASONING = {
    "id": "rs_raw",
    "type": "reasoning",
    "summary": [],
    "content": [{"type": "reasoning_text", "text": "The user wants a greeting."}],
}
FUNCTION_CALL = {
    "id": "fc_1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"city":"Rome"}',
    "status": "completed",
}
WEB_SEARCH = {
    "id": "ws_1",
    "type": "web_search_call",
    "status": "completed",
    "action": {"type": "search", "query": "Tokyo population", "sources": []},
}
FILE_SEARCH = {
    "id": "fs_1",
    "type": "file_search_call",
    "status": "completed",
    "queries": ["deep research"],
    "results": [
        {
            "file_id": "file-1",
            "filename": "notes.md",
            "score": 0.93,
            "text": "Deep research is ...",
            "attributes": {"team": "docs"},
        }
    ],
}
CODE_INTERPRETER = {
    "id": "ci_1",
    "type": "code_interpreter_call",
    "status": "completed",
    "container_id": "cntr_1",
    "code": "print(2 + 2)",
    "outputs": [
        {"type": "logs", "logs": "4\n"},
        {"type": "image", "url": "https://files.example/plot.png"},
    ],
}
IMAGE = {
    "id": "ig_1",
    "type": "image_generation_call",
    "status": "completed",
    "revised_prompt": "A gray tabby cat",
    "result": PNG,
    "output_format": "png",
    "size": "1024x1024",
    "quality": "low",
    "background": "opaque",
}
MCP_LIST = {
    "id": "mcpl_1",
    "type": "mcp_list_tools",
    "server_label": "deepwiki",
    "tools": [
        {
            "name": "ask_question",
            "description": "Ask about a repository",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
            "annotations": {"read_only": True},
        }
    ],
}
MCP_LIST_FAILED = {
    "id": "mcpl_2",
    "type": "mcp_list_tools",
    "server_label": "broken",
    "tools": [],
    "error": "424: could not connect",
}
MCP_CALL = {
    "id": "mcp_1",
    "type": "mcp_call",
    "server_label": "deepwiki",
    "name": "ask_question",
    "arguments": '{"q":"what is it"}',
    "output": "A library.",
    "error": None,
    "status": "completed",
    "approval_request_id": None,
}
MCP_CALL_FAILED = {
    **MCP_CALL,
    "id": "mcp_2",
    "output": None,
    "error": {"type": "tool_execution_error", "message": "timeout"},
    "status": "failed",
}
MCP_APPROVAL = {
    "id": "mcpr_1",
    "type": "mcp_approval_request",
    "server_label": "deepwiki",
    "name": "ask_question",
    "arguments": '{"q":"may I"}',
}
LOCAL_SHELL = {
    "id": "lsh_1",
    "type": "local_shell_call",
    "call_id": "call_ls",
    "status": "completed",
    "action": {
        "type": "exec",
        "command": ["ls", "-la"],
        "env": {},
        "timeout_ms": 1000,
        "user": None,
        "working_directory": "/tmp",
    },
}
SHELL_LOCAL = {
    "id": "sh_1",
    "type": "shell_call",
    "call_id": "call_sh",
    "status": "completed",
    "action": {"commands": ["ls"], "timeout_ms": 1000, "max_output_length": 4096},
    "environment": {"type": "local"},
}
SHELL_HOSTED = {
    "id": "sh_2",
    "type": "shell_call",
    "call_id": "call_hosted",
    "status": "completed",
    "action": {"commands": ["python -V"], "timeout_ms": None, "max_output_length": None},
    "environment": {"type": "container_reference", "container_id": "cntr_2"},
}
SHELL_OUTPUT = {
    "id": "sho_2",
    "type": "shell_call_output",
    "call_id": "call_hosted",
    "status": "completed",
    "max_output_length": None,
    "output": [
        {"stdout": "Python 3.12\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}
    ],
}
APPLY_PATCH = {
    "id": "apc_1",
    "type": "apply_patch_call",
    "call_id": "call_ap",
    "status": "completed",
    "operation": {"type": "update_file", "path": "app.py", "diff": "@@\n-a\n+b\n"},
}
CUSTOM = {
    "id": "ctc_1",
    "type": "custom_tool_call",
    "call_id": "call_code",
    "name": "code_exec",
    "input": "print('hello')",
}
TOOL_SEARCH = {
    "id": "tsc_1",
    "type": "tool_search_call",
    "call_id": None,
    "execution": "server",
    "status": "completed",
    "arguments": {"query": "weather"},
}
TOOL_SEARCH_OUTPUT = {
    "id": "tso_1",
    "type": "tool_search_output",
    "call_id": None,
    "execution": "server",
    "status": "completed",
    "tools": [{"type": "function", "name": "weather", "parameters": {"type": "object"}}],
}
TOOL_SEARCH_CLIENT = {
    "id": "tsc_2",
    "type": "tool_search_call",
    "call_id": "call_ts",
    "execution": "client",
    "status": "completed",
    "arguments": {"query": "calendar"},
}

# Documented output items this library does not read (each reported once).
COMPUTER = {
    "id": "cu_1",
    "type": "computer_call",
    "call_id": "call_cu",
    "status": "completed",
    "action": {"type": "screenshot"},
    "pending_safety_checks": [],
}
COMPACTION = {"id": "cmp_1", "type": "compaction", "encrypted_content": "gAAAA-compacted"}
PROGRAM = {"id": "prg_1", "type": "program", "call_id": "call_p", "code": "1", "fingerprint": "f"}
PROGRAM_OUTPUT = {
    "id": "prgo_1",
    "type": "program_output",
    "call_id": "call_p",
    "result": "1",
    "status": "completed",
}
ADDITIONAL_TOOLS = {"id": "at_1", "type": "additional_tools", "role": "developer", "tools": []}


def _unsupported(kind: str) -> str:
    return f"output item type '{kind}'"


FIXTURES = [
    fixture(
        "text with every citation type",
        response(
            message(
                output_text(
                    "Tokyo has 14 million people.",
                    URL_CITATION,
                    FILE_CITATION,
                    CONTAINER_CITATION,
                    FILE_PATH,
                )
            )
        ),
        Expected(
            text="Tokyo has 14 million people.",
            sources=["https://www.metro.tokyo.lg.jp/", "doc", "doc", "doc"],
            finish_reason=FinishReason.STOP,
            raw_finish_reason="completed",
            usage=DETAILED,
        ),
    ),
    fixture(
        "reasoning summaries, then text",
        response(REASONING, message(output_text("Hi there"))),
        Expected(
            text="Hi there",
            reasoning="**Plan** look it up\nThen answer",
            usage=DETAILED,
        ),
        # Streamed, each summary starts with a newline, as in Fantasy.
        Expected(
            text="Hi there",
            reasoning="\n**Plan** look it up\nThen answer",
            usage=DETAILED,
        ),
    ),
    fixture(
        "raw reasoning text (gpt-oss, DeepSeek, LM Studio, OpenRouter)",
        response(RAW_REASONING, message(output_text("Hello!"))),
        Expected(text="Hello!", reasoning="The user wants a greeting."),
    ),
    fixture(
        "summaries and raw reasoning text",
        response({**RAW_REASONING, "summary": REASONING["summary"]}, message(output_text("Ok"))),
        Expected(
            text="Ok",
            reasoning="**Plan** look it up\nThen answer\nThe user wants a greeting.",
        ),
        Expected(
            text="Ok",
            reasoning="\n**Plan** look it up\nThen answer\nThe user wants a greeting.",
        ),
    ),
    fixture(
        "item ids that change on every event (GitHub Copilot)",
        response(REASONING, message(output_text("Rotating ids", URL_CITATION)), FUNCTION_CALL),
        Expected(
            text="Rotating ids",
            reasoning="**Plan** look it up\nThen answer",
            sources=["https://www.metro.tokyo.lg.jp/"],
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
        Expected(
            text="Rotating ids",
            reasoning="\n**Plan** look it up\nThen answer",
            sources=["https://www.metro.tokyo.lg.jp/"],
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
        rotate_ids=True,
    ),
    fixture(
        "a reasoning item the server never finishes is still closed",
        response(RAW_REASONING),
        Expected(reasoning="The user wants a greeting."),
        skip_done={0},
    ),
    fixture(
        "refusal",
        response(message({"type": "refusal", "refusal": "I can't help with that."})),
        Expected(text="I can't help with that."),
    ),
    fixture(
        "function call",
        response(message(output_text("Checking.")), FUNCTION_CALL),
        Expected(
            text="Checking.",
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "incomplete: max output tokens",
        response(
            message(output_text("Cut sh")), status="incomplete", incomplete="max_output_tokens"
        ),
        Expected(
            text="Cut sh", finish_reason=FinishReason.LENGTH, raw_finish_reason="max_output_tokens"
        ),
    ),
    fixture(
        "incomplete: content filter",
        response(message(output_text("")), status="incomplete", incomplete="content_filter"),
        Expected(finish_reason=FinishReason.CONTENT_FILTER, raw_finish_reason="content_filter"),
    ),
    fixture(
        "web search",
        response(WEB_SEARCH, message(output_text("About 14 million.", URL_CITATION))),
        Expected(
            text="About 14 million.",
            provider_calls=[("ws_1", "web_search")],
            provider_results=[("ws_1", "web_search")],
            sources=["https://www.metro.tokyo.lg.jp/"],
        ),
    ),
    fixture(
        "file search with results and a file citation",
        response(FILE_SEARCH, message(output_text("Deep research is ...", FILE_CITATION))),
        Expected(
            text="Deep research is ...",
            provider_calls=[("fs_1", "file_search")],
            provider_results=[("fs_1", "file_search")],
            sources=["doc"],
        ),
    ),
    fixture(
        "code interpreter with logs, an image and a container file",
        response(CODE_INTERPRETER, message(output_text("It is 4.", CONTAINER_CITATION))),
        Expected(
            text="It is 4.",
            provider_calls=[("ci_1", "code_interpreter")],
            provider_results=[("ci_1", "code_interpreter")],
            sources=["doc"],
        ),
    ),
    fixture(
        "image generation with a partial image",
        response(IMAGE, message(output_text("Here is your cat."))),
        Expected(
            text="Here is your cat.",
            provider_calls=[("ig_1", "image_generation")],
            provider_results=[("ig_1", "image_generation")],
            files=["image/png"],
        ),
    ),
    fixture(
        "remote MCP: tool lists, calls, a failed call, an approval request",
        response(
            MCP_LIST,
            MCP_LIST_FAILED,
            MCP_CALL,
            MCP_CALL_FAILED,
            MCP_APPROVAL,
            message(output_text("It is a library.")),
        ),
        Expected(
            text="It is a library.",
            provider_calls=[
                ("mcpl_1", "mcp_list_tools"),
                ("mcpl_2", "mcp_list_tools"),
                ("mcp_1", "ask_question"),
                ("mcp_2", "ask_question"),
                ("mcpr_1", "ask_question"),
            ],
            provider_results=[
                ("mcpl_1", "mcp_list_tools"),
                ("mcpl_2", "mcp_list_tools"),
                ("mcp_1", "ask_question"),
                ("mcp_2", "ask_question"),
            ],
        ),
    ),
    fixture(
        "local shell (run by the client)",
        response(LOCAL_SHELL),
        Expected(
            tool_calls=[("call_ls", "local_shell", LOCAL_SHELL["action"])],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "shell in the client's environment",
        response(SHELL_LOCAL),
        Expected(
            tool_calls=[("call_sh", "shell", SHELL_LOCAL["action"])],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "shell in an OpenAI container, with its output",
        response(SHELL_HOSTED, SHELL_OUTPUT, message(output_text("Python 3.12."))),
        Expected(
            text="Python 3.12.",
            provider_calls=[("call_hosted", "shell")],
            provider_results=[("call_hosted", "shell")],
        ),
    ),
    fixture(
        "apply_patch",
        response(APPLY_PATCH),
        Expected(
            tool_calls=[("call_ap", "apply_patch", APPLY_PATCH["operation"])],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "custom tool with free-form input",
        response(CUSTOM),
        Expected(
            tool_calls=[("call_code", "code_exec", "print('hello')")],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "tool search on the server, then a function call",
        response(TOOL_SEARCH, TOOL_SEARCH_OUTPUT, FUNCTION_CALL),
        Expected(
            provider_calls=[("tsc_1", "tool_search")],
            provider_results=[("tsc_1", "tool_search")],
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "tool search run by the client",
        response(TOOL_SEARCH_CLIENT),
        Expected(
            tool_calls=[("call_ts", "tool_search", {"query": "calendar"})],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    ),
    fixture(
        "documented items this library does not read are reported",
        response(
            COMPUTER,
            COMPACTION,
            PROGRAM,
            PROGRAM_OUTPUT,
            ADDITIONAL_TOOLS,
            message(output_text("Done."), {"type": "output_audio", "data": "", "transcript": ""}),
        ),
        Expected(
            text="Done.",
            warnings=[
                _unsupported("computer_call"),
                _unsupported("compaction"),
                _unsupported("program"),
                _unsupported("program_output"),
                _unsupported("additional_tools"),
                "message content part type 'output_audio'",
            ],
        ),
    ),
    fixture(
        "events this library does not read are reported once per type",
        response(message(output_text("Hello"))),
        Expected(text="Hello"),
        Expected(
            text="Hello",
            warnings=[
                "stream event type 'response.audio.delta'",
                "stream event type 'response.audio.done'",
                "stream event type 'response.audio.transcript.delta'",
                "stream event type 'response.audio.transcript.done'",
                "stream event type 'response.brand_new'",
            ],
        ),
        before_terminal=[
            {"type": "response.audio.delta", "delta": "AAA="},
            {"type": "response.audio.delta", "delta": "AAA="},
            {"type": "response.audio.done"},
            {"type": "response.audio.transcript.delta", "delta": "hi"},
            {"type": "response.audio.transcript.done"},
            {"type": "response.brand_new", "x": 1},
        ],
    ),
]
"""Every fixture. Document sources have random ids: the test fixes them to ``doc``."""

# A server that sends whole items only (no deltas, no added events).
_WHOLE_ONLY = response(
    {**RAW_REASONING, "summary": REASONING["summary"]},
    message(output_text("Whole items only", URL_CITATION)),
    FUNCTION_CALL,
    FILE_SEARCH,
)
FIXTURES.append(
    Fixture(
        name="whole items only, no deltas",
        family="openai-responses",
        whole=_WHOLE_ONLY,
        stream=sse(
            *[
                {"type": "response.output_item.done", "output_index": i, "item": item}
                for i, item in enumerate(_WHOLE_ONLY["output"])
            ],
            {"type": "response.completed", "response": _WHOLE_ONLY},
            named=True,
        ),
        expect=Expected(
            text="Whole items only",
            reasoning="**Plan** look it up\nThen answer\nThe user wants a greeting.",
            sources=["https://www.metro.tokyo.lg.jp/"],
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            provider_calls=[("fs_1", "file_search")],
            provider_results=[("fs_1", "file_search")],
            finish_reason=FinishReason.TOOL_CALLS,
        ),
    )
)


# A server that streams nothing but the finished response.
_TERMINAL_ONLY = response(
    REASONING, message(output_text("Only the end", URL_CITATION)), FUNCTION_CALL, IMAGE
)
FIXTURES.append(
    Fixture(
        name="only the terminal event",
        family="openai-responses",
        whole=_TERMINAL_ONLY,
        stream=sse(
            {"type": "response.created", "response": {**_TERMINAL_ONLY, "output": []}},
            {"type": "response.completed", "response": _TERMINAL_ONLY},
            named=True,
        ),
        expect=Expected(
            text="Only the end",
            reasoning="**Plan** look it up\nThen answer",
            sources=["https://www.metro.tokyo.lg.jp/"],
            tool_calls=[("call_1", "weather", {"city": "Rome"})],
            provider_calls=[("ig_1", "image_generation")],
            provider_results=[("ig_1", "image_generation")],
            files=["image/png"],
            finish_reason=FinishReason.TOOL_CALLS,
            usage=DETAILED,
        ),
    )
)

ALL_EVENT_TYPES = frozenset(
    json.loads(line[len("data: ") :])["type"]
    for f in FIXTURES
    for line in (f.stream or b"").decode().split("\n")
    if line.startswith("data: ")
)
"""Every stream event type the fixtures send (checked against the reference's list)."""
