"""How a model writes a tool call, by the family its chat template belongs to.

The grammar makes the model write calls in one format, and the output reader reads that
format back, so the two share this description. A template that shows tools natively
is read for its family: Llama 3.1+ templates ask for a bare JSON object with
``parameters``; every other template (Qwen, Hermes, and templates that know no tools, to
which the format is explained in the system message) gets ``<tool_call>`` blocks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallFormat:
    name: str
    open: str
    """Text before each call; empty when a call is a bare JSON object."""
    close: str
    arguments_key: str
    separator: str
    """Between calls of one answer; empty when an answer holds one call."""

    @property
    def first_char(self) -> str:
        """The character an answer that calls tools begins with (and text may not)."""
        return (self.open or "{")[0]


HERMES = CallFormat("hermes", "<tool_call>\n", "\n</tool_call>", "arguments", "\n")
"""Hermes' and Qwen's ``<tool_call>{"name": ..., "arguments": ...}</tool_call>``."""

LLAMA3 = CallFormat("llama3", "", "", "parameters", "")
"""Llama 3.1+'s ``{"name": ..., "parameters": ...}``: one call, nothing around it."""


def call_format(template: str) -> CallFormat:
    """The format of a template that shows tools natively."""
    if (
        "<tool_call>" not in template
        and "<|start_header_id|>" in template
        and '"parameters"' in template
    ):
        return LLAMA3
    return HERMES
