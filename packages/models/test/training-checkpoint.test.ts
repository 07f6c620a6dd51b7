import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, type TrainableModel, checkpointToResume, resumeTrainingCheckpoint, saveTrainingCheckpoint, tf } from '../src/tfjs/index';
import { tinyQwen2 } from './fixtures/tiny-checkpoints';

const temp = () => mkdtempSync(join(tmpdir(), 'iad-r1-trainer-ckpt-'));
const latest = (out: string) => JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')) as { step: number; dir: string };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * The model's own save, with a check run at the moment it starts writing: a crash at that instant
 * must leave a resumable run, so latest.json must then point at a complete checkpoint.
 */
function watched(model: TrainableModel, check: () => void): TrainableModel {
  return new Proxy(model, {
    get(target, key, receiver) {
      if (key === 'save') return async (dir: string) => {
        check();
        return target.save(dir);
      };
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('training checkpoints', () => {
  it('keeps latest.json on a complete checkpoint at every save, re-saving a step under a new name before removing the old', async () => {
    const out = temp();
    const model = tinyQwen2({}, 1);
    const optimizer = new AdamW(model.trainableVariables());
    const checks: string[] = [];
    const guarded = watched(model, () => {
      const pointer = existsSync(join(out, 'checkpoints', 'latest.json')) ? latest(out) : undefined;
      if (pointer) {
        expect(existsSync(join(out, 'checkpoints', pointer.dir, 'trainer.json'))).toBe(true);
        checks.push(pointer.dir);
      }
    });
    await saveTrainingCheckpoint(out, guarded, optimizer, { step: 1 });
    await saveTrainingCheckpoint(out, guarded, optimizer, { step: 2 });
    // The final checkpoint saved again (a resumed run that had nothing left to do).
    await saveTrainingCheckpoint(out, guarded, optimizer, { step: 2 });
    expect(checks).toEqual(['step-000001', 'step-000002']);
    expect(latest(out)).toEqual({ step: 2, dir: 'step-000002-2' });
    // keep = 2: the newest two complete checkpoints remain, nothing temporary.
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['latest.json', 'step-000002', 'step-000002-2']);
    optimizer.dispose();
    model.dispose();
  });

  it('resumes from the newest complete checkpoint when latest.json points at a missing or half-written folder, and says so', async () => {
    const out = temp();
    const model = tinyQwen2({}, 2);
    const optimizer = new AdamW(model.trainableVariables());
    await saveTrainingCheckpoint(out, model, optimizer, { step: 3, seed: 0 }, 5);
    await saveTrainingCheckpoint(out, model, optimizer, { step: 4, seed: 0 }, 5);
    // The folder the pointer names is gone (removed by hand, or by a crash of an older version).
    rmSync(join(out, 'checkpoints', 'step-000004'), { recursive: true });
    // And a half-written checkpoint (no trainer.json) that must not be chosen.
    mkdirSync(join(out, 'checkpoints', 'step-000009'));
    writeFileSync(join(out, 'checkpoints', 'step-000009', 'model.safetensors'), '');
    const lines: string[] = [];
    const saved = await resumeTrainingCheckpoint(out, model, optimizer, { seed: 0 }, undefined, (line) => lines.push(line));
    expect(saved?.step).toBe(3);
    expect(lines.join('\n')).toMatch(/latest\.json points at step-000004, which is missing or incomplete; resuming from the newest complete checkpoint, step-000003/);
    // An unreadable pointer, the same.
    writeFileSync(join(out, 'checkpoints', 'latest.json'), '{"ste');
    expect(await checkpointToResume(out)).toBe(join(out, 'checkpoints', 'step-000003'));
    // No complete checkpoint at all: a fresh start.
    rmSync(join(out, 'checkpoints', 'step-000003'), { recursive: true });
    expect(await resumeTrainingCheckpoint(out, model, optimizer, {}, undefined, (line) => lines.push(line))).toBeUndefined();
    expect(lines.at(-1)).toMatch(/no complete checkpoint is left, starting fresh/);
    optimizer.dispose();
    model.dispose();
  });

  it('restores weights and optimiser moments exactly, and refuses other settings by name', async () => {
    const out = temp();
    const model = tinyQwen2({}, 3);
    const optimizer = new AdamW(model.trainableVariables());
    const grads = model.trainableVariables().map(([, v]) => tf.onesLike(v));
    optimizer.step(grads, 0.01);
    tf.dispose(grads);
    await saveTrainingCheckpoint(out, model, optimizer, { step: 1, seed: 7 });
    const other = tinyQwen2({}, 99);
    const otherOptimizer = new AdamW(other.trainableVariables());
    await expect(resumeTrainingCheckpoint(out, other, otherOptimizer, { seed: 8 })).rejects.toThrow(/trainer\.json: this run was made with seed = 7, not 8; resume with the settings/);
    await resumeTrainingCheckpoint(out, other, otherOptimizer, { seed: 7 });
    for (const [name, v] of model.trainableVariables()) expect(Array.from(other.weights.get(name).dataSync()), name).toEqual(Array.from(v.dataSync()));
    expect(otherOptimizer.step_).toBe(1);
    for (const m of [optimizer, otherOptimizer, model, other]) m.dispose();
  });

  it('resumes past a torn last line of metrics.jsonl (a full disk), dropping it and the steps that run again (issue #39)', async () => {
    const out = temp();
    const model = tinyQwen2({}, 3);
    const optimizer = new AdamW(model.trainableVariables());
    await saveTrainingCheckpoint(out, model, optimizer, { step: 2, seed: 0 });
    const metricsFile = join(out, 'metrics.jsonl');
    writeFileSync(metricsFile, '{"step":1,"loss":2}\n{"step":2,"loss":1.5}\n{"step":3,"loss":1.2}\n{"step":4,"lo');
    for (let resume = 0; resume < 2; resume++) {
      const lines: string[] = [];
      const saved = await resumeTrainingCheckpoint(out, model, optimizer, { seed: 0 }, metricsFile, (line) => lines.push(line));
      expect(saved?.step).toBe(2);
      expect(readFileSync(metricsFile, 'utf8')).toBe('{"step":1,"loss":2}\n{"step":2,"loss":1.5}\n');
      expect(lines.some((l) => l.endsWith('metrics.jsonl: dropped 1 unreadable line (cut short when written)'))).toBe(resume === 0);
    }
    optimizer.dispose();
    model.dispose();
  });
});
