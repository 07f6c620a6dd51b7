import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/index';
import { BpeTokenizer, LoraTargetError, Qwen2ForCausalLM, TinyVLM, type TrainableModel, applyLora, loadModel, mergeLora, readSafetensors, tf } from '../src/tfjs/index';
import { tinyQwen2 } from './fixtures/tiny-checkpoints';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-lora-')), name);
const messages: ChatMessage[] = [{ role: 'user', content: 'Any defect on this part?' }];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function logits(model: TrainableModel): Promise<number[]> {
  const batch = await model.prepareTrainingBatch([{ messages, completion: '<answer>No</answer>' }]);
  return tf.tidy(() => Array.from((model as Qwen2ForCausalLM).logits(batch).dataSync()));
}

/** Gives every adapter's B random values, so the adapters change the outputs. */
function perturbAdapters(model: TrainableModel, seed = 1): void {
  let i = 0;
  for (const m of model.weights.lora.values()) tf.tidy(() => m.b.assign(tf.randomNormal(m.b.shape, 0, 0.3, 'float32', seed + i++)));
}

const maxDifference = (a: number[], b: number[]) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - (b[i] as number))), 0);

async function savedQwen2(seed: number): Promise<{ dir: string; model: Qwen2ForCausalLM }> {
  const dir = temp('base');
  const fresh = tinyQwen2({}, seed);
  await fresh.save(dir);
  fresh.dispose();
  return { dir, model: (await loadModel(dir)) as Qwen2ForCausalLM };
}

describe('applyLora', () => {
  it('adapts the chosen linear layers, leaves outputs unchanged until B moves, and trains only the adapters', async () => {
    const model = tinyQwen2({}, 2);
    const before = await logits(model);
    const adapted = applyLora(model, { rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] });
    expect(adapted).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(await logits(model)).toEqual(before);
    const trainable = model.trainableVariables().map(([name]) => name);
    expect(trainable).toEqual(adapted.flatMap((m) => [`${m}.lora_A.weight`, `${m}.lora_B.weight`]));
    // A is [in, r] = [32, 4]; B is [r, out] (q: 4 heads × 8 = 32, v: 2 key/value heads × 8 = 16).
    expect(model.weights.lora.get('model.layers.0.self_attn.v_proj')?.a.shape).toEqual([32, 4]);
    expect(model.weights.lora.get('model.layers.0.self_attn.v_proj')?.b.shape).toEqual([4, 16]);
    perturbAdapters(model);
    expect(maxDifference(await logits(model), before)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('chooses targets by name suffix or by a whole-name regular expression, and names the layers when none match', () => {
    const model = tinyQwen2({}, 2);
    expect(applyLora(model, { rank: 2, targetModules: 'model\\.layers\\.1\\.mlp\\.(gate|up)_proj' })).toEqual(['model.layers.1.mlp.gate_proj', 'model.layers.1.mlp.up_proj']);
    const other = tinyQwen2({}, 2);
    // Default: every linear layer of the language model, 7 per layer.
    expect(applyLora(other, { rank: 2 })).toHaveLength(14);
    const third = tinyQwen2({}, 2);
    expect(() => applyLora(third, { rank: 2, targetModules: ['c_attn'] })).toThrow(LoraTargetError);
    expect(() => applyLora(third, { rank: 2, targetModules: ['c_attn'] })).toThrow(/the model's linear layers end in: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/);
    for (const m of [model, other, third]) m.dispose();
  });

  it('merges adapters into the weights to the same outputs', async () => {
    const model = tinyQwen2({}, 3);
    applyLora(model, { rank: 4, alpha: 16 });
    perturbAdapters(model);
    const adapted = await logits(model);
    const merged = model.clone();
    mergeLora(merged);
    expect(merged.weights.lora.size).toBe(0);
    expect(maxDifference(await logits(merged), adapted)).toBeLessThan(1e-5);
    for (const m of [model, merged]) m.dispose();
  });

  it('applies dropout to the adapters only while gradients are recorded', async () => {
    const model = tinyQwen2({}, 4);
    applyLora(model, { rank: 4, dropout: 0.5 });
    perturbAdapters(model);
    const batch = await model.prepareTrainingBatch([{ messages, completion: 'fine' }]);
    const plain = tf.tidy(() => Array.from(model.tokenLogProbs(batch).dataSync()));
    expect(tf.tidy(() => Array.from(model.tokenLogProbs(batch).dataSync()))).toEqual(plain);
    const variables = model.trainableVariables().map(([, v]) => v);
    const training = tf.tidy(() => {
      let seen: number[] = [];
      const { grads } = tf.variableGrads(() => {
        const lp = model.tokenLogProbs(batch);
        seen = Array.from(lp.dataSync());
        return tf.sum(lp) as tf.Scalar;
      }, variables);
      tf.dispose(Object.values(grads));
      return seen;
    });
    expect(maxDifference(training, plain)).toBeGreaterThan(1e-4);
    model.dispose();
  });
});

describe('LoRA adapters on disk', () => {
  it('saves a PEFT adapter pointing at the base, which loadModel opens to the same outputs', async () => {
    const { dir: base, model } = await savedQwen2(5);
    applyLora(model, { rank: 4, alpha: 8, dropout: 0.05, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
    perturbAdapters(model);
    const adapted = await logits(model);
    const dir = temp('adapter');
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], base_model_name_or_path: resolve(base), bias: 'none', use_rslora: false });
    const { tensors } = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    // PEFT's names and layouts: lora_A [r, in], lora_B [out, r].
    expect(tensors.get('base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight')?.shape).toEqual([4, 32]);
    expect(tensors.get('base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight')?.shape).toEqual([16, 4]);
    expect(tensors.size).toBe(2 * 4 * 2);
    const loaded = await loadModel(dir);
    expect(loaded.weights.lora.size).toBe(8);
    expect(await logits(loaded)).toEqual(adapted);
    // Merged on request: a plain checkpoint, no adapter files, the same outputs.
    const mergedDir = temp('merged');
    await model.save(mergedDir, { merged: true });
    expect(existsSync(join(mergedDir, 'adapter_config.json'))).toBe(false);
    const merged = await loadModel(mergedDir);
    expect(merged.weights.lora.size).toBe(0);
    expect(maxDifference(await logits(merged), adapted)).toBeLessThan(1e-5);
    for (const m of [model, loaded, merged]) m.dispose();
  });

  it('refuses adapter settings it cannot honour, by field', async () => {
    const { model } = await savedQwen2(6);
    applyLora(model, { rank: 2 });
    const dir = temp('dora');
    await model.save(dir);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, use_dora: true }));
    await expect(loadModel(dir)).rejects.toThrow(/adapter_config\.json: field use_dora: DoRA adapters are not supported/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, peft_type: 'IA3' }));
    await expect(loadModel(dir)).rejects.toThrow(/field peft_type: peft_type "IA3" is not supported/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, target_modules: ['q_proj'] }));
    await expect(loadModel(dir)).rejects.toThrow(/adapts model\.layers\.0\.self_attn\.k_proj, which the target modules of this model do not select/);
    model.dispose();
  });

  it('keeps a TinyVLM folder whole: base weights and the adapter side by side', async () => {
    const tokenizer = BpeTokenizer.train(['Are there any defects?', '<answer>No</answer>'], { vocabSize: 60 });
    const imageLoader = async (_: unknown, size: number) => new Float32Array(size * size * 3).fill(0.5);
    const model = TinyVLM.create({ imageSize: 16, patchSize: 8, visionWidth: 8, visionLayers: 1, visionHeads: 2, width: 16, layers: 2, heads: 2, mlp: 32, maxSequence: 64 }, tokenizer, { seed: 1, imageLoader });
    const adapted = applyLora(model, { rank: 2 });
    // Default: the decoder's four linear layers per block; the vision path is left alone.
    expect(adapted).toEqual([0, 1].flatMap((i) => ['attn.qkv', 'attn.proj', 'mlp.fc', 'mlp.out'].map((l) => `decoder.blocks.${i}.${l}`)));
    perturbAdapters(model);
    const dir = temp('tiny');
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'config.json', 'model.safetensors', 'tokenizer.json']);
    const loaded = await loadModel(dir, { imageLoader });
    const example = [{ messages: [{ role: 'user' as const, content: [{ type: 'image' as const, image: 'x' }, { type: 'text' as const, text: 'Are there any defects?' }] }], completion: '<answer>No</answer>' }];
    const batch = await model.prepareTrainingBatch(example);
    expect(tf.tidy(() => Array.from(loaded.tokenLogProbs(batch).dataSync()))).toEqual(tf.tidy(() => Array.from(model.tokenLogProbs(batch).dataSync())));
    for (const m of [model, loaded]) m.dispose();
  });
});
