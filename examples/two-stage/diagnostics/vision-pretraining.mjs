#!/usr/bin/env node
// How well does self-supervised vision pretraining (pretrainVision) carry to real defects?
// Pretrains a fresh TinyVLM vision path on the synthetic training categories' normal images, then
// scores its pretraining head on labelled test images: the training categories' own test images
// and the six held-out benchmarks. Compares vision paths with and without the conv stem.
//   node examples/two-stage/diagnostics/vision-pretraining.mjs [--steps 300] [--per-category 100] [--stem 16,32|none]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, pretrainVision, selectBackend } from '@iad-r1/models/tfjs';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    'per-category': { type: 'string', default: '100' },
    stem: { type: 'string', default: '16,32' },
    seed: { type: 'string', default: '0' },
  },
});
const seed = Number(args.seed);
await selectBackend();
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-vision-diagnostic-'));
await generateSyntheticSet({ out: dir, seed, size: 32, perCategory: Number(args['per-category']), benchmarkPerCategory: 12 });
const set = await readSyntheticSet(dir);
const tokenizer = BpeTokenizer.train(['<answer>No</answer>'], { vocabSize: 300 });
const visionStem = args.stem === 'none' ? [] : args.stem.split(',').map(Number);
// The demo's vision path (decoder kept minimal: it is not trained here).
const model = TinyVLM.create({ imageSize: 32, patchSize: 8, visionStem, visionWidth: 64, visionLayers: 2, visionHeads: 4, width: 96, layers: 1, heads: 4, mlp: 96, maxSequence: 64, vocabSize: tokenizer.size }, tokenizer, { seed });
const labelled = (datasets) => {
  const samples = datasets.flatMap((d) => d.samples.filter((s) => s.split === 'test'));
  return { images: samples.map((s) => s.imagePath), labels: samples.map((s) => (s.label === 'anomalous' ? 1 : 0)) };
};
const started = Date.now();
const normals = Object.values(set.training.normalReferences).flat();
const { losses, evaluation } = await pretrainVision({
  model,
  images: normals,
  steps: Number(args.steps),
  batchSize: 32,
  learningRate: 3e-3,
  seed,
  evaluate: { trainingCategories: labelled([set.training]), heldOutBenchmarks: labelled(Object.values(set.benchmarks)) },
});
const result = { stem: visionStem, steps: Number(args.steps), normalImages: normals.length, finalLoss: losses.at(-1), ...evaluation };
result.seconds = Math.round((Date.now() - started) / 1000);
console.log(JSON.stringify(result, null, 2));
// The generated set is scratch: the result is the JSON above.
rmSync(dir, { recursive: true, force: true });
