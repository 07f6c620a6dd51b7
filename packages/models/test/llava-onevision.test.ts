import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photoLikeImage } from './fixtures/photo-like-image';
import '@tensorflow/tfjs-backend-wasm';
import type { ChatMessage } from '../src/index';
import { ConfigFieldError, LlavaOnevisionForConditionalGeneration, ModelTooLargeError, type LlavaOnevisionBatch, applyLora, estimateMemory, llavaOnevisionArchitecture, loadModel, readSafetensors, sftLoss, tf, trainedVariables, writeSafetensors } from '../src/tfjs/index';
import { expectCpuAndWasmAgree } from './fixtures/backend-agreement';
import { expectGreedyTokensMatchFullPass } from './fixtures/decoding-checks';
import { TINY_LLAVA_ONEVISION_PREPROCESSOR, tinyLlavaOnevision, tinyLlavaOnevisionConfig, tinyLlavaOnevisionTokenizer } from './fixtures/tiny-checkpoints';
import { type ReferenceSiglip, referenceImageFeatures, referenceLlavaOnevisionLogits } from './reference/llava-onevision-reference';
import type { ReferenceConfig } from './reference/qwen2-reference';
import { maxRelativeError } from './reference/max-relative-error';

const dir = mkdtempSync(join(tmpdir(), 'iad-r1-llava-onevision-'));
const temp = (name: string) => join(dir, name);
const IMAGE = 263;

const photo = (name: string, width: number, height: number, seed: number) => photoLikeImage(dir, name, width, height, seed);

let query: string;
let reference: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  // Non-square both: 40 × 24 (W × H) tiles into 30 × 60, 24 × 32 into 60 × 30 — unpadding cuts columns of one, rows of the other.
  query = await photo('query.png', 40, 24, 1);
  reference = await photo('reference.png', 24, 32, 2);
});

const user = (images: string[], text: string): ChatMessage[] => [{ role: 'user', content: [...images.map((image) => ({ type: 'image' as const, image })), { type: 'text' as const, text }] }];

function referenceConfigs(model: LlavaOnevisionForConditionalGeneration): { text: ReferenceConfig; vision: ReferenceSiglip } {
  const c = model.parsed;
  return {
    text: { hidden: c.text.hiddenSize, intermediate: c.text.intermediateSize, layers: c.text.layers, heads: c.text.heads, kvHeads: c.text.kvHeads, vocab: c.text.vocabSize, eps: c.text.rmsNormEps, theta: c.text.ropeTheta, tied: c.text.tieWordEmbeddings, prefix: 'language_model.model', head: 'language_model.lm_head.weight' },
    vision: { prefix: 'vision_tower.vision_model', width: c.vision.width, heads: c.vision.heads, mlpWidth: c.vision.mlpWidth, patchSize: c.vision.patchSize, imageSize: c.vision.imageSize, featureLayer: c.featureLayers[0] as number, projector: 'multi_modal_projector', newline: 'image_newline', maxTiles: c.maxTiles },
  };
}

/** Runs of the image token in a row of ids. */
function imageRuns(ids: number[]): number[] {
  const runs: number[] = [];
  ids.forEach((id, i) => {
    if (id !== IMAGE) return;
    if (ids[i - 1] === IMAGE) runs[runs.length - 1] = (runs.at(-1) as number) + 1;
    else runs.push(1);
  });
  return runs;
}

async function expectReferenceLogits(model: LlavaOnevisionForConditionalGeneration, name: string, messages: ChatMessage[], runs: number[]): Promise<void> {
  const saved = temp(name);
  await model.save(saved);
  const batch = (await model.prepareTrainingBatch([{ messages, completion: '<answer>No</answer>', appendEos: false }])) as LlavaOnevisionBatch;
  const ids = Array.from(batch.ids);
  expect(imageRuns(ids)).toEqual(runs);
  const ours = tf.tidy(() => (model.logits(batch).arraySync() as number[][][])[0] as number[][]);
  const { tensors } = await readSafetensors(join(saved, 'model.safetensors'));
  const configs = referenceConfigs(model);
  const expected = referenceLlavaOnevisionLogits(tensors, configs.text, configs.vision, ids, IMAGE, batch.images);
  expect(maxRelativeError(ours, expected)).toBeLessThan(1e-4);
}

describe('LLaVA-OneVision against a plain-loop float64 reference', () => {
  it('packs one image’s tile features as the reference does: unpadded, and downsized past anyres_max_N', async () => {
    for (const [aspect, count] of [['anyres_max_9', 140], ['anyres_max_1', 99]] as const) {
      const model = tinyLlavaOnevision({ vision_aspect_ratio: aspect }, 3);
      const saved = temp(`features-${aspect}`);
      await model.save(saved);
      const { tensors } = await readSafetensors(join(saved, 'model.safetensors'));
      // PyTorch's layout: the patch embedding is a Conv2d kernel [E, C, p, p].
      expect(tensors.get('vision_tower.vision_model.embeddings.patch_embedding.weight')?.shape).toEqual([16, 3, 4, 4]);
      const [image] = (await model.prepareTrainingBatch([{ messages: user([query], 'Any defect?'), completion: 'No' }])).images;
      if (!image) throw new Error('no image');
      const ours = tf.tidy(() => model.imageFeatures(image).arraySync() as number[][]);
      // 40 × 24 → grid 1 × 2 → 7 × 14 features, ⌊40 · 7 / 24⌋ = 11 columns kept → 12 after the equal cut of 1: 49 + 7 · 12 + 7 = 140.
      // anyres_max_1: ratio √(84 / 49) ≈ 1.31 → 5 × 9, 49 + 45 + 5 = 99.
      expect(ours).toHaveLength(count);
      expect(maxRelativeError(ours, referenceImageFeatures(tensors, referenceConfigs(model).vision, image, 32))).toBeLessThan(1e-4);
      model.dispose();
    }
  });

  it('gives the reference’s logits at every position: one image (tiled), two images read whole, two images tiled (multiImage: anyres)', async () => {
    const one = tinyLlavaOnevision({}, 5);
    await expectReferenceLogits(one, 'one', user([query], 'Are there any defects?'), [140]);
    one.dispose();
    // 1-shot: the reference image, then the query; each whole: 7 · 7 + 1 newline.
    const two = tinyLlavaOnevision({}, 6);
    await expectReferenceLogits(two, 'two', user([reference, query], 'Are there any defects in the second image?'), [50, 50]);
    two.dispose();
    // Older behaviour: 24 × 32 → grid 2 × 1 → 14 × 7, ⌊32 · 7 / 24⌋ = 9 rows kept → 10 after the cut of 2: 49 + 70 + 10 = 129.
    const tiled = tinyLlavaOnevision({}, 6, { multiImage: 'anyres' });
    await expectReferenceLogits(tiled, 'two-tiled', user([reference, query], 'Are there any defects in the second image?'), [129, 140]);
    tiled.dispose();
  });

  it('decodes with the KV cache what the full pass predicts, an image prompt left-padded beside a text one', async () => {
    const model = tinyLlavaOnevision({}, 7);
    const prompt = user([query], 'Any defect?');
    const [alone] = await model.generate([prompt], { maxNewTokens: 8 });
    const tokens = alone?.completions[0]?.tokenIds as number[];
    expect(tokens.length).toBeGreaterThan(2);
    await expectGreedyTokensMatchFullPass(model, prompt, tokens);
    const together = await model.generate([[{ role: 'user', content: 'A text-only question, longer than the other prompt is in tokens? '.repeat(8) }], prompt], { maxNewTokens: 8 });
    expect(together[1]?.completions[0]?.tokenIds).toEqual(tokens);
    model.dispose();
  });

  it('gives a string message to the template as a text part, as vLLM does (the template would drop it)', async () => {
    const model = tinyLlavaOnevision({}, 8);
    const asString = await model.promptRow([{ role: 'system', content: 'Inspect.' }, ...user([query], 'Any defect?')]);
    const asPart = await model.promptRow([{ role: 'system', content: [{ type: 'text', text: 'Inspect.' }] }, ...user([query], 'Any defect?')]);
    expect(asString.ids).toEqual(asPart.ids);
    expect(model.tokenizer.decode(asString.ids.filter((id) => id !== IMAGE))).toContain('system\nInspect.');
    model.dispose();
  });
});

describe('LLaVA-OneVision checkpoints', () => {
  it('saves in Hugging Face layout (bf16, sharded) and loads back to the same logits, with either tensor naming', async () => {
    const model = LlavaOnevisionForConditionalGeneration.create(tinyLlavaOnevisionConfig({ torch_dtype: 'bfloat16' }), tinyLlavaOnevisionTokenizer(), { seed: 9, preprocessor: TINY_LLAVA_ONEVISION_PREPROCESSOR, maxShardBytes: 40_000 });
    const saved = temp('saved');
    await model.save(saved);
    const files = readdirSync(saved).sort();
    expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors.index.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']));
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const loaded = await loadModel(saved);
    expect(loaded).toBeInstanceOf(LlavaOnevisionForConditionalGeneration);
    expect(loaded.architecture).toBe('llava_onevision');
    const batch = await loaded.prepareTrainingBatch([{ messages: user([query], 'Any defect?'), completion: 'No' }]);
    const a = tf.tidy(() => Array.from(loaded.logits(batch).dataSync()));
    // Newer transformers' names: model.language_model.*, model.vision_tower.*, model.multi_modal_projector.*, model.image_newline, lm_head.
    const renamed = temp('renamed');
    await loaded.save(renamed, { merged: true });
    const index = JSON.parse(readFileSync(join(renamed, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const rename = (name: string) => name.replace(/^language_model\.model\./, 'model.language_model.').replace(/^language_model\.lm_head\./, 'lm_head.').replace(/^(vision_tower|multi_modal_projector|image_newline)/, 'model.$1');
    for (const file of new Set(Object.values(index.weight_map))) {
      const { tensors } = await readSafetensors(join(renamed, file));
      await writeSafetensors(join(renamed, `${file}.renamed`), [...tensors.values()].map((t) => ({ name: rename(t.name), shape: t.shape, dtype: 'BF16' as const, values: () => t.data })));
      renameSync(join(renamed, `${file}.renamed`), join(renamed, file));
    }
    writeFileSync(join(renamed, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: Object.fromEntries(Object.entries(index.weight_map).map(([k, v]) => [rename(k), v])) }));
    const newer = (await loadModel(renamed)) as LlavaOnevisionForConditionalGeneration;
    expect(newer.naming.text).toBe('model.language_model');
    expect(newer.naming.head).toBe('lm_head');
    expect(tf.tidy(() => Array.from(newer.logits(batch).dataSync()))).toEqual(a);
    for (const m of [model, loaded, newer]) m.dispose();
  });

  it('freezes the SigLIP tower with freezeVision (the projector trains) and gives LoRA the language model’s layers by default', async () => {
    const model = tinyLlavaOnevision({}, 11);
    const all = model.trainableVariables().map(([name]) => name);
    // Read by no forward pass: SigLIP's post-layernorm.
    expect(all.some((name) => name.includes('post_layernorm'))).toBe(false);
    const frozen = trainedVariables(model, { freezeVision: true }).map(([name]) => name);
    expect(frozen.some((name) => name.startsWith('vision_tower.'))).toBe(false);
    expect(frozen).toEqual(expect.arrayContaining(['multi_modal_projector.linear_1.weight', 'image_newline', 'language_model.model.layers.0.self_attn.q_proj.weight']));
    const adapted = applyLora(model, { rank: 2 });
    expect(adapted).toHaveLength(14);
    expect(adapted.every((m) => m.startsWith('language_model.model.layers.'))).toBe(true);
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

  it('has the same loss and gradients on cpu and wasm, the tower, the projector and the bilinear downsize included', async () => {
    await expectCpuAndWasmAgree(() => tinyLlavaOnevision({ vision_aspect_ratio: 'anyres_max_1' }, 13), [{ messages: user([query], 'Any defect?'), completion: 'a scratch' }], 1e-3);
  });

  it('refuses config fields it does not implement, by name', () => {
    const tokenizer = tinyLlavaOnevisionTokenizer();
    const bad = (overrides: Record<string, unknown>) => () => LlavaOnevisionForConditionalGeneration.create(tinyLlavaOnevisionConfig(overrides), tokenizer, { preprocessor: TINY_LLAVA_ONEVISION_PREPROCESSOR });
    const vision = tinyLlavaOnevisionConfig().vision_config as Record<string, unknown>;
    expect(bad({ vision_feature_select_strategy: 'default' })).toThrow(ConfigFieldError);
    expect(bad({ vision_feature_select_strategy: 'default' })).toThrow(/config\.json: field vision_feature_select_strategy: "default" is not supported/);
    expect(bad({ vision_config: { ...vision, vision_use_head: true } })).toThrow(/field vision_config\.vision_use_head/);
    expect(bad({ vision_config: { ...vision, model_type: 'clip_vision_model' } })).toThrow(/field vision_config\.model_type: "clip_vision_model" is not supported/);
    expect(bad({ vision_feature_layer: -5 })).toThrow(/field vision_feature_layer: -5 is outside the tower's 4 hidden states/);
    expect(bad({ vision_aspect_ratio: 'pad' })).toThrow(/field vision_aspect_ratio/);
    expect(bad({ text_config: { ...(tinyLlavaOnevisionConfig().text_config as object), hidden_act: 'gelu' } })).toThrow(/field text_config\.hidden_act/);
  });

  it('estimates memory from the config with the tower’s tiles (a 1,024² image: the whole image and 3 × 3 tiles)', () => {
    const shape = llavaOnevisionArchitecture.shape(tinyLlavaOnevisionConfig(), 'config.json');
    // 1024 px side in the tiny config's 30-pixel grids: the largest, 90 × 90 → 1 + 9 tiles of 49 patches.
    expect(shape.vision?.patchesPerImage?.(1024 * 1024, 1)).toBe(10 * 49);
    // Two images in a sequence are each read whole.
    expect(shape.vision?.patchesPerImage?.(1024 * 1024, 2)).toBe(49);
    const without = estimateMemory(shape, { sequenceLength: 256 });
    const withImage = estimateMemory(shape, { sequenceLength: 256, images: 1, imagePixels: 1024 * 1024 });
    // The tower's term, 4 · patches · layers · (58·E + 11·I + 4.4·heads·span): attention spans one tile (49), not all 490 patches.
    expect(withImage.activations - without.activations).toBeCloseTo(4 * 490 * 3 * (58 * 16 + 11 * 24 + 4.4 * 2 * 49), 3);
  });

  it('refuses, before reading any weight, a checkpoint whose float32 inference estimate exceeds the limit (the 7B sizes)', async () => {
    const folder = temp('seven-b');
    mkdirSync(folder);
    const vision = { model_type: 'siglip_vision_model', hidden_size: 1152, image_size: 384, intermediate_size: 4304, num_attention_heads: 16, num_hidden_layers: 26, patch_size: 14, vision_use_head: false };
    const text = { model_type: 'qwen2', vocab_size: 152128, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, tie_word_embeddings: false };
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ architectures: ['LlavaOnevisionForConditionalGeneration'], model_type: 'llava_onevision', text_config: text, vision_config: vision }));
    // No weights in the folder: reaching them would fail otherwise. 8.03 B parameters are 32 GB in float32.
    await expect(loadModel(folder, { maxMemoryBytes: 16 * 1024 ** 3 })).rejects.toThrow(ModelTooLargeError);
  });
});
