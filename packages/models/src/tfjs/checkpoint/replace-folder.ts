import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from './checkpoint-error';
import { removeFoldersOfEndedProcesses } from '../process-folders';

// A model folder is written whole under a sibling name, then renamed into place. An export killed
// part-way (a full disk, a SIGKILL between shards) leaves the earlier folder as it was, never a mix
// of two exports, and a new export replaces everything of the old one (a LoRA adapter written over
// a merged export no longer sits beside the merged weights it would be applied to a second time).

const STAGING = '.partial-';
const REPLACED = '.replaced-';

/**
 * Refuses to replace a folder that holds more than a model: one without config.json or
 * adapter_config.json but with files, or one with subfolders (a run folder, a dataset). Replacing
 * it would delete them.
 */
async function refuseForeignFolder(target: string): Promise<void> {
  if (!existsSync(target)) return;
  if (!(await stat(target)).isDirectory()) throw new CheckpointError(target, 'exists and is not a folder; export into a new or an earlier export folder');
  const entries = await readdir(target, { withFileTypes: true });
  if (entries.length === 0) return;
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (folders.length > 0) throw new CheckpointError(target, `holds folders (${folders.slice(0, 3).join(', ')}), so it is not a model folder this export may replace; export into a new folder`);
  if (!entries.some((e) => e.name === 'config.json' || e.name === 'adapter_config.json')) {
    throw new CheckpointError(target, 'holds files but no config.json or adapter_config.json, so it is not a model folder this export may replace; export into a new folder');
  }
}

/**
 * Writes a folder through `write(staging)` into a fresh sibling folder, then puts it in place of
 * `dir` (whose earlier contents, if it was a model folder, are removed only once the new folder is
 * in place). Leftovers of writes that were killed are swept first.
 *
 * @example
 * await replaceFolder('exports/policy', async (staging) => { await writeWeights(staging, weights, layout); });
 */
export async function replaceFolder(dir: string, write: (staging: string) => Promise<void>): Promise<void> {
  const target = resolve(dir);
  await refuseForeignFolder(target);
  // Staging folders of earlier writes whose process was killed.
  await removeFoldersOfEndedProcesses(dirname(target), `${basename(target)}${STAGING}`);
  const staging = `${target}${STAGING}${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await write(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (!existsSync(target)) {
    await rename(staging, target);
    return;
  }
  // Two renames: between them the old folder waits under another name (reported by loadModel if a
  // crash strikes there), and only then is it deleted.
  const replaced = `${target}${REPLACED}${process.pid}-${Date.now()}`;
  await rename(target, replaced);
  await rename(staging, target);
  await rm(replaced, { recursive: true, force: true });
}

/** Folders a killed {@link replaceFolder} left beside `dir` holding its earlier version. */
export async function replacedVersionsOf(dir: string): Promise<string[]> {
  const target = resolve(dir);
  const parent = dirname(target);
  if (!existsSync(parent)) return [];
  return (await readdir(parent)).filter((name) => name.startsWith(`${basename(target)}${REPLACED}`)).map((name) => join(parent, name));
}
