import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hashSeed, readMvtecLayout } from '@iad-r1/datasets';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../pipeline.mjs', import.meta.url));

describe('examples/custom-pipeline', () => {
  it('composes MVTec-layout data, a 4×4 grid and a custom reward term into SFT, GRPO and evaluation', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-custom-')), 'run');
    const { stdout } = await run('node', [script, '--out', out, '--sft-steps', '4', '--grpo-steps', '2'], { maxBuffer: 8 * 1024 * 1024 });
    expect(stdout).toMatch(/SC-GRPO reward: [\d.]+ [\d.]+; share of brief answers [\d.]+/);
    const [, evaluated] = /balanced accuracy on the held-out half of .*: [\d.]+ \(\{"mvtec":(\d+)\} images\)/.exec(stdout) ?? [];
    // Evaluated: exactly the test images outside the training records, none of the 96 seen twice.
    const data = await readMvtecLayout(join(out, 'data', 'train'));
    const tests = data.samples.filter((s) => s.split === 'test');
    expect(tests).toHaveLength(96);
    const expected = tests.filter((s) => hashSeed('held-out', s.id) % 2 === 0).map((s) => s.imagePath).sort();
    const answers = readFileSync(join(out, 'eval', 'answers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).image as string).sort();
    expect(answers).toEqual(expected);
    expect(Number(evaluated)).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.length).toBeLessThan(76);
    const metrics = readFileSync(join(out, 'grpo', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(metrics[0].components).sort()).toEqual(['answer', 'brevity', 'consistency', 'location', 'type']);
    expect(existsSync(join(out, 'eval', 'summary.json'))).toBe(true);
  });
});
