#!/usr/bin/env node
// The two-stage IAD-R1 pipeline on the embedded synthetic dataset:
//   synthetic data → the base model (vision pretraining, generic instruction tuning) → evaluate →
//   PA-SFT → evaluate → SC-GRPO → evaluate,
// 0-shot and 1-shot on the six held-out synthetic benchmarks, then a table like the paper's
// Table 4, results.json, training curves and links to the HTML reports.
//   node examples/two-stage/run.mjs [--out DIR] [--seed N] [--quick] [--vision-steps N] [--instruction-steps N] [--sft-steps N] [--grpo-steps N]
//     [--one-shot-share S] [--train-per-category K] [--eval-per-category K] [--pa-sft-share S] [--grpo-aggregation dr-grpo|sequence-mean|token-mean]
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_QUESTION, TEST_PROMPTS, assistantTarget, buildChatMessages, recordMessages, solutionOf } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet, syntheticInstructionExamples } from '@iad-r1/datasets';
import { PAPER_PA_SFT_SHARE, splitForStages } from '@iad-r1/expert-ad';
import { compareRuns, comparisonHtml, comparisonMarkdown, lineChartSvg, readComparedRun, seriesChartSvg, writeComparison } from '@iad-r1/eval';
import { trainGrpo } from '@iad-r1/grpo';
import { BpeTokenizer, TinyVLM, defaultWorkers, pretrainVision, selectBackend } from '@iad-r1/models/tfjs';
import { imageCountGroups, trainSft } from '@iad-r1/sft';
import { evaluateInWorker } from './evaluate-in-worker.mjs';
import { writeStageSplit } from './stage-split.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, 'out') },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    'sft-steps': { type: 'string' },
    'grpo-steps': { type: 'string' },
    'train-per-category': { type: 'string' },
    'eval-per-category': { type: 'string' },
    'vision-steps': { type: 'string' },
    'instruction-steps': { type: 'string' },
    'one-shot-share': { type: 'string' },
    'pa-sft-share': { type: 'string' },
    'grpo-aggregation': { type: 'string' },
    workers: { type: 'string' },
  },
});
const seed = Number(args.seed);
const quick = args.quick;
const settings = {
  // Held-out test images per benchmark category and part (normal, defective): 24 → 576 images; one
  // answer moves the average by 0.17 points.
  evalPerCategory: Number(args['eval-per-category'] ?? (quick ? 3 : 24)),
  // Training images are cheap to generate and the vision stem needs many.
  trainPerCategory: Number(args['train-per-category'] ?? (quick ? 3 : 200)),
  // The Expert-AD records split into a PA-SFT set and a separate SC-GRPO set, as in the paper.
  paSftShare: Number(args['pa-sft-share'] ?? PAPER_PA_SFT_SHARE),
  // PA-SFT and SC-GRPO: each Expert-AD record once, with the 1-shot test prompt (a normal
  // reference image first) for this share of them, spread evenly, and the 0-shot prompt for the rest.
  oneShotShare: Number(args['one-shot-share'] ?? 0.25),
  visionSteps: Number(args['vision-steps'] ?? (quick ? 4 : 250)),
  instructionSteps: Number(args['instruction-steps'] ?? (quick ? 4 : 40)),
  // 400 steps of 8: two epochs of the PA-SFT set (the paper trains 1–2).
  sftSteps: Number(args['sft-steps'] ?? (quick ? 12 : 400)),
  grpoSteps: Number(args['grpo-steps'] ?? (quick ? 3 : 96)),
  // Dr. GRPO's constant length normaliser (docs/METHOD.md §4 offers it): with the authors' per-sequence
  // mean, the shorter normal answer gets a larger per-token push (see README).
  grpoAggregation: args['grpo-aggregation'] ?? 'dr-grpo',
  // Threads each training step is split between (data parallel; IAD_R1_WORKERS, else the cores).
  // Parallel sums round differently, so another thread count gives slightly different weights,
  // which training can amplify (see README).
  workers: Number(args.workers ?? defaultWorkers()),
  maxNewTokens: 128,
};
const out = args.out;
await mkdir(out, { recursive: true });
const say = (line) => process.stderr.write(`${line}\n`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

if (!Number.isInteger(settings.workers) || settings.workers < 1) throw new RangeError(`--workers must be a whole number ≥ 1, got ${args.workers}`);
await selectBackend();
say(`training on ${settings.workers} thread${settings.workers === 1 ? '' : 's'} (--workers, IAD_R1_WORKERS, else the cores)`);

// 1. Data: training categories with template Expert-AD records, six held-out benchmarks.
const dataDir = join(out, 'data');
// Written afresh each run (force): the folder is the demo's own, and a set left there by an older
// generator version would otherwise be refused.
await generateSyntheticSet({ out: dataDir, seed, size: 32, perCategory: settings.trainPerCategory, benchmarkPerCategory: settings.evalPerCategory, force: true });
const set = await readSyntheticSet(dataDir);
const benchmarks = Object.values(set.benchmarks);
say(`[${elapsed()}] synthetic set: ${set.expertAd.length} Expert-AD records, ${benchmarks.length} benchmarks`);

// The model sees at training time the prompts it is tested with (the paper's IAD-R1 test prompts,
// 0- and 1-shot): a model this small does not carry what it learns across prompt wordings.
const zeroShot = TEST_PROMPTS['iad-r1'].zeroShot;
const oneShot = TEST_PROMPTS['iad-r1'].oneShot;
// Training prompts are the IAD-R1 test prompts, so the model trains on what it is asked at test time.
const promptsOf = (record) => [0, 1].map((shots) => recordMessages(record, { style: 'test', shots, resolveImage: (path) => join(set.root, path) }));
if (!(settings.oneShotShare >= 0 && settings.oneShotShare <= 1)) throw new RangeError(`--one-shot-share must be in [0, 1], got ${args['one-shot-share']}`);
if (!(settings.paSftShare > 0 && settings.paSftShare < 1)) throw new RangeError(`--pa-sft-share must be between 0 and 1 (both stages need records), got ${args['pa-sft-share']}`);
// Record i of a set takes the 1-shot prompt when the running count of the share steps up at i.
const takesOneShot = (i) => Math.floor((i + 1) * settings.oneShotShare) > Math.floor(i * settings.oneShotShare);
const withPrompts = (records) => records.map((record, i) => ({ record, messages: promptsOf(record)[takesOneShot(i) ? 1 : 0] }));
// Two disjoint sets, as the paper's ~2.9K / ~3K: SC-GRPO samples answers on images PA-SFT never fitted.
const split = splitForStages(set.expertAd, { paSftShare: settings.paSftShare, seed });
await writeStageSplit(out, { seed, paSftShare: settings.paSftShare, ...split });
const sftRecords = withPrompts(split.paSft);
const grpoRecords = withPrompts(split.scGrpo);
say(`[${elapsed()}] Expert-AD records: ${sftRecords.length} for PA-SFT, ${grpoRecords.length} for SC-GRPO`);
const sftExamples = sftRecords.map(({ record, messages }) => ({ messages, completion: assistantTarget(record) }));
const grpoSamples = grpoRecords.map(({ record, messages }) => ({ id: record.id, messages, solution: solutionOf(record) }));
// Normal / anomalous per record: PA-SFT's batches and SC-GRPO's steps hold both in their share.
const labelsOf = (records) => records.map(({ record }) => record.label);

// Generic visual questions about the training categories' normal images (what is it, is it a …,
// are these two the same kind), for the base model's instruction tuning below.
const instructionRecords = syntheticInstructionExamples(set, { seed });
const instructionExamples = instructionRecords.map((e) => ({
  messages: buildChatMessages({ template: e.template, referenceImages: e.referenceImages, queryImage: e.queryImage }),
  completion: e.answer,
}));
// Each distinct instruction text once: thousands of "Yes." would otherwise crowd the CoT's merges.
const instructionTexts = [...new Set(instructionRecords.map((e) => `${e.template} ${e.answer}`))];
const basePrompts = [TEST_PROMPTS.base.zeroShot, TEST_PROMPTS.base.oneShot];
const tokenizer = BpeTokenizer.train([...sftExamples.map((e) => e.completion), zeroShot, oneShot, DEFAULT_QUESTION, ...basePrompts, ...instructionTexts], { vocabSize: 512 });
const config = { imageSize: 32, patchSize: 8, visionStem: [16, 32], imageSummaryToken: true, visionWidth: 64, visionLayers: 2, visionHeads: 4, width: 96, layers: 2, heads: 4, mlp: 384, maxSequence: 256, vocabSize: tokenizer.size };
const model = TinyVLM.create(config, tokenizer, { seed });
say(`[${elapsed()}] TinyVLM with ${model.parameterCount().toLocaleString()} parameters, ${tokenizer.size}-token BPE vocabulary`);

// 2. The base model, the stand-in for the general VLM the paper starts from.
// (a) The stand-in for a real VLM's pretrained vision encoder: self-supervised on normal training
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
  workers: settings.workers,
  evaluate: { trainingCategories: labelled([set.training]), heldOutBenchmarks: labelled(benchmarks) },
  onStep: (m) => m.step % 50 === 0 && say(`[${elapsed()}] vision pretraining step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)} accuracy ${(m.accuracy * 100).toFixed(0)}%`),
});
const visionCheck = Object.fromEntries(Object.entries(vision.evaluation ?? {}).map(([k, v]) => [k, Number(v.balancedAccuracy.toFixed(1))]));
say(`[${elapsed()}] vision pretraining head, balanced accuracy on real defects: ${JSON.stringify(visionCheck)}`);

// (b) The stand-in for a real VLM's general instruction tuning: the decoder learns to answer
// questions about images in plain text — what the object is, whether it is a given kind, whether
// two images show the same kind — on the training categories' normal images only. Nothing in it
// mentions defects, so the base model answers the paper's base-model question ("Are there any
// defects …? Please answer by yes or no.") without having been taught what a defect is.
await trainSft({
  model,
  examples: instructionExamples,
  out: join(out, 'instruction-tuning'),
  maxSteps: settings.instructionSteps,
  batchSize: 16,
  learningRate: 3e-3,
  warmupSteps: Math.min(20, Math.floor(settings.instructionSteps / 10)),
  weightDecay: 0.01,
  seed,
  resume: false,
  freezeVision: true,
  workers: settings.workers,
  onStep: (m) => m.step % 20 === 0 && say(`[${elapsed()}] instruction tuning step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)}`),
});

// How many defective images got "yes" and how many normal ones "no", from each benchmark's rates.
function answerCountsOf(summary) {
  const total = (pick) => Object.values(summary.datasets).reduce((n, d) => n + pick(d), 0);
  return {
    defectsFlagged: total((d) => Math.round((d.tpr * d.anomalous) / 100)),
    anomalous: total((d) => d.anomalous),
    normalCleared: total((d) => Math.round((d.tnr * d.normal) / 100)),
    normal: total((d) => d.normal),
    unparsed: total((d) => d.unparsed),
  };
}

// Evaluation of one stage, 0-shot and 1-shot, with the paper's protocol (the base model with the
// paper's base-model prompts, "… Please answer by yes or no.", read as free text; the trained
// models with the IAD-R1 test prompts, read from the <answer> tag), on a saved copy of the model
// in a worker thread: the wasm backend uses one core, so training goes on beside it. Resolves
// once the weights are on disk (training may change the model from then on), to `{ finished }`,
// a promise of the evaluations.
const rows = { base: {}, paSft: {}, scGrpo: {} };
const answerCounts = { base: {}, paSft: {}, scGrpo: {} };
async function evaluateStage(stage, { parallel = false } = {}) {
  const prompt = stage === 'base' ? 'base' : 'iad-r1';
  const modelDir = join(out, 'models', stage);
  await model.save(modelDir);
  const one = async (shots) => {
    const runDir = join(out, 'eval', `${stage}-${shots}shot`);
    const summary = await evaluateInWorker({ modelDir, datasets: benchmarks, prompt, shots, out: runDir, maxNewTokens: settings.maxNewTokens, seed });
    const key = shots === 0 ? 'zeroShot' : 'oneShot';
    rows[stage][key] = { ...Object.fromEntries(Object.entries(summary.datasets).map(([name, d]) => [name, d.balancedAccuracy])), average: summary.average.balancedAccuracy };
    const counts = answerCountsOf(summary);
    answerCounts[stage][key] = counts;
    say(`[${elapsed()}] ${stage} ${shots}-shot: average balanced accuracy ${summary.average.balancedAccuracy.toFixed(1)} ("yes" to ${counts.defectsFlagged}/${counts.anomalous} defective images, "no" to ${counts.normalCleared}/${counts.normal} normal ones, ${counts.unparsed} unparsed answers)`);
  };
  const finished = parallel ? Promise.all([one(0), one(1)]) : one(0).then(() => one(1));
  return { finished };
}

const baseEvaluation = await evaluateStage('base');

// 3. PA-SFT.
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
  strata: labelsOf(sftRecords),
  // 0-shot and 1-shot examples in separate batches: a batch is padded to its longest example.
  batchGroups: imageCountGroups(sftExamples),
  workers: settings.workers,
  onStep: (m) => m.step % 20 === 0 && say(`[${elapsed()}] pa-sft step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)} (${Math.round(m.tokensPerSecond)} tok/s)`),
});
const paSftEvaluation = await evaluateStage('paSft');

// 4. SC-GRPO from the PA-SFT model, the four rewards (paper preset).
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
  // Every step asks about 2 normal and 2 anomalous images: a step of one label only pushes the
  // answer's prior one way (as in PA-SFT's batches).
  strata: labelsOf(grpoRecords),
  seed,
  resume: false,
  freezeVision: true,
  workers: settings.workers,
  onStep: (m) => say(`[${elapsed()}] sc-grpo step ${m.step}/${m.totalSteps} reward ${m.reward.toFixed(2)} (std ${m.rewardStd.toFixed(2)}) length ${m.completionLength.toFixed(0)} kl ${m.kl.toFixed(4)} yes ${(m.yesShare * 100).toFixed(0)}%`),
});
// Nothing else runs now: both settings at once, one per core.
const scGrpoEvaluation = await evaluateStage('scGrpo', { parallel: true });
await Promise.all([baseEvaluation.finished, paSftEvaluation.finished, scGrpoEvaluation.finished]);

// 5. Results: the six runs compared by @iad-r1/eval (the paper's Table 4 layout, differences to
// the base model with McNemar p-values, interpretation and consistency per stage), results.json,
// curves.
const label = { base: 'TinyVLM base (vision pretraining + instruction tuning)', paSft: '+ PA-SFT', scGrpo: '+ PA-SFT + SC-GRPO' };
const evalDir = (stage, shots) => join(out, 'eval', `${stage}-${shots}shot`);
const comparison = compareRuns(await Promise.all(Object.keys(rows).flatMap((stage) => [0, 1].map((shots) => readComparedRun(evalDir(stage, shots), { label: label[stage] })))));
const interpretation = Object.fromEntries(
  Object.keys(rows).map((stage, i) => [stage, Object.fromEntries([0, 1].map((k) => [k === 0 ? 'zeroShot' : 'oneShot', { interpretation: comparison.rows[i].runs[k].interpretation, consistency: comparison.rows[i].runs[k].consistency }]))]),
);
const results = { seed, quick, settings, records: { paSft: sftRecords.length, scGrpo: grpoRecords.length }, visionPretraining: visionCheck, rows, answerCounts, interpretation, seconds: Math.round((Date.now() - started) / 1000) };
await writeFile(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const table = comparisonMarkdown(comparison).replace(/^# .*\n\n/, '');
await writeFile(join(out, 'results.md'), `# IAD-R1 two-stage demo\n\nThe six held-out synthetic benchmarks, seed ${seed}${quick ? ', quick run' : ''}.\n\n${table}`);

// Training curves (paper Fig. 9: reward and completion length per step), each SC-GRPO reward
// component with its moving average (one noisy total hides which reward moves), and the PA-SFT loss.
const componentColors = ['#3b7dd8', '#2e9d55', '#d8843b', '#8e5bd8', '#d83b6a'];
const components = Object.keys(grpo.metrics[0]?.components ?? {});
const curves = [
  lineChartSvg('PA-SFT loss per step', sft.losses, '#3b7dd8'),
  seriesChartSvg('SC-GRPO reward components per step (mean over the step\'s completions)', components.map((name, i) => ({ name, values: grpo.metrics.map((m) => m.components[name] ?? 0), color: componentColors[i % componentColors.length] })), Math.max(2, Math.round(grpo.metrics.length / 10))),
  lineChartSvg('SC-GRPO mean reward per step', grpo.metrics.map((m) => m.reward), '#2e9d55'),
  lineChartSvg('SC-GRPO mean completion length (tokens) per step', grpo.metrics.map((m) => m.completionLength), '#d8843b'),
];
const page = { title: 'IAD-R1 two-stage demo', caption: `The six held-out synthetic benchmarks (seed ${seed}${quick ? ', quick run' : ''}).`, figures: curves };
await writeComparison(out, comparison, page);
await writeFile(join(out, 'curves.html'), comparisonHtml(comparison, page));
await writeFile(join(out, 'index.html'), comparisonHtml(comparison, { ...page, links: Object.keys(rows).flatMap((stage) => [0, 1].map((s) => relative(out, join(evalDir(stage, s), 'report.html')))) }));
process.stdout.write(`\n${table}\nresults.json, results.md, comparison.{json,md,html}, index.html (tables, curves, reports) in ${out} — ${elapsed()}\n`);
