"""Options and metadata persist under Fantasy's ``kronk`` type ids, so a Go program's
saved conversation loads (and ours loads in Go)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fantasy
from fantasy.persistence import from_json, to_json
from fantasy.providers import llamacpp
from fantasy.types import Message, Role, TextPart

GO_MESSAGE = {
    "role": "user",
    "content": [{"type": "text", "data": {"text": "hi"}}],
    "provider_options": {
        "kronk": {
            "type": "kronk.options",
            "data": {
                "adaptive_p_decay": None,
                "grammar": 'root ::= "yes"',
                "min_p": 0.1,
                "seed": 42,
                "stop": ["\n"],
                "enable_thinking": False,
                "top_k": 20,
            },
        }
    },
}


def test_options_save_as_fantasys_kronk_options() -> None:
    options = llamacpp.ProviderOptions(seed=42, stop=["\n"], enable_thinking=True)
    message = Message(Role.USER, [TextPart("hi")], provider_options={"kronk": options})
    saved = json.loads(to_json(message))
    entry = saved["provider_options"]["kronk"]
    assert entry["type"] == "kronk.options"
    assert entry["data"]["seed"] == 42 and entry["data"]["stop"] == ["\n"]
    assert entry["data"]["enable_thinking"] is True
    assert entry["data"]["min_p"] is None  # Go's pointers: null, never left out
    assert from_json(json.dumps(saved), Message) == message


def test_a_go_message_loads_in_a_fresh_process() -> None:
    # Nothing imported the provider: the type id leads the loader to it.
    code = (
        "import json, sys\n"
        "from fantasy.persistence import from_json\n"
        "from fantasy.types import Message\n"
        "message = from_json(sys.stdin.read(), Message)\n"
        "options = message.provider_options['kronk']\n"
        "print(type(options).__module__, options.seed, options.grammar, options.stop)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(GO_MESSAGE),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [
        "fantasy.providers.kronk",
        "42",
        "root",
        "::=",
        '"yes"',
        "['\\n']",
    ]


def test_metadata_leaves_out_what_go_omits_when_empty() -> None:
    metadata = llamacpp.ProviderMetadata(model="tiny", output_tokens=3, tokens_per_second=9.5)
    saved = json.loads(to_json(fantasy.Response(provider_metadata={"llamacpp": metadata})))
    entry = saved["provider_metadata"]["llamacpp"]
    assert entry["type"] == "kronk.metadata"
    assert entry["data"] == {
        "model": "tiny",
        "has_projection": False,
        "output_tokens": 3,
        "tokens_per_second": 9.5,
        "time_to_first_token_ms": 0.0,
    }


def test_from_dict_reads_fantasys_json_shape() -> None:
    options = llamacpp.ProviderOptions.from_dict(
        {"seed": 1, "stop": ["x"], "repeat_penalty": 1.1, "unknown": True}
    )
    assert options == llamacpp.ProviderOptions(seed=1, stop=["x"], repeat_penalty=1.1)
    with pytest.raises((TypeError, ValueError), match="seed"):
        llamacpp.ProviderOptions.from_dict({"seed": "one"})
    with pytest.raises(fantasy.InvalidArgumentError):
        llamacpp.ProviderOptions.from_dict(["seed"])  # type: ignore[arg-type]
