import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue #41: one exit-code convention across the iad-r1-* CLIs (packages/errors/README.md):
// 0 done, 1 an input error as one line, 2 a usage error, 70 a bug with its stack; and --version.

const root = fileURLToPath(new URL('..', import.meta.url));
const missing = join(mkdtempSync(join(tmpdir(), 'iad-r1-cli-conventions-')), 'missing');
const out = join(missing, '..', 'out');

// Each CLI with an input that does not exist: the folder or file named first on its command line.
const CLIS: Array<{ name: string; folder: string; missingInput: string[]; names: RegExp }> = [
  { name: 'iad-r1-datasets', folder: 'datasets', missingInput: ['inspect', '--dataset', 'mvtec', '--root', missing], names: /missing/ },
  { name: 'iad-r1-eval', folder: 'eval', missingInput: ['score', '--answers', join(missing, 'answers.jsonl'), '--out', out], names: /missing/ },
  { name: 'iad-r1-expert-ad', folder: 'expert-ad', missingInput: ['review', '--out', missing], names: /missing/ },
  { name: 'iad-r1-grpo', folder: 'grpo', missingInput: ['train', '--data', `${missing}.jsonl`, '--model', missing, '--out', out, '--steps', '1'], names: /missing/ },
  { name: 'iad-r1-recipes', folder: 'recipes', missingInput: ['write', '--from', missing, '--out', out, '--backbone', 'qwen2-vl-2b'], names: /missing/ },
  { name: 'iad-r1-rewards', folder: 'rewards', missingInput: ['score', `${missing}.jsonl`], names: /missing\.jsonl/ },
  { name: 'iad-r1-sft', folder: 'sft', missingInput: ['train', '--data', `${missing}.jsonl`, '--init', missing, '--out', out], names: /missing/ },
  { name: 'iad-r1-models', folder: 'models', missingInput: ['inspect', missing], names: /missing/ },
];

function run(folder: string, args: string[]) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  const bin = join(root, 'packages', folder, Object.values(manifest.bin)[0] as string);
  return { manifest, result: spawnSync('node', [bin, ...args], { encoding: 'utf8', timeout: 60_000 }) };
}

describe('CLI conventions', () => {
  for (const cli of CLIS) {
    it(`${cli.name}: --version, usage errors exit 2, a missing input is one line and exit 1`, () => {
      const { manifest, result: version } = run(cli.folder, ['--version']);
      expect(version.status).toBe(0);
      expect(version.stdout.trim()).toBe(manifest.version);

      const usage = run(cli.folder, ['--no-such-option']).result;
      expect(usage.status, usage.stderr).toBe(2);
      expect(usage.stderr).toMatch(/error: unknown option '--no-such-option'/);

      const input = run(cli.folder, cli.missingInput).result;
      const lines = input.stderr.trim().split('\n').filter((l) => l.startsWith(`${cli.name}:`));
      expect(input.status, input.stderr).toBe(1);
      expect(lines, input.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(cli.names);
      expect(input.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
