import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../evaluate.mjs', import.meta.url));

describe('examples/eval-remote', () => {
  it('evaluates a served model on a benchmark folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-eval-remote-'));
    await generateSyntheticSet({ out: join(dir, 'syn'), seed: 4, size: 32, perCategory: 2 });
    // The counterpart: an OpenAI-compatible server whose model always says "No.".
    let requests = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'No.' }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const out = join(dir, 'run');
      const { stdout } = await run('node', [script, '--base-url', baseUrl, '--model', 'fake', '--dataset', 'synthetic', '--root', join(dir, 'syn', 'benchmarks', 'syn-dtd'), '--out', out]);
      expect(stdout).toContain('synthetic: balanced accuracy 50.0 (TPR 0.0, TNR 100.0, 8 images, 0 unparsed)');
      expect(requests).toBe(8);
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).average.balancedAccuracy).toBe(50);
    } finally {
      server.close();
    }
  });
});
