"""Anthropic's Message Batches: ``POST /v1/messages/batches`` with the requests inline
(``custom_id`` and ``params``, the body the live call would post), ``GET
/v1/messages/batches/{id}`` (``processing_status`` ``in_progress``, ``canceling``,
``ended``), ``POST .../{id}/cancel``, and the results, JSON Lines at ``results_url``
(``succeeded`` with the message, ``errored`` with the API's error, ``canceled``,
``expired``).

Beta flags the live calls would send (computer use, MCP) go once, on the batch.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fantasy.errors import InvalidArgumentError
from fantasy.http import shape
from fantasy.providers.anthropic.errors import error_from_response

from .requests import PreparedRequest
from .status import BatchItemError, BatchState, BatchStatus
from .wire import Outcome, Wire, check_size, encode, jsonl, only_headers

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1000 * 1000

ERROR_STATUSES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
"""The HTTP status each of Anthropic's error types comes with on the live API: an
errored request is read as the live call would have read its error."""


class AnthropicBatchAPI:
    def __init__(self, model: Any):
        platform = model.platform
        if platform.name != "anthropic":
            raise InvalidArgumentError(
                f"Message Batches are Anthropic's API; Claude on {platform.name} has batch "
                "jobs of its own, which fantasy.batch does not drive"
            )
        self.provider: str = model.provider_name
        self.base_url: str = platform.base_url
        self.wire = Wire(model.transport, self.provider, error_from_response)

    def _url(self, path: str = "") -> str:
        return f"{self.base_url}/v1/messages/batches{path}"

    async def create(self, items: list[PreparedRequest], name: str) -> BatchStatus:
        check_size(items, "Anthropic's Message Batches API", MAX_REQUESTS, MAX_BYTES)
        only_headers(items, frozenset({"anthropic-beta"}), self.provider)
        betas: list[str] = []
        for item in items:
            for flag in next(
                (v for k, v in item.headers.items() if k.lower() == "anthropic-beta"), ""
            ).split(","):
                if flag and flag not in betas:
                    betas.append(flag)
        requests = b",".join(
            b'{"custom_id":%s,"params":%s}' % (encode(item.id), item.body) for item in items
        )
        headers = {"anthropic-beta": ",".join(betas)} if betas else None
        url = self._url("?beta=true" if betas else "")
        batch = await self.wire.json("POST", url, b'{"requests":[%s]}' % requests, headers)
        return self._status(batch)

    async def status(self, batch_id: str) -> BatchStatus:
        return self._status(await self.wire.json("GET", self._url(f"/{_id(batch_id)}")))

    async def cancel(self, batch_id: str) -> BatchStatus:
        return self._status(await self.wire.json("POST", self._url(f"/{_id(batch_id)}/cancel")))

    def _status(self, batch: dict[str, Any]) -> BatchStatus:
        raw_state = shape.text(batch, "processing_status")
        counts = shape.obj(batch, "request_counts")
        count = {
            k: shape.integer(counts, k, "request_counts")
            for k in ("processing", "succeeded", "errored", "canceled", "expired")
        }
        if raw_state == "ended":
            state = (
                BatchState.CANCELLED
                if shape.text(batch, "cancel_initiated_at")
                else BatchState.COMPLETED
            )
        elif raw_state == "canceling":
            state = BatchState.CANCELLING
        else:
            state = BatchState.IN_PROGRESS
        return BatchStatus(
            id=shape.text(batch, "id"),
            state=state,
            provider_state=raw_state,
            total=sum(count.values()),
            succeeded=count["succeeded"],
            failed=count["errored"] + count["canceled"] + count["expired"],
            raw=batch,
        )

    async def outcomes(self, status: BatchStatus) -> list[Outcome]:
        url = shape.text(status.raw, "results_url")
        # The results come with the key: never send it off the API's own host.
        if not url.startswith(self.base_url + "/"):
            url = self._url(f"/{_id(status.id)}/results")
        resp = await self.wire.send("GET", url)
        return [self._outcome(line) for line in jsonl(resp.content, self.provider, url)]

    def _outcome(self, line: dict[str, Any]) -> Outcome:
        custom_id = shape.text(line, "custom_id")
        result = shape.obj(line, "result")
        kind = shape.text(result, "type", "result")
        if kind == "succeeded":
            return Outcome(custom_id, body=shape.obj(result, "message", "result"))
        if kind == "errored":
            error = shape.obj(result, "error", "result")
            inner = error.get("error")
            error_type = (
                shape.text(inner, "type", "result.error.error") if isinstance(inner, dict) else ""
            )
            status = ERROR_STATUSES.get(error_type, 500)
            return Outcome(custom_id, error=self.wire.item_error(status, error))
        reason = {"canceled": "cancelled", "expired": "expired"}.get(kind, "failed")
        return Outcome(
            custom_id,
            error=BatchItemError(
                f"the batch ended with this request {kind or 'unanswered'}",
                reason=reason,
                request_id=custom_id,
                code=kind,
            ),
        )


def _id(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise InvalidArgumentError(f"not an Anthropic message batch id: {value!r}")
    return quote(value, safe="")
