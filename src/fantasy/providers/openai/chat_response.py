"""What Chat Completions reports the same way whole and streamed: finish reasons and
usage. Pure code, shared by the codec and the stream translator."""

from __future__ import annotations

from typing import Any

from fantasy.http.shape import as_list, as_object, integer, join, obj, shape_error, text
from fantasy.types import JSON, FinishReason, SourceContent, SourceType, Usage

_FINISH_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    # Spellings of OpenAI-compatible servers, as each documents them (Fantasy: unknown).
    # The server's own word stays in ``raw_finish_reason``.
    "eos": FinishReason.STOP,  # servers that name the end-of-sequence token
    "eos_token": FinishReason.STOP,  # Hugging Face TGI
    "stop_sequence": FinishReason.STOP,  # Hugging Face TGI
    "model_length": FinishReason.LENGTH,  # Mistral: the model's context is full
    "insufficient_system_resource": FinishReason.ERROR,  # DeepSeek: cut off by load
    "error": FinishReason.ERROR,  # Mistral, OpenRouter
    "abort": FinishReason.ERROR,  # vLLM: the request was aborted on the server
}


def map_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", FinishReason.UNKNOWN)


_STANDARD_USAGE_KEYS = frozenset(
    {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    }
)


def extra_usage_fields(raw: JSON) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in _STANDARD_USAGE_KEYS and v is not None}


def usage_from_openai(raw: JSON, path: str = "usage") -> Usage:
    """OpenAI counts cached tokens inside prompt_tokens; Fantasy reports them apart.
    ``raw`` is the usage object, found at ``path``."""
    cached = integer(
        obj(raw, "prompt_tokens_details", path),
        "cached_tokens",
        join(path, "prompt_tokens_details"),
    )
    reasoning = integer(
        obj(raw, "completion_tokens_details", path),
        "reasoning_tokens",
        join(path, "completion_tokens_details"),
    )
    return Usage(
        input_tokens=max(integer(raw, "prompt_tokens", path) - cached, 0),
        output_tokens=integer(raw, "completion_tokens", path),
        total_tokens=integer(raw, "total_tokens", path),
        reasoning_tokens=reasoning,
        cache_read_tokens=cached,
    )


# ------------------------------------------------------------------ content beyond a string
#
# Chat Completions documents ``message.content`` (and ``delta.content``) as a string.
# Some servers send a list of typed chunks instead (Mistral: ``text``, ``thinking``
# with its own list of ``text`` / ``reference`` / ``tool_reference`` items,
# ``reference`` with the ids of the documents a tool returned), and some add sources
# beside the message (OpenAI's and OpenRouter's ``annotations``, Perplexity's
# top-level ``citations`` and ``search_results``). Both paths read them here, so a
# whole answer and its stream give the same content.


class ChunkPiece:
    """One readable piece of a content chunk list, in order: ``kind`` is ``"text"``,
    ``"reasoning"`` (``text`` set), ``"source"`` (``source`` set) or ``"warning"``
    (``text`` says what was not read)."""

    __slots__ = ("kind", "source", "text")

    def __init__(self, kind: str, text: str = "", source: SourceContent | None = None):
        self.kind = kind
        self.text = text
        self.source = source


def _reference_sources(chunk: JSON, where: str) -> list[ChunkPiece]:
    ids = as_list(chunk.get("reference_ids"), join(where, "reference_ids"))
    out = []
    for i, ref in enumerate(ids):
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise shape_error(join(join(where, "reference_ids"), i), "an integer", ref)
        out.append(ChunkPiece("source", source=SourceContent(SourceType.DOCUMENT, str(ref))))
    return out


def _tool_reference(chunk: JSON, where: str) -> ChunkPiece:
    url = text(chunk, "url", where)
    title = text(chunk, "title", where)
    if url:
        return ChunkPiece("source", source=SourceContent(SourceType.URL, new_id(), url, title))
    return ChunkPiece("source", source=SourceContent(SourceType.DOCUMENT, new_id(), title=title))


def content_chunks(chunks: list[Any], where: str) -> list[ChunkPiece]:
    """A content chunk list (Mistral's form) as text, reasoning and sources, in order;
    a chunk of another type is a ``warning`` piece, never dropped silently."""
    out: list[ChunkPiece] = []
    for i, chunk in enumerate(chunks):
        at = join(where, i)
        chunk = as_object(chunk, at)
        kind = text(chunk, "type", at) or ("text" if "text" in chunk else "")
        if kind == "text":
            out.append(ChunkPiece("text", text(chunk, "text", at)))
        elif kind == "thinking":
            inner_at = join(at, "thinking")
            thinking = chunk.get("thinking")
            if isinstance(thinking, str):  # not documented, but seen: the thought itself
                out.append(ChunkPiece("reasoning", thinking))
                continue
            for k, item in enumerate(as_list(thinking, inner_at)):
                item_at = join(inner_at, k)
                item = as_object(item, item_at)
                item_kind = text(item, "type", item_at) or "text"
                if item_kind == "text":
                    out.append(ChunkPiece("reasoning", text(item, "text", item_at)))
                elif item_kind == "reference":
                    out.extend(_reference_sources(item, item_at))
                elif item_kind == "tool_reference":
                    out.append(_tool_reference(item, item_at))
                else:
                    out.append(
                        ChunkPiece(
                            "warning", f"{item_at}: thinking item of type {item_kind!r} not read"
                        )
                    )
        elif kind == "reference":
            out.extend(_reference_sources(chunk, at))
        elif kind == "tool_reference":
            out.append(_tool_reference(chunk, at))
        else:
            out.append(ChunkPiece("warning", f"{at}: content chunk of type {kind!r} not read"))
    return out


def annotation_source(annotation: Any, where: str) -> ChunkPiece | None:
    """One entry of ``annotations``: a ``url_citation`` (OpenAI, OpenRouter's web
    search) or a ``file`` (OpenRouter's parsed PDFs) as a source; another type as a
    ``warning`` piece. None for a citation without a URL."""
    annotation = as_object(annotation, where)
    kind = text(annotation, "type", where)
    if kind == "url_citation":
        cite_at = join(where, "url_citation")
        cite = obj(annotation, "url_citation", where)
        url = text(cite, "url", cite_at)
        if not url:
            return None
        return ChunkPiece(
            "source",
            source=SourceContent(SourceType.URL, new_id(), url, text(cite, "title", cite_at)),
        )
    if kind == "file":
        file_at = join(where, "file")
        file = obj(annotation, "file", where)
        name = text(file, "name", file_at) or text(file, "filename", file_at)
        ident = text(file, "hash", file_at) or text(file, "file_id", file_at) or new_id()
        return ChunkPiece(
            "source",
            source=SourceContent(
                SourceType.DOCUMENT,
                ident,
                title=name,
                filename=name,
                media_type=_media_type(name),
            ),
        )
    return ChunkPiece("warning", f"{where}: annotation of type {kind!r} not read")


def _media_type(filename: str) -> str:
    if not filename or "." not in filename:
        return ""
    import mimetypes

    return mimetypes.guess_type(filename)[0] or ""


def search_sources(body: JSON, where: str, seen: set[str]) -> list[SourceContent]:
    """Perplexity's top-level ``citations`` (URLs, numbered as the text cites them) and
    ``search_results`` (with titles), each URL once: ``seen`` holds the URLs already
    given (a stream repeats them on every chunk)."""
    results = as_list(body.get("search_results"), join(where, "search_results"))
    titles: dict[str, str] = {}
    ordered: list[str] = []
    for i, result in enumerate(results):
        at = join(join(where, "search_results"), i)
        result = as_object(result, at)
        url = text(result, "url", at)
        if url:
            titles.setdefault(url, text(result, "title", at))
    for i, cited in enumerate(as_list(body.get("citations"), join(where, "citations"))):
        at = join(join(where, "citations"), i)
        if isinstance(cited, dict):  # some servers send objects here
            url = text(cited, "url", at)
            titles.setdefault(url, text(cited, "title", at))
        elif isinstance(cited, str):
            url = cited
        else:
            raise shape_error(at, "a string", cited)
        ordered.append(url)
    ordered.extend(titles)
    out: list[SourceContent] = []
    for url in ordered:
        if url and url not in seen:
            seen.add(url)
            out.append(SourceContent(SourceType.URL, new_id(), url, titles.get(url, "")))
    return out


def new_id() -> str:
    import uuid  # here, not at import: uuid loads platform (2 ms of `import fantasy`)

    return str(uuid.uuid4())


_AUDIO_MAGIC = (
    (b"RIFF", "audio/wav"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
)


def audio_media_type(data: bytes) -> str:
    """The media type of generated audio, by its first bytes (the request chose the
    format; ``pcm16``, the only one a stream gives, has no header)."""
    for magic, media_type in _AUDIO_MAGIC:
        if data.startswith(magic):
            return media_type
    return "audio/pcm"


def decode_base64(data: str, where: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        raise shape_error(where, "base64 data", data) from None
