#!/usr/bin/env node
// Does SC-GRPO move the answer the way the reward asks? Starts from the demo's PA-SFT model and
// runs SC-GRPO on prompts of one label only (8 records of the demo's SC-GRPO set, 0-shot): the
// share of sampled answers that are right for that label must rise. A check of the trainer,
// separate from the demo's mixed-label run, where the two labels' pushes on the shared answer
// prior largely cancel.
// JSON on stdout.
//   node examples/two-stage/diagnostics/grpo-single-label.mjs [--demo-out examples/two-stage/out] [--label anomalous|normal] [--steps 15] [--lr 1e-4] [--aggregation dr-grpo]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TEST_PROMPTS, buildChatMessages, solutionOf } from '@iad-r1/cot-schema';
import { readSyntheticSet } from '@iad-r1/datasets';
import { extractAnswer } from '@iad-r1/eval';
import { trainGrpo } from '@iad-r1/grpo';
import { TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { readStageSplit } from '../stage-split.mjs';

const { values: args } = parseArgs({
  options: {
    'demo-out': { type: 'string', default: fileURLToPath(new URL('../out', import.meta.url)) },
    label: { type: 'string', default: 'anomalous' },
    steps: { type: 'string', default: '15' },
    lr: { type: 'string', default: '1e-4' },
    aggregation: { type: 'string', default: 'dr-grpo' },
  },
});
if (!['anomalous', 'normal'].includes(args.label)) throw new RangeError(`--label must be anomalous or normal, not ${JSON.stringify(args.label)}`);
await selectBackend({ log: () => undefined });
const set = await readSyntheticSet(join(args['demo-out'], 'data'));
const model = await TinyVLM.load(join(args['demo-out'], 'models', 'paSft'));
// Eight records of the label from the demo's SC-GRPO set, spread over the categories.
const ofLabel = (await readStageSplit(args['demo-out'], set)).scGrpo.filter((r) => r.label === args.label);
const records = Array.from({ length: 8 }, (_, i) => ofLabel[Math.floor((i * ofLabel.length) / 8)]);
const samples = records.map((r) => ({ id: r.id, messages: buildChatMessages({ template: TEST_PROMPTS['iad-r1'].zeroShot, queryImage: join(set.root, r.queryImage) }), solution: solutionOf(r) }));
const right = args.label === 'anomalous' ? 'yes' : 'no';
// Share of right answers in 16 samples per prompt at temperature 1, a fixed sampling seed.
async function rightShare() {
  const results = await model.generate(samples.map((s) => s.messages), { temperature: 1, n: 16, maxNewTokens: 128, seed: 123 });
  const answers = results.flatMap((r) => r.completions.map((c) => extractAnswer(c.text, 'tagged')));
  return Number((answers.filter((a) => a === right).length / answers.length).toFixed(3));
}
const before = await rightShare();
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'iad-r1-grpo-single-label-'));
const run = await trainGrpo({
  policy: model,
  samples,
  out: join(work, 'sc-grpo'),
  steps: Number(args.steps),
  groupSize: 8,
  promptsPerStep: 4,
  maxNewTokens: 128,
  temperature: 1,
  learningRate: Number(args.lr),
  beta: 0.04,
  aggregation: args.aggregation,
  resume: false,
  freezeVision: true,
});
const after = await rightShare();
const rewards = run.metrics.map((m) => m.reward);
console.log(JSON.stringify({ label: args.label, steps: Number(args.steps), learningRate: Number(args.lr), aggregation: args.aggregation, rightAnswerShare: { before, after }, reward: { first: Number(rewards[0]?.toFixed(2)), last: Number(rewards.at(-1)?.toFixed(2)) }, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
// The checkpoints are scratch: the result is the JSON above.
rmSync(work, { recursive: true, force: true });
