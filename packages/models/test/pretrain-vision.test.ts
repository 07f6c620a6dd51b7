import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, SYNTHETIC_ANOMALY_KINDS, TinyVLM, mulberry32, pasteSyntheticAnomaly, pretrainVision, tf } from '../src/tfjs/index';
import { pairedBatch } from '../src/tfjs/training/pretrain-vision';
import '@tensorflow/tfjs-backend-wasm';

const size = 16;
// Images with a smooth pattern per "image:k" name, so no files and no sharp are needed.
const pattern = (k: number): Float32Array => {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = 0.3 + 0.2 * Math.sin((x + 2 * y + k) / 3 + c);
  return out;
};
// "scar:k": the same pattern with a bright diagonal line, a stand-in for a real defect.
const imageLoader = async (image: unknown): Promise<Float32Array> => {
  const [kind, k] = String(image).split(':');
  const out = pattern(Number(k));
  if (kind === 'scar') for (let t = 0; t < 9; t++) for (let c = 0; c < 3; c++) out[((3 + t) * size + 4 + t) * 3 + c] = c === 0 ? 1 : 0.9;
  return out;
};

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('pairedBatch', () => {
  it('follows each normal pool image with an altered copy of that same image', () => {
    const pool = new Float32Array([0, 1, 2, 3, 4].flatMap((k) => Array.from(pattern(k))));
    const pixels = size * size * 3;
    const { data, labels } = pairedBatch(pool, 12, size, mulberry32(3));
    expect(labels).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const poolImages = [0, 1, 2, 3, 4].map((k) => Array.from(pattern(k)).map((v) => Math.fround(v)));
    for (let i = 0; i < 12; i += 2) {
      const normal = Array.from(data.subarray(i * pixels, (i + 1) * pixels));
      const altered = data.subarray((i + 1) * pixels, (i + 2) * pixels);
      // The normal image is one of the pool's, unchanged.
      expect(poolImages.some((image) => image.every((v, j) => v === normal[j]))).toBe(true);
      // Its partner differs from it, and only in a local region (see pasteSyntheticAnomaly below).
      let changed = 0;
      for (let p = 0; p < size * size; p++) if ([0, 1, 2].some((c) => Math.abs((altered[p * 3 + c] as number) - (normal[p * 3 + c] as number)) > 1e-6)) changed++;
      expect(changed, `pair ${i / 2}`).toBeGreaterThan(0);
      expect(changed, `pair ${i / 2}`).toBeLessThanOrEqual(81);
    }
  });
});

describe('pasteSyntheticAnomaly', () => {
  it('alters a small local region, deterministically, without touching its input', () => {
    const source = pattern(1);
    const before = Float32Array.from(source);
    for (const kind of SYNTHETIC_ANOMALY_KINDS) {
      let altered = 0;
      for (let seed = 0; seed < 100; seed++) {
        const a = pasteSyntheticAnomaly(source, size, mulberry32(seed), kind);
        const b = pasteSyntheticAnomaly(source, size, mulberry32(seed), kind);
        expect(a.kind).toBe(kind);
        expect(Array.from(a.pixels)).toEqual(Array.from(b.pixels));
        let changed = 0;
        for (let i = 0; i < size * size; i++) if ([0, 1, 2].some((c) => Math.abs((a.pixels[i * 3 + c] as number) - (source[i * 3 + c] as number)) > 1e-6)) changed++;
        // Local: at most a 7×7 patch, a 13-pixel line or a disc of radius 4 (π·4² + its rim).
        expect(changed, `${kind} seed ${seed}`).toBeLessThanOrEqual(81);
        if (changed > 0) altered++;
        for (const v of a.pixels) expect(v >= 0 && v <= 1).toBe(true);
      }
      expect(altered, kind).toBeGreaterThanOrEqual(95);
    }
    expect(Array.from(source)).toEqual(Array.from(before));
  });
});

describe('pretrainVision', () => {
  it('learns to tell altered images from normal ones, changing only the vision path', async () => {
    const tokenizer = BpeTokenizer.train(['<answer>No</answer>', 'Are there any defects?'], { vocabSize: 80 });
    const model = TinyVLM.create(
      { imageSize: size, patchSize: 8, visionStem: [8, 8], visionWidth: 16, visionLayers: 1, visionHeads: 2, width: 32, layers: 1, heads: 2, mlp: 64, maxSequence: 48, vocabSize: tokenizer.size },
      tokenizer,
      { seed: 1, imageLoader },
    );
    const snapshot = () => new Map(model.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]));
    const before = snapshot();
    const tensors = tf.memory().numTensors;
    const held = [0, 1, 2, 3, 4, 5];
    const { losses, accuracies, evaluation } = await pretrainVision({
      model,
      images: Array.from({ length: 6 }, (_, k) => `image:${k}`),
      steps: 80,
      batchSize: 16,
      learningRate: 5e-3,
      seed: 2,
      evaluate: { lines: { images: [...held.map((k) => `image:${k}`), ...held.map((k) => `scar:${k}`)], labels: [...held.map(() => 0 as const), ...held.map(() => 1 as const)] } },
    });
    expect(losses).toHaveLength(80);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(0.75 * mean(losses.slice(0, 10)));
    expect(mean(accuracies.slice(-10))).toBeGreaterThan(0.75);
    // The head, trained only on random self-made irregularities, flags a fixed line it never saw.
    const lines = evaluation?.lines;
    expect(lines?.balancedAccuracy).toBeGreaterThanOrEqual(75);
    expect(lines?.balancedAccuracy).toBe(((lines?.truePositiveRate ?? 0) + (lines?.trueNegativeRate ?? 0)) / 2);
    const after = snapshot();
    for (const [name, values] of before) {
      const moved = values.some((v, i) => v !== after.get(name)?.[i]);
      expect(moved, name).toBe(name.startsWith('vision.') || name.startsWith('projector.'));
    }
    // The temporary head and the optimiser state are freed.
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('is deterministic for a seed (seed 0 included: tfjs reads a 0 seed as "unseeded")', async () => {
    const tokenizer = BpeTokenizer.train(['<answer>No</answer>'], { vocabSize: 80 });
    const run = async (seed: number) => {
      const model = TinyVLM.create({ imageSize: size, patchSize: 8, visionStem: [4], visionWidth: 16, visionLayers: 1, visionHeads: 2, width: 16, layers: 1, heads: 2, mlp: 32, maxSequence: 32, vocabSize: tokenizer.size }, tokenizer, { seed: 1, imageLoader });
      const { losses } = await pretrainVision({ model, images: ['image:0', 'image:1', 'image:2'], steps: 4, batchSize: 8, seed });
      model.dispose();
      return losses;
    };
    expect(await run(0)).toEqual(await run(0));
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(0));
  });

  it('gives the losses and weights of one thread with 2 and 3 threads, the temporary head included', async () => {
    const tokenizer = BpeTokenizer.train(['<answer>No</answer>'], { vocabSize: 80 });
    const run = async (workers: number) => {
      const model = TinyVLM.create({ imageSize: size, patchSize: 8, visionStem: [4], visionWidth: 16, visionLayers: 1, visionHeads: 2, width: 16, layers: 1, heads: 2, mlp: 32, maxSequence: 32, vocabSize: tokenizer.size }, tokenizer, { seed: 1, imageLoader });
      const log: string[] = [];
      const tensors = tf.memory().numTensors;
      // 10 images: shards of 5 and 5, or 4, 3 and 3.
      const { losses, accuracies } = await pretrainVision({ model, images: ['image:0', 'image:1', 'image:2'], steps: 5, batchSize: 10, learningRate: 5e-3, seed: 3, workers, log: (l) => log.push(l) });
      const weights = model.namedVariables().flatMap(([, v]) => Array.from(v.dataSync()));
      const leaked = tf.memory().numTensors - tensors;
      model.dispose();
      return { losses, accuracies, weights, log, leaked };
    };
    const one = await run(1);
    const fresh = await run(1);
    const two = await run(2);
    const three = await run(3);
    expect(two.log.some((l) => /data-parallel: 2 threads \(this one and 1 worker on \w+\)/.test(l))).toBe(true);
    const largest = (a: number[], b: number[]) => a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] as number))), 0);
    for (const other of [two, three]) {
      expect(largest(one.losses, other.losses)).toBeLessThan(1e-5);
      expect(other.accuracies).toEqual(one.accuracies);
      // The tolerance of the trainers' data-parallel tests: AdamW's per-weight normalisation keeps
      // the relative rounding of tiny gradients; five steps at 5e-3 move a weight by up to 2.5e-2.
      expect(largest(one.weights, other.weights)).toBeLessThan(3e-5);
      expect(other.leaked).toBe(0);
    }
    expect(fresh.losses).toEqual(one.losses);
    // Not vacuous: the head's gradient moved the vision weights by far more than the tolerance.
    const untrained = TinyVLM.create({ imageSize: size, patchSize: 8, visionStem: [4], visionWidth: 16, visionLayers: 1, visionHeads: 2, width: 16, layers: 1, heads: 2, mlp: 32, maxSequence: 32, vocabSize: tokenizer.size }, tokenizer, { seed: 1 });
    expect(largest(one.weights, untrained.namedVariables().flatMap(([, v]) => Array.from(v.dataSync())))).toBeGreaterThan(1e-3);
    untrained.dispose();
  });
});
