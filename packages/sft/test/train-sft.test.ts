import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUESTION, parseOutput } from '@iad-r1/cot-schema';
import { type SyntheticSet, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, type TinyVlmConfigInput, selectBackend, tf } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteLossError, answerStrata, examplesFromExpertAd, examplesFromPaSft, imageCountGroups, trainSft } from '../src/index';

const small: Omit<TinyVlmConfigInput, 'vocabSize'> = { imageSize: 32, patchSize: 8, visionWidth: 32, visionLayers: 1, visionHeads: 4, width: 64, layers: 2, heads: 4, mlp: 256, maxSequence: 192 };
let set: SyntheticSet;
let tokenizer: BpeTokenizer;
const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-sft-')), name);

beforeAll(async () => {
  await selectBackend({ log: () => undefined });
  const root = temp('synthetic');
  await generateSyntheticSet({ out: root, seed: 0, size: 32, perCategory: 8 });
  set = await readSyntheticSet(root);
  const examples = examplesFromExpertAd(set.expertAd, { imagesRoot: set.root });
  tokenizer = BpeTokenizer.train([...examples.map((e) => e.completion as string), DEFAULT_QUESTION], { vocabSize: 400 });
});

describe('PA-SFT on the synthetic set', () => {
  it('lowers the loss and teaches the output format on held-out benchmark images', async () => {
    const examples = examplesFromExpertAd(set.expertAd, { imagesRoot: set.root });
    const model = TinyVLM.create({ ...small, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
    const held = Object.values(set.benchmarks).flatMap((d) => d.samples.filter((s) => s.split === 'test'));
    const ask = () =>
      model.generate(
        held.map((s) => [{ role: 'user' as const, content: [{ type: 'image' as const, image: s.imagePath }, { type: 'text' as const, text: DEFAULT_QUESTION }] }]),
        { maxNewTokens: 120, temperature: 0 },
      );
    const parseable = async () => (await ask()).filter((r) => parseOutput(r.completions[0]?.text ?? '').ok).length / held.length;
    const before = await parseable();

    const out = temp('run');
    const result = await trainSft({ model, examples, out, maxSteps: 60, batchSize: 8, learningRate: 5e-3, warmupSteps: 5, checkpointEvery: 30 });
    const first = result.losses.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
    const last = result.losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(last).toBeLessThan(first * 0.5);
    const after = await parseable();
    // Quoted in the README: `pnpm exec vitest run --project sft -t "output format"`.
    console.info(`PA-SFT: loss ${result.losses[0]?.toFixed(2)} → ${result.losses[59]?.toFixed(2)} (first/last 10: ${first.toFixed(2)} → ${last.toFixed(2)}); parseable on ${held.length} held-out images ${(before * 100).toFixed(0)} % → ${(after * 100).toFixed(0)} %`);
    expect(before).toBeLessThan(0.5);
    expect(after).toBeGreaterThanOrEqual(0.95);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(metrics[0]).toMatchObject({ epoch: 0, totalSteps: 60 });
    expect(existsSync(join(out, 'checkpoints', 'step-000060', 'model.safetensors'))).toBe(true);
    model.dispose();
  });
});

describe('trainSft bookkeeping', () => {
  const examples = () => examplesFromExpertAd(set.expertAd.slice(0, 24), { imagesRoot: set.root });
  const tinyModel = () => TinyVLM.create({ ...small, width: 32, mlp: 64, vocabSize: tokenizer.size }, tokenizer, { seed: 11 });
  const weights = async (m: TinyVLM) => Promise.all(m.trainableVariables().map(([, v]) => v).map(async (v) => Array.from((await v.data()) as Float32Array)));

  it('resumes after an interruption at the same step and data order, ending where an uninterrupted run ends', async () => {
    const options = { maxSteps: 6, batchSize: 4, gradientAccumulation: 2, learningRate: 5e-3, warmupSteps: 1, seed: 3 };
    const straight = tinyModel();
    await trainSft({ ...options, model: straight, examples: examples(), out: temp('straight') });

    const out = temp('interrupted');
    const controller = new AbortController();
    const first = tinyModel();
    const partial = await trainSft({ ...options, model: first, examples: examples(), out, signal: controller.signal, onStep: (m) => m.step === 3 && controller.abort() });
    expect(partial.steps).toBe(3);
    const second = tinyModel(); // a fresh process would build a fresh model
    const resumed = await trainSft({ ...options, model: second, examples: examples(), out });
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.steps).toBe(6);
    const [a, b] = [await weights(straight), await weights(second)];
    a.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(v - (b[i]?.[j] as number))).toBeLessThan(1e-5)));
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    for (const m of [straight, first, second]) m.dispose();
  });

  it('refuses to resume a checkpoint made with other settings', async () => {
    const out = temp('clash');
    const m1 = tinyModel();
    await trainSft({ model: m1, examples: examples(), out, maxSteps: 1, batchSize: 4 });
    const m2 = tinyModel();
    await expect(trainSft({ model: m2, examples: examples(), out, maxSteps: 2, batchSize: 2 })).rejects.toThrow(/trainer\.json: this run was made with batchSize = 4, not 2/);
    // Strata change the data order, so a resume with other strata (or none) is refused too.
    const labels = set.expertAd.slice(0, 24).map((r) => r.label);
    await expect(trainSft({ model: m2, examples: examples(), out, maxSteps: 2, batchSize: 4, strata: labels })).rejects.toThrow(/strata = nothing, not "[0-9a-f]{12}"/);
    // Other records under the same weights (here: fine instead of coarse types) would be another run.
    const fine = examplesFromExpertAd(set.expertAd.slice(0, 24), { imagesRoot: set.root, typeLevel: 'fine' });
    expect(fine.map((e) => e.completion)).not.toEqual(examples().map((e) => e.completion));
    await expect(trainSft({ model: m2, examples: fine, out, maxSteps: 2, batchSize: 4 })).rejects.toThrow(/this run was made with data = "[0-9a-f]{12}", not "[0-9a-f]{12}"/);
    // So would another learning rate (the default, 2e-5, was saved) or weight decay.
    await expect(trainSft({ model: m2, examples: examples(), out, maxSteps: 2, batchSize: 4, learningRate: 1e-3 })).rejects.toThrow(/learningRate = 0\.00002, not 0\.001/);
    await expect(trainSft({ model: m2, examples: examples(), out, maxSteps: 2, batchSize: 4, weightDecay: 0 })).rejects.toThrow(/weightDecay = 0\.1, not 0/);
    // A longer run on the same settings is a resume.
    expect((await trainSft({ model: m2, examples: examples(), out, maxSteps: 2, batchSize: 4 })).resumedFrom).toBe(1);
    m1.dispose();
    m2.dispose();
  });

  it('stops with an error naming the step when the loss is not finite', async () => {
    const model = tinyModel();
    const error = await trainSft({ model, examples: examples(), out: temp('nan'), maxSteps: 20, batchSize: 4, learningRate: 1e30, warmupSteps: 0, maxGradNorm: 1e30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBeGreaterThan(1);
    expect((error as Error).message).toMatch(/^loss became (NaN|Infinity|-Infinity) at step \d+/);
    model.dispose();
  });

  it('trains only the decoder with freezeVision', async () => {
    const model = tinyModel();
    const snapshot = () => new Map(model.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]));
    const before = snapshot();
    await trainSft({ model, examples: examples(), out: temp('frozen'), maxSteps: 2, batchSize: 4, learningRate: 5e-3, warmupSteps: 0, freezeVision: true });
    const after = snapshot();
    const vision = new Set(model.namedVariables().filter(([name]) => model.variableGroups.vision.test(name)).map(([name]) => name));
    expect(vision.size).toBeGreaterThan(5);
    for (const [name, values] of before) {
      const moved = values.some((v, i) => v !== after.get(name)?.[i]);
      expect(moved, name).toBe(!vision.has(name));
    }
    model.dispose();
  });

  it('with strata, puts each stratum in every batch in its share of the data', async () => {
    // 12 normal then 12 anomalous records: in file order every batch of 4 would hold one label.
    const records = [...set.expertAd.filter((r) => r.label === 'normal').slice(0, 12), ...set.expertAd.filter((r) => r.label === 'anomalous').slice(0, 12)];
    const data = examplesFromExpertAd(records, { imagesRoot: set.root });
    const indexOf = new Map(data.map((e, i) => [e, i]));
    const labels = records.map((r) => r.label);
    const longer = () => TinyVLM.create({ ...small, width: 32, mlp: 64, maxSequence: 256, vocabSize: tokenizer.size }, tokenizer, { seed: 11 });
    const batchesOf = async (strata: string[] | undefined, seed: number) => {
      const model = longer();
      const batches: number[][] = [];
      const real = model.prepareTrainingBatch.bind(model);
      // Records which examples the trainer batches together; the real method still does the work.
      model.prepareTrainingBatch = (batch) => {
        batches.push(batch.map((e) => indexOf.get(e as (typeof data)[number]) as number));
        return real(batch);
      };
      await trainSft({ model, examples: data, strata, out: temp('strata'), maxSteps: 12, batchSize: 4, seed });
      model.dispose();
      return batches;
    };
    const anomalousIn = (batch: number[]) => batch.filter((i) => labels[i] === 'anomalous').length;
    for (const seed of [0, 1]) {
      const batches = await batchesOf(labels, seed);
      expect(batches).toHaveLength(12);
      for (const batch of batches) expect(anomalousIn(batch)).toBe(2);
      // Still every example once per epoch.
      for (const epoch of [batches.slice(0, 6), batches.slice(6)]) expect(epoch.flat().sort((a, b) => a - b)).toEqual(data.map((_, i) => i));
    }
    // Without strata a plain shuffle of this data leaves some batch lopsided (so the check above can fail).
    const plain = await batchesOf(undefined, 0);
    expect(plain.some((batch) => anomalousIn(batch) !== 2)).toBe(true);
    await expect(trainSft({ model: longer(), examples: data, strata: labels.slice(1), out: temp('strata-bad'), maxSteps: 1 })).rejects.toThrow(/strata has 23 labels for 24 examples/);
  });

  it('with batchGroups, draws every batch from one group, the groups taking turns, strata still shared', async () => {
    // Group a: 8 normal + 8 anomalous records; group b: 4 + 4 (say, the long 1-shot prompts).
    const normal = set.expertAd.filter((r) => r.label === 'normal');
    const anomalous = set.expertAd.filter((r) => r.label === 'anomalous');
    const records = [...normal.slice(0, 8), ...anomalous.slice(0, 8), ...normal.slice(8, 12), ...anomalous.slice(8, 12)];
    const groups = records.map((_, i) => (i < 16 ? 'a' : 'b'));
    const labels = records.map((r) => r.label);
    const data = examplesFromExpertAd(records, { imagesRoot: set.root });
    const indexOf = new Map(data.map((e, i) => [e, i]));
    const batchesOf = async (batchGroups: string[] | undefined) => {
      const model = TinyVLM.create({ ...small, width: 32, mlp: 64, maxSequence: 256, vocabSize: tokenizer.size }, tokenizer, { seed: 11 });
      const batches: number[][] = [];
      const real = model.prepareTrainingBatch.bind(model);
      model.prepareTrainingBatch = (batch) => {
        batches.push(batch.map((e) => indexOf.get(e as (typeof data)[number]) as number));
        return real(batch);
      };
      await trainSft({ model, examples: data, strata: labels, batchGroups, out: temp('groups'), maxSteps: 12, batchSize: 4 });
      model.dispose();
      return batches;
    };
    const batches = await batchesOf(groups);
    expect(batches).toHaveLength(12);
    for (const batch of batches) {
      expect(new Set(batch.map((i) => groups[i])).size, JSON.stringify(batch)).toBe(1);
      expect(batch.filter((i) => labels[i] === 'anomalous')).toHaveLength(2);
    }
    for (const epoch of [batches.slice(0, 6), batches.slice(6)]) {
      expect(epoch.flat().sort((a, b) => a - b)).toEqual(data.map((_, i) => i));
      // Group b's two batches are spread over the epoch (keys ¼ and ¾ among a's ⅛, ⅜, ⅝, ⅞): a b a a b a.
      expect(epoch.map((batch) => groups[batch[0] as number]).join('')).toBe('abaaba');
    }
    // Without groups the same data mixes them within a batch (so the checks above can fail).
    const mixed = await batchesOf(undefined);
    expect(mixed.some((batch) => new Set(batch.map((i) => groups[i])).size > 1)).toBe(true);

    const out = temp('groups-resume');
    const model = TinyVLM.create({ ...small, width: 32, mlp: 64, maxSequence: 256, vocabSize: tokenizer.size }, tokenizer, { seed: 11 });
    await trainSft({ model, examples: data, batchGroups: groups, out, maxSteps: 1, batchSize: 4 });
    // Other groups mean another data order: a resume with them is refused.
    await expect(trainSft({ model, examples: data, out, maxSteps: 2, batchSize: 4 })).rejects.toThrow(/batchGroups = "[0-9a-f]{12}", not nothing/);
    await expect(trainSft({ model, examples: data, batchGroups: groups.slice(1), out: temp('groups-bad'), maxSteps: 1 })).rejects.toThrow(/batchGroups has 23 labels for 24 examples/);
    model.dispose();
  });

  it('leaves no tensors behind between steps', async () => {
    const model = tinyModel();
    await trainSft({ model, examples: examples(), out: temp('leak-a'), maxSteps: 1, batchSize: 4 });
    const baseline = tf.memory().numTensors;
    await trainSft({ model, examples: examples(), out: temp('leak-b'), maxSteps: 4, batchSize: 4, gradientAccumulation: 2 });
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });
});

describe('training examples and ablations', () => {
  it('groups examples by their number of images', () => {
    const records = set.expertAd.slice(0, 3);
    const zero = examplesFromExpertAd(records, { imagesRoot: set.root, shots: 0 });
    const one = examplesFromExpertAd(records, { imagesRoot: set.root, shots: 1 });
    expect(imageCountGroups([...zero, ...one])).toEqual(['1', '1', '1', '2', '2', '2']);
    // Text-only examples have no image.
    expect(imageCountGroups([{ messages: [{ role: 'user', content: 'hello' }], completion: 'hi' }])).toEqual(['0']);
  });

  it('reads each example\'s answer for strata, CoT and answer-only alike', () => {
    const records = [set.expertAd.find((r) => r.label === 'normal'), set.expertAd.find((r) => r.label === 'anomalous')].filter((r) => r !== undefined);
    const cot = examplesFromExpertAd(records, { imagesRoot: set.root });
    const short = examplesFromExpertAd(records, { imagesRoot: set.root, target: 'answer-only' });
    expect(answerStrata([...cot, ...short])).toEqual(['no', 'yes', 'no', 'yes']);
    expect(answerStrata([{ messages: [], completion: '<answer> YES </answer>' }, { messages: [], completion: 'Yes.' }, { messages: [] }])).toEqual(['yes', 'other', 'other']);
  });

  it('builds CoT, answer-only, fine-type, 1-shot and fractional sets', () => {
    const records = set.expertAd;
    const anomalous = records.find((r) => r.label === 'anomalous');
    const cot = examplesFromExpertAd([anomalous!], { imagesRoot: set.root });
    expect(parseOutput(cot[0]?.completion as string)).toMatchObject({ ok: true, pattern: 'anomalous', type: anomalous?.coarseType?.toLowerCase() });
    expect(examplesFromExpertAd([anomalous!], { target: 'answer-only' })[0]?.completion).toBe('<answer>Yes</answer>');
    expect(examplesFromExpertAd([anomalous!], { typeLevel: 'fine' })[0]?.completion).toContain(`<type>${anomalous?.fineType}</type>`);
    const oneShot = examplesFromExpertAd([anomalous!], { shots: 1, imagesRoot: '/r' })[0]?.messages[0]?.content as Array<{ type: string; image?: string }>;
    expect(oneShot.filter((p) => p.type === 'image').map((p) => p.image)).toEqual([`/r/${anomalous?.referenceImage}`, `/r/${anomalous?.queryImage}`]);
    expect(examplesFromExpertAd(records, { fraction: 0.2, seed: 1 })).toHaveLength(Math.round(records.length * 0.2));
    expect(() => examplesFromExpertAd(records, { fraction: 0 })).toThrow(/fraction/);
  });

  it('reads LLaMA-Factory sharegpt records, placing images at their markers', () => {
    const [example] = examplesFromPaSft(
      [{ images: ['ref.png', 'q.png'], messages: [{ role: 'user', content: 'Compare.\n<image>\n<image>' }, { role: 'assistant', content: '<answer>No</answer>' }] }],
      { imagesRoot: '/data' },
    );
    expect(example?.messages[0]?.content).toEqual([
      { type: 'text', text: 'Compare.' },
      { type: 'image', image: '/data/ref.png' },
      { type: 'image', image: '/data/q.png' },
    ]);
    expect(example?.completion).toBe('<answer>No</answer>');
  });
});
