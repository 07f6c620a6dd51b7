#!/usr/bin/env node
// Your images (MVTec layout) → PA-SFT targets on a 4×4 grid → SC-GRPO with an extra reward term → evaluation.
//   node pipeline.mjs [--root DIR] [--out DIR] [--sft-steps 60] [--grpo-steps 6]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_QUESTION, recordMessages } from '@iad-r1/cot-schema';
import { DEFECT_TYPES, generateSyntheticSet, hashSeed, loadMask, readMvtecLayout } from '@iad-r1/datasets';
import { evaluate } from '@iad-r1/eval';
import { maskToCells } from '@iad-r1/grid';
import { trainGrpo } from '@iad-r1/grpo';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { createRewardRegistry } from '@iad-r1/rewards';
import { trainSft } from '@iad-r1/sft';

const { values: a } = parseArgs({ options: { root: { type: 'string' }, out: { type: 'string', default: 'runs/custom' }, 'sft-steps': { type: 'string', default: '60' }, 'grpo-steps': { type: 'string', default: '6' } } });
await selectBackend();
let root = a.root;
if (!root) {
  // No data given: stand in with a generated object set (any MVTec-layout folder works the same).
  await generateSyntheticSet({ out: join(a.out, 'data'), seed: 1, size: 32, perCategory: 6 });
  root = join(a.out, 'data', 'train');
}
const GRID = 4;
const data = await readMvtecLayout(root);
// MVTec's train split holds normal images only, so half the test images (a seeded pick) become
// training records and the other half stay unseen for the evaluation below.
const heldOut = (s) => s.split === 'test' && hashSeed('held-out', s.id) % 2 === 0;
const records = [];
for (const s of data.samples.filter((x) => x.split === 'test' && !heldOut(x))) {
  const messages = recordMessages({ queryImage: s.imagePath });
  if (s.label === 'normal') {
    records.push({ messages, completion: `<think>Every region matches a normal ${s.category}.</think><answer>No</answer>`, solution: '<answer>No</answer>' });
    continue;
  }
  const where = maskToCells(await loadMask(s.maskPath), { gridSize: GRID }).text; // "row 2, column 3"
  const type = (DEFECT_TYPES[s.defect] ?? s.defect).toLowerCase();
  const tags = `<location>${where}</location><type>${type}</type>`;
  records.push({ messages, completion: `<think>The ${s.category} shows a ${type} at ${where}.</think>${tags}<answer>Yes</answer>`, solution: `${tags}<answer>Yes</answer>` });
}
const tokenizer = BpeTokenizer.train([...records.map((r) => r.completion), DEFAULT_QUESTION], { vocabSize: 300 });
const model = TinyVLM.create({ width: 64, mlp: 256, visionWidth: 32, maxSequence: 128, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
await trainSft({ model, examples: records, out: join(a.out, 'sft'), maxSteps: Number(a['sft-steps']), batchSize: 8, learningRate: 5e-3, resume: false });

// The four SC-GRPO rewards on a 4×4 grid, plus a reward of our own: a bonus for concise answers.
const registry = createRewardRegistry().register({
  name: 'brevity',
  description: '1 for a completion of at most 200 characters',
  defaultWeight: 0.25,
  score: ({ completions }) => completions.map((c) => (c.length <= 200 ? 1 : 0)),
});
const reward = registry.scorer({ preset: 'paper', gridSize: GRID });
const samples = records.map((r, i) => ({ id: String(i), messages: r.messages, solution: r.solution }));
const grpo = await trainGrpo({ policy: model, samples, reward, out: join(a.out, 'grpo'), steps: Number(a['grpo-steps']), maxNewTokens: 64, learningRate: 3e-4, resume: false });
console.log(`SC-GRPO reward: ${grpo.metrics.map((m) => m.reward.toFixed(2)).join(' ')}; share of brief answers ${grpo.metrics.at(-1).components.brevity.toFixed(2)}`);

const unseen = { ...data, samples: data.samples.filter((s) => s.split !== 'test' || heldOut(s)) };
const { summary } = await evaluate({ model, datasets: [unseen], shots: 0, prompt: 'iad-r1', out: join(a.out, 'eval'), maxNewTokens: 64, concurrency: 1 });
console.log(`balanced accuracy on the held-out half of ${root}: ${summary.average.balancedAccuracy.toFixed(1)} (${JSON.stringify(Object.fromEntries(Object.entries(summary.datasets).map(([k, d]) => [k, d.n])))} images)`);
