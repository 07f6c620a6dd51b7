import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A file that an installed package ships, read by its path inside the package. */
export function packageFile(packageName: string, path: string): string {
  return readFileSync(join(dirname(require.resolve(`${packageName}/package.json`)), path), 'utf8');
}

/** `@iad-r1/rewards`' Python shim, copied into every SC-GRPO folder. */
export const rewardShimText = (): string => packageFile('@iad-r1/rewards', 'python/iad_r1_rewards.py');
