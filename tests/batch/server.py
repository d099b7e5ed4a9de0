"""A loopback server that plays the three batch APIs through their documented lifecycles.

OpenAI (``/v1/files``, ``/v1/batches``, ``/v1/files/{id}/content``), Anthropic
(``/v1/messages/batches``, ``.../results``) and Gemini
(``/v1beta/models/{m}:batchGenerateContent``, ``/v1beta/batches/{id}``), plus each
provider's live endpoint (chat completions, responses, messages, generateContent),
so a test can compare the body a live call posts with the one a batch carries.

Each status read moves a batch one state along its script (``openai_states``,
``anthropic_states``, ``gemini_states``). Requests are answered when the batch is
created, by ``respond(kind, body)``: a string is the answer's text, a dict a JSON
object (as text, or as the forced tool's input), an `Error` a refusal. Ids in
``unfinished`` never get an answer: they come back expired or cancelled. A threaded
``http.server`` on 127.0.0.1, checking each provider's credential header.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_KEY = "sk-batch-test-0123456789"
ANTHROPIC_KEY = "ak-batch-test-0123456789"
GEMINI_KEY = "gk-batch-test-0123456789"
TYPES = "type.googleapis.com/google.ai.generativelanguage.v1main"


@dataclass(slots=True)
class Error:
    """A request the provider refuses: its HTTP status and message."""

    status: int
    message: str
    kind: str = "invalid_request_error"


@dataclass(slots=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Batch:
    provider: str
    id: str
    items: list[tuple[str, Any]]
    """(id, answer or Error or None for unfinished)."""
    states: list[str]
    step: int = 0
    cancelled: bool = False
    endpoint: str = ""
    model: str = ""
    files: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.states[min(self.step, len(self.states) - 1)]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def last_user_text(kind: str, body: dict[str, Any]) -> str:
    if kind == "chat":
        return _text_of(body["messages"][-1].get("content"))
    if kind == "responses":
        last = body["input"][-1]
        return _text_of(last.get("content"))
    if kind == "anthropic":
        return _text_of(body["messages"][-1].get("content"))
    return _text_of(body["contents"][-1]["parts"])


def echo(kind: str, body: dict[str, Any]) -> Any:
    return f"echo: {last_user_text(kind, body)}"


class BatchServer:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.batches: dict[str, Batch] = {}
        self.files: dict[str, bytes] = {}
        self.respond: Callable[[str, dict[str, Any]], Any] = echo
        self.unfinished: set[str] = set()
        self.openai_states = ["validating", "in_progress", "finalizing", "completed"]
        self.anthropic_states = ["in_progress", "in_progress", "ended"]
        self.gemini_states = ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"]
        self.validation_error = ""
        """When set, OpenAI batches fail validation with this message."""
        self.status_failures = 0
        """Status reads answered 503 before the next one succeeds."""
        self.dropped: set[str] = set()
        """Ids the results leave out altogether (a provider's bug, or a lost line)."""
        self.results_url_base = ""
        """When set, Anthropic's ``results_url`` names this host instead of the server."""
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifetime

    def start(self) -> BatchServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.seen.append(Seen(self.command, self.path, headers, body))
                    status, payload, kind = server.route(self.command, self.path, headers, body)
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def bodies(self, path_end: str, method: str = "POST") -> list[bytes]:
        return [s.body for s in self.seen if s.method == method and s.path.endswith(path_end)]

    # ------------------------------------------------------------------ routing

    def route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        path, _, _query = path.partition("?")
        if path.startswith("/v1beta/"):
            if headers.get("x-goog-api-key") != GEMINI_KEY:
                return _json(
                    401, {"error": {"code": 401, "message": "bad key", "status": "UNAUTHENTICATED"}}
                )
            return self.gemini(method, path, body)
        if path.startswith("/v1/messages"):
            if headers.get("x-api-key") != ANTHROPIC_KEY or "anthropic-version" not in headers:
                return _json(
                    401,
                    {
                        "type": "error",
                        "error": {"type": "authentication_error", "message": "bad key"},
                    },
                )
            return self.anthropic(method, path, body)
        if headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return _json(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
        return self.openai(method, path, headers, body)

    def _answer(self, kind: str, body: dict[str, Any], custom_id: str = "") -> Any:
        if custom_id in self.unfinished:
            return None
        return self.respond(kind, body)

    def _status_fault(self) -> bool:
        if self.status_failures > 0:
            self.status_failures -= 1
            return True
        return False

    def _advance(self, batch: Batch) -> None:
        batch.step = min(batch.step + 1, len(batch.states) - 1)

    # ------------------------------------------------------------------ OpenAI

    def openai(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        if method == "POST" and path in ("/v1/chat/completions", "/v1/responses"):
            data = json.loads(body)
            kind = "chat" if path.endswith("completions") else "responses"
            return self._openai_reply(kind, data, self._answer(kind, data))
        if method == "POST" and path == "/v1/files":
            return self._upload(headers, body)
        if method == "POST" and path == "/v1/batches":
            data = json.loads(body)
            content = self.files.get(data["input_file_id"])
            if content is None:
                return _json(
                    404, {"error": {"message": "no such file", "type": "invalid_request_error"}}
                )
            items = []
            for line in content.decode().splitlines():
                entry = json.loads(line)
                assert entry["url"] == data["endpoint"], entry["url"]
                kind = "chat" if entry["url"].endswith("completions") else "responses"
                items.append(
                    (
                        entry["custom_id"],
                        (
                            kind,
                            entry["body"],
                            self._answer(kind, entry["body"], entry["custom_id"]),
                        ),
                    )
                )
            states = ["validating", "failed"] if self.validation_error else list(self.openai_states)
            batch = Batch(
                "openai", f"batch_{next(self._ids)}", items, states, endpoint=data["endpoint"]
            )
            self.batches[batch.id] = batch
            return _json(200, self._openai_batch(batch))
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "batches"] and len(parts) >= 3:
            batch = self.batches.get(parts[2])
            if batch is None:
                return _json(
                    404, {"error": {"message": "no such batch", "type": "invalid_request_error"}}
                )
            if method == "POST" and parts[3:] == ["cancel"]:
                batch.cancelled = True
                batch.states = ["cancelling", "cancelled"]
                batch.step = 0
                return _json(200, self._openai_batch(batch))
            if self._status_fault():
                return _json(503, {"error": {"message": "try later", "type": "server_error"}})
            answer = self._openai_batch(batch)
            self._advance(batch)
            return _json(200, answer)
        if method == "GET" and parts[:2] == ["v1", "files"] and parts[3:] == ["content"]:
            content = self.files.get(parts[2])
            if content is None:
                return _json(
                    404, {"error": {"message": "no such file", "type": "invalid_request_error"}}
                )
            return 200, content, "application/octet-stream"
        return _json(
            404,
            {"error": {"message": f"no route {method} {path}", "type": "invalid_request_error"}},
        )

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        boundary = headers["content-type"].split("boundary=", 1)[1].encode()
        fields: dict[str, bytes] = {}
        for part in body.split(b"--" + boundary)[1:-1]:
            head, _, content = part.partition(b"\r\n\r\n")
            name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            fields[name] = content[: -len(b"\r\n")]
        assert fields["purpose"] == b"batch", fields["purpose"]
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = fields["file"]
        return _json(
            200,
            {
                "id": file_id,
                "object": "file",
                "bytes": len(fields["file"]),
                "purpose": "batch",
                "filename": "batch.jsonl",
            },
        )

    def _openai_batch(self, batch: Batch) -> dict[str, Any]:
        state = batch.state
        terminal = state in ("completed", "expired", "cancelled", "failed")
        total = 0 if state in ("validating", "failed") else len(batch.items)
        done = [(i, a) for i, a in batch.items if a[2] is not None]
        ok = sum(1 for _, a in done if not isinstance(a[2], Error))
        bad = len(done) - ok
        if not terminal and state != "finalizing":
            ok, bad = (
                ok * batch.step // max(len(batch.states) - 1, 1),
                bad * batch.step // max(len(batch.states) - 1, 1),
            )
        if terminal and state != "failed":
            bad += sum(1 for _, a in batch.items if a[2] is None)
        obj: dict[str, Any] = {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": None,
            "input_file_id": "file-in",
            "completion_window": "24h",
            "status": state,
            "output_file_id": None,
            "error_file_id": None,
            "created_at": 1700000000,
            "request_counts": {"total": total, "completed": ok, "failed": bad},
            "metadata": None,
        }
        if state == "failed":
            obj["errors"] = {
                "object": "list",
                "data": [
                    {
                        "code": "invalid_request",
                        "message": self.validation_error,
                        "param": None,
                        "line": 1,
                    }
                ],
            }
        if terminal and state != "failed":
            obj["output_file_id"], obj["error_file_id"] = self._openai_files(batch)
        return obj

    def _openai_files(self, batch: Batch) -> tuple[str | None, str | None]:
        if not batch.files:
            out, err = [], []
            for custom_id, (kind, body, answer) in batch.items:
                if custom_id in self.dropped:
                    continue
                if answer is None:
                    code = "batch_cancelled" if batch.cancelled else "batch_expired"
                    err.append(
                        {
                            "id": f"batch_req_{custom_id}",
                            "custom_id": custom_id,
                            "response": None,
                            "error": {
                                "code": code,
                                "message": f"This request was not executed ({code}).",
                            },
                        }
                    )
                    continue
                status, payload, _ = self._openai_reply(kind, body, answer)
                line = {
                    "id": f"batch_req_{custom_id}",
                    "custom_id": custom_id,
                    "response": {
                        "status_code": status,
                        "request_id": "req_1",
                        "body": json.loads(payload),
                    },
                    "error": None,
                }
                (out if status < 400 else err).append(line)
            for name, lines in (("output", out), ("error", err)):
                if lines:
                    file_id = f"file-{name}-{next(self._ids)}"
                    self.files[file_id] = "".join(json.dumps(x) + "\n" for x in lines).encode()
                    batch.files[name] = file_id
        return batch.files.get("output"), batch.files.get("error")

    def _openai_reply(self, kind: str, body: dict[str, Any], answer: Any) -> tuple[int, bytes, str]:
        if isinstance(answer, Error):
            return _json(
                answer.status,
                {
                    "error": {
                        "message": answer.message,
                        "type": answer.kind,
                        "param": None,
                        "code": None,
                    }
                },
            )
        text = answer if isinstance(answer, str) else json.dumps(answer)
        usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        if kind == "chat":
            message: dict[str, Any] = {"role": "assistant", "content": text}
            choice = body.get("tool_choice")
            tool = choice if isinstance(choice, dict) else {}
            if choice == "required" and body.get("tools"):
                tool = body["tools"][0]
            if tool.get("type") == "function" and not isinstance(answer, str):
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": tool["function"]["name"], "arguments": text},
                        }
                    ],
                }
            return _json(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if "tool_calls" in message else "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
        return _json(
            200,
            {
                "id": "resp_1",
                "object": "response",
                "created_at": 1700000000,
                "status": "completed",
                "model": body["model"],
                "output": [
                    {
                        "type": "message",
                        "id": "msg_1",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10},
            },
        )

    # ------------------------------------------------------------------ Anthropic

    def anthropic(self, method: str, path: str, body: bytes) -> tuple[int, bytes, str]:
        if method == "POST" and path == "/v1/messages":
            data = json.loads(body)
            return self._anthropic_reply(data, self._answer("anthropic", data))
        if method == "POST" and path == "/v1/messages/batches":
            data = json.loads(body)
            items = [
                (
                    r["custom_id"],
                    (
                        "anthropic",
                        r["params"],
                        self._answer("anthropic", r["params"], r["custom_id"]),
                    ),
                )
                for r in data["requests"]
            ]
            batch = Batch(
                "anthropic", f"msgbatch_{next(self._ids):04d}", items, list(self.anthropic_states)
            )
            self.batches[batch.id] = batch
            return _json(200, self._anthropic_batch(batch))
        parts = path.strip("/").split("/")
        batch = self.batches.get(parts[3]) if len(parts) >= 4 else None
        if batch is None:
            return _json(
                404,
                {"type": "error", "error": {"type": "not_found_error", "message": "no such batch"}},
            )
        if method == "POST" and parts[4:] == ["cancel"]:
            batch.cancelled = True
            batch.states = ["canceling", "ended"]
            batch.step = 0
            return _json(200, self._anthropic_batch(batch))
        if method == "GET" and parts[4:] == ["results"]:
            if batch.state != "ended":
                return _json(
                    400,
                    {
                        "type": "error",
                        "error": {
                            "type": "invalid_request_error",
                            "message": "batch has not ended",
                        },
                    },
                )
            lines = []
            for custom_id, (_, params, answer) in batch.items:
                if custom_id in self.dropped:
                    continue
                if answer is None:
                    result: dict[str, Any] = {"type": "canceled" if batch.cancelled else "expired"}
                elif isinstance(answer, Error):
                    result = {
                        "type": "errored",
                        "error": {
                            "type": "error",
                            "error": {"type": answer.kind, "message": answer.message},
                        },
                    }
                else:
                    result = {
                        "type": "succeeded",
                        "message": json.loads(self._anthropic_reply(params, answer)[1]),
                    }
                lines.append(json.dumps({"custom_id": custom_id, "result": result}) + "\n")
            return 200, "".join(lines).encode(), "application/binary"
        if self._status_fault():
            return _json(
                529,
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        answer = self._anthropic_batch(batch)
        self._advance(batch)
        return _json(200, answer)

    def _anthropic_batch(self, batch: Batch) -> dict[str, Any]:
        ended = batch.state == "ended"
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for _, (_, _, answer) in batch.items:
            if not ended:
                counts["processing"] += 1
            elif answer is None:
                counts["canceled" if batch.cancelled else "expired"] += 1
            elif isinstance(answer, Error):
                counts["errored"] += 1
            else:
                counts["succeeded"] += 1
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.state,
            "request_counts": counts,
            "ended_at": "2026-11-29T12:00:00Z" if ended else None,
            "created_at": "2026-11-29T11:00:00Z",
            "expires_at": "2026-11-30T11:00:00Z",
            "cancel_initiated_at": "2026-11-29T11:30:00Z" if batch.cancelled else None,
            "archived_at": None,
            "results_url": (
                f"{self.results_url_base or self.url}/v1/messages/batches/{batch.id}/results"
                if ended
                else None
            ),
        }

    def _anthropic_reply(self, params: dict[str, Any], answer: Any) -> tuple[int, bytes, str]:
        if isinstance(answer, Error):
            return _json(
                answer.status,
                {"type": "error", "error": {"type": answer.kind, "message": answer.message}},
            )
        forced = params.get("tool_choice") or {}
        if forced.get("type") in ("tool", "any") and not isinstance(answer, str):
            name = forced.get("name") or params["tools"][0]["name"]
            content: list[dict[str, Any]] = [
                {"type": "tool_use", "id": "toolu_1", "name": name, "input": answer}
            ]
            stop = "tool_use"
        else:
            content = [
                {"type": "text", "text": answer if isinstance(answer, str) else json.dumps(answer)}
            ]
            stop = "end_turn"
        return _json(
            200,
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": params["model"],
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": 7, "output_tokens": 3},
            },
        )

    # ------------------------------------------------------------------ Gemini

    def gemini(self, method: str, path: str, body: bytes) -> tuple[int, bytes, str]:
        if method == "POST" and path.endswith(":generateContent"):
            data = json.loads(body)
            return self._gemini_reply(self._answer("gemini", data))
        if method == "POST" and path.endswith(":batchGenerateContent"):
            data = json.loads(body)["batch"]
            requests = data["input_config"]["requests"]["requests"]
            items = [
                (
                    r["metadata"]["key"],
                    (
                        "gemini",
                        r["request"],
                        self._answer("gemini", r["request"], r["metadata"]["key"]),
                    ),
                )
                for r in requests
            ]
            model = path.split("/models/", 1)[1].split(":", 1)[0]
            batch = Batch(
                "gemini",
                f"batches/b{next(self._ids)}",
                items,
                list(self.gemini_states),
                model=model,
            )
            self.batches[batch.id] = batch
            return _json(200, self._gemini_operation(batch))
        name = path.removeprefix("/v1beta/")
        cancel = name.endswith(":cancel")
        batch = self.batches.get(name.removesuffix(":cancel"))
        if batch is None:
            return _json(
                404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}
            )
        if cancel:
            batch.cancelled = True
            batch.states = ["BATCH_STATE_CANCELLED"]
            batch.step = 0
            return _json(200, {})
        if self._status_fault():
            return _json(
                503, {"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}}
            )
        answer = self._gemini_operation(batch)
        self._advance(batch)
        return _json(200, answer)

    def _gemini_operation(self, batch: Batch) -> dict[str, Any]:
        state = batch.state.replace("JOB_STATE_", "BATCH_STATE_")
        done = state in (
            "BATCH_STATE_SUCCEEDED",
            "BATCH_STATE_FAILED",
            "BATCH_STATE_CANCELLED",
            "BATCH_STATE_EXPIRED",
        )
        answered = [(i, a) for i, (_, _, a) in batch.items if a is not None]
        ok = (
            sum(1 for _, a in answered if not isinstance(a, Error))
            if state == "BATCH_STATE_SUCCEEDED"
            else 0
        )
        failed = len(answered) - ok if state == "BATCH_STATE_SUCCEEDED" else 0
        stats = {
            "requestCount": str(len(batch.items)),
            "successfulRequestCount": str(ok),
            "failedRequestCount": str(failed),
            "pendingRequestCount": str(len(batch.items) - ok - failed),
        }
        operation: dict[str, Any] = {
            "name": batch.id,
            "metadata": {
                "@type": f"{TYPES}.GenerateContentBatch",
                "model": f"models/{batch.model}",
                "displayName": "fantasy-batch",
                "createTime": "2026-11-29T11:00:00Z",
                "batchStats": stats,
                "state": batch.state,
                "name": batch.id,
            },
        }
        if done:
            operation["done"] = True
        if state == "BATCH_STATE_SUCCEEDED":
            responses = []
            for custom_id, (_, _, answer) in batch.items:
                if answer is None or custom_id in self.dropped:
                    continue
                if isinstance(answer, Error):
                    responses.append(
                        {
                            "error": {
                                "code": {400: 3, 429: 8}.get(answer.status, 13),
                                "message": answer.message,
                                "status": "INVALID_ARGUMENT",
                            },
                            "metadata": {"key": custom_id},
                        }
                    )
                else:
                    responses.append(
                        {
                            "response": json.loads(self._gemini_reply(answer)[1]),
                            "metadata": {"key": custom_id},
                        }
                    )
            operation["response"] = {
                "@type": f"{TYPES}.GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": responses},
            }
        return operation

    def _gemini_reply(self, answer: Any) -> tuple[int, bytes, str]:
        if isinstance(answer, Error):
            return _json(
                answer.status,
                {
                    "error": {
                        "code": answer.status,
                        "message": answer.message,
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return _json(
            200,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": text}]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": 7,
                    "candidatesTokenCount": 3,
                    "totalTokenCount": 10,
                },
                "modelVersion": "gemini-2.5-flash",
            },
        )


def _json(status: int, value: Any) -> tuple[int, bytes, str]:
    return status, json.dumps(value).encode(), "application/json"
