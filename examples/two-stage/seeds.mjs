#!/usr/bin/env node
// The two-stage demo over several seeds, and the mean of its table: runs `run.mjs --seed S --out
// OUT/seed-S` for each seed (one at a time by default, each on all the cores), then writes OUT/seeds.json and OUT/seeds.md.
// A seed whose run finished with the same arguments is not run again, so an interrupted call
// continues where it stopped. Arguments after `--` go to every run.
//   node examples/two-stage/seeds.mjs [--seeds 0,1,2] [--out examples/two-stage/out-seeds] [--parallel 1] [-- --quick …]
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seedTable, summariseSeeds } from './seed-summary.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const separator = process.argv.indexOf('--', 2);
const own = separator === -1 ? process.argv.slice(2) : process.argv.slice(2, separator);
const passThrough = separator === -1 ? [] : process.argv.slice(separator + 1);
const { values: args } = parseArgs({
  args: own,
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    out: { type: 'string', default: join(here, 'out-seeds') },
    parallel: { type: 'string' },
  },
});
const seeds = args.seeds.split(',').map((s) => s.trim());
for (const s of seeds) if (!/^\d+$/.test(s)) throw new RangeError(`--seeds takes whole numbers separated by commas, got ${JSON.stringify(args.seeds)}`);
if (new Set(seeds).size !== seeds.length) throw new RangeError(`--seeds lists a seed twice: ${args.seeds}`);
for (const a of passThrough) if (/^--(seed|out)(=|$)/.test(a)) throw new RangeError(`${a} is set per seed by seeds.mjs; pass --seeds and --out before "--"`);
// One run at a time, each splitting its training steps between all the cores (data parallel); with
// --parallel N, each of the N runs gets the cores / N threads.
const parallel = Number(args.parallel ?? 1);
if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`--parallel must be a whole number ≥ 1, got ${args.parallel}`);
if (passThrough.some((a) => /^--workers(=|$)/.test(a))) throw new RangeError('--workers is set per run by seeds.mjs (the cores / --parallel, or IAD_R1_WORKERS); pass --parallel instead');
const workers = process.env.IAD_R1_WORKERS ? Number(process.env.IAD_R1_WORKERS) : Math.max(1, Math.floor(availableParallelism() / parallel));
if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`IAD_R1_WORKERS must be a positive integer, not ${JSON.stringify(process.env.IAD_R1_WORKERS)}`);

const out = args.out;
await mkdir(out, { recursive: true });
const started = Date.now();
const say = (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
const script = join(here, 'run.mjs');
const runDir = (seed) => join(out, `seed-${seed}`);
const argsFile = (seed) => join(out, `seed-${seed}.args.json`);
// The thread count is part of a run's arguments: parallel sums round differently, so another count
// gives a (slightly) different run.
const argsText = JSON.stringify({ arguments: passThrough, workers });

async function finishedBefore(seed) {
  if (!existsSync(join(runDir(seed), 'results.json')) || !existsSync(argsFile(seed))) return false;
  return (await readFile(argsFile(seed), 'utf8')) === argsText;
}

async function runSeed(seed) {
  if (await finishedBefore(seed)) {
    say(`seed ${seed}: finished before with the same arguments, kept (${runDir(seed)})`);
    return;
  }
  // The arguments are recorded only once the run has finished: a run cut short is redone.
  await rm(argsFile(seed), { force: true });
  const logFile = join(out, `seed-${seed}.log`);
  say(`seed ${seed}: started, log in ${logFile}`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [script, '--seed', seed, '--out', runDir(seed), '--workers', String(workers), ...passThrough], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const code = await new Promise((resolve) => child.on('close', resolve));
  await new Promise((resolve) => log.end(resolve));
  if (code !== 0) throw new Error(`seed ${seed}: run.mjs exited with ${code}; see ${logFile}`);
  await writeFile(argsFile(seed), argsText);
  say(`seed ${seed}: done`);
}

// A small pool: `parallel` runs at a time, in the order given.
const queue = [...seeds];
const failures = [];
await Promise.all(
  Array.from({ length: Math.min(parallel, seeds.length) }, async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      await runSeed(seed).catch((error) => failures.push(error));
    }
  }),
);
if (failures.length > 0) {
  for (const error of failures) say(error.message);
  process.exit(1);
}

const results = await Promise.all(seeds.map(async (seed) => JSON.parse(await readFile(join(runDir(seed), 'results.json'), 'utf8'))));
const summary = summariseSeeds(results);
const table = seedTable(summary);
await writeFile(join(out, 'seeds.json'), `${JSON.stringify({ arguments: passThrough, ...summary }, null, 2)}\n`);
const notBelow = `SC-GRPO at or above PA-SFT on ${summary.scGrpoNotBelowPaSft.zeroShot} of ${seeds.length} seeds 0-shot, ${summary.scGrpoNotBelowPaSft.oneShot} of ${seeds.length} 1-shot`;
await writeFile(join(out, 'seeds.md'), `# IAD-R1 two-stage demo over seeds ${seeds.join(', ')}\n\nAverage balanced accuracy (%) on the six held-out synthetic benchmarks, 0-shot / 1-shot.\n\n${table}\n\n${notBelow}.\n`);
process.stdout.write(`\n${table}\n\n${notBelow}.\nseeds.json, seeds.md and one folder per seed in ${out}\n`);
