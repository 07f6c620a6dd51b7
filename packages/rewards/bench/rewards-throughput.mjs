// pnpm bench: rewards per second of the composite reward on a 100k-line synthetic corpus,
// for both presets, one completion per call and the whole corpus as one batch, plus the type reward alone (the costliest component). Prints one JSON line
// per measurement so runs can be compared by script.
import { createRewardRegistry, scGrpoReward, typeReward } from '../dist/index.js';
import { syntheticCorpus } from './synthetic-corpus.mjs';

const N = Number(process.env.REWARDS_BENCH_LINES ?? 100_000);
const corpus = syntheticCorpus(N, 1);

function measure(name, fn) {
  fn(corpus.slice(0, 2000)); // warm-up: JIT and the similarity caches of V8
  const start = process.hrtime.bigint();
  const checksum = fn(corpus);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const line = { bench: name, lines: N, seconds: +seconds.toFixed(3), rewardsPerSecond: Math.round(N / seconds), checksum: +checksum.toFixed(3) };
  console.log(JSON.stringify(line));
}

for (const preset of ['paper', 'reference']) {
  measure(`composite-${preset}`, (rows) => rows.reduce((sum, row) => sum + scGrpoReward(row.completion, row.solution, { preset }).total, 0));
}
// The registry's scorer over the whole corpus in one call: what the server and GRPO do per step.
for (const preset of ['paper', 'reference']) {
  const scorer = createRewardRegistry().scorer({ preset });
  measure(`scorer-batch-${preset}`, (rows) => scorer.scoreSync(rows.map((r) => r.completion), rows.map((r) => r.solution)).totals.reduce((a, b) => a + b, 0));
}
const TYPES = ['scratch mark', 'holes', 'dirt', 'debris', 'bent', 'wear marks', 'scrach', 'dent', 'surface anomaly'];
measure('type-reward', (rows) => rows.reduce((sum, _, i) => sum + typeReward(TYPES[i % TYPES.length], TYPES[(i * 7) % TYPES.length]), 0));
// Every text distinct: no cache hits, the full keyword scan with difflib each time.
measure('type-reward-distinct-texts', (rows) => rows.reduce((sum, _, i) => sum + typeReward(`${TYPES[i % TYPES.length]} x${i}`, TYPES[(i * 7) % TYPES.length]), 0));
