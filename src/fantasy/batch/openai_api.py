"""OpenAI's Batch API: the requests as a JSONL file (``POST /files``, purpose
``batch``), a batch over it (``POST /batches``), its status (``GET /batches/{id}``),
``POST /batches/{id}/cancel``, and the output and error files
(``GET /files/{id}/content``), one line per request keyed by ``custom_id``.

Each input line carries the body the live call would post, byte for byte, for the
endpoint the model uses (``/v1/chat/completions`` or ``/v1/responses``).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from fantasy.errors import InvalidArgumentError
from fantasy.http import shape
from fantasy.providers.openai.errors import error_from_response

from .requests import PreparedRequest
from .status import BatchItemError, BatchState, BatchStatus
from .wire import Outcome, Wire, check_size, encode, jsonl, only_headers

MAX_REQUESTS = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
ENDPOINTS = ("/v1/chat/completions", "/v1/responses")

_STATES = {
    "validating": BatchState.VALIDATING,
    "in_progress": BatchState.IN_PROGRESS,
    "finalizing": BatchState.FINALIZING,
    "completed": BatchState.COMPLETED,
    "failed": BatchState.FAILED,
    "expired": BatchState.EXPIRED,
    "cancelling": BatchState.CANCELLING,
    "cancelled": BatchState.CANCELLED,
}

_REASONS = {"batch_expired": "expired", "batch_cancelled": "cancelled"}


class OpenAIBatchAPI:
    def __init__(self, model: Any, completion_window: str = "24h"):
        self.provider: str = model.provider_name
        self.transport = model.transport
        self.base_url: str = self.transport.base_url
        self.endpoint = _endpoint(model.url, self.base_url)
        self.completion_window = completion_window
        self.wire = Wire(self.transport, self.provider, error_from_response)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    async def create(self, items: list[PreparedRequest], name: str) -> BatchStatus:
        check_size(items, "OpenAI's Batch API", MAX_REQUESTS, MAX_FILE_BYTES)
        only_headers(items, frozenset(), self.provider)
        endpoint = encode(self.endpoint)
        lines = [
            b'{"custom_id":%s,"method":"POST","url":%s,"body":%s}\n'
            % (encode(item.id), endpoint, item.body)
            for item in items
        ]
        file = await self._upload(b"".join(lines), f"{name}.jsonl")
        body: dict[str, Any] = {
            "input_file_id": shape.text(file, "id"),
            "endpoint": self.endpoint,
            "completion_window": self.completion_window,
        }
        if name:
            body["metadata"] = {"name": name}
        batch = await self.wire.json("POST", self._url("batches"), encode(body))
        return self._status(batch)

    async def _upload(self, content: bytes, filename: str) -> dict[str, Any]:
        boundary = f"fantasy-{uuid.uuid4().hex}"
        parts = [
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="purpose"\r\n\r\n'
            "batch\r\n".encode(),
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/jsonl\r\n\r\n".encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return await self.wire.json("POST", self._url("files"), b"".join(parts), headers)

    async def status(self, batch_id: str) -> BatchStatus:
        return self._status(await self.wire.json("GET", self._url(f"batches/{_id(batch_id)}")))

    async def cancel(self, batch_id: str) -> BatchStatus:
        url = self._url(f"batches/{_id(batch_id)}/cancel")
        return self._status(await self.wire.json("POST", url, b"{}"))

    def _status(self, batch: dict[str, Any]) -> BatchStatus:
        raw_state = shape.text(batch, "status")
        counts = shape.obj(batch, "request_counts")
        errors = shape.obj(batch, "errors")
        messages = [
            shape.text(e, "message", "errors.data[]")
            for e in shape.objects(errors, "data", "errors")
        ]
        return BatchStatus(
            id=shape.text(batch, "id"),
            state=_STATES.get(raw_state, BatchState.IN_PROGRESS),
            provider_state=raw_state,
            total=shape.integer(counts, "total", "request_counts"),
            succeeded=shape.integer(counts, "completed", "request_counts"),
            failed=shape.integer(counts, "failed", "request_counts"),
            error="; ".join(m for m in messages if m),
            raw=batch,
        )

    async def outcomes(self, status: BatchStatus) -> list[Outcome]:
        found: list[Outcome] = []
        for key in ("output_file_id", "error_file_id"):
            file_id = shape.text(status.raw, key)
            if not file_id:
                continue
            url = self._url(f"files/{_id(file_id)}/content")
            resp = await self.wire.send("GET", url)
            found.extend(self._outcome(line) for line in jsonl(resp.content, self.provider, url))
        return found

    def _outcome(self, line: dict[str, Any]) -> Outcome:
        custom_id = shape.text(line, "custom_id")
        error = shape.obj(line, "error")
        if error:
            code = shape.text(error, "code", "error")
            message = shape.text(error, "message", "error") or code
            reason = _REASONS.get(code, "failed")
            return Outcome(
                custom_id,
                error=BatchItemError(message, reason=reason, request_id=custom_id, code=code),
            )
        response = shape.obj(line, "response")
        status_code = shape.integer(response, "status_code", "response")
        body = response.get("body")
        if status_code >= 400:
            return Outcome(custom_id, error=self.wire.item_error(status_code, body))
        return Outcome(custom_id, body=shape.as_object(body, "response.body"))


def _endpoint(model_url: str, base_url: str) -> str:
    """``/v1/chat/completions`` or ``/v1/responses``: the model's path under the base URL."""
    path = urlsplit(model_url).path
    base = urlsplit(base_url).path.rstrip("/")
    endpoint = "/v1" + path[len(base) :] if path.startswith(base) else path
    if endpoint not in ENDPOINTS:
        raise InvalidArgumentError(
            f"OpenAI's Batch API takes {' or '.join(ENDPOINTS)}; this model posts to {model_url!r}"
        )
    return endpoint


def _id(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise InvalidArgumentError(f"not an OpenAI batch or file id: {value!r}")
    return quote(value, safe="")
