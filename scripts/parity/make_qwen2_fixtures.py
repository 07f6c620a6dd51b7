#!/usr/bin/env python3
"""Parity fixtures for @iad-r1/models' Qwen2, Qwen2-VL and Qwen2.5-VL from Hugging Face transformers.

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
from PIL import Image
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


# Qwen2-VL / Qwen2.5-VL: the byte-level tokenizer written with --vision specials (ids 260-266:
# <|endoftext|> <|im_start|> <|im_end|> <|vision_start|> <|vision_end|> <|image_pad|> <|video_pad|>),
# 4-pixel patches, and images whose sides are already multiples of 8 pixels, so neither PIL nor
# sharp resizes them and both sides read the same pixels.
VL_TEXT = dict(
    vocab_size=272, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
    max_position_embeddings=2048, rms_norm_eps=1e-6, rope_theta=10000.0, rope_scaling={"type": "mrope", "mrope_section": [1, 1, 2]},
    initializer_range=0.2, eos_token_id=262, vision_start_token_id=263, vision_end_token_id=264, image_token_id=265, video_token_id=266,
)
VL_CASES = {
    "qwen2-vl-f32": ("qwen2_vl", dict(depth=2, embed_dim=16, num_heads=2, mlp_ratio=2, hidden_size=32, in_chans=3, patch_size=4, spatial_merge_size=2, temporal_patch_size=2)),
    "qwen2.5-vl-f32": ("qwen2_5_vl", dict(depth=3, hidden_size=16, num_heads=2, intermediate_size=24, out_hidden_size=32, in_chans=3, patch_size=4, spatial_merge_size=2, temporal_patch_size=2, window_size=16, fullatt_block_indexes=[1], hidden_act="silu")),
}
PREPROCESSOR = dict(patch_size=4, merge_size=2, temporal_patch_size=2, min_pixels=64, max_pixels=4096)


def vl_fixtures() -> None:
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLImageProcessor, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(OUT / "tokenizer-vl")
    images = {"reference.png": (24, 32), "query.png": (40, 24)}
    for name, (w, h) in images.items():
        y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        rgb = torch.stack([(120 + 80 * torch.sin((x + 2 * c) / 7.0) * torch.cos(y / 5.0)).clamp(0, 255) for c in range(3)], -1).to(torch.uint8)
        Image.fromarray(rgb.numpy()).save(OUT / name)
    for name, (model_type, vision) in VL_CASES.items():
        torch.manual_seed(0)
        config_class, model_class = (Qwen2VLConfig, Qwen2VLForConditionalGeneration) if model_type == "qwen2_vl" else (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration)
        model = model_class(config_class(**VL_TEXT, vision_config=vision)).eval()
        folder = OUT / name
        if folder.exists():
            shutil.rmtree(folder)
        model.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        processor = Qwen2VLImageProcessor(**PREPROCESSOR)
        processor.save_pretrained(folder)
        for image in images:
            shutil.copy(OUT / image, folder / image)
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "image"}, {"type": "text", "text": "Are there any defects in the test image?"}]}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        pixels = processor(images=[Image.open(folder / "reference.png"), Image.open(folder / "query.png")], return_tensors="pt")
        merge = PREPROCESSOR["merge_size"] ** 2
        expanded = prompt
        for t, hh, ww in pixels["image_grid_thw"].tolist():
            expanded = expanded.replace("<|image_pad|>", "<|placeholder|>" * (t * hh * ww // merge), 1)
        expanded = expanded.replace("<|placeholder|>", "<|image_pad|>")
        ids = tokenizer(expanded, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), pixel_values=pixels["pixel_values"], image_grid_thw=pixels["image_grid_thw"]).logits[0].float().tolist()
        request = {"messages": [{"role": "user", "content": [{"type": "image", "image": "reference.png"}, {"type": "image", "image": "query.png"}, {"type": "text", "text": "Are there any defects in the test image?"}]}]}
        (folder / "request.json").write_text(json.dumps(request))
        (folder / "expected.json").write_text(json.dumps({"inputIds": ids, "logits": [[round(v, 6) for v in row] for row in logits]}))
        print(f"{name}: {len(ids)} ids, {sum(f.stat().st_size for f in folder.iterdir())} bytes")


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
    vl_fixtures()
