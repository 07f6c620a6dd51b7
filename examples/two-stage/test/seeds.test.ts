import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { seedTable, summariseSeeds } from '../seed-summary.mjs';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../seeds.mjs', import.meta.url));

type Pair = [zeroShot: number, oneShot: number];
const rowOf = ([zeroShot, oneShot]: Pair) => ({ zeroShot: { average: zeroShot }, oneShot: { average: oneShot } });
const resultsOf = (seed: number, base: Pair, paSft: Pair, scGrpo: Pair) => ({ seed, rows: { base: rowOf(base), paSft: rowOf(paSft), scGrpo: rowOf(scGrpo) } });

describe('summariseSeeds', () => {
  it('takes each seed to tenths, then the gains and the means (hand-computed)', () => {
    const summary = summariseSeeds([
      resultsOf(0, [50, 50], [58.68, 57.46], [61.63, 59.72]),
      resultsOf(1, [50, 50], [62.71, 58.94], [62.04, 58.51]),
    ]);
    // Seed 0 in tenths: PA-SFT 58.7 / 57.5, SC-GRPO 61.6 / 59.7 → gains +2.9 / +2.2.
    expect(summary.seeds[0].gain.zeroShot).toBeCloseTo(2.9, 10);
    expect(summary.seeds[0].gain.oneShot).toBeCloseTo(2.2, 10);
    // Seed 1: 62.7 / 58.9 and 62.0 / 58.5 → −0.7 / −0.4.
    expect(summary.seeds[1].gain.zeroShot).toBeCloseTo(-0.7, 10);
    expect(summary.seeds[1].gain.oneShot).toBeCloseTo(-0.4, 10);
    // Means: PA-SFT (58.7 + 62.7) / 2 = 60.7, (57.5 + 58.9) / 2 = 58.2; gains (2.9 − 0.7) / 2 = 1.1, (2.2 − 0.4) / 2 = 0.9.
    expect(summary.mean.paSft.zeroShot).toBeCloseTo(60.7, 10);
    expect(summary.mean.paSft.oneShot).toBeCloseTo(58.2, 10);
    expect(summary.mean.gain.zeroShot).toBeCloseTo(1.1, 10);
    expect(summary.mean.gain.oneShot).toBeCloseTo(0.9, 10);
    expect(summary.scGrpoNotBelowPaSft).toEqual({ zeroShot: 1, oneShot: 1 });
    expect(seedTable(summary).split('\n')).toEqual([
      '| seed | base | + PA-SFT | + SC-GRPO | SC-GRPO − PA-SFT |',
      '| --- | ---: | ---: | ---: | ---: |',
      '| 0 | 50.0 / 50.0 | 58.7 / 57.5 | 61.6 / 59.7 | +2.9 / +2.2 |',
      '| 1 | 50.0 / 50.0 | 62.7 / 58.9 | 62.0 / 58.5 | −0.7 / −0.4 |',
      '| mean | 50.0 / 50.0 | 60.7 / 58.2 | 61.8 / 59.1 | +1.1 / +0.9 |',
    ]);
  });

  it('refuses no results and a run without a stage', () => {
    expect(() => summariseSeeds([])).toThrow(/at least one seed/);
    expect(() => summariseSeeds([{ seed: 4, rows: { base: rowOf([50, 50]), paSft: rowOf([60, 60]) } }])).toThrow(/seed 4: no "scGrpo" row/);
  });
});

describe('examples/two-stage/seeds.mjs -- --quick', () => {
  it('runs each seed, writes the mean table, and keeps finished seeds on a second call', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-seeds-')), 'out');
    const first = await run('node', [script, '--seeds', '3,4', '--out', out, '--', '--quick'], { maxBuffer: 16 * 1024 * 1024 });
    expect(first.stdout).toMatch(/\| mean \| /);
    const perSeed = [3, 4].map((seed) => JSON.parse(readFileSync(join(out, `seed-${seed}`, 'results.json'), 'utf8')));
    expect(perSeed.map((r) => r.seed)).toEqual([3, 4]);
    const summary = JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8'));
    expect(summary.arguments).toEqual(['--quick']);
    // The mean, recomputed here from the two runs' own results.json.
    const tenths = (x: number) => Math.round(x * 10) / 10;
    for (const stage of ['base', 'paSft', 'scGrpo']) {
      for (const setting of ['zeroShot', 'oneShot']) {
        const expected = (tenths(perSeed[0].rows[stage][setting].average) + tenths(perSeed[1].rows[stage][setting].average)) / 2;
        expect(summary.mean[stage][setting], `${stage} ${setting}`).toBeCloseTo(expected, 10);
      }
    }
    expect(readFileSync(join(out, 'seeds.md'), 'utf8')).toContain('| 4 | ');
    const written = statSync(join(out, 'seed-3', 'results.json')).mtimeMs;
    const second = await run('node', [script, '--seeds', '3,4', '--out', out, '--', '--quick']);
    expect(second.stderr).toMatch(/seed 3: finished before with the same arguments, kept/);
    expect(statSync(join(out, 'seed-3', 'results.json')).mtimeMs).toBe(written);
    // Other arguments: the seed is run again.
    const third = await run('node', [script, '--seeds', '3', '--out', out, '--', '--quick', '--grpo-steps', '2']);
    expect(third.stderr).toMatch(/seed 3: started/);
    expect(statSync(join(out, 'seed-3', 'results.json')).mtimeMs).toBeGreaterThan(written);
    expect(JSON.parse(readFileSync(join(out, 'seed-3', 'results.json'), 'utf8')).settings).toMatchObject({ grpoSteps: 2, workers: 1 });
    // Another thread count is another run (parallel sums round differently): run again, on 2 threads.
    const fourth = await run('node', [script, '--seeds', '3', '--out', out, '--', '--quick', '--grpo-steps', '2'], { env: { ...process.env, IAD_R1_WORKERS: '2' } });
    expect(fourth.stderr).toMatch(/seed 3: started/);
    expect(JSON.parse(readFileSync(join(out, 'seed-3', 'results.json'), 'utf8')).settings.workers).toBe(2);
    expect(readFileSync(join(out, 'seed-3.log'), 'utf8')).toMatch(/training on 2 threads/);
    // The seed and the folder of each run are the script's own.
    await expect(run('node', [script, '--seeds', '3', '--out', out, '--', '--seed', '5'])).rejects.toThrow(/--seed is set per seed by seeds.mjs/);
    await expect(run('node', [script, '--seeds', '3', '--out', out, '--', '--workers', '2'])).rejects.toThrow(/--workers is set per run by seeds.mjs/);
  });
});
