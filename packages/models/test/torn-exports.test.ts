import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/index';
import { Qwen2ForCausalLM, type TrainableModel, applyLora, loadModel, tf } from '../src/tfjs/index';
import { tinyQwen2, tinyQwen2Config, tinyTokenizer } from './fixtures/tiny-checkpoints';

// Issue #39, item 3: an export is written beside its folder and renamed into place, so a kill
// part-way leaves the earlier export whole, and a new export replaces all of the old one.

const root = () => mkdtempSync(join(tmpdir(), 'iad-r1-exports-'));
const messages: ChatMessage[] = [{ role: 'user', content: 'Any defect on this part?' }];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function folderHashes(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')]));
}

async function logits(model: TrainableModel): Promise<number[]> {
  const batch = await model.prepareTrainingBatch([{ messages, completion: '<answer>No</answer>' }]);
  return tf.tidy(() => Array.from((model as Qwen2ForCausalLM).logits(batch).dataSync()));
}

async function savedSharded(dir: string, seed: number): Promise<void> {
  // About 60 KB of float32 weights in shards of at most 20 KB.
  const model = Qwen2ForCausalLM.create(tinyQwen2Config(), tinyTokenizer(), { seed, maxShardBytes: 20_000 });
  await model.save(dir);
  model.dispose();
}

/** A tiny Qwen2 saved as `base/` in `root` and loaded from there (so adapters name it as their base). */
async function loadedBase(root: string): Promise<TrainableModel> {
  const dir = join(root, 'base');
  const fresh = tinyQwen2({}, 3);
  await fresh.save(dir);
  fresh.dispose();
  return loadModel(dir);
}

describe('exports', () => {
  it('a re-export killed between two shards leaves the earlier export exactly as it was; the next one sweeps the leftovers', async () => {
    const base = root();
    const target = join(base, 'export');
    const other = join(base, 'other');
    await savedSharded(target, 1);
    await savedSharded(other, 2);
    expect(readdirSync(target).filter((n) => n.endsWith('.safetensors')).length).toBeGreaterThan(2);
    const before = folderHashes(target);

    const child = spawnSync('node', ['--require', fileURLToPath(new URL('./fixtures/kill-on-rename.cjs', import.meta.url)), fileURLToPath(new URL('./fixtures/export-model.mjs', import.meta.url)), other, target], {
      env: { ...process.env, KILL_AT_SAFETENSORS_RENAME: '2' },
      encoding: 'utf8',
    });
    expect(child.signal).toBe('SIGKILL');
    expect(folderHashes(target)).toEqual(before);
    expect(readdirSync(base).some((n) => n.startsWith('export.partial-'))).toBe(true);
    const reloaded = await loadModel(target);
    reloaded.dispose();

    // Completed, the same export replaces every file and removes the killed one's staging folder.
    const finished = spawnSync('node', [fileURLToPath(new URL('./fixtures/export-model.mjs', import.meta.url)), other, target], { encoding: 'utf8' });
    expect(finished.status, finished.stderr).toBe(0);
    expect(folderHashes(target)).toEqual(folderHashes(other));
    expect(readdirSync(base).sort()).toEqual(['export', 'other']);
  });

  it('a LoRA adapter exported over a merged export is applied once', async () => {
    const base = root();
    const model = await loadedBase(base);
    applyLora(model, { rank: 4, alpha: 8 });
    let i = 0;
    for (const m of model.weights.lora.values()) tf.tidy(() => m.b.assign(tf.randomNormal(m.b.shape, 0, 0.3, 'float32', 7 + i++)));
    const expected = await logits(model);

    const target = join(base, 'export');
    await model.save(target, { merged: true });
    await model.save(target);
    expect(existsSync(join(target, 'config.json'))).toBe(false);
    const reloaded = await loadModel(target);
    const got = await logits(reloaded);
    expect(Math.max(...got.map((v, k) => Math.abs(v - (expected[k] as number))))).toBeLessThan(1e-5);
    reloaded.dispose();
    model.dispose();
  });

  it('refuses a folder written by two exports (own weights beside an adapter for another base)', async () => {
    const base = root();
    const model = await loadedBase(base);
    applyLora(model, { rank: 2 });
    const adapterDir = join(base, 'adapter');
    await model.save(adapterDir);
    model.dispose();
    // What an earlier version left when an adapter was exported into a merged export's folder.
    const mixed = join(base, 'mixed');
    await tinyQwen2({}, 4).save(mixed);
    for (const name of readdirSync(adapterDir)) writeFileSync(join(mixed, name), readFileSync(join(adapterDir, name)));
    await expect(loadModel(mixed)).rejects.toThrow(/adapter_config.json: is an adapter for the base .*base, but .*mixed also holds a model of its own \(config.json\): two exports were written into one folder/);
  });

  it('refuses to export over a folder that is not a model folder', async () => {
    const base = root();
    const model = tinyQwen2({}, 3);
    const run = join(base, 'run');
    mkdirSync(join(run, 'checkpoints'), { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), '');
    await expect(model.save(run)).rejects.toThrow(/run: holds folders \(checkpoints\), so it is not a model folder this export may replace; export into a new folder/);
    const data = join(base, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'notes.txt'), 'mine');
    await expect(model.save(data)).rejects.toThrow(/data: holds files but no config.json or adapter_config.json/);
    expect(readFileSync(join(data, 'notes.txt'), 'utf8')).toBe('mine');
    model.dispose();
  });
});
