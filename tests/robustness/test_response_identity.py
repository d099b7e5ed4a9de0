"""Every provider reads what its answer says of itself: the answer's id and the model
that wrote it (``Response.response_id`` / ``response_model``, the stream's ``finish``
part, ``StepResult``), whole and streamed, from each family's documented answers.

The expected values come from the whole answer's JSON, under the names each API gives
them (``id``/``model``; Gemini's ``responseId``/``modelVersion``); the fixtures'
streams are the same answers streamed, so both paths must agree with them.
"""

from __future__ import annotations

from typing import Any

import pytest

from fantasy import Agent
from fantasy.errors import MaxStepsExceededError
from fantasy.model import Call
from fantasy.types import StreamPartType, user_message
from tests.robustness import (
    fixtures_anthropic,
    fixtures_google,
    fixtures_openai_chat,
    fixtures_openai_responses,
    fixtures_openaicompat,
    fixtures_openrouter,
    fixtures_vercel,
)
from tests.robustness.harness import BASE_URL, BUILDERS, SEEDS, Fixture, _transport

ALL = [
    *fixtures_openai_chat.FIXTURES,
    *fixtures_openai_responses.FIXTURES,
    *fixtures_openaicompat.FIXTURES,
    *fixtures_openrouter.FIXTURES,
    *fixtures_vercel.FIXTURES,
    *fixtures_anthropic.FIXTURES,
    *fixtures_google.FIXTURES,
]


def identity(fixture: Fixture) -> tuple[str | None, str | None]:
    """The id and model the whole answer names, as its API spells them."""
    whole: dict[str, Any] = fixture.whole
    if fixture.family == "google":
        return whole.get("responseId") or None, whole.get("modelVersion") or None
    return whole.get("id") or None, whole.get("model") or None


# Fixtures that carry both an answer and a stream of it, and say who answered.
NAMED = [f for f in ALL if f.whole is not None and f.stream is not None and any(identity(f))]


def model_for(fixture: Fixture, *, streaming: bool, seed: int = 0) -> Any:
    return BUILDERS[fixture.family](
        BASE_URL,
        transport=_transport(fixture, streaming=streaming, seed=seed),
        **fixture.build_options,
    )


def step_of(fixture: Fixture, *, streaming: bool, seed: int = 0) -> Any:
    agent = Agent(model_for(fixture, streaming=streaming, seed=seed), max_steps=1, max_retries=0)
    try:
        if streaming:
            stream = agent.stream("go")
            for _ in stream:
                pass
            result = stream.result
        else:
            result = agent.generate("go")
    except MaxStepsExceededError as exc:  # the answer called a client tool
        assert exc.partial_result is not None
        result = exc.partial_result
    return result.steps[0]


def test_every_family_has_an_answer_that_names_itself() -> None:
    families = {f.family for f in NAMED}
    assert families >= {
        "openai-chat",
        "openai-responses",
        "openaicompat",
        "openrouter",
        "vercel",
        "anthropic",
        "bedrock",
        "google",
    }


@pytest.mark.parametrize("fixture", NAMED, ids=lambda f: f.name)
def test_the_answer_s_id_and_model_are_read_whole_and_streamed(fixture: Fixture) -> None:
    expected = identity(fixture)
    call = Call([user_message("go")])

    response = model_for(fixture, streaming=False).generate(call)
    assert (response.response_id, response.response_model) == expected
    step = step_of(fixture, streaming=False)
    assert (step.response_id, step.response_model) == expected
    assert (step.response.response_id, step.response.response_model) == expected

    (finish,) = [
        p
        for p in model_for(fixture, streaming=True).stream(call)
        if p.type is StreamPartType.FINISH
    ]
    assert (finish.response_id, finish.response_model) == expected
    for seed in SEEDS:
        step = step_of(fixture, streaming=True, seed=seed)
        assert (step.response_id, step.response_model) == expected, f"split {seed}"


def test_an_answer_without_an_id_or_model_gives_none() -> None:
    (fixture,) = [f for f in fixtures_openai_chat.FIXTURES if f.name == NAMED[0].name]
    whole = {k: v for k, v in fixture.whole.items() if k not in ("id", "model")}
    bare = Fixture("bare", fixture.family, fixture.expect, whole=whole)
    response = model_for(bare, streaming=False).generate(Call([user_message("go")]))
    assert response.response_id is None and response.response_model is None
