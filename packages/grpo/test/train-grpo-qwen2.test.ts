import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HfTokenizer, Qwen2ForCausalLM, type TrainableModel, byteLevelTokenizerFiles, loadModel, selectBackend, tf } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { QWEN2_CHAT_TEMPLATE, tinyQwen2Config } from '../../models/test/fixtures/tiny-qwen2-config';
import { scGrpoReward } from '@iad-r1/rewards';
import type { GrpoSample } from '../src/grpo-samples';
import { type RewardFn, sampledLogProbs, trainGrpo } from '../src/index';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-grpo-qwen2-')), name);

// Text-only prompts (Qwen2 reads no images) with SC-GRPO solutions.
const samples: GrpoSample[] = [
  { id: 'a', messages: [{ role: 'user', content: 'Woven fabric, even weave. Any defect?' }], solution: '<answer>No</answer>' },
  { id: 'b', messages: [{ role: 'user', content: 'Metal plate, a line at the top. Any defect?' }], solution: '<location>top</location><type>scratch</type><answer>Yes</answer>' },
];

// A random model writes no tags, so the four rewards are all 0 and no group has a spread to learn
// from; a fifth term, the share of distinct characters, gives every group one.
const reward: RewardFn = (completion, sample) => {
  const r = scGrpoReward(completion, sample.solution, { preset: 'paper' });
  const distinct = new Set(completion).size / Math.max(1, completion.length);
  return { total: r.total + distinct, components: { ...r.components, distinct } };
};

async function checkpoint(seed: number): Promise<string> {
  const dir = temp('base');
  const model = Qwen2ForCausalLM.create(tinyQwen2Config({ initializer_range: 0.3 }), HfTokenizer.fromFiles(byteLevelTokenizerFiles({ chatTemplate: QWEN2_CHAT_TEMPLATE })), { seed });
  await model.save(dir);
  model.dispose();
  return dir;
}

async function greedy(model: TrainableModel): Promise<number[][]> {
  const results = await model.generate(samples.map((s) => s.messages), { maxNewTokens: 16, temperature: 0 });
  return results.map((r) => r.completions[0]?.tokenIds ?? []);
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
});

describe('SC-GRPO on a Qwen2 checkpoint', () => {
  it('lays the log-probabilities recorded while sampling out where the batch trains them, equal to a forward pass', async () => {
    const policy = await loadModel(await checkpoint(6));
    // Bias the head so some completions end at <|im_end|> within the budget.
    const head = policy.weights.get('lm_head.weight');
    tf.tidy(() => head.assign(tf.add(head, tf.mul(tf.oneHot([262], 264).reshape([1, -1]), 4))));
    const results = await policy.generate(samples.map((s) => s.messages), { n: 4, temperature: 1, maxNewTokens: 10, seed: 3 });
    const completions = results.flatMap((r) => r.completions);
    expect(completions.some((c) => c.endOfSequence) && completions.some((c) => !c.endOfSequence)).toBe(true);
    const batch = await policy.prepareTrainingBatch(
      completions.map((c, i) => ({ messages: (samples[Math.floor(i / 4)] as GrpoSample).messages, completionIds: [...(c.tokenIds ?? []), ...(c.endOfSequence ? [c.endOfSequence.tokenId] : [])], appendEos: false })),
    );
    const sampled = tf.tidy(() => Array.from(sampledLogProbs(batch, completions).dataSync()));
    const forward = tf.tidy(() => Array.from(policy.tokenLogProbs(batch).dataSync()));
    batch.lossMask.forEach((m, i) => {
      if (m === 1) expect(Math.abs((sampled[i] as number) - (forward[i] as number)), `position ${i}`).toBeLessThan(1e-4);
      else expect(sampled[i]).toBe(0);
    });
    policy.dispose();
  });

  it.each([
    ['full fine-tuning', undefined, 1],
    ['LoRA, two updates per batch (π_θold from the sampled log-probabilities)', { rank: 4, alpha: 8 }, 2],
  ])('runs steps with rewards and KL logged, saves, and reloads to the same generations (%s)', async (_, lora, innerIterations) => {
    const base = await checkpoint(4);
    const policy = await loadModel(base);
    const before = new Map(policy.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]));
    const out = temp('run');
    const result = await trainGrpo({
      policy,
      samples,
      reward,
      out,
      steps: 3,
      groupSize: 4,
      promptsPerStep: 2,
      maxNewTokens: 12,
      learningRate: 1e-2,
      innerIterations,
      ...(lora ? { lora } : {}),
    });
    expect(result.steps).toBe(3);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      expect(Object.keys(m.components).sort()).toEqual(['answer', 'consistency', 'distinct', 'location', 'type']);
      expect(Number.isFinite(m.reward) && Number.isFinite(m.kl) && Number.isFinite(m.loss)).toBe(true);
      expect(m.completionLength).toBeGreaterThan(0);
    }
    // The policy moved away from the reference: the KL of the last step is positive.
    expect(lines.every((m) => m.rewardStd > 0)).toBe(true);
    expect(lines.at(-1).kl).toBeGreaterThan(0);
    const changed = policy.namedVariables().filter(([name, v]) => before.has(name) && Array.from(v.dataSync()).some((x, i) => x !== before.get(name)?.[i]));
    if (lora) {
      expect(changed).toEqual([]);
      expect(readdirSync(result.checkpoint as string).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer.json']);
    } else expect(changed.length).toBeGreaterThan(10);
    // The reference policy is the model at the start, kept beside the run.
    const reference = await loadModel(join(out, 'reference'));
    for (const [name, values] of before) expect(Array.from(reference.weights.get(name).dataSync()), name).toEqual(values);
    const reloaded = await loadModel(result.checkpoint as string);
    expect(await greedy(reloaded)).toEqual(await greedy(policy));
    for (const m of [policy, reference, reloaded]) m.dispose();
  });

  it('trains the same with 2 threads as with 1: the workers load the checkpoint folder through the registry (LoRA)', async () => {
    const base = await checkpoint(5);
    const run = async (workers: number) => {
      const policy = await loadModel(base);
      const result = await trainGrpo({ policy, samples, reward, out: temp(`threads-${workers}`), steps: 2, groupSize: 3, promptsPerStep: 2, maxNewTokens: 10, learningRate: 1e-2, lora: { rank: 2, alpha: 4 }, seed: 2, workers });
      const weights = policy.namedVariables().flatMap(([, v]) => Array.from(v.dataSync()));
      policy.dispose();
      return { result, weights };
    };
    const one = await run(1);
    const two = await run(2);
    // Each prompt decoded alone on its thread (no left padding) samples what the padded batch samples.
    expect(two.result.metrics.map((m) => m.reward)).toEqual(one.result.metrics.map((m) => m.reward));
    two.result.metrics.forEach((m, i) => expect(Math.abs(m.loss - (one.result.metrics[i]?.loss as number))).toBeLessThan(1e-5));
    // The tolerance of train-grpo-parallel.test.ts (AdamW's per-weight normalisation of rounding).
    expect(one.weights.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (two.weights[i] as number))), 0)).toBeLessThan(3e-5);
  });
});
