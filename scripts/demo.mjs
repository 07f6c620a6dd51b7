// `pnpm demo`: the two-stage pipeline (synthetic data → PA-SFT → SC-GRPO → evaluation) lives in
// examples/two-stage once the datasets, models, sft, grpo and eval packages land. Until then this
// says so plainly instead of printing numbers it did not measure.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const example = fileURLToPath(new URL('../examples/two-stage/package.json', import.meta.url));
if (!existsSync(example)) {
  console.error('iad-r1 demo: the two-stage pipeline is not yet available in this version.');
  console.error('What works today: the rewards (packages/rewards), the grid geometry (packages/grid), the');
  console.error('record formats and converters (packages/cot-schema) and the datasets (packages/datasets). Try:');
  console.error('  pnpm build && node packages/datasets/dist/cli.js synth --out data/synthetic --seed 0');
  console.error('  node packages/rewards/dist/cli.js serve --port 8000');
  process.exit(0);
}
const result = spawnSync('pnpm', ['--filter', './examples/two-stage', 'start', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
