import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A fifth reward arrives as one file (test/fixtures/brevity-reward.mjs) and one flag; the CLI, the
// server and the Python shim all show it without any edit of this package. Runs the built CLI.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const brevity = fileURLToPath(new URL('./fixtures/brevity-reward.mjs', import.meta.url));
const pythonDir = fileURLToPath(new URL('../python/', import.meta.url));
const run = promisify(execFile);

const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>hole</type><answer>Yes</answer>';
// Short: 2 words of thought. Everything right for a normal image → paper 1 + 1 + 0.5·1 = 2.5.
const terse = '<think>Uniform texture.</think><answer>no</answer>';
// Six words of thought, all else right for an anomaly → 1 + 1 + 1 + 1 + 0.5·0 = 4.
const wordy = '<think>one two three four five six</think><location>top left</location><type>hole</type><answer>yes</answer>';

function jsonlFile(rows: object[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'iad-r1-custom-')), 'in.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

function serve(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn('node', [cli, 'serve', ...args]);
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve({ child, url: JSON.parse(d.toString()).url }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('a reward module added with --reward-module', () => {
  it('is scored and reported by iad-r1-rewards score and list', async () => {
    const file = jsonlFile([
      { completion: terse, solution: NO },
      { completion: wordy, solution: YES },
    ]);
    const lines = (await run('node', [cli, 'score', '--reward-module', brevity, file])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { total: 2.5, components: { consistency: 1, answer: 1, location: 0, type: 0, brevity: 1 } },
      { total: 4, components: { consistency: 1, answer: 1, location: 1, type: 1, brevity: 0 } },
    ]);
    // The module's own preset: answer + brevity only (its weight 1 replaces the default 0.5).
    const tersePreset = (await run('node', [cli, 'score', '--reward-module', brevity, '--preset', 'terse', file])).stdout.trim().split('\n');
    expect(tersePreset.map((l) => JSON.parse(l).total)).toEqual([2, 1]);
    // A multiplier on the new name is accepted like any built-in one.
    const weighted = (await run('node', [cli, 'score', '--reward-module', brevity, '--weights', '{"brevity":4}', file])).stdout.trim().split('\n');
    expect(weighted.map((l) => JSON.parse(l).total)).toEqual([4, 4]);

    const listed = JSON.parse((await run('node', [cli, 'list', '--reward-module', brevity])).stdout);
    expect(listed.presets).toEqual(['paper', 'reference', 'terse']);
    expect(listed.components.map((c: { name: string; weight: number }) => [c.name, c.weight])).toEqual([
      ['consistency', 1],
      ['answer', 1],
      ['location', 1],
      ['type', 1],
      ['brevity', 0.5],
    ]);
  });

  it('is refused with the file and reason when it is broken, and unknown weights name the registered rewards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-custom-'));
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, "export const rewards = [{ name: 'Bad Name', score: () => [] }];\n");
    const failed = await run('node', [cli, 'list', '--reward-module', broken]).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain(`${broken}: reward name "Bad Name" must be lower case`);
    const noScore = join(dir, 'no-score.mjs');
    writeFileSync(noScore, "export const rewards = [{ name: 'judge' }];\n");
    const missing = await run('node', [cli, 'list', '--reward-module', noScore]).catch((error: { stderr: string }) => error);
    expect((missing as { stderr: string }).stderr).toContain(`${noScore}: export rewards.0.score: must be a function`);
    const typo = await run('node', [cli, 'list', '--weights', '{"brevity":1}']).catch((error: { stderr: string }) => error);
    expect((typo as { stderr: string }).stderr).toContain('weights: no reward named "brevity"; registered: consistency, answer, location, type');
  });
});

describe('a reward module on the server, seen through HTTP and the Python shim', () => {
  let server: { child: ChildProcessWithoutNullStreams; url: string };
  beforeAll(async () => {
    server = await serve(['--port', '0', '--reward-module', brevity]);
  });
  afterAll(async () => {
    if (server.child.exitCode === null) await stop(server.child);
  });

  it('publishes the component on /health and scores it on /score', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { components: { name: string }[]; presets: string[] };
    expect(health.components.map((c) => c.name)).toEqual(['consistency', 'answer', 'location', 'type', 'brevity']);
    expect(health.presets).toContain('terse');
    const response = await fetch(`${server.url}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ completions: [terse, wordy], solutions: [NO, YES], extras: [{ image: 'a.png' }, null] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      rewards: [2.5, 4],
      components: { consistency: [1, 1], answer: [1, 1], location: [0, 1], type: [0, 1], brevity: [1, 0] },
    });
  });

  it('reaches every Python entry point with one HTTP call per batch, None on outage for TRL, and recovers', async () => {
    const port = new URL(server.url).port;
    const script = `
import json, sys, asyncio, urllib.request, warnings
sys.path.insert(0, ${JSON.stringify(pythonDir)})
import iad_r1_rewards as r
r.BASE_URL = ${JSON.stringify(server.url)}
r.RETRIES, r.BACKOFF = 1, 0.05
calls = []
real_urlopen = urllib.request.urlopen
def counting_urlopen(request, *args, **kwargs):
    calls.append(request.full_url)
    return real_urlopen(request, *args, **kwargs)
urllib.request.urlopen = counting_urlopen

c, s = [${JSON.stringify(terse)}, [{"role": "assistant", "content": ${JSON.stringify(wordy)}}]], [${JSON.stringify(NO)}, ${JSON.stringify(YES)}]
out = {}
funcs = r.trl_reward_funcs()
out["names"] = [f.__name__ for f in funcs]
calls.clear()
# TRL's keywords: prompts, completion_ids, trainer_state and the dataset's other columns.
out["trl"] = [f(prompts=["p", "p"], completions=c, completion_ids=[[1], [2]], solution=s, image=["a.png", "b.png"], trainer_state=None) for f in funcs]
out["trl_calls"] = len(calls)
async def gather():
    fs = r.async_trl_reward_funcs()
    return await asyncio.gather(*[f(completions=c, solution=s, prompts=["p", "p"]) for f in fs])
calls.clear()
r._last["key"] = None
out["async_trl"] = asyncio.run(gather())
out["async_calls"] = len(calls)
out["verl"] = r.compute_score(data_source="iad", solution_str=${JSON.stringify(wordy)}, ground_truth=${JSON.stringify(YES)}, extra_info={}, reward_router_address=None, reward_model_tokenizer=None, my_reward_kwarg=1)
out["verl_batch"] = r.compute_score(data_sources=["iad", "iad"], solution_strs=[${JSON.stringify(terse)}, ${JSON.stringify(wordy)}], ground_truths=s, extra_infos=[{}, {}])
out["verl_async"] = asyncio.run(r.async_compute_score(data_source="iad", solution_str=${JSON.stringify(terse)}, ground_truth=${JSON.stringify(NO)}, extra_info=None))
out["easyr1"] = r.easyr1_compute_score([{"response": ${JSON.stringify(terse)}, "ground_truth": ${JSON.stringify(NO)}, "response_length": 5}], format_weight=0.1)
out["easyr1_one"] = r.easyr1_compute_score({"response": ${JSON.stringify(wordy)}, "ground_truth": ${JSON.stringify(YES)}})
# torch tensors where torch is installed, lists where not; compared as lists.
def plain(v):
    return v.tolist() if hasattr(v, "tolist") else {k: plain(x) for k, x in v.items()} if isinstance(v, dict) else v
out["openrlhf"] = plain(r.reward_func(["P" + ${JSON.stringify(terse)}], ["P"], [${JSON.stringify(NO)}]))
print(json.dumps(out), flush=True)

# The server is stopped by the test now; wait for the go-ahead on stdin.
sys.stdin.readline()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    down = {"trl": [f(completions=c, solution=s) for f in funcs]}
    down["warned"] = any("no answer from the iad-r1 reward server" in str(w.message) for w in caught)
try:
    r.compute_score(data_source="iad", solution_str="x", ground_truth=${JSON.stringify(NO)})
    down["verl"] = "no error"
except r.RewardServerError as error:
    down["verl"] = str(error)
print(json.dumps(down), flush=True)

# And restarted on the same port: the same batch reaches it again.
sys.stdin.readline()
print(json.dumps({"trl": [f(completions=c, solution=s) for f in funcs]}), flush=True)
`;
    const python = spawn('python3', ['-c', script]);
    const lines: string[] = [];
    let err = '';
    let pending = '';
    python.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const waiters: Array<() => void> = [];
    python.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      let at = pending.indexOf('\n');
      while (at >= 0) {
        lines.push(pending.slice(0, at));
        pending = pending.slice(at + 1);
        waiters.shift()?.();
        at = pending.indexOf('\n');
      }
    });
    const nextLine = async (k: number): Promise<Record<string, unknown>> => {
      if (lines.length <= k) await new Promise<void>((resolve, reject) => (waiters.push(resolve), python.once('exit', () => reject(new Error(`python exited: ${err}`)))));
      return JSON.parse(lines[k] as string);
    };

    const up = await nextLine(0);
    expect(up.names).toEqual(['iad_r1_consistency', 'iad_r1_answer', 'iad_r1_location', 'iad_r1_type', 'iad_r1_brevity']);
    expect(up.trl).toEqual([
      [1, 1],
      [1, 1],
      [0, 1],
      [0, 1],
      [1, 0],
    ]);
    expect(up.trl_calls).toBe(1);
    expect(up.async_trl).toEqual(up.trl);
    expect(up.async_calls).toBe(1);
    expect(up.verl).toEqual({ score: 4, consistency: 1, answer: 1, location: 1, type: 1, brevity: 0 });
    expect(up.verl_batch).toEqual([
      { score: 2.5, consistency: 1, answer: 1, location: 0, type: 0, brevity: 1 },
      { score: 4, consistency: 1, answer: 1, location: 1, type: 1, brevity: 0 },
    ]);
    expect(up.verl_async).toMatchObject({ score: 2.5, brevity: 1 });
    expect(up.easyr1).toEqual([{ overall: 2.5, consistency: 1, answer: 1, location: 0, type: 0, brevity: 1 }]);
    expect(up.easyr1_one).toMatchObject({ overall: 4, brevity: 0 });
    expect(up.openrlhf).toMatchObject({ rewards: [2.5], scores: [2.5], extra_logs: { brevity: [1] } });

    await stop(server.child);
    python.stdin.write('\n');
    const down = await nextLine(1);
    expect(down.trl).toEqual(Array.from({ length: 5 }, () => [null, null]));
    expect(down.warned).toBe(true);
    expect(down.verl).toMatch(new RegExp(`no answer from the iad-r1 reward server at ${server.url}/score after 2 attempts`));

    server = await serve(['--port', port, '--reward-module', brevity]);
    // Past the few seconds a failure is reused for one batch.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    python.stdin.write('\n');
    const again = await nextLine(2);
    expect(again.trl).toEqual(up.trl);
    python.stdin.end();
  }, 60_000);
});
