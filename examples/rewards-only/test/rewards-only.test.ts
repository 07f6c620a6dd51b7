import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../score.mjs', import.meta.url));

describe('examples/rewards-only', () => {
  it('scores the sample completions', async () => {
    const { stdout } = await run('node', [script]);
    const totals = JSON.parse(stdout.trim().split('\n').pop() as string) as number[];
    // By hand (paper preset): 1+1; 1+1+1+0.85 ("scratch mark" contains "scratch"); format 1 + wrong answer;
    // no tags at all: 0; chat message: 1+1+1 (lower right = bottom right) + R_t("wear","abrasion") = 0.85.
    expect(totals).toEqual([2, 3.85, 1, 0, 3.85]);
    expect(stdout).toContain('2. paper 3.850 (format 1, answer 1, location 1, type 0.850) · reference 2.925');
  });
});
