import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSafetensors, readSafetensors } from '../safetensors';
import { tf } from '../tf';
import type { TinyVLM } from '../tiny-vlm';
import type { AdamW } from './adamw';

/** What a trainer needs to continue exactly: the step and the settings that fix the data order. */
export interface TrainerState {
  step: number;
  [setting: string]: number | string | boolean;
}

const stepDir = (step: number): string => `step-${String(step).padStart(6, '0')}`;

async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

/**
 * Writes `checkpoints/step-NNNNNN/` (model, tokenizer, optimiser moments, trainer state) into a
 * temporary folder, renames it into place, points `checkpoints/latest.json` at it and keeps the
 * newest `keep`. A crash at any point leaves the previous checkpoint intact.
 */
export async function saveTrainingCheckpoint(out: string, model: TinyVLM, optimizer: AdamW, state: TrainerState, keep = 2): Promise<string> {
  const root = join(out, 'checkpoints');
  const name = stepDir(state.step);
  const temporary = join(root, `.tmp-${name}`);
  await rm(temporary, { recursive: true, force: true });
  await model.save(temporary);
  const optimizerState = await optimizer.state();
  await writeFile(join(temporary, 'optimizer.safetensors'), encodeSafetensors(optimizerState.tensors, { step: String(optimizerState.step) }));
  await writeFile(join(temporary, 'trainer.json'), `${JSON.stringify(state, null, 2)}\n`);
  await rm(join(root, name), { recursive: true, force: true });
  await rename(temporary, join(root, name));
  await writeAtomic(join(root, 'latest.json'), `${JSON.stringify({ step: state.step, dir: name })}\n`);
  const all = (await readdir(root)).filter((d) => /^step-\d+$/.test(d)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(root, old), { recursive: true, force: true });
  return join(root, name);
}

/**
 * Restores the latest checkpoint of `out` into `model` and `optimizer`, after checking that the
 * settings in `mustMatch` are those it was made with. Returns the saved state, or undefined when
 * there is no checkpoint. Lines of `metricsFile` after the checkpoint's step are dropped, since
 * those steps will run again.
 */
export async function resumeTrainingCheckpoint(
  out: string,
  model: TinyVLM,
  optimizer: AdamW,
  mustMatch: Record<string, number | string | boolean | undefined>,
  metricsFile?: string,
): Promise<(TrainerState & { dir: string }) | undefined> {
  const latest = await readFile(join(out, 'checkpoints', 'latest.json'), 'utf8').then((t) => JSON.parse(t) as { step: number; dir: string }, () => undefined);
  if (!latest) return undefined;
  const dir = join(out, 'checkpoints', latest.dir);
  const saved = JSON.parse(await readFile(join(dir, 'trainer.json'), 'utf8')) as TrainerState;
  for (const [key, value] of Object.entries(mustMatch)) {
    if (saved[key] !== value) throw new Error(`${dir}: checkpoint was made with ${key} = ${saved[key]}, this run has ${value}; use another out folder or start fresh`);
  }
  const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
  for (const [name, variable] of model.namedVariables()) {
    const stored = tensors.get(name);
    if (!stored) throw new Error(`${dir}/model.safetensors: missing ${name}`);
    tf.tidy(() => variable.assign(tf.tensor(stored.data, stored.shape)));
  }
  const optimizerState = await readSafetensors(join(dir, 'optimizer.safetensors'));
  optimizer.load(Number(optimizerState.metadata.step), optimizerState.tensors);
  if (metricsFile) {
    const kept = (await readFile(metricsFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= saved.step);
    await writeAtomic(metricsFile, kept.map((l) => `${l}\n`).join(''));
  }
  return { ...saved, dir };
}
