"""Generation on the real engine: both faces, templates, usage, finish reasons,
options, metadata, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import fantasy
from fantasy.model import Call
from fantasy.providers import llamacpp
from fantasy.testing.tiny_llama import TINY_CHAT_TEMPLATE
from fantasy.types import (
    CallWarningType,
    FinishReason,
    StreamPartType,
    system_message,
    user_message,
)
from tests.local.support import local_provider


def seeded(seed: int, max_tokens: int = 30, **options: object) -> Call:
    return Call(
        [user_message("hi")],
        max_output_tokens=max_tokens,
        provider_options={"llamacpp": llamacpp.ProviderOptions(seed=seed, **options)},  # type: ignore[arg-type]
    )


ENDLESS = 'root ::= [a-z]+ "." root'
"""A grammar the model can never finish: it stops at the token limit, or a stop string."""


def stream_text(parts: list[fantasy.StreamPart]) -> str:
    return "".join(p.delta for p in parts if p.type == StreamPartType.TEXT_DELTA)


def test_generate_reports_text_usage_finish_and_metadata(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    assert not provider.loaded
    response = model.generate(seeded(1))
    assert provider.loaded
    usage = response.usage
    assert usage.input_tokens > 0 and 0 < usage.output_tokens <= 30
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    if usage.output_tokens == 30:
        assert response.finish_reason == FinishReason.LENGTH
    else:
        assert response.finish_reason == FinishReason.STOP
    assert response.raw_finish_reason == response.finish_reason.value
    assert response.text
    metadata = response.provider_metadata["llamacpp"]
    assert isinstance(metadata, llamacpp.ProviderMetadata)
    assert metadata.model == "tiny" and model.model == "tiny" and model.provider == "llamacpp"
    assert metadata.model_type == "llama" and metadata.model_size_bytes > 0
    assert metadata.output_tokens == usage.output_tokens
    assert metadata.time_to_first_token_ms > 0
    if usage.output_tokens > 1:
        assert metadata.tokens_per_second > 0


def test_the_token_limit_ends_with_length(provider: llamacpp.Provider) -> None:
    response = provider.language_model().generate(seeded(1, max_tokens=3, grammar=ENDLESS))
    assert response.usage.output_tokens == 3
    assert response.finish_reason == FinishReason.LENGTH


def test_the_same_seed_gives_the_same_answer_on_every_face(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    first = model.generate(seeded(7)).text
    assert model.generate(seeded(7)).text == first
    assert stream_text(list(model.stream(seeded(7)))) == first
    assert model.generate(seeded(8)).text != first


async def test_async_faces_match_the_sync_ones(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    expected = model.generate(seeded(5)).text
    assert (await model.agenerate(seeded(5))).text == expected
    parts = [part async for part in model.astream(seeded(5))]
    assert stream_text(parts) == expected


def test_stream_parts_come_in_order(provider: llamacpp.Provider) -> None:
    parts = list(provider.language_model().stream(seeded(2)))
    kinds = [p.type for p in parts]
    assert kinds[0] == StreamPartType.TEXT_START
    assert kinds[-2:] == [StreamPartType.TEXT_END, StreamPartType.FINISH]
    assert set(kinds[1:-2]) == {StreamPartType.TEXT_DELTA}
    finish = parts[-1]
    assert finish.usage is not None and finish.usage.output_tokens > 0
    assert finish.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert isinstance(finish.provider_metadata["llamacpp"], llamacpp.ProviderMetadata)  # type: ignore[index]


async def test_every_answer_has_an_id_of_its_own_and_names_its_model(
    provider: llamacpp.Provider,
) -> None:
    """As every provider's: Response.response_id and .response_model, and the same on a
    stream's finish part, on all four faces (telemetry's gen_ai.response.id reads them)."""
    model = provider.language_model()
    finishes = [
        list(model.stream(seeded(3)))[-1],
        [part async for part in model.astream(seeded(3))][-1],
    ]
    answers = [model.generate(seeded(3)), await model.agenerate(seeded(3)), *finishes]
    ids = [answer.response_id for answer in answers]
    assert all(isinstance(i, str) and i.startswith("chatcmpl-") and len(i) > 20 for i in ids)
    assert len(set(ids)) == 4
    assert [answer.response_model for answer in answers] == ["tiny"] * 4


def test_stop_strings_end_the_answer_before_them(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    full = model.generate(seeded(11, max_tokens=60, grammar=ENDLESS)).text
    assert len(full) == 60
    stop = full[20:23]
    cut = full.index(stop)
    response = model.generate(seeded(11, max_tokens=60, grammar=ENDLESS, stop=[stop]))
    assert response.text == full[:cut]
    assert response.finish_reason == FinishReason.STOP
    assert response.usage.output_tokens == cut + len(stop)
    stopped = seeded(11, max_tokens=60, grammar=ENDLESS, stop=["zzzz", stop])
    streamed = stream_text(list(model.stream(stopped)))
    assert streamed == full[:cut]


def test_top_k_one_is_greedy_whatever_the_seed(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    assert model.generate(seeded(1, top_k=1)).text == model.generate(seeded(2, top_k=1)).text
    assert model.generate(seeded(1)).text != model.generate(seeded(2)).text


def test_num_predict_wins_over_max_output_tokens(tiny_model: Path) -> None:
    with local_provider(tiny_model, n_ctx=128) as provider:
        model = provider.language_model()
        response = model.generate(seeded(1, max_tokens=30, num_predict=2))
        assert response.usage.output_tokens == 2
        # Negative, as in llama.cpp: no limit but the context window.
        unlimited = model.generate(seeded(1, max_tokens=3, num_predict=-1, grammar=ENDLESS))
    assert unlimited.usage.total_tokens == 128
    assert unlimited.finish_reason == FinishReason.LENGTH


def test_options_under_fantasys_key_and_as_json(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    expected = model.generate(seeded(4, max_tokens=10)).text
    for options in ({"kronk": llamacpp.ProviderOptions(seed=4)}, {"llamacpp": {"seed": 4}}):
        call = Call([user_message("hi")], max_output_tokens=10, provider_options=options)
        assert model.generate(call).text == expected


def test_a_grammar_option_constrains_the_answer(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    for seed in range(5):
        call = seeded(seed, grammar='root ::= "yes" | "no"')
        assert model.generate(call).text in ("yes", "no")


def test_a_broken_grammar_is_refused(provider: llamacpp.Provider) -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="not valid GBNF"):
        provider.language_model().generate(seeded(1, grammar='root ::= "unterminated'))


def test_options_llama_cpp_cannot_apply_are_warned_about(provider: llamacpp.Provider) -> None:
    response = provider.language_model().generate(seeded(1, xtc_probability=0.5))
    assert [(w.type, w.setting) for w in response.warnings] == [
        (CallWarningType.UNSUPPORTED_SETTING, "xtc_probability")
    ]


def test_wrong_option_types_are_refused(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    with pytest.raises(fantasy.InvalidArgumentError, match="ProviderOptions"):
        model.generate(Call([user_message("hi")], provider_options={"llamacpp": 3}))
    with pytest.raises((TypeError, ValueError), match="min_p"):
        model.generate(seeded(1, min_p="high"))


def test_the_prompt_is_the_gguf_chat_template(tiny_model: Path) -> None:
    prompt = "<|im_start|>system\nbrief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
    prompt += "<|im_start|>assistant\n"
    call = Call([system_message("brief"), user_message("hi")], max_output_tokens=1)
    with local_provider(tiny_model) as provider:
        usage = provider.language_model().generate(call).usage
    assert usage.input_tokens == len(prompt.encode()) + 1  # byte tokens and <s>

    with local_provider(tiny_model, chat_template="{{ messages[-1]['content'] }}") as own:
        assert own.language_model().generate(call).usage.input_tokens == len("hi") + 1


def test_a_gguf_without_template_gets_chatml(no_template_model: Path) -> None:
    call = Call([user_message("hi")], max_output_tokens=1)
    with local_provider(no_template_model) as provider:
        usage = provider.language_model().generate(call).usage
    prompt = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert usage.input_tokens == len(prompt.encode()) + 1


def test_template_variables_reach_the_template(tiny_model: Path) -> None:
    template = "{% if enable_thinking %}THINK:{% endif %}" + TINY_CHAT_TEMPLATE
    with local_provider(tiny_model, chat_template=template) as provider:
        model = provider.language_model()
        plain = model.generate(seeded(1, max_tokens=1)).usage.input_tokens
        thinking = model.generate(seeded(1, max_tokens=1, enable_thinking=True))
    assert thinking.usage.input_tokens == plain + len("THINK:")


def test_a_growing_conversation_reuses_the_cached_prefix(provider: llamacpp.Provider) -> None:
    model = provider.language_model()
    first = model.generate(seeded(1, max_tokens=5))
    assert first.usage.cache_read_tokens == 0
    longer = Call(
        [
            user_message("hi"),
            fantasy.Message(fantasy.Role.ASSISTANT, [fantasy.TextPart("ok")]),
            user_message("and then?"),
        ],
        max_output_tokens=5,
    )
    second = model.generate(longer)
    assert 0 < second.usage.cache_read_tokens < second.usage.input_tokens
    assert (
        second.provider_metadata["llamacpp"].cached_input_tokens == second.usage.cache_read_tokens
    )


def test_a_prompt_larger_than_the_context_is_a_context_window_error(tiny_model: Path) -> None:
    with local_provider(tiny_model, n_ctx=64) as provider:
        model = provider.language_model()
        with pytest.raises(fantasy.ContextWindowError) as caught:
            model.generate(Call([user_message("x" * 200)]))
        assert caught.value.context_max_tokens == 64
        assert caught.value.context_used_tokens > 200
        parts = list(model.stream(Call([user_message("x" * 200)])))
    assert [p.type for p in parts] == [StreamPartType.ERROR]
    assert isinstance(parts[0].error, fantasy.ContextWindowError)


def test_the_answer_stops_where_the_context_is_full(tiny_model: Path) -> None:
    with local_provider(tiny_model, n_ctx=64) as provider:
        call = seeded(1, max_tokens=1000, top_k=1)
        response = provider.language_model().generate(call)
    assert response.usage.total_tokens <= 64
    assert response.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)


def test_bad_settings_are_refused_when_built(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(fantasy.InvalidArgumentError, match="is not a file"):
        local_provider(tmp_path / "missing.gguf")
    with pytest.raises(fantasy.InvalidArgumentError, match="n_ctx"):
        local_provider(tiny_model, n_ctx=-1)
    with pytest.raises(fantasy.InvalidArgumentError, match="object_mode"):
        local_provider(tiny_model, object_mode="xml")


def test_a_file_that_is_not_a_model_fails_to_load_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")
    with local_provider(broken) as provider:
        with pytest.raises(fantasy.ProviderError, match=r"broken\.gguf") as caught:
            provider.load()
        assert caught.value.title == "llama.cpp model loading failed"
        parts = list(provider.language_model().stream(Call([user_message("hi")])))
        assert parts[-1].type == StreamPartType.ERROR


def test_hooks_replace_steps_and_can_call_the_defaults(tiny_model: Path) -> None:
    seen: list[str] = []

    def prepare(model: object, request: llamacpp.Request, call: Call) -> list[fantasy.CallWarning]:
        warnings = llamacpp.DEFAULT_HOOKS.prepare_call(model, request, call)  # type: ignore[misc,arg-type]
        request.grammar = 'root ::= "yes"'
        return warnings

    def to_prompt(
        prompt: list[fantasy.Message], provider: str, model_id: str
    ) -> tuple[list[dict[str, object]], list[fantasy.CallWarning]]:
        seen.append(f"{provider}/{model_id}")
        return [{"role": "user", "content": "replaced"}], []

    def finish(raw: str) -> FinishReason:
        return FinishReason.OTHER if raw == "stop" else FinishReason.UNKNOWN

    provider_hooks = llamacpp.LocalHooks(prepare_call=prepare, to_prompt=to_prompt)
    with local_provider(tiny_model, hooks=provider_hooks) as provider:
        model = provider.language_model(hooks=llamacpp.LocalHooks(map_finish_reason=finish))
        response = model.generate(seeded(1, xtc_probability=0.5))
        plain = provider.language_model().generate(seeded(1))
    assert response.text == "yes" and plain.text == "yes"
    assert response.finish_reason == FinishReason.OTHER  # the model's hook over the provider's
    assert plain.finish_reason == FinishReason.STOP
    assert response.raw_finish_reason == "stop"
    assert [w.setting for w in response.warnings] == ["xtc_probability"]  # the default ran
    prompt = "<|im_start|>user\nreplaced<|im_end|>\n<|im_start|>assistant\n"
    assert response.usage.input_tokens == len(prompt) + 1
    assert seen == ["llamacpp/tiny", "llamacpp/tiny"]
    with pytest.raises(fantasy.InvalidArgumentError, match="LocalHooks"):
        local_provider(tiny_model, hooks={"to_prompt": to_prompt})


def test_file_parts_are_warned_about_not_dropped_silently(provider: llamacpp.Provider) -> None:
    call = seeded(1, max_tokens=2)
    call.prompt[0].content.append(fantasy.FilePart(b"\x89PNG", "image/png"))
    response = provider.language_model().generate(call)
    assert [w.message for w in response.warnings] == [
        "llama.cpp: file parts (image/png) are not sent; local models read text"
    ]
    parts = list(provider.language_model().stream(call))
    assert parts[0].type == StreamPartType.WARNINGS


def test_a_leading_think_block_is_reasoning(provider: llamacpp.Provider) -> None:
    thinking = 'root ::= "<think>" [a-z]{3,8} "</think>" "\\n"? [a-z]{2,5}'
    model = provider.language_model()
    response = model.generate(seeded(3, grammar=thinking))
    [reasoning] = response.content.reasoning
    assert 3 <= len(reasoning.text) <= 8 and reasoning.text.isalpha()
    assert response.text.isalpha() and 2 <= len(response.text) <= 5
    assert response.content[0] is reasoning
    kinds = [p.type for p in model.stream(seeded(3, grammar=thinking))]
    assert kinds[0] == StreamPartType.REASONING_START
    assert kinds.index(StreamPartType.REASONING_END) < kinds.index(StreamPartType.TEXT_START)


def test_n_ctx_zero_takes_the_models_own_context(tiny_model: Path) -> None:
    with local_provider(tiny_model, n_ctx=0) as provider:
        provider.load()
        info = provider._engine.info
        assert info is not None and info.n_ctx == 4096  # the tiny model's context_length
