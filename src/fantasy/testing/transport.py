"""httpx transports that replay cassettes and record new ones.

Both transports implement the sync and the async httpx transport interfaces on one object,
so the same fixture serves `httpx.Client` and `httpx.AsyncClient` code paths alike.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import httpx

from fantasy.errors import CREDENTIAL_HEADERS, SecretTokens, redact_bytes, reduce_exception
from fantasy.testing.cassette import (
    Body,
    Cassette,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    body_bytes,
)
from fantasy.testing.matcher import (
    REDACTED,
    CassetteMismatchError,
    describe_mismatch,
    requests_match,
)

__all__ = [
    "RecordingTransport",
    "ReplayTransport",
    "UnusedInteractionsError",
    "split_body",
]

# Replayed bodies are already decoded and re-chunked; letting httpx see the recorded
# framing headers would make it gunzip plain text or check a length that no longer applies.
_FRAMING_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})
# The only request headers that ever reach disk: none of them can carry a credential.
_KEPT_REQUEST_HEADERS = ("Accept", "Content-Type", "User-Agent")
_SECRET_HINTS = ("key", "token", "auth", "cookie", "secret")


class UnusedInteractionsError(AssertionError):
    """Recorded interactions the code under test never requested.

    An unused interaction means the port sends fewer requests than Fantasy did (a missed
    tool-loop step, say), which is as much a conformance failure as a wrong request.
    """

    def __init__(self, cassette_name: str, total: int, unused: list[tuple[int, str, str]]):
        self.unused = unused
        lines = [f"{len(unused)} of {total} recorded interactions in {cassette_name} were unused:"]
        lines += [f"  #{index} {method} {url}" for index, method, url in unused]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_exception(self)


class _PieceStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields pre-cut pieces to sync and async consumers alike."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def split_body(data: bytes, *, seed: int, max_piece: int) -> list[bytes]:
    """Cut `data` into 1..max_piece byte pieces at seeded random points.

    Real networks split SSE lines and UTF-8 characters anywhere; serving whole bodies would
    hide incremental-decoding bugs. If chance leaves every multi-byte character whole, one
    is split on purpose so that path is exercised by every non-ASCII body.
    """
    if max_piece < 1:
        raise ValueError("max_piece must be at least 1")
    rng = random.Random(seed)
    cuts: set[int] = set()
    position = rng.randint(1, max_piece)
    while position < len(data):
        cuts.add(position)
        position += rng.randint(1, max_piece)
    inside = [i for i, byte in enumerate(data) if byte & 0xC0 == 0x80]
    if inside and not cuts.intersection(inside):
        cuts.add(rng.choice(inside))
    bounds = [0, *sorted(cuts), len(data)]
    return [data[start:end] for start, end in pairwise(bounds) if end > start]


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves a cassette's responses to matching requests, each interaction at most once."""

    def __init__(
        self,
        cassette: Cassette | str | os.PathLike[str],
        *,
        seed: int = 0,
        max_piece: int = 48,
    ) -> None:
        if max_piece < 1:
            raise ValueError("max_piece must be at least 1")
        self.cassette = cassette if isinstance(cassette, Cassette) else Cassette.load(cassette)
        self.seed = seed
        self.max_piece = max_piece
        self._used = [False] * len(self.cassette.interactions)
        self._lock = threading.Lock()

    @property
    def used_count(self) -> int:
        return sum(self._used)

    @property
    def unused(self) -> list[Interaction]:
        return [self.cassette.interactions[i] for i in self.unused_indices]

    @property
    def unused_indices(self) -> list[int]:
        return [i for i, used in enumerate(self._used) if not used]

    def assert_all_used(self) -> None:
        indices = self.unused_indices
        if indices:
            listed = [(i, *_target(self.cassette.interactions[i].request)) for i in indices]
            raise UnusedInteractionsError(self.cassette.name, len(self._used), listed)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        request.read()
        return self._respond(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        await request.aread()
        return self._respond(request)

    def _respond(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        index = self._claim(_to_recorded(request))
        recorded = self.cassette.interactions[index].response
        pieces = split_body(
            body_bytes(recorded.body),
            seed=self.seed * 1_000_003 + index,
            max_piece=self.max_piece,
        )
        return httpx.Response(
            status_code=recorded.code,
            headers=_replay_headers(recorded.headers),
            stream=_PieceStream(pieces),
            request=request,
            extensions=_replay_extensions(recorded),
        )

    def _claim(self, actual: RecordedRequest) -> int:
        """First unused match wins, so identical requests are served in recorded order."""
        __tracebackhide__ = True  # pytest shows the mismatch, not our frames
        with self._lock:
            for index, interaction in enumerate(self.cassette.interactions):
                if not self._used[index] and requests_match(interaction.request, actual):
                    self._used[index] = True
                    return index
            unused = [(i, self.cassette.interactions[i]) for i in self.unused_indices]
        message = describe_mismatch(
            actual, unused, total=len(self._used), cassette_name=self.cassette.name
        )
        raise CassetteMismatchError(message)


def _target(request: RecordedRequest) -> tuple[str, str]:
    return request.method, request.url


def _to_recorded(request: httpx.Request) -> RecordedRequest:
    """The request as a recording is matched against: its URL without user and password,
    which no cassette keeps."""
    url = (
        request.url.copy_with(username=None, password=None) if request.url.userinfo else request.url
    )
    return RecordedRequest(method=request.method, url=str(url), body=_body(request.content))


def _body(data: bytes) -> Body:
    """Text when the bytes are UTF-8, so YAML stores them readably; else raw bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _replay_headers(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, values in headers.items()
        if name.lower() not in _FRAMING_HEADERS
        for value in values
    ]


def _replay_extensions(response: RecordedResponse) -> dict[str, object]:
    _, _, reason = response.status.partition(" ")
    extensions: dict[str, object] = {"http_version": b"HTTP/1.1"}
    if reason:
        extensions["reason_phrase"] = reason.encode("ascii", "replace")
    return extensions


class RecordingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Forwards to a real transport and keeps a scrubbed copy of every exchange.

    The recorder learns every credential a request carries: the values of credential
    headers (``Authorization``, ``x-api-key``, ``api-key``, ``x-goog-api-key``,
    ``Cookie`` and any other whose name says key, token, auth, secret or cookie), the
    user and password of the URL, query parameters and top-level fields of a JSON or
    form body named like a credential (``key``, ``api_key``, ``access_token``,
    ``client_secret``, ``X-Amz-Signature``, ...), and whatever ``secrets`` names. It
    writes none of them: request headers other than ``Accept``, ``Content-Type`` and
    ``User-Agent`` are dropped, so are credential-like response headers; the URL loses
    its user and password and credential query values become ``[REDACTED]``; and every
    value learnt so far is replaced by ``[REDACTED]`` wherever it appears (URLs, bodies,
    headers, status line), in each form of `fantasy.errors.secret_forms` (as it is, URL-
    encoded, JSON-escaped, the key of ``Bearer <key>``, the base64 of ``Basic`` and its
    decoded ``user:password`` and parts), and by any run of 12 or more of its characters
    when it is 20 or more long (`fantasy.errors.FRAGMENT_LENGTH`). Values shorter than 8
    characters are hidden only where they are named (a header, a query parameter).

    Scrubbing happens as each interaction is captured, not at save time, so nothing that
    inspects `cassette` in memory can see a credential either.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        path: str | os.PathLike[str] | None = None,
        *,
        secrets: Iterable[str] = (),
    ) -> None:
        self._inner = inner
        self._owned_sync: httpx.HTTPTransport | None = None
        self._owned_async: httpx.AsyncHTTPTransport | None = None
        self.path = Path(path) if path is not None else None
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self.cassette = Cassette(path=self.path)
        self._lock = threading.Lock()
        self._credentials: set[str] = set(self.secrets)
        """Every credential value given or seen in a request so far."""
        self._tokens: tuple[bytes, ...] = SecretTokens.of(self._credentials)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("RecordingTransport has no path to save to")
        return self.cassette.save(target)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._sync_inner()
        request.read()
        started = time.perf_counter()
        response = inner.handle_request(request)
        try:
            raw = b"".join(_sync_stream(response))
        finally:
            response.close()
        return self._record(request, response, raw, time.perf_counter() - started)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._async_inner()
        await request.aread()
        started = time.perf_counter()
        response = await inner.handle_async_request(request)
        try:
            raw = b"".join([chunk async for chunk in _async_stream(response)])
        finally:
            await response.aclose()
        return self._record(request, response, raw, time.perf_counter() - started)

    def close(self) -> None:
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()
        if self._owned_sync is not None:
            self._owned_sync.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()
        if self._owned_async is not None:
            await self._owned_async.aclose()

    def _sync_inner(self) -> httpx.BaseTransport:
        if self._inner is None:
            if self._owned_sync is None:
                self._owned_sync = httpx.HTTPTransport()
            return self._owned_sync
        if not isinstance(self._inner, httpx.BaseTransport):
            raise TypeError("inner transport is async-only; use it with httpx.AsyncClient")
        return self._inner

    def _async_inner(self) -> httpx.AsyncBaseTransport:
        if self._inner is None:
            if self._owned_async is None:
                self._owned_async = httpx.AsyncHTTPTransport()
            return self._owned_async
        if not isinstance(self._inner, httpx.AsyncBaseTransport):
            raise TypeError("inner transport is sync-only; use it with httpx.Client")
        return self._inner

    def _record(
        self, request: httpx.Request, response: httpx.Response, raw: bytes, elapsed: float
    ) -> httpx.Response:
        """Store the exchange, and hand the caller the untouched raw body and headers."""
        with self._lock:
            self._learn(request)
            interaction = Interaction(
                id=len(self.cassette.interactions),
                request=self._capture_request(request),
                response=self._capture_response(response, raw, elapsed),
            )
            self.cassette.interactions.append(interaction)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            request=request,
            extensions=response.extensions,
        )

    def _capture_request(self, request: httpx.Request) -> RecordedRequest:
        headers = {
            name: request.headers.get_list(name)
            for name in _KEPT_REQUEST_HEADERS
            if name in request.headers
        }
        extra: dict[str, object] = {}
        if request.url.query:
            extra["form"] = self._form(request.url)
        return RecordedRequest(
            method=request.method,
            url=self._scrub(recorded_url(request.url)),
            body=self._scrub_body(_body(request.content)),
            headers={name: [self._scrub(v) for v in values] for name, values in headers.items()},
            content_length=len(request.content),
            extra=extra,
        )

    def _form(self, url: httpx.URL) -> dict[str, list[str]]:
        """Go's `Request.Form`: the query parameters, as go-vcr records them."""
        form: dict[str, list[str]] = {}
        for key, value in url.params.multi_items():
            shown = REDACTED if is_credential_name(key) else self._scrub(value)
            form.setdefault(self._scrub(key), []).append(shown)
        return form

    def _learn(self, request: httpx.Request) -> None:
        """Add the credentials ``request`` carries to those every capture hides."""
        found: set[str] = set()
        for name, value in request.headers.multi_items():
            if name.lower() in CREDENTIAL_HEADERS or _is_sensitive(name):
                found.add(value)
                if name.lower() == "cookie":
                    found |= {c.partition("=")[2].strip() for c in value.split(";")}
        url = request.url
        if url.username or url.password:
            found |= {url.username, url.password, f"{url.username}:{url.password}"}
        found |= {v for k, v in url.params.multi_items() if is_credential_name(k)}
        found |= _body_credentials(request)
        found -= {""}
        if not found <= self._credentials:
            self._credentials |= found
            self._tokens = SecretTokens.of(self._credentials)

    def _capture_response(
        self, response: httpx.Response, raw: bytes, elapsed: float
    ) -> RecordedResponse:
        body, decoded = _decoded(response, raw)
        proto, major, minor = _proto(response)
        extra: dict[str, object] = {"uncompressed": True} if decoded else {}
        length = response.headers.get("content-length")
        return RecordedResponse(
            code=response.status_code,
            status=self._scrub(f"{response.status_code} {response.reason_phrase}".strip()),
            body=self._scrub_body(_body(body)),
            headers=self._response_headers(response),
            proto=proto,
            proto_major=major,
            proto_minor=minor,
            content_length=int(length) if length and length.isdigit() and not decoded else -1,
            duration=go_duration(elapsed),
            extra=extra,
        )

    def _response_headers(self, response: httpx.Response) -> Headers:
        headers: Headers = {}
        for raw_name, raw_value in response.headers.raw:
            name = _canonical(raw_name.decode("latin-1"))
            if _is_sensitive(name) or name.lower() in _FRAMING_HEADERS:
                continue
            headers.setdefault(name, []).append(self._scrub(raw_value.decode("latin-1")))
        return headers

    def _scrub(self, text: str) -> str:
        raw = text.encode("utf-8", "surrogatepass")
        hidden = redact_bytes(raw, self._tokens)
        return text if hidden is raw else hidden.decode("utf-8", "replace")

    def _scrub_body(self, body: Body) -> Body:
        if isinstance(body, str):
            return self._scrub(body)
        return redact_bytes(body, self._tokens)


_CREDENTIAL_NAME = re.compile(
    r"(?:^|_)(?:api_?key|access_?key|secret_?key|secret|password|passwd|token|signature"
    r"|credentials?)$|^(?:key|sig|auth|authorization)$"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_credential_name(name: str) -> bool:
    """Whether a query parameter or body field of this name holds a credential: ``key``,
    ``api_key``/``apiKey``, ``access_token``, ``client_secret``, ``X-Amz-Signature``,
    ``X-Amz-Security-Token``... (not ``max_tokens`` or ``prompt_cache_key``)."""
    words = _CAMEL.sub("_", name).lower().replace("-", "_")
    return bool(_CREDENTIAL_NAME.search(words))


def recorded_url(url: httpx.URL) -> str:
    """The URL as a cassette keeps it: without user and password, and with the value of
    each credential query parameter replaced by ``[REDACTED]`` (which a replay matches
    whatever the value)."""
    clean = url.copy_with(username=None, password=None) if url.userinfo else url
    if not url.query:
        return str(clean)
    pairs = []
    for pair in url.query.decode("ascii", "replace").split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(
            f"{name}={REDACTED}" if equals and is_credential_name(unquote_plus(name)) else pair
        )
    return str(clean).split("?", 1)[0] + "?" + "&".join(pairs)


def _body_credentials(request: httpx.Request) -> set[str]:
    """The values of credential-named top-level fields of a JSON object or form body."""
    content = request.content
    if not content or len(content) > 1 << 20:
        return set()
    fields: list[tuple[str, object]] = []
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        fields = list(parse_qsl(content.decode("utf-8", "replace"), keep_blank_values=True))
    elif content.lstrip()[:1] == b"{":
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if isinstance(data, dict):
            fields = list(data.items())
    return {v for k, v in fields if isinstance(v, str) and is_credential_name(k)}


def _sync_stream(response: httpx.Response) -> httpx.SyncByteStream:
    """The raw (still encoded) body stream.

    Read from `response.stream`, not `iter_raw()`: a response built with `content=` (as
    `httpx.MockTransport` handlers do) is already marked consumed, yet its stream still
    holds the raw bytes.
    """
    if not isinstance(response.stream, httpx.SyncByteStream):
        raise TypeError("inner transport returned an async stream to a sync request")
    return response.stream


def _async_stream(response: httpx.Response) -> httpx.AsyncByteStream:
    if not isinstance(response.stream, httpx.AsyncByteStream):
        raise TypeError("inner transport returned a sync stream to an async request")
    return response.stream


def _decoded(response: httpx.Response, raw: bytes) -> tuple[bytes, bool]:
    """The body as the application saw it; go-vcr stores bodies decompressed too."""
    if "content-encoding" not in response.headers:
        return raw, False
    try:
        decoded = httpx.Response(200, headers=response.headers, content=raw).content
    except httpx.DecodingError:
        return raw, False
    return decoded, True


def _proto(response: httpx.Response) -> tuple[str, int, int]:
    """Go spells HTTP/2 as "HTTP/2.0"; keep its spelling so files match Fantasy's."""
    version = response.http_version or "HTTP/1.1"
    number = version.partition("/")[2] or "1.1"
    major, _, minor = number.partition(".")
    minor = minor or "0"
    if not (major.isdigit() and minor.isdigit()):
        return "HTTP/1.1", 1, 1
    return f"HTTP/{major}.{minor}", int(major), int(minor)


def _canonical(name: str) -> str:
    """Go's CanonicalMIMEHeaderKey, so recorded names look like Fantasy's cassettes."""
    return "-".join(part.capitalize() for part in name.split("-"))


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered == "set-cookie" or any(hint in lowered for hint in _SECRET_HINTS)


def go_duration(seconds: float) -> str:
    """Format like Go's time.Duration.String() ("1.5s", "312.0085ms"), go-vcr's format."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    if nanos < 1_000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return f"{_trim(nanos / 1e3)}µs"
    if nanos < 1_000_000_000:
        return f"{_trim(nanos / 1e6)}ms"
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{_trim(rest / 1e9)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return text


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".")
