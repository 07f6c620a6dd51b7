// Packs the publishable packages, installs the tarballs into an empty project with plain npm
// (as a user would), and checks what a user gets: ESM and CJS imports, type declarations, the
// CLI bins, the README quick-start snippets, and that nothing heavy (tfjs, sharp) comes along.
//   node scripts/pack-smoke.mjs [package …]      (after `pnpm build`)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const HEAVY = ['@tensorflow', 'sharp', '@img'];

function sh(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The first ```js block after a "## Quick start" heading of a README. */
export function quickStartSnippet(readme) {
  const section = readme.split(/^## Quick start\s*$/m)[1];
  const match = section && /```js\n([\s\S]*?)```/.exec(section);
  return match ? match[1] : undefined;
}

/** Further ```js blocks a README marks to be run, each right after a `<!-- pack-smoke: runs -->` line. */
export function markedSnippets(readme) {
  return [...readme.matchAll(/^<!-- pack-smoke: runs -->\n```js\n([\s\S]*?)```/gm)].map((m) => m[1]);
}

function installedPackages(nodeModules) {
  const names = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names;
}

/**
 * @param {string[]} packages folder names under packages/
 * @returns {{ dir: string, installed: string[], checks: string[] }}
 */
export function packSmoke(packages, { forbidHeavy = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-pack-'));
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  const checks = [];
  for (const name of packages) {
    sh('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  }
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], project);
  const installed = installedPackages(join(project, 'node_modules'));
  if (forbidHeavy) {
    const heavy = installed.filter((n) => HEAVY.some((h) => n === h || n.startsWith(`${h}/`)));
    if (heavy.length > 0) throw new Error(`heavy dependencies installed: ${heavy.join(', ')}`);
    checks.push(`no ${HEAVY.join('/')} among ${installed.length} installed packages`);
  }

  for (const name of packages) {
    const pkg = `@iad-r1/${name}`;
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', pkg, 'package.json'), 'utf8'));
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'README.md']) {
      if (!existsSync(join(project, 'node_modules', pkg, file))) throw new Error(`${pkg} tarball lacks ${file}`);
    }
    if (existsSync(join(project, 'node_modules', pkg, 'src'))) throw new Error(`${pkg} tarball ships src/`);
    const esm = sh('node', ['--input-type=module', '-e', `import * as m from '${pkg}'; console.log(Object.keys(m).length)`], project);
    const cjs = sh('node', ['-e', `console.log(Object.keys(require('${pkg}')).length)`], project);
    if (Number(esm) < 1 || esm.trim() !== cjs.trim()) throw new Error(`${pkg}: ESM exports ${esm.trim()}, CJS exports ${cjs.trim()}`);
    checks.push(`${pkg}@${manifest.version}: ESM and CJS both export ${esm.trim()} names`);
    for (const subpath of Object.keys(manifest.exports ?? {}).filter((k) => k !== '.' && !k.endsWith('.json'))) {
      const spec = `${pkg}${subpath.slice(1)}`;
      const subEsm = sh('node', ['--input-type=module', '-e', `import * as m from '${spec}'; console.log(Object.keys(m).length)`], project);
      const subCjs = sh('node', ['-e', `console.log(Object.keys(require('${spec}')).length)`], project);
      if (Number(subEsm) < 1 || subEsm.trim() !== subCjs.trim()) throw new Error(`${spec}: ESM exports ${subEsm.trim()}, CJS exports ${subCjs.trim()}`);
      checks.push(`${spec}: ESM and CJS both export ${subEsm.trim()} names`);
    }
    for (const bin of Object.keys(manifest.bin ?? {})) {
      const help = sh(join(project, 'node_modules', '.bin', bin), ['--help'], project);
      if (!help.includes('Usage:')) throw new Error(`${bin} --help printed no usage`);
      checks.push(`${bin} --help runs from node_modules/.bin`);
      const printed = sh(join(project, 'node_modules', '.bin', bin), ['--version'], project).trim();
      if (printed !== manifest.version) throw new Error(`${bin} --version printed ${JSON.stringify(printed)}, not ${manifest.version}`);
      checks.push(`${bin} --version prints ${manifest.version}`);
    }
    const snippet = quickStartSnippet(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8'));
    if (!snippet) throw new Error(`${pkg} README has no \`\`\`js block under "## Quick start"`);
    const file = join(project, `${name}-quick-start.mjs`);
    writeFileSync(file, snippet);
    const output = sh('node', [file], project);
    checks.push(`${pkg} README quick start runs (${output.trim().split('\n').length} line(s) of output)`);
    for (const [i, marked] of markedSnippets(readFileSync(join(root, 'packages', name, 'README.md'), 'utf8')).entries()) {
      const markedFile = join(project, `${name}-snippet-${i + 1}.mjs`);
      writeFileSync(markedFile, marked);
      const markedOutput = sh('node', [markedFile], project);
      checks.push(`${pkg} README snippet ${i + 1} runs (${markedOutput.trim().split('\n').length} line(s) of output)`);
    }
  }
  return { dir, installed, checks };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const packages = process.argv.slice(2);
  const light = packSmoke(packages.length > 0 ? packages : ['errors', 'grid', 'cot-schema', 'rewards']);
  for (const check of light.checks) console.log(`ok  ${check}`);
  if (packages.length === 0) {
    for (const check of packSmoke(['errors', 'grid', 'cot-schema', 'rewards', 'datasets', 'models', 'eval', 'sft', 'grpo', 'expert-ad', 'recipes'], { forbidHeavy: false }).checks) console.log(`ok  ${check}`);
  }
}
