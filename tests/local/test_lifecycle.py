"""Loading, cancelling, timing out and closing: generation stops between tokens when
nobody waits for it any more."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import fantasy
from fantasy.model import Call
from fantasy.providers import llamacpp
from fantasy.types import StreamPartType, user_message
from tests.local.support import local_provider

LONG = 4000
"""Tokens a generation would run to if nothing stopped it (about a second on the tiny
model: llama.cpp writes several thousand of its tokens a second)."""


def long_call(**settings: object) -> Call:
    # A grammar with no end: the model can only stop at the token limit.
    options = llamacpp.ProviderOptions(seed=1, grammar='root ::= [a-z]+ "." root')
    return Call(
        [user_message("hi")],
        max_output_tokens=LONG,
        provider_options={"llamacpp": options},
        **settings,  # type: ignore[arg-type]
    )


@pytest.fixture
def provider(tiny_model: Path) -> Iterator[llamacpp.Provider]:
    with local_provider(tiny_model, n_ctx=LONG + 100) as provider:
        yield provider


def evaluated_tokens(provider: llamacpp.Provider) -> int:
    """Tokens in the model's context: the prompt plus those generated so far."""
    provider._engine.load()  # waits for the running generation to let go of the model
    llama = provider._engine._llama
    assert llama is not None
    return int(llama.n_tokens)


def test_the_model_loads_once_and_lazily(provider: llamacpp.Provider) -> None:
    assert not provider.loaded
    provider.load()
    llama = provider._engine._llama
    provider.language_model().generate(Call([user_message("hi")], max_output_tokens=2))
    provider.language_model("other name").generate(Call([user_message("hi")], max_output_tokens=2))
    assert provider._engine._llama is llama


async def test_aload_keeps_the_event_loop_free(provider: llamacpp.Provider) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await provider.aload()
    ticker.cancel()
    assert provider.loaded and ticks > 0


def test_closing_a_sync_stream_stops_generation(provider: llamacpp.Provider) -> None:
    stream = provider.language_model().stream(long_call())
    for part in stream:
        if part.type == StreamPartType.TEXT_DELTA:
            break
    stream.close()  # type: ignore[attr-defined]
    assert evaluated_tokens(provider) < 100  # the prompt is 53 tokens


async def test_cancelling_an_async_stream_stops_generation(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for part in model.astream(long_call()):
            if part.type == StreamPartType.TEXT_DELTA:
                first_delta.set()

    task = asyncio.create_task(consume())
    await first_delta.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    tokens = await asyncio.to_thread(evaluated_tokens, provider)
    assert tokens < 200
    assert time.monotonic() - started < 2


async def test_a_timed_out_async_generate_stops_generation(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    await provider.aload()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.agenerate(long_call()), 0.05)
    assert await asyncio.to_thread(evaluated_tokens, provider) < LONG // 2


@pytest.mark.parametrize("face", ["sync", "async"])
def test_the_calls_timeout_stops_generation(provider: llamacpp.Provider, face: str) -> None:
    model = provider.language_model()
    provider.load()
    started = time.monotonic()
    with pytest.raises(fantasy.ProviderTimeoutError):
        if face == "sync":
            model.generate(long_call(timeout=0.05))
        else:
            asyncio.run(model.agenerate(long_call(timeout=0.05)))
    assert time.monotonic() - started < 2
    assert evaluated_tokens(provider) < LONG // 2


async def test_closing_the_provider_stops_a_running_stream(provider: llamacpp.Provider) -> None:
    parts = []
    async for part in provider.language_model().astream(long_call()):
        parts.append(part)
        if len(parts) == 3:
            await provider.aclose()
    assert parts[-1].type == StreamPartType.ERROR
    assert "stopped" in str(parts[-1].error)
    assert provider.closed and not provider.loaded


def test_a_closed_provider_refuses_calls(tiny_model: Path) -> None:
    with local_provider(tiny_model) as provider:
        model = provider.language_model()
        model.generate(Call([user_message("hi")], max_output_tokens=1))
    assert provider.closed and not provider.loaded
    with pytest.raises(fantasy.InvalidRequestError, match="closed"):
        model.generate(Call([user_message("hi")], max_output_tokens=1))
    provider.close()  # idempotent
    assert "closed" in repr(provider)


async def test_async_context_manager_closes(tiny_model: Path) -> None:
    async with local_provider(tiny_model) as provider:
        await provider.language_model().agenerate(Call([user_message("hi")], max_output_tokens=1))
        assert provider.loaded
    assert provider.closed and not provider.loaded


async def test_concurrent_calls_take_turns(provider: llamacpp.Provider) -> None:
    model = provider.language_model()

    def call(seed: int) -> Call:
        options = llamacpp.ProviderOptions(seed=seed)
        return Call(
            [user_message("hi")], max_output_tokens=20, provider_options={"llamacpp": options}
        )

    alone = [(await model.agenerate(call(seed))).text for seed in range(4)]
    together = await asyncio.gather(*(model.agenerate(call(seed)) for seed in range(4)))
    assert [r.text for r in together] == alone


def test_import_fantasy_and_the_provider_do_not_load_llama_cpp() -> None:
    code = (
        "import sys, fantasy, fantasy.providers.llamacpp, fantasy.providers.kronk\n"
        "loaded = [m for m in ('llama_cpp', 'jinja2', 'numpy', 'gguf') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_second_call_inside_an_open_sync_stream_is_refused(provider: llamacpp.Provider) -> None:
    # The open stream holds the model; waiting for it in its own thread would never end.
    model = provider.language_model()
    stream = model.stream(long_call())
    next(iter(stream))
    with pytest.raises(fantasy.InvalidRequestError, match="still generating in this thread"):
        model.generate(Call([user_message("hi")], max_output_tokens=1))
    stream.close()  # type: ignore[attr-defined]
    assert model.generate(Call([user_message("hi")], max_output_tokens=1)).usage.output_tokens


def test_closing_inside_an_open_sync_stream_stops_it_and_frees_the_model(
    provider: llamacpp.Provider,
) -> None:
    parts = []
    for part in provider.language_model().stream(long_call()):
        parts.append(part)
        if len(parts) == 2:
            provider.close()  # returns at once: the model is freed when the stream ends
    assert parts[-1].type == StreamPartType.ERROR
    assert provider.closed and not provider.loaded
