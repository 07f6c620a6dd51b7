#!/usr/bin/env python3
"""Parity fixtures for @iad-r1/models' LLaVA-OneVision from Hugging Face transformers.

Run where transformers (a release with LlavaOnevisionForConditionalGeneration), torch, tokenizers
and PIL are installed (the lent accelerator machine; a CPU is enough), from the repository root:

    pnpm build
    node scripts/parity/write-tokenizer.mjs scripts/parity/out/tokenizer-llava --llava
    python3 scripts/parity/make_llava_onevision_fixtures.py scripts/parity/out

Each case is a tiny random LlavaOnevisionForConditionalGeneration (the config of
packages/models/test/fixtures/tiny-qwen2-config.ts: 30-pixel tiles of 4-pixel patches, grids up
to 90 x 90), saved with save_pretrained (float32, and bfloat16), with two requests: one image
(tiled) and two images (1-shot: reference, then query; nested per sample, so each is read whole).
The images are flat colours and not square, so unpadding matters while every resampler (PIL's
bicubic here, sharp's cubic in TypeScript) gives the same pixels. It records, per request, the
input ids (image tokens expanded by the processor) and the float32 logits at every position.

Status: written without access to transformers; not yet run.
"""
import json
import shutil
import sys
from pathlib import Path

import torch
from PIL import Image
from transformers import AutoTokenizer, LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionImageProcessor, LlavaOnevisionProcessor

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "scripts/parity/out")
PINPOINTS = [[h, w] for h in (30, 60, 90) for w in (30, 60, 90)]
TEXT = dict(model_type="qwen2", vocab_size=272, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False, initializer_range=0.2, eos_token_id=262)
VISION = dict(model_type="siglip_vision_model", hidden_size=16, intermediate_size=24, num_hidden_layers=3, num_attention_heads=2, image_size=30, patch_size=4,
              layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh", vision_use_head=False)
CONFIG = dict(text_config=TEXT, vision_config=VISION, image_token_index=263, video_token_index=264, image_grid_pinpoints=PINPOINTS, vision_aspect_ratio="anyres_max_9",
              vision_feature_layer=-1, vision_feature_select_strategy="full", projector_hidden_act="gelu", multimodal_projector_bias=True, tie_word_embeddings=False)
IMAGES = {"reference.png": ((24, 32), (30, 120, 220)), "query.png": ((40, 24), (200, 60, 30))}
QUESTION = "Are there any defects in the query image?"
REQUESTS = {"one-image": ["query.png"], "two-images": ["reference.png", "query.png"]}
CASES = {"llava-onevision-f32": torch.float32, "llava-onevision-bf16": torch.bfloat16}


def main() -> None:
    tokenizer = AutoTokenizer.from_pretrained(OUT / "tokenizer-llava")
    image_processor = LlavaOnevisionImageProcessor(size={"height": 30, "width": 30}, image_grid_pinpoints=PINPOINTS, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    processor = LlavaOnevisionProcessor(image_processor=image_processor, tokenizer=tokenizer, num_image_tokens=49, vision_feature_select_strategy="full",
                                        vision_aspect_ratio="anyres_max_9", chat_template=tokenizer.chat_template)
    for name, ((w, h), rgb) in IMAGES.items():
        Image.new("RGB", (w, h), rgb).save(OUT / name)
    for case, dtype in CASES.items():
        torch.manual_seed(0)
        model = LlavaOnevisionForConditionalGeneration(LlavaOnevisionConfig(**CONFIG)).to(dtype).eval()
        folder = OUT / case
        if folder.exists():
            shutil.rmtree(folder)
        model.save_pretrained(folder, safe_serialization=True)
        processor.save_pretrained(folder)
        reference = LlavaOnevisionForConditionalGeneration.from_pretrained(folder, torch_dtype=torch.float32).eval()
        expected = {}
        for request, files in REQUESTS.items():
            for file in files:
                shutil.copy(OUT / file, folder / file)
            content = [{"type": "image"} for _ in files] + [{"type": "text", "text": QUESTION}]
            prompt = processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
            # Nested per sample, as current transformers' chat path passes them: several images are read whole.
            inputs = processor(images=[[Image.open(folder / f) for f in files]], text=[prompt], return_tensors="pt")
            with torch.no_grad():
                logits = reference(**inputs).logits[0].float().tolist()
            (folder / f"{request}.request.json").write_text(json.dumps({"messages": [{"role": "user", "content": [*({"type": "image", "image": f} for f in files), {"type": "text", "text": QUESTION}]}]}))
            expected[request] = {"inputIds": inputs["input_ids"][0].tolist(), "logits": [[round(v, 6) for v in row] for row in logits]}
        (folder / "expected.json").write_text(json.dumps(expected))
        counts = ", ".join(f"{request} {len(e['inputIds'])} ids" for request, e in expected.items())
        print(f"{case}: {counts}, {sum(f.stat().st_size for f in folder.iterdir())} bytes")


if __name__ == "__main__":
    main()
