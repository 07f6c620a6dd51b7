import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HfTokenizer, Qwen2ForCausalLM, type TrainableModel, byteLevelTokenizerFiles, loadModel, selectBackend } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { QWEN2_CHAT_TEMPLATE, tinyQwen2Config } from '../../models/test/fixtures/tiny-qwen2-config';
import { trainSft } from '../src/train-sft';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-sft-qwen2-')), name);

// Text-only prompts (Qwen2 reads no images) with the two CoT answer patterns.
const examples = [
  { messages: [{ role: 'user' as const, content: 'Woven fabric, even weave. Any defect?' }], completion: '<think>Every region matches.</think><answer>No</answer>' },
  { messages: [{ role: 'user' as const, content: 'Metal plate, a line across the top. Any defect?' }], completion: '<think>The top region differs.</think><location>top</location><type>scratch</type><answer>Yes</answer>' },
];

/**
 * A tiny random Qwen2 checkpoint written to disk, as a user would point the trainer at one. Its
 * weights are drawn wide (0.3): with transformers' 0.02 a 48-wide frozen head cannot make sharp
 * logits, and LoRA (which leaves the head alone) could not fit even two examples.
 */
async function checkpoint(seed: number): Promise<string> {
  const dir = temp('base');
  const model = Qwen2ForCausalLM.create(tinyQwen2Config({ hidden_size: 48, num_attention_heads: 6, num_key_value_heads: 2, intermediate_size: 64, initializer_range: 0.3 }), HfTokenizer.fromFiles(byteLevelTokenizerFiles({ chatTemplate: QWEN2_CHAT_TEMPLATE })), { seed });
  await model.save(dir);
  model.dispose();
  return dir;
}

async function greedy(model: TrainableModel): Promise<number[][]> {
  const results = await model.generate(examples.map((e) => e.messages), { maxNewTokens: 24, temperature: 0 });
  return results.map((r) => r.completions[0]?.tokenIds ?? []);
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
});

describe('PA-SFT on a Qwen2 checkpoint', () => {
  it('lowers the loss on a repeated batch with full fine-tuning, and the saved model generates the same tokens', async () => {
    const base = await checkpoint(1);
    const model = await loadModel(base);
    const out = temp('full');
    const result = await trainSft({ model, examples, out, maxSteps: 30, batchSize: 2, learningRate: 1e-2, warmupSteps: 0, weightDecay: 0 });
    expect(result.losses[result.losses.length - 1]).toBeLessThan(0.3 * (result.losses[0] as number));
    // A full model trains every weight, so a checkpoint is the whole model in Hugging Face layout.
    expect(readdirSync(result.checkpoint as string)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'optimizer.safetensors', 'trainer.json']));
    const reloaded = await loadModel(result.checkpoint as string);
    expect(await greedy(reloaded)).toEqual(await greedy(model));
    for (const m of [model, reloaded]) m.dispose();
  });

  it('trains LoRA adapters only, checkpoints them as a PEFT adapter, resumes, and exports adapter or merged weights', async () => {
    const base = await checkpoint(2);
    const model = await loadModel(base);
    const before = new Map(model.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]));
    const out = temp('lora');
    const lora = { rank: 8, alpha: 16 };
    const controller = new AbortController();
    const first = await trainSft({ model, examples, out, maxSteps: 40, batchSize: 2, learningRate: 2e-2, warmupSteps: 0, weightDecay: 0, lora, checkpointEvery: 10, signal: controller.signal, onStep: (m) => m.step === 20 && controller.abort() });
    expect(first.steps).toBe(20);
    for (const [name, values] of before) expect(Array.from(model.weights.get(name).dataSync()), name).toEqual(values);
    expect(readdirSync(first.checkpoint as string).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer.json']);
    // A new process: the base again, the adapters and optimiser restored from the checkpoint.
    const resumedModel = await loadModel(base);
    const resumed = await trainSft({ model: resumedModel, examples, out, maxSteps: 40, batchSize: 2, learningRate: 2e-2, warmupSteps: 0, weightDecay: 0, lora });
    expect(resumed.resumedFrom).toBe(20);
    expect(resumed.finalLoss).toBeLessThan(0.3 * (first.losses[0] as number));
    const adapterDir = temp('adapter');
    await resumedModel.save(adapterDir);
    const mergedDir = temp('merged');
    await resumedModel.save(mergedDir, { merged: true });
    expect(existsSync(join(mergedDir, 'adapter_config.json'))).toBe(false);
    const tokens = await greedy(resumedModel);
    expect(await greedy(await loadModel(adapterDir))).toEqual(tokens);
    expect(await greedy(await loadModel(mergedDir))).toEqual(tokens);
    // The trained model answers in the taught format.
    const results = await resumedModel.generate([examples[1]?.messages ?? []], { maxNewTokens: 160 });
    expect(results[0]?.completions[0]?.text).toBe(examples[1]?.completion);
    for (const m of [model, resumedModel]) m.dispose();
  });

  it('refuses to resume a run with other trained weights (full run, LoRA resume)', async () => {
    const base = await checkpoint(3);
    const out = temp('mixed');
    const model = await loadModel(base);
    await trainSft({ model, examples, out, maxSteps: 2, batchSize: 2, learningRate: 1e-3 });
    const again = await loadModel(base);
    await expect(trainSft({ model: again, examples, out, maxSteps: 4, batchSize: 2, learningRate: 1e-3, lora: { rank: 4 } })).rejects.toThrow(/this run was made with trained = "\w+", not "\w+"/);
    for (const m of [model, again]) m.dispose();
  });
});
