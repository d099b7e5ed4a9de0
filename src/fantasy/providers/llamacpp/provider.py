"""The local provider: one GGUF file, loaded once, shared by its language models."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fantasy.errors import InvalidArgumentError
from fantasy.providers.llamacpp.engine import Engine
from fantasy.providers.llamacpp.hooks import DEFAULT_HOOKS, LocalHooks
from fantasy.providers.llamacpp.model import LlamaCppLanguageModel, Sampling
from fantasy.providers.llamacpp.options import NAME

if TYPE_CHECKING:
    from fantasy.objects import ObjectMode

OBJECT_MODES = ("auto", "json", "tool", "text")


def _check_int(name: str, value: Any, at_least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
        raise InvalidArgumentError(f"llamacpp {name} should be an integer >= {at_least}")


class Provider:
    """A GGUF model run in this process by llama.cpp (Fantasy's ``kronk`` provider).

    ``model_path`` is a local GGUF file (download one from Hugging Face, e.g. a
    ``Q4_K_M`` quantisation). The model is loaded once, on first use, in a thread of its
    own on the async face; `load` / `aload` load it ahead of time. The provider owns
    it: `close` (or leaving ``with Provider(...) as provider:``) stops what is running
    and frees it; a closed provider refuses further calls.

    Model settings: ``n_ctx`` (context window in tokens; 0 takes the model's own),
    ``n_gpu_layers`` (layers offloaded to the GPU, -1 for all; needs a llama.cpp built
    with CUDA, Metal, Vulkan...), ``n_threads`` / ``n_threads_batch`` (CPU threads for
    generating / reading the prompt), ``n_batch``, ``flash_attn``, ``use_mmap``,
    ``use_mlock``, and anything else `llama_cpp.Llama` takes in ``llama_kwargs``.

    Sampling defaults, used when a call sets nothing: ``temperature``, ``top_k``,
    ``top_p``, ``min_p``, ``repeat_penalty``, ``seed`` (None: a new random seed each
    call). ``chat_template`` replaces the GGUF's template (a Jinja string);
    ``chat_template_kwargs`` are variables every render sees (``{"enable_thinking":
    False}``). Without either template, ChatML is used. ``parallel_tool_calls=False``
    lets an answer hold one tool call at most (the grammar ends after it). ``hooks``
    replace steps of the translation for every model of the provider (`LocalHooks`).

    Generations run one at a time per provider (a llama.cpp context holds one
    conversation); a call waits for the one before it.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        n_ctx: int = 4096,
        n_gpu_layers: int = 0,
        n_threads: int | None = None,
        n_threads_batch: int | None = None,
        n_batch: int = 512,
        flash_attn: bool = False,
        use_mmap: bool = True,
        use_mlock: bool = False,
        temperature: float = 0.8,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        repeat_penalty: float = 1.0,
        seed: int | None = None,
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        parallel_tool_calls: bool = True,
        hooks: LocalHooks | None = None,
        name: str = NAME,
        object_mode: ObjectMode | str = "auto",
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
    ):
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise InvalidArgumentError(f"llamacpp model_path {str(path)!r} is not a file")
        _check_int("n_ctx", n_ctx, 0)
        _check_int("n_gpu_layers", n_gpu_layers, -1)
        _check_int("n_batch", n_batch, 1)
        for label, threads in (("n_threads", n_threads), ("n_threads_batch", n_threads_batch)):
            if threads is not None:
                _check_int(label, threads, 1)
        if str(object_mode) not in OBJECT_MODES:
            raise InvalidArgumentError(
                f"llamacpp object_mode should be one of {', '.join(OBJECT_MODES)}"
            )
        settings: dict[str, Any] = {
            "n_ctx": n_ctx,
            "n_gpu_layers": n_gpu_layers,
            "n_batch": min(n_batch, n_ctx) if n_ctx else n_batch,
            "flash_attn": flash_attn,
            "use_mmap": use_mmap,
            "use_mlock": use_mlock,
            "verbose": verbose,
        }
        if n_threads is not None:
            settings["n_threads"] = n_threads
        if n_threads_batch is not None:
            settings["n_threads_batch"] = n_threads_batch
        settings.update(llama_kwargs or {})
        self._name = name
        self._engine = Engine(path, settings)
        self._object_mode = object_mode
        self._sampling = Sampling(temperature, top_k, top_p, min_p, repeat_penalty, seed)
        self._chat_template = chat_template
        self._template_variables = dict(chat_template_kwargs or {})
        self._parallel_tool_calls = parallel_tool_calls
        self._hooks = DEFAULT_HOOKS.merged(hooks)

    @property
    def name(self) -> str:
        return self._name

    @property
    def model_path(self) -> Path:
        return self._engine.model_path

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._engine.loaded

    @property
    def closed(self) -> bool:
        return self._engine.closed

    def language_model(
        self, model_id: str = "", *, hooks: LocalHooks | None = None
    ) -> LlamaCppLanguageModel:
        """The provider's model; ``model_id`` is the name it reports (default: the file's
        name without ``.gguf``). Every language model of a provider shares its one
        loaded model. ``hooks`` replace steps of its translation (over the provider's
        own; see `LocalHooks`)."""
        return LlamaCppLanguageModel(
            self._engine,
            model_id or self.model_path.stem,
            provider_name=self._name,
            object_mode=self._object_mode,
            sampling=self._sampling,
            chat_template=self._chat_template,
            template_variables=self._template_variables,
            parallel_tool_calls=self._parallel_tool_calls,
            hooks=self._hooks.merged(hooks),
        )

    def load(self) -> None:
        """Load the model now (blocking) rather than on the first call."""
        self._engine.load()

    async def aload(self) -> None:
        """`load` on a worker thread, leaving the event loop free."""
        from fantasy import _runtime

        await _runtime.run_in_worker(self._engine.load)

    def close(self) -> None:
        """Stop running generations at their next token, then free the model."""
        self._engine.close()

    async def aclose(self) -> None:
        from fantasy import _runtime

        await _runtime.run_in_worker(self._engine.close)

    def __enter__(self) -> Provider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "loaded" if self.loaded else "not loaded"
        return f"Provider(name={self._name!r}, model_path={str(self.model_path)!r}, {state})"
