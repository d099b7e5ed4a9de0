"""Fantasy's examples/web-search: the provider searches the web itself (a provider tool),
and the answer cites its sources.

    python examples/web_search.py

With ANTHROPIC_API_KEY set it asks claude-sonnet-4 with Anthropic's web search; else,
with OPENAI_API_KEY, gpt-5.4 on the Responses API with OpenAI's. Without either, it
replays the conversation Fantasy recorded with Anthropic (the cassette corpus, found
through FANTASY_CASSETTES or ../shared/fantasy-cassettes), so it runs offline. It says
which it did. The prompt and settings are the recording's, so that the replay matches
it request for request.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import fantasy
from fantasy.providers import anthropic, openai

CASSETTE = Path("TestAnthropicWebSearch/generate.yaml")
PROMPT = "What is the current population of Tokyo? Cite your source."


def cassette_root() -> Path:
    return Path(
        os.environ.get("FANTASY_CASSETTES")
        or Path(__file__).resolve().parents[2] / "shared" / "fantasy-cassettes"
    )


def model_and_search() -> tuple[fantasy.LanguageModel, fantasy.ProviderDefinedTool]:
    if os.environ.get("ANTHROPIC_API_KEY"):
        print("[live] asking claude-sonnet-4 on Anthropic (ANTHROPIC_API_KEY)\n")
        claude = anthropic.Provider().language_model("claude-sonnet-4-20250514")
        return claude, anthropic.web_search_tool()
    if os.environ.get("OPENAI_API_KEY"):
        print("[live] asking gpt-5.4 on OpenAI's Responses API (OPENAI_API_KEY)\n")
        gpt = openai.Provider(use_responses_api=True).language_model("gpt-5.4")
        return gpt, openai.web_search_tool()
    from fantasy.testing import ReplayTransport

    path = cassette_root() / CASSETTE
    if not path.exists():
        sys.exit(f"no ANTHROPIC_API_KEY or OPENAI_API_KEY, and no recording at {path}")
    print(f"[replay] no API key: replaying the recorded conversation {path}\n")
    provider = anthropic.Provider(api_key="replay", transport=ReplayTransport(path))
    return provider.language_model("claude-sonnet-4-20250514"), anthropic.web_search_tool()


def main() -> None:
    model, web_search = model_and_search()
    agent = fantasy.Agent(
        model, system_prompt="You are a helpful assistant", provider_tools=[web_search]
    )
    result = agent.generate(PROMPT, max_output_tokens=4000)
    print(result.response.content.text)
    print()
    for source in result.response.content.sources:
        print(f"Source: {source.title} — {source.url}")


if __name__ == "__main__":
    main()
