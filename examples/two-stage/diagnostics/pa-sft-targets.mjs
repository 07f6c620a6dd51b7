#!/usr/bin/env node
// How much of the normal/anomalous decision does PA-SFT teach, with CoT targets (the method) or
// answer-only targets (the paper's "Original" ablation)? Starts from the demo's base model (vision
// pretraining and instruction tuning) and its PA-SFT set, so run `pnpm demo` first; trains with
// the demo's PA-SFT settings (a quarter of the records with the 1-shot prompt), then answers
// greedily (0-shot) on every 8th test image of the training categories and on the six held-out
// benchmarks. JSON on stdout.
//   node examples/two-stage/diagnostics/pa-sft-targets.mjs [--demo-out examples/two-stage/out] [--target cot|answer-only] [--steps 400] [--batch-size 8] [--lr 3e-3] [--one-shot-share 0.25] [--no-strata]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TEST_PROMPTS, assistantTarget, buildChatMessages } from '@iad-r1/cot-schema';
import { readSyntheticSet } from '@iad-r1/datasets';
import { evaluate } from '@iad-r1/eval';
import { TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { imageCountGroups, trainSft } from '@iad-r1/sft';
import { readStageSplit } from '../stage-split.mjs';

const { values: args } = parseArgs({
  options: {
    'demo-out': { type: 'string', default: fileURLToPath(new URL('../out', import.meta.url)) },
    target: { type: 'string', default: 'cot' },
    steps: { type: 'string', default: '400' },
    'batch-size': { type: 'string', default: '8' },
    lr: { type: 'string', default: '3e-3' },
    'one-shot-share': { type: 'string', default: '0.25' },
    'no-strata': { type: 'boolean', default: false },
  },
});
if (!['cot', 'answer-only'].includes(args.target)) throw new RangeError(`--target must be cot or answer-only, not ${JSON.stringify(args.target)}`);
await selectBackend();
const set = await readSyntheticSet(join(args['demo-out'], 'data'));
const model = await TinyVLM.load(join(args['demo-out'], 'models', 'base'));
const prompts = TEST_PROMPTS['iad-r1'];
const share = Number(args['one-shot-share']);
if (!(share >= 0 && share <= 1)) throw new RangeError(`--one-shot-share must be in [0, 1], got ${args['one-shot-share']}`);
// As the demo: record i takes the 1-shot prompt when the running count of the share steps up at i.
const takesOneShot = (i) => Math.floor((i + 1) * share) > Math.floor(i * share);
// The demo's PA-SFT set.
const { paSft: records } = await readStageSplit(args['demo-out'], set);
const examples = records.map((record, i) => ({
  messages: takesOneShot(i)
    ? buildChatMessages({ template: prompts.oneShot, referenceImages: [join(set.root, record.referenceImage)], queryImage: join(set.root, record.queryImage) })
    : buildChatMessages({ template: prompts.zeroShot, queryImage: join(set.root, record.queryImage) }),
  completion: assistantTarget(record, { target: args.target }),
}));
const work = mkdtempSync(join(tmpdir(), 'iad-r1-pa-sft-targets-'));
const started = Date.now();
const steps = Number(args.steps);
await trainSft({
  model,
  examples,
  out: join(work, 'pa-sft'),
  maxSteps: steps,
  batchSize: Number(args['batch-size']),
  learningRate: Number(args.lr),
  warmupSteps: Math.min(20, Math.floor(steps / 10)),
  weightDecay: 0.01,
  resume: false,
  freezeVision: true,
  ...(args['no-strata'] ? {} : { strata: records.map((r) => r.label) }),
  batchGroups: imageCountGroups(examples),
});
const trainingTest = set.training.samples.filter((s) => s.split === 'test').filter((_, i) => i % 8 === 0);
const result = { target: args.target, steps, batchSize: Number(args['batch-size']), learningRate: Number(args.lr), oneShotShare: share, strata: !args['no-strata'] };
for (const [name, datasets] of [['trainingCategories', [{ ...set.training, samples: trainingTest }]], ['heldOutBenchmarks', Object.values(set.benchmarks)]]) {
  const { summary } = await evaluate({ model, datasets, shots: 0, prompt: 'iad-r1', out: join(work, `eval-${name}`), maxNewTokens: args.target === 'cot' ? 128 : 16, concurrency: 1 });
  const count = (pick) => Object.values(summary.datasets).reduce((n, d) => n + Math.round(pick(d)), 0);
  result[name] = {
    balancedAccuracy: Number(summary.average.balancedAccuracy.toFixed(1)),
    defectsFlagged: `${count((d) => (d.tpr * d.anomalous) / 100)}/${count((d) => d.anomalous)}`,
    falseAlarms: `${count((d) => ((100 - d.tnr) * d.normal) / 100)}/${count((d) => d.normal)}`,
  };
}
result.seconds = Math.round((Date.now() - started) / 1000);
console.log(JSON.stringify(result, null, 2));
// The checkpoints are scratch: the result is the JSON above.
rmSync(work, { recursive: true, force: true });
