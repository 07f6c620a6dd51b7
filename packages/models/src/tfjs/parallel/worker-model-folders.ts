import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeFoldersOfEndedProcesses } from '../process-folders';

// Worker threads load the trained model from a copy saved under the temporary folder. A run that
// ends normally deletes it; these also delete it when the process exits or is stopped by SIGINT,
// SIGTERM or SIGHUP, and sweep the copies of runs that were SIGKILLed (their process is gone).

const PREFIX = 'iad-r1-workers-';
const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeLive(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeLive();
  uninstall();
  // Stopped as the signal would have stopped it: the same exit status, and other listeners first.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', removeLive);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', removeLive);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Deletes the model copies of earlier runs whose process no longer exists; returns how many. */
export function sweepWorkerModelFolders(root = tmpdir()): Promise<number> {
  return removeFoldersOfEndedProcesses(root, PREFIX);
}

/** A fresh folder for the workers' copy of the model, named after this process and removed on exit. */
export async function createWorkerModelFolder(): Promise<string> {
  await sweepWorkerModelFolders();
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  if (live.size === 0) install();
  live.add(dir);
  return dir;
}

/** Deletes a folder made by {@link createWorkerModelFolder}. */
export async function removeWorkerModelFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
  if (live.size === 0) uninstall();
}
