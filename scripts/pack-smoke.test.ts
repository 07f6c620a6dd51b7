import { describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM script without types
import { packSmoke, quickStartSnippet } from './pack-smoke.mjs';

describe('packed tarballs, installed with npm into an empty project', () => {
  it('give working ESM/CJS imports, bins and README quick starts, without tfjs or sharp', () => {
    const { installed, checks } = packSmoke(['grid', 'cot-schema', 'rewards']) as { installed: string[]; checks: string[] };
    expect(installed).toEqual(expect.arrayContaining(['@iad-r1/grid', '@iad-r1/cot-schema', '@iad-r1/rewards', 'zod']));
    expect(installed.some((n) => n.startsWith('@tensorflow') || n === 'sharp')).toBe(false);
    expect(checks).toContain('iad-r1-rewards --help runs from node_modules/.bin');
    expect(checks.filter((c) => c.includes('README quick start runs'))).toHaveLength(3);
  });

  it('give a working @iad-r1/datasets (with sharp) whose README quick start runs', () => {
    const { installed, checks } = packSmoke(['grid', 'cot-schema', 'datasets'], { forbidHeavy: false }) as { installed: string[]; checks: string[] };
    expect(installed).toEqual(expect.arrayContaining(['@iad-r1/datasets', 'sharp']));
    expect(checks).toContain('iad-r1-datasets --help runs from node_modules/.bin');
    expect(checks.some((c) => c.startsWith('@iad-r1/datasets README quick start runs'))).toBe(true);
  });

  it('finds the quick-start block only under its heading', () => {
    expect(quickStartSnippet('# x\n```js\nnope\n```\n## Quick start\n\ntext\n```js\nyes()\n```\n')).toBe('yes()\n');
    expect(quickStartSnippet('# x\n```js\nnope\n```\n')).toBeUndefined();
  });
});
