"""`asgi(agent)`: an agent as an ASGI endpoint speaking the AI SDK's UI message stream
(the default) or AG-UI, with no web framework needed.

Mount it in Starlette or FastAPI (``app.add_route("/api/chat", asgi(agent),
methods=["POST"])``) or serve it alone with any ASGI server. One POST is one run: the
body is decoded (a bad one is answered 400 with what is wrong, one over
``max_body_bytes`` 413), the run streams as SSE, and the response ends when the run
does. While it streams the endpoint listens for the client going away: a disconnect
(the page closed, `useChat`'s ``stop()``) cancels the run at once, closing the model's
HTTP response and cancelling running tools. A failure becomes the protocol's error
event with a sentence for the user (``on_error=`` to choose it), never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Mapping,
    MutableMapping,
)
from typing import TYPE_CHECKING, Any, Literal

from fantasy._json import loads
from fantasy.ui import agui, ai_sdk
from fantasy.ui._errors import ErrorText, UIRequestError, logger
from fantasy.ui._sse import DONE, sse_event
from fantasy.ui.agui_input import decode_run_input
from fantasy.ui.ai_sdk_request import decode_request

if TYPE_CHECKING:
    from fantasy.agent import Agent
    from fantasy.types import Message

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

Protocol = Literal["ai-sdk", "ag-ui"]

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""A request body's limit: a long conversation with a few images fits."""

TIME_LIMIT_REASON = "The run took longer than the server allows."


class UIEndpoint:
    """The ASGI application `asgi` returns (see the module's docstring)."""

    def __init__(
        self,
        agent: Agent[Any],
        *,
        protocol: Protocol = "ai-sdk",
        on_error: ErrorText | None = None,
        allow_system: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_duration: float | None = None,
        keepalive: float | None = 15.0,
        stream_options: Mapping[str, Any] | None = None,
    ) -> None:
        if protocol not in ("ai-sdk", "ag-ui"):
            raise ValueError(f"protocol must be 'ai-sdk' or 'ag-ui', got {protocol!r}")
        if max_body_bytes <= 0:
            raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
        if max_duration is not None and max_duration <= 0:
            raise ValueError(f"max_duration must be positive, got {max_duration}")
        if keepalive is not None and keepalive <= 0:
            raise ValueError(f"keepalive must be positive, got {keepalive}")
        self.agent = agent
        self.protocol = protocol
        self.on_error = on_error
        self.allow_system = allow_system
        self.max_body_bytes = max_body_bytes
        self.max_duration = max_duration
        self.keepalive = keepalive
        self.stream_options = dict(stream_options or {})
        # A wrong option is the server's mistake: refused here, not answered 400 per request.
        agent.astream("-", **self.stream_options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"fantasy.ui.asgi serves HTTP, not {scope['type']!r}")
        if scope.get("method") != "POST":
            await _reply(send, 405, "this endpoint takes POST requests", [(b"allow", b"POST")])
            return
        body = await self._read_body(receive, send)
        if body is None:
            return
        try:
            messages, options, start = self._decode(body)
            parts = self.agent.astream("", messages=messages, **{**self.stream_options, **options})
        except (UIRequestError, ValueError, TypeError) as error:
            # Our own messages, naming the field (a value the client sent is quoted at
            # most 60 characters long), or the agent refusing the conversation.
            await _reply(send, 400, str(error))
            return
        await self._stream(parts, start, receive, send)

    async def _read_body(self, receive: Receive, send: Send) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _reply(send, 413, f"the request body is over {self.max_body_bytes} bytes")
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _decode(self, body: bytes) -> tuple[list[Message], dict[str, Any], _Start]:
        try:
            data = loads(body)
        except ValueError as error:
            raise UIRequestError(f"the request body is not JSON: {error}") from None
        if self.protocol == "ai-sdk":
            request = decode_request(data, allow_system=self.allow_system)
            options: dict[str, Any] = {}
            if request.approvals:
                options["approvals"] = request.decisions()

            def ai_sdk_start(parts: AsyncIterable[Any]) -> _Run:
                encoder = ai_sdk.UIMessageStreamEncoder(
                    message_id=request.continued_message_id or None,
                    on_error=self.on_error,
                    denied_calls=[i for i, a in request.approvals.items() if not a.approved],
                )
                return _Run(
                    ai_sdk.HEADERS,
                    ai_sdk.stream_events(parts, encoder),
                    [*(sse_event(c) for c in encoder.abort(TIME_LIMIT_REASON)), DONE],
                )

            return request.messages, options, ai_sdk_start
        run_input = decode_run_input(data, allow_system=self.allow_system)

        def start(parts: AsyncIterable[Any]) -> _Run:
            encoder = agui.AGUIEncoder(
                run_input.thread_id, run_input.run_id, on_error=self.on_error
            )
            return _Run(
                agui.HEADERS,
                agui.stream_events(parts, encoder),
                [sse_event(_AGUI_TIME_LIMIT)],
            )

        agui_options = {"approvals": run_input.approvals} if run_input.approvals else {}
        return run_input.messages, agui_options, start

    async def _stream(
        self, parts: AsyncIterable[Any], start: _Start, receive: Receive, send: Send
    ) -> None:
        run = start(parts)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in run.headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        producer = asyncio.ensure_future(self._produce(run, send))
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            done, _ = await asyncio.wait({producer, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if producer not in done:
                logger.info("client disconnected; the run is cancelled")
                producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
        finally:
            for task in (producer, watcher):
                task.cancel()
            await asyncio.gather(producer, watcher, return_exceptions=True)

    async def _produce(self, run: _Run, send: Send) -> None:
        body = _Body(send)
        pinger = (
            asyncio.ensure_future(body.keep_alive(self.keepalive))
            if self.keepalive is not None
            else None
        )
        try:
            async with contextlib.aclosing(run.events) as events:
                try:
                    async with asyncio.timeout(self.max_duration):
                        async for chunk in events:
                            await body.write(chunk)
                except TimeoutError:
                    logger.warning("run stopped at max_duration=%ss", self.max_duration)
                    for chunk in run.on_time_limit:
                        await body.write(chunk)
        finally:
            if pinger is not None:
                pinger.cancel()
                await asyncio.gather(pinger, return_exceptions=True)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _Body:
    """The response body's writer: events, and an SSE comment when nothing was written
    for a while (a long tool call), so proxies do not close an idle stream. Clients'
    SSE parsers skip comments."""

    KEEP_ALIVE = b": keep-alive\n\n"

    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock = asyncio.Lock()
        self._last = asyncio.get_running_loop().time()

    async def write(self, chunk: bytes) -> None:
        async with self._lock:
            await self._send({"type": "http.response.body", "body": chunk, "more_body": True})
            self._last = asyncio.get_running_loop().time()

    async def keep_alive(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.0, self._last + interval - loop.time()))
            if loop.time() - self._last >= interval:
                await self.write(self.KEEP_ALIVE)


class _Run:
    """One response: its headers, its events, what is sent if it runs out of time."""

    __slots__ = ("events", "headers", "on_time_limit")

    def __init__(
        self,
        headers: dict[str, str],
        events: AsyncGenerator[bytes, None],
        on_time_limit: list[bytes],
    ) -> None:
        self.headers = headers
        self.events = events
        self.on_time_limit = on_time_limit


_Start = Callable[[AsyncIterable[Any]], _Run]


_AGUI_TIME_LIMIT = {"type": "RUN_ERROR", "message": TIME_LIMIT_REASON, "code": "time_limit"}


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _reply(
    send: Send, status: int, error: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def asgi(
    agent: Agent[Any],
    *,
    protocol: Protocol = "ai-sdk",
    on_error: ErrorText | None = None,
    allow_system: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_duration: float | None = None,
    keepalive: float | None = 15.0,
    stream_options: Mapping[str, Any] | None = None,
) -> UIEndpoint:
    """An ASGI app that runs ``agent`` for each POST and streams it to the page.

    ``protocol``: ``"ai-sdk"`` (the AI SDK's UI message stream v1, what `useChat`
    reads) or ``"ag-ui"``. ``on_error(exception) -> str``: the text the client shows
    for a failed run (default: a sentence naming the kind of failure; the exception
    itself is logged on the ``fantasy.ui`` logger). ``allow_system``: accept system
    messages from the client. ``max_duration``: seconds a run may stream before it is
    stopped (``abort`` / ``RUN_ERROR``). ``keepalive``: seconds of silence (a long tool
    call) after which an SSE comment is sent, so proxies keep the stream open (``None``:
    never). ``stream_options``: passed to
    ``agent.astream`` on every run (``max_steps``, ``usage_limits``, callbacks...).
    """
    return UIEndpoint(
        agent,
        protocol=protocol,
        on_error=on_error,
        allow_system=allow_system,
        max_body_bytes=max_body_bytes,
        max_duration=max_duration,
        keepalive=keepalive,
        stream_options=stream_options,
    )
