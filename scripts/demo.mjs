// `pnpm demo`: builds (via the package script), then runs the two-stage pipeline of
// examples/two-stage on the embedded synthetic dataset. Extra arguments pass through:
//   pnpm demo -- --quick        pnpm demo -- --out /tmp/demo --seed 1
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../examples/two-stage/run.mjs', import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== '--');
const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
