import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IadR1Error } from '@iad-r1/errors';

/** A file a worker thread must load is not built yet (worker threads run the built JavaScript). */
export class NotBuiltError extends IadR1Error {
  override readonly name = 'NotBuiltError';
  constructor(
    readonly file: string,
    packageName: string,
  ) {
    super(`${file} is missing: worker threads run ${packageName}'s built code; run \`pnpm build\` (or \`npx tsup\` in the package) first`);
  }
}

/**
 * The path of `relative` (e.g. `dist/tfjs/data-parallel-worker.js`) in the package `packageName`
 * that contains the module at `moduleUrl`, whether that module runs from `src/` (tests) or
 * `dist/`: worker threads need a built file either way.
 *
 * @example
 * builtFile(import.meta.url, '@iad-r1/grpo', 'dist/grpo-shard.js');
 */
export function builtFile(moduleUrl: string, packageName: string, relative: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === packageName) break;
    const parent = dirname(dir);
    if (parent === dir) throw new RangeError(`no package.json of ${packageName} above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
  const file = join(dir, relative);
  if (!existsSync(file)) throw new NotBuiltError(file, packageName);
  return file;
}
