import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs/index';
import { tinyQwen2 } from './fixtures/tiny-checkpoints';

// Issue #39, item 7: the model copy data-parallel workers load from is removed when the run is
// stopped by a signal, and copies left by SIGKILLed runs are swept when the next run starts.

const script = fileURLToPath(new URL('./fixtures/start-workers.mjs', import.meta.url));
let modelDir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  modelDir = join(mkdtempSync(join(tmpdir(), 'iad-r1-worker-folders-')), 'model');
  const model = tinyQwen2({}, 1);
  await model.save(modelDir);
  model.dispose();
});

function start(temp: string, ...args: string[]): { child: ChildProcess; output: Promise<string>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn('node', [script, modelDir, ...args], { env: { ...process.env, TMPDIR: temp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const output = new Promise<string>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text);
    });
    child.once('exit', () => resolve(text));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

const copies = (temp: string) => readdirSync(temp).filter((n) => n.startsWith('iad-r1-workers-'));

describe('worker model folders', () => {
  it('are removed on SIGTERM and SIGINT, and the process still ends by that signal', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const temp = mkdtempSync(join(tmpdir(), 'iad-r1-worker-temp-'));
      const run = start(temp);
      expect(await run.output).toBe('ready\n');
      expect(copies(temp)).toHaveLength(1);
      run.child.kill(signal);
      expect(await run.exited).toEqual({ code: null, signal });
      expect(copies(temp)).toEqual([]);
    }
  }, 60_000);

  it("a SIGKILLed run's copy is swept by the next run, which leaves nothing behind", async () => {
    const temp = mkdtempSync(join(tmpdir(), 'iad-r1-worker-temp-'));
    const killed = start(temp);
    expect(await killed.output).toBe('ready\n');
    killed.child.kill('SIGKILL');
    await killed.exited;
    const left = copies(temp);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^iad-r1-workers-${killed.child.pid}-`));
    const next = start(temp, 'close');
    expect(await next.output).toBe('closed\n');
    expect(await next.exited).toEqual({ code: 0, signal: null });
    expect(copies(temp)).toEqual([]);
  }, 60_000);
});
