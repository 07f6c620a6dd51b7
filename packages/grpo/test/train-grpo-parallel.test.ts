import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUESTION, assistantTarget } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GrpoOptions, type GrpoResult, type GrpoSample, samplesFromExpertAd, trainGrpo } from '../src/index';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-grpo-parallel-')), name);
let samples: GrpoSample[];
let tokenizer: BpeTokenizer;

beforeAll(async () => {
  await selectBackend({ log: () => undefined });
  const root = temp('synthetic');
  await generateSyntheticSet({ out: root, seed: 6, size: 32, perCategory: 4 });
  const set = await readSyntheticSet(root);
  samples = samplesFromExpertAd(set.expertAd.slice(0, 10), { imagesRoot: set.root });
  tokenizer = BpeTokenizer.train([...set.expertAd.map((r) => assistantTarget(r)), DEFAULT_QUESTION], { vocabSize: 300 });
});

const policy = () => TinyVLM.create({ imageSize: 32, patchSize: 8, visionWidth: 32, visionLayers: 1, visionHeads: 4, width: 32, layers: 2, heads: 4, mlp: 64, maxSequence: 160, vocabSize: tokenizer.size }, tokenizer, { seed: 7 });
const values = async (m: TinyVLM) => (await Promise.all(m.trainableVariables().map(async ([, v]) => Array.from((await v.data()) as Float32Array)))).flat();
const largestDifference = (a: number[], b: number[]) => a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] as number))), 0);
// A reward that differs between completions of a random policy, so every group has an advantage.
const reward = (completion: string) => (completion.length % 7) / 7;

type Run = { result: GrpoResult; weights: number[]; log: string[] };
async function run(workers: number, options: Partial<GrpoOptions>): Promise<Run> {
  const model = policy();
  const log: string[] = [];
  // 3 prompts × G = 3: generation shares of 2 and 1 prompts, update shards of 5 and 4 sequences (2 threads).
  const result = await trainGrpo({ policy: model, samples, out: temp(`w${workers}`), steps: 3, groupSize: 3, promptsPerStep: 3, maxNewTokens: 20, learningRate: 3e-3, reward, seed: 3, workers, log: (l) => log.push(l), ...options });
  const weights = await values(model);
  model.dispose();
  return { result, weights, log };
}

function expectSameRun(serial: Run, parallel: Run) {
  serial.result.metrics.forEach((m, i) => {
    const other = parallel.result.metrics[i];
    // Each prompt samples from its own seeded stream on whichever thread: the same completions.
    expect(other?.reward, `step ${m.step} reward`).toBe(m.reward);
    expect(other?.completionLength, `step ${m.step} length`).toBe(m.completionLength);
    expect(Math.abs((other?.loss as number) - m.loss), `step ${m.step} loss`).toBeLessThan(1e-5);
    expect(Math.abs((other?.kl as number) - m.kl), `step ${m.step} kl`).toBeLessThan(1e-6);
    expect(other?.clipFraction, `step ${m.step} clip`).toBeCloseTo(m.clipFraction, 6);
  });
  // Tolerance: shard means weighted by their share (5/9 and 4/9 here) equal the step's mean up to
  // float32 rounding, but AdamW divides each gradient by its own size (√v + 1e-8), so a gradient
  // near 1e-8 keeps that rounding's relative size in its update: 1.1e-5 was measured with 2
  // threads; three steps at 3e-3 move a weight by up to 9e-3, so 3e-5 is 0.3 % of that. Equal
  // shard weights instead of 5/9 and 4/9 sample other completions by step 2 (checked by mutation).
  expect(largestDifference(serial.weights, parallel.weights)).toBeLessThan(3e-5);
}

describe('trainGrpo with workers', () => {
  it('samples the same completions and reaches the weights of one thread with 2 and 3 threads (sequence-mean, μ = 1)', async () => {
    const one = await run(1, {});
    const two = await run(2, {});
    expect(two.log.some((l) => /data-parallel: 2 threads \(this one and 1 worker on \w+\)/.test(l))).toBe(true);
    expectSameRun(one, two);
    expectSameRun(one, await run(3, {}));
    // Not vacuous: the weights moved by far more than the tolerance, and the loss was not zero.
    expect(largestDifference(one.weights, await values(policy()))).toBeGreaterThan(1e-3);
    expect(one.result.metrics.some((m) => Math.abs(m.loss) > 1e-4)).toBe(true);
  });

  it('weights shards by tokens for token-mean, with two updates per batch from the sampled log-probabilities', async () => {
    const options = { aggregation: 'token-mean' as const, innerIterations: 2, beta: 0.1 };
    const one = await run(1, options);
    const two = await run(2, options);
    expectSameRun(one, two);
  });

  it('weights shards by sequences for Dr.GRPO, and fails naming an image a worker cannot read', async () => {
    const options = { aggregation: 'dr-grpo' as const };
    expectSameRun(await run(1, options), await run(2, options));
    // Every prompt unreadable: whichever thread decodes it, the error names the file.
    const broken = samples.map((s) => ({ ...s, messages: s.messages.map((m) => ({ ...m, content: Array.isArray(m.content) ? m.content.map((p) => (p.type === 'image' ? { ...p, image: '/nowhere/missing.png' } : p)) : m.content })) }));
    await expect(trainGrpo({ policy: policy(), samples: broken as GrpoSample[], out: temp('broken'), steps: 1, groupSize: 2, promptsPerStep: 2, maxNewTokens: 4, reward, workers: 2 })).rejects.toThrow(/missing\.png/);
  });

  it('computes an update share too large for the memory limit in several passes, with the weights of one pass', async () => {
    // About 16·P for the weights, gradients and moments plus a little: room for a few of the 9 sequences, not all.
    const probe = policy();
    const parameters = probe.parameterCount();
    probe.dispose();
    const limit = (16 * parameters + 4e6) / 0.8;
    for (const aggregation of ['sequence-mean', 'token-mean'] as const) {
      const whole = await run(1, { aggregation, innerIterations: 2 });
      const split = await run(1, { aggregation, innerIterations: 2, memoryLimitBytes: limit });
      expect(whole.log.some((l) => l.startsWith('memory:'))).toBe(false);
      expect(split.log.find((l) => l.startsWith('memory:'))).toMatch(/a share of 9 sequences needs [2-9] passes on one thread/);
      expectSameRun(whole, split);
    }
    // A limit below the weights' own needs is refused before the first step, with the sizes.
    await expect(run(1, { memoryLimitBytes: parameters })).rejects.toThrow(/needs about .* more than the .* one thread has/);
  });
});
