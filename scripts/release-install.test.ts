import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM scripts without types
import { startLocalRegistry } from './local-registry.mjs';
// @ts-expect-error — plain ESM scripts without types
import { packRelease } from './pack-release.mjs';
// @ts-expect-error — plain ESM scripts without types
import { quickStartSnippet } from './pack-smoke.mjs';

// Issue #41: a release that could be published tomorrow, tried as its users would. Every public
// package is packed and published to a throw-away registry on 127.0.0.1; a fresh npm project
// installs only @iad-r1/rewards with the README's own install line and runs the README's snippets,
// the CLI and the server; the Python wheel goes into a new venv and runs the README's Python block
// against that server.

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'packages', 'rewards', 'README.md'), 'utf8');

type Registry = { url: string; npmrc: string; stop: () => Promise<void> };
let registry: Registry;
let release: { tarballs: string[]; wheel: string };
let work: string;

/** The shell lines of the first ```sh block of the README that contains `marker`. */
function shellLines(marker: string): string[] {
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.includes(marker));
  if (!block) throw new Error(`no sh block with ${marker} in packages/rewards/README.md`);
  return block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

function marked(mark: string, language: string): string {
  const match = new RegExp(`<!-- ${mark} -->\\n\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`no block marked ${mark}`);
  return match[1] as string;
}

// A user's shell: without the npm_config_* variables `pnpm test` exports to its children (its
// registry among them), so npm reads the project's .npmrc as it would for the user.
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key)));

const sh = (command: string, cwd: string, env: NodeJS.ProcessEnv = userEnv) => execFileSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Stops a server started by {@link startServer}, with everything npx started for it. */
function stopServer(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
}

/** Starts `command` (a server that prints {"url": …} on stdout) and resolves with the url. */
function startServer(command: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv): Promise<{ url: string; child: ChildProcess }> {
  // Its own process group: npx runs the server as a child, and stopping npx alone would leave it.
  const child = spawn(command[0] as string, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let text = '';
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${errors}`)));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'iad-r1-release-'));
  release = packRelease(join(work, 'release'));
  registry = (await startLocalRegistry()) as Registry;
  for (const tarball of release.tarballs) execFileSync('npm', ['publish', tarball, '--userconfig', registry.npmrc, '--registry', `${registry.url}/`, '--loglevel=error'], { env: userEnv, stdio: ['ignore', 'ignore', 'pipe'] });
}, 300_000);

afterAll(async () => {
  await registry?.stop();
});

describe('a release, installed as users install it', () => {
  it('packs every public package with real versions for its workspace dependencies', () => {
    expect(release.tarballs).toHaveLength(11);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', release.tarballs.find((t) => t.includes('iad-r1-rewards-')) as string, 'package/package.json'], { encoding: 'utf8' })) as { dependencies: Record<string, string> };
    for (const [name, range] of Object.entries(manifest.dependencies)) expect(range, name).not.toMatch(/^workspace:/);
    expect(manifest.dependencies['@iad-r1/cot-schema']).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it("installs only @iad-r1/rewards from the registry with the README's line, and its snippets, CLI and server run", async () => {
    const project = join(work, 'npm-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    // Where the registry is: the user's npm config, here the project's.
    writeFileSync(join(project, '.npmrc'), `registry=${registry.url}/\n`);
    const install = shellLines('npm install @iad-r1/rewards');
    expect(install).toEqual(['npm install @iad-r1/rewards']);
    for (const line of install) sh(`${line} --no-audit --no-fund --loglevel=error`, project);
    const installed = JSON.parse(sh('npm ls --all --json', project)) as { dependencies: Record<string, { dependencies?: Record<string, unknown> }> };
    expect(Object.keys(installed.dependencies)).toEqual(['@iad-r1/rewards']);
    expect(Object.keys(installed.dependencies['@iad-r1/rewards']?.dependencies ?? {}).sort()).toEqual(['@iad-r1/cot-schema', '@iad-r1/errors', '@iad-r1/grid', 'commander', 'difflib', 'zod']);

    writeFileSync(join(project, 'quick-start.mjs'), quickStartSnippet(readme) as string);
    expect(sh('node quick-start.mjs', project)).toContain('total');
    writeFileSync(join(project, 'commonjs.cjs'), marked('registry-test: cjs', 'js'));
    expect(sh('node commonjs.cjs', project).trim()).toBe('2');

    writeFileSync(join(project, 'completions.jsonl'), `${JSON.stringify({ completion: '<think>Uniform.</think><answer>no</answer>', solution: '<answer>No</answer>' })}\n`);
    expect(JSON.parse(sh('npx iad-r1-rewards score completions.jsonl', project))).toMatchObject({ total: 2 });

    const { url, child } = await startServer(['npx', 'iad-r1-rewards', 'serve', '--port', '0'], project);
    try {
      const scored = (await (await fetch(`${url}/score`, { method: 'POST', body: JSON.stringify({ completions: ['<think>Uniform.</think><answer>no</answer>'], solutions: ['<answer>No</answer>'] }) })).json()) as { rewards: number[] };
      expect(scored.rewards).toEqual([2]);
    } finally {
      stopServer(child);
    }
  });

  it("installs from the four tarballs with the README's one command", () => {
    const project = join(work, 'tarball-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    execFileSync('cp', ['-r', join(work, 'release'), join(project, 'release')]);
    // Their third-party dependencies come from a registry; ours only from the tarballs.
    writeFileSync(join(project, '.npmrc'), `registry=${registry.url}/\n`);
    const [line] = shellLines('./release/iad-r1-rewards-*.tgz');
    sh(`${line} --no-audit --no-fund --loglevel=error`, project);
    writeFileSync(join(project, 'commonjs.cjs'), marked('registry-test: cjs', 'js'));
    expect(sh('node commonjs.cjs', project).trim()).toBe('2');
  });

  it("installs the wheel into a new venv, and the README's Python block runs against `npx @iad-r1/rewards serve`", async () => {
    const venv = join(work, 'venv');
    execFileSync('python3', ['-m', 'venv', venv]);
    sh(`${join(venv, 'bin', 'python')} -m pip install --no-index --quiet ${release.wheel}`, work);
    // A Python-only user: an empty folder, npx fetching the package from the registry.
    const empty = join(work, 'python-user');
    mkdirSync(empty);
    writeFileSync(join(empty, '.npmrc'), `registry=${registry.url}/\n`);
    const { url, child } = await startServer(['npx', '--yes', '@iad-r1/rewards', 'serve', '--port', '0'], empty, { ...userEnv, npm_config_cache: join(work, 'npx-cache') });
    try {
      writeFileSync(join(empty, 'trl_rewards.py'), marked('wheel-test: runs', 'python'));
      const output = sh(`${join(venv, 'bin', 'python')} trl_rewards.py`, empty, { ...userEnv, IAD_R1_REWARD_URL: url, PYTHONPATH: '' });
      expect(output.trim()).toBe("['consistency', 'answer', 'location', 'type'] 2.0");
      // The module came from the venv, not from the source tree.
      expect(sh(`${join(venv, 'bin', 'python')} -c "import iad_r1_rewards; print(iad_r1_rewards.__file__)"`, empty).trim()).toMatch(new RegExp(`^${venv}/lib/python3\\.\\d+/site-packages/iad_r1_rewards\\.py$`));
    } finally {
      stopServer(child);
    }
  });
});
