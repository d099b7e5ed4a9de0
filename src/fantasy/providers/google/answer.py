"""What a Gemini answer holds besides text, thoughts and function calls, read the same
way for a whole answer and for a stream. Pure code, no I/O.

Parts: ``executableCode`` / ``codeExecutionResult`` (code execution, run by Google)
become provider-executed tool calls and results; ``inlineData`` becomes file content
(generated images). Candidates: ``citationMetadata`` and ``groundingMetadata`` chunks
become sources; grounding, URL context, safety ratings, log probabilities, the
finish message, the prompt feedback and the whole ``usageMetadata`` are kept in
`ResponseMetadata`. A part of a kind Gemini does not document, or one an answer
should not hold (``fileData``, ``functionResponse``), is reported as a warning.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fantasy.http.shape import (
    arr,
    as_object,
    boolean,
    join,
    number,
    obj,
    objects,
    shape_error,
    text,
)
from fantasy.providers.google.options import (
    NAME,
    CodeExecutionResultMetadata,
    FileMetadata,
    GroundingMetadata,
    ReasoningMetadata,
    ResponseMetadata,
    SearchEntryPoint,
    UrlMetadata,
)
from fantasy.providers.google.provider_tools import CODE_EXECUTION_TOOL_NAME
from fantasy.types import (
    JSON,
    CallWarning,
    CallWarningType,
    FileContent,
    SourceContent,
    SourceType,
    ToolResultContent,
    ToolResultOutputError,
    ToolResultOutputText,
)

PART_DATA_KEYS = (
    "inlineData",
    "functionCall",
    "functionResponse",
    "fileData",
    "executableCode",
    "codeExecutionResult",
)
"""The part kinds Gemini documents besides text (a part holds one of them)."""

PART_OTHER_KEYS = frozenset(
    {"text", "thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"}
)
"""Fields of a text part, or that qualify a part rather than make it one."""

_OK_OUTCOMES = frozenset({"OUTCOME_OK", ""})

CANDIDATE_KEYS = frozenset(
    {
        "content",
        "finishReason",
        "finishMessage",
        "safetyRatings",
        "citationMetadata",
        "tokenCount",
        "groundingAttributions",
        "groundingMetadata",
        "avgLogprobs",
        "logprobsResult",
        "urlContextMetadata",
        "index",
    }
)


def part_kind(part: JSON) -> str | None:
    """Which documented kind other than text the part is (its first non-null data
    field), or None."""
    for key in PART_DATA_KEYS:
        if part.get(key) is not None:
            return key
    return None


def unknown_part_message(part: JSON) -> str | None:
    """A warning for a part with fields of no documented kind (None for an empty part,
    which Gemini sends, e.g. a bare ``{"text": ""}``)."""
    keys = sorted(k for k, v in part.items() if v is not None and k not in PART_OTHER_KEYS)
    if not keys:
        return None
    return f"google: unsupported part type {', '.join(keys)} in the answer was skipped"


def code_call_input(part: JSON, path: str) -> str:
    """An ``executableCode`` part as the tool call's input: ``{"language", "code"}``."""
    where = join(path, "executableCode")
    code = as_object(part.get("executableCode"), where)
    value = {"language": text(code, "language", where), "code": text(code, "code", where)}
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def code_result(part: JSON, path: str, call_id: str) -> ToolResultContent:
    """A ``codeExecutionResult`` part as the provider-executed result of ``call_id``."""
    where = join(path, "codeExecutionResult")
    result = as_object(part.get("codeExecutionResult"), where)
    outcome = text(result, "outcome", where)
    output = text(result, "output", where)
    metadata = CodeExecutionResultMetadata(
        outcome=outcome, signature=text(part, "thoughtSignature", path)
    )
    return ToolResultContent(
        call_id,
        CODE_EXECUTION_TOOL_NAME,
        ToolResultOutputText(output)
        if outcome in _OK_OUTCOMES
        else ToolResultOutputError(output or outcome),
        provider_executed=True,
        provider_metadata={NAME: metadata},
    )


def code_call_metadata(part: JSON, path: str) -> dict[str, Any] | None:
    signature = text(part, "thoughtSignature", path)
    return {NAME: ReasoningMetadata(signature=signature)} if signature else None


def inline_file(part: JSON, path: str) -> FileContent:
    """An ``inlineData`` part (a generated image, say) as file content."""
    where = join(path, "inlineData")
    blob = as_object(part.get("inlineData"), where)
    encoded = text(blob, "data", where)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise shape_error(join(where, "data"), "base64 data", encoded) from None
    signature = text(part, "thoughtSignature", path)
    thought = boolean(part, "thought", path)
    metadata = (
        {NAME: FileMetadata(signature=signature, thought=thought)} if signature or thought else None
    )
    return FileContent(data, text(blob, "mimeType", where), metadata)


def _strings(data: JSON, key: str, path: str) -> list[str]:
    values = arr(data, key, path)
    for i, value in enumerate(values):
        if type(value) is not str:
            raise shape_error(join(join(path, key), i), "a string", value)
    return values


class AnswerReader:
    """Everything but the parts of one answer (a whole one, or all chunks of a stream):
    sources (each URL once), warnings (each once), and the metadata, where a later
    chunk's value replaces an earlier one's."""

    __slots__ = ("_metadata", "_seen", "_warned", "block_message", "block_reason", "warnings")

    def __init__(self) -> None:
        self._metadata = ResponseMetadata()
        self._seen: set[str] = set()
        self._warned: set[str] = set()
        self.warnings: list[CallWarning] = []
        self.block_reason = ""
        self.block_message = ""
        """``promptFeedback.blockReasonMessage``: why the prompt was blocked, in words."""

    def warn(self, message: str) -> CallWarning | None:
        """Record a warning once; the new warning, or None when it was said already."""
        if message in self._warned:
            return None
        self._warned.add(message)
        warning = CallWarning(CallWarningType.OTHER, message=message)
        self.warnings.append(warning)
        return warning

    def top(self, data: JSON, path: str) -> None:
        """The answer's own fields (``path`` is where the answer is, ``""`` or ``chunk``)."""
        meta = self._metadata
        if version := text(data, "modelVersion", path):
            meta.model_version = version
        if response_id := text(data, "responseId", path):
            meta.response_id = response_id
        usage = data.get("usageMetadata")
        if usage is not None:
            meta.usage_metadata = as_object(usage, join(path, "usageMetadata"))
        feedback = data.get("promptFeedback")
        if feedback is not None:
            where = join(path, "promptFeedback")
            feedback = as_object(feedback, where)
            meta.prompt_feedback = feedback
            self.block_reason = text(feedback, "blockReason", where) or self.block_reason
            self.block_message = text(feedback, "blockReasonMessage", where) or self.block_message

    def candidate(self, candidate: JSON, path: str) -> list[SourceContent]:
        """The candidate's metadata kept; its sources not seen before returned."""
        meta = self._metadata
        for key in candidate:
            if key not in CANDIDATE_KEYS and candidate[key] is not None:
                self.warn(f"google: unsupported candidate field {key} was skipped")
        if message := text(candidate, "finishMessage", path):
            meta.finish_message = message
        if candidate.get("safetyRatings") is not None:
            meta.safety_ratings = objects(candidate, "safetyRatings", path)
        if candidate.get("avgLogprobs") is not None:
            meta.avg_logprobs = number(candidate, "avgLogprobs", path)
        if candidate.get("logprobsResult") is not None:
            meta.logprobs_result = obj(candidate, "logprobsResult", path)
        sources: list[SourceContent] = []
        citations = candidate.get("citationMetadata")
        if citations is not None:
            where = join(path, "citationMetadata")
            citations = as_object(citations, where)
            # The Gemini API says citationSources, Vertex AI says citations.
            for key in ("citationSources", "citations"):
                for i, cite in enumerate(objects(citations, key, where)):
                    self._citation(cite, join(join(where, key), i), sources)
        grounding = candidate.get("groundingMetadata")
        if grounding is not None:
            self._grounding(as_object(grounding, join(path, "groundingMetadata")), path, sources)
        url_context = candidate.get("urlContextMetadata")
        if url_context is not None:
            where = join(path, "urlContextMetadata")
            url_context = as_object(url_context, where)
            meta.url_context_metadata = [
                UrlMetadata(
                    retrieved_url=text(u, "retrievedUrl", join(join(where, "urlMetadata"), i)),
                    url_retrieval_status=text(
                        u, "urlRetrievalStatus", join(join(where, "urlMetadata"), i)
                    ),
                )
                for i, u in enumerate(objects(url_context, "urlMetadata", where))
            ]
        return sources

    def _source(
        self,
        sources: list[SourceContent],
        *,
        url: str,
        title: str,
        kind: SourceType = SourceType.URL,
    ) -> None:
        key = url or f"{kind}:{title}"
        if key in self._seen or not (url or title):
            return
        self._seen.add(key)
        sources.append(
            SourceContent(kind, f"google-source-{len(self._seen)}", url=url, title=title)
        )

    def _citation(self, cite: JSON, path: str, sources: list[SourceContent]) -> None:
        uri = text(cite, "uri", path)
        title = text(cite, "title", path)
        if uri:
            self._source(sources, url=uri, title=title)
        elif title:
            self._source(sources, url="", title=title, kind=SourceType.DOCUMENT)

    def _grounding(self, grounding: JSON, path: str, sources: list[SourceContent]) -> None:
        where = join(path, "groundingMetadata")
        chunks = objects(grounding, "groundingChunks", where)
        for i, chunk in enumerate(chunks):
            at = join(join(where, "groundingChunks"), i)
            for key in ("web", "retrievedContext", "maps", "image"):
                if chunk.get(key) is None:
                    continue
                item = obj(chunk, key, at)
                item_path = join(at, key)
                uri = text(item, "uri", item_path)
                title = text(item, "title", item_path)
                if key == "image":
                    uri = text(item, "sourceUri", item_path) or uri
                if key == "retrievedContext" and not uri.startswith(("http://", "https://")):
                    self._source(
                        sources,
                        url="",
                        title=title or uri or text(item, "documentName", item_path),
                        kind=SourceType.DOCUMENT,
                    )
                else:
                    self._source(sources, url=uri, title=title)
        entry = grounding.get("searchEntryPoint")
        entry_point = None
        if entry is not None:
            at = join(where, "searchEntryPoint")
            entry = as_object(entry, at)
            entry_point = SearchEntryPoint(
                rendered_content=text(entry, "renderedContent", at),
                sdk_blob=text(entry, "sdkBlob", at),
            )
        retrieval = grounding.get("retrievalMetadata")
        self._metadata.grounding_metadata = GroundingMetadata(
            web_search_queries=_strings(grounding, "webSearchQueries", where),
            image_search_queries=_strings(grounding, "imageSearchQueries", where),
            search_entry_point=entry_point,
            grounding_chunks=chunks,
            grounding_supports=objects(grounding, "groundingSupports", where),
            retrieval_metadata=None
            if retrieval is None
            else as_object(retrieval, join(where, "retrievalMetadata")),
            google_maps_widget_context_token=text(grounding, "googleMapsWidgetContextToken", where),
        )

    def metadata(self) -> ResponseMetadata | None:
        meta = self._metadata
        return meta if meta != ResponseMetadata() else None
