"""A tiny llama model with random weights, written as a GGUF file: a real model for
testing code that runs local models (`fantasy.providers.llamacpp`) offline.

Its vocabulary is bytes (``<unk>``, ``<s>``, ``</s>`` and the 256 ``<0xNN>`` byte
tokens), it has 2 layers 64 wide, and it weighs about 0.3 MB: llama.cpp loads it in
milliseconds and generates hundreds of tokens a second on one core. What it writes is
noise, but everything around the text is real: the chat template, tokenisation,
sampling, seeds, stop strings, grammars (which make its tool calls and JSON objects
valid), token counts, cancellation.

Needs the ``gguf`` package (in the ``local`` extra).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TINY_CHAT_TEMPLATE", "write_tiny_llama"]

TINY_CHAT_TEMPLATE = (
    "{% if tools %}<|im_start|>system\n"
    "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}\n\n{% endif %}"
    "Tools:\n{% for tool in tools %}{{ tool['function'] | tojson }}\n{% endfor %}"
    "<|im_end|>\n{% endif %}"
    "{% for message in messages %}"
    "{% if not (tools and loop.first and message['role'] == 'system') %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "{% for call in message.get('tool_calls') or [] %}"
    "<tool_call>\n{{ {'name': call['function']['name'], "
    "'arguments': call['function']['arguments']} | tojson }}\n</tool_call>"
    "{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""A ChatML template that shows tools and tool calls, as Qwen's does (in short)."""

_UNKNOWN, _CONTROL, _BYTE = 2, 3, 6  # gguf.TokenType values


def write_tiny_llama(
    path: str | os.PathLike[str],
    *,
    chat_template: str | None = TINY_CHAT_TEMPLATE,
    seed: int = 0,
    context_length: int = 4096,
    name: str = "tiny-llama",
) -> Path:
    """Write the model to ``path`` (its weights drawn from ``seed``) and return the path.
    ``chat_template=None`` leaves the template out of the file."""
    import gguf
    import numpy as np

    width, layers, heads, ffn = 64, 2, 4, 128
    tokens = [b"<unk>", b"<s>", b"</s>"] + [f"<0x{i:02X}>".encode() for i in range(256)]
    types = [_UNKNOWN, _CONTROL, _CONTROL] + [_BYTE] * 256
    vocab = len(tokens)

    target = Path(path)
    writer = gguf.GGUFWriter(str(target), "llama")
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(width // heads)
    writer.add_vocab_size(vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * vocab)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_space_prefix(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    rng = np.random.default_rng(seed)

    def weights(*shape: int, scale: float = 0.5) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer.add_tensor("token_embd.weight", weights(vocab, width))
    for i in range(layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(width, dtype=np.float32))
        for part in ("q", "k", "v", "output"):
            writer.add_tensor(f"blk.{i}.attn_{part}.weight", weights(width, width, scale=0.1))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(width, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weights(ffn, width, scale=0.1))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weights(ffn, width, scale=0.1))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weights(width, ffn, scale=0.1))
    writer.add_tensor("output_norm.weight", np.ones(width, dtype=np.float32))
    writer.add_tensor("output.weight", weights(vocab, width))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target
