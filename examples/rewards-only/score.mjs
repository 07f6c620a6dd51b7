#!/usr/bin/env node
// Scores a JSONL of {completion, solution} lines with both presets and prints one row per line.
//   node score.mjs completions.jsonl
import { readFileSync } from 'node:fs';
import { scGrpoReward } from '@iad-r1/rewards';

const file = process.argv[2] ?? new URL('./completions.jsonl', import.meta.url);
const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
const results = rows.map(({ completion, solution }) => ({
  paper: scGrpoReward(completion, solution, { preset: 'paper' }),
  reference: scGrpoReward(completion, solution, { preset: 'reference' }).total,
}));
for (const [i, r] of results.entries()) {
  const c = r.paper.components;
  console.log(`${i + 1}. paper ${r.paper.total.toFixed(3)} (format ${c.consistency}, answer ${c.answer}, location ${c.location}, type ${c.type.toFixed(3)}) · reference ${r.reference.toFixed(3)}`);
}
console.log(JSON.stringify(results.map((r) => r.paper.total)));
