"""How the local tests build providers."""

from __future__ import annotations

import os
from typing import Any

from fantasy.providers import llamacpp


def local_provider(path: str | os.PathLike[str], **settings: Any) -> llamacpp.Provider:
    """A provider on one thread: llama.cpp's threads wait for each other by spinning, so
    on a shared, busy machine two of them are many times slower than one (a 3,000-token
    prompt: 8 s instead of 1), and the tiny model gains nothing from a second."""
    settings.setdefault("n_threads", 1)
    settings.setdefault("n_threads_batch", 1)
    return llamacpp.Provider(path, **settings)


LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% if tools %}<|start_header_id|>system<|end_header_id|>\n\n"
    'Respond with {"name": function name, "parameters": its arguments}. Tools:\n'
    "{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}<|eot_id|>{% endif %}"
    "{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>"
    "\n\n{% for call in message.get('tool_calls') or [] %}{{ {'name': call['function']"
    "['name'], 'parameters': call['function']['arguments']} | tojson }}{% endfor %}"
    "{{ message['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n"
    "{% endif %}"
)
"""A Llama 3.1 style template, in short: it shows tools, and calls are bare objects."""
