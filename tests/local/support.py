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
