"""Anthropic's hosted tools and the stream shapes of issue 15: tools requested with their
beta flags, provider-executed calls and results read on both paths and replayed in the
next request (also after saving and loading), citations, and the stream's odd shapes
(a tool's input in content_block_start, the whole message in message_start, MCP
deltas, deltas under the wrong index)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.robustness.fixtures_anthropic import (
    ADVISOR,
    BASH_AND_EDITOR,
    CODE_EXECUTION,
    DOCUMENT_CITATIONS,
    MCP,
    TOOL_SEARCH,
    TOOL_USE,
    WEB_FETCH,
    events_of,
    message,
    stream_of,
)

import fantasy
from fantasy.errors import InvalidResponseError
from fantasy.model import Call
from fantasy.providers import anthropic
from fantasy.providers.anthropic.stream import StreamTranslator
from fantasy.types import (
    FunctionTool,
    Message,
    Role,
    SourceContent,
    SourceType,
    StreamPart,
    StreamPartType,
    TextPart,
    ToolCallContent,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
)

T = StreamPartType
KEY = "sk-ant-test-0123456789abcdef"


class Server:
    """Answers every request with the next of ``answers`` and keeps the requests."""

    def __init__(self, *answers: dict[str, Any] | bytes):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
        else:
            answer = message({"type": "text", "text": "ok"})
            if json.loads(request.content).get("stream"):
                answer = stream_of(answer)
        if isinstance(answer, bytes):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=answer
            )
        return httpx.Response(200, json=answer)

    def body(self, n: int = -1) -> dict[str, Any]:
        value = json.loads(self.requests[n].content)
        assert isinstance(value, dict)
        return value


def model(server: Server) -> fantasy.LanguageModel:
    provider = anthropic.Provider(
        KEY, base_url="http://anthropic.test", transport=httpx.MockTransport(server)
    )
    return provider.language_model("claude-sonnet-4-5")


def translate(*events: dict[str, Any]) -> list[StreamPart]:
    translator = StreamTranslator("anthropic", [])
    parts: list[StreamPart] = []
    for event in events:
        parts.extend(translator.feed(event))
    parts.extend(translator.finish())
    return parts


START = {
    "type": "message_start",
    "message": {"id": "msg_1", "content": [], "usage": {"input_tokens": 1, "output_tokens": 1}},
}
END = [
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
]


# =========================================================================== stream shapes


def test_tool_input_given_whole_in_content_block_start_is_kept() -> None:
    block = {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Rome"}}
    parts = translate(
        START,
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_stop", "index": 0},
        *END,
    )
    [call] = [p for p in parts if p.type is T.TOOL_CALL]
    assert json.loads(call.tool_call_input) == {"city": "Rome"}


def test_deltas_replace_the_input_given_in_content_block_start() -> None:
    block = {"type": "tool_use", "id": "t1", "name": "weather", "input": {"stale": 1}}
    parts = translate(
        START,
        {"type": "content_block_start", "index": 0, "content_block": block},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Rome"}'},
        },
        {"type": "content_block_stop", "index": 0},
        *END,
    )
    [call] = [p for p in parts if p.type is T.TOOL_CALL]
    assert json.loads(call.tool_call_input) == {"city": "Rome"}


def test_whole_message_in_message_start_finishes() -> None:
    parts = translate({"type": "message_start", "message": TOOL_USE})
    assert parts[-1].type is T.FINISH
    assert parts[-1].raw_finish_reason == "tool_use"
    calls = [p for p in parts if p.type is T.TOOL_CALL]
    assert [(c.id, json.loads(c.tool_call_input)) for c in calls] == [
        ("toolu_01", {"location": "Florence, Italy", "unit": "c"}),
        ("toolu_02", {}),
    ]


def test_mcp_tool_use_deltas_are_the_calls_own_input() -> None:
    parts = translate(*events_of(MCP))
    inputs = [p for p in parts if p.type in (T.TOOL_INPUT_START, T.TOOL_INPUT_DELTA)]
    assert inputs and all(p.id in ("mcptoolu_01", "mcptoolu_02") for p in inputs)
    assert all(p.provider_executed for p in inputs)
    assert [p.type for p in parts if p.id == "mcptoolu_01"][:2] == [
        T.TOOL_INPUT_START,
        T.TOOL_INPUT_DELTA,
    ]
    [first, _] = [p for p in parts if p.type is T.TOOL_CALL]
    assert json.loads(first.tool_call_input) == {"text": "hello"}
    assert first.provider_metadata == {
        "anthropic": anthropic.MCPToolUseMetadata(server_name="example-mcp")
    }


def _tool_then_delta_at(index: int) -> list[dict[str, Any]]:
    return [
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "t1", "name": "weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Rome"}'},
        },
    ]


@pytest.mark.parametrize(
    ("index", "says"),
    [(0, "index 0, whose block is a text block"), (3, "index 3, where no content block")],
)
def test_a_delta_under_another_index_is_an_error_naming_it(index: int, says: str) -> None:
    with pytest.raises(InvalidResponseError, match=says):
        translate(*_tool_then_delta_at(index))


def test_a_delta_under_another_index_fails_the_agent_stream() -> None:
    raw = fantasy_sse(*_tool_then_delta_at(0), *END)
    agent = fantasy.Agent(model(Server(raw)), max_retries=0)
    with pytest.raises(InvalidResponseError, match="index 0"):
        agent.stream("go").result  # noqa: B018


def fantasy_sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def test_thinking_left_open_closes_when_the_next_block_begins_and_at_the_end() -> None:
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    parts = translate(
        START,
        {"type": "content_block_start", "index": 0, "content_block": thinking},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "a"},
        },
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "b"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_stop", "index": 0},  # late: already closed
        {"type": "content_block_start", "index": 2, "content_block": thinking},
        *END,
    )
    assert [p.type for p in parts] == [
        T.REASONING_START,
        T.REASONING_DELTA,
        T.REASONING_END,
        T.TEXT_START,
        T.TEXT_DELTA,
        T.TEXT_END,
        T.REASONING_START,
        T.REASONING_END,
        T.FINISH,
    ]


# =========================================================================== tools requested


def _first_request(tools: list[Any], **options: Any) -> tuple[dict[str, Any], httpx.Request]:
    server = Server()
    agent = fantasy.Agent(model(server), provider_tools=tools)
    provider_options = {"anthropic": anthropic.ProviderOptions(**options)} if options else None
    agent.generate("go", provider_options=provider_options)
    return server.body(0), server.requests[0]


def test_hosted_tools_are_sent_with_their_beta_flags() -> None:
    body, request = _first_request(
        [
            anthropic.web_fetch_tool(
                max_uses=2, allowed_domains=["example.com"], citations=True, max_content_tokens=900
            ),
            anthropic.code_execution_tool(),
            anthropic.tool_search_tool("bm25"),
        ]
    )
    assert body["tools"] == [
        {
            "name": "web_fetch",
            "type": "web_fetch_20250910",
            "allowed_domains": ["example.com"],
            "citations": {"enabled": True},
            "max_content_tokens": 900,
            "max_uses": 2,
        },
        {"name": "code_execution", "type": "code_execution_20250825"},
        {"name": "tool_search_tool_bm25", "type": "tool_search_tool_bm25_20251119"},
    ]
    assert request.url.params["beta"] == "true"
    assert request.headers["anthropic-beta"] == (
        "web-fetch-2025-09-10,code-execution-2025-08-25,advanced-tool-use-2025-11-20"
    )


def test_client_side_anthropic_tools() -> None:
    def run(call: fantasy.ToolCall) -> str:
        return "ok"

    body, request = _first_request(
        [
            anthropic.memory_tool(run),
            anthropic.bash_tool(run),
            anthropic.text_editor_tool(run, max_characters=5000),
        ]
    )
    assert body["tools"] == [
        {"name": "memory", "type": "memory_20250818"},
        {"name": "bash", "type": "bash_20250124"},
        {
            "name": "str_replace_based_edit_tool",
            "type": "text_editor_20250728",
            "max_characters": 5000,
        },
    ]
    assert request.headers["anthropic-beta"] == "context-management-2025-06-27"


def test_memory_tool_calls_run_on_the_client() -> None:
    seen: list[anthropic.MemoryCommand] = []

    def run(call: fantasy.ToolCall) -> str:
        seen.append(anthropic.parse_memory_command(call.input))
        return "saved"

    call = {
        "type": "tool_use",
        "id": "toolu_m",
        "name": "memory",
        "input": {"command": "create", "path": "/memories/a.md", "file_text": "hi"},
    }
    server = Server(message(call, stop="tool_use"))
    result = fantasy.Agent(model(server), provider_tools=[anthropic.memory_tool(run)]).generate(
        "remember"
    )
    assert seen == [
        anthropic.MemoryCommand(command="create", path="/memories/a.md", file_text="hi")
    ]
    assert server.body(1)["messages"][-1]["content"] == [
        {
            "content": [{"text": "saved", "type": "text"}],
            "tool_use_id": "toolu_m",
            "type": "tool_result",
        }
    ]
    assert result.text == "ok"


def test_parse_memory_command_rejects_malformed_input() -> None:
    assert anthropic.parse_memory_command(
        '{"command": "view", "path": "/memories", "view_range": [1, 5]}'
    ).view_range == (1, 5)
    with pytest.raises(ValueError, match="insert_line"):
        anthropic.parse_memory_command('{"command": "insert", "insert_line": "x"}')
    with pytest.raises(ValueError):
        anthropic.parse_memory_command("[]")


def test_deferred_function_tools_for_tool_search() -> None:
    weather = FunctionTool(
        "weather",
        "Weather",
        {"type": "object", "properties": {}},
        provider_options=anthropic.defer_loading(),
    )
    server = Server()
    model(server).generate(Call(prompt=[Message(Role.USER, [TextPart("go")])], tools=[weather]))
    assert server.body(0)["tools"][0]["defer_loading"] is True


def test_mcp_servers_become_servers_and_toolsets_on_the_beta_api() -> None:
    body, request = _first_request(
        [],
        mcp_servers=[
            anthropic.MCPServer(
                name="cal",
                url="https://mcp.example/sse",
                authorization_token="tok",
                allowed_tools=["list_events"],
            ),
            anthropic.MCPServer(name="docs", url="https://docs.example/mcp", blocked_tools=["rm"]),
            anthropic.MCPServer(name="all", url="https://all.example/mcp"),
        ],
        container="container_011CRx",
    )
    assert body["mcp_servers"] == [
        {
            "name": "cal",
            "type": "url",
            "url": "https://mcp.example/sse",
            "authorization_token": "tok",
        },
        {"name": "docs", "type": "url", "url": "https://docs.example/mcp"},
        {"name": "all", "type": "url", "url": "https://all.example/mcp"},
    ]
    assert body["tools"] == [
        {
            "mcp_server_name": "cal",
            "type": "mcp_toolset",
            "default_config": {"enabled": False},
            "configs": {"list_events": {"enabled": True}},
        },
        {"mcp_server_name": "docs", "type": "mcp_toolset", "configs": {"rm": {"enabled": False}}},
        {"mcp_server_name": "all", "type": "mcp_toolset"},
    ]
    assert body["container"] == "container_011CRx"
    assert request.headers["anthropic-beta"] == "mcp-client-2025-11-20"
    assert "tok" not in repr(anthropic.MCPServer(name="x", url="u", authorization_token="tok"))


# =========================================================================== results read


def test_results_are_readable() -> None:
    server = Server(CODE_EXECUTION, WEB_FETCH, BASH_AND_EDITOR, TOOL_SEARCH, MCP, ADVISOR)
    m = model(server)
    prompt = [Message(Role.USER, [TextPart("go")])]

    def results(n: int) -> list[ToolResultContent]:
        response = m.generate(Call(prompt=prompt))
        if n == 0:
            metadata = response.provider_metadata["anthropic"]
            assert metadata == anthropic.MessageMetadata(
                container_id="container_011CRx", container_expires_at="2025-08-25T11:30:00Z"
            )
        return [c for c in response.content if isinstance(c, ToolResultContent)]

    code, encrypted, failed = results(0)
    assert code.result == ToolResultOutputText("4\n")
    meta = code.provider_metadata["anthropic"]  # type: ignore[index]
    assert isinstance(meta, anthropic.ServerToolResultMetadata)
    assert (meta.stdout, meta.stderr, meta.return_code, meta.file_ids) == (
        "4\n",
        "",
        0,
        ["file_01"],
    )
    assert encrypted.result == ToolResultOutputText("")
    assert failed.result == ToolResultOutputError("execution_time_exceeded")
    assert failed.provider_metadata["anthropic"].error_code == "execution_time_exceeded"  # type: ignore[index]

    page, blocked = results(1)
    assert page.result == ToolResultOutputText("Full text.")
    assert page.provider_metadata["anthropic"].url == "https://example.com/article"  # type: ignore[index]
    assert blocked.result == ToolResultOutputError("url_not_accessible")

    bash, bash_error, view, create, replace, missing = results(2)
    assert bash.result == ToolResultOutputText("total 0\n")
    assert bash_error.result == ToolResultOutputError("unavailable")
    assert view.result == ToolResultOutputText("print('hi')\n")
    assert create.result == ToolResultOutputText("created")
    assert replace.result == ToolResultOutputText("-x = 1\n+x = 2")
    assert missing.result == ToolResultOutputError("File not found: /missing")

    found, bad = results(3)
    assert found.result == ToolResultOutputText("get_weather")
    assert found.provider_metadata["anthropic"].tool_names == ["get_weather"]  # type: ignore[index]
    assert bad.result == ToolResultOutputError("bad regex")

    echo, fail = results(4)
    assert (echo.tool_name, echo.result) == ("echo", ToolResultOutputText("hello"))
    assert (fail.tool_name, fail.result) == ("fail", ToolResultOutputError("boom"))

    advice, redacted = results(5)
    assert advice.result == ToolResultOutputText("Check the edge cases.")
    assert redacted.result == ToolResultOutputText("")


def test_document_citations_are_sources_and_text_metadata() -> None:
    server = Server(DOCUMENT_CITATIONS)
    response = model(server).generate(Call(prompt=[Message(Role.USER, [TextPart("go")])]))
    first = response.content[0]
    citations = first.provider_metadata["anthropic"].citations  # type: ignore[union-attr]
    assert citations[0] == anthropic.Citation(
        type="page_location",
        cited_text="Grass is green.",
        document_index=1,
        document_title="Report",
        start=2,
        end=3,
    )
    sources = [c for c in response.content if isinstance(c, SourceContent)]
    assert [(s.source_type, s.id, s.title, s.media_type) for s in sources] == [
        (SourceType.DOCUMENT, "document-1", "Report", "application/pdf"),
        (SourceType.DOCUMENT, "file_07", "", ""),
        (SourceType.URL, "https://kb.example/sky", "Sky", ""),
        (SourceType.DOCUMENT, "kb://internal/sky", "", ""),
    ]


# =========================================================================== replay


HOSTED = {
    "web fetch": WEB_FETCH,
    "code execution": CODE_EXECUTION,
    "bash and text editor": BASH_AND_EDITOR,
    "tool search": {
        **TOOL_SEARCH,
        "content": [b for b in TOOL_SEARCH["content"] if b["type"] != "tool_use"],
        "stop_reason": "end_turn",
    },
    "mcp": MCP,
    "advisor": ADVISOR,
}


def _replayed(answer: dict[str, Any], *, streamed: bool, saved: bool) -> list[dict[str, Any]]:
    server = Server(stream_of(answer) if streamed else answer)
    agent = fantasy.Agent(model(server), max_steps=1)
    if streamed:
        stream = agent.stream("go")
        result = stream.result
    else:
        result = agent.generate("go")
    history = result.all_messages()
    if saved:
        history = fantasy.from_json(fantasy.to_json(history), list[Message])
    agent.generate("again", messages=history)
    assistant = server.body()["messages"][1]
    assert assistant["role"] == "assistant"
    return list(assistant["content"])


def _expected_replay(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's blocks as they must go back: calls and results verbatim, text
    without its citations (as Fantasy sends text)."""
    out = []
    for block in answer["content"]:
        if block["type"] == "text":
            out.append({"text": block["text"], "type": "text"})
        elif block["type"] == "mcp_tool_result":
            out.append({k: block[k] for k in ("content", "is_error", "tool_use_id", "type")})
        elif block["type"].endswith("_tool_result"):
            out.append({k: block[k] for k in ("content", "tool_use_id", "type")})
        else:
            out.append(block)
    return out


@pytest.mark.parametrize("saved", [False, True], ids=["in-memory", "saved-and-loaded"])
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
@pytest.mark.parametrize("name", HOSTED)
def test_hosted_calls_and_results_replay_verbatim(name: str, streamed: bool, saved: bool) -> None:
    answer = HOSTED[name]
    sent = _replayed(answer, streamed=streamed, saved=saved)
    expected = _expected_replay(answer)
    assert [json_norm(b) for b in sent] == [json_norm(b) for b in expected]


def json_norm(block: dict[str, Any]) -> Any:
    """Inputs compare as JSON values (a server call's keys may be re-sorted)."""
    return json.loads(json.dumps(block, sort_keys=True))


def test_content_is_typed_after_saving() -> None:
    server = Server(MCP)
    result = fantasy.Agent(model(server)).generate("go")
    loaded = fantasy.from_json(fantasy.to_json(result.all_messages()), list[Message])
    parts = loaded[-1].content
    call = next(p for p in parts if getattr(p, "tool_call_id", "") == "mcptoolu_01")
    assert call.provider_options == {
        "anthropic": anthropic.MCPToolUseMetadata(server_name="example-mcp")
    }
    assert isinstance(result.response.content[0], ToolCallContent)


def test_tool_search_uses_the_clouds_own_beta_flag() -> None:
    from fantasy.providers.anthropic.platforms import BedrockPlatform, Platform, VertexPlatform

    betas = ["advanced-tool-use-2025-11-20", "code-execution-2025-08-25"]
    bedrock = BedrockPlatform("us-east-1").prepare({"model": "m"}, stream=False, betas=betas)
    assert bedrock.body["anthropic_beta"] == [
        "tool-search-tool-2025-10-19",
        "code-execution-2025-08-25",
    ]
    vertex = VertexPlatform("p", "us-east5").prepare({"model": "m"}, stream=False, betas=betas)
    assert vertex.headers == {
        "anthropic-beta": "tool-search-tool-2025-10-19,code-execution-2025-08-25"
    }
    direct = Platform().prepare({"model": "m"}, stream=False, betas=betas)
    assert direct.headers == {"anthropic-beta": ",".join(betas)}


PROGRAMMATIC = message(
    {
        "type": "server_tool_use",
        "id": "srvtoolu_20",
        "name": "code_execution",
        "input": {"code": "await weather(city='Rome')"},
    },
    {
        "type": "tool_use",
        "id": "toolu_20",
        "name": "weather",
        "input": {"city": "Rome"},
        "caller": {"type": "code_execution_20250825", "tool_id": "srvtoolu_20"},
    },
    stop="tool_use",
)


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
def test_programmatic_tool_calls_go_back_with_their_caller(streamed: bool) -> None:
    @fantasy.tool(
        description="Weather",
        provider_options={
            "anthropic": anthropic.ToolOptions(allowed_callers=["code_execution_20250825"])
        },
    )
    def weather(city: str) -> str:
        return "sunny"

    server = Server(stream_of(PROGRAMMATIC) if streamed else PROGRAMMATIC)
    agent = fantasy.Agent(
        model(server), tools=[weather], provider_tools=[anthropic.code_execution_tool()]
    )
    if streamed:
        agent.stream("go").result  # noqa: B018
    else:
        agent.generate("go")
    first = server.body(0)
    assert first["tools"][0]["allowed_callers"] == ["code_execution_20250825"]
    assistant = server.body(1)["messages"][1]["content"]
    assert [b["type"] for b in assistant] == ["server_tool_use", "tool_use"]
    assert "caller" not in assistant[0]  # the model's own call: no caller sent
    assert assistant[1]["caller"] == {"type": "code_execution_20250825", "tool_id": "srvtoolu_20"}
