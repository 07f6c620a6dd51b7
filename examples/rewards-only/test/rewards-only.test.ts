import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../score.mjs', import.meta.url));

describe('examples/rewards-only', () => {
  it('scores the sample completions', async () => {
    const { stdout } = await run('node', [script]);
    const totals = JSON.parse(stdout.trim().split('\n').pop() as string) as number[];
    // By hand (paper preset): 1+1; 1+1+1+0.85 ("scratch mark" contains "scratch"); format 1 + wrong answer;
    // no tags at all: 0; chat message: 1+1+1 (lower right = bottom right) + R_t("wear","abrasion") = 0.85.
    expect(totals).toEqual([2, 3.85, 1, 0, 3.85]);
    expect(stdout).toContain('2. paper 3.850 (format 1, answer 1, location 1, type 0.850) · reference 2.925');
  });
});

describe('examples/rewards-only: training with a Python engine', () => {
  it('runs the README\'s commands: an Expert-AD set, the recipe folders, the reward server', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const repo = fileURLToPath(new URL('../../..', import.meta.url));
    const block = readme.split('## Training with a Python engine')[1]?.split('```sh\n')[1]?.split('```')[0] ?? '';
    const commands = block.trim().split('\n');
    expect(commands).toHaveLength(3);
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-rewards-only-'));
    // The README's paths, moved under this test's folder.
    const local = (command: string) => command.replaceAll('/tmp/iad-r1-', `${dir}/`).split(' ');
    for (const command of commands.slice(0, 2)) {
      const [program, ...args] = local(command);
      await run(program as string, args, { cwd: repo, maxBuffer: 1 << 24 });
    }
    for (const folder of ['sc-grpo-trl', 'sc-grpo-verl', 'sc-grpo-easyr1', 'sc-grpo-openrlhf']) expect(existsSync(join(dir, 'recipe', folder, 'train.sh'))).toBe(true);
    // The third starts the reward server; here on a free port, with the workspace's CLI.
    const [bash, script] = local((commands[2] as string).replace(/ &$/, ''));
    const server = spawn(bash as string, [script as string], { env: { ...process.env, IAD_R1_REWARDS: `node ${join(repo, 'packages', 'rewards', 'dist', 'cli.js')}`, IAD_R1_REWARD_PORT: '0' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.stdout.on('data', (chunk: Buffer) => {
          const match = /"url":"([^"]+)"/.exec(chunk.toString());
          if (match) resolve(match[1] as string);
        });
        server.on('exit', (code) => reject(new Error(`serve.sh exited ${code}`)));
      });
      expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok', preset: 'reference' });
    } finally {
      server.kill('SIGTERM');
    }
  }, 180_000);
});
