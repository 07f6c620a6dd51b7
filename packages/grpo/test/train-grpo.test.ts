import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUESTION, assistantTarget } from '@iad-r1/cot-schema';
import { type SyntheticSet, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { AdamW, BpeTokenizer, TinyVLM, selectBackend, sftLoss, tf } from '@iad-r1/models/tfjs';
import { type RewardBatch, type RewardDefinition, createRewardRegistry, tagValue } from '@iad-r1/rewards';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GrpoSample, samplesFromExpertAd, trainGrpo } from '../src/index';

let set: SyntheticSet;
let samples: GrpoSample[];
let tokenizer: BpeTokenizer;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-grpo-')), name);
const config = { imageSize: 32, patchSize: 8, visionWidth: 32, visionLayers: 1, visionHeads: 4, width: 64, layers: 2, heads: 4, mlp: 256, maxSequence: 192 };

// A short PA-SFT so the policy writes the format and GRPO has something to shape.
async function supervised(steps: number): Promise<TinyVLM> {
  const model = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
  const optimizer = new AdamW(model.namedVariables(), { weightDecay: 0 });
  // Labels alternate, so every batch of 8 is 4 normal, 4 anomalous and the policy ends undecided.
  const normal = set.expertAd.filter((r) => r.label === 'normal');
  const anomalous = set.expertAd.filter((r) => r.label === 'anomalous');
  const records = normal.flatMap((r, i) => [r, anomalous[i]]).filter((r) => r !== undefined);
  const examples = records.map((r) => ({ messages: samples.find((s) => s.id === r.id)?.messages ?? [], completion: assistantTarget(r) }));
  for (let step = 0; step < steps; step++) {
    const batch = await model.prepareTrainingBatch(examples.slice((step * 8) % examples.length, ((step * 8) % examples.length) + 8));
    const { value, grads } = tf.variableGrads(() => sftLoss(model, batch) as tf.Scalar, model.trainableVariables().map(([, v]) => v));
    optimizer.step(model.trainableVariables().map(([, v]) => v).map((v) => grads[v.name] ?? tf.zerosLike(v)), 5e-3);
    tf.dispose([value, ...Object.values(grads)]);
  }
  optimizer.dispose();
  return model;
}

beforeAll(async () => {
  await selectBackend({ log: () => undefined });
  const root = temp('synthetic');
  await generateSyntheticSet({ out: root, seed: 2, size: 32, perCategory: 4 });
  set = await readSyntheticSet(root);
  samples = samplesFromExpertAd(set.expertAd, { imagesRoot: set.root });
  tokenizer = BpeTokenizer.train([...set.expertAd.map((r) => assistantTarget(r)), DEFAULT_QUESTION], { vocabSize: 400 });
});

describe('trainGrpo', () => {
  it('raises the mean reward of a small run, logging every metric the paper plots', async () => {
    const policy = await supervised(40);
    // A reward the SFT policy meets now and then: answering "yes". GRPO must shift the policy towards
    // it, which the logged yes-share makes visible (the paper's collapse symptom, on purpose here).
    const reward = (completion: string) => (tagValue(completion, 'answer') === 'yes' ? 1 : 0);
    const out = temp('run');
    const result = await trainGrpo({ policy, samples, out, steps: 14, groupSize: 4, promptsPerStep: 4, maxNewTokens: 140, learningRate: 2e-3, reward, seed: 1 });
    const early = mean(result.metrics.slice(0, 4).map((m) => m.reward));
    const late = mean(result.metrics.slice(-4).map((m) => m.reward));
    console.info(`GRPO toy run: mean reward ${early.toFixed(2)} (steps 1–4) → ${late.toFixed(2)} (steps 11–14)`);
    expect(late).toBeGreaterThan(early + 0.15);
    // Here the reward is 1 exactly for a "yes", so the trainer's yes-share must equal it step by step.
    for (const m of result.metrics) expect(m.yesShare, `step ${m.step}`).toBeCloseTo(m.reward, 9);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(14);
    expect(Object.keys(lines[0])).toEqual(expect.arrayContaining(['reward', 'components', 'rewardStd', 'kl', 'completionLength', 'clipFraction', 'learningRate', 'yesShare', 'generationSeconds', 'updateSeconds']));
    policy.dispose();
  });

  it('scores with the four SC-GRPO rewards by default and logs each component', async () => {
    const policy = await supervised(20);
    const result = await trainGrpo({ policy, samples, out: temp('default'), steps: 1, maxNewTokens: 100 });
    const m = result.metrics[0];
    expect(Object.keys(m?.components ?? {}).sort()).toEqual(['answer', 'consistency', 'location', 'type']);
    // Paper eq. 9 bounds each completion's total by 4; the mean reward is the mean of those totals.
    expect(m?.reward).toBeGreaterThanOrEqual(0);
    expect(m?.reward).toBeLessThanOrEqual(4);
    const c = m?.components as Record<string, number>;
    expect(m?.reward).toBeLessThanOrEqual((c.consistency ?? 0) + (c.answer ?? 0) + (c.location ?? 0) + (c.type ?? 0) + 1e-9);
    policy.dispose();
  });

  it('takes a registry scorer with extra and asynchronous rewards, and logs each component by name', async () => {
    const policy = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 3 });
    const seen: RewardBatch[] = [];
    const judged: number[][] = [];
    // The fixture the rewards package's CLI and server tests load: a fifth reward, one file.
    const fixture: string = new URL('../../rewards/test/fixtures/brevity-reward.mjs', import.meta.url).href;
    const { rewards: extra } = (await import(fixture)) as { rewards: RewardDefinition[] };
    const registry = createRewardRegistry().register(extra[0] as RewardDefinition);
    registry.register({
      name: 'judge',
      description: 'an asynchronous reward, as a judge model would be: 0.25 per completion index parity',
      defaultWeight: 1,
      score: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(batch);
        const values = batch.completions.map((_, i) => (i % 2) * 0.25);
        judged.push(values);
        return values;
      },
    });
    const scorer = registry.scorer({ preset: 'paper' });
    const result = await trainGrpo({ policy, samples, out: temp('registry'), steps: 2, groupSize: 2, promptsPerStep: 2, maxNewTokens: 6, reward: scorer, seed: 4 });
    expect(seen).toHaveLength(2);
    for (const [k, m] of result.metrics.entries()) {
      const batch = seen[k] as RewardBatch;
      expect(Object.keys(m.components)).toEqual(['consistency', 'answer', 'location', 'type', 'brevity', 'judge']);
      // Each sample travels with its completion as the extra; the solution is that sample's.
      expect(batch.solutions).toEqual(batch.extras.map((e) => (e as GrpoSample).solution));
      expect(m.components.judge).toBeCloseTo(mean(judged[k] as number[]), 12);
      // Rescored independently from what the reward saw: the logged means and the mean total agree.
      const again = await scorer.score(batch.completions, batch.solutions);
      expect(m.reward).toBeCloseTo(mean(again.totals), 12);
      expect(m.components.brevity).toBeCloseTo(mean(again.components.brevity as number[]), 12);
      expect(m.componentStds.judge).toBeCloseTo(0.25 * Math.sqrt(4 / 3) * 0.5, 12); // values 0, .25, 0, .25: unbiased std
    }
    policy.dispose();
  });

  it('awaits an asynchronous per-completion reward', async () => {
    const policy = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 3 });
    const reward = async (completion: string) => ({ total: completion.length % 3, components: { length_mod_3: completion.length % 3 } });
    const result = await trainGrpo({ policy, samples, out: temp('async-fn'), steps: 1, groupSize: 2, promptsPerStep: 2, maxNewTokens: 6, reward, seed: 4 });
    expect(result.metrics[0]?.components.length_mod_3).toBeCloseTo(result.metrics[0]?.reward as number, 12);
    await expect(trainGrpo({ policy, samples, out: temp('nan'), steps: 1, groupSize: 2, promptsPerStep: 2, maxNewTokens: 6, reward: async () => Number.NaN })).rejects.toThrow(/reward of completion 0 is NaN/);
    policy.dispose();
  });

  it('resumes at the same step with the saved reference policy, ending where an uninterrupted run ends', async () => {
    const options = { samples, steps: 4, groupSize: 2, promptsPerStep: 2, maxNewTokens: 12, learningRate: 1e-3, seed: 5 };
    const base = await supervised(5);
    const straight = base.clone();
    const interrupted = base.clone();
    // clone() is frozen; make the copies trainable policies by loading them as fresh models.
    const dir = temp('base');
    await base.save(dir);
    const p1 = await TinyVLM.load(dir);
    await trainGrpo({ ...options, policy: p1, out: temp('straight') });
    const out = temp('interrupted');
    const controller = new AbortController();
    const p2 = await TinyVLM.load(dir);
    await trainGrpo({ ...options, policy: p2, out, signal: controller.signal, onStep: (m) => m.step === 2 && controller.abort() });
    const p3 = await TinyVLM.load(dir); // a new process: fresh weights, reference from out/reference
    const resumed = await trainGrpo({ ...options, policy: p3, out });
    expect(resumed.resumedFrom).toBe(2);
    const a = p1.trainableVariables().map(([, v]) => v).map((v) => Array.from(v.dataSync()));
    const b = p3.trainableVariables().map(([, v]) => v).map((v) => Array.from(v.dataSync()));
    a.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(v - (b[i]?.[j] as number))).toBeLessThan(1e-4)));
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([1, 2, 3, 4]);
    for (const m of [base, straight, interrupted, p1, p2, p3]) m.dispose();
  });

  it('with strata, asks every step for each stratum in its share of the samples', async () => {
    const policy = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
    const labelOf = new Map(set.expertAd.map((r) => [r.id, r.label]));
    const strata = samples.map((s) => labelOf.get(s.id) as string);
    // The reward sees each completion's sample: count the labels asked, step by step (4 prompts × G = 2).
    const runLabels = async (withStrata: boolean, out: string) => {
      const asked: string[] = [];
      const reward = (_: string, sample: GrpoSample) => {
        asked.push(labelOf.get(sample.id) as string);
        return 0;
      };
      await trainGrpo({ policy, samples, out, steps: 6, groupSize: 2, promptsPerStep: 4, maxNewTokens: 2, reward, resume: false, ...(withStrata ? { strata } : {}) });
      return Array.from({ length: 6 }, (_, step) => asked.slice(step * 8, step * 8 + 8).filter((l) => l === 'anomalous').length);
    };
    // Half the samples are anomalous: 2 of 4 prompts, G = 2 completions each, every step.
    expect(strata.filter((l) => l === 'anomalous').length * 2).toBe(strata.length);
    expect(await runLabels(true, temp('strata'))).toEqual([4, 4, 4, 4, 4, 4]);
    // Uniform draws leave some step lopsided with this seed (so the check above can fail).
    expect((await runLabels(false, temp('uniform'))).some((n) => n !== 4)).toBe(true);
    // Other strata mean other prompts: a resume with them is refused.
    const out = temp('strata-resume');
    await trainGrpo({ policy, samples, out, steps: 1, groupSize: 2, promptsPerStep: 4, maxNewTokens: 2, reward: () => 0, strata });
    await expect(trainGrpo({ policy, samples, out, steps: 2, groupSize: 2, promptsPerStep: 4, maxNewTokens: 2, reward: () => 0 })).rejects.toThrow(/strata = "[0-9a-f]{12}", not nothing/);
    // So are other samples (same count, other solutions) and another β or budget.
    const others = samples.map((s, i) => (i === 0 ? { ...s, solution: `${s.solution} ` } : s));
    await expect(trainGrpo({ policy, samples: others, out, steps: 2, groupSize: 2, promptsPerStep: 4, maxNewTokens: 2, reward: () => 0, strata })).rejects.toThrow(/trainer\.json: this run was made with data = "[0-9a-f]{12}", not "[0-9a-f]{12}"/);
    await expect(trainGrpo({ policy, samples, out, steps: 2, groupSize: 2, promptsPerStep: 4, maxNewTokens: 2, reward: () => 0, strata, beta: 0 })).rejects.toThrow(/beta = 0\.04, not 0/);
    await expect(trainGrpo({ policy, samples, out, steps: 2, groupSize: 2, promptsPerStep: 4, maxNewTokens: 3, reward: () => 0, strata })).rejects.toThrow(/maxNewTokens = 2, not 3/);
    await expect(trainGrpo({ policy, samples, out: temp('strata-bad'), steps: 1, strata: strata.slice(1) })).rejects.toThrow(/strata has \d+ labels for \d+ samples/);
    policy.dispose();
  });

  it('refuses an unknown loss aggregation instead of falling back to one', async () => {
    const policy = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
    await expect(trainGrpo({ policy, samples, out: temp('aggregation'), steps: 1, aggregation: 'dr_grpo' as never })).rejects.toThrow('unknown aggregation "dr_grpo"; choose one of sequence-mean, token-mean, dr-grpo');
    policy.dispose();
  });
});
