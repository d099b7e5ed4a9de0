"""One loaded GGUF model and the token loop that runs it: the only module that touches
llama-cpp-python.

A llama.cpp context holds one conversation's state, so an `Engine` runs one generation
at a time (a lock; others wait their turn) and keeps the previous prompt's tokens, which
llama-cpp-python reuses when the next prompt starts with them (a conversation that grows
evaluates only its new turn). Everything here blocks: the model's async face calls it
from a worker thread.

Generation stops between two tokens when its ``stop`` event is set (the caller went
away, a deadline passed, the provider closes), when the model ends its turn, a stop
string appears, or the token limit is reached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fantasy.errors import ProviderError
from fantasy.providers.llamacpp.utf8 import GrammarUtf8Decoder

if TYPE_CHECKING:
    from llama_cpp import Llama

PROVIDER = "llamacpp"


@dataclass(slots=True, frozen=True)
class ModelInfo:
    """What prompt building and metadata need from the loaded model."""

    chat_template: str
    bos_token: str
    eos_token: str
    description: str
    architecture: str
    size_bytes: int
    n_ctx: int


@dataclass(slots=True)
class Request:
    """One generation, as llama.cpp takes it."""

    prompt: str
    max_tokens: int | None = None
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    repeat_last_n: int | None = None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    grammar: str | None = None
    deadline: float | None = None
    """`time.monotonic()` after which generation stops with a timeout."""
    template_variables: dict[str, Any] = field(default_factory=dict)
    """What the chat template is rendered with besides the messages (``enable_thinking``,
    ...); read when the prompt is made, before generation."""


@dataclass(slots=True)
class Outcome:
    """How a generation ended, and what it cost."""

    finish: str
    """``"stop"`` (end of turn or a stop string) or ``"length"`` (token limit)."""
    prompt_tokens: int
    output_tokens: int
    cached_tokens: int
    time_to_first_token_ms: float
    tokens_per_second: float


def load_error(path: Path, exc: BaseException) -> ProviderError:
    return ProviderError(
        f"cannot load {path}: {exc}",
        title="llama.cpp model loading failed",
        provider=PROVIDER,
        cause=exc,
    )


class Engine:
    """The model file, its settings, and (once loaded) the llama.cpp model."""

    def __init__(self, model_path: Path, settings: Mapping[str, Any]):
        self.model_path = model_path
        self.settings = dict(settings)
        self._lock = threading.Lock()
        self._llama: Llama | None = None
        self._info: ModelInfo | None = None
        self._closed = False
        self._running: set[threading.Event] = set()
        self._running_lock = threading.Lock()
        self._owner: int | None = None
        """The thread holding the model (`_lock`), or None."""

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def info(self) -> ModelInfo | None:
        """The loaded model's template, tokens and figures (None until it loads)."""
        return self._info

    def load(self) -> ModelInfo:
        """Load the model if it is not loaded yet (blocking; once per engine)."""
        self._acquire()
        try:
            return self._load()
        finally:
            self._release()

    def _acquire(self) -> None:
        """Take the model for this thread. A generation of the sync face keeps it while
        its stream is open, so the same thread asking again would wait for itself."""
        if self._owner == threading.get_ident():
            raise ProviderError(
                f"{self.model_path.name} is still generating in this thread (a stream that "
                "was not finished or closed); finish or close it first",
                title="invalid request",
                provider=PROVIDER,
            )
        self._lock.acquire()
        self._owner = threading.get_ident()

    def _release(self) -> None:
        self._owner = None
        if self._closed:
            self._free()
        self._lock.release()

    def _load(self) -> ModelInfo:
        if self._closed:
            raise ProviderError(
                f"the llama.cpp provider for {self.model_path.name} is closed",
                title="invalid request",
                provider=PROVIDER,
            )
        if self._llama is not None and self._info is not None:
            return self._info
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - the extra is installed in CI
            raise ImportError(
                "local models need llama-cpp-python: pip install 'fantasy[local]'"
            ) from exc
        try:
            llama = Llama(model_path=str(self.model_path), **self.settings)
        except (ValueError, RuntimeError, OSError) as exc:
            raise load_error(self.model_path, exc) from exc
        self._llama = llama
        self._info = _model_info(llama)
        return self._info

    def _free(self) -> None:
        llama, self._llama = self._llama, None
        if llama is not None:
            llama.close()

    def close(self) -> None:
        """Stop running generations at their next token and free the model once they
        have let go of it. Idempotent. Called by the thread whose open stream holds the
        model, it returns at once; the model is freed when that stream ends."""
        self._closed = True
        with self._running_lock:
            for flag in self._running:
                flag.set()
        if self._owner == threading.get_ident():
            return
        with self._lock:
            self._free()

    def run(
        self, prepare: Callable[[ModelInfo], Request], stop: threading.Event
    ) -> Iterator[str | Outcome]:
        """Text as it is generated, then the `Outcome`. ``prepare`` builds the request
        from the loaded model (its chat template) while this generation holds it."""
        with self._running_lock:
            self._running.add(stop)
        try:
            self._acquire()
            try:
                info = self._load()
                request = prepare(info)
                assert self._llama is not None
                if request.grammar is not None:
                    _check_grammar(self._llama, request.grammar)
                try:
                    yield from _generate(self._llama, info, request, stop)
                except RuntimeError as exc:  # llama.cpp refused to decode or sample
                    raise ProviderError(
                        str(exc), title="llama.cpp generation failed", provider=PROVIDER, cause=exc
                    ) from exc
            finally:
                self._release()
        finally:
            with self._running_lock:
                self._running.discard(stop)


def _model_info(llama: Llama) -> ModelInfo:
    metadata = llama.metadata
    model = llama._model  # llama-cpp-python's handle: its description and size

    def token_text(token: int) -> str:
        if token < 0:
            return ""
        return llama.detokenize([token], special=True).decode("utf-8", "replace")

    return ModelInfo(
        chat_template=metadata.get("tokenizer.chat_template", ""),
        bos_token=token_text(llama.token_bos()),
        eos_token=token_text(llama.token_eos()),
        description=model.desc(),
        architecture=metadata.get("general.architecture", ""),
        size_bytes=model.size(),
        # llama.cpp may round the context up; llama-cpp-python's token buffer is the
        # size asked for, and the real limit.
        n_ctx=min(llama.n_ctx(), len(llama.input_ids)),
    )


def _held_back(text: str, stops: list[str]) -> int:
    """How many characters at the end of ``text`` could start a stop string."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


def _generate(
    llama: Llama, info: ModelInfo, request: Request, stop: threading.Event
) -> Iterator[str | Outcome]:
    import llama_cpp

    from fantasy.errors import ContextWindowError

    add_bos = not (info.bos_token and request.prompt.startswith(info.bos_token))
    tokens = llama.tokenize(request.prompt.encode("utf-8"), add_bos=add_bos, special=True)
    room = info.n_ctx - len(tokens)
    if room < 1:
        raise ContextWindowError(
            f"the prompt is {len(tokens)} tokens; the context window holds {info.n_ctx}",
            title="llama.cpp context window exceeded",
            provider=PROVIDER,
            context_used_tokens=len(tokens),
            context_max_tokens=info.n_ctx,
        )
    limit = room if request.max_tokens is None else min(request.max_tokens, room)
    cached = _common_prefix(llama, tokens)

    grammar = None
    if request.grammar is not None:
        grammar = _grammar(request.grammar)
    llama.set_seed(request.seed if request.seed is not None else llama_cpp.LLAMA_DEFAULT_SEED)
    default_last_n = llama.last_n_tokens_size
    if request.repeat_last_n is not None:
        llama.last_n_tokens_size = request.repeat_last_n

    vocab = llama._model.vocab
    decoder = GrammarUtf8Decoder()
    text = ""
    emitted = 0
    finish = "length"
    stopped_by_string = False
    produced = 0
    started = time.perf_counter()
    first = last = started
    generator = llama.generate(
        tokens,
        top_k=request.top_k,
        top_p=request.top_p,
        min_p=request.min_p,
        temp=request.temperature,
        repeat_penalty=request.repeat_penalty,
        frequency_penalty=request.frequency_penalty,
        presence_penalty=request.presence_penalty,
        grammar=grammar,
    )
    try:
        if limit > 0:
            for token in generator:
                last = time.perf_counter()
                if produced == 0:
                    first = last
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                produced += 1
                text += decoder.decode(llama.detokenize([token]))
                cut = _first_stop(text, request.stop, emitted)
                if cut is not None:
                    text, finish, stopped_by_string = text[:cut], "stop", True
                    break
                safe = len(text) - _held_back(text, request.stop)
                if safe > emitted:
                    yield text[emitted:safe]
                    emitted = safe
                if produced >= limit:
                    break
                if stop.is_set():
                    return
                if request.deadline is not None and time.monotonic() > request.deadline:
                    raise TimeoutError("the call's timeout passed during generation")
    finally:
        generator.close()
        llama.last_n_tokens_size = default_last_n
    if not stopped_by_string:
        text += decoder.decode(b"", final=True)
    if len(text) > emitted:
        yield text[emitted:]
    elapsed = last - first
    rate = (produced - 1) / elapsed if produced > 1 and elapsed > 0 else 0.0
    yield Outcome(
        finish=finish,
        prompt_tokens=len(tokens),
        output_tokens=produced,
        cached_tokens=cached,
        time_to_first_token_ms=(first - started) * 1000 if produced else 0.0,
        tokens_per_second=rate,
    )


def _common_prefix(llama: Llama, tokens: list[int]) -> int:
    """Prompt tokens llama-cpp-python keeps from the previous generation (it evaluates
    only the rest; at least the last token is evaluated again)."""
    previous = list(llama._input_ids[: llama.n_tokens])
    n = 0
    for a, b in zip(previous, tokens, strict=False):
        if a != b:
            break
        n += 1
    return min(n, len(tokens) - 1)


def _first_stop(text: str, stops: list[str], emitted: int) -> int | None:
    """Where the earliest stop string begins in the part of ``text`` not yet final."""
    best = None
    for s in stops:
        if not s:
            continue
        at = text.find(s, max(0, emitted - len(s) + 1))
        if at >= 0 and (best is None or at < best):
            best = at
    return best


def _check_grammar(llama: Llama, grammar: str) -> None:
    """Raise `InvalidArgumentError` when llama.cpp cannot parse ``grammar``: given one it
    cannot parse, llama-cpp-python would add no grammar and sample unconstrained."""
    import llama_cpp

    from fantasy.errors import InvalidArgumentError

    sampler = llama_cpp.llama_sampler_init_grammar(
        llama._model.vocab, grammar.encode("utf-8"), b"root"
    )
    if not sampler:
        raise InvalidArgumentError(
            "the grammar is not valid GBNF with a root rule (llama.cpp could not parse it)"
        )
    llama_cpp.llama_sampler_free(sampler)


def _grammar(text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
