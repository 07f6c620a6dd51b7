import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { type RunningRewardServer, createRewardServer, startRewardServer } from '../src/server/index';
import { scGrpoReward } from '../src/index';

const run = promisify(execFile);
const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>scratch</type><answer>Yes</answer>';
const normalAnswer = '<think>Uniform.</think><answer>no</answer>';
const anomalousAnswer = '<think>A line.</think><location>upper left</location><type>scratch mark</type><answer>yes</answer>';

let server: RunningRewardServer;

beforeAll(async () => {
  server = await startRewardServer({ port: 0, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('reward server', () => {
  it('binds loopback and reports health', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/health`);
    // Paper eq. 9: every weight 1, location and type counted only where the answer is right.
    const component = (name: string, gate?: string) => ({ name, description: expect.any(String), weight: 1, ...(gate ? { gate } : {}) });
    expect(await response.json()).toEqual({
      status: 'ok',
      preset: 'paper',
      presets: ['paper', 'reference'],
      gridSize: 3,
      components: [component('consistency'), component('answer'), component('location', 'answer'), component('type', 'answer')],
      maxBodyBytes: 64 * 1024,
      maxFieldChars: 32_768,
    });
    // HEAD is how load balancers and curl -I probe a service.
    const head = await fetch(`${server.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses a scored text over maxFieldChars by path', async () => {
    const small = await startRewardServer({ port: 0, maxFieldChars: 100, log: () => undefined });
    try {
      const response = await fetch(`${small.url}/score`, { method: 'POST', body: JSON.stringify({ completions: ['<answer>no</answer>', `<type>${'x'.repeat(100)}</type>`], solutions: [NO, NO] }) });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({ error: '1 field(s) longer than the limit of 100 characters', issues: [{ path: 'completions.1', message: '113 characters, more than the limit of 100 (--max-field-chars)' }] });
    } finally {
      await small.close();
    }
    // /health while a costly batch is scored: test/server-limits.test.ts.
  });

  it('refuses nonsensical limits at start-up', () => {
    expect(() => createRewardServer({ maxBodyBytes: Number.NaN })).toThrow('maxBodyBytes must be a whole number ≥ 1, got NaN');
    expect(() => createRewardServer({ maxFieldChars: -5 })).toThrow('maxFieldChars must be a whole number ≥ 1, got -5');
  });

  it('logs a client that went away as one line, not an internal-error stack', async () => {
    const lines: string[] = [];
    const quiet = await startRewardServer({ port: 0, log: (line) => lines.push(line) });
    try {
      const { port } = new URL(quiet.url);
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write('POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"completions": [');
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe('reward server: POST /score: the client closed the connection before the answer');
    } finally {
      await quiet.close();
    }
  });

  it('speaks OpenRLHF /get_reward: response = query minus prompt, labels = solutions', async () => {
    const prompt = 'PROMPT<think>';
    const { status, body } = await post('/get_reward', {
      // The prompt prefix is cut before scoring: "PROMPT<think>" + "a</think>…" would otherwise still match.
      query: [`${prompt}a</think><answer>no</answer>`, anomalousAnswer],
      prompts: [prompt, ''],
      labels: [NO, YES],
    });
    expect(status).toBe(200);
    // First: the response "a</think><answer>no</answer>" lacks <think>, so R_c = 0, R_a = 1.
    expect(body.rewards).toEqual([1, scGrpoReward(anomalousAnswer, YES).total]);
    expect(body.scores).toEqual(body.rewards);
    expect(body.extra_logs).toEqual({ consistency: [0, 1], answer: [1, 1], location: [0, 1], type: [0, 0.85] });
    expect((await post('/get_reward', { query: [], labels: [] })).body).toEqual({
      rewards: [],
      scores: [],
      extra_logs: { consistency: [], answer: [], location: [], type: [] },
    });
  });

  it('scores batches on /score, including chat-message completions', async () => {
    const { status, body } = await post('/score', {
      completions: [normalAnswer, [{ role: 'assistant', content: anomalousAnswer }]],
      solutions: [NO, YES],
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      rewards: [2, 3.85],
      components: { consistency: [1, 1], answer: [1, 1], location: [0, 1], type: [0, 0.85] },
    });
  });

  it('rejects malformed JSON (400), wrong shapes (422 with paths), big bodies (413), unknown routes', async () => {
    expect((await post('/score', '{"completions": [')).status).toBe(400);
    const shape = await post('/score', { completions: ['a', 7], solutions: ['x', 'y'] });
    expect(shape.status).toBe(422);
    expect(shape.body.issues).toEqual([{ path: 'completions.1', message: 'expected a string or a list of chat messages' }]);
    const lengths = await post('/score', { completions: ['a', 'b'], solutions: ['x'] });
    expect(lengths.body.issues).toEqual([{ path: 'solutions', message: 'expected 2 solutions (one per completion), got 1' }]);
    const labels = await post('/get_reward', { query: ['a'], labels: [] });
    expect(labels.status).toBe(422);
    expect((labels.body.issues as Array<{ path: string }>)[0]?.path).toBe('labels');
    const big = await post('/score', { completions: ['x'.repeat(100_000)], solutions: [NO] });
    expect(big.status).toBe(413);
    expect(String(big.body.error)).toMatch(/exceeds the limit of 65536/);
    // Past 8× the cap the server answers 413 without reading on, and closes the connection.
    const huge = await fetch(`${server.url}/score`, { method: 'POST', headers: { 'content-length': String(10 * 64 * 1024) }, body: 'x'.repeat(10 * 64 * 1024) }).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/score`)).status).toBe(405);
    // Still healthy afterwards.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('serves the Python stdlib client and engine shims (python3 against the live server)', async () => {
    const dir = fileURLToPath(new URL('../python/', import.meta.url));
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(dir)})
import iad_r1_rewards as r
from reward_client import score, openrlhf_get_reward
r.BASE_URL = ${JSON.stringify(server.url)}
c, s = [${JSON.stringify(normalAnswer)}, [{"role": "assistant", "content": ${JSON.stringify(anomalousAnswer)}}]], [${JSON.stringify(NO)}, ${JSON.stringify(YES)}]
out = {
  "trl": [f(c, s) for f in r.trl_reward_funcs()],
  "trl_total": r.trl_total_reward(c, s),
  "verl": r.compute_score("iad-r1", ${JSON.stringify(anomalousAnswer)}, ${JSON.stringify(YES)}, {}),
  "easyr1": r.easyr1_compute_score([{"response": ${JSON.stringify(normalAnswer)}, "ground_truth": ${JSON.stringify(NO)}, "response_length": 9}]),
  "client": score(${JSON.stringify(server.url)}, [${JSON.stringify(normalAnswer)}], [${JSON.stringify(NO)}]),
  "openrlhf": openrlhf_get_reward(${JSON.stringify(server.url)}, ["P" + ${JSON.stringify(normalAnswer)}], ["P"], [${JSON.stringify(NO)}]),
}
print(json.dumps(out))
`;
    const { stdout } = await run('python3', ['-c', script]);
    const out = JSON.parse(stdout);
    expect(out.trl).toEqual([
      [1, 1],
      [1, 1],
      [0, 1],
      [0, 0.85],
    ]);
    expect(out.trl_total).toEqual([2, 3.85]);
    expect(out.verl).toEqual({ score: 3.85, consistency: 1, answer: 1, location: 1, type: 0.85 });
    expect(out.easyr1).toEqual([{ overall: 2, consistency: 1, answer: 1, location: 0, type: 0 }]);
    expect(out.client.rewards).toEqual([2]);
    expect(out.openrlhf.rewards).toEqual([2]);
  });
});
