"""A dog-centric agent on a GGUF model run in this process by llama.cpp: Fantasy's
examples/kronk/simple, streamed.

    pip install 'fantasy[local]'
    python examples/local.py Qwen3-1.7B-Q4_K_M.gguf
    python examples/local.py model.gguf --n-gpu-layers -1 --prompt "Any cute dogs in Echo Park?"

Any GGUF chat model works; one whose chat template shows tools (Qwen, Hermes, Llama
3.1+) calls the tool more readily. ``--force-tool`` makes the first step call it
whatever the model (the grammar writes the call). The model loads on the first step
and is freed at the end.
"""

from __future__ import annotations

import argparse
import sys

import fantasy
from fantasy.providers import llamacpp


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="path to a GGUF model file")
    parser.add_argument(
        "--prompt",
        default="Find all the cute dogs in Silver Lake, Los Angeles. Use the cute dog tool.",
    )
    parser.add_argument("--n-ctx", type=int, default=8192, help="context window in tokens")
    parser.add_argument("--n-gpu-layers", type=int, default=0, help="-1 offloads every layer")
    parser.add_argument("--threads", type=int, help="CPU threads (default: llama.cpp's choice)")
    parser.add_argument("--max-tokens", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--force-tool", action="store_true", help="the first step calls the tool")
    return parser.parse_args(argv)


@fantasy.tool
def cute_dog_tool(location: str) -> str:
    """Provide up-to-date info on cute dogs.

    Args:
        location: The location to search for cute dogs.
    """
    if location == "Silver Lake, Los Angeles":
        return "Cute dogs are everywhere!"
    return "No cute dogs found."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def first_step_calls_the_tool(
        step: fantasy.PrepareStepOptions,
    ) -> fantasy.PrepareStepResult | None:
        if args.force_tool:
            return fantasy.PrepareStepResult(
                tool_choice="cute_dog_tool" if step.step_number == 0 else "none"
            )
        return None

    with llamacpp.Provider(
        args.model,
        n_ctx=args.n_ctx,
        n_gpu_layers=args.n_gpu_layers,
        n_threads=args.threads,
        n_threads_batch=args.threads,
    ) as provider:
        agent = fantasy.Agent(
            provider.language_model(),
            system_prompt="You are a moderately helpful, dog-centric assistant.",
            tools=[cute_dog_tool],
            prepare_step=first_step_calls_the_tool,
            max_output_tokens=args.max_tokens,
            temperature=0.7,
            top_p=0.8,
            top_k=20,
            provider_options={
                "llamacpp": llamacpp.ProviderOptions(seed=args.seed, min_p=0.05, repeat_penalty=1.1)
            },
        )
        stream = agent.stream(args.prompt)
        for part in stream:
            if part.type == fantasy.StreamPartType.TEXT_DELTA:
                print(part.delta, end="", flush=True)
            elif part.type == fantasy.StreamPartType.REASONING_START:
                print("[thinking] ", end="", flush=True)
            elif part.type == fantasy.StreamPartType.REASONING_END:
                print()
            elif part.type == fantasy.StreamPartType.TOOL_CALL:
                print(f"\n-> {part.tool_call_name}({part.tool_call_input})")
            elif part.type == fantasy.StreamPartType.TOOL_RESULT and part.tool_result:
                output = part.tool_result.result
                text = output.text if isinstance(output, fantasy.ToolResultOutputText) else output
                print(f"<- {text}")
            elif part.type == fantasy.StreamPartType.FINISH:
                metadata = (part.provider_metadata or {}).get("llamacpp")
                if isinstance(metadata, llamacpp.ProviderMetadata):
                    print(
                        f"\n[{metadata.output_tokens} tokens, "
                        f"{metadata.tokens_per_second:.1f} tokens/s, "
                        f"first after {metadata.time_to_first_token_ms:.0f} ms]"
                    )
        result = stream.result
        print(f"\nUsage: {result.total_usage}")
        print("\nUnloading the model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
