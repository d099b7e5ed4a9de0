"""OpenAI's hosted tools on the Responses API: what is sent, what comes back, and what
goes back in the next request (directly and after saving the conversation), on both
faces; and the stream fixes of issue 15 (encrypted reasoning from the done event,
raw reasoning text, partial images)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.robustness.fixtures_openai_responses import (
    APPLY_PATCH,
    CODE_INTERPRETER,
    CUSTOM,
    FILE_SEARCH,
    IMAGE,
    LOCAL_SHELL,
    MCP_APPROVAL,
    MCP_CALL,
    MCP_CALL_FAILED,
    MCP_LIST,
    RAW_REASONING,
    REASONING,
    SHELL_HOSTED,
    SHELL_LOCAL,
    SHELL_OUTPUT,
    TOOL_SEARCH,
    TOOL_SEARCH_CLIENT,
    TOOL_SEARCH_OUTPUT,
    message,
    output_text,
    response,
    stream_of,
)

import fantasy
from fantasy.providers import openai
from fantasy.types import (
    FileContent,
    Message,
    ReasoningContent,
    StreamPartType,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
)

KEY = "sk-hosted-0123456789abcdef"


class Server:
    """Answers each request with the next answer (whole or streamed), keeping bodies."""

    def __init__(self, *answers: dict[str, Any]):
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        answer = self.answers.pop(0)
        if body.get("stream"):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=stream_of(answer)
            )
        return httpx.Response(200, json=answer)

    def model(self) -> Any:
        provider = openai.Provider(
            KEY,
            base_url="http://hosted.invalid/v1",
            use_responses_api=True,
            transport=httpx.MockTransport(self),
        )
        return provider.language_model("gpt-5")


def run(agent: fantasy.Agent, streaming: bool, prompt: str | None = "go", **kw: Any) -> Any:
    if streaming:
        stream = agent.stream(prompt, **kw) if prompt is not None else agent.stream(**kw)
        for _ in stream:
            pass
        return stream.result
    return agent.generate(prompt, **kw) if prompt is not None else agent.generate(**kw)


FACES = pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
STORE = {"openai": openai.ResponsesProviderOptions(store=True)}


# --------------------------------------------------------------------------- tools sent


def test_hosted_tools_are_sent_with_their_typed_options() -> None:
    server = Server(response(message(output_text("ok"))))
    tools = [
        openai.file_search_tool(["vs_1"], max_num_results=3),
        openai.code_interpreter_tool(openai.CodeInterpreterContainer(memory_limit="4g")),
        openai.image_generation_tool(quality="low", partial_images=1),
        openai.mcp_tool(
            "deepwiki", server_url="https://mcp.deepwiki.com/mcp", require_approval="never"
        ),
        openai.shell_tool(),
        openai.shell_tool(lambda call: "", environment={"type": "local"}),
        openai.local_shell_tool(lambda call: ""),
        openai.apply_patch_tool(lambda call: ""),
        openai.custom_tool("code_exec", lambda call: "", description="Run code"),
        openai.tool_search_tool(),
        openai.web_search_tool(),
    ]
    fantasy.Agent(server.model(), provider_tools=tools).generate("go")
    assert server.bodies[0]["tools"] == [
        {"type": "file_search", "vector_store_ids": ["vs_1"], "max_num_results": 3},
        {"type": "code_interpreter", "container": {"memory_limit": "4g", "type": "auto"}},
        {"type": "image_generation", "quality": "low", "partial_images": 1},
        {
            "type": "mcp",
            "server_label": "deepwiki",
            "server_url": "https://mcp.deepwiki.com/mcp",
            "require_approval": "never",
        },
        {"type": "shell", "environment": {"type": "container_auto"}},
        {"type": "shell", "environment": {"type": "local"}},
        {"type": "local_shell"},
        {"type": "apply_patch"},
        {"type": "custom", "name": "code_exec", "description": "Run code"},
        {"type": "tool_search", "execution": "server"},
        {"type": "web_search"},
    ]
    assert server.bodies[0]["tool_choice"] == "auto"


def test_a_hand_built_provider_tool_sends_its_args() -> None:
    server = Server(response(message(output_text("ok"))))
    tool = fantasy.ProviderDefinedTool(
        "openai.file_search", "file_search", {"vector_store_ids": ["vs"], "filters": None}
    )
    fantasy.Agent(server.model(), provider_tools=[tool]).generate("go")
    assert server.bodies[0]["tools"] == [{"type": "file_search", "vector_store_ids": ["vs"]}]


# --------------------------------------------------------------------------- content


@FACES
def test_hosted_results_are_typed_content(streaming: bool) -> None:
    server = Server(
        response(
            FILE_SEARCH,
            CODE_INTERPRETER,
            IMAGE,
            MCP_LIST,
            MCP_CALL,
            MCP_CALL_FAILED,
            SHELL_HOSTED,
            SHELL_OUTPUT,
            TOOL_SEARCH,
            TOOL_SEARCH_OUTPUT,
            message(output_text("done")),
        )
    )
    result = run(fantasy.Agent(server.model()), streaming)
    content = result.response.content
    results = {c.tool_call_id: c for c in content if isinstance(c, ToolResultContent)}
    meta = {k: (v.provider_metadata or {}).get("openai") for k, v in results.items()}

    fs = meta["fs_1"]
    assert isinstance(fs, openai.FileSearchCallMetadata)
    assert fs.queries == ["deep research"]
    assert fs.results[0].filename == "notes.md" and fs.results[0].score == 0.93
    assert fs.results[0].attributes == {"team": "docs"}

    ci = meta["ci_1"]
    assert isinstance(ci, openai.CodeInterpreterCallMetadata)
    assert (ci.code, ci.container_id) == ("print(2 + 2)", "cntr_1")
    assert [o.type for o in ci.outputs] == ["logs", "image"]
    assert results["ci_1"].result == ToolResultOutputText("4\n")

    image = meta["ig_1"]
    assert isinstance(image, openai.ImageGenerationCallMetadata)
    assert image.revised_prompt == "A gray tabby cat"
    files = [c for c in content if isinstance(c, FileContent)]
    assert [(f.media_type, f.data) for f in files] == [("image/png", b"\x89PNG\r\n\x1a\nfinal")]

    tools = meta["mcpl_1"]
    assert isinstance(tools, openai.McpListToolsMetadata)
    assert [t.name for t in tools.tools] == ["ask_question"]
    assert results["mcp_1"].result == ToolResultOutputText("A library.")
    assert results["mcp_2"].result == ToolResultOutputError("timeout")

    shell = meta["call_hosted"]
    assert isinstance(shell, openai.ShellCallMetadata)
    assert shell.commands == ["python -V"] and shell.outputs[0].stdout == "Python 3.12\n"
    assert results["call_hosted"].result == ToolResultOutputText("Python 3.12\n")

    search = meta["tsc_1"]
    assert isinstance(search, openai.ToolSearchMetadata)
    assert search.tools[0]["name"] == "weather"
    assert result.text == "done"


def test_partial_images_stream_as_file_parts_without_a_file() -> None:
    server = Server(response(IMAGE))
    agent = fantasy.Agent(server.model())
    stream = agent.stream("draw")
    files = [p for p in stream if p.type is StreamPartType.FILE]
    assert [p.file is None for p in files] == [True, False]
    partial = (files[0].provider_metadata or {})["openai"]
    assert isinstance(partial, openai.PartialImage)
    assert (partial.index, partial.media_type) == (0, "image/png")
    assert partial.data == b"\x89PNG\r\n\x1a\npartial"
    # The agent keeps the final image only.
    kept = [c for c in stream.result.response.content if isinstance(c, FileContent)]
    assert [c.data for c in kept] == [b"\x89PNG\r\n\x1a\nfinal"]


# --------------------------------------------------------------------------- reasoning


@FACES
def test_encrypted_reasoning_is_the_final_one(streaming: bool) -> None:
    """Streamed, the added event's encrypted content is provisional: the done event's is
    kept, as the whole answer's is (Fantasy keeps the provisional one)."""
    server = Server(response(REASONING, message(output_text("hi"))))
    result = run(fantasy.Agent(server.model()), streaming)
    reasoning = [c for c in result.response.content if isinstance(c, ReasoningContent)]
    meta = (reasoning[0].provider_metadata or {})["openai"]
    assert meta.encrypted_content == "gAAAA-final-and-longer"


def test_encrypted_reasoning_absent_when_added() -> None:
    added = {**REASONING}
    whole = response(added, message(output_text("hi")))
    stream = stream_of(whole).replace(b'"gAAAA-provisional"', b"null")
    assert b"gAAAA-final-and-longer" in stream

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)

    model = openai.Provider(
        KEY,
        base_url="http://x.invalid/v1",
        use_responses_api=True,
        transport=httpx.MockTransport(handler),
    ).language_model("gpt-5")
    agent_stream = fantasy.Agent(model).stream("go")
    for _ in agent_stream:
        pass
    reasoning = agent_stream.result.response.content.reasoning[0]
    assert reasoning.provider_metadata["openai"].encrypted_content == "gAAAA-final-and-longer"


@FACES
def test_raw_reasoning_goes_back_openai_reasoning_does_not(streaming: bool) -> None:
    """Reasoning with raw text (a compatible server's) is replayed as its item; OpenAI's
    own reasoning is never sent back, as in Fantasy."""
    server = Server(
        response(RAW_REASONING, REASONING, message(output_text("Hello!"))),
        response(message(output_text("Again"))),
    )
    agent = fantasy.Agent(server.model())
    first = run(agent, streaming)
    saved = fantasy.from_json(fantasy.to_json(first.all_messages()), list[Message])
    run(agent, streaming, "again", messages=saved)
    replayed = [i for i in server.bodies[1]["input"] if i.get("type") == "reasoning"]
    assert replayed == [
        {
            "type": "reasoning",
            "id": "rs_raw",
            "summary": [],
            "content": [{"type": "reasoning_text", "text": "The user wants a greeting."}],
        }
    ]


# --------------------------------------------------------------------------- client tools


def _echo(call: fantasy.ToolCall) -> str:
    return f"ran {call.input}"


CLIENT_CASES: list[tuple[str, dict[str, Any], Callable[[], Any], list[dict[str, Any]]]] = [
    (
        "custom",
        CUSTOM,
        lambda: openai.custom_tool("code_exec", _echo),
        [
            {
                "type": "custom_tool_call",
                "call_id": "call_code",
                "name": "code_exec",
                "input": "print('hello')",
            },
            {
                "type": "custom_tool_call_output",
                "call_id": "call_code",
                "output": "ran print('hello')",
            },
        ],
    ),
    (
        "local_shell",
        LOCAL_SHELL,
        lambda: openai.local_shell_tool(lambda call: "total 0"),
        [
            {
                "type": "local_shell_call",
                "id": "lsh_1",
                "call_id": "call_ls",
                "action": LOCAL_SHELL["action"],
                "status": "completed",
            },
            {"type": "local_shell_call_output", "id": "call_ls", "output": "total 0"},
        ],
    ),
    (
        "shell",
        SHELL_LOCAL,
        lambda: openai.shell_tool(lambda call: openai.shell_output("a\n", "", 0)),
        [
            {
                "type": "shell_call",
                "call_id": "call_sh",
                "action": SHELL_LOCAL["action"],
                "status": "completed",
            },
            {
                "type": "shell_call_output",
                "call_id": "call_sh",
                "output": [
                    {"stdout": "a\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}
                ],
            },
        ],
    ),
    (
        "apply_patch",
        APPLY_PATCH,
        lambda: openai.apply_patch_tool(lambda call: fantasy.ToolResponse.error("no such file")),
        [
            {
                "type": "apply_patch_call",
                "call_id": "call_ap",
                "operation": APPLY_PATCH["operation"],
                "status": "completed",
            },
            {
                "type": "apply_patch_call_output",
                "call_id": "call_ap",
                "status": "failed",
                "output": "no such file",
            },
        ],
    ),
    (
        "tool_search",
        TOOL_SEARCH_CLIENT,
        lambda: openai.tool_search_tool(lambda call: [{"type": "function", "name": "cal"}]),
        [
            {
                "type": "tool_search_call",
                "call_id": "call_ts",
                "arguments": {"query": "calendar"},
                "execution": "client",
                "status": "completed",
            },
            {
                "type": "tool_search_output",
                "call_id": "call_ts",
                "execution": "client",
                "status": "completed",
                "tools": [{"type": "function", "name": "cal"}],
            },
        ],
    ),
]


@FACES
@pytest.mark.parametrize(
    ("item", "tool", "sent"), [c[1:] for c in CLIENT_CASES], ids=[c[0] for c in CLIENT_CASES]
)
def test_client_run_calls_go_back_as_their_own_items(
    streaming: bool, item: dict[str, Any], tool: Callable[[], Any], sent: list[dict[str, Any]]
) -> None:
    server = Server(response(item), response(message(output_text("ok"))))
    result = run(fantasy.Agent(server.model(), provider_tools=[tool()]), streaming)
    assert result.text == "ok"
    assert server.bodies[1]["input"][1:] == sent
    # The saved conversation replays the same request.
    saved = fantasy.from_json(fantasy.to_json(result.all_messages()), list[Message])
    again = Server(response(message(output_text("ok"))))
    run(fantasy.Agent(again.model(), provider_tools=[tool()]), streaming, None, messages=saved[:3])
    assert again.bodies[0]["input"] == server.bodies[1]["input"]


def test_a_custom_tool_gets_the_free_form_text() -> None:
    seen: list[str] = []

    def code_exec(call: fantasy.ToolCall) -> str:
        seen.append(call.input)
        return "hello"

    server = Server(response(CUSTOM), response(message(output_text("ok"))))
    fantasy.Agent(
        server.model(), provider_tools=[openai.custom_tool("code_exec", code_exec)]
    ).generate("go")
    assert seen == ["print('hello')"]


# --------------------------------------------------------------------------- hosted replay


HOSTED_ANSWER = response(
    FILE_SEARCH,
    CODE_INTERPRETER,
    IMAGE,
    MCP_LIST,
    MCP_CALL,
    SHELL_HOSTED,
    SHELL_OUTPUT,
    TOOL_SEARCH,
    TOOL_SEARCH_OUTPUT,
    message(output_text("done")),
)


@FACES
@pytest.mark.parametrize("store", [True, False], ids=["store", "no-store"])
def test_hosted_calls_go_back_as_references_when_stored(streaming: bool, store: bool) -> None:
    options = STORE if store else {}
    server = Server(HOSTED_ANSWER, response(message(output_text("ok"))))
    agent = fantasy.Agent(server.model())
    first = run(agent, streaming, provider_options=options)
    saved = fantasy.from_json(fantasy.to_json(first.all_messages()), list[Message])
    run(agent, streaming, "more", messages=saved, provider_options=options)
    items = server.bodies[1]["input"]
    references = [i for i in items if set(i) == {"id"}]
    if store:
        assert references == [
            {"id": "fs_1"},
            {"id": "ci_1"},
            {"id": "ig_1"},
            {"id": "mcpl_1"},
            {"id": "mcp_1"},
            {"id": "sh_2"},
            {"id": "sho_2"},
            {"id": "tsc_1"},
            {"id": "tso_1"},
        ]
    else:
        assert references == []
    assert {"role": "assistant", "content": "done"} in items


@FACES
@pytest.mark.parametrize("store", [True, False], ids=["store", "no-store"])
def test_an_mcp_approval_is_answered(streaming: bool, store: bool) -> None:
    options = STORE if store else {}
    server = Server(response(MCP_APPROVAL), response(message(output_text("It is a library."))))
    agent = fantasy.Agent(
        server.model(), provider_tools=[openai.mcp_tool("deepwiki", server_url="https://x")]
    )
    first = run(agent, streaming, provider_options=options)
    requests = openai.mcp_approval_requests(first.response.content)
    assert [r.tool_call_id for r in requests] == ["mcpr_1"]
    meta = requests[0].provider_metadata["openai"]
    assert (meta.server_label, meta.name) == ("deepwiki", "ask_question")
    history = [*first.all_messages(), openai.mcp_approval_response(requests[0], approve=True)]
    history = fantasy.from_json(fantasy.to_json(history), list[Message])
    second = run(agent, streaming, None, messages=history, provider_options=options)
    assert second.text == "It is a library."
    request = (
        {"id": "mcpr_1"}
        if store
        else {
            "type": "mcp_approval_request",
            "id": "mcpr_1",
            "server_label": "deepwiki",
            "name": "ask_question",
            "arguments": '{"q":"may I"}',
        }
    )
    assert server.bodies[1]["input"][1:] == [
        request,
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": True},
    ]


def test_a_denied_mcp_approval_says_why() -> None:
    codec = openai.ResponsesCodec("gpt-5")
    call = ToolCallContent(
        "mcpr_1",
        "ask_question",
        "{}",
        provider_executed=True,
        provider_metadata={
            "openai": openai.McpApprovalRequestMetadata(
                item_id="mcpr_1", server_label="s", name="ask_question"
            )
        },
    )
    answer = openai.mcp_approval_response(call, approve=False, reason="not now")
    assert codec.to_input([answer], []) == [
        {
            "type": "mcp_approval_response",
            "approval_request_id": "mcpr_1",
            "approve": False,
            "reason": "not now",
        }
    ]


@FACES
def test_azure_responses_reads_hosted_tools_the_same_way(streaming: bool) -> None:
    from fantasy.providers import azure

    server = Server(response(CODE_INTERPRETER, message(output_text("4"))))
    model = azure.Provider(
        "https://res.openai.azure.com",
        api_key=KEY,
        use_responses_api=True,
        transport=httpx.MockTransport(server),
    ).language_model("gpt-5")
    result = run(fantasy.Agent(model, provider_tools=[openai.code_interpreter_tool()]), streaming)
    assert server.bodies[0]["tools"] == [
        {"type": "code_interpreter", "container": {"type": "auto"}}
    ]
    results = [c for c in result.response.content if isinstance(c, ToolResultContent)]
    assert isinstance(results[0].provider_metadata["openai"], openai.CodeInterpreterCallMetadata)


@pytest.mark.parametrize(
    ("tool", "choice", "sent"),
    [
        (lambda: openai.file_search_tool(["vs"]), "file_search", {"type": "file_search"}),
        (
            lambda: openai.custom_tool("python", _echo),
            "python",
            {"type": "custom", "name": "python"},
        ),
        (
            lambda: openai.mcp_tool("deepwiki", server_url="https://x"),
            "mcp.deepwiki",
            {"type": "mcp", "server_label": "deepwiki"},
        ),
        (lambda: openai.image_generation_tool(), "image_generation", {"type": "image_generation"}),
    ],
    ids=["file_search", "custom", "mcp", "image_generation"],
)
def test_a_hosted_tool_can_be_forced(tool: Callable[[], Any], choice: str, sent: Any) -> None:
    server = Server(response(message(output_text("ok"))))
    agent = fantasy.Agent(server.model(), provider_tools=[tool()])
    agent.generate("go", tool_choice=choice)
    assert server.bodies[0]["tool_choice"] == sent
