#!/usr/bin/env node
// The two-stage IAD-R1 pipeline on the embedded synthetic dataset:
//   synthetic data → evaluate the untrained model → PA-SFT → evaluate → SC-GRPO → evaluate,
// 0-shot and 1-shot on the six held-out synthetic benchmarks, then a table like the paper's
// Table 4, results.json, training curves and links to the HTML reports.
//   node examples/two-stage/run.mjs [--out DIR] [--seed N] [--quick] [--vision-steps N] [--sft-steps N] [--grpo-steps N]
//     [--sft-shots 0|0,1] [--grpo-shots 0|0,1] [--train-per-category K] [--grpo-aggregation dr-grpo|sequence-mean|token-mean]
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_QUESTION, TEST_PROMPTS, assistantTarget, buildChatMessages, solutionOf } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { trainGrpo } from '@iad-r1/grpo';
import { BpeTokenizer, TinyVLM, pretrainVision, selectBackend } from '@iad-r1/models/tfjs';
import { trainSft } from '@iad-r1/sft';
import { evaluateInWorker } from './evaluate-in-worker.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, 'out') },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    'sft-steps': { type: 'string' },
    'grpo-steps': { type: 'string' },
    'train-per-category': { type: 'string' },
    'vision-steps': { type: 'string' },
    'sft-shots': { type: 'string' },
    'grpo-aggregation': { type: 'string' },
    'grpo-shots': { type: 'string' },
  },
});
const seed = Number(args.seed);
const quick = args.quick;
const settings = {
  perCategory: quick ? 3 : 12,
  // Training images are cheap to generate and the vision stem needs many; evaluations stay small.
  trainPerCategory: Number(args['train-per-category'] ?? (quick ? 3 : 100)),
  // PA-SFT prompts: the 0-shot test prompt only, or the 0- and 1-shot ones.
  sftShots: (args['sft-shots'] ?? '0').split(',').map(Number),
  visionSteps: Number(args['vision-steps'] ?? (quick ? 4 : 250)),
  sftSteps: Number(args['sft-steps'] ?? (quick ? 12 : 400)),
  grpoSteps: Number(args['grpo-steps'] ?? (quick ? 3 : 30)),
  // SC-GRPO prompts: by default the ones PA-SFT taught (a 1-shot prompt the policy has never seen
  // yields near-random groups whose updates disturb the 0-shot answers).
  grpoShots: (args['grpo-shots'] ?? '0').split(',').map(Number),
  // Dr. GRPO's constant length normaliser (METHOD.md §4 offers it): with the authors' per-sequence
  // mean, the shorter normal answer gets a larger per-token push, and in 30 steps the policy
  // drifts towards answering "no" (see README).
  grpoAggregation: args['grpo-aggregation'] ?? 'dr-grpo',
  maxNewTokens: 128,
};
const out = args.out;
await mkdir(out, { recursive: true });
const say = (line) => process.stderr.write(`${line}\n`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

await selectBackend();

// 1. Data: training categories with template Expert-AD records, six held-out benchmarks.
const dataDir = join(out, 'data');
await generateSyntheticSet({ out: dataDir, seed, size: 32, perCategory: settings.trainPerCategory, benchmarkPerCategory: settings.perCategory });
const set = await readSyntheticSet(dataDir);
const benchmarks = Object.values(set.benchmarks);
say(`[${elapsed()}] synthetic set: ${set.expertAd.length} Expert-AD records, ${benchmarks.length} benchmarks`);

// The model sees at training time the prompts it is tested with (the paper's IAD-R1 test prompts,
// 0- and 1-shot): a model this small does not carry what it learns across prompt wordings.
const zeroShot = TEST_PROMPTS['iad-r1'].zeroShot;
const oneShot = TEST_PROMPTS['iad-r1'].oneShot;
const promptsOf = (record) => {
  const query = join(set.root, record.queryImage);
  const reference = join(set.root, record.referenceImage);
  return [buildChatMessages({ template: zeroShot, queryImage: query }), buildChatMessages({ template: oneShot, referenceImages: [reference], queryImage: query })];
};
const sftRecords = set.expertAd.flatMap((record) => promptsOf(record).filter((_, shots) => settings.sftShots.includes(shots)).map((messages) => ({ record, messages })));
const sftExamples = sftRecords.map(({ record, messages }) => ({ messages, completion: assistantTarget(record) }));
const grpoSamples = set.expertAd.flatMap((record) => promptsOf(record).flatMap((messages, shots) => (settings.grpoShots.includes(shots) ? [{ id: `${record.id}#${shots}`, messages, solution: solutionOf(record) }] : [])));

const tokenizer = BpeTokenizer.train([...sftExamples.map((e) => e.completion), zeroShot, oneShot, DEFAULT_QUESTION], { vocabSize: 512 });
const config = { imageSize: 32, patchSize: 8, visionStem: [16, 32], imageSummaryToken: true, visionWidth: 64, visionLayers: 2, visionHeads: 4, width: 96, layers: 2, heads: 4, mlp: 384, maxSequence: 256, vocabSize: tokenizer.size };
const model = TinyVLM.create(config, tokenizer, { seed });
say(`[${elapsed()}] TinyVLM with ${model.parameterCount().toLocaleString()} parameters, ${tokenizer.size}-token BPE vocabulary`);

// 0. The stand-in for a real VLM's pretrained vision encoder: self-supervised on normal training
// images only (tell them from copies with a self-made irregularity); no defect labels, no masks.
// Its head is then scored on labelled test images, as a diagnostic only (labels are not trained on).
const labelled = (datasets) => {
  const samples = datasets.flatMap((d) => d.samples.filter((s) => s.split === 'test'));
  return { images: samples.map((s) => s.imagePath), labels: samples.map((s) => (s.label === 'anomalous' ? 1 : 0)) };
};
const vision = await pretrainVision({
  model,
  images: Object.values(set.training.normalReferences).flat(),
  steps: settings.visionSteps,
  batchSize: 32,
  learningRate: 3e-3,
  seed,
  evaluate: { trainingCategories: labelled([set.training]), heldOutBenchmarks: labelled(benchmarks) },
  onStep: (m) => m.step % 50 === 0 && say(`[${elapsed()}] vision pretraining step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)} accuracy ${(m.accuracy * 100).toFixed(0)}%`),
});
const visionCheck = Object.fromEntries(Object.entries(vision.evaluation ?? {}).map(([k, v]) => [k, Number(v.balancedAccuracy.toFixed(1))]));
say(`[${elapsed()}] vision pretraining head, balanced accuracy on real defects: ${JSON.stringify(visionCheck)}`);

// Evaluation of one stage, 0-shot and 1-shot, with the paper's protocol, on a saved copy of the
// model in a worker thread: the wasm backend uses one core, so training goes on beside it.
// Resolves once the weights are on disk (training may change the model from then on), to
// `{ finished }`, a promise of the evaluations.
const rows = { base: {}, paSft: {}, scGrpo: {} };
async function evaluateStage(stage, { parallel = false } = {}) {
  const modelDir = join(out, 'models', stage);
  await model.save(modelDir);
  const one = async (shots) => {
    const runDir = join(out, 'eval', `${stage}-${shots}shot`);
    const summary = await evaluateInWorker({ modelDir, datasets: benchmarks, shots, out: runDir, maxNewTokens: settings.maxNewTokens, seed });
    const key = shots === 0 ? 'zeroShot' : 'oneShot';
    rows[stage][key] = { ...Object.fromEntries(Object.entries(summary.datasets).map(([name, d]) => [name, d.balancedAccuracy])), average: summary.average.balancedAccuracy };
    const unparsed = Object.values(summary.datasets).reduce((n, d) => n + d.unparsed, 0);
    say(`[${elapsed()}] ${stage} ${shots}-shot: average balanced accuracy ${summary.average.balancedAccuracy.toFixed(1)} (${unparsed} unparsed answers)`);
  };
  const finished = parallel ? Promise.all([one(0), one(1)]) : one(0).then(() => one(1));
  return { finished };
}

const baseEvaluation = await evaluateStage('base');

// 2. PA-SFT.
const sft = await trainSft({
  model,
  examples: sftExamples,
  out: join(out, 'pa-sft'),
  maxSteps: settings.sftSteps,
  batchSize: 8,
  learningRate: 3e-3,
  warmupSteps: Math.min(20, Math.floor(settings.sftSteps / 10)),
  weightDecay: 0.01,
  seed,
  resume: false,
  // The pretrained vision stays as it is; PA-SFT trains the decoder (see README).
  freezeVision: true,
  // Every batch half normal, half anomalous: the decision is one token per example, and a batch
  // of 8 drawn at random often leans one way.
  strata: sftRecords.map(({ record }) => record.label),
  onStep: (m) => m.step % 20 === 0 && say(`[${elapsed()}] pa-sft step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)} (${Math.round(m.tokensPerSecond)} tok/s)`),
});
const paSftEvaluation = await evaluateStage('paSft');

// 3. SC-GRPO from the PA-SFT model, the four rewards (paper preset).
const grpo = await trainGrpo({
  policy: model,
  samples: grpoSamples,
  out: join(out, 'sc-grpo'),
  steps: settings.grpoSteps,
  groupSize: 4,
  promptsPerStep: 4,
  maxNewTokens: settings.maxNewTokens,
  temperature: 1,
  learningRate: 1e-4,
  beta: 0.04,
  aggregation: settings.grpoAggregation,
  seed,
  resume: false,
  freezeVision: true,
  onStep: (m) => say(`[${elapsed()}] sc-grpo step ${m.step}/${m.totalSteps} reward ${m.reward.toFixed(2)} (std ${m.rewardStd.toFixed(2)}) length ${m.completionLength.toFixed(0)} kl ${m.kl.toFixed(4)} yes ${(m.yesShare * 100).toFixed(0)}%`),
});
// Nothing else runs now: both settings at once, one per core.
const scGrpoEvaluation = await evaluateStage('scGrpo', { parallel: true });
await Promise.all([baseEvaluation.finished, paSftEvaluation.finished, scGrpoEvaluation.finished]);

// 4. Results: results.json, a Table-4-like table, curves.
const names = benchmarks.map((b) => b.name);
const results = { seed, quick, settings, visionPretraining: visionCheck, rows, seconds: Math.round((Date.now() - started) / 1000) };
await writeFile(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const label = { base: 'TinyVLM (untrained)', paSft: '+ PA-SFT', scGrpo: '+ PA-SFT + SC-GRPO' };
const fmt = (v) => v.toFixed(1);
const table = [
  `| Model | ${names.join(' | ')} | Average (0-shot) | Average (1-shot) |`,
  `| --- | ${names.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ...Object.entries(rows).map(([stage, r]) => `| ${label[stage]} | ${names.map((n) => fmt(r.zeroShot[n])).join(' | ')} | ${fmt(r.zeroShot.average)} | ${fmt(r.oneShot.average)} |`),
].join('\n');
await writeFile(join(out, 'results.md'), `# IAD-R1 two-stage demo\n\nBalanced accuracy (%) on the six held-out synthetic benchmarks, 0-shot per benchmark, and the averages 0-shot and 1-shot.\n\n${table}\n`);

// Training curves (paper Fig. 9: reward and completion length per step), plus the PA-SFT loss.
function lineChart(title, values, color) {
  const w = 420, h = 160, pad = 30;
  const max = Math.max(...values), min = Math.min(...values, 0);
  const x = (i) => pad + (i / Math.max(1, values.length - 1)) * (w - 2 * pad);
  const y = (v) => h - pad - ((v - min) / Math.max(1e-9, max - min)) * (h - 2 * pad);
  const path = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return `<figure><figcaption>${title}</figcaption><svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/><text x="${pad - 4}" y="${pad + 4}" text-anchor="end" font-size="10">${max.toFixed(2)}</text><text x="${pad - 4}" y="${h - pad}" text-anchor="end" font-size="10">${min.toFixed(2)}</text><text x="${w - pad}" y="${h - 8}" text-anchor="end" font-size="10">step ${values.length}</text><path d="${path}" fill="none" stroke="${color}" stroke-width="2"/></svg></figure>`;
}
const curves = [
  lineChart('PA-SFT loss per step', sft.losses, '#3b7dd8'),
  lineChart('SC-GRPO mean reward per step', grpo.metrics.map((m) => m.reward), '#2e9d55'),
  lineChart('SC-GRPO mean completion length (tokens) per step', grpo.metrics.map((m) => m.completionLength), '#d8843b'),
].join('\n');
await writeFile(join(out, 'curves.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>IAD-R1 demo curves</title></head><body style="font:14px system-ui;margin:24px">\n<h1>IAD-R1 two-stage demo</h1>\n${curves}\n</body></html>\n`);
const reports = Object.keys(rows).flatMap((stage) => [0, 1].map((s) => relative(out, join(out, 'eval', `${stage}-${s}shot`, 'report.html'))));
await writeFile(
  join(out, 'index.html'),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>IAD-R1 two-stage demo</title><style>body{font:14px system-ui;margin:24px;max-width:1000px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>\n<h1>IAD-R1 two-stage demo</h1>\n<p>Balanced accuracy (%) on the six held-out synthetic benchmarks (seed ${seed}${quick ? ', quick run' : ''}).</p>\n<table><thead><tr><th>Model</th>${names.map((n) => `<th>${n}</th>`).join('')}<th>Average 0-shot</th><th>Average 1-shot</th></tr></thead><tbody>${Object.entries(rows)
    .map(([stage, r]) => `<tr><td>${label[stage]}</td>${names.map((n) => `<td>${fmt(r.zeroShot[n])}</td>`).join('')}<td><b>${fmt(r.zeroShot.average)}</b></td><td><b>${fmt(r.oneShot.average)}</b></td></tr>`)
    .join('')}</tbody></table>\n${curves}\n<h2>Evaluation reports</h2><ul>${reports.map((r) => `<li><a href="${r}">${r}</a></li>`).join('')}</ul>\n</body></html>\n`,
);
process.stdout.write(`\n${table}\n\nresults.json, results.md, index.html (table, curves, reports) in ${out} — ${elapsed()}\n`);
