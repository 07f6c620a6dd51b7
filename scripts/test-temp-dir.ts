import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests make their scratch folders with `mkdtemp(os.tmpdir())`; pointing TMPDIR at one folder per
// run, before the workers start (they and the processes tests spawn inherit it), lets the run remove
// everything at the end instead of leaving a few hundred folders in /tmp per run.
// IAD_R1_KEEP_TEST_TMP=1 keeps the folder, to look at a failed test's files.
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.IAD_R1_KEEP_TEST_TMP === '1') process.stderr.write(`test scratch folders kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
