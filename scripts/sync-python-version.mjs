// Sets the Python wheel's version to @iad-r1/rewards' (run after `changeset version`, which
// bumps package.json files only).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../packages/rewards/package.json', import.meta.url));
const pyproject = fileURLToPath(new URL('../packages/rewards/python/pyproject.toml', import.meta.url));
const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
const text = readFileSync(pyproject, 'utf8');
const updated = text.replace(/^version = ".*"$/m, `version = "${version}"`);
if (updated === text && !text.includes(`version = "${version}"`)) throw new Error(`${pyproject} has no version line`);
writeFileSync(pyproject, updated);
console.log(`${pyproject}: version ${version}`);
