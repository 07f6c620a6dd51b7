import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process with this id exists (one of another user's counts: the kernel says EPERM). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `parent` named `${prefix}${pid}-…` whose process has ended: the temporary
 * folders a killed process could not clean up. Returns how many were removed.
 *
 * @example
 * await removeFoldersOfEndedProcesses(tmpdir(), 'iad-r1-workers-');
 */
export async function removeFoldersOfEndedProcesses(parent: string, prefix: string): Promise<number> {
  if (!existsSync(parent)) return 0;
  let removed = 0;
  for (const name of await readdir(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
