"""Gemini's batch mode with inline requests: ``POST {model}:batchGenerateContent``
(each request the body the live ``generateContent`` would post, with its id as
``metadata.key``), a long-running operation read with ``GET {version}/batches/{id}``
(``metadata.state``: ``BATCH_STATE_*``, or ``JOB_STATE_*`` as the SDKs name them;
``metadata.batchStats``), ``POST .../batches/{id}:cancel``, and the answers inline in
``response.inlinedResponses.inlinedResponses`` (each a ``response`` or an ``error``).

Vertex AI runs batch prediction jobs over Cloud Storage instead: not driven here.
"""

from __future__ import annotations

import re
from typing import Any

from fantasy.errors import InvalidArgumentError
from fantasy.http import shape
from fantasy.providers.google.errors import error_from_response

from .requests import PreparedRequest
from .status import BatchItemError, BatchState, BatchStatus
from .wire import Outcome, Wire, check_size, encode, only_headers

MAX_REQUESTS = 100_000
MAX_INLINE_BYTES = 20 * 1000 * 1000
"""Inline requests may total 20 MB (Gemini's batch mode guide)."""

_STATES = {
    "UNSPECIFIED": BatchState.VALIDATING,
    "QUEUED": BatchState.VALIDATING,
    "PENDING": BatchState.VALIDATING,
    "RUNNING": BatchState.IN_PROGRESS,
    "PAUSED": BatchState.IN_PROGRESS,
    "UPDATING": BatchState.IN_PROGRESS,
    "SUCCEEDED": BatchState.COMPLETED,
    "PARTIALLY_SUCCEEDED": BatchState.COMPLETED,
    "FAILED": BatchState.FAILED,
    "CANCELLING": BatchState.CANCELLING,
    "CANCELLED": BatchState.CANCELLED,
    "EXPIRED": BatchState.EXPIRED,
}

GRPC_STATUSES = {
    1: 499,
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    15: 500,
    16: 401,
}
"""A per-request error is a ``google.rpc.Status`` (its ``code`` is gRPC's): the HTTP
status the live call would have had, so the error reads as the live one."""

_NAME = re.compile(r"^batches/[A-Za-z0-9_-]+$")


class GeminiBatchAPI:
    def __init__(self, model: Any):
        if model.auth is not None:
            raise InvalidArgumentError(
                "Gemini's batch mode is the Gemini API's; on Vertex AI batches are batch "
                "prediction jobs, which fantasy.batch does not drive"
            )
        self.provider: str = model.provider_name
        generate_url: str = model.generate_url
        self.create_url = generate_url.removesuffix(":generateContent") + ":batchGenerateContent"
        head, found, _ = generate_url.rpartition("/models/")
        if not found:
            head = generate_url.rpartition("/tunedModels/")[0]
        self.api_root = head
        self.wire = Wire(model.transport, self.provider, error_from_response)

    async def create(self, items: list[PreparedRequest], name: str) -> BatchStatus:
        check_size(items, "Gemini's batch mode (inline requests)", MAX_REQUESTS, MAX_INLINE_BYTES)
        only_headers(items, frozenset(), self.provider)
        requests = b",".join(
            b'{"request":%s,"metadata":{"key":%s}}' % (item.body, encode(item.id)) for item in items
        )
        body = b'{"batch":{"display_name":%s,"input_config":{"requests":{"requests":[%s]}}}}' % (
            encode(name or "fantasy-batch"),
            requests,
        )
        return self._status(await self.wire.json("POST", self.create_url, body))

    async def status(self, batch_id: str) -> BatchStatus:
        return self._status(await self.wire.json("GET", f"{self.api_root}/{_name(batch_id)}"))

    async def cancel(self, batch_id: str) -> BatchStatus:
        await self.wire.json("POST", f"{self.api_root}/{_name(batch_id)}:cancel", b"{}")
        return await self.status(batch_id)

    def _status(self, operation: dict[str, Any]) -> BatchStatus:
        metadata = shape.obj(operation, "metadata")
        raw_state = shape.text(metadata, "state", "metadata")
        bare = raw_state.removeprefix("BATCH_STATE_").removeprefix("JOB_STATE_")
        state = _STATES.get(bare, BatchState.IN_PROGRESS)
        if shape.boolean(operation, "done") and not state.terminal:
            state = BatchState.FAILED if operation.get("error") else BatchState.COMPLETED
        stats = shape.obj(metadata, "batchStats", "metadata")
        total = _count(stats, "requestCount")
        error = shape.obj(operation, "error")
        return BatchStatus(
            id=shape.text(operation, "name") or shape.text(metadata, "name", "metadata"),
            state=state,
            provider_state=raw_state,
            total=total,
            succeeded=_count(stats, "successfulRequestCount"),
            failed=_count(stats, "failedRequestCount"),
            error=shape.text(error, "message", "error"),
            raw=operation,
        )

    async def outcomes(self, status: BatchStatus) -> list[Outcome]:
        raw = status.raw
        output = shape.obj(raw, "response") or shape.obj(
            shape.obj(raw, "metadata"), "output", "metadata"
        )
        inlined = shape.obj(output, "inlinedResponses", "response")
        found: list[Outcome] = []
        for index, item in enumerate(
            shape.objects(inlined, "inlinedResponses", "response.inlinedResponses")
        ):
            key = shape.text(shape.obj(item, "metadata"), "key", "metadata") or f"#{index}"
            if "error" in item and item["error"] is not None:
                error = shape.obj(item, "error")
                code = shape.integer(error, "code", "error")
                http = GRPC_STATUSES.get(code, code if code >= 400 else 500)
                # The live API's error body carries the HTTP status as its code.
                body = {"error": {**error, "code": http}}
                found.append(Outcome(key, error=self.wire.item_error(http, body)))
            elif "response" in item:
                found.append(Outcome(key, body=shape.obj(item, "response")))
            else:
                found.append(
                    Outcome(
                        key,
                        error=BatchItemError(
                            "the batch returned neither a response nor an error",
                            reason="missing",
                            request_id=key,
                        ),
                    )
                )
        return found


def _count(stats: dict[str, Any], key: str) -> int:
    """Gemini's counts are int64, sent as strings."""
    value = stats.get(key)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return shape.integer(stats, key, "metadata.batchStats")


def _name(value: str) -> str:
    name = value if value.startswith("batches/") else f"batches/{value}"
    if not _NAME.match(name):
        raise InvalidArgumentError(f"not a Gemini batch name: {value!r} (batches/<id>)")
    return name
