import { mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photoLikeImage } from './fixtures/photo-like-image';
import '@tensorflow/tfjs-backend-wasm';
import { expectCpuAndWasmAgree } from './fixtures/backend-agreement';
import { maxRelativeError } from './reference/max-relative-error';
import { expectGreedyTokensMatchFullPass } from './fixtures/decoding-checks';
import type { ChatMessage } from '../src/index';
import { ConfigFieldError, Qwen2VLForConditionalGeneration, type Qwen2VlBatch, encodeQwen2VlImage, loadModel, processQwen2VlImage, readSafetensors, sftLoss, tf, trainedVariables, writeSafetensors } from '../src/tfjs/index';
import { tinyQwen2Vl, tinyQwen2VlConfig } from './fixtures/tiny-checkpoints';
import type { ReferenceConfig } from './reference/qwen2-reference';
import { type ReferenceVision, referenceQwen2VlLogits, referenceVision } from './reference/qwen2-vl-reference';

const dir = mkdtempSync(join(tmpdir(), 'iad-r1-qwen2vl-'));
const temp = (name: string) => join(dir, name);
const VARIANTS = ['qwen2_vl', 'qwen2_5_vl'] as const;

const photo = (name: string, width: number, height: number, seed: number) => photoLikeImage(dir, name, width, height, seed);

let query: string;
let reference: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  // 40 × 24 → 10 × 6 patches of 4 px → 5 × 3 merged tokens (Qwen2.5-VL: windows of 2 × 2 merged, the edge ones smaller).
  query = await photo('query.png', 40, 24, 1);
  reference = await photo('reference.png', 24, 32, 2);
});

const user = (images: string[], text: string): ChatMessage[] => [{ role: 'user', content: [...images.map((image) => ({ type: 'image' as const, image })), { type: 'text' as const, text }] }];

function referenceConfigs(model: Qwen2VLForConditionalGeneration): { text: ReferenceConfig; vision: ReferenceVision } {
  const c = model.parsed;
  return {
    text: { hidden: c.text.hiddenSize, intermediate: c.text.intermediateSize, layers: c.text.layers, heads: c.text.heads, kvHeads: c.text.kvHeads, vocab: c.text.vocabSize, eps: c.text.rmsNormEps, theta: c.text.ropeTheta, tied: c.text.tieWordEmbeddings, prefix: 'model', mropeSection: c.mropeSection },
    vision: { variant: c.variant, prefix: 'visual', depth: c.vision.depth, width: c.vision.width, heads: c.vision.heads, mlpWidth: c.vision.mlpWidth, patchSize: c.vision.patchSize, mergeSize: c.vision.mergeSize, ...(c.vision.windowSize ? { windowSize: c.vision.windowSize, fullAttentionBlocks: c.vision.fullAttentionBlocks } : {}) },
  };
}

const rows = (values: Float32Array, width: number) => Array.from({ length: values.length / width }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width)));

describe.each(VARIANTS)('%s', (variant) => {
  it('encodes an image as a plain-loop float64 reference does (2-D rotary, windows, the 2 × 2 merger)', async () => {
    const model = tinyQwen2Vl(variant, {}, 3);
    const saved = temp(`${variant}-vision`);
    await model.save(saved);
    const { tensors } = await readSafetensors(join(saved, 'model.safetensors'));
    // PyTorch's layout: the patch embedding is a Conv3d kernel [E, C, T, P, P].
    expect(tensors.get('visual.patch_embed.proj.weight')?.shape).toEqual([16, 3, 2, 4, 4]);
    const image = await processQwen2VlImage(query, model.processor);
    expect([image.gridH, image.gridW]).toEqual([6, 10]);
    const K = image.patches.length / (image.gridH * image.gridW);
    const ours = tf.tidy(() => encodeQwen2VlImage(tf.tensor2d(image.patches, [image.gridH * image.gridW, K]), image.gridH, image.gridW, model.weights, model.parsed.vision, variant, 'visual').arraySync() as number[][]);
    const expected = referenceVision(tensors, referenceConfigs(model).vision, rows(image.patches, K), image.gridH, image.gridW);
    expect(ours).toHaveLength(15);
    expect(maxRelativeError(ours, expected)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('gives the reference’s logits at every position of a 1-shot prompt (two images of other sizes)', async () => {
    const model = tinyQwen2Vl(variant, {}, 5);
    const saved = temp(`${variant}-full`);
    await model.save(saved);
    const messages = user([reference, query], 'Are there any defects in the test image?');
    const batch = (await model.prepareTrainingBatch([{ messages, completion: '<answer>No</answer>', appendEos: false }])) as Qwen2VlBatch;
    const ids = Array.from(batch.ids);
    // Each image: <|vision_start|>, grid_h · grid_w / 4 image tokens, <|vision_end|>: 24 × 32 → 6 × 8 patches → 12; 40 × 24 → 15.
    const runs = ids.flatMap((id, i) => (id === 263 ? [ids.slice(i + 1).indexOf(264)] : []));
    expect(runs).toEqual([12, 15]);
    expect(ids.filter((id) => id === 265)).toHaveLength(27);
    const ours = tf.tidy(() => (model.logits(batch).arraySync() as number[][][])[0] as number[][]);
    const { tensors } = await readSafetensors(join(saved, 'model.safetensors'));
    const configs = referenceConfigs(model);
    const images = await Promise.all([reference, query].map(async (file) => {
      const image = await processQwen2VlImage(file, model.processor);
      return { patches: rows(image.patches, image.patches.length / (image.gridH * image.gridW)), gridH: image.gridH, gridW: image.gridW };
    }));
    const positions = ids.map((_, t) => [batch.positions.t[t], batch.positions.h[t], batch.positions.w[t]] as [number, number, number]);
    const expected = referenceQwen2VlLogits(tensors, configs.text, configs.vision, ids, 265, images, positions);
    expect(maxRelativeError(ours, expected)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('decodes with the KV cache what the full pass predicts, an image prompt left-padded beside a text one', async () => {
    const model = tinyQwen2Vl(variant, {}, 7);
    const prompt = user([query], 'Any defect?');
    const [alone] = await model.generate([prompt], { maxNewTokens: 8 });
    const tokens = alone?.completions[0]?.tokenIds as number[];
    expect(tokens.length).toBeGreaterThan(2);
    await expectGreedyTokensMatchFullPass(model, prompt, tokens);
    const together = await model.generate([[{ role: 'user', content: 'A text-only question, longer than the other prompt is in tokens? '.repeat(3) }], prompt], { maxNewTokens: 8 });
    expect(together[1]?.completions[0]?.tokenIds).toEqual(tokens);
    model.dispose();
  });
});

describe('Qwen2-VL checkpoints', () => {
  it('saves in Hugging Face layout (bf16, sharded) and loads back to the same logits, with either tensor naming', async () => {
    const model = Qwen2VLForConditionalGeneration.create(tinyQwen2VlConfig('qwen2_5_vl', { torch_dtype: 'bfloat16' }), tinyQwen2Vl('qwen2_5_vl').tokenizer, { seed: 9, preprocessor: { patch_size: 4, merge_size: 2, temporal_patch_size: 2, min_pixels: 64, max_pixels: 4096 }, maxShardBytes: 60_000 });
    const saved = temp('saved');
    await model.save(saved);
    const files = readdirSync(saved).sort();
    expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors.index.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']));
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const loaded = await loadModel(saved);
    expect(loaded).toBeInstanceOf(Qwen2VLForConditionalGeneration);
    expect(loaded.architecture).toBe('qwen2_5_vl');
    const messages = user([query], 'Any defect?');
    const batch = await loaded.prepareTrainingBatch([{ messages, completion: 'No' }]);
    const a = tf.tidy(() => Array.from(loaded.logits(batch).dataSync()));
    // Newer transformers' names: model.language_model.*, model.visual.*; written back under them.
    const renamed = temp('renamed');
    await loaded.save(renamed, { merged: true });
    const index = JSON.parse(readFileSync(join(renamed, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const rename = (name: string) => name.replace(/^model\./, 'model.language_model.').replace(/^visual\./, 'model.visual.');
    for (const file of new Set(Object.values(index.weight_map))) {
      const { tensors } = await readSafetensors(join(renamed, file));
      await writeSafetensors(join(renamed, `${file}.renamed`), [...tensors.values()].map((t) => ({ name: rename(t.name), shape: t.shape, dtype: 'BF16' as const, values: () => t.data })));
      renameSync(join(renamed, `${file}.renamed`), join(renamed, file));
    }
    writeFileSync(join(renamed, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: Object.fromEntries(Object.entries(index.weight_map).map(([k, v]) => [rename(k), v])) }));
    const newer = (await loadModel(renamed)) as Qwen2VLForConditionalGeneration;
    expect(newer.naming).toEqual({ text: 'model.language_model', visual: 'model.visual' });
    const b = tf.tidy(() => Array.from(newer.logits(batch).dataSync()));
    expect(b).toEqual(a);
    for (const m of [model, loaded, newer]) m.dispose();
  });

  it('freezes the vision tower with freezeVision and gives LoRA the language model’s layers by default', async () => {
    const model = tinyQwen2Vl('qwen2_vl', {}, 11);
    const frozen = trainedVariables(model, { freezeVision: true }).map(([name]) => name);
    expect(frozen.some((name) => name.startsWith('visual.'))).toBe(false);
    expect(frozen).toContain('model.layers.0.self_attn.q_proj.weight');
    const { applyLora } = await import('../src/tfjs/index');
    const adapted = applyLora(model, { rank: 2 });
    expect(adapted).toHaveLength(14);
    expect(adapted.every((m) => m.startsWith('model.layers.'))).toBe(true);
    // A training step reaches the adapters through the image features' path too.
    const batch = await model.prepareTrainingBatch([{ messages: user([query], 'Any defect?'), completion: '<answer>No</answer>' }]);
    const variables = model.trainableVariables().map(([, v]) => v);
    const norms = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => sftLoss(model, batch) as tf.Scalar, variables);
      return variables.map((v) => tf.norm(grads[v.name] as tf.Tensor).dataSync()[0] as number);
    });
    // lora_B starts at 0, so only B gets a gradient at first.
    expect(norms.filter((_, i) => i % 2 === 1).every((g) => g > 0)).toBe(true);
    model.dispose();
  });

  it('has the same loss and gradients on cpu and wasm, the vision tower included', async () => {
    await expectCpuAndWasmAgree(() => tinyQwen2Vl('qwen2_5_vl', {}, 13), [{ messages: user([query], 'Any defect?'), completion: 'a scratch' }], 1e-3);
  });

  it('refuses config fields it does not implement, by name', () => {
    const tokenizer = tinyQwen2Vl('qwen2_vl').tokenizer;
    const bad = (config: Record<string, unknown>) => () => Qwen2VLForConditionalGeneration.create(config, tokenizer);
    expect(bad(tinyQwen2VlConfig('qwen2_vl', { rope_scaling: { type: 'mrope', mrope_section: [1, 1, 1] } }))).toThrow(ConfigFieldError);
    expect(bad(tinyQwen2VlConfig('qwen2_vl', { rope_scaling: { type: 'mrope', mrope_section: [1, 1, 1] } }))).toThrow(/rope_scaling\.mrope_section: sums to 3; the head dimension 8 needs 4/);
    const vision = tinyQwen2VlConfig('qwen2_5_vl').vision_config as Record<string, unknown>;
    expect(bad(tinyQwen2VlConfig('qwen2_5_vl', { vision_config: { ...vision, hidden_act: 'gelu' } }))).toThrow(/vision_config\.hidden_act: "gelu" is not supported for qwen2_5_vl/);
  });
});
