import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUESTION } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, type TrainingExample, selectBackend } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { examplesFromExpertAd, trainSft } from '../src/index';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-sft-parallel-')), name);
let examples: TrainingExample[];
let tokenizer: BpeTokenizer;

beforeAll(async () => {
  await selectBackend({ log: () => undefined });
  const root = temp('synthetic');
  await generateSyntheticSet({ out: root, seed: 4, size: 32, perCategory: 4 });
  const set = await readSyntheticSet(root);
  examples = examplesFromExpertAd(set.expertAd.slice(0, 12), { imagesRoot: set.root });
  tokenizer = BpeTokenizer.train([...examples.map((e) => e.completion as string), DEFAULT_QUESTION], { vocabSize: 300 });
});

const model = () => TinyVLM.create({ imageSize: 32, patchSize: 8, visionWidth: 32, visionLayers: 1, visionHeads: 4, width: 32, layers: 2, heads: 4, mlp: 64, maxSequence: 192, vocabSize: tokenizer.size }, tokenizer, { seed: 5 });
const values = async (m: TinyVLM) => (await Promise.all(m.trainableVariables().map(async ([, v]) => Array.from((await v.data()) as Float32Array)))).flat();
const largestDifference = (a: number[], b: number[]) => a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] as number))), 0);

describe('trainSft with workers', () => {
  it('gives the weights and losses of one thread, up to float rounding, with 2 and 3 threads', async () => {
    // Odd batch (5 of 12 examples, the last batch 2) and accumulation: shards of unequal sizes and token counts.
    const options = { maxSteps: 4, batchSize: 5, gradientAccumulation: 2, learningRate: 3e-3, warmupSteps: 1, seed: 2 };
    const one = model();
    const serial = await trainSft({ ...options, model: one, examples, out: temp('one'), workers: 1 });
    const lines: string[] = [];
    const two = model();
    const parallel = await trainSft({ ...options, model: two, examples, out: temp('two'), workers: 2, log: (line) => lines.push(line) });
    expect(lines.some((l) => /data-parallel: 2 threads \(this one and 1 worker on \w+\)/.test(l))).toBe(true);
    const three = model();
    const wider = await trainSft({ ...options, model: three, examples, out: temp('three'), workers: 3 });
    // Tolerance: a shard's mean loss weighted by its token share differs from the whole batch's
    // mean by float32 rounding (~1e-7 relative); four AdamW steps at 3e-3 move a weight by at most
    // 1.2e-2, and rounding in g/√v keeps the difference far below 1e-4 of that scale.
    for (const other of [parallel, wider]) {
      other.losses.forEach((loss, i) => expect(Math.abs(loss - (serial.losses[i] as number))).toBeLessThan(1e-5));
    }
    const reference = await values(one);
    expect(largestDifference(reference, await values(two))).toBeLessThan(1e-5);
    expect(largestDifference(reference, await values(three))).toBeLessThan(1e-5);
    // Not vacuous: the weights moved by far more than the tolerance.
    expect(largestDifference(reference, await values(model()))).toBeGreaterThan(1e-3);
    for (const m of [one, two, three]) m.dispose();
  });

  it('trains LoRA adapters in the workers too, and fails naming an unreadable image', async () => {
    const options = { maxSteps: 2, batchSize: 4, learningRate: 3e-3, seed: 1, lora: { rank: 2, targetModules: ['qkv', 'proj'] } };
    const one = model();
    await trainSft({ ...options, model: one, examples, out: temp('lora-one'), workers: 1 });
    const two = model();
    await trainSft({ ...options, model: two, examples, out: temp('lora-two'), workers: 2 });
    expect(largestDifference(await values(one), await values(two))).toBeLessThan(1e-5);
    // An image that cannot be read fails its shard, in this thread or a worker, and names the file.
    const broken = examples.slice(0, 4).map((e, i) => (i === 3 ? { ...e, messages: e.messages.map((m) => (m.role === 'user' && Array.isArray(m.content) ? { ...m, content: m.content.map((p) => (p.type === 'image' ? { ...p, image: '/nonexistent/missing.png' } : p)) } : m)) } : e));
    await expect(trainSft({ maxSteps: 1, batchSize: 4, model: model(), examples: broken, out: temp('broken'), workers: 2 })).rejects.toThrow(/missing\.png/);
  });

  it('computes a share too large for the memory limit in several passes, with the weights of one pass', async () => {
    const options = { maxSteps: 3, batchSize: 6, learningRate: 3e-3, warmupSteps: 1, seed: 3, workers: 1 };
    const whole = model();
    await trainSft({ ...options, model: whole, examples, out: temp('one-pass') });
    const split = model();
    const lines: string[] = [];
    // About 16·P for the weights, gradients and moments plus a little: room for a few sequences, not 6.
    const limit = (16 * split.parameterCount() + 12e6) / 0.8;
    await trainSft({ ...options, model: split, examples, out: temp('passes'), memoryLimitBytes: limit, log: (l) => lines.push(l) });
    const report = lines.find((l) => l.startsWith('memory:'));
    expect(report).toMatch(/a share of 6 sequences needs [2-6] passes on one thread/);
    expect(largestDifference(await values(whole), await values(split))).toBeLessThan(1e-5);
    // A limit below the weights' own needs is refused before the first step, with the sizes.
    await expect(trainSft({ ...options, model: model(), examples, out: temp('too-small'), memoryLimitBytes: split.parameterCount() })).rejects.toThrow(/needs about .* more than the .* one thread has/);
    for (const m of [whole, split]) m.dispose();
  });
});
