"""go-vcr "version 2" cassettes: the on-disk format of Fantasy's recorded provider traffic.

The Go library records its provider tests with go-vcr; reading and writing the very same
format lets this port replay Fantasy's corpus unchanged and lets recordings made here be
used by the Go tests. Field order on save follows go-vcr's struct order so that a file
re-recorded here diffs cleanly against one recorded by Go.

PyYAML is imported only inside `load`/`save`: `fantasy.testing` is imported by the
pytest plugin in every test session of every project that installs fantasy, and PyYAML
is an optional dependency.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

__all__ = [
    "Body",
    "Cassette",
    "CassetteFormatError",
    "Headers",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "body_bytes",
]

#: A body is text, or bytes when it is not valid UTF-8 (YAML `!!binary`, e.g. Bedrock streams).
Body = str | bytes
#: Header name to its values, as go-vcr stores Go's `http.Header`.
Headers = dict[str, list[str]]

SUPPORTED_VERSION = 2

# go-vcr's struct field order; keys we do not model are kept in `extra` and slotted back
# into their place so a load/save round trip does not reshuffle a file.
_REQUEST_ORDER = (
    "proto",
    "proto_major",
    "proto_minor",
    "content_length",
    "transfer_encoding",
    "trailer",
    "host",
    "remote_addr",
    "request_uri",
    "body",
    "form",
    "headers",
    "url",
    "method",
)
_RESPONSE_ORDER = (
    "proto",
    "proto_major",
    "proto_minor",
    "transfer_encoding",
    "trailer",
    "content_length",
    "uncompressed",
    "body",
    "headers",
    "status",
    "code",
    "duration",
)


class CassetteFormatError(ValueError):
    """A file that is not a go-vcr version 2 cassette; says where, so it can be fixed."""


def body_bytes(body: Body) -> bytes:
    """Bytes on the wire: text bodies were recorded from UTF-8 traffic."""
    return body.encode("utf-8") if isinstance(body, str) else body


@dataclass
class RecordedRequest:
    """The request half of an interaction; `extra` keeps go-vcr fields we do not interpret."""

    method: str
    url: str
    body: Body = ""
    headers: Headers = field(default_factory=dict)
    proto: str = "HTTP/1.1"
    proto_major: int = 1
    proto_minor: int = 1
    content_length: int = 0
    host: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedRequest:
        core = {"method", "url", "body", "headers", "proto", "proto_major", "proto_minor"}
        core |= {"content_length", "host"}
        return cls(
            method=str(data.get("method") or ""),
            url=str(data.get("url") or ""),
            body=_body(data.get("body")),
            headers=_headers(data.get("headers")),
            proto=str(data.get("proto") or "HTTP/1.1"),
            proto_major=_int(data, "proto_major", 1),
            proto_minor=_int(data, "proto_minor", 1),
            content_length=_int(data, "content_length", 0),
            host=str(data.get("host") or ""),
            extra={k: v for k, v in data.items() if k not in core},
        )

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "proto": self.proto,
            "proto_major": self.proto_major,
            "proto_minor": self.proto_minor,
            "content_length": self.content_length,
            "host": self.host,
            "body": self.body,
            "headers": self.headers,
            "url": self.url,
            "method": self.method,
        }
        return _ordered({**self.extra, **fields}, _REQUEST_ORDER)


@dataclass
class RecordedResponse:
    """The response half of an interaction; `status` is Go's "200 OK", `code` the number."""

    code: int = 200
    status: str = "200 OK"
    body: Body = ""
    headers: Headers = field(default_factory=dict)
    proto: str = "HTTP/1.1"
    proto_major: int = 1
    proto_minor: int = 1
    content_length: int = -1
    duration: str = "0s"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedResponse:
        core = {"code", "status", "body", "headers", "proto", "proto_major", "proto_minor"}
        core |= {"content_length", "duration"}
        code = _int(data, "code", 0)
        return cls(
            code=code,
            status=str(data.get("status") or code),
            body=_body(data.get("body")),
            headers=_headers(data.get("headers")),
            proto=str(data.get("proto") or "HTTP/1.1"),
            proto_major=_int(data, "proto_major", 1),
            proto_minor=_int(data, "proto_minor", 1),
            content_length=_int(data, "content_length", -1),
            duration=str(data.get("duration") or "0s"),
            extra={k: v for k, v in data.items() if k not in core},
        )

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "proto": self.proto,
            "proto_major": self.proto_major,
            "proto_minor": self.proto_minor,
            "content_length": self.content_length,
            "body": self.body,
            "headers": self.headers,
            "status": self.status,
            "code": self.code,
            "duration": self.duration,
        }
        return _ordered({**self.extra, **fields}, _RESPONSE_ORDER)


@dataclass
class Interaction:
    """One request/response exchange; `id` is go-vcr's sequence number, not used for matching."""

    request: RecordedRequest
    response: RecordedResponse
    id: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], index: int) -> Interaction:
        return cls(
            id=int(data.get("id", index)),
            request=RecordedRequest.from_dict(_mapping(data.get("request"), "request")),
            response=RecordedResponse.from_dict(_mapping(data.get("response"), "response")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request.to_dict(),
            "response": self.response.to_dict(),
        }


@dataclass
class Cassette:
    """An ordered list of interactions; `path` is remembered only to name it in messages."""

    interactions: list[Interaction] = field(default_factory=list)
    version: int = SUPPORTED_VERSION
    path: Path | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "<in-memory cassette>"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        path = Path(path)
        try:
            cassette = cls.loads(path.read_text(encoding="utf-8"))
        except CassetteFormatError as exc:
            raise CassetteFormatError(f"{path}: {exc}") from None
        cassette.path = path
        return cassette

    @classmethod
    def loads(cls, text: str) -> Cassette:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            raise CassetteFormatError(f"not valid YAML: {exc}") from None
        return cls.from_dict(_mapping(data, "cassette"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cassette:
        version = data.get("version")
        if version != SUPPORTED_VERSION:
            raise CassetteFormatError(f"expected go-vcr version 2, found version {version!r}")
        raw = data.get("interactions") or []
        if not isinstance(raw, list):
            raise CassetteFormatError("'interactions' is not a list")
        items = [
            Interaction.from_dict(_mapping(item, "interaction"), i) for i, item in enumerate(raw)
        ]
        return cls(interactions=items, version=SUPPORTED_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "interactions": [interaction.to_dict() for interaction in self.interactions],
        }

    def dumps(self) -> str:
        import yaml

        return yaml.dump(
            self.to_dict(),
            Dumper=_dumper(),
            sort_keys=False,
            explicit_start=True,
            allow_unicode=True,
            width=1 << 30,  # never fold long JSON bodies
        )

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically (temp file + rename) so an interrupted run never leaves half a file."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path given and the cassette was not loaded from a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(target)
        self.path = target
        return target


def _ordered(values: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = {key: values[key] for key in order if key in values}
    return {**known, **{k: v for k, v in values.items() if k not in known}}


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key)
    return default if value is None else int(value)


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CassetteFormatError(f"{what} is not a mapping: {type(value).__name__}")
    return value


def _body(value: object) -> Body:
    if value is None:
        return ""
    if isinstance(value, str | bytes):
        return value
    raise CassetteFormatError(f"body is neither text nor !!binary: {type(value).__name__}")


def _headers(value: object) -> Headers:
    if not value:
        return {}
    headers = _mapping(value, "headers")
    return {str(name): _header_values(values) for name, values in headers.items()}


def _header_values(values: object) -> list[str]:
    if values is None:
        return []
    if isinstance(values, list):
        return [str(v) for v in values]
    return [str(values)]


_BINARY_WIDTH = 70  # go-yaml's line width for !!binary, so re-saved files diff cleanly
_DUMPER: type[yaml.SafeDumper] | None = None


def _dumper() -> type[yaml.SafeDumper]:
    """A SafeDumper writing text and !!binary the way go-yaml does (`|` blocks, `""`).

    Built on first use because it needs PyYAML; PyYAML itself falls back to a quoted
    style whenever a block scalar could not round-trip the string (trailing spaces etc.).
    """
    global _DUMPER
    if _DUMPER is None:
        import yaml

        class _CassetteDumper(yaml.SafeDumper):
            pass

        def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
            style = "|" if "\n" in value else ('"' if not value else None)
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

        def _bytes(dumper: yaml.SafeDumper, value: bytes) -> yaml.ScalarNode:
            encoded = base64.b64encode(value).decode("ascii")
            lines = [encoded[i : i + _BINARY_WIDTH] for i in range(0, len(encoded), _BINARY_WIDTH)]
            text = "\n".join(lines) + "\n"
            return dumper.represent_scalar("tag:yaml.org,2002:binary", text, style="|")

        _CassetteDumper.add_representer(str, _str)
        _CassetteDumper.add_representer(bytes, _bytes)
        _DUMPER = _CassetteDumper
    return _DUMPER
