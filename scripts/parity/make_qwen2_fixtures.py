#!/usr/bin/env python3
"""Parity fixtures for @iad-r1/models' Qwen2 from Hugging Face transformers.

Run where transformers, torch and tokenizers are installed (the lent accelerator machine; a CPU is
enough), from the repository root:

    node scripts/parity/write-tokenizer.mjs scripts/parity/out/tokenizer   # the byte-level tokenizer, from our code
    python3 scripts/parity/make_qwen2_fixtures.py scripts/parity/out

For each case it builds a tiny random Qwen2ForCausalLM with transformers (seeded), saves it with
save_pretrained (safetensors; bf16 and sharded variants), renders the request through the
tokenizer's chat template with transformers, and records the input ids and the float32 logits at
every position in expected.json. packages/models/test/parity.test.ts (to be added with the first
fixtures) loads each folder with loadModel and compares: ids identical, max relative logit error
< 1e-3. Each case stays well under 1 MB.

Status: written without access to transformers; not yet run.
"""
import json
import shutil
import sys
from pathlib import Path

import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "scripts/parity/out")
TOKENIZER = OUT / "tokenizer"
REQUEST = [
    {"role": "user", "content": "Are there any defects in the query image?"},
    {"role": "assistant", "content": "<think>Every region matches.</think><answer>No</answer>"},
]

# Byte-level tokenizer of scripts/parity/write-tokenizer.mjs: 256 bytes, 4 merges, then
# <|endoftext|> 260, <|im_start|> 261, <|im_end|> 262.
BASE = dict(
    vocab_size=264,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=512,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    initializer_range=0.2,
    bos_token_id=260,
    eos_token_id=262,
    pad_token_id=260,
)

CASES = {
    "qwen2-f32": dict(config={}, dtype=torch.float32, shard=None),
    "qwen2-tied-theta1e6": dict(config=dict(tie_word_embeddings=True, rope_theta=1e6), dtype=torch.float32, shard=None),
    "qwen2-one-kv-head": dict(config=dict(num_key_value_heads=1), dtype=torch.float32, shard=None),
    "qwen2-bf16": dict(config={}, dtype=torch.bfloat16, shard=None),
    "qwen2-f32-sharded": dict(config={}, dtype=torch.float32, shard="40KB"),
}


def main() -> None:
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    # As `iad-r1-models logits` defines them: the prompt through the chat template with the
    # generation prompt, tokenised, then the final assistant message tokenised on its own.
    prompt = tokenizer.apply_chat_template(REQUEST[:-1], tokenize=False, add_generation_prompt=True)
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] + tokenizer(REQUEST[-1]["content"], add_special_tokens=False)["input_ids"]
    for name, case in CASES.items():
        torch.manual_seed(0)
        config = Qwen2Config(**{**BASE, **case["config"]})
        model = Qwen2ForCausalLM(config).to(case["dtype"]).eval()
        folder = OUT / name
        if folder.exists():
            shutil.rmtree(folder)
        model.save_pretrained(folder, safe_serialization=True, **({"max_shard_size": case["shard"]} if case["shard"] else {}))
        tokenizer.save_pretrained(folder)
        with torch.no_grad():
            # Logits of the saved weights, computed in float32 (as the TypeScript side computes them).
            reference = Qwen2ForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
            logits = reference(torch.tensor([ids])).logits[0].float().tolist()
        (folder / "request.json").write_text(json.dumps({"messages": REQUEST}))
        (folder / "expected.json").write_text(json.dumps({"inputIds": ids, "logits": [[round(v, 6) for v in row] for row in logits]}))
        print(f"{name}: {len(ids)} ids, {sum(f.stat().st_size for f in folder.iterdir())} bytes")


if __name__ == "__main__":
    main()
