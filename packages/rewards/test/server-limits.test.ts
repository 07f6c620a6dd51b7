import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LABEL_TYPE_CHARS, type RunningRewardServer, startRewardServer } from '../src/server/index';

// Issue #39, item 1: what the rewards score is counted, whatever form the completion takes, and
// /health stays responsive while the costliest request the limits allow is being scored.

let server: RunningRewardServer;
beforeAll(async () => {
  server = await startRewardServer({ port: 0, log: () => undefined });
});
afterAll(async () => {
  await server.close();
});

const postScore = (body: unknown) => fetch(`${server.url}/score`, { method: 'POST', body: JSON.stringify(body) });

// Type texts over a small alphabet of CJK characters: the costliest case for sequence similarity.
function typeText(length: number, seed: number): string {
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += String.fromCharCode(0x4e00 + (state % 200));
  }
  return text;
}

describe('reward server limits', () => {
  it('counts the text parts of a chat completion against --max-field-chars', async () => {
    const long = 'x'.repeat(1_000_000);
    const started = performance.now();
    const response = await postScore({ completions: [[{ role: 'assistant', content: [{ type: 'text', text: `<type>${long}</type>` }] }]], solutions: ['<answer>no</answer>'] });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ issues: [{ path: 'completions.0', message: '1000013 characters, more than the limit of 32768 (--max-field-chars)' }] });
    // Parts split across several text entries are counted together, as completionText joins them.
    const split = await postScore({ completions: [[{ role: 'assistant', content: Array.from({ length: 40 }, () => ({ type: 'text', text: 'y'.repeat(1000) })) }]], solutions: ['<answer>no</answer>'] });
    expect(split.status).toBe(422);
  });

  it(`refuses a label whose <type> text is over ${MAX_LABEL_TYPE_CHARS} characters, on both routes`, async () => {
    const label = `<location>top</location><type>${'a'.repeat(MAX_LABEL_TYPE_CHARS + 1)}</type><answer>yes</answer>`;
    const score = await postScore({ completions: ['<answer>yes</answer>'], solutions: [label] });
    expect(score.status).toBe(422);
    expect(await score.json()).toMatchObject({ issues: [{ path: 'solutions.0' }] });
    const openrlhf = await fetch(`${server.url}/get_reward`, { method: 'POST', body: JSON.stringify({ query: ['<answer>yes</answer>'], labels: [label] }) });
    expect(openrlhf.status).toBe(422);
    expect(await openrlhf.json()).toMatchObject({ issues: [{ path: 'labels.0' }] });
    // At the limit the label is scored.
    const atLimit = `<location>top</location><type>${'a'.repeat(MAX_LABEL_TYPE_CHARS)}</type><answer>yes</answer>`;
    expect((await postScore({ completions: ['<answer>yes</answer>'], solutions: [atLimit] })).status).toBe(200);
  });

  it('answers /health within 100 ms while the costliest allowed pair is scored', async () => {
    // The longest label type text against a completion type text just long enough to be compared.
    const labelType = typeText(MAX_LABEL_TYPE_CHARS, 1);
    const completions = Array.from({ length: 600 }, (_, i) => `<think>t</think><location>top</location><type>${typeText(Math.floor(MAX_LABEL_TYPE_CHARS / 0.55), i + 2)}</type><answer>yes</answer>`);
    const solutions = completions.map(() => `<location>top</location><type>${labelType}</type><answer>yes</answer>`);
    let done = false;
    const scoring = postScore({ completions, solutions }).then(async (r) => {
      done = true;
      return { status: r.status, body: (await r.json()) as { rewards: number[] } };
    });
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      await fetch(`${server.url}/health`);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const scored = await scoring;
    expect(scored.status).toBe(200);
    expect(scored.body.rewards).toHaveLength(600);
    expect(latencies.length).toBeGreaterThan(2);
    expect(Math.max(...latencies)).toBeLessThan(100);
  });
});
