import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (`pnpm build` first; `pnpm test` does).
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>hole</type><answer>Yes</answer>';

function jsonl(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-rewards-'));
  const file = join(dir, 'in.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('iad-r1-rewards score', () => {
  const good = [
    JSON.stringify({ completion: '<think>a</think><answer>no</answer>', solution: NO }),
    JSON.stringify({ completion: '<think>a</think><location>upper left</location><type>hole</type><answer>no</answer>', solution: YES }),
  ];

  it('writes one line per input, in order, for each preset', async () => {
    const file = jsonl(good);
    const paper = (await run('node', [cli, 'score', file])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(paper).toEqual([
      { total: 2, components: { consistency: 1, answer: 1, location: 0, type: 0 } },
      { total: 1, components: { consistency: 1, answer: 0, location: 0, type: 0 } },
    ]);
    const reference = (await run('node', [cli, 'score', '--preset', 'reference', file])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    // Wrong answer, but both tags right: R_c 1 + (1 + 1)/2 + 0.
    expect(reference[1]).toEqual({ total: 2, components: { consistency: 1, answer: 0, location: 1, type: 1 } });
  });

  it('stops at a bad line naming it, or marks it with --skip-invalid', async () => {
    const file = jsonl([good[0] as string, '{"completion": 1, "solution": "x"}', good[1] as string]);
    const failed = await run('node', [cli, 'score', file]).catch((error: { code: number; stderr: string; stdout: string }) => error);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain(`${file}:2: field completion: expected a string or a list of chat messages`);
    const skipped = (await run('node', [cli, 'score', '--skip-invalid', file])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(skipped).toHaveLength(3);
    expect(skipped[1]).toEqual({ error: `${file}:2: field completion: expected a string or a list of chat messages` });
    expect(skipped[2].total).toBe(1);
  });

  it('reads standard input with -', async () => {
    const child = spawn('node', [cli, 'score', '-']);
    child.stdin.end(`${good[0]}\n`);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(JSON.parse(out).total).toBe(2);
  });

  it('accepts a UTF-8 byte-order mark and CRLF lines, and refuses a file in another encoding by line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-rewards-'));
    const bom = join(dir, 'bom.jsonl');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${good[0]}\r\n${good[1]}\r\n`)]));
    expect((await run('node', [cli, 'score', bom])).stdout.trim().split('\n').map((l) => JSON.parse(l).total)).toEqual([2, 1]);
    // Latin-1 "é" in a type text on line 2: read as UTF-8 it would silently become U+FFFD.
    const latin1 = join(dir, 'latin1.jsonl');
    const second = Buffer.from(JSON.stringify({ completion: '<think>a</think><type>rayure café</type><answer>yes</answer>', solution: YES }), 'latin1');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${good[0]}\n`), second, Buffer.from('\n')]));
    const failed = await run('node', [cli, 'score', latin1]).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain(`iad-r1-rewards: ${latin1}:2: not valid UTF-8 (byte ${Buffer.byteLength(`${good[0]}\n`) + second.indexOf(0xe9)}); save the file as UTF-8`);
  });

  it('ends quietly when the reader of its output goes away (score … | head -1)', async () => {
    const file = jsonl(Array.from({ length: 20_000 }, () => good[0] as string));
    const child = spawn('sh', ['-c', `node ${JSON.stringify(cli)} score ${JSON.stringify(file)} | head -1`]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(JSON.parse(out).total).toBe(2);
    expect(err).not.toMatch(/EPIPE|Error|at /);
  });
});

describe('iad-r1-rewards serve', () => {
  it('serves on a free port and shuts down gracefully on SIGTERM', async () => {
    const child = spawn('node', [cli, 'serve', '--port', '0', '--preset', 'reference']);
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).url));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { components: { name: string; weight: number; gate?: string }[] };
    expect(health).toMatchObject({ status: 'ok', preset: 'reference', gridSize: 3, maxBodyBytes: 16 * 1024 * 1024, maxFieldChars: 32_768 });
    // The released code halves location and type and counts them without gating on the answer.
    expect(health.components.map((c) => [c.name, c.weight, c.gate ?? null])).toEqual([
      ['consistency', 1, null],
      ['answer', 1, null],
      ['location', 0.5, null],
      ['type', 0.5, null],
    ]);
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('refuses limits that would make a server reject everything, before it starts', async () => {
    for (const value of ['abc', '-5', '0', '1.5']) {
      const refused = await run('node', [cli, 'serve', '--port', '0', '--max-body-bytes', value]).catch((error: { code: number; stderr: string }) => error);
      // A usage error: exit 2.
      expect(refused, value).toMatchObject({ code: 2 });
      expect((refused as { stderr: string }).stderr).toContain(`option '--max-body-bytes <n>' argument '${value}' is invalid. must be a whole number ≥ 1`);
    }
    const field = await run('node', [cli, 'serve', '--port', '0', '--max-field-chars', 'lots']).catch((error: { code: number; stderr: string }) => error);
    expect((field as { stderr: string }).stderr).toContain("option '--max-field-chars <n>' argument 'lots' is invalid");
  });

  it('prints help with an example', async () => {
    const { stdout } = await run('node', [cli, 'serve', '--help']);
    expect(stdout).toContain('--preset <preset>');
    expect(stdout).toContain('iad-r1-rewards serve --port 8000');
  });
});
