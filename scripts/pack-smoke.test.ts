import { describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM script without types
import { markedSnippets, packSmoke, quickStartSnippet } from './pack-smoke.mjs';

describe('packed tarballs, installed with npm into an empty project', () => {
  it('give working ESM/CJS imports, bins and README quick starts, without tfjs or sharp', () => {
    const { installed, checks } = packSmoke(['errors', 'grid', 'cot-schema', 'rewards']) as { installed: string[]; checks: string[] };
    expect(installed).toEqual(expect.arrayContaining(['@iad-r1/errors', '@iad-r1/grid', '@iad-r1/cot-schema', '@iad-r1/rewards', 'zod']));
    expect(installed.some((n) => n.startsWith('@tensorflow') || n === 'sharp')).toBe(false);
    expect(checks).toContain('iad-r1-rewards --help runs from node_modules/.bin');
    expect(checks.filter((c) => c.includes('README quick start runs'))).toHaveLength(4);
  });

  it('give working @iad-r1/datasets, models, eval, sft, grpo, expert-ad and recipes (with sharp and tfjs) whose README quick starts run', () => {
    const { installed, checks } = packSmoke(['errors', 'grid', 'cot-schema', 'rewards', 'datasets', 'models', 'eval', 'sft', 'grpo', 'expert-ad', 'recipes'], { forbidHeavy: false }) as { installed: string[]; checks: string[] };
    expect(installed).toEqual(expect.arrayContaining(['@iad-r1/datasets', '@iad-r1/models', '@iad-r1/eval', '@iad-r1/sft', '@iad-r1/grpo', '@iad-r1/expert-ad', '@iad-r1/recipes', 'sharp', '@tensorflow/tfjs']));
    expect(checks).toContain('iad-r1-recipes --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-sft --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-datasets --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-eval --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-expert-ad --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-models --help runs from node_modules/.bin');
    expect(checks).toContain('iad-r1-grpo --help runs from node_modules/.bin');
    // The in-process snippet of the models README: a tiny Qwen2 checkpoint, LoRA, a PEFT adapter.
    expect(checks.some((c) => c.startsWith('@iad-r1/models README snippet 1 runs'))).toBe(true);
    for (const name of ['datasets', 'models', 'eval', 'sft', 'grpo', 'expert-ad', 'recipes']) expect(checks.some((c) => c.startsWith(`@iad-r1/${name} README quick start runs`))).toBe(true);
  });

  it('finds the quick-start block only under its heading, and marked blocks only after their mark', () => {
    expect(quickStartSnippet('# x\n```js\nnope\n```\n## Quick start\n\ntext\n```js\nyes()\n```\n')).toBe('yes()\n');
    expect(quickStartSnippet('# x\n```js\nnope\n```\n')).toBeUndefined();
    expect(markedSnippets('```js\nnope\n```\n<!-- pack-smoke: runs -->\n```js\nyes()\n```\n\n<!-- pack-smoke: runs -->\n```sh\nno\n```\n')).toEqual(['yes()\n']);
  });
});
