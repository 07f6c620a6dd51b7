import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const packages = fileURLToPath(new URL('../..', import.meta.url));
/** The built command-line tools of the workspace (`pnpm test` builds them first). */
export const CLI = {
  recipes: join(packages, 'recipes', 'dist', 'cli.js'),
  rewards: join(packages, 'rewards', 'dist', 'cli.js'),
  eval: join(packages, 'eval', 'dist', 'cli.js'),
  expertAd: join(packages, 'expert-ad', 'dist', 'cli.js'),
};

/**
 * An Expert-AD integration folder made the way a user makes one offline: the synthetic set and
 * the template describer, every record auto-accepted (8 training categories × 1 anomalous + 1 normal).
 */
export async function expertAdFolder(dir: string): Promise<string> {
  const out = join(dir, 'expert-ad');
  await run('node', [CLI.expertAd, 'all', '--source', 'synthetic', '--root', join(dir, 'synthetic'), '--out', out, '--describer', 'template', '--auto-accept', '--per-category', '1'], { maxBuffer: 1 << 24 });
  return out;
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `iad-r1-recipes-${name}-`));
}

/**
 * A stand-in for an engine's command (python3, llamafactory-cli, accelerate, trl, vllm): it records
 * how the launch script called it — arguments, working directory, the variables the scripts set —
 * and exits 0. It is the counterpart of our scripts, not a training run.
 */
export function fakeEngine(dir: string): { path: string; calls: () => Array<{ argv: string[]; cwd: string; env: Record<string, string | undefined> }> } {
  const log = join(dir, 'engine-calls.jsonl');
  const path = join(dir, 'fake-engine.mjs');
  writeFileSync(
    path,
    [
      '#!/usr/bin/env node',
      "import { appendFileSync } from 'node:fs';",
      "const env = Object.fromEntries(['FORCE_TORCHRUN', 'NPROC_PER_NODE', 'CUDA_VISIBLE_DEVICES', 'IAD_R1_REWARD_URL'].map((k) => [k, process.env[k]]));",
      `appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), env }) + '\\n');`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
      } catch {
        return [];
      }
    },
  };
}

/**
 * Starts the recipe's `rewards/serve.sh` with the workspace's reward CLI (or, given a preset, the
 * CLI directly with that preset); resolves with its URL.
 */
export async function startRewardServer(recipe: string, options: { port?: number; preset?: string } = {}): Promise<{ url: string; process: ChildProcess; stop: () => Promise<void> }> {
  const port = String(options.port ?? 0);
  const child = options.preset
    ? spawn('node', [CLI.rewards, 'serve', '--port', port, '--preset', options.preset], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('bash', [join(recipe, 'rewards', 'serve.sh')], { env: { ...process.env, IAD_R1_REWARDS: `node ${CLI.rewards}`, IAD_R1_REWARD_PORT: port }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"([^"]+)"/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`rewards/serve.sh exited ${code}: ${err}`)));
  });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { url, process: child, stop };
}

/** Runs a Python snippet with python3, the given folder first on sys.path; parses its last stdout line as JSON. */
export async function python<T>(code: string, options: { path?: string[]; env?: Record<string, string> } = {}): Promise<T> {
  const { stdout } = await run('python3', ['-c', code], { env: { ...process.env, PYTHONPATH: (options.path ?? []).join(':'), ...(options.env ?? {}) }, maxBuffer: 1 << 24 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

/** Parses a YAML file with PyYAML, the parser LLaMA-Factory and EasyR1 (through OmegaConf) read them with. */
export function pyYaml<T>(file: string): Promise<T> {
  return python<T>(`import json, sys, yaml; print(json.dumps(yaml.safe_load(open(${JSON.stringify(file)}, encoding="utf-8"))))`);
}

/** Dotted paths of every leaf of a parsed config (lists and null are leaves). */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}
