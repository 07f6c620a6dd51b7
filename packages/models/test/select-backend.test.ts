import { describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../src/tfjs/index';

describe('selectBackend', () => {
  it('takes the fastest backend present and says why faster ones were skipped', async () => {
    const lines: string[] = [];
    const selection = await selectBackend({ log: (l) => lines.push(l) });
    // On machines without tfjs-node the first two are skipped; wasm is installed with this package's dev dependencies.
    expect(['node-gpu', 'node', 'wasm']).toContain(selection.backend);
    expect(tf.getBackend()).toBe(selection.engine);
    if (selection.backend === 'wasm') {
      expect(selection.skipped.map((s) => s.backend)).toEqual(['node-gpu', 'node']);
      expect(lines[0]).toMatch(/backend wasm — skipped node-gpu: not installed; node: not installed/);
    }
    // A second call returns the first choice.
    expect(await selectBackend({ prefer: 'cpu', log: () => undefined })).toBe(selection);
  });
});
