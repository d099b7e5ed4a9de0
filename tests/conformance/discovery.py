"""Finding the cassettes and saying which provider and model each one records.

The table mirrors Fantasy's providertests/*_test.go: a test group names the
provider family, the sub-folder names the model (Go's builderPair.name).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cassette_root() -> Path:
    configured = os.environ.get("FANTASY_CASSETTES")
    if configured:
        return Path(configured).resolve()
    return (REPO.parent / "shared" / "fantasy-cassettes").resolve()


@dataclass(frozen=True)
class Case:
    path: Path
    group: str
    pair: str
    """The Go builderPair name: the model folder, or the file stem for flat groups."""
    scenario: str

    @property
    def id(self) -> str:
        return (
            f"{self.group}/{self.pair}/{self.scenario}"
            if self.pair
            else f"{self.group}/{self.scenario}"
        )


FLAT_PAIR_GROUPS = {"TestImageUploadAgent", "TestImageUploadAgentStreaming"}


def discover(root: Path | None = None) -> list[Case]:
    root = root or cassette_root()
    cases: list[Case] = []
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).parts
        group = rel[0]
        if len(rel) == 3:
            cases.append(Case(path, group, rel[1], path.stem))
        elif group in FLAT_PAIR_GROUPS:
            cases.append(Case(path, group, path.stem, path.stem))
        else:
            cases.append(Case(path, group, "", path.stem))
    return cases


# Which provider family each group exercises.
GROUP_PROVIDER: dict[str, str] = {
    "TestOpenAICommon": "openai",
    "TestOpenAIObjectGeneration": "openai-object",
    "TestOpenAIResponsesCommon": "openai-responses",
    "TestOpenAIResponsesObjectGeneration": "openai-responses-object",
    "TestOpenAIResponsesWithSummaryThinking": "openai-responses",
    "TestOpenAIWebSearch": "openai-responses",
    "TestAzureCommon": "azure",
    "TestAzureThinking": "azure",
    "TestAzureResponsesCommon": "azure-responses",
    "TestAzureResponsesWithSummaryThinking": "azure-responses",
    "TestOpenAICompatibleCommon": "openaicompat",
    "TestOpenAICompatibleThinking": "openaicompat",
    "TestOpenAICompatObjectGeneration": "openaicompat-object",
    "TestOpenRouterCommon": "openrouter",
    "TestOpenRouterCommonWithAnthropicCache": "openrouter",
    "TestOpenRouterThinking": "openrouter",
    "TestVercelCommon": "vercel",
    "TestVercelCommonWithAnthropicCache": "vercel",
    "TestVercelThinking": "vercel",
    "TestAnthropicCommon": "anthropic",
    "TestAnthropicCommonWithCacheControl": "anthropic",
    "TestAnthropicComputerUse": "anthropic",
    "TestAnthropicThinking": "anthropic",
    "TestAnthropicThinkingWithCacheControl": "anthropic",
    "TestAnthropicWebSearch": "anthropic",
    "TestAnthropicObjectGeneration": "anthropic-object",
    "TestBedrockBasicAuth": "bedrock",
    "TestBedrockCommon": "bedrock",
    "TestGoogleCommon": "google",
    "TestGoogleThinking": "google",
    "TestGoogleObjectGeneration": "google-object",
    "TestGoogleVertexObjectGeneration": "google-object",
}


def provider_family(case: Case) -> str | None:
    if case.group in FLAT_PAIR_GROUPS:
        for prefix, family in (
            ("openai-", "openai"),
            ("anthropic-", "anthropic"),
            ("gemini-", "google"),
        ):
            if case.pair.startswith(prefix):
                return family
        return None
    if case.group == "TestGoogleCommon" and "claude" in case.pair:
        return "anthropic"  # Claude on Vertex AI goes through the Anthropic provider
    return GROUP_PROVIDER.get(case.group)
