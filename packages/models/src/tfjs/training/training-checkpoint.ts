import { assertSameSettings } from '@iad-r1/errors';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsFile, writeSafetensors } from '../checkpoint/safetensors-file';
import type { TrainableModel } from '../trainable/trainable-model';
import type { AdamW } from './adamw';

/** What a trainer needs to continue exactly: the step and the settings that fix the data order. */
export interface TrainerState {
  step: number;
  [setting: string]: number | string | boolean | null;
}

const STATE_FILE = 'trainer.json';
const stepName = (step: number): string => `step-${String(step).padStart(6, '0')}`;
const CHECKPOINT_DIR = /^step-(\d+)(?:-(\d+))?$/;

async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

/** The complete checkpoints of a run (those whose trainer state was written), newest last. */
async function completeCheckpoints(root: string): Promise<Array<{ dir: string; step: number; copy: number }>> {
  const names = await readdir(root).catch(() => [] as string[]);
  return names
    .map((dir) => ({ dir, match: CHECKPOINT_DIR.exec(dir) }))
    .filter((d): d is { dir: string; match: RegExpExecArray } => d.match !== null && existsSync(join(root, d.dir, STATE_FILE)))
    .map(({ dir, match }) => ({ dir, step: Number(match[1]), copy: Number(match[2] ?? 1) }))
    .sort((a, b) => a.step - b.step || a.copy - b.copy);
}

/**
 * Writes a checkpoint of the model (its own `save`: full weights, or only the adapters of a LoRA
 * model whose base is on disk), the optimiser moments and the trainer state into
 * `checkpoints/step-NNNNNN/`, then points `checkpoints/latest.json` at it and removes all but the
 * newest `keep`. Crash-safe at every instant: the folder is written under a temporary name and
 * renamed into place complete (the trainer state last), an existing checkpoint of the same step is
 * never deleted before the new one is in place (the new one gets another name), and old folders
 * go only after the pointer moved.
 */
export async function saveTrainingCheckpoint(out: string, model: TrainableModel, optimizer: AdamW, state: TrainerState, keep = 2): Promise<string> {
  const root = join(out, 'checkpoints');
  const temporary = join(root, `.tmp-${stepName(state.step)}-${process.pid}-${Date.now()}`);
  await rm(temporary, { recursive: true, force: true });
  await model.save(temporary);
  const optimizerState = optimizer.state();
  await writeSafetensors(join(temporary, 'optimizer.safetensors'), optimizerState.tensors, { step: String(optimizerState.step) });
  await writeAtomic(join(temporary, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  let name = stepName(state.step);
  for (let copy = 2; existsSync(join(root, name)); copy++) name = `${stepName(state.step)}-${copy}`;
  await rename(temporary, join(root, name));
  await writeAtomic(join(root, 'latest.json'), `${JSON.stringify({ step: state.step, dir: name })}\n`);
  const all = await completeCheckpoints(root);
  const older = all.filter((c) => c.dir !== name).slice(0, Math.max(0, all.length - keep));
  for (const old of older) await rm(join(root, old.dir), { recursive: true, force: true });
  // Leftovers of a save that crashed before its rename.
  for (const leftover of (await readdir(root)).filter((d) => d.startsWith('.tmp-'))) await rm(join(root, leftover), { recursive: true, force: true });
  return join(root, name);
}

/**
 * The checkpoint folder a resume of `out` starts from: the one `checkpoints/latest.json` names,
 * or the newest complete one when the pointer is missing or broken (said through `log`).
 *
 * @example
 * const dir = await checkpointToResume('runs/pa-sft'); // runs/pa-sft/checkpoints/step-000050, or undefined
 */
export async function checkpointToResume(out: string, log: (line: string) => void = () => undefined): Promise<string | undefined> {
  const root = join(out, 'checkpoints');
  const name = await resumableCheckpointName(root, log);
  return name === undefined ? undefined : join(root, name);
}

async function resumableCheckpointName(root: string, log: (line: string) => void): Promise<string | undefined> {
  const pointer = await readFile(join(root, 'latest.json'), 'utf8').then(
    (text) => {
      try {
        return JSON.parse(text) as { dir?: string };
      } catch {
        return {};
      }
    },
    () => undefined,
  );
  if (pointer?.dir && existsSync(join(root, pointer.dir, STATE_FILE))) return pointer.dir;
  const newest = (await completeCheckpoints(root)).at(-1);
  if (pointer !== undefined) {
    log(`${join(root, 'latest.json')} points at ${pointer.dir ? `${pointer.dir}, which is missing or incomplete` : 'nothing readable'}; ${newest ? `resuming from the newest complete checkpoint, ${newest.dir}` : 'no complete checkpoint is left, starting fresh'}`);
  } else if (newest) {
    log(`${root} has no latest.json; resuming from the newest complete checkpoint, ${newest.dir}`);
  }
  return newest?.dir;
}

/** The step of a `metrics.jsonl` line, or undefined for a line that is not a JSON object with one. */
function metricsStep(line: string): number | undefined {
  try {
    const step = (JSON.parse(line) as { step?: unknown } | null)?.step;
    return typeof step === 'number' ? step : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Restores the checkpoint of `out` to resume from into `model` (`model.restore`) and
 * `optimizer`, after checking that the settings in `mustMatch` are those it was made with.
 * Returns the saved state, or undefined when there is no checkpoint. Lines of `metricsFile` after
 * the checkpoint's step are dropped, since those steps will run again.
 */
export async function resumeTrainingCheckpoint(
  out: string,
  model: TrainableModel,
  optimizer: AdamW,
  mustMatch: Record<string, number | string | boolean | null | undefined>,
  metricsFile?: string,
  log: (line: string) => void = () => undefined,
): Promise<(TrainerState & { dir: string }) | undefined> {
  const dir = await checkpointToResume(out, log);
  if (!dir) return undefined;
  const saved = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as TrainerState;
  assertSameSettings(join(dir, STATE_FILE), saved, mustMatch, 'resume with the settings it was made with, or use another output folder');
  await model.restore(dir);
  const optimizerFile = await SafetensorsFile.open(join(dir, 'optimizer.safetensors'));
  try {
    await optimizer.load(Number(optimizerFile.metadata.step), optimizerFile);
  } finally {
    await optimizerFile.close();
  }
  if (metricsFile) {
    const lines = (await readFile(metricsFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '');
    const kept = lines.filter((l) => (metricsStep(l) ?? Infinity) <= saved.step);
    // A line cut short (a full disk, a kill mid-write) is not JSON: it is dropped with the steps
    // that run again, instead of stopping every later resume.
    const torn = lines.filter((l) => metricsStep(l) === undefined).length;
    if (torn > 0) log(`${metricsFile}: dropped ${torn} unreadable line${torn > 1 ? 's' : ''} (cut short when written)`);
    await writeAtomic(metricsFile, kept.map((l) => `${l}\n`).join(''));
  }
  return { ...saved, dir };
}
