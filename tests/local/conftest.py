"""The local-model tests run llama.cpp for real, on a tiny random-weight llama model
written at test time (`fantasy.testing.tiny_llama`): nothing binary is committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fantasy.providers import llamacpp
from fantasy.testing.tiny_llama import write_tiny_llama
from tests.local.support import local_provider


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture(scope="session")
def no_template_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(
        tmp_path_factory.mktemp("gguf") / "plain.gguf", chat_template=None, seed=1
    )


@pytest.fixture
def provider(tiny_model: Path) -> Iterator[llamacpp.Provider]:
    # One call per answer: a random model rarely ends its turn after a call of its own
    # accord, and would write calls until the token limit.
    with local_provider(tiny_model, n_ctx=4096, parallel_tool_calls=False) as provider:
        yield provider
