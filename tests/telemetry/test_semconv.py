"""The attribute and metric names fantasy writes are the published ones of the pinned
semantic-conventions version (the conventions' package keeps GenAI names in an
unstable module, so fantasy copies them; this compares every copy)."""

from __future__ import annotations

import opentelemetry.semconv._incubating.attributes.gen_ai_attributes as gen_ai
import opentelemetry.semconv._incubating.metrics.gen_ai_metrics as gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes, server_attributes
from opentelemetry.semconv.schemas import Schemas

from fantasy.telemetry import semconv


def test_the_pinned_version_is_published_by_the_installed_conventions() -> None:
    assert semconv.SEMCONV_VERSION == "1.44.0"
    assert semconv.SCHEMA_URL in {s.value for s in Schemas}


def test_every_gen_ai_name_is_the_published_one() -> None:
    copied = {k: v for k, v in vars(semconv).items() if k.startswith("GEN_AI_")}
    attributes = {k: v for k, v in copied.items() if not k.startswith("GEN_AI_CLIENT_")}
    metrics = {k: v for k, v in copied.items() if k.startswith("GEN_AI_CLIENT_")}
    assert len(attributes) >= 30
    for name, value in attributes.items():
        assert getattr(gen_ai, name) == value, name
    for name, value in metrics.items():
        assert getattr(gen_ai_metrics, name) == value, name
    assert semconv.SERVER_ADDRESS == server_attributes.SERVER_ADDRESS
    assert semconv.SERVER_PORT == server_attributes.SERVER_PORT
    assert semconv.ERROR_TYPE == error_attributes.ERROR_TYPE


def test_enumerated_values_are_the_published_ones() -> None:
    ops = gen_ai.GenAiOperationNameValues
    assert ops.CHAT.value == semconv.OPERATION_CHAT
    assert ops.INVOKE_AGENT.value == semconv.OPERATION_INVOKE_AGENT
    assert ops.EXECUTE_TOOL.value == semconv.OPERATION_EXECUTE_TOOL
    assert gen_ai.GenAiTokenTypeValues.INPUT.value == semconv.TOKEN_TYPE_INPUT
    assert gen_ai.GenAiTokenTypeValues.COMPLETION.value == semconv.TOKEN_TYPE_OUTPUT
    providers = {v.value for v in gen_ai.GenAiProviderNameValues}
    assert set(semconv.PROVIDER_NAMES.values()) <= providers


def test_fantasy_s_own_names_stay_out_of_the_gen_ai_namespace() -> None:
    own = [v for k, v in vars(semconv).items() if k.startswith("FANTASY_")]
    assert own and all(v.startswith("fantasy.") for v in own)
