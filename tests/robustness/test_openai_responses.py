"""Responses API: every documented shape through generate and stream."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fantasy.errors import ProviderError
from tests.robustness.fixtures_openai_responses import ALL_EVENT_TYPES, FIXTURES, response
from tests.robustness.harness import Expected, Fixture, check, run, sse


@pytest.fixture(autouse=True)
def _fixed_source_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Document sources get random ids (as in Fantasy); fixed here to compare them."""
    monkeypatch.setattr(uuid, "uuid4", lambda: "doc")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_nothing_is_lost(fixture: Fixture) -> None:
    check(fixture)


DOCUMENTED_EVENTS = frozenset(
    {
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
        "error",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_text.annotation.added",
        "response.refusal.delta",
        "response.refusal.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        "response.audio.delta",
        "response.audio.done",
        "response.audio.transcript.delta",
        "response.audio.transcript.done",
    }
)
"""Every event type of the Responses API streaming reference (58)."""

AUDIO_EVENTS = frozenset(e for e in DOCUMENTED_EVENTS if e.startswith("response.audio."))

RECORDED_EVENTS = frozenset(
    {
        "keepalive",
        "response.apply_patch_call_operation_diff.delta",
        "response.apply_patch_call_operation_diff.done",
    }
)
"""Events real streams carry that the reference leaves out (tests/recorded)."""


def test_every_documented_event_is_in_the_fixtures() -> None:
    """``response.failed`` and ``error`` end the call: tested below."""
    missing = DOCUMENTED_EVENTS - ALL_EVENT_TYPES - {"response.failed", "error"}
    assert not missing


def test_every_documented_event_is_handled_or_deliberately_skipped() -> None:
    """Audio (never asked for by this library) is reported as a warning if it comes."""
    from fantasy.providers.openai.responses_stream import _HANDLERS, _IGNORED

    known = set(_HANDLERS) | _IGNORED | {"response.output_text.delta"}  # the hot path's
    assert DOCUMENTED_EVENTS - known == AUDIO_EVENTS
    assert not known - DOCUMENTED_EVENTS - RECORDED_EVENTS


@pytest.mark.parametrize(
    ("event", "title"),
    [
        (
            {
                "type": "response.failed",
                "response": {
                    **response(),
                    "status": "failed",
                    "error": {"code": "server_error", "message": "boom"},
                },
            },
            "response failed",
        ),
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "slow down", "param": None},
            "response error",
        ),
    ],
    ids=["response.failed", "error"],
)
def test_failed_and_error_events_end_the_call(event: dict[str, Any], title: str) -> None:
    created = {"type": "response.created", "response": {**response(), "status": "in_progress"}}
    failing = Fixture(
        name=title,
        family="openai-responses",
        expect=Expected(),
        stream=sse(created, event, named=True),
    )
    with pytest.raises(ProviderError) as caught:
        run(failing, streaming=True)
    assert caught.value.title == title
