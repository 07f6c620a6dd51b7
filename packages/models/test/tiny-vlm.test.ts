import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/index';
import { BpeTokenizer, TinyVLM, type TrainingExample, sftLoss, tf } from '../src/tfjs/index';
import { conv3x3Relu } from '../src/tfjs/architectures/tiny-vlm/conv-stem';
import '@tensorflow/tfjs-backend-wasm';
import { expectCpuAndWasmAgree } from './fixtures/backend-agreement';

// Images are passed as generated pixel arrays: the loader below turns a "colour:x" string into an
// image, so these tests need no files and no sharp.
const imageLoader = async (image: unknown, size: number): Promise<Float32Array> => {
  const value = Number(String(image).split(':')[1] ?? 0) / 10;
  return new Float32Array(size * size * 3).map((_, i) => (i % 7 === 0 ? value : 1 - value));
};

const corpus = [
  '<think>The surface is uniform.</think><answer>No</answer>',
  '<think>A thin line crosses the top left.</think><location>top left</location><type>scratch</type><answer>Yes</answer>',
  '<think>A dark hole near the center.</think><location>center</location><type>hole</type><answer>Yes</answer>',
  'Are there any defects in the query image?',
];
const tiny = { imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, width: 32, layers: 2, heads: 4, mlp: 64, maxSequence: 96 };

function example(i: number): TrainingExample {
  return {
    messages: [{ role: 'user', content: [{ type: 'image', image: `colour:${i % 10}` }, { type: 'text', text: 'Are there any defects in the query image?' }] }],
    completion: corpus[i % 3] as string,
  };
}

const variablesOf = (m: TinyVLM) => m.trainableVariables().map(([, v]) => v);

let tokenizer: BpeTokenizer;
beforeAll(async () => {
  tokenizer = BpeTokenizer.train(corpus, { vocabSize: 120 });
  await tf.setBackend('cpu');
});

describe('BpeTokenizer', () => {
  it('round-trips text and keeps tags and chat roles as single tokens', () => {
    for (const text of corpus) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    expect(tokenizer.encode('<think>')).toEqual([tokenizer.special('<think>')]);
    expect(tokenizer.encode('<|assistant|></answer>')).toHaveLength(2);
    expect(tokenizer.encode('Ω')).toEqual([tokenizer.special('<unk>')]);
    expect(tokenizer.encode('the surface').length).toBeLessThan('the surface'.length);
  });

  it('saves to tokenizer.json and loads back identically', () => {
    const loaded = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    for (const text of corpus) expect(loaded.encode(text)).toEqual(tokenizer.encode(text));
    expect(tokenizer.toJSON().model.type).toBe('BPE');
  });
});

describe('TinyVLM training surface', () => {
  it('masks prompt, image and padding positions out of the loss', async () => {
    const model = TinyVLM.create({ ...tiny, vocabSize: tokenizer.size }, tokenizer, { seed: 1, imageLoader });
    const batch = await model.prepareTrainingBatch([example(0), example(1)]);
    // The loss covers exactly the completion tokens and <eos> of each row.
    for (let b = 0; b < 2; b++) {
      const covered = batch.lossMask.slice(b * batch.steps, (b + 1) * batch.steps).reduce((a, c) => a + c, 0);
      expect(covered).toBe(tokenizer.encode(corpus[b] as string).length + 1);
    }
    const loss = (m: TinyVLM, targets: Int32Array) => tf.tidy(() => sftLoss(m, { ...batch, targets }).dataSync()[0] as number);
    const gradNorm = (targets: Int32Array) =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => sftLoss(model, { ...batch, targets }) as tf.Scalar, variablesOf(model));
        return Object.values(grads).map((g) => tf.sum(tf.abs(g)).dataSync()[0] as number);
      });
    // Changing targets where the mask is 0 changes neither loss nor any gradient…
    const scrambled = batch.targets.map((t, i) => (batch.lossMask[i] === 0 ? (t + 5) % tokenizer.size : t));
    expect(loss(model, scrambled)).toBe(loss(model, batch.targets));
    expect(gradNorm(scrambled)).toEqual(gradNorm(batch.targets));
    // …while changing one completion target does.
    const first = batch.lossMask.indexOf(1);
    const changed = batch.targets.map((t, i) => (i === first ? (t + 5) % tokenizer.size : t));
    expect(loss(model, changed)).not.toBe(loss(model, batch.targets));
    model.dispose();
  });

  it.each([
    ['a plain ViT', {}],
    ['a conv stem', { visionStem: [4, 6] }],
    ['a conv stem and the summary token', { visionStem: [4, 6], imageSummaryToken: true }],
  ])('gives the same loss and gradients on the wasm and cpu backends (%s)', async (_, extra) => {
    await expectCpuAndWasmAgree(() => TinyVLM.create({ ...tiny, ...extra, vocabSize: tokenizer.size }, tokenizer, { seed: 3, imageLoader }), [example(0), example(1), example(2)], 1e-4);
  });

  it('leaks no tensors across training steps and generation', async () => {
    const model = TinyVLM.create({ ...tiny, vocabSize: tokenizer.size }, tokenizer, { seed: 2, imageLoader });
    const optimizer = tf.train.adam(1e-2);
    const batch = await model.prepareTrainingBatch([example(0), example(1)]);
    const step = () => tf.dispose(optimizer.minimize(() => sftLoss(model, batch) as tf.Scalar, true, variablesOf(model)) ?? []);
    step();
    await model.generate([example(0).messages], { maxNewTokens: 5 });
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    for (let i = 0; i < 3; i++) await model.generate([example(i).messages, example(i + 1).messages], { maxNewTokens: 6, temperature: 1, n: 2 });
    expect(tf.memory().numTensors).toBe(baseline);
    optimizer.dispose();
    model.dispose();
  });
});

describe('TinyVLM generation', () => {
  it.each([
    ['a plain ViT', {}],
    ['a conv stem and the summary token', { visionStem: [4], imageSummaryToken: true }],
  ])('decodes with the KV cache exactly what a full forward pass predicts (%s)', async (_, extra) => {
    const model = TinyVLM.create({ ...tiny, ...extra, vocabSize: tokenizer.size }, tokenizer, { seed: 4, imageLoader });
    const messages = example(3).messages;
    const [result] = await model.generate([messages], { maxNewTokens: 8, temperature: 0 });
    const generated = result?.completions[0]?.tokenIds as number[];
    expect(generated.length).toBeGreaterThan(0);
    // Teacher-force prompt + generated tokens without a cache: the argmax at each position must be the next generated token.
    const batch = await model.prepareTrainingBatch([{ messages, completion: tokenizer.decode(generated) }]);
    const promptLength = batch.lossMask.indexOf(1);
    // One image of 16 px in 8 px patches: 4 image tokens, 5 with the summary token.
    const imageTokens = batch.placement.reduce((n, v) => n + v, 0);
    expect(imageTokens).toBe('imageSummaryToken' in extra ? 5 : 4);
    const logits = tf.tidy(() => model.forward(batch).arraySync() as number[][][]);
    generated.forEach((token, i) => {
      const row = logits[0]?.[promptLength + i] as number[];
      expect(row.indexOf(Math.max(...row)), `token ${i}`).toBe(token);
    });
    model.dispose();
  });

  it('batches prompts of different lengths (left padding) without changing their answers', async () => {
    const model = TinyVLM.create({ ...tiny, vocabSize: tokenizer.size }, tokenizer, { seed: 5, imageLoader });
    const short: ChatMessage[] = [{ role: 'user', content: [{ type: 'image', image: 'colour:2' }, { type: 'text', text: 'Any?' }] }];
    const long = example(1).messages;
    const alone = await model.generate([short], { maxNewTokens: 6 });
    const together = await model.generate([long, short], { maxNewTokens: 6 });
    expect(together[1]?.completions[0]?.tokenIds).toEqual(alone[0]?.completions[0]?.tokenIds);
    model.dispose();
  });

  it('samples n completions reproducibly from a seed, and stops at maxNewTokens', async () => {
    const model = TinyVLM.create({ ...tiny, vocabSize: tokenizer.size }, tokenizer, { seed: 6, imageLoader });
    const a = await model.generate([example(0).messages], { n: 4, temperature: 1.5, seed: 9, maxNewTokens: 5 });
    const b = await model.generate([example(0).messages], { n: 4, temperature: 1.5, seed: 9, maxNewTokens: 5 });
    expect(a[0]?.completions).toHaveLength(4);
    expect(a).toEqual(b);
    expect(new Set(a[0]?.completions.map((c) => c.text)).size).toBeGreaterThan(1);
    for (const c of a[0]?.completions ?? []) {
      expect((c.tokenIds as number[]).length).toBeLessThanOrEqual(5);
      if ((c.tokenIds as number[]).length === 5) expect(c.finishReason).toBe('length');
    }
    model.dispose();
  });

  it('samples each row from its own stream: requests split with their seeds sample what one batch does', async () => {
    const model = TinyVLM.create({ ...tiny, vocabSize: tokenizer.size }, tokenizer, { seed: 7, imageLoader });
    const requests = [example(0).messages, example(1).messages, example(2).messages];
    const sampling = { n: 3, temperature: 1.5, maxNewTokens: 6, seeds: [11, 12, 13] };
    const together = await model.generate(requests, sampling);
    const first = await model.generate(requests.slice(0, 1), { ...sampling, seeds: [11] });
    const rest = await model.generate(requests.slice(1), { ...sampling, seeds: [12, 13] });
    const ids = (results: typeof together) => results.map((r) => r.completions.map((c) => c.tokenIds));
    expect(ids([...first, ...rest])).toEqual(ids(together));
    // Not vacuous: another seed for the first request samples something else.
    const other = await model.generate(requests.slice(0, 1), { ...sampling, seeds: [99] });
    expect(ids(other)).not.toEqual(ids(first));
    await expect(model.generate(requests, { ...sampling, seeds: [1] })).rejects.toThrow(/seeds has 1 entries for 3 requests/);
    model.dispose();
  });
});

describe('conv3x3Relu', () => {
  it('equals tf.conv2d (same padding, stride 1) followed by ReLU', () => {
    const x = tf.randomNormal([2, 5, 7, 3], 0, 1, 'float32', 1);
    const w = tf.randomNormal([27, 4], 0, 1, 'float32', 2);
    const b = tf.randomNormal([4], 0, 1, 'float32', 3);
    // im2col orders columns (dy, dx, channel): exactly conv2d's [height, width, in, out] filter layout.
    const expected = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, tf.reshape(w, [3, 3, 3, 4]) as tf.Tensor4D, 1, 'same'), b));
    const actual = conv3x3Relu(x, w, b);
    expect(actual.shape).toEqual([2, 5, 7, 4]);
    expect(tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.sum(tf.cast(tf.greater(actual, 0), 'float32')).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, w, b, expected, actual]);
  });
});

describe('TinyVLM persistence', () => {
  it.each([
    ['a plain ViT', {}],
    ['a conv stem', { visionStem: [4, 6] }],
    ['a conv stem and the summary token', { visionStem: [4, 6], imageSummaryToken: true }],
  ])('saves and loads (config, safetensors, tokenizer) to the same outputs; clone is frozen (%s)', async (_, extra) => {
    const model = TinyVLM.create({ ...tiny, ...extra, vocabSize: tokenizer.size }, tokenizer, { seed: 7, imageLoader });
    const dir = join(mkdtempSync(join(tmpdir(), 'iad-r1-tinyvlm-')), 'model');
    await model.save(dir);
    const loaded = await TinyVLM.load(dir, { imageLoader });
    const batch = await model.prepareTrainingBatch([example(1)]);
    const loss = (m: TinyVLM) => tf.tidy(() => sftLoss(m, batch).dataSync()[0] as number);
    expect(loss(loaded)).toBe(loss(model));
    const frozen = model.clone();
    expect(frozen.trainableVariables()).toEqual([]);
    expect(loss(frozen)).toBe(loss(model));
    expect(model.parameterCount()).toBe(loaded.parameterCount());
    for (const m of [model, loaded, frozen]) m.dispose();
  });
});
