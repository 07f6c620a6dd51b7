import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempRoot } from './fixture-files';

// Runs the built CLI (`pnpm test` builds first).
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

describe('iad-r1-datasets', () => {
  it('synth writes the set and prints a summary; inspect reads a benchmark; contact-sheet writes a PNG', async () => {
    const out = join(tempRoot(), 'syn');
    const { stdout } = await run('node', [cli, 'synth', '--out', out, '--seed', '3', '--size', '32', '--per-category', '2']);
    expect(stdout).toContain('syn-mvtec  washer, screw (objects, mirrors MVTec-AD)');
    expect(stdout).toContain('120 images, 40 masks, 32 Expert-AD records');
    expect(existsSync(join(out, 'synthetic.json'))).toBe(true);

    const again = await run('node', [cli, 'synth', '--out', out, '--seed', '3', '--size', '32', '--per-category', '2']);
    expect(again.stderr).toContain('nothing to do');
    const clash = await run('node', [cli, 'synth', '--out', out, '--seed', '4', '--size', '32', '--per-category', '2']).catch((e: { code: number; stderr: string }) => e);
    expect((clash as { code: number }).code).toBe(1);
    expect((clash as { stderr: string }).stderr).toContain('other parameters');

    const inspect = await run('node', [cli, 'inspect', '--dataset', 'synthetic', '--root', join(out, 'benchmarks', 'syn-dtd')]);
    expect(inspect.stdout).toContain('12 images');
    expect(inspect.stdout).toContain('every image and mask decodes');

    const sheet = join(out, 'sheet.png');
    await run('node', [cli, 'contact-sheet', '--root', out, '--out', sheet, '--tile', '32']);
    expect(existsSync(sheet)).toBe(true);

    // A zero-byte image and a truncated one: inspect decodes every file and names each bad one.
    const dtd = join(out, 'benchmarks', 'syn-dtd');
    const [category] = readdirSync(dtd).filter((d) => !d.includes('.')).sort() as [string];
    const goodFolder = join(dtd, category, 'test', 'good');
    const [first, second] = readdirSync(goodFolder).sort() as [string, string];
    writeFileSync(join(goodFolder, first), '');
    writeFileSync(join(goodFolder, second), readFileSync(join(goodFolder, second)).subarray(0, 60));
    const bad = await run('node', [cli, 'inspect', '--dataset', 'synthetic', '--root', dtd]).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain(`bad file ${join(goodFolder, first)}: the image file is empty (0 bytes)`);
    expect((bad as { stderr: string }).stderr).toContain(`bad file ${join(goodFolder, second)}: cannot decode image`);
    expect((bad as { stdout: string }).stdout).toContain('2 file(s) cannot be decoded');
  });

  it('names the path when a dataset folder is missing', async () => {
    const missing = join(tempRoot(), 'nowhere');
    const error = await run('node', [cli, 'inspect', '--dataset', 'mvtec', '--root', missing]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toContain(`${missing}: dataset folder not found`);
  });
});
